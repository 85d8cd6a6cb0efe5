"""Learning-quality checks of TAMER and Deep TAMER, run as a user runs them (slow tier).

Each check runs ``hfrl train AGENT --env ENV --teacher T --episodes N --seed S`` for seeds
0-2 (subprocesses, two at a time, one torch thread each) with no agent-config option and no
``--fps``: settings and display rates come from the presets table (:mod:`hfrl.presets`).
It asserts the greedy return (mean of 10 episodes on the true reward) of EVERY seed (and
keeps the earlier median floors). Measured with these commands, seeds 0 / 1 / 2, on the
shared 2-core machine (load 10-19, so each run took 20-90 s; about 5x less on a quiet one):

- MountainCar-v0, ``perfect``, 20 episodes: -129.6 / -121.1 / -126.7
- MountainCar-v0, ``human``, 30 episodes: -120.8 / -105.0 / -129.7 (issue 10's -150 target)
- CartPole-v1, ``human``, 30 episodes (3 fps): 500 / 500 / 500
- Acrobot-v1, ``human``, 30 episodes (5 fps): -80.0 / -84.2 / -82.1 (-80.5 / -132.6 / -91.4
  with the Acrobot expert before, which torqued the way the elbow turns)
- Deep TAMER CartPole-v1, ``human``, 50 episodes (3 fps): 500 / 500 / 500 (210-420 s each
  under load 13-17; the slowest check here)
"""

from __future__ import annotations

import statistics

import pytest
from live_cli import greedy_returns

pytestmark = pytest.mark.slow


def test_tamer_mountaincar_perfect(tmp_path):
    returns = greedy_returns(tmp_path, "tamer", "MountainCar-v0", "perfect", 20)
    assert statistics.median(returns) >= -140 and min(returns) >= -150, returns


def test_tamer_mountaincar_human(tmp_path):
    # Issue 10 target: >= -150 on every seed in 30 episodes.
    returns = greedy_returns(tmp_path, "tamer", "MountainCar-v0", "human", 30)
    assert min(returns) >= -150, returns


def test_tamer_cartpole_human(tmp_path):
    returns = greedy_returns(tmp_path, "tamer", "CartPole-v1", "human", 30)
    assert min(returns) >= 450, returns


def test_tamer_acrobot_human(tmp_path):
    returns = greedy_returns(tmp_path, "tamer", "Acrobot-v1", "human", 30)
    assert statistics.median(returns) >= -120 and min(returns) >= -150, returns


def test_deep_tamer_cartpole_human(tmp_path):
    # Issue 10 target: >= 400 in 50 episodes at the defaults.
    returns = greedy_returns(tmp_path, "deep-tamer", "CartPole-v1", "human", 50)
    assert min(returns) >= 400, returns
