"""Learning-quality checks for COACH and Deep COACH (slow tier; fixed seeds, median of 3).

Trainer: ``human-pd``, the policy-dependent ``human`` trainer (≤ 2 presses a second,
10% wrong, 0.2–0.8 s delay, slowly tiring; margin 0.05 on the advantage
1[a = a*] − π(a*|s)). Display rates: CartPole-v1 at 10 fps (a comfortable rate for a
person on CartPole), MountainCar-v0 at its own 30 fps. The greedy return is the mean of
10 evaluation episodes on the true reward after training.

Measured on one core (2-core machine; seeds 0, 1, 2):
- COACH CartPole-v1, 40 episodes: 500 / 500 / 500, about 2-4 s a seed.
- COACH MountainCar-v0, 40 episodes: median about -137 (target -160), about 4 s a seed.
- Deep COACH CartPole-v1, 60 episodes, MLP, window credit, lr 3e-3, β 0.1 (the paper's
  λ-trace with lr 2.5e-4 and β 1.5 stays near 10-200 here): 500 / 500 / 500, 10-30 s a seed.
"""

from __future__ import annotations

import statistics

import pytest
import torch

from hfrl.training.results import RunRecorder
from hfrl.training.scalar_loop import ScalarRunConfig, run_scalar_training

pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)

DEEP_COACH_CARTPOLE = {
    "credit": "window",
    "lr": 3e-3,
    "entropy_coef": 0.1,
    "worker": "off",
    "device": "cpu",
}
"""Deep COACH settings for CartPole at 10 fps with a 0.2-0.8 s trainer delay."""


def median_return(tmp_path, agent: str, env_id: str, episodes: int, fps: float, **overrides):
    torch.set_num_threads(1)
    returns = []
    for seed in SEEDS:
        out = tmp_path / f"{agent}-{seed}"
        config = ScalarRunConfig(
            agent=agent,
            env_id=env_id,
            teacher="human-pd",
            seed=seed,
            episodes=episodes,
            fps=fps,
            eval_episodes=10,
            agent_overrides=overrides,
            progress=False,
        )
        summary = run_scalar_training(config, RunRecorder(out))
        returns.append(summary["eval_return_mean"])
    return statistics.median(returns), returns


def test_coach_cartpole_human_pd(tmp_path):
    median, returns = median_return(tmp_path, "coach", "CartPole-v1", 40, fps=10)
    assert median >= 450, returns


def test_coach_mountain_car_human_pd(tmp_path):
    median, returns = median_return(tmp_path, "coach", "MountainCar-v0", 40, fps=30)
    assert median >= -160, returns


def test_deep_coach_cartpole_human_pd(tmp_path):
    median, returns = median_return(
        tmp_path, "deep-coach", "CartPole-v1", 60, fps=10, **DEEP_COACH_CARTPOLE
    )
    assert median >= 400, returns
