"""Pong from clip comparisons: greedy return against labels (meant for a GPU when one is lent).

Christiano et al. (2017) matched RL on Pong with about 3.3k synthetic labels (and 10M
frames). This runs the preference agent (PPO, Nature-CNN reward ensemble on stacked
frames, 25-step clips, oracle teacher) and prints the greedy return at each curve point
with the labels used so far, then the same PPO on the true reward for reference.

    python experiments/benchmarks/preference_pong.py --steps 2000000 --labels 3300
    python experiments/benchmarks/preference_pong.py --steps 4096 --labels 20 --eval-episodes 1  # CPU smoke
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="ALE/Pong-v5")
    p.add_argument("--steps", type=int, default=2_000_000)
    p.add_argument("--labels", type=int, default=3300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--points", type=int, default=10, help="curve points")
    p.add_argument("--eval-episodes", type=int, default=3)
    p.add_argument("--no-reference", action="store_true", help="skip the true-reward run")
    args = p.parse_args()

    import torch
    from hfrl.agents.preference import PreferenceAgent
    from hfrl.agents.preference.config import PreferenceConfig
    from preference_common import run_true_reward

    from hfrl.teachers.presets import make_teacher

    if not torch.cuda.is_available():
        torch.set_num_threads(1)
        print("no CUDA device: running on the CPU (use a tiny budget)")
    agent = PreferenceAgent(args.env, config=PreferenceConfig(device="auto"), seed=args.seed)
    print(f"{args.env}: {args.steps} steps, {args.labels} labels, device {agent.device}")
    print(f"{'env steps':>10} {'labels':>7} {'return':>8} {'wall s':>7}")
    t0 = time.perf_counter()

    def show(point: dict[str, float]) -> None:
        print(
            f"{point['env_steps']:>10.0f} {point['feedback_count']:>7.0f} "
            f"{point['return']:>8.1f} {time.perf_counter() - t0:>7.0f}",
            flush=True,
        )

    agent.learn(
        args.steps,
        make_teacher("oracle", args.env, args.seed),
        labels=args.labels,
        on_curve=show,
        eval_points=args.points,
        eval_episodes=args.eval_episodes,
    )
    final = agent.evaluate(args.eval_episodes, seed=10_000 + args.seed)[0]
    print(f"final greedy return {final:.1f} with {agent.labels.received} labels")
    if not args.no_reference:
        ref = run_true_reward(args.env, args.steps, args.seed, "ppo", args.eval_episodes)
        print(
            f"PPO on the true reward, same budget: {ref.greedy_return:.1f} "
            f"({ref.wall_seconds:.0f} s); gap {final - ref.greedy_return:+.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
