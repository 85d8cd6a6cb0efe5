"""Bowling judged by its effects: what a person watching the lane sees each step lead to.

The expert-agreement oracle (:class:`~hfrl.teachers.oracles.ExpertAgreementOracle`) scores
every step by whether its action is the scripted expert's. In Bowling most actions change
nothing: while the bowler winds up, while the pins fall, while the ball comes back, and once
the ball's curve is set (the first direction pressed after the throw sets it for the whole
roll), every action has the same effect. Measured with the emulator state cloned (one action
changed at each step of an expert throw, the expert afterwards): only the throw, a direction
pressed before the curve column and the hook itself change the outcome, and a direction
pressed for one step does not curve the ball (the stick must be held for two). Agreement still
scores those other steps ±1 (it punishes a harmless NOOP after the hook, because the
expert's rule keeps pressing UP), which teaches "NOOP is usually right" far more often than
it teaches the hook, and the agent ends up never throwing or never hooking.

A person watching rates what they see happen instead: the ball, not the joystick. This
oracle scores a step:

- ball in hand at the start line: +1 for the expert's action (step down to the bottom of
  the lane, then throw), -1 otherwise (standing still with the ball is stalling);
- ball rolling straight before the curve column: +1 for leaving it alone (NOOP or FIRE),
  -1 for a direction (held, it curves the ball too soon);
- ball rolling straight from the curve column on: +1 for UP (the hook) and -1 otherwise,
  until the ball passes the point where even a late hook would show (the curve column plus
  two steps for a press to show plus :data:`LATE_COLS`); from there on -1 whatever is
  pressed: the hook was missed (a down-curve set at the bottom of the lane does not show, so
  the ball runs straight on however UP is pressed, and a person sees only that);
- ball curving: the curve itself, +1 while it is an up-curve that began at the curve
  column (up to :data:`LATE_COLS` columns later), -1 while it is any other curve, whatever
  the action (a person keeps seeing the hook, good or bad, until the ball reaches the pins);
- the bowler winding up to throw (from the start line until the ball leaves the hand): +1,
  the game goes on (after a stall, the throw is what a person was waiting for);
- everything else (pins, the ball's return, the bowler walking back): 0, nothing to judge.

The curve is read off the frames (the ball's row leaving the row it was thrown on), so it
is what the screen shows, sticky actions included. The oracle keeps the current throw's
curve between steps: call :meth:`signal` on every shown step, in order.
"""

from __future__ import annotations

import numpy as np

from hfrl.experts import (
    BOWLING_CURVE_COL,
    BOWLING_FIRE,
    BOWLING_NOOP,
    BOWLING_PINS_COL,
    BOWLING_START_COL,
    BOWLING_UP,
    bowling_in_hand_action,
    bowling_lane_groups,
)
from hfrl.types import Step

BOWLING_UPFIRE = 4
"""UP-FIRE, which steers as UP does (Bowling's minimal set: NOOP FIRE UP DOWN UPFIRE DOWNFIRE)."""

WAITING = (BOWLING_NOOP, BOWLING_FIRE)
"""Actions that leave a rolling ball alone."""
HOOKING = (BOWLING_UP, BOWLING_UPFIRE)
"""Actions that hook a rolling ball up."""
LATE_COLS = 10
"""An up-curve first seen more than this many columns past the curve column is too late."""
SEEN_AFTER_PRESS_COLS = 2
"""A curve shows in the frames about two steps (two columns of the ball) after the press."""


class BowlingEffectOracle:
    """Scores Bowling steps in [-1, 1] by what they visibly lead to (see the module)."""

    name = "bowling-effects"

    def __init__(self) -> None:
        self._throw_row: int | None = None  # top row the rolling ball was first seen on
        self._curve: float | None = None  # +1 / -1 once the current throw's curve shows
        self._returning = False
        self._winding_up = False  # the bowler has left the start line with the ball

    def signal(self, step: Step) -> float:
        """Score ``step`` (its frame stack and action); keeps the current throw's state."""
        action = int(np.asarray(step.action))
        groups = bowling_lane_groups(step.obs)
        if len(groups) < 2:  # no ball on the lane left of the pins
            self._throw_row, self._curve, self._returning = None, None, False
            if groups and groups[0][0] <= BOWLING_START_COL:  # ball in hand at the start line
                self._winding_up = True
                return 1.0 if action == bowling_in_hand_action(groups[0]) else -1.0
            return 1.0 if self._winding_up else 0.0  # the bowler throwing: the game goes on
        self._winding_up = False
        col, row = groups[-1][0], groups[-1][2]
        if self._throw_row is None:  # first sight of this ball: thrown, or coming back
            self._throw_row = row
            self._returning = col >= (BOWLING_START_COL + BOWLING_PINS_COL) // 2
        if self._returning:
            return 0.0
        if self._curve is None and row != self._throw_row:
            on_time = 0 <= col - SEEN_AFTER_PRESS_COLS - BOWLING_CURVE_COL <= LATE_COLS
            self._curve = 1.0 if row < self._throw_row and on_time else -1.0
        if self._curve is not None:
            return self._curve
        if col < BOWLING_CURVE_COL:
            return 1.0 if action in WAITING else -1.0
        if col < BOWLING_CURVE_COL + SEEN_AFTER_PRESS_COLS + LATE_COLS:
            return 1.0 if action in HOOKING else -1.0
        return -1.0  # still straight where even a late hook would show: it was missed
