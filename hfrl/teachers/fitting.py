"""Estimate a simulated teacher's parameters from what a person did (``hfrl fit-teacher``).

**Preference teacher** (B-Pref, :mod:`hfrl.teachers.preference`), from a comparison session:
for every answered pair the true returns ``R0, R1`` of the two clips (padded with absorbing
steps to a common length) and the return scale ``S`` (mean ``|R|`` of the session's clips of
that length) give

- ``skip_fraction``: the threshold ``t`` for which "skip iff ``max(R0, R1) - floor < t·S``"
  agrees with the most answers (``floor = min(0, lowest return)``); 0 when nothing was skipped;
- ``equal_fraction``: the same for "equal iff ``|R0 - R1| < e·S``" over the answers not skipped;
- ``beta`` and ``eps``: maximum likelihood of the left/right answers under
  ``P(left) = (1 - ε)·σ(β·(R0 - R1)) + ε·σ(β·(R1 - R0))`` on a grid (β on a log grid and ∞,
  ε in [0, 0.5]).

**Scalar trainer** (:mod:`hfrl.teachers.scalar`), from a live-rating session whose shown steps
were recorded (their display interval, observation and action): each step's oracle signal is
the scripted expert's agreement (+1 / −1). Then

- the delay window ``[delay_min, delay_max]`` and the consistency ``C``: maximum likelihood of
  the ratings' signs, ``P(v | t_f) = Σ_i w_i(lo, hi) · (C if sign(v) = s_i else 1 - C)``
  normalised by ``Σ_i w_i``, where ``w_i`` is the share of step i's display interval inside
  ``[t_f - hi, t_f - lo]`` (the credit the TAMER window gives it), on a grid of windows;
- ``min_interval``: the 2nd percentile of the gaps between presses (0 when presses come faster
  than the display rate allows pacing to show);
- the rating rate ``L0`` and fatigue ``τ``: the presses per judging opportunity (one per
  ``max(min_interval, frame time)``) over the first and the last third of the session; a
  decline fits ``L(t) = L0·exp(-t/τ)``, none leaves ``fatigue_tau = None``.

Each fit reports how well it explains the session: the log-likelihood per answer against a
coin flip (and against the preset the fit started from), and the share of skips, equals and
signs the fitted teacher would reproduce.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hfrl.types import EQUAL, Preference

BETAS = (0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, math.inf)
"""β values the preference fit searches (∞: always the better clip)."""
EPSILONS = tuple(np.round(np.arange(0.0, 0.51, 0.01), 2))
"""ε values the preference fit searches."""


@dataclass
class FitReport:
    """What a fit found and how well it explains the session."""

    kind: str
    """``scalar`` or ``preference``."""
    params: dict[str, Any]
    """The fitted config fields."""
    explained: dict[str, float] = field(default_factory=dict)
    """Agreement and likelihood figures (per answer)."""
    counts: dict[str, int] = field(default_factory=dict)
    """How much data the fit used."""

    def lines(self) -> list[str]:
        """A human-readable summary, one figure per line."""
        out = [f"fitted {self.kind} teacher from {self.counts}:"]
        out += [f"  {k} = {_fmt(v)}" for k, v in self.params.items()]
        out.append("how well it explains the session:")
        out += [f"  {k}: {_fmt(v)}" for k, v in self.explained.items()]
        return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:.4g}"
    return str(v)


# ---------------------------------------------------------------------- preferences
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _best_threshold(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """The ``t`` for which ``scores < t`` best matches ``positive``; and that agreement."""
    if not positive.any():
        return 0.0, float(np.mean(~positive)) if len(positive) else 1.0
    candidates = np.unique(np.concatenate([[0.0], scores, scores + 1e-9]))
    best_t, best_acc = 0.0, -1.0
    for t in candidates:
        acc = float(np.mean((scores < t) == positive))
        if acc > best_acc + 1e-12:
            best_t, best_acc = float(t), acc
    # centre the threshold in the gap it falls in, so it generalises to unseen returns
    below = scores[scores < best_t]
    above = scores[scores >= best_t]
    if len(below) and len(above):
        best_t = 0.5 * (float(below.max()) + float(above.min()))
    return best_t, best_acc


def pair_returns(prefs: list[Preference]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``R0, R1`` and the return scale ``S`` of each comparison (absorbing padding)."""
    r0, r1, lengths = [], [], []
    for p in prefs:
        n = max(len(p.left), len(p.right))
        r0.append(float(p.left.padded(n).true_rewards.sum()))
        r1.append(float(p.right.padded(n).true_rewards.sum()))
        lengths.append(n)
    r0a, r1a, la = np.array(r0), np.array(r1), np.array(lengths)
    scale = np.zeros(len(prefs))
    for n in np.unique(la):
        sel = la == n
        scale[sel] = np.mean(np.abs(np.concatenate([r0a[sel], r1a[sel]])))
    return r0a, r1a, scale


