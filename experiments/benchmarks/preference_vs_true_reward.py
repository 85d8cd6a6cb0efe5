"""Preference learning read against its reference: the same learner on the true reward.

Same env, env-step budget, seeds, SB3 learner and hyper-parameters; the only difference
is the reward (learned from ``--labels`` comparisons of a simulated teacher, or the env's).

    python experiments/benchmarks/preference_vs_true_reward.py --env CartPole-v1 --steps 30000 --labels 100
    python experiments/benchmarks/preference_vs_true_reward.py --env Pendulum-v1 --steps 10000 --labels 200
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from preference_common import run_preference, run_true_reward


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="CartPole-v1")
    p.add_argument("--steps", type=int, default=30_000)
    p.add_argument("--labels", type=int, default=100)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--learner", default="auto")
    p.add_argument("--teacher", default="oracle")
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        f"{args.env}: {args.steps} env steps, learner {args.learner}, "
        f"{args.labels} labels ({args.teacher}) vs the true reward"
    )
    print(f"{'seed':>4} {'preference':>11} {'wall s':>7} {'true reward':>12} {'wall s':>7}")
    pref, true = [], []
    for seed in seeds:
        a = run_preference(args.env, args.steps, args.labels, seed, args.learner, args.teacher)
        b = run_true_reward(args.env, args.steps, seed, args.learner)
        pref.append(a.greedy_return)
        true.append(b.greedy_return)
        print(
            f"{seed:>4} {a.greedy_return:>11.1f} {a.wall_seconds:>7.1f} "
            f"{b.greedy_return:>12.1f} {b.wall_seconds:>7.1f}",
            flush=True,
        )
    mp, mt = statistics.median(pref), statistics.median(true)
    print(f"median: preference {mp:.1f}, true reward {mt:.1f}, gap {mp - mt:+.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
