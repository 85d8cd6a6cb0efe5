"""The Bowling effect oracle scores what a throw visibly leads to (real emulator frames)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hfrl.envs.make import make

from hfrl.errors import HfrlError
from hfrl.experts import (
    BOWLING_CURVE_COL,
    BOWLING_DOWN,
    BOWLING_UP,
    bowling_action,
    bowling_lane_groups,
)
from hfrl.teachers.bowling_effects import BowlingEffectOracle
from hfrl.teachers.presets import default_oracle, make_teacher

STEPS = 215  # two throws from the start of a game


def play(policy) -> tuple[np.ndarray, float]:
    """Signals of the oracle over two throws of ``policy(obs, expert_action, groups)``."""
    env = make("ALE/Bowling-v5", seed=0, render_mode=None, repeat_action_probability=0.0)
    obs, _ = env.reset()
    oracle, signals, score = BowlingEffectOracle(), [], 0.0
    for _ in range(STEPS):
        action = policy(obs, bowling_action(obs), bowling_lane_groups(obs))
        signals.append(oracle.signal(SimpleNamespace(obs=obs, action=action)))
        obs, reward, *_ = env.step(action)
        score += float(reward)
    return np.array(signals), score


def expert(obs, wanted, groups):
    return wanted


def never_hooks(obs, wanted, groups):
    return 0 if wanted == BOWLING_UP else wanted


def hooks_early(obs, wanted, groups):
    rolling = len(groups) >= 2 and 20 <= groups[-1][0] < BOWLING_CURVE_COL
    return BOWLING_UP if rolling else wanted


def curves_down_then_presses_up(obs, wanted, groups):
    rolling = len(groups) >= 2 and groups[-1][0] < BOWLING_CURVE_COL
    return BOWLING_DOWN if rolling else wanted


class StallsFirst:
    """Stands with the ball for ``stall`` steps, then plays as the expert."""

    def __init__(self, stall: int) -> None:
        self.left = stall

    def __call__(self, obs, wanted, groups):
        self.left -= 1
        return 0 if self.left >= 0 else wanted


class TapsUpOnce:
    """Presses UP for one step where the expert starts hooking, then waits: one step of UP
    does not curve the ball (the game needs the stick held for two steps)."""

    def __init__(self) -> None:
        self.hooking = False

    def __call__(self, obs, wanted, groups):
        tap = wanted == BOWLING_UP and not self.hooking
        self.hooking = wanted == BOWLING_UP
        return BOWLING_UP if tap else (0 if wanted == BOWLING_UP else wanted)


def test_the_expert_throw_is_never_scored_down_and_most_steps_are_not_judged():
    signals, score = play(expert)
    assert score > 0
    assert (signals < 0).sum() == 0
    assert (signals == 0).mean() > 0.4  # pins, the ball's return, the walk back


def test_a_ball_rolling_straight_past_the_curve_column_is_scored_down():
    signals, _ = play(never_hooks)
    expert_signals, _ = play(expert)
    assert (signals < 0).sum() >= 30  # the straight roll past the column, both throws
    assert (signals > 0).sum() < (expert_signals > 0).sum()


def test_an_early_hook_is_scored_down_while_the_ball_curves():
    signals, _ = play(hooks_early)
    assert (signals < 0).sum() > 40


def test_a_hook_pressed_after_a_down_curve_is_judged_by_the_ball_not_the_stick():
    # From the bottom of the lane a down-curve does not show: the ball runs straight on,
    # however hard UP is pressed where the expert hooks.
    signals, score = play(curves_down_then_presses_up)
    expert_signals, expert_score = play(expert)
    assert score < expert_score
    assert (signals < 0).sum() >= 30  # the pressed-down roll, and the straight run on
    assert (signals > 0).sum() < (expert_signals > 0).sum() - 30


def test_a_stall_is_scored_down_and_the_throw_that_ends_it_up():
    signals, _ = play(StallsFirst(40))
    assert (signals[:40] == -1).all()  # standing with the ball at the start line
    assert (signals[41:50] == 1).all()  # the bowler winding up to throw


def test_a_tap_that_does_not_curve_the_ball_is_no_hook():
    signals, _ = play(TapsUpOnce())
    assert (signals < 0).sum() >= 30


def test_effects_are_what_human_atari_can_judge_and_only_where_an_oracle_exists():
    assert make_teacher("human-atari", "ALE/Bowling-v5", 0).oracle.name == "bowling-effects"
    judging_actions = make_teacher("human-atari:judge=actions", "ALE/Bowling-v5", 0)
    assert judging_actions.oracle.name.startswith("expert-agreement")
    assert make_teacher("human", "ALE/Bowling-v5", 0).oracle.name.startswith("expert-agreement")
    assert default_oracle("ALE/Bowling-v5", "auto").name == "bowling-effects"
    assert default_oracle("CartPole-v1", "auto").name.startswith("expert-agreement")
    with pytest.raises(HfrlError, match="no effect oracle for CartPole-v1"):
        default_oracle("CartPole-v1", "effects")
    with pytest.raises(HfrlError, match="judge must be"):
        make_teacher("human-atari:judge=sideways", "ALE/Bowling-v5", 0)
