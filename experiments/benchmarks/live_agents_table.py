"""TAMER, Deep TAMER, COACH and Deep COACH side by side on CartPole-v1 and MountainCar-v0.

One command, the same simulated trainer for every agent (``--teacher``, default
``human``), the same budgets and display rates; prints one table: final greedy return
(mean of 10 episodes on the true reward, median over seeds), episodes to threshold (the
first training episode count at which a greedy curve point — 3 episodes, every 5 training
episodes — reached it; "-" if never), ratings given, and wall time per run.

    python experiments/benchmarks/live_agents_table.py [--teacher human] [--seeds 1]

Budgets and thresholds: CartPole-v1 60 episodes at 10 fps, threshold 450; MountainCar-v0
40 episodes at 30 fps, threshold -160. Agent settings are each agent's defaults except
where its own quality test documents a change: Deep TAMER credits [0.2 s, 0.8 s]
(``delay_max=0.8``), Deep COACH uses window credit with lr 3e-3 and β 0.1. Deep agents run
on the CPU with updates inline (deterministic).

``--teacher human-pd`` runs COACH's policy-dependent trainer instead; note that it rates
the advantage over the agent's own policy, which is zero for a greedy value learner
(TAMER acts greedily on Ĥ), so TAMER and Deep TAMER get almost no ratings from it.

Measured (``--seeds 3``, one torch thread, shared 2-core machine under load; whole
command about 110 s for ``human`` and 80 s for ``human-pd``)::

    trainer human                                      trainer human-pd
    env             agent       return eps->thr ratings wall   return eps->thr ratings wall
    CartPole-v1     tamer         73.8        -      78  1.9     13.2        -       2  0.3
    CartPole-v1     deep-tamer    52.2        -     119  3.3      8.8        -       0  0.2
    CartPole-v1     coach        500.0       50     287  3.8    500.0       25     981  4.7
    CartPole-v1     deep-coach   238.6       45     211  3.6    500.0       30    1172  8.9
    MountainCar-v0  tamer       -139.0       15     240  3.1   -200.0        -       1  2.9
    MountainCar-v0  deep-tamer  -199.8        -     289  6.7   -200.0        -       0  2.5
    MountainCar-v0  coach       -200.0     22.5     207  3.9   -144.5       15     230  3.1
    MountainCar-v0  deep-coach  -200.0        -     201  4.8   -200.0       25     228  2.5

(TAMER's own checks run CartPole at 4 fps, where a rating lands on the step it judges; at
the 10 fps used here for everyone it smears over steps whose right action differs.
"eps->thr" is the median over the seeds that reached the threshold on a curve point,
shown when most did, even if the final return fell back below it.)
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
    "CartPole-v1": {"episodes": 60, "fps": 10.0, "threshold": 450.0},
    "MountainCar-v0": {"episodes": 40, "fps": 30.0, "threshold": -160.0},
}
"""Env -> training budget, display rate and the return counted as solved."""

AGENTS = {
    "tamer": {},
    "deep-tamer": {"delay_max": 0.8, "worker": "off", "device": "cpu"},
    "coach": {},
    "deep-coach": {
        "credit": "window",
        "lr": 3e-3,
        "entropy_coef": 0.1,
        "worker": "off",
        "device": "cpu",
    },
}
"""Agent -> config overrides (``--set``) used for every env."""


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
        fps=env["fps"],
        eval_episodes=10,
        eval_every=5,
        curve_eval_episodes=3,
        agent_overrides=dict(AGENTS[agent]),
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
            f"{e}: {ENVS[e]['episodes']} episodes at {ENVS[e]['fps']:g} fps, "
            f"threshold {ENVS[e]['threshold']:g}"
            for e in args.envs
        )
    )
    header = f"{'env':<15} {'agent':<11} {'return':>8} {'eps->thr':>9} {'ratings':>8} {'wall s':>7}"
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
                f"{med('feedback'):>8.0f} {med('wall'):>7.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
