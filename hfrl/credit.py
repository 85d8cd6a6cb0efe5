"""Credit assignment for live ratings over wall-time step intervals (DESIGN.md §5, TAMER).

A person rates what they saw a moment ago. Step ``i`` was shown during
``[t_start(i), t_end(i))``; a rating given at wall time ``t_f`` came from watching step ``i``
when the person's delay ``d = t_f - t`` (for some ``t`` in that interval) falls inside the
step's share of the delay window. The credit of step ``i`` is therefore::

    w_i = P(d in [t_f - t_end(i), t_f - t_start(i)]) = F(t_f - t_start(i)) - F(t_f - t_end(i))

with ``F`` the cumulative distribution of the delay (Knox & Stone's TAMER; uniform over
[0.2 s, 0.8 s] by default). Steps do not overlap, so the weights of one rating sum to at
most 1. Time is whatever the caller's clock says: ``time.monotonic()`` for a person,
:class:`hfrl.clock.SimClock` for a headless run at a display rate.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class DelayDistribution(Protocol):
    """A person's reaction delay in seconds, supported on ``[lo, hi]``."""

    lo: float
    hi: float

    def cdf(self, t: float) -> float:
        """P(delay <= t)."""
        ...

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one delay."""
        ...


@dataclass(frozen=True)
class UniformDelay:
    """Delay uniform over ``[lo, hi]`` seconds (Knox's TAMER reference code: 0.2-0.8 s)."""

    lo: float = 0.2
    """Shortest delay in seconds."""
    hi: float = 0.8
    """Longest delay in seconds."""

    def __post_init__(self) -> None:
        if not (0.0 <= self.lo < self.hi < math.inf):
            raise ValueError(f"UniformDelay needs 0 <= lo < hi < inf, got [{self.lo}, {self.hi}]")

    def cdf(self, t: float) -> float:
        """P(delay <= t)."""
        return min(1.0, max(0.0, (t - self.lo) / (self.hi - self.lo)))

    def sample(self, rng: np.random.Generator) -> float:
        """One delay, uniform over [lo, hi)."""
        return float(rng.uniform(self.lo, self.hi))

    @property
    def mean(self) -> float:
        """Expected delay in seconds."""
        return 0.5 * (self.lo + self.hi)


@dataclass(frozen=True)
class GammaDelay:
    """Gamma(shape, scale) delay truncated to ``[lo, hi]`` seconds.

    The defaults (shape 2, scale 0.28 s, so mode 0.28 s and untruncated mean 0.56 s, cut at
    1.5 s) put most of the mass where human reaction times to a visual event lie and keep a
    long right tail that a uniform window lacks. No scipy: the regularised incomplete gamma
    function is computed here (series / continued fraction).
    """

    shape: float = 2.0
    """Gamma shape k (> 0)."""
    scale: float = 0.28
    """Gamma scale θ in seconds (> 0)."""
    lo: float = 0.0
    """Truncation: shortest delay in seconds."""
    hi: float = 1.5
    """Truncation: longest delay in seconds (finite, so old steps can be forgotten)."""

    def __post_init__(self) -> None:
        if self.shape <= 0 or self.scale <= 0:
            raise ValueError(f"GammaDelay needs shape, scale > 0, got {self.shape}, {self.scale}")
        if not (0.0 <= self.lo < self.hi < math.inf):
            raise ValueError(f"GammaDelay needs 0 <= lo < hi < inf, got [{self.lo}, {self.hi}]")
        if self._mass <= 0.0:
            raise ValueError(
                f"GammaDelay({self.shape}, {self.scale}) has no mass in [{self.lo}, {self.hi}]"
            )

    @property
    def _g_lo(self) -> float:
        return gamma_cdf(self.lo, self.shape, self.scale)

    @property
    def _mass(self) -> float:
        return gamma_cdf(self.hi, self.shape, self.scale) - self._g_lo

    def cdf(self, t: float) -> float:
        """P(delay <= t) for the truncated distribution."""
        if t <= self.lo:
            return 0.0
        if t >= self.hi:
            return 1.0
        return (gamma_cdf(t, self.shape, self.scale) - self._g_lo) / self._mass

    def sample(self, rng: np.random.Generator) -> float:
        """One delay: Gamma draws rejected outside [lo, hi], inverse CDF if that is slow."""
        for _ in range(64):
            d = float(rng.gamma(self.shape, self.scale))
            if self.lo <= d <= self.hi:
                return d
        return self._inverse_cdf(float(rng.uniform()))

    def _inverse_cdf(self, u: float) -> float:
        a, b = self.lo, self.hi
        for _ in range(60):
            mid = 0.5 * (a + b)
            if self.cdf(mid) < u:
                a = mid
            else:
                b = mid
        return 0.5 * (a + b)


def gamma_cdf(t: float, shape: float, scale: float) -> float:
    """CDF of Gamma(shape, scale) at ``t``: the regularised lower incomplete gamma P(k, t/θ)."""
    if t <= 0.0:
        return 0.0
    return _gammp(shape, t / scale)


def _gammp(a: float, x: float) -> float:
    """Regularised lower incomplete gamma P(a, x) (series for x < a+1, else continued fraction)."""
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return min(1.0, total * math.exp(log_prefix))
    # Lentz's continued fraction for Q(a, x).
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return max(0.0, 1.0 - math.exp(log_prefix) * h)


def interval_credit(delay: DelayDistribution, t_f: float, t_start: float, t_end: float) -> float:
    """Credit a rating at ``t_f`` gives a step shown during ``[t_start, t_end)``.

    The part of the interval after ``t_f`` is not counted (the person cannot have seen it).
    """
    t_end = min(t_end, t_f)
    if t_end <= t_start:
        return 0.0
    return max(0.0, delay.cdf(t_f - t_start) - delay.cdf(t_f - t_end))


_MIN_WEIGHT = 1e-12


@dataclass
class _Shown:
    key: Any
    t_start: float
    t_end: float | None  # None: still on screen


class CreditAssigner:
    """Remembers when each recent step was shown and splits a rating's credit among them.

    Call :meth:`record` each time a step starts being shown (it closes the previous step's
    interval), :meth:`end_episode` when an episode's last step stops being shown, and
    :meth:`credit` when a rating arrives. Steps of an ended episode stay creditable until
    they leave the delay window, so a rating that arrives after the episode ended still
    reaches that episode's last steps. Ratings are expected in roughly chronological order:
    a step is forgotten once it ended more than ``delay.hi + slack`` seconds before the
    newest time the assigner has seen.

    Args:
        delay: the delay distribution (its ``hi`` bounds the window).
        slack: how many seconds a rating may be stamped before the newest recorded time and
            still be credited in full (a key press read one frame late, for example).
    """

    def __init__(self, delay: DelayDistribution | None = None, slack: float = 1.0) -> None:
        self.delay: DelayDistribution = delay if delay is not None else UniformDelay()
        if slack < 0:
            raise ValueError(f"slack must be >= 0, got {slack}")
        self.slack = slack
        self._steps: deque[_Shown] = deque()
        self._now = -math.inf  # newest time seen (records and ratings), for forgetting
        self._last_shown = -math.inf  # newest record / end time, which must not go back

    def __len__(self) -> int:
        return len(self._steps)

    def record(self, key: Any, t_start: float) -> None:
        """Step ``key`` starts being shown at ``t_start``; the previous open step ends then."""
        if t_start < self._last_shown:
            raise ValueError(f"record times must not go backwards: {t_start} < {self._last_shown}")
        self._last_shown = t_start
        self._close(t_start)
        self._steps.append(_Shown(key, t_start, None))
        self._advance(t_start)

    def end_episode(self, t: float) -> None:
        """The step on screen stops being shown at ``t`` (the episode ended)."""
        if t < self._last_shown:
            raise ValueError(f"end time must not go backwards: {t} < {self._last_shown}")
        self._last_shown = t
        self._close(t)
        self._advance(t)

    def credit(self, t_f: float) -> list[tuple[Any, float]]:
        """``(key, weight)`` for every step a rating at ``t_f`` credits, oldest first.

        Only weights above 1e-12 are returned (rounding dust at a window's edge is not
        credit); they sum to at most 1. The step still on screen
        counts as shown up to ``t_f``.
        """
        out = []
        for s in self._steps:
            if s.t_start >= t_f:
                break
            t_end = t_f if s.t_end is None else s.t_end
            w = interval_credit(self.delay, t_f, s.t_start, t_end)
            if w > _MIN_WEIGHT:
                out.append((s.key, w))
        self._advance(t_f)
        return out

    def clear(self) -> None:
        """Forget every step (for example when training restarts)."""
        self._steps.clear()

    def _close(self, t: float) -> None:
        if self._steps and self._steps[-1].t_end is None:
            self._steps[-1].t_end = t

    def _advance(self, t: float) -> None:
        self._now = max(self._now, t)
        horizon = self._now - self.delay.hi - self.slack
        while self._steps and self._steps[0].t_end is not None and self._steps[0].t_end < horizon:
            self._steps.popleft()


class CreditedLabels:
    """The label of each step: the credit-weighted mean of the ratings that hit it (Knox).

    ``label(key) = Σ w·h / Σ w`` over every rating ``h`` whose credit reached ``key`` with
    weight ``w``. Keys must be hashable (``(episode, step)`` pairs, for example).
    """

    def __init__(self) -> None:
        self._wh: dict[Hashable, float] = {}
        self._w: dict[Hashable, float] = {}

    def add(self, credits: list[tuple[Hashable, float]], value: float) -> None:
        """Apply one rating of ``value`` with the weights from :meth:`CreditAssigner.credit`."""
        for key, w in credits:
            self._wh[key] = self._wh.get(key, 0.0) + w * value
            self._w[key] = self._w.get(key, 0.0) + w

    def label(self, key: Hashable) -> float | None:
        """The credit-weighted mean rating of ``key``, or None if no rating reached it."""
        w = self._w.get(key, 0.0)
        return self._wh[key] / w if w > 0.0 else None

    def weight(self, key: Hashable) -> float:
        """Total credit ``key`` has received (how much evidence its label rests on)."""
        return self._w.get(key, 0.0)

    def items(self) -> Iterator[tuple[Hashable, float, float]]:
        """``(key, label, total weight)`` for every credited step, in first-credited order."""
        for key, w in self._w.items():
            if w > 0.0:
                yield key, self._wh[key] / w, w

    def discard(self, key: Hashable) -> None:
        """Forget ``key`` (once its label has been used for training, say)."""
        self._wh.pop(key, None)
        self._w.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return self._w.get(key, 0.0) > 0.0  # type: ignore[call-overload]

    def __len__(self) -> int:
        return sum(1 for w in self._w.values() if w > 0.0)
