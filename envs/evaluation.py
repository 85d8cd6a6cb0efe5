"""Greedy evaluation on the true reward, shared by every agent (and by the agents that
evaluate themselves while learning, so it sits in the envs layer, below the agents)."""

from __future__ import annotations

from typing import Any

import numpy as np


def run_episode(
    agent: Any, env: Any, seed: int | None = None, max_steps: int | None = None
) -> float:
    """Play one greedy episode of ``agent`` in ``env``; return its true (environment) return.

    The true reward is read from ``info["true_reward"]`` when present (it survives
    reward-replacing wrappers), else from the reward returned by ``step``.
    """
    return play_episode(agent, env, seed, max_steps)[0]


def play_episode(
    agent: Any, env: Any, seed: int | None = None, max_steps: int | None = None
) -> tuple[float, int]:
    """:func:`run_episode`'s true return and the episode's length in steps."""
    obs, _ = env.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, greedy=True))
        total += float(info.get("true_reward", reward))
        steps += 1
        if terminated or truncated or (max_steps is not None and steps >= max_steps):
            return total, steps


def evaluate(
    agent: Any,
    env_id: str,
    episodes: int = 10,
    seed: int = 0,
    max_steps: int | None = None,
    env: Any = None,
) -> tuple[float, float]:
    """Mean and standard deviation of the greedy true return over ``episodes`` episodes.

    Args:
        agent: anything with ``act(obs, greedy=True)``.
        env_id: environment to evaluate on (made with :func:`hfrl.envs.make.make`).
        episodes: number of episodes; episode ``i`` is reset with seed ``seed + i``.
        seed: base seed, so the same agent gets the same score.
        max_steps: optional cap on steps per episode. An env made here gets it as its
            time limit (``max_episode_steps``), so a run that trains with a cap above the
            env's default (MountainCar's 200) is also evaluated with it.
        env: an already made env to reuse instead of making one (its own time limit
            stays; ``max_steps`` can only shorten its episodes).
    """
    returns, _ = evaluate_episodes(agent, env_id, episodes, seed, max_steps, env)
    return float(np.mean(returns)), float(np.std(returns))


def evaluate_episodes(
    agent: Any,
    env_id: str,
    episodes: int = 10,
    seed: int = 0,
    max_steps: int | None = None,
    env: Any = None,
) -> tuple[list[float], list[int]]:
    """:func:`evaluate`'s episodes one by one: their true returns and lengths."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    own = env is None
    if own:
        from hfrl.envs.make import make

        env = make(env_id, seed=seed, render_mode=None, max_episode_steps=max_steps)
    try:
        played = [play_episode(agent, env, seed + i, max_steps) for i in range(episodes)]
    finally:
        if own:
            env.close()
    return [r for r, _ in played], [n for _, n in played]
