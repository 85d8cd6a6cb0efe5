"""Learned-reward overhead: the learner's env-steps/s on the learned reward vs the true reward.

In one process, the same SB3 learner (same preset, envs and seed) trains on

* the true reward: a plain ``DummyVecEnv``;
* the learned reward: the preference agent's stack, ``LearnedRewardVecEnv`` (one batched
  ensemble call per vectorised step) over the clip recorder, with a fitted ensemble.

The two alternate in blocks so machine load hits both alike; the rates are printed per wall
second and per CPU second of this process (the latter is what to read on a shared machine).
Label rounds and reward fits are not in this figure (they depend on the label budget); the
full loop's rate is printed too. Goal (issue 11): learned ≥ 0.9 × true.

    python experiments/benchmarks/preference_overhead.py [--env CartPole-v1] [--steps 20000]

Measured (CartPole-v1, PPO preset, 8 envs, seed 0; shared 2-core machine; raw output in
``experiments/results/preference/overhead_raw.txt``): 0.87 per CPU second at 13:30 UTC (5
blocks, load 6.2) and again at 14:15 UTC (10 blocks, load 4.2): the goal (0.9) is not met;
0.75 before issue 11's changes. Bare stepping (14:15 UTC): 231 µs CPU per vector step on the
true reward, 451 µs with the clip recorder and the learned reward. The learned reward is
now one numpy pass (``hfrl.reward.folded``, ~30 µs for 8 rows in a tight loop, where the
torch call took ~300 µs); what is left is the clip recorder's per-env Python bookkeeping,
the wrapper's, and numpy's per-call cost when interleaved with env stepping.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
from hfrl.agents.preference import PreferenceAgent
from hfrl.agents.preference.config import PreferenceConfig
from hfrl.agents.preference.labels import TeacherLabels
from hfrl.agents.preference.learners import build_learner

from hfrl.teachers.presets import make_teacher

GOAL = 0.9


def bare_step_cpu(true_env, learned_env, n: int, seed: int, steps: int = 3000) -> dict:
    """CPU microseconds per vectorised step with random actions, the two stacks alternating."""
    space = learned_env.action_space
    space.seed(seed)
    actions = [np.stack([space.sample() for _ in range(n)]) for _ in range(256)]
    out = {"true": 0.0, "learned": 0.0}
    for _ in range(3):
        for name, env in (("true", true_env), ("learned", learned_env)):
            env.reset()
            c0 = time.process_time()
            for i in range(steps // 3):
                env.step(actions[i % 256])
            out[name] += (time.process_time() - c0) * 1e6 / steps
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="CartPole-v1")
    p.add_argument("--steps", type=int, default=20_000, help="env steps per side")
    p.add_argument("--blocks", type=int, default=5)
    p.add_argument("--learner", default="auto")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    from hfrl.envs.make import make
    from stable_baselines3.common.vec_env import DummyVecEnv

    agent = PreferenceAgent(
        args.env, config=PreferenceConfig(learner=args.learner, device="cpu"), seed=args.seed
    )
    source = TeacherLabels(make_teacher("oracle", args.env, args.seed))
    agent.collect_random(2_000)
    agent.request_labels(50, source)
    agent.absorb(source)
    learned = agent._ensure_model(args.steps)
    n = agent.n_envs
    true_env = DummyVecEnv(
        [lambda i=i: make(args.env, seed=args.seed + i, render_mode=None) for i in range(n)]
    )
    true = build_learner(
        agent.learner_name, true_env, agent._learner_kwargs(), args.seed, "cpu", args.steps
    )
    block = max(n, args.steps // args.blocks)
    times = {"true": 0.0, "learned": 0.0}
    cpu = {"true": 0.0, "learned": 0.0}
    steps = {"true": 0, "learned": 0}
    for _ in range(args.blocks):
        for name, model in (("true", true), ("learned", learned)):
            before = model.num_timesteps
            t0, c0 = time.perf_counter(), time.process_time()
            model.learn(block, reset_num_timesteps=False)
            times[name] += time.perf_counter() - t0
            cpu[name] += time.process_time() - c0
            steps[name] += model.num_timesteps - before
    rate = {k: steps[k] / times[k] for k in times}
    cpu_rate = {k: steps[k] / cpu[k] for k in cpu}
    ratio = rate["learned"] / rate["true"]
    cpu_ratio = cpu_rate["learned"] / cpu_rate["true"]
    r = agent.reward(np.asarray(agent.env.reset()), np.stack([agent.action_space.sample()] * n))
    print(f"{args.env}, {agent.learner_name}, {n} envs, {steps['true']} steps a side")
    print(f"true reward    : {rate['true']:8.0f} env-steps/s ({cpu_rate['true']:.0f} per CPU s)")
    print(
        f"learned reward : {rate['learned']:8.0f} env-steps/s ({cpu_rate['learned']:.0f} per CPU "
        f"s; sample rewards {np.round(r, 2)})"
    )
    loads = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"ratio          : {ratio:.2f} wall, {cpu_ratio:.2f} CPU  (goal >= {GOAL}: "
        f"{'MET' if cpu_ratio >= GOAL else 'NOT MET'}; gap {cpu_ratio - GOAL:+.2f} on CPU time; "
        f"load (1/5/15 min) {loads})",
        flush=True,
    )
    bare = bare_step_cpu(true_env, agent.env, n, args.seed)
    print(
        f"bare stepping  : {bare['true']:.0f} us CPU per vector step on the true reward, "
        f"{bare['learned']:.0f} us with the clip recorder and the learned reward (random "
        f"actions, no learner: the wrapper stack's own cost)",
        flush=True,
    )
    full = PreferenceAgent(
        args.env, config=PreferenceConfig(learner=args.learner, device="cpu"), seed=args.seed
    )
    stats = full.learn(args.steps, make_teacher("oracle", args.env, args.seed), labels=100)
    print(
        f"full loop, 100 labels: {stats['learner_steps_per_second']:.0f} learner env-steps/s "
        f"with label rounds and {stats['fits']} reward fits ({stats['seconds']:.1f} s in all)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