def fit_preference_teacher(prefs: list[Preference]) -> FitReport:
    """Fit β, ε, the equal and skip thresholds to recorded comparisons (see module doc)."""
    from hfrl.errors import HfrlError

    if len(prefs) < 10:
        raise HfrlError(
            f"fitting a preference teacher needs at least 10 comparisons, got {len(prefs)}"
        )
    r0, r1, scale = pair_returns(prefs)
    scale = np.where(scale > 0, scale, 1.0)
    skipped = np.array([p.label is None for p in prefs])
    floor = min(0.0, float(np.min(np.concatenate([r0, r1]))))
    skip_score = (np.maximum(r0, r1) - floor) / scale
    skip_fraction, skip_acc = _best_threshold(skip_score, skipped)
    answered = ~skipped
    labels = np.array([np.nan if p.label is None else p.label for p in prefs])
    equal = answered & (labels == EQUAL)
    eq_score = np.abs(r0 - r1) / scale
    equal_fraction, eq_acc = _best_threshold(eq_score[answered], equal[answered])
    decided = answered & ~equal
    diff = (r0 - r1)[decided]
    left = labels[decided] == 1.0
    best = (-math.inf, math.inf, 0.0)
    for beta in BETAS:
        p_beta = (
            np.where(diff > 0, 1.0, np.where(diff < 0, 0.0, 0.5))
            if math.isinf(beta)
            else _sigmoid(beta * diff)
        )
        for eps in EPSILONS:
            p_left = (1 - eps) * p_beta + eps * (1 - p_beta)
            p = np.clip(np.where(left, p_left, 1 - p_left), 1e-12, 1.0)
            ll = float(np.sum(np.log(p)))
            if ll > best[0] + 1e-9:
                best = (ll, beta, float(eps))
    ll, beta, eps = best
    n_dec = max(1, int(decided.sum()))
    agree = float(np.mean((diff > 0) == left)) if decided.any() else float("nan")
    return FitReport(
        kind="preference",
        params={
            "beta": beta,
            "eps": eps,
            "equal_fraction": round(equal_fraction, 4),
            "skip_fraction": round(skip_fraction, 4),
            "gamma": 1.0,
        },
        explained={
            "log_likelihood_per_label": ll / n_dec,
            "coin_flip_log_likelihood_per_label": math.log(0.5),
            "labels_agreeing_with_the_higher_return": agree,
            "skips_reproduced": skip_acc,
            "equals_reproduced": eq_acc,
        },
        counts={
            "comparisons": len(prefs),
            "skips": int(skipped.sum()),
            "equals": int(equal.sum()),
            "left_or_right": int(decided.sum()),
        },
    )


# ---------------------------------------------------------------------- scalar ratings
@dataclass(frozen=True)
class ShownSteps:
    """The steps a live session showed: display intervals and the oracle's signal of each."""

    t_start: np.ndarray
    """(n,) when each step started being shown."""
    t_end: np.ndarray
    """(n,) when it stopped (the next step's start)."""
    signal: np.ndarray
    """(n,) the oracle's score of the step in [-1, 1] (expert agreement: ±1)."""


