"""Learning-quality checks for preference learning (slow tier; fixed seeds 0, 1, 2).

Teacher: the B-Pref ``oracle`` (and ``mistake``, 10% flipped labels). Learner: the tuned
presets of :mod:`hfrl.agents.preference.learners` (PPO on CartPole, SAC on Pendulum).
The score is the greedy true return, mean of 10 evaluation episodes after training.
CartPole uses the issue's caps (100 labels, 50k steps); Pendulum 200 labels and 10k steps,
a fifth of the step cap, to keep the tier short (about 5 minutes for the file on one core).
The figures measured are in the constants' docstrings.
"""

from __future__ import annotations

import statistics

import pytest
import torch
from hfrl.agents.preference import PreferenceAgent
from hfrl.agents.preference.config import PreferenceConfig

from hfrl.teachers.presets import make_teacher

pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)

CARTPOLE_STEPS = 50_000
"""CartPole-v1, PPO, 100 labels: 500 / 500 / 500 (seeds 0-2) at 50k steps, ~16 s a seed on
one core. At 30k steps one seed of three stayed at ~250, so the cap is used."""
PENDULUM_STEPS = 10_000
"""Pendulum-v1, SAC, 200 labels at 10k steps (one core, ~45 s a seed): oracle -210 / -107 /
-109 (median -109), mistake -125 / -109 / -108 (median -109)."""


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
