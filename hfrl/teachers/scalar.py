"""Simulated scalar trainers: live ±1 ratings from an oracle signal (DESIGN.md §6).

A trainer watches each step as it is shown (``rate(step)``). It *judges* at
opportunities: with ``min_interval = 0`` every step is one; otherwise it judges at a
person's pace (see below). At an opportunity it

1. averages the oracle signal over the steps watched since its previous judgement
   (one step when every step is an opportunity), or, with ``judge_seconds = g``, over the
   behaviour it has seen in the last ``g`` seconds (the steps shown during ``[t - g, t]``,
   each weighted by how long it was on screen then; ``t`` the judgement's time);
2. decides to rate with probability ``L(t) = max(L_floor, L0 · exp(-(t - t0) / τ))``
   (sparsity ``L0``, fatigue time constant ``τ`` from the first step it watched, ``t0``;
   no fatigue when ``τ`` is None);
3. rates only if ``|mean| > margin``, giving ``value · sign(mean)`` (with
   ``rate_persistent_mistakes``, also when every step judged scored below 0: ``-value``);
4. flips that rating with probability ``1 - C`` (consistency ``C``);
5. presses the key after a delay ``d`` drawn from the delay distribution: the returned
   :class:`~hfrl.types.Scalar` has ``t_wall = step.t_wall + d``. With a span ``g``, ``d``
   lies in ``[delay_min, delay_max - g]``, so every moment the rating judged was shown
   ``delay_min`` to ``delay_max`` seconds before the key press: ``delay_min``/``delay_max``
   bound the lag from what is rated to the press, the quantity Knox & Stone's 0.2-0.8 s
   window describes. The runner hands it to
   the agent when its clock reaches that time (:class:`FeedbackQueue` does this); the
   agent's credit assignment then spreads it over the steps inside its delay window.

Pace (``min_interval > 0``): key presses are at least ``min_interval`` seconds apart, so
a trainer presses at most ``1 / min_interval`` times a second. After a press at ``p`` the
next judgement waits for the first step shown at or after ``p + min_interval - lo``
(``lo`` the shortest delay), so the next press, at least ``lo`` later, keeps the pace
without distorting the delay distribution; after an opportunity without a press the next
one comes ``min_interval`` later, and the first one comes ``min_interval`` after the first
step watched. Presses then arrive in order. With ``min_interval = 0``
every step can be rated and ratings can arrive out of order (delays are independent).

Each random choice (rate or not, flip or not, delay) has its own generator spawned from
the seed, so the statistics of one do not depend on how often the others are drawn.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from hfrl.credit import DelayDistribution, GammaDelay, UniformDelay
from hfrl.teachers.oracles import ScalarOracle
from hfrl.types import Scalar, Step

_EPS_T = 1e-9  # time tolerance: 15 frames of 1/30 s must count as 0.5 s


@dataclass(frozen=True)
class ScalarTrainerConfig:
    """Parameters of a simulated scalar trainer (defaults: the ``perfect`` trainer)."""

    margin: float = 0.0
    """Rate only when the judged mean signal's magnitude exceeds this (in [0, 1))."""
    rate_probability: float = 1.0
    """L0: probability of rating at an opportunity (sparsity), before fatigue."""
    consistency: float = 1.0
    """C: probability that a rating has the oracle's sign (1 - C are mistakes)."""
    delay: str = "uniform"
    """Delay distribution: ``"uniform"`` over [delay_min, delay_max] or truncated ``"gamma"``."""
    delay_min: float = 0.2
    """Shortest reaction delay in seconds."""
    delay_max: float = 0.8
    """Longest reaction delay in seconds."""
    gamma_shape: float = 2.0
    """Shape of the Gamma delay (``delay="gamma"`` only)."""
    gamma_scale: float = 0.28
    """Scale in seconds of the Gamma delay (``delay="gamma"`` only)."""
    fatigue_tau: float | None = None
    """τ in seconds: L decays as exp(-t/τ) from the first step watched; None = no fatigue."""
    fatigue_floor: float = 0.0
    """Lowest rating probability fatigue brings L down to."""
    min_interval: float = 0.0
    """Shortest time in seconds between two key presses (a person's pace); 0 = no pace."""
    judge_seconds: float | None = None
    """Span of behaviour one judgement rates, in seconds: the steps shown during the last
    ``judge_seconds`` before it (weighted by time on screen), and the press then comes
    ``delay_min`` to ``delay_max - judge_seconds`` later. None: every step watched since the
    previous judgement, pressed ``delay_min`` to ``delay_max`` after the judgement."""
    value: float = 1.0
    """Magnitude of a rating (Knox's keys: 1, or 10 for a strong key)."""
    judge: str = "actions"
    """What the oracle scores: ``"actions"``, whether each action is the scripted expert's
    (:class:`~hfrl.teachers.oracles.ExpertAgreementOracle`); ``"effects"``, what each step
    visibly leads to, for an env that has such an oracle
    (``hfrl.teachers.presets.EFFECT_ORACLES``: Bowling); ``"auto"``, effects where the env
    has that oracle and actions elsewhere."""
    rate_persistent_mistakes: bool = False
    """Rate −1 a judgement in which every step watched scored below 0, even when the mean is
    within ``margin``: a person punishes an agent that keeps doing the wrong thing or stalls
    however small the oracle makes each mistake (a policy-dependent oracle scores a mistake
    the agent has settled on near 0)."""

    def __post_init__(self) -> None:
        for name in ("rate_probability", "consistency", "fatigue_floor"):
            if not (0.0 <= getattr(self, name) <= 1.0):
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not (0.0 <= self.margin < 1.0):
            raise ValueError(f"margin must be in [0, 1), got {self.margin}")
        if self.judge not in ("actions", "effects", "auto"):
            raise ValueError(f"judge must be 'actions', 'effects' or 'auto', got {self.judge!r}")
        if self.delay not in ("uniform", "gamma"):
            raise ValueError(f"delay must be 'uniform' or 'gamma', got {self.delay!r}")
        if self.fatigue_tau is not None and not (self.fatigue_tau > 0):
            raise ValueError(f"fatigue_tau must be positive or None, got {self.fatigue_tau}")
        if self.min_interval < 0:
            raise ValueError(f"min_interval must be >= 0, got {self.min_interval}")
        if not (self.value > 0):
            raise ValueError(f"value must be positive, got {self.value}")
        span = self.judge_seconds
        if span is not None and not (0 < span < self.delay_max - self.delay_min):
            raise ValueError(
                f"judge_seconds must be None or in (0, delay_max - delay_min), got {span}"
            )
        self.delay_distribution()  # validates the delay bounds

    def delay_distribution(self) -> DelayDistribution:
        """The distribution of the delay from a judgement to its key press (its upper end is
        ``delay_max - judge_seconds`` when the trainer judges a span)."""
        hi = self.delay_max - (self.judge_seconds or 0.0)
        if self.delay == "gamma":
            return GammaDelay(self.gamma_shape, self.gamma_scale, self.delay_min, hi)
        return UniformDelay(self.delay_min, hi)

    def rate_probability_at(self, elapsed: float) -> float:
        """L after ``elapsed`` seconds of watching (fatigue applied)."""
        if self.fatigue_tau is None:
            return self.rate_probability
        decayed = self.rate_probability * math.exp(-max(0.0, elapsed) / self.fatigue_tau)
        return max(self.fatigue_floor, decayed)


