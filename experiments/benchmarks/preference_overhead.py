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

Besides the two rates it prints the CPU split of each side into collecting (env steps:
where the wrapper stack costs) and training (the same work on both sides, so its gap is the
load's noise), the ratio of each back-to-back block pair (sides alternate which goes
first), and the bare stepping cost of the stack (random actions, no learner).

Measured (CartPole-v1, PPO preset, 8 envs, seed 0, ``--steps 40960``, 20 blocks; shared
2-core machine; raw output in ``experiments/results/preference/overhead_raw.txt``):

* 2026-12-01 17:23 UTC (load 1.4/2.4/3.4), after the recorder's ring buffers and the
  wrapper's single loop: **0.92 per CPU second** (0.94 wall): MET, by 0.02. Collecting
  698 vs 909 µs CPU per vector step (+212 for the stack inside the learner), training 1786
  vs 1785; block pairs median 0.92 (quartiles 0.86-1.00). Bare stepping 164 vs 264 µs.
* 2026-12-02 02:00 UTC (load 0.2/0.6/1.0), the head of that day: **0.92 per CPU second**
  (0.92 wall): MET, by 0.02; collecting 306 vs 411 µs CPU per vector step, training 1010 vs
  1014; block pairs' quartiles 0.90-0.93. Bare stepping 62 vs 106 µs.
* 2026-12-01 17:29 UTC (load 3.1/2.9/3.3), the same script with the previous ``segments.py`` and
  ``learned_reward.py`` swapped in: 0.92 per CPU second; collecting +241 µs; bare stepping
  117 vs 220 µs. Earlier runs of the previous code: 0.93 at 16:07 UTC (load 2.4), 0.87 at
  13:30 and 14:15 UTC (loads 6.2 and 4.2); the ratio swings ±0.05 with the load.

Where the stack's time goes (CPU µs per vector step). Over a stub VecEnv (the stack's own
work, least of 9, load 5.7): recorder 29 -> 12, wrapper 14 -> 6, whole stack with the
learned reward 76 -> 51. Inside ``PPO.learn`` (``env.step`` only, the stacks side by side in
one process, load 4.3-5.1): true reward 247; previous stack +242; this stack +178, of which
+70 with a constant reward instead of the learned one: the learned reward's numpy pass
(``hfrl.reward.folded``, ~20 µs in a tight loop) costs ~100 µs between the learner's torch
calls (its ~17 small numpy calls run on cold caches) and is now the largest part; the
recorder's remaining cost is mostly the ``Segment`` it builds per clip (uuid4, checks).
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


def bare_step_cpu(true_env, learned_env, n: int, seed: int, steps: int = 250, reps: int = 36):
    """CPU microseconds per vectorised step with random actions, the two stacks alternating
    in chunks of ``steps``; the least of ``reps`` chunks each (the machine's load only adds)."""
    space = learned_env.action_space
    space.seed(seed)
    actions = [np.stack([space.sample() for _ in range(n)]) for _ in range(256)]
    out = {"true": float("inf"), "learned": float("inf")}
    for _ in range(reps):
        for name, env in (("true", true_env), ("learned", learned_env)):
            env.reset()
            c0 = time.process_time()
            for i in range(steps):
                env.step(actions[i % 256])
            out[name] = min(out[name], (time.process_time() - c0) * 1e6 / steps)
    return out


