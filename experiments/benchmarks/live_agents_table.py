"""TAMER, Deep TAMER, COACH and Deep COACH side by side on CartPole-v1 and MountainCar-v0.

One command, the same simulated trainer for every agent (``--teacher``, default
``human``) and the same budgets; each agent runs at its defaults, as ``hfrl train AGENT
--env ENV --teacher T --episodes N`` does (settings and display rate from the presets
table, :mod:`hfrl.presets`; no ``--set``). Prints one table: final greedy return (mean of
10 episodes on the true reward, median over seeds), episodes to threshold (the first
training episode count at which a greedy curve point — 3 episodes, every 5 training
episodes — reached it; "-" if never), ratings given, display rate and wall time per run.

    python experiments/benchmarks/live_agents_table.py [--teacher human] [--seeds 1]

Budgets and thresholds: CartPole-v1 60 episodes, threshold 450; MountainCar-v0 40
episodes, threshold -160. Deep agents update inline on the simulated clock (the table's
``worker="off"``), so a run does not depend on the machine's speed.

``--teacher human-pd`` runs COACH's policy-dependent trainer instead; it rates the
advantage over the agent's own policy, which is zero for a greedy value learner (TAMER acts
greedily on Ĥ), so TAMER and Deep TAMER get almost no ratings from it.

The figures the slow tier checks (each agent with the trainer it is meant for) are in
``tests/slow/test_tamer_quality.py`` and ``tests/slow/test_coach_quality.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_common import train_once

ENVS = {
    "CartPole-v1": {"episodes": 60, "threshold": 450.0},
    "MountainCar-v0": {"episodes": 40, "threshold": -160.0},
}
"""Env -> training budget and the return counted as solved."""

AGENTS = ("tamer", "deep-tamer", "coach", "deep-coach")


def one_run(agent: str, env_id: str, teacher: str, seed: int) -> dict[str, float]:
    """Train one agent on one env with one seed; the figures for the table."""
    from hfrl.training.scalar_loop import ScalarRunConfig

    env = ENVS[env_id]
    config = ScalarRunConfig(
        agent=agent,
        env_id=env_id,
        teacher=teacher,
        seed=seed,
        episodes=int(env["episodes"]),
        eval_episodes=10,
        eval_every=5,
        curve_eval_episodes=3,
        progress=False,
    )
    summary, rows, wall = train_once(config)
    rows = [r for r in rows if "return" in r]
    reached = [
        r["episodes"] for r in rows[:-1] if float(r["return"]) >= env["threshold"]
    ]  # the last row is the final evaluation
    if not reached and summary["eval_return_mean"] >= env["threshold"]:
        reached = [summary["episodes"]]
    return {
        "return": float(summary["eval_return_mean"]),
        "to_threshold": float(reached[0]) if reached else float("nan"),
        "feedback": float(summary["feedback_count"]),
        "wall": wall,
        "fps": float(summary["fps"]),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--teacher", default="human", help="scalar trainer for every agent")
    p.add_argument("--seeds", type=int, default=1, help="seeds per cell (median shown)")
    p.add_argument("--agents", nargs="*", default=list(AGENTS), choices=list(AGENTS))
    p.add_argument("--envs", nargs="*", default=list(ENVS), choices=list(ENVS))
    args = p.parse_args()
    torch.set_num_threads(1)
    print(
        f"trainer {args.teacher}; seeds 0..{args.seeds - 1} (median); "
        + "; ".join(
            f"{e}: {ENVS[e]['episodes']} episodes, threshold {ENVS[e]['threshold']:g}"
            for e in args.envs
        )
    )
    header = (
        f"{'env':<15} {'agent':<11} {'return':>8} {'eps->thr':>9} {'ratings':>8} {'fps':>5} "
        f"{'wall s':>7}"
    )
    print(header)
    print("-" * len(header))
    for env_id in args.envs:
        for agent in args.agents:
            runs = [one_run(agent, env_id, args.teacher, s) for s in range(args.seeds)]

            def med(key: str, runs: list[dict[str, float]] = runs) -> float:
                return statistics.median(r[key] for r in runs)

            hits = [r["to_threshold"] for r in runs if r["to_threshold"] == r["to_threshold"]]
            to_thr = f"{statistics.median(hits):g}" if len(hits) * 2 > len(runs) else "-"
            print(
                f"{env_id:<15} {agent:<11} {med('return'):>8.1f} {to_thr:>9} "
                f"{med('feedback'):>8.0f} {med('fps'):>5g} {med('wall'):>7.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