DELAY_RESOLUTION = 0.01
"""Seconds between the delays the scalar fit evaluates the judged signal at."""


def _agreement(
    steps: ShownSteps, times: np.ndarray, values: np.ndarray, judge: float, max_delay: float
) -> np.ndarray:
    """``A[k, j]``: does rating k agree with the signal judged ``d_j`` seconds before it?

    The judged signal is the mean oracle signal of the steps that started in the ``judge``
    seconds before ``t_f - d_j`` (the step on screen then, when ``judge`` is 0): the mean a
    paced trainer judges since its previous judgement. Agreement is 1, 0, or 0.5 for a zero
    mean.
    """
    delays = np.arange(0.0, max_delay + 1e-9, DELAY_RESOLUTION)
    cum = np.concatenate([[0.0], np.cumsum(steps.signal)])
    t_seen = times[:, None] - delays[None, :]
    last = np.searchsorted(steps.t_start, t_seen, side="right")  # steps started by then
    first = np.searchsorted(steps.t_start, t_seen - judge, side="right") if judge > 0 else last - 1
    first = np.minimum(np.maximum(first, 0), np.maximum(last - 1, 0))
    count = last - first
    total = cum[last] - cum[first]
    mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    agree = np.where(mean == 0, 0.5, (np.sign(mean) == np.sign(values)[:, None]).astype(float))
    return np.where(count > 0, agree, 0.5)


def _clear_share(steps: ShownSteps, margin: float, judge: float) -> float:
    """Share of judgements, one every ``judge`` seconds, whose mean signal beats ``margin``."""
    if margin <= 0:
        return 1.0
    edges = np.arange(float(steps.t_start[0]), float(steps.t_end[-1]), judge)
    cum = np.concatenate([[0.0], np.cumsum(steps.signal)])
    idx = np.searchsorted(steps.t_start, edges, side="left")
    counts = np.diff(idx)
    sums = np.diff(cum[idx])
    means = sums[counts > 0] / counts[counts > 0]
    return float(np.mean(np.abs(means) > margin)) if len(means) else 1.0


