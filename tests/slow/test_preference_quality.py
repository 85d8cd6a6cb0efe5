"""Learning-quality checks for preference learning (slow tier; fixed seeds 0, 1, 2).

Every agent is built as a user gets it: ``PreferenceAgent(env_id)`` takes its config from
the presets table (``hfrl/presets.py``, the ``preference`` rows), on the CPU, and the run's
env steps and comparisons are the table's too (what ``hfrl train preference --env E`` runs
without ``--steps``/``--labels``). Teacher: the
B-Pref ``oracle`` unless stated (MountainCar: the ``progress`` teacher). The score is the
greedy true return, mean of 10 evaluation episodes after training. Seeds run two at a time
in separate processes (the CI machine has two cores). The figures measured are in the
constants' docstrings; the issue's targets are in the test names.
"""

from __future__ import annotations

import statistics
from concurrent.futures import ProcessPoolExecutor

import pytest

pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)

CARTPOLE = "CartPole-v1"
"""CartPole-v1, PPO preset (rl-zoo's, whose CartPole budget is 1e5 steps), 50 labels, 100k
steps: 500 on each of seeds 0-5 (2026-12-01). At 50k steps it was 500 / 500 / 500 on the
previous machine but 500 / 500 / 165.7 on a fresh one of the same kind (seeds 3-5: 126.0 /
500 / 500): half of rl-zoo's budget leaves the check to the CPU's kernels."""
PENDULUM = "Pendulum-v1"
"""Pendulum-v1, SAC preset, 100 labels, 10k steps (the issue's cap is 20k): -128.7 / -138.7
(seeds 0-1; the median is at least the second best)."""
PENDULUM_MISTAKE_LABELS = 200
"""Pendulum-v1, SAC preset, 200 labels from the ``mistake`` teacher (10% flipped), 10k steps:
-125 / -109 / -108 (seeds 0-2, measured before issue 11; kept as it was)."""
ACROBOT = "Acrobot-v1"
"""Acrobot-v1, PPO preset, 200 labels, 100k steps: -82.5 / -79.4 / -81.5 (seeds 0-2). Before
issue 11's fix seed 2 gave -500: no clip in its labels reached the goal, every answer was
"equal", and the learner trained on the normalised noise of a constant fit. Now, while every
label ties, the learner explores on PEBBLE's state entropy and clips that ended are asked
first (``PreferenceAgent.fit_reward``, ``queries.ending_pairs``)."""
MOUNTAIN_CAR = "MountainCar-v0"
"""MountainCar-v0, the ``progress`` teacher, DQN preset (rl-zoo's), 300 labels, 100k steps:
-120.3 / -99.3 / -123.0 (seeds 0-2, with the swing term in its potential; -135.8 / -102.1 /
-104.4 with energy alone; greedy returns swing by 20-40 between evaluations, so checked on
the median). PPO did not learn in 150k steps."""


def greedy_return(env_id: str, labels: int, steps: int, seed: int, teacher: str) -> float:
    """Train at the user defaults and return the greedy true return (runs in a worker)."""
    import torch
    from hfrl.agents.preference import PreferenceAgent

    from hfrl.teachers.presets import make_teacher

    torch.set_num_threads(1)
    agent = PreferenceAgent(env_id, seed=seed)
    agent.learn(steps, make_teacher(teacher, env_id, seed), labels=labels)
    assert agent.labels.received == labels and agent.env_steps <= steps + 1024
    return agent.evaluate(10, seed=10_000 + seed)[0]


def returns(env_id: str, teacher: str = "oracle", labels: int | None = None) -> list[float]:
    """Greedy returns of seeds 0-2 at the table's budget (``labels`` given: that many
    comparisons instead), two processes at a time."""
    from hfrl.presets import preset_budget

    steps, table_labels = preset_budget("preference", env_id)
    assert steps is not None and table_labels is not None, env_id
    labels = table_labels if labels is None else labels
    with ProcessPoolExecutor(2) as pool:
        futures = [pool.submit(greedy_return, env_id, labels, steps, s, teacher) for s in SEEDS]
        return [f.result() for f in futures]


def test_cartpole_every_seed_reaches_475_with_50_labels():
    got = returns(CARTPOLE)
    assert min(got) >= 475, got


def test_pendulum_reaches_minus_150_with_100_labels_in_20k_steps():
    got = returns(PENDULUM)
    assert statistics.median(got) >= -150, got


def test_pendulum_mistake_teacher_200_labels():
    got = returns(PENDULUM, "mistake", PENDULUM_MISTAKE_LABELS)
    assert statistics.median(got) >= -250, got


def test_acrobot_every_seed_reaches_minus_120_with_200_labels():
    got = returns(ACROBOT)
    assert min(got) >= -120, got


def test_mountain_car_reaches_minus_150_with_300_progress_labels():
    got = returns(MOUNTAIN_CAR, "progress")
    assert statistics.median(got) >= -150, got
