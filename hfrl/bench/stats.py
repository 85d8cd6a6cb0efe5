"""Robust aggregates across seeds: interquartile mean (IQM) and bootstrap confidence intervals.

IQM (Agarwal et al. 2021, "Deep RL at the edge of the statistical precipice") is the mean of
the middle 50% of the scores. When the number of scores ``n`` is not a multiple of 4 the
middle 50% does not fall on whole observations; two conventions exist:

- ``"trim"`` (the default, the field's convention): drop ``floor(n/4)`` scores at each end
  and average the rest. This is what rliable's ``aggregate_iqm`` computes
  (``scipy.stats.trim_mean(x, 0.25)``), so tables compare with published figures.
- ``"fractional"``: each sorted score ``x_(i)`` stands for the slice
  ``[(i-1)/n, i/n]`` of the empirical distribution and is weighted by the part of that slice
  inside ``[0.25, 0.75]``: the interquartile mean of the empirical distribution, which uses
  every score that reaches the middle half, partially.

Both agree when ``n`` is a multiple of 4. Confidence intervals use the percentile bootstrap,
stratified as in rliable: scores are resampled with replacement *within* each stratum (for
example, within each environment), so every resample keeps the design's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

IqmMethod = Literal["fractional", "trim"]


def iqm_weights(n: int, method: IqmMethod = "trim") -> np.ndarray:
    """Weights (summing to 1) of the ``n`` sorted scores in the IQM.

    Args:
        n: number of scores, at least 1.
        method: ``"fractional"`` or ``"trim"`` (see the module docstring).
    """
    if n < 1:
        raise ValueError("the IQM needs at least one score")
    if method == "fractional":
        lo = np.arange(n) / n
        hi = np.arange(1, n + 1) / n
        w = np.clip(np.minimum(hi, 0.75) - np.maximum(lo, 0.25), 0.0, None)
    elif method == "trim":
        k = n // 4
        w = np.zeros(n)
        w[k : n - k] = 1.0
    else:
        raise ValueError(f"method must be 'fractional' or 'trim', got {method!r}")
    return w / w.sum()


def iqm(
    scores: Sequence[float] | np.ndarray, axis: int = -1, method: IqmMethod = "trim"
) -> np.ndarray | float:
    """Interquartile mean of ``scores`` along ``axis``.

    Args:
        scores: finite values; with more than one dimension the IQM is taken along ``axis``.
        axis: axis of the seeds.
        method: ``"trim"`` (default, rliable's) or ``"fractional"``; see the module docstring.

    Returns:
        A float for 1-D input, else an array without ``axis``.
    """
    x = np.asarray(scores, dtype=float)
    if x.ndim == 0:
        x = x[None]
    x = np.sort(np.moveaxis(x, axis, -1), axis=-1)
    out = x @ iqm_weights(x.shape[-1], method)
    return float(out) if np.ndim(out) == 0 else out


def percentile_interval(
    stats: np.ndarray, confidence: float = 0.95, axis: int = 0
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """The percentile-method interval of bootstrap statistics: their α/2 and 1-α/2 quantiles.

    Quantiles use numpy's default (linear interpolation between order statistics).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    alpha = 1.0 - confidence
    lo, hi = np.quantile(np.asarray(stats, dtype=float), [alpha / 2, 1 - alpha / 2], axis=axis)
    return (float(lo), float(hi)) if np.ndim(lo) == 0 else (lo, hi)


def bootstrap_ci(
    scores: Sequence[float] | np.ndarray | Sequence[Sequence[float] | np.ndarray],
    statistic: Callable[..., np.ndarray | float] = iqm,
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    stratified: bool = False,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``scores``.

    Args:
        scores: one array of scores (one stratum), or with ``stratified=True`` a list of
            arrays, one per stratum (they may differ in length).
        statistic: maps an array of shape ``(..., n)`` to its statistic along the last axis
            (:func:`iqm` and ``np.mean`` with ``axis=-1`` both do).
        n_boot: number of bootstrap resamples.
        confidence: coverage of the interval (0.95: the 2.5% and 97.5% quantiles).
        seed: seeds the ``np.random.Generator`` that draws the resamples.
        stratified: resample within each stratum of ``scores`` and pool the strata before
            applying ``statistic``.

    Returns:
        ``(low, high)``.
    """
    rng = np.random.default_rng(seed)
    strata = (
        [np.asarray(s, dtype=float).ravel() for s in scores]
        if stratified
        else [np.asarray(scores, dtype=float).ravel()]
    )
    if any(s.size == 0 for s in strata):
        raise ValueError("every stratum needs at least one score")
    samples = [s[rng.integers(0, s.size, size=(n_boot, s.size))] for s in strata]
    pooled = np.concatenate(samples, axis=1)
    stats = np.asarray(statistic(pooled, axis=-1), dtype=float)
    lo, hi = percentile_interval(stats, confidence)
    return float(lo), float(hi)


def bootstrap_band(
    curves: np.ndarray,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    method: IqmMethod = "trim",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IQM across seeds at each x of aligned curves, with a percentile bootstrap band.

    Args:
        curves: shape ``(n_seeds, n_points)``; all seeds on the same x grid.
        n_boot: resamples of the seeds (the same resample is used for every x, so the
            band belongs to whole curves).
        confidence: coverage of the band.
        seed: seeds the generator.
        method: IQM convention.

    Returns:
        ``(iqm, low, high)``, each of shape ``(n_points,)``.
    """
    c = np.asarray(curves, dtype=float)
    if c.ndim != 2 or c.shape[0] < 1:
        raise ValueError(f"curves must have shape (n_seeds, n_points), got {c.shape}")
    centre = np.asarray(iqm(c, axis=0, method=method))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, c.shape[0], size=(n_boot, c.shape[0]))
    resampled = c[idx]  # (n_boot, n_seeds, n_points)
    stats = iqm(resampled, axis=1, method=method)
    lo, hi = percentile_interval(np.asarray(stats), confidence, axis=0)
    return centre, np.asarray(lo), np.asarray(hi)