PERFECT = ScalarTrainerConfig()
"""``perfect``: rates every step (L = 1, no pace, margin 0), always right (C = 1), after a
delay uniform over [0.2 s, 0.8 s] (Knox & Stone's reaction window), never tires: an upper
bound, not a person."""

HUMAN = ScalarTrainerConfig(
    margin=0.2,
    rate_probability=1.0,
    consistency=0.9,
    delay_min=0.2,
    delay_max=0.8,
    judge_seconds=0.3,
    fatigue_tau=1800.0,
    fatigue_floor=0.5,
    min_interval=0.5,
)
"""``human``: a person's pace. Each parameter and the figure it follows:

- what a rating is about: the behaviour of the last 0.3 s (``judge_seconds``), pressed
  0.2-0.5 s later, so every moment it rates was on screen 0.2-0.8 s before the key press:
  Knox & Stone's (2009) reaction window for TAMER, the window TAMER, COACH and Deep COACH
  credit by default (Warnell et al.'s 0.2-4 s Deep TAMER window, used on Atari, contains it);
- pace: at most two presses a second (``min_interval`` 0.5 s; a busy trainer presses about
  1.5 times a second), the rate of Knox & Stone's and Warnell et al.'s human trainers;
- judgement: rates when the mean signal over that span is beyond ±0.2 (at least 60% of it
  agrees), the sign of that mean;
- mistakes: 10% of ratings have the wrong sign (C = 0.9);
- fatigue: L = exp(-t / 30 min), never below 0.5 (after 5 minutes L ≈ 0.85)."""

