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
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
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
class ShownStep:
    """One step as it was shown: its index, display interval, episode and the agent's payload.

    ``rating_sum`` / ``rating_weight`` accumulate ``w·value`` and ``w`` over the ratings that
    credited it, so :attr:`label` is Knox's credit-weighted mean rating of the step.
    """

    index: int
    """Step number, unique and increasing over the history's life (saves included)."""
    t_start: float
    """When it started being shown."""
    t_end: float | None
    """When it stopped being shown (None: still on screen)."""
    episode: int
    """Episode it belongs to."""
    payload: dict[str, Any]
    """Whatever the agent needs to learn from it (obs, action, features, π_old, ...)."""
    rating_sum: float = 0.0
    """Σ w·value over the ratings that credited this step."""
    rating_weight: float = 0.0
    """Σ w over the ratings that credited this step."""

    @property
    def label(self) -> float | None:
        """The credit-weighted mean rating of the step, or None if no rating reached it."""
        return self.rating_sum / self.rating_weight if self.rating_weight > 0.0 else None


@dataclass(frozen=True)
class CreditedStep:
    """One step a rating credits, with its weight and its label after that rating."""

    index: int
    """The step's :attr:`ShownStep.index`."""
    weight: float
    """The share of the rating it gets."""
    label: float
    """Its credit-weighted mean rating, this rating included (the rating's value if none)."""
    episode: int
    """Its episode."""
    payload: Mapping[str, Any]
    """The agent's payload recorded with it."""


class Credit(Sequence[tuple[int, float]]):
    """The steps one rating credits: ``(step index, weight)`` pairs, with full records.

    As a sequence it is what :meth:`hfrl.store.FeedbackStore.add` records; the agent learns
    from :attr:`steps`, the same object, so the store and the agent cannot disagree.
    """

    def __init__(self, t_f: float, value: float, steps: Sequence[CreditedStep]) -> None:
        self.t_f = float(t_f)
        self.value = float(value)
        self.steps: tuple[CreditedStep, ...] = tuple(steps)
        self.row: int | None = None
        """The feedback-store row the rating was stored in (set by the live loop)."""

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> tuple[int, float]:  # type: ignore[override]
        s = self.steps[i]
        return s.index, s.weight

    def __iter__(self) -> Iterator[tuple[int, float]]:
        return ((s.index, s.weight) for s in self.steps)

    def __repr__(self) -> str:
        return f"Credit(t_f={self.t_f:g}, value={self.value:g}, steps={list(self)})"

    @property
    def weights(self) -> np.ndarray:
        """The weights, shape (n,)."""
        return np.asarray([s.weight for s in self.steps], dtype=np.float64)

    @property
    def labels(self) -> np.ndarray:
        """The labels after this rating, shape (n,)."""
        return np.asarray([s.label for s in self.steps], dtype=np.float64)

    def stack(self, name: str) -> np.ndarray:
        """Payload field ``name`` of every credited step, stacked along a new first axis."""
        return np.stack([np.asarray(s.payload[name]) for s in self.steps])


@dataclass(frozen=True)
class TraceRule:
    """Arumugam et al.'s Deep COACH window: the last ``length`` steps shown at least
    ``delay_seconds`` before the rating, weighted λ^age (the newest has age 0)."""

    length: int
    """L: steps in the window."""
    lam: float
    """λ of the trace."""
    delay_seconds: float = 0.0
    """The window ends with the last step shown this long before the rating."""


