"""Learning-quality checks of COACH and Deep COACH, run as a user runs them (slow tier).

Trainer: ``human-pd``, the ``human`` trainer (at most 2 presses a second, judging the last
0.3 s it saw, every judged moment 0.2-0.8 s before the press, 10% wrong, slowly tiring)
rating the advantage 1[a = a*] − π(a*|s) of the agent's own policy, with a 0.05 margin, and
rating −1 a span in which every step was a mistake (a stall; re-run with that rule on
2026-12-01, load ~4: all five checks pass; the figures below are from before it).
Each check runs ``hfrl train AGENT --env ENV --teacher human-pd --episodes N --seed S`` for
seeds 0-2 (subprocesses, two at a time) with no agent-config option: the agent's settings and display
rate come from the presets table. It asserts the greedy return of EVERY seed. Measured
with these commands, seeds 0 / 1 / 2, on the shared 2-core machine under load 10-19:

- COACH CartPole-v1, 40 episodes (10 fps): 500 / 500 / 500 (issue 10's target: 450)
- COACH MountainCar-v0, 40 episodes (30 fps): -135.1 / -141.0 / -133.0
- Deep COACH CartPole-v1, 60 episodes (lr 6e-3 from the table): 500 / 500 / 500 at its
  10 fps, 500 / 497 / 500 with ``--fps 20`` and 500 / 500 / 500 with ``--fps 50`` (issue
  10's target: 400; with lr 3e-3, 328 on seed 0 at 50 fps)
"""

from __future__ import annotations

import pytest
from live_cli import greedy_returns

pytestmark = pytest.mark.slow


def test_coach_cartpole_human_pd(tmp_path):
    # Issue 10 target: >= 450 in 40 episodes.
    returns = greedy_returns(tmp_path, "coach", "CartPole-v1", "human-pd", 40)
    assert min(returns) >= 450, returns


def test_coach_mountain_car_human_pd(tmp_path):
    returns = greedy_returns(tmp_path, "coach", "MountainCar-v0", "human-pd", 40)
    assert min(returns) >= -160, returns


@pytest.mark.parametrize("fps", [None, 20.0, 50.0], ids=["default-fps", "20fps", "50fps"])
def test_deep_coach_cartpole_human_pd(tmp_path, fps):
    # Issue 10 target: >= 400 in 60 episodes at the default display rate and at 10 fps. The
    # table's default for CartPole is 10 fps, so the other rates are 20 fps and the env's own
    # 50 fps: window credit keeps the rated step whatever the fps (the delay window spans 12
    # and 30 steps there); at 50 fps 60 episodes are only ~30 simulated seconds of ratings.
    returns = greedy_returns(tmp_path, "deep-coach", "CartPole-v1", "human-pd", 60, fps=fps)
    assert min(returns) >= 400, returns