def time_phases(model, acc: dict[str, float]) -> None:
    """Add the CPU seconds of ``model``'s ``collect_rollouts`` and ``train`` calls to ``acc``."""
    for name in ("collect_rollouts", "train"):
        method = getattr(model, name)

        def timed(*a, _method=method, _name=name, **k):
            c0 = time.process_time()
            try:
                return _method(*a, **k)
            finally:
                acc[_name] += time.process_time() - c0

        setattr(model, name, timed)  # an instance attribute: SB3 calls self.<name>(...)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="CartPole-v1")
    p.add_argument("--steps", type=int, default=20_000, help="env steps per side")
    p.add_argument("--blocks", type=int, default=20)
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
    phases = {k: {"collect_rollouts": 0.0, "train": 0.0} for k in ("true", "learned")}
    time_phases(true, phases["true"])
    time_phases(learned, phases["learned"])
    times = {"true": 0.0, "learned": 0.0}
    cpu = {"true": 0.0, "learned": 0.0}
    steps = {"true": 0, "learned": 0}
    block_ratios = []  # per block pair: learned's CPU rate over true's, run back to back
    for b in range(args.blocks):  # alternating which side goes first
        sides = (("true", true), ("learned", learned))
        block_rate = {}
        for name, model in sides if b % 2 == 0 else sides[::-1]:
            before = model.num_timesteps
            t0, c0 = time.perf_counter(), time.process_time()
            model.learn(block, reset_num_timesteps=False)
            times[name] += time.perf_counter() - t0
            spent = time.process_time() - c0
            cpu[name] += spent
            steps[name] += model.num_timesteps - before
            block_rate[name] = (model.num_timesteps - before) / spent
        block_ratios.append(block_rate["learned"] / block_rate["true"])
    rate = {k: steps[k] / times[k] for k in times}
    cpu_rate = {k: steps[k] / cpu[k] for k in cpu}
    ratio = rate["learned"] / rate["true"]
    cpu_ratio = cpu_rate["learned"] / cpu_rate["true"]
    r = agent.reward(np.asarray(agent.env.reset()), np.stack([agent.action_space.sample()] * n))
    print(f"{args.env}, {agent.learner_name}, {n} envs, {steps['true']} steps a side")
    us = {k: 1e6 * n / cpu_rate[k] for k in cpu_rate}  # CPU µs per vectorised step
    print(
        f"true reward    : {rate['true']:8.0f} env-steps/s ({cpu_rate['true']:.0f} per CPU s; "
        f"{us['true']:.0f} us CPU per vector step)"
    )
    print(
        f"learned reward : {rate['learned']:8.0f} env-steps/s ({cpu_rate['learned']:.0f} per CPU "
        f"s; {us['learned']:.0f} us CPU per vector step; sample rewards {np.round(r, 2)})"
    )
    loads = "/".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"ratio          : {ratio:.2f} wall, {cpu_ratio:.2f} CPU  (goal >= {GOAL}: "
        f"{'MET' if cpu_ratio >= GOAL else 'NOT MET'}; gap {cpu_ratio - GOAL:+.2f} on CPU time; "
        f"load (1/5/15 min) {loads})",
        flush=True,
    )
    vsteps = {k: steps[k] / n for k in steps}
    col = {k: phases[k]["collect_rollouts"] * 1e6 / vsteps[k] for k in phases}
    tr = {k: phases[k]["train"] * 1e6 / vsteps[k] for k in phases}
    mean_train = (tr["true"] + tr["learned"]) / 2
    pooled = (col["true"] + mean_train) / (col["learned"] + mean_train)
    print(
        f"phases         : collecting {col['true']:.0f} vs {col['learned']:.0f} us CPU per vector "
        f"step (+{col['learned'] - col['true']:.0f}: the wrapper stack inside the learner); "
        f"training {tr['true']:.0f} vs {tr['learned']:.0f} (the same work on both sides: its gap "
        f"is the load's noise); ratio with the training time pooled {pooled:.2f}",
        flush=True,
    )
    q = np.percentile(block_ratios, [0, 25, 50, 75, 100])
    print(
        f"block pairs    : CPU ratio median {q[2]:.2f} (quartiles {q[1]:.2f}-{q[3]:.2f}, "
        f"range {q[0]:.2f}-{q[4]:.2f} over {len(block_ratios)} pairs: the load's spread)",
        flush=True,
    )
    bare = bare_step_cpu(true_env, agent.env, n, args.seed)
    cost = bare["learned"] - bare["true"]
    print(
        f"bare stepping  : {bare['true']:.0f} us CPU per vector step on the true reward, "
        f"{bare['learned']:.0f} us with the clip recorder and the learned reward (random "
        f"actions, no learner, least of 36 x 250 steps): the wrapper stack costs {cost:.0f} us, "
        f"{cost / us['true']:.1%} of the learner's {us['true']:.0f} us per vector step "
        f"(ratio {us['true'] / (us['true'] + cost):.2f} if that were all)",
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