class StepHistory:
    """The one record of shown steps that every live agent and the apps credit ratings from.

    Call :meth:`record` when a step starts being shown (it closes the previous step's
    interval) and :meth:`credit` when a rating arrives. The credit rule is the delay window
    (the share of each step's interval inside the delay distribution, Knox & Stone), or
    with ``trace`` Deep COACH's λ^age over the last L steps. A consumer that folds steps
    into a running trace (COACH's eligibility trace) takes them with :meth:`due` once the
    person's delay has passed.

    One forgetting rule: a step is forgotten once it ended more than ``horizon`` seconds
    before the newest time seen (the delay window's end, or the trace delay, plus
    ``slack``), unless it is one of the ``keep_last`` newest or :meth:`due` has not handed
    it out yet. Thread-safe (the apps record on the UI thread and credit on a worker).

    Args:
        delay: the delay distribution of window credit (uniform 0.2-0.8 s by default).
        trace: credit by :class:`TraceRule` instead of the delay window.
        slack: seconds a rating may be stamped before the newest recorded time and still
            be credited in full (a key press read one frame late, say).
        min_weight: credited steps with a smaller weight are left out.
        keep_last: always keep at least this many newest steps.
        feeds: :meth:`due` is used, so steps are kept until it has handed them out.
    """

    def __init__(
        self,
        delay: DelayDistribution | None = None,
        *,
        trace: TraceRule | None = None,
        slack: float = 1.0,
        min_weight: float = _MIN_WEIGHT,
        keep_last: int = 0,
        feeds: bool = False,
    ) -> None:
        if slack < 0:
            raise ValueError(f"slack must be >= 0, got {slack}")
        self.delay: DelayDistribution = delay if delay is not None else UniformDelay()
        self.trace = trace
        self.slack = slack
        self.min_weight = max(float(min_weight), _MIN_WEIGHT)
        self.keep_last = max(int(keep_last), trace.length if trace is not None else 0)
        self.feeds = feeds
        reach = self.delay.hi if trace is None else max(self.delay.hi, trace.delay_seconds)
        self.horizon = reach + slack
        self.next_index = 0
        """Index the next recorded step gets."""
        self._steps: deque[ShownStep] = deque()
        self._now = -math.inf  # newest time seen (records and ratings), for forgetting
        self._last_shown = -math.inf  # newest record time, which must not go back
        self._fed = -1  # highest index due() has handed out
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._steps)

    def steps(self) -> list[ShownStep]:
        """The remembered steps, oldest first (a copy of the list)."""
        with self._lock:
            return list(self._steps)

    @property
    def last_time(self) -> float:
        """The newest time the history has seen (-inf before the first record)."""
        return self._now

    @property
    def fed(self) -> int:
        """Index of the newest step :meth:`due` has handed out (-1: none)."""
        return self._fed

    @property
    def last(self) -> ShownStep | None:
        """The newest recorded step."""
        with self._lock:
            return self._steps[-1] if self._steps else None

    # ------------------------------------------------------------------ recording
    def record(self, t_start: float, payload: dict[str, Any], episode: int = 0) -> ShownStep:
        """A step starts being shown at ``t_start``; the previous open step ends then."""
        with self._lock:
            t_start = float(t_start)
            if t_start < self._last_shown:
                raise ValueError(
                    f"record times must not go backwards: {t_start} < {self._last_shown}"
                )
            self._last_shown = t_start
            if self._steps and self._steps[-1].t_end is None:
                self._steps[-1].t_end = t_start
            step = ShownStep(self.next_index, t_start, None, int(episode), payload)
            self.next_index += 1
            self._steps.append(step)
            self._advance(t_start)
            return step

    def close(self, t: float) -> None:
        """The step on screen stops being shown at ``t`` (a run of the session ended)."""
        with self._lock:
            last = self._steps[-1] if self._steps else None
            if last is not None and last.t_end is None:
                last.t_end = max(float(t), last.t_start)
                self._last_shown = max(self._last_shown, last.t_end)

    # ------------------------------------------------------------------ crediting
    def credit(self, t_f: float, value: float | None = None) -> Credit:
        """The steps a rating at ``t_f`` credits, oldest first, as one :class:`Credit`.

        With ``value``, each credited step's label accumulates it (Knox's weighted mean).
        Window credit: weights sum to at most 1; the step still on screen counts as shown
        up to ``t_f``. Trace credit: λ^age over the last L steps shown by ``t_f − delay``.
        """
        with self._lock:
            t_f = float(t_f)
            hits = self._trace_hits(t_f) if self.trace is not None else self._window_hits(t_f)
            out = []
            for s, w in hits:
                if value is not None:
                    s.rating_sum += w * float(value)
                    s.rating_weight += w
                label = s.label if s.label is not None else float(value or 0.0)
                out.append(CreditedStep(s.index, w, label, s.episode, s.payload))
            self._advance(t_f)
            return Credit(t_f, float(value or 0.0), out)

    def _window_hits(self, t_f: float) -> list[tuple[ShownStep, float]]:
        out = []
        for s in self._steps:
            if s.t_start >= t_f:
                break
            t_end = t_f if s.t_end is None else s.t_end
            w = interval_credit(self.delay, t_f, s.t_start, t_end)
            if w > self.min_weight:
                out.append((s, w))
        return out

    def _trace_hits(self, t_f: float) -> list[tuple[ShownStep, float]]:
        assert self.trace is not None
        cut = t_f - self.trace.delay_seconds + 1e-9
        shown = [s for s in self._steps if s.t_start <= cut][-self.trace.length :]
        n = len(shown)
        return [(s, float(self.trace.lam ** (n - 1 - i))) for i, s in enumerate(shown)]

    def due(
        self, now: float, delay_seconds: float = 0.0, delay_steps: int | None = None
    ) -> list[ShownStep]:
        """Steps not handed out before whose delay has passed by ``now``, oldest first.

        With ``delay_steps = d`` the newest d steps stay back (COACH's offset in steps);
        otherwise a step is due ``delay_seconds`` after it started being shown.
        """
        with self._lock:
            fresh = [s for s in self._steps if s.index > self._fed]
            if delay_steps is not None:
                out = fresh[: max(0, len(fresh) - delay_steps)]
            else:
                out = []
                for s in fresh:
                    if s.t_start > now - delay_seconds + 1e-9:
                        break
                    out.append(s)
            if out:
                self._fed = out[-1].index
            self._advance(now)
            return out

    def clear(self) -> None:
        """Forget every step (indices keep counting)."""
        with self._lock:
            self._steps.clear()

    def _advance(self, t: float) -> None:
        self._now = max(self._now, t)
        horizon = self._now - self.horizon
        while len(self._steps) > self.keep_last:
            first = self._steps[0]
            if first.t_end is None or first.t_end >= horizon:
                break
            if self.feeds and first.index > self._fed:
                break
            self._steps.popleft()

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, np.ndarray]:
        """The history as arrays (``payload.NAME`` stacked per field), for ``np.savez``."""
        with self._lock:
            steps = list(self._steps)
            out: dict[str, np.ndarray] = {
                "clock": np.asarray(
                    [self._now, self._last_shown, self._fed, self.next_index], dtype=np.float64
                ),
                "index": np.asarray([s.index for s in steps], dtype=np.int64),
                "t_start": np.asarray([s.t_start for s in steps], dtype=np.float64),
                "t_end": np.asarray(
                    [np.nan if s.t_end is None else s.t_end for s in steps], dtype=np.float64
                ),
                "episode": np.asarray([s.episode for s in steps], dtype=np.int64),
                "rating_sum": np.asarray([s.rating_sum for s in steps], dtype=np.float64),
                "rating_weight": np.asarray([s.rating_weight for s in steps], dtype=np.float64),
            }
            for name in steps[0].payload if steps else ():
                out[f"payload.{name}"] = np.stack([np.asarray(s.payload[name]) for s in steps])
            return out

    def restore(self, state: Mapping[str, np.ndarray]) -> None:
        """Replace the history by one :meth:`state` returned."""
        with self._lock:
            now, last_shown, fed, next_index = (float(x) for x in state["clock"])
            self._now, self._last_shown = now, last_shown
            self._fed, self.next_index = int(fed), int(next_index)
            names = [k[len("payload.") :] for k in state if k.startswith("payload.")]
            self._steps.clear()
            for i in range(len(state["index"])):
                t_end = float(state["t_end"][i])
                payload = {n: _scalar_or_array(state[f"payload.{n}"][i]) for n in names}
                self._steps.append(
                    ShownStep(
                        int(state["index"][i]),
                        float(state["t_start"][i]),
                        None if math.isnan(t_end) else t_end,
                        int(state["episode"][i]),
                        payload,
                        float(state["rating_sum"][i]),
                        float(state["rating_weight"][i]),
                    )
                )


def _scalar_or_array(x: np.ndarray) -> Any:
    """A 0-d saved value back as a Python number, arrays as arrays."""
    a = np.asarray(x)
    return a.item() if a.ndim == 0 else a.copy()
