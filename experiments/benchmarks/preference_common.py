"""Helpers shared by the preference benchmarks: one hfrl run, one true-reward reference run."""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from hfrl.agents.preference import PreferenceAgent
from hfrl.agents.preference.config import PreferenceConfig
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


def run_preference(
    env_id: str,
    steps: int,
    labels: int,
    seed: int,
    learner: str = "auto",
    teacher: str = "oracle",
    eval_episodes: int = 10,
) -> RunResult:
    """Train hfrl's preference agent; score it greedily on the true reward."""
    torch.set_num_threads(1)
    agent = PreferenceAgent(
        env_id, config=PreferenceConfig(learner=learner, device="cpu"), seed=seed
    )
    t0 = time.perf_counter()
    agent.learn(steps, make_teacher(teacher, env_id, seed), labels=labels)
    wall = time.perf_counter() - t0
    ret = agent.evaluate(eval_episodes, seed=10_000 + seed)[0]
    return RunResult(ret, wall, agent.env_steps, agent.labels.received)


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
    t0 = time.perf_counter()
    model.learn(steps)
    wall = time.perf_counter() - t0
    ret = evaluate(_Greedy(model), env_id, episodes=eval_episodes, seed=10_000 + seed)[0]
    return RunResult(ret, wall, int(model.num_timesteps), 0)