def fit_scalar_trainer(
    steps: ShownSteps,
    times: np.ndarray,
    values: np.ndarray,
    base: Any = None,
    grid_step: float = 0.05,
    max_delay: float = 2.0,
) -> FitReport:
    """Fit delay window, consistency, pace, rating rate and fatigue (see module doc).

    Args:
        steps: the shown steps, oldest first (their intervals must not overlap).
        times: (m,) when each rating was given, same clock as the steps.
        values: (m,) the ratings (their sign is what the fit reads).
        base: the :class:`~hfrl.teachers.scalar.ScalarTrainerConfig` whose other fields
            (margin, value) the fitted teacher keeps; default the ``human`` preset.
    """
    from hfrl.errors import HfrlError
    from hfrl.teachers.scalar import SCALAR_PRESETS

    base = base if base is not None else SCALAR_PRESETS["human"]
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    keep = values != 0
    times, values = times[keep], values[keep]
    if len(times) < 20:
        raise HfrlError(f"fitting a scalar trainer needs at least 20 ratings, got {len(times)}")
    gaps = np.diff(np.sort(times))
    frame = float(np.median(steps.t_end - steps.t_start))
    min_interval = float(np.percentile(gaps, 1)) if len(gaps) else 0.0
    if min_interval <= 2 * frame:
        min_interval = 0.0
    agreement = _agreement(steps, times, values, min_interval, max_delay)
    cum = np.concatenate([np.zeros((len(times), 1)), np.cumsum(agreement, axis=1)], axis=1)
    per_grid = round(grid_step / DELAY_RESOLUTION)
    n_grid = round(max_delay / grid_step)
    best = (-math.inf, 0.2, 0.8, 1.0)
    for i in range(n_grid):
        for j in range(i + 1, n_grid + 1):
            a, b = i * per_grid, j * per_grid
            share = (cum[:, b] - cum[:, a]) / (b - a)
            for c in np.arange(0.5, 1.0001, 0.01):
                ll = float(np.sum(np.log(np.clip(c * share + (1 - c) * (1 - share), 1e-12, 1))))
                if ll > best[0] + 1e-9:
                    best = (ll, round(i * grid_step, 4), round(j * grid_step, 4), float(c))
    ll, lo, hi, consistency = best
    t0, t1 = float(steps.t_start[0]), float(steps.t_end[-1])
    duration = max(t1 - t0, 1e-9)
    # a paced trainer judges every min_interval, and a press pushes its next judgement back
    # by the delay beyond the shortest one; a per-step trainer judges every frame
    if min_interval > 0:
        busy = len(times) * 0.5 * (hi - lo)
        per_second = max(duration - busy, 0.1 * duration) / duration / min_interval
    else:
        per_second = 1.0 / frame
    clear = _clear_share(steps, base.margin, max(min_interval, frame))
    third = duration / 3

    def rate_in(a: float, b: float) -> float:
        n = np.sum((times >= a) & (times < b))
        return float(n) / max(b - a, 1e-9) / per_second / max(clear, 1e-9)

    early, late = rate_in(t0, t0 + third), rate_in(t1 - third, t1 + 1e-9)
    tau: float | None = None
    if early > 0 and late > 0 and late < 0.85 * early:
        tau = float(2 * third / math.log(early / late))  # centres of the thirds are 2/3 apart
    rate0 = min(1.0, rate_in(t0, t1 + 1e-9))
    if tau is not None:
        rate0 = min(1.0, early * math.exp(0.5 * third / tau))  # back to t = 0 from mid-third
    params = {
        "delay": "uniform",
        "delay_min": lo,
        "delay_max": hi,
        "consistency": round(consistency, 3),
        "rate_probability": round(rate0, 3),
        "fatigue_tau": None if tau is None else round(tau, 1),
        "min_interval": round(min_interval, 3),
    }
    fields_known = set(getattr(base, "__dataclass_fields__", {}))
    params = {
        k: v for k, v in params.items() if k in fields_known or k in ("delay_min", "delay_max")
    }
    a, b = round(lo / DELAY_RESOLUTION), round(hi / DELAY_RESOLUTION)
    share = (cum[:, b] - cum[:, a]) / max(1, b - a)
    return FitReport(
        kind="scalar",
        params=params,
        explained={
            "log_likelihood_per_rating": ll / len(times),
            "coin_flip_log_likelihood_per_rating": math.log(0.5),
            "mean_agreement_with_the_expert_in_the_window": float(share.mean()),
            "ratings_per_second": len(times) / duration,
        },
        counts={
            "ratings": len(times),
            "shown_steps": len(steps.t_start),
            "seconds": round(duration, 1),
        },
    )


def scalar_config(report: FitReport, base: Any = None) -> Any:
    """The :class:`ScalarTrainerConfig` a scalar fit describes (other fields from ``base``)."""
    from hfrl.teachers.scalar import SCALAR_PRESETS

    base = base if base is not None else SCALAR_PRESETS["human"]
    known = set(base.__dataclass_fields__)
    changes = {k: v for k, v in report.params.items() if k in known}
    if "judge_seconds" in known:
        # the fit models a judgement of the steps since the previous one (paced) or of one
        # step, pressed delay_min..delay_max later: the trainer's judge_seconds=None reading
        changes["judge_seconds"] = None
    return replace(base, **changes)


def preference_config(report: FitReport) -> Any:
    """The :class:`PreferenceTeacherConfig` a preference fit describes."""
    from hfrl.teachers.preference import PreferenceTeacherConfig

    return PreferenceTeacherConfig(**report.params)
