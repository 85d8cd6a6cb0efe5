"""PEBBLE against plain SAC-from-preferences: same task, labels, steps, seeds, learner.

PEBBLE (Lee et al. 2021, as in B-Pref's ``train_PEBBLE.py``): the off-policy learner first
explores on the k-NN state entropy over its replay buffer (computed at update time, divided
by a running std), then the reward model is fitted, the buffer relabelled and the critic
reset; the buffer is relabelled after every reward update. The baseline is the same agent
without the unsupervised phase (``pretrain_steps=0``); everything else comes from the presets
table. Prints both greedy returns (mean of 10 episodes) per seed, the medians, and the gap.

    python experiments/benchmarks/preference_pebble.py [--env Pendulum-v1] [--labels 100]
        [--steps 10000] [--pretrain 2000] [--learner sac] [--teacher oracle] [--seeds 0,1,2]

Measured (``--env Pendulum-v1 --labels 100 --steps 10000 --pretrain 2000 --seeds 0,1``, one
thread, shared 2-core machine at load 4-7; 1326 s wall, 446 s CPU for the four runs):
PEBBLE -108.6 / -133.1, plain SAC -111.4 / -138.3 (seeds 0-1); medians -120.9 vs -124.8,
PEBBLE - plain = +3.9, within the seeds' spread.

MountainCar-v0 (discrete) runs with ``--learner dqn``: PEBBLE's exploration is what could make
the plain reward oracle useful there (its labels tie until some clip reaches the flag).
Measured once, seed 0, as a user runs it (``hfrl train preference --env MountainCar-v0
--teacher oracle --labels 300 --steps 100000 --set pretrain_steps=10000``, the table's DQN):
-110.5 (the progress teacher at the same budget: -120.3 / -99.3 / -123.0 on seeds 0-2). Since
issue 11 the agent without pretraining also explores on state entropy while every label
ties, so on such tasks "plain" is not exploration-free.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def run(
    env_id: str, labels: int, steps: int, seed: int, learner: str, teacher: str, pretrain: int
) -> tuple[float, float, float]:
    """Greedy return, wall and CPU seconds of one run at the presets' defaults plus these."""
    import torch
    from hfrl.agents.preference import PreferenceAgent

    from hfrl.presets import resolve_agent_config
    from hfrl.teachers.presets import make_teacher

    torch.set_num_threads(1)
    overrides = {"device": "cpu", "learner": learner, "pretrain_steps": pretrain}
    config = resolve_agent_config(PreferenceAgent, env_id, overrides)[0]
    agent = PreferenceAgent(env_id, config=config, seed=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    agent.learn(steps, make_teacher(teacher, env_id, seed), labels=labels)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return agent.evaluate(10, seed=10_000 + seed)[0], wall, cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="Pendulum-v1")
    p.add_argument("--labels", type=int, default=100)
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--pretrain", type=int, default=2000, help="PEBBLE's unsupervised steps")
    p.add_argument("--learner", default="sac")
    p.add_argument("--teacher", default="oracle")
    p.add_argument("--seeds", default="0,1,2")
    args = p.parse_args()
    if args.pretrain < 1 or args.pretrain >= args.steps:
        p.error("--pretrain must be between 1 and --steps")
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        f"{args.env}, {args.learner.upper()}, {args.labels} labels ({args.teacher}), "
        f"{args.steps} steps, seeds {seeds}, load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: dict[str, list[float]] = {"PEBBLE": [], "plain": []}
    for seed in seeds:
        for name, pretrain in (("PEBBLE", args.pretrain), ("plain", 0)):
            ret, wall, cpu = run(
                args.env, args.labels, args.steps, seed, args.learner, args.teacher, pretrain
            )
            results[name].append(ret)
            print(
                f"  seed {seed} {name:6} return {ret:8.1f}  wall {wall:6.1f} s  CPU {cpu:6.1f} s  "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    pebble, plain = (statistics.median(results[k]) for k in ("PEBBLE", "plain"))
    print(
        f"median return: PEBBLE ({args.pretrain} unsupervised steps) {pebble:.1f}, plain "
        f"{plain:.1f}; PEBBLE - plain = {pebble - plain:+.1f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
