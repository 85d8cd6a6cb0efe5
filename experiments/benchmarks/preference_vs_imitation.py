"""hfrl's preference learning at the budgets where the ``imitation`` library was measured.

Figures quoted in issue 5 (imitation 1.0.1, PPO, oracle labels, one core, this kind of
machine): CartPole-v1 reached 500 in 2 of 3 seeds with 1000 labels and 100k steps (about
50 s a seed) and failed every seed with 200 labels; Pendulum-v1 reached a median of −143
with 500 labels and 200k steps (about 93 s a seed). This script runs hfrl with the same
env, labels, steps and learner (PPO) and prints its wall time and greedy return next to
them, then hfrl's own smaller budgets (the slow-tier targets) for scale.

    python experiments/benchmarks/preference_vs_imitation.py [--only cartpole-200] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from preference_common import run_preference

CASES: dict[str, tuple[str, int, int, str, str]] = {
    # name: (env, labels, steps, learner, imitation's result)
    "cartpole-1000": ("CartPole-v1", 1000, 100_000, "ppo", "500 in 2/3 seeds, ~50 s a seed"),
    "cartpole-200": ("CartPole-v1", 200, 100_000, "ppo", "failed every seed"),
    "pendulum-500": ("Pendulum-v1", 500, 200_000, "ppo", "median -143, ~93 s a seed"),
    "hfrl-cartpole-100": ("CartPole-v1", 100, 30_000, "ppo", "(not measured)"),
    "hfrl-pendulum-200": ("Pendulum-v1", 200, 15_000, "sac", "(not measured)"),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=sorted(CASES), help="cases to run")
    p.add_argument("--seeds", default="0,1,2")
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in args.only or list(CASES):
        env_id, labels, steps, learner, theirs = CASES[name]
        runs = [run_preference(env_id, steps, labels, s, learner) for s in seeds]
        rets = [r.greedy_return for r in runs]
        walls = [r.wall_seconds for r in runs]
        print(
            f"{name:18} {env_id} {learner.upper()} {labels} labels {steps} steps | hfrl: "
            f"returns {[round(x, 1) for x in rets]} (median {statistics.median(rets):.1f}), "
            f"wall {statistics.median(walls):.0f} s a seed | imitation: {theirs}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
