"""Random-policy segment pairs with oracle labels, made with plain ``gymnasium.make``."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from hfrl.types import Segment


def random_segments(env_id: str, n: int, length: int, seed: int) -> list[Segment]:
    """``n`` segments of up to ``length`` steps from a random policy (fixed seed).

    Each segment starts at a random step of a fresh episode; one that runs into a terminal
    state is shorter and marked ``terminated`` (padded later with absorbing steps).
    """
    env = gym.make(env_id)
    env.action_space.seed(seed)
    rng = np.random.default_rng(seed)
    out: list[Segment] = []
    episode = 0
    while len(out) < n:
        obs, _ = env.reset(seed=int(rng.integers(2**31)))
        observations, actions, rewards = [], [], []
        terminated = truncated = False
        while not (terminated or truncated):
            action = env.action_space.sample()
            observations.append(obs)
            actions.append(action)
            obs, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
        steps = len(rewards)
        # Without a terminal end, a segment must fit whole; with one, it may run into it.
        last_start = steps - 1 if terminated else steps - length
        for _ in range(2):
            start = int(rng.integers(0, max(last_start, 0) + 1))
            stop = min(start + length, steps)
            out.append(
                Segment(
                    obs=np.asarray(observations[start:stop], dtype=np.float32),
                    actions=np.asarray(actions[start:stop]),
                    true_rewards=np.asarray(rewards[start:stop], dtype=np.float64),
                    env_id=env_id,
                    episode=episode,
                    start_step=start,
                    terminated=terminated and stop == steps,
                )
            )
        episode += 1
    env.close()
    return out[:n]


def oracle_pairs(
    segments: list[Segment], n_pairs: int, seed: int
) -> list[tuple[Segment, Segment, float]]:
    """Random pairs labelled by the larger true return (0.5 for an exact tie)."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n_pairs):
        i, j = rng.choice(len(segments), 2, replace=False)
        a, b = segments[i], segments[j]
        label = 0.5 if a.true_return == b.true_return else float(a.true_return > b.true_return)
        pairs.append((a, b, label))
    return pairs