HUMAN_ATARI = dataclasses.replace(HUMAN, judge_seconds=3.2, delay_max=4.0, judge="auto")
"""``human-atari``: the ``human`` trainer watching an Atari game, where what a person judges
is a stretch of play rather than a moment (Bowling: a throw and the ball's roll; from the
throw to the score takes about 7 s at 15 fps). Each parameter and the figure it follows:

- what a rating is about: the last 3.2 s of play (``judge_seconds``), pressed 0.2-0.8 s
  after that stretch ends (Knox & Stone's 2009 reaction window), so every moment it rates
  was on screen 0.2-4 s before the key press: Warnell et al.'s (2018) window, the window
  Deep TAMER credits by default; about 84% of a rating's credit (3.2 of 3.8 s) then falls
  on what it judged, against 8% (0.3 of 3.8 s) for ``human`` under that window;
- what it judges: what the play visibly leads to where the game has an effect oracle
  (``judge="auto"``; Bowling: :mod:`hfrl.teachers.bowling_effects`, the throw, the straight
  roll past the hook point, the curve), not whether each key matches a scripted expert's:
  a person watching sees the ball curve, not the joystick, and most of a game's steps
  change nothing whatever is pressed (agreement elsewhere, and with ``judge=actions``);
- pace, judgement, mistakes and fatigue: as ``human`` (at most two presses a second, the
  sign of a mean beyond ±0.2, 10% wrong, L = exp(-t / 30 min) down to 0.5)."""

SCALAR_PRESETS: dict[str, ScalarTrainerConfig] = {
    "perfect": PERFECT,
    "human": HUMAN,
    "human-atari": HUMAN_ATARI,
}
"""Named scalar trainers."""


