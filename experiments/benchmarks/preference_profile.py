"""Where the time of one preference run goes: cProfile of ``PreferenceAgent.learn``.

Runs one training (user defaults from the presets table, oracle teacher, one thread) under
cProfile and prints the wall time split into the parts of the loop: the learner's gradient
updates, env stepping, the learned-reward wrapper, clip recording, reward-ensemble fits,
query selection, greedy evaluation. Shares are of the profiled total (cumulative time of
the functions that enter each part; the parts do not overlap).

    python experiments/benchmarks/preference_profile.py --env Pendulum-v1 --labels 500 \
        --steps 10000 [--learner sac] [--top 25] [--out prof.pstats]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time

PARTS: dict[str, tuple[str, ...]] = {
    # part: (file suffix, function) pairs that enter it, matched as "file:function"
    "learner updates (SB3 train)": (
        "ppo.py:train",
        "sac.py:train",
        "a2c.py:train",
        "dqn.py:train",
        "td3.py:train",
    ),
    "env stepping (gymnasium)": ("dummy_vec_env.py:step_wait",),
    "learned-reward wrapper": ("learned_reward.py:step_wait",),
    "clip recording": ("segments.py:_record", "segments.py:_emit"),
    "reward fits": ("ensemble.py:fit",),
    "query selection": ("queries.py:select_queries",),
    "greedy evaluation": ("evaluate.py:evaluate",),
    "policy forward in rollouts": ("policies.py:predict", "policies.py:forward"),
}


def part_times(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of the first matching function of each part."""
    out: dict[str, float] = {}
    table = stats.stats  # type: ignore[attr-defined]
    for part, keys in PARTS.items():
        total = 0.0
        for (filename, _, func), (_, _, _, cum, _) in table.items():
            for key in keys:
                suffix, name = key.split(":")
                if filename.endswith(suffix) and func == name:
                    total += cum
        out[part] = total
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="Pendulum-v1")
    p.add_argument("--labels", type=int, default=500)
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--learner", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--out", help="also write the raw profile here (pstats)")
    args = p.parse_args()

    import torch
    from hfrl.agents.preference import PreferenceAgent, PreferenceConfig

    from hfrl.teachers.presets import make_teacher

    torch.set_num_threads(1)
    agent = PreferenceAgent(
        args.env, config=PreferenceConfig(learner=args.learner, device="cpu"), seed=args.seed
    )
    teacher = make_teacher("oracle", args.env, args.seed)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    agent.learn(args.steps, teacher, labels=args.labels)
    prof.disable()
    wall = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    if args.out:
        stats.dump_stats(args.out)
    print(
        f"{args.env} {agent.learner_name} {args.steps} steps {args.labels} labels: "
        f"wall {wall:.1f} s (profiled), {agent.fits} fits, load {os.getloadavg()[0]:.1f}"
    )
    parts = part_times(stats)
    for part, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {part:32} {seconds:7.1f} s  {100 * seconds / wall:5.1f}%")
    print()
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
