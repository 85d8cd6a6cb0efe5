"""Where the time of one preference run goes: the loop's parts timed, and optionally cProfile.

Runs one training (user defaults from the presets table, oracle teacher, one thread) and
splits its wall and CPU time into the parts of the loop: the learner's gradient updates,
the policy's forward passes while collecting, env stepping, clip recording, the
learned-reward wrapper, reward-ensemble fits, the work after each fit (calibration,
relabelling the replay buffer), query selection, the teacher's answers. Each part is timed
exclusively (a part's nested parts are subtracted: the wrapper's figure does not include
the env stepping under it) by timers wrapped around the methods that enter it, which cost
about a microsecond a call, so the split is that of an unprofiled run. ``--cprofile`` adds
a function-level cProfile table (which inflates Python-heavy parts about threefold).

    python experiments/benchmarks/preference_profile.py --env Pendulum-v1 --labels 500 \
        --steps 10000 [--learner sac] [--eval-episodes 20] [--cprofile --top 25] [--out p.pstats]

Measured (issue 11; Pendulum-v1, SAC preset, 500 oracle labels, seed 0, one thread, shared
2-core machine at load 4-7; full tables in ``experiments/results/preference/profile_*.txt``),
CPU seconds:

| part | before (10k steps) | after (8k steps) |
|---|---|---|
| reward fits | 69.6 (32 fits) | 20.4 (16 fits) |
| learner updates (SB3 SAC train) | 66.3 (9000 updates) | 61.0 (7200) |
| policy forward in rollouts | 5.9 | 5.5 |
| learned-reward wrapper (exclusive) | 5.2 (0.52 ms a step) | 1.3 (0.16 ms a step) |
| env stepping, clip recording, queries, rest | 9.3 | 8.3 |
| total | 156.4 | 96.5 (greedy return -118.1, 20 episodes) |

What changed: refits take 5 epochs (at least 100 minibatch steps) and wait for a tenth of
the kept labels to be new, where every 5 new labels triggered 20 epochs; the learner's
reward for a vector step is one numpy pass over folded weights
(:class:`hfrl.reward.folded.FoldedMLP`); the ensemble MLP no longer slices its
``ParameterList`` (which built a module per forward); 8k steps instead of 10k.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PARTS: dict[str, tuple[str, ...]] = {
    # part: "module:Class.method" entries whose calls are timed as that part
    "learner updates (SB3 train)": (
        "stable_baselines3.ppo.ppo:PPO.train",
        "stable_baselines3.a2c.a2c:A2C.train",
        "stable_baselines3.sac.sac:SAC.train",
        "stable_baselines3.td3.td3:TD3.train",
        "stable_baselines3.dqn.dqn:DQN.train",
    ),
    "policy forward in rollouts": (
        "stable_baselines3.common.policies:BasePolicy.predict",
        "stable_baselines3.common.policies:ActorCriticPolicy.forward",
    ),
    "env stepping (gymnasium)": (
        "stable_baselines3.common.vec_env.dummy_vec_env:DummyVecEnv.step_wait",
        "stable_baselines3.common.vec_env.dummy_vec_env:DummyVecEnv.reset",
    ),
    "clip recording": ("hfrl.agents.preference.segments:SegmentRecorder.step_wait",),
    "learned-reward wrapper": ("hfrl.envs.learned_reward:LearnedRewardVecEnv.step_wait",),
    "reward fits": ("hfrl.reward.ensemble:RewardEnsemble.fit",),
    "after a fit (calibrate, relabel)": (
        "hfrl.agents.preference.agent:PreferenceAgent.fit_reward",
    ),
    "query selection": ("hfrl.agents.preference.agent:PreferenceAgent.select_queries",),
    "teacher answers": ("hfrl.agents.preference.labels:TeacherLabels.request",),
    "greedy evaluation": ("hfrl.agents.preference.agent:PreferenceAgent.evaluate",),
}


class PartTimers:
    """Exclusive wall and CPU seconds per part, from wrappers around the parts' methods."""

    def __init__(self) -> None:
        self.wall = dict.fromkeys(PARTS, 0.0)
        self.cpu = dict.fromkeys(PARTS, 0.0)
        self.calls = dict.fromkeys(PARTS, 0)
        self._stack: list[list[float]] = []  # [child wall, child cpu] of each open part

    def wrap(self, part: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self._stack.append([0.0, 0.0])
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                child_wall, child_cpu = self._stack.pop()
                self.wall[part] += wall - child_wall
                self.cpu[part] += cpu - child_cpu
                self.calls[part] += 1
                if self._stack:
                    self._stack[-1][0] += wall
                    self._stack[-1][1] += cpu

        return timed

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Wrap every part's methods for the duration of the block."""
        undo = []
        for part, targets in PARTS.items():
            for target in targets:
                module_name, qual = target.split(":")
                cls_name, meth = qual.split(".")
                cls = getattr(importlib.import_module(module_name), cls_name)
                original = cls.__dict__.get(meth)
                if original is None:
                    continue  # inherited, not defined here: timed where it is defined
                setattr(cls, meth, self.wrap(part, original))
                undo.append((cls, meth, original))
        try:
            yield
        finally:
            for cls, meth, original in undo:
                setattr(cls, meth, original)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="Pendulum-v1")
    p.add_argument("--labels", type=int, default=500)
    p.add_argument("--steps", type=int, default=10_000)
    p.add_argument("--learner", help="override the presets table's learner")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=0, help="then score it greedily")
    p.add_argument("--cprofile", action="store_true", help="also print cProfile's table")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--out", help="with --cprofile: also write the raw profile here (pstats)")
    args = p.parse_args()

    import torch
    from hfrl.agents.preference import PreferenceAgent

    from hfrl.presets import resolve_agent_config
    from hfrl.teachers.presets import make_teacher

    torch.set_num_threads(1)
    overrides = {"device": "cpu", **({"learner": args.learner} if args.learner else {})}
    config = resolve_agent_config(PreferenceAgent, args.env, overrides)[0]
    agent = PreferenceAgent(args.env, config=config, seed=args.seed)
    teacher = make_teacher("oracle", args.env, args.seed)
    timers = PartTimers()
    prof = cProfile.Profile() if args.cprofile else None
    load0 = os.getloadavg()[0]
    with timers.installed():
        t0, c0 = time.perf_counter(), time.process_time()
        if prof is not None:
            prof.enable()
        agent.learn(args.steps, teacher, labels=args.labels)
        if prof is not None:
            prof.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"{args.env} {agent.learner_name} {agent.env_steps} steps {agent.labels.received} labels"
        f", {agent.fits} fits: wall {wall:.1f} s, CPU {cpu:.1f} s"
        f"{' (under cProfile)' if prof else ''}; load {load0:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(f"  {'part':34} {'CPU s':>7} {'share':>6} {'wall s':>7} {'calls':>7}")
    rest_wall, rest_cpu = wall - sum(timers.wall.values()), cpu - sum(timers.cpu.values())
    rows = [(k, timers.cpu[k], timers.wall[k], timers.calls[k]) for k in PARTS]
    rows.append(("other (SB3 loop, callbacks, ...)", rest_cpu, rest_wall, 0))
    for part, part_cpu, part_wall, calls in sorted(rows, key=lambda r: -r[1]):
        print(
            f"  {part:34} {part_cpu:7.1f} {100 * part_cpu / cpu:5.1f}% {part_wall:7.1f} {calls:7d}"
        )
    if args.eval_episodes:
        ret, std = agent.evaluate(args.eval_episodes, seed=10_000 + args.seed)
        print(f"  greedy true return {ret:.1f} ± {std:.1f} ({args.eval_episodes} episodes)")
    if prof is not None:
        stats = pstats.Stats(prof)
        if args.out:
            stats.dump_stats(args.out)
        print()
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