class ScalarTrainer:
    """A simulated live trainer (implements :class:`hfrl.protocols.ScalarTeacher`).

    Args:
        config: the trainer's parameters (see :data:`SCALAR_PRESETS`).
        oracle: scores each step in [-1, 1] (e.g. :class:`ExpertAgreementOracle`).
        seed: seeds the trainer's random choices.
        name: its name in logs and feedback records.
    """

    def __init__(
        self,
        config: ScalarTrainerConfig,
        oracle: ScalarOracle,
        seed: int = 0,
        name: str = "custom",
    ) -> None:
        self.config = config
        self.oracle = oracle
        self.seed = seed
        self.name = name
        self.delay = config.delay_distribution()
        rate_seq, flip_seq, delay_seq = np.random.SeedSequence(seed).spawn(3)
        self._rate_rng = np.random.default_rng(rate_seq)
        self._flip_rng = np.random.default_rng(flip_seq)
        self._delay_rng = np.random.default_rng(delay_seq)
        self._t0: float | None = None
        self._next_opportunity = -math.inf
        self._window_sum = 0.0
        self._window_n = 0
        self._window_max = -math.inf
        self._shown: deque[tuple[float, float]] = deque()  # (t_wall, signal), span mode
        self.steps_seen = 0
        self.ratings_given = 0

    def rate(self, step: Step) -> Scalar | None:
        """Watch ``step``; return a rating stamped with the time it is given, or None."""
        cfg = self.config
        t = step.t_wall
        if self._t0 is None:  # watch for min_interval before the first judgement
            self._t0 = t
            self._next_opportunity = t + cfg.min_interval
        self.steps_seen += 1
        signal = float(self.oracle.signal(step))
        self._window_sum += signal
        self._window_n += 1
        self._window_max = max(self._window_max, signal)
        span = cfg.judge_seconds
        if span is not None:
            self._shown.append((t, signal))
            while len(self._shown) > 2 and self._shown[1][0] <= t - span + _EPS_T:
                self._shown.popleft()  # ended before the span starts
        if t + _EPS_T < self._next_opportunity:
            return None
        if span is None:
            mean, best = self._window_sum / self._window_n, self._window_max
        else:
            mean, best = self._span_mean(t, span, signal)
        self._window_sum, self._window_n, self._window_max = 0.0, 0, -math.inf
        self._next_opportunity = t + cfg.min_interval
        if self._rate_rng.random() >= self.rate_probability(t):
            return None
        if abs(mean) <= cfg.margin and not (cfg.rate_persistent_mistakes and best < 0):
            return None
        value = cfg.value if mean > 0 else -cfg.value
        if self._flip_rng.random() >= cfg.consistency:
            value = -value
        press = t + self.delay.sample(self._delay_rng)
        if cfg.min_interval > 0:
            self._next_opportunity = press + cfg.min_interval - self.delay.lo
        self.ratings_given += 1
        return Scalar(
            value=value,
            t_wall=press,
            step=self.steps_seen - 1,
            episode=step.episode,
            source=self.name,
        )

    def _span_mean(self, t: float, span: float, current: float) -> tuple[float, float]:
        """Mean signal of the steps shown during ``[t - span, t]``, weighted by time on screen
        (the step starting at ``t`` has not been seen yet; alone, it is judged itself), and
        the highest signal among them."""
        num = den = 0.0
        best = -math.inf
        for (t0, value), (t1, _) in itertools.pairwise(self._shown):
            overlap = min(t1, t) - max(t0, t - span)
            if overlap > _EPS_T:
                num += overlap * value
                den += overlap
                best = max(best, value)
        return (num / den, best) if den > 0 else (current, current)

    def rate_probability(self, t: float) -> float:
        """L at clock time ``t`` (fatigue counted from the first step watched)."""
        t0 = t if self._t0 is None else self._t0
        return self.config.rate_probability_at(t - t0)

    def params(self) -> dict[str, object]:
        """The trainer's parameters for summaries (JSON-ready)."""
        out: dict[str, object] = {"name": self.name, "kind": "scalar", "seed": self.seed}
        out.update(dataclasses.asdict(self.config))
        out["oracle"] = getattr(self.oracle, "name", type(self.oracle).__name__)
        return out


class FeedbackQueue:
    """Ratings waiting for the clock to reach their ``t_wall``, delivered in time order.

    A headless runner pushes what ``rate`` returns and, each frame, gives the agent
    ``pop_due(clock.now())``.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Scalar]] = []
        self._count = 0

    def push(self, scalar: Scalar | None) -> None:
        """Queue a rating (None is ignored, so ``push(trainer.rate(step))`` works)."""
        if scalar is None:
            return
        heapq.heappush(self._heap, (scalar.t_wall, self._count, scalar))
        self._count += 1

    def pop_due(self, now: float) -> list[Scalar]:
        """Every queued rating with ``t_wall <= now``, oldest first."""
        out = []
        while self._heap and self._heap[0][0] <= now + _EPS_T:
            out.append(heapq.heappop(self._heap)[2])
        return out

    def pop_all(self) -> list[Scalar]:
        """Every queued rating, oldest first (at the end of a run)."""
        return self.pop_due(math.inf)

    def __len__(self) -> int:
        return len(self._heap)
