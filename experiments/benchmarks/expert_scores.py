"""Mean true return of each scripted expert over seeded episodes.

Run: ``python experiments/benchmarks/expert_scores.py [--episodes 20]``. Prints each
expert's mean, std and min return, the floor the tests assert, and the margin to it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

FLOORS = {
    "CartPole-v1": 475.0,
    "MountainCar-v0": -130.0,
    "Acrobot-v1": -100.0,
    "LunarLander-v3": 200.0,
    "ALE/Bowling-v5": 42.4,
}
"""The goal for each expert's mean return (CartPole's maximum is 500; Bowling: beat the
published DQN score, 42.4)."""


def episode_returns(env_id: str, episodes: int, first_seed: int = 0) -> list[float]:
    """True returns of the expert on ``episodes`` episodes seeded first_seed, first_seed+1, ..."""
    from hfrl.envs.experts import get_expert
    from hfrl.envs.make import make

    expert = get_expert(env_id)
    env = make(env_id, render_mode=None)
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=first_seed + i)
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(expert.act(obs))
            done = terminated or truncated
        returns.append(info["true_episode_return"])
    env.close()
    return returns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=20)
    args = parser.parse_args()
    print(f"{'env':<16}{'mean':>9}{'std':>8}{'min':>9}{'goal':>8}{'gap':>8}{'secs':>7}")
    for env_id, floor in FLOORS.items():
        start = time.perf_counter()
        returns = np.array(episode_returns(env_id, args.episodes))
        secs = time.perf_counter() - start
        print(
            f"{env_id:<16}{returns.mean():9.1f}{returns.std():8.1f}{returns.min():9.1f}"
            f"{floor:8.1f}{returns.mean() - floor:+8.1f}{secs:7.1f}"
        )


if __name__ == "__main__":
    main()
