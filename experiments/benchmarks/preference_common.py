"""Helpers shared by the preference benchmarks: one hfrl run, one true-reward reference run."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from hfrl.agents.preference import PreferenceAgent
from hfrl.agents.preference.learners import build_learner, learner_preset, resolve_learner_name

from hfrl.teachers.presets import make_teacher
from hfrl.training.evaluate import evaluate


@dataclass(frozen=True)
class RunResult:
    """One training run's outcome."""

    greedy_return: float
    """Mean greedy true return over the evaluation episodes."""
    wall_seconds: float
    """Wall time of training (evaluation excluded)."""
    env_steps: int
    """Env steps used."""
    labels: int
    """Comparisons answered (0 for the true-reward reference)."""
    cpu_seconds: float = 0.0
    """CPU time of this process during training (robust to other processes' load)."""


def run_preference(
    env_id: str,
    steps: int,
    labels: int,
    seed: int,
    learner: str | None = None,
    teacher: str = "oracle",
    eval_episodes: int = 10,
) -> RunResult:
    """Train hfrl's preference agent at the user defaults (the presets table, CPU); score it
    greedily on the true reward. ``learner`` overrides the table's learner."""
    from hfrl.presets import resolve_agent_config

    torch.set_num_threads(1)
    overrides = {"device": "cpu", **({"learner": learner} if learner else {})}
    config = resolve_agent_config(PreferenceAgent, env_id, overrides)[0]
    agent = PreferenceAgent(env_id, config=config, seed=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    agent.learn(steps, make_teacher(teacher, env_id, seed), labels=labels)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ret = agent.evaluate(eval_episodes, seed=10_000 + seed)[0]
    return RunResult(ret, wall, agent.env_steps, agent.labels.received, cpu)


class _Greedy:
    def __init__(self, model) -> None:
        self.model = model

    def act(self, obs, greedy: bool = True):
        action, _ = self.model.predict(obs, deterministic=greedy)
        return action.item() if action.ndim == 0 else action


def run_true_reward(
    env_id: str, steps: int, seed: int, learner: str = "auto", eval_episodes: int = 10
) -> RunResult:
    """The same SB3 learner, preset, envs and budget, trained on the environment's reward."""
    import gymnasium as gym
    from hfrl.envs.make import make
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    torch.set_num_threads(1)
    probe = make(env_id, render_mode=None)
    name = resolve_learner_name(learner, isinstance(probe.action_space, gym.spaces.Box))
    probe.close()
    kwargs = learner_preset(name, env_id)
    n = int(kwargs.get("n_envs", 1))
    venv = VecMonitor(
        DummyVecEnv([lambda i=i: make(env_id, seed=seed + i, render_mode=None) for i in range(n)])
    )
    model = build_learner(name, venv, kwargs, seed, "cpu", steps)
    t0, c0 = time.perf_counter(), time.process_time()
    model.learn(steps)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ret = evaluate(_Greedy(model), env_id, episodes=eval_episodes, seed=10_000 + seed)[0]
    return RunResult(ret, wall, int(model.num_timesteps), 0, cpu)
