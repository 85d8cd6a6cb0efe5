"""Learning-quality checks for preference learning (slow tier; fixed seeds 0, 1, 2).

Teacher: the B-Pref ``oracle`` (and ``mistake``, 10% flipped labels). Learner: the tuned
presets of :mod:`hfrl.agents.preference_learners` (PPO on CartPole, SAC on Pendulum).
The score is the greedy true return, mean of 10 evaluation episodes after training.
Budgets are below the issue's caps (≤ 100 / 200 labels, ≤ 50k env steps) to keep the tier
short; the figures measured on one core are in the module constants' docstrings.
"""

from __future__ import annotations

import statistics

import pytest
import torch
from hfrl.agents.preference import PreferenceAgent
from hfrl.agents.preference_config import PreferenceConfig

from hfrl.teachers.presets import make_teacher

pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)

CARTPOLE_STEPS = 30_000
"""CartPole-v1, 100 labels: 500 / 500 / 500 at 30k steps (and 50k); ~15-25 s a seed alone."""
PENDULUM_STEPS = 10_000
"""Pendulum-v1, 200 labels, SAC: see the figures in the report; ~60-90 s a seed alone."""


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def greedy_return(env_id: str, steps: int, labels: int, seed: int, teacher: str) -> float:
    agent = PreferenceAgent(env_id, config=PreferenceConfig(device="cpu"), seed=seed)
    agent.learn(steps, make_teacher(teacher, env_id, seed), labels=labels)
    assert agent.labels.received == labels and agent.env_steps <= 50_000 + 256
    return agent.evaluate(10, seed=10_000 + seed)[0]


def test_cartpole_every_seed_reaches_475_with_100_labels():
    returns = [greedy_return("CartPole-v1", CARTPOLE_STEPS, 100, s, "oracle") for s in SEEDS]
    assert min(returns) >= 475, returns


def test_pendulum_oracle_200_labels():
    returns = [greedy_return("Pendulum-v1", PENDULUM_STEPS, 200, s, "oracle") for s in SEEDS]
    assert statistics.median(returns) >= -170, returns


def test_pendulum_mistake_teacher_200_labels():
    returns = [greedy_return("Pendulum-v1", PENDULUM_STEPS, 200, s, "mistake") for s in SEEDS]
    assert statistics.median(returns) >= -250, returns
