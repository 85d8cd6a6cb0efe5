"""A simulated trainer for any Atari game: ratings from the hindsight return.

For games with a scripted expert (Bowling: ``hfrl.envs.experts.bowling_action``) the
standard ``perfect``/``human`` trainers judge agreement with it, which gives far more
ratings and a better teacher; this trainer is the option for games without one (and
stays available for Bowling as ``--teacher hindsight``). It judges behaviour by what it
led to: at each judgement (at most every ``min_interval`` seconds) it looks at the step
shown ``horizon`` seconds ago and at the true reward collected since then. If that reward
beats the running mean of the non-zero windowed rewards it has seen, it presses +1,
otherwise -1; windows with no reward at all get no rating (nothing happened worth judging,
for example while a bowling ball rolls). The press comes after a reaction delay, so the
rated step was shown ``horizon + delay`` seconds earlier; with the default horizon of 3 s
and delay 0.2-0.8 s that is inside Deep TAMER's [0.2 s, 4 s] credit window, so the credit
lands on the throw and steering that caused the score. After ``idle`` seconds without any
reward it presses -1 (an agent that never throws the ball is stalling). Ratings are flipped with
probability ``1 - consistency``.

This is the hindsight-return oracle of DESIGN.md §6: it may look ahead only as far as a
person's delayed reaction allows, and it never sees the emulator state. Register name:
``hindsight`` (``--teacher hindsight``, with overrides ``hindsight:horizon=2.5`` etc.).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hfrl.types import Scalar, Step


@dataclass(frozen=True)
class HindsightConfig:
    """Parameters of :class:`HindsightReturnTrainer`."""

    horizon: float = 3.0
    """Seconds of reward after a step that the judgement of that step looks at."""
    min_interval: float = 0.5
    """Shortest time between two presses (a person's pace: two a second)."""
    delay_min: float = 0.2
    """Shortest reaction delay after the judgement, seconds."""
    delay_max: float = 0.8
    """Longest reaction delay after the judgement, seconds."""
    consistency: float = 0.9
    """Probability that a rating has the right sign."""
    value: float = 1.0
    """Magnitude of a rating."""
    idle: float = 6.0
    """After this many seconds without any reward the trainer presses -1 (the agent is
    stalling, e.g. never throwing the ball); 0 turns this off."""


class HindsightReturnTrainer:
    """Scalar trainer rating a step by the true reward of the ``horizon`` seconds after it.

    Args:
        config: the trainer's parameters.
        seed: seeds the delays and mistakes.
        name: its name in summaries.
    """

    def __init__(
        self, config: HindsightConfig | None = None, seed: int = 0, name: str = "hindsight"
    ) -> None:
        self.config = config or HindsightConfig()
        self.name = name
        self.rng = np.random.default_rng(seed)
        self._window: deque[tuple[float, float]] = deque()  # (t_wall, reward) of recent steps
        self._window_sum = 0.0
        self._next_press = -math.inf
        self._last_reward_t: float | None = None
        self._mean = 0.0
        self._n = 0
        self.ratings_given = 0

    def params(self) -> dict[str, Any]:
        """Name and parameters for summary.json."""
        return {"name": self.name, "oracle": "hindsight-return", **asdict(self.config)}

    def rate(self, step: Step) -> Scalar | None:
        """Watch ``step``; maybe return a rating of the step shown ``horizon`` s ago."""
        c = self.config
        t = float(step.t_wall)
        if self._last_reward_t is None or step.true_reward != 0:
            self._last_reward_t = t
        if c.idle > 0 and t - self._last_reward_t >= c.idle and t >= self._next_press:
            self._last_reward_t = t  # one press per idle stretch
            return self._press(-c.value, t, step)
        self._window.append((t, float(step.true_reward)))
        self._window_sum += float(step.true_reward)
        if t - self._window[0][0] < c.horizon - 1e-9:
            return None
        while len(self._window) > 1 and t - self._window[1][0] >= c.horizon - 1e-9:
            self._window_sum -= self._window.popleft()[1]
        if t < self._next_press:
            return None
        r = self._window_sum
        if abs(r) < 1e-12:
            return None
        good = r > self._mean if self._n else r > 0
        self._n += 1
        self._mean += (r - self._mean) / self._n
        # Judged the window as a whole: do not rate the same reward twice.
        self._window.clear()
        self._window_sum = 0.0
        return self._press(c.value if good else -c.value, t, step)

    def _press(self, value: float, t: float, step: Step) -> Scalar:
        c = self.config
        if self.rng.random() > c.consistency:
            value = -value
        press = t + float(self.rng.uniform(c.delay_min, c.delay_max))
        self._next_press = press + c.min_interval - c.delay_min
        self.ratings_given += 1
        return Scalar(value, press, step.step, step.episode, self.name)


def _factory(env_id: str, seed: int, overrides: dict[str, str], oracle: Any = None) -> Any:
    from hfrl.teachers.presets import apply_overrides

    return HindsightReturnTrainer(apply_overrides(HindsightConfig(), overrides), seed=seed)


def register() -> None:
    """Register ``hindsight`` as a scalar teacher name (idempotent)."""
    from hfrl.teachers.presets import TEACHERS, register_teacher

    if "hindsight" not in TEACHERS:
        register_teacher(
            "hindsight",
            "scalar",
            _factory,
            "Atari: rates the step 3 s back by the reward since (hindsight return), <=2/s",
        )


register()
