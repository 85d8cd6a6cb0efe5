"""IQM and bootstrap intervals against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hfrl.bench.stats import bootstrap_band, bootstrap_ci, iqm, iqm_weights, percentile_interval


def test_iqm_multiple_of_four_is_mean_of_middle_half():
    """n = 8, sorted 1 2 3 4 5 6 7 100: drop two at each end -> (3 + 4 + 5 + 6) / 4 = 4.5.

    Both conventions agree when n is a multiple of 4.
    """
    x = [100, 7, 1, 3, 5, 2, 6, 4]
    assert iqm(x) == pytest.approx(4.5)
    assert iqm(x, method="fractional") == pytest.approx(4.5)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        # n = 3: floor(3/4) = 0 dropped, the mean of all three (the example).
        ([10, 200, 500], 710 / 3),
        # n = 4: one dropped at each end of 1 2 4 100 -> (2 + 4) / 2.
        ([100, 2, 1, 4], 3.0),
        # n = 5: one dropped at each end of 1 2 4 8 100 -> (2 + 4 + 8) / 3.
        ([8, 1, 100, 2, 4], 14 / 3),
        # n = 10: two dropped at each end of 0..9 shifted -> mean of 2..7 = 4.5; with outliers.
        ([-50, 1, 2, 3, 4, 5, 6, 7, 8, 1000], (2 + 3 + 4 + 5 + 6 + 7) / 6),
    ],
)
def test_iqm_default_is_rliables_trimmed_mean(scores, expected):
    """The default IQM is rliable's: scipy.stats.trim_mean(x, 0.25) drops floor(n/4) at each end."""
    assert iqm(scores) == pytest.approx(expected)
    assert iqm(scores, method="trim") == pytest.approx(expected)


def test_iqm_fractional_weights_n5():
    """n = 5: score i covers [(i-1)/5, i/5]; its overlap with [0.25, 0.75] is 0, .15, .2, .15, 0.

    Weights /0.5: 0, 0.3, 0.4, 0.3, 0. For sorted 1 2 4 8 100:
    0.3*2 + 0.4*4 + 0.3*8 = 0.6 + 1.6 + 2.4 = 4.6.
    """
    np.testing.assert_allclose(iqm_weights(5, "fractional"), [0, 0.3, 0.4, 0.3, 0])
    assert iqm([8, 1, 100, 2, 4], method="fractional") == pytest.approx(4.6)


def test_iqm_small_n():
    """n = 1: the score. n = 2: the mean. n = 3 fractional: overlaps 1/12, 1/3, 1/12 -> weights
    1/6, 2/3, 1/6: for 0 3 6 -> 0 + 2 + 1 = 3; for 0 0 12 -> 12/6 = 2 (trim keeps all: mean 4).
    """
    assert iqm([7.0]) == 7.0
    assert iqm([1.0, 4.0]) == pytest.approx(2.5)
    assert iqm([6, 0, 3], method="fractional") == pytest.approx(3.0)
    assert iqm([0, 12, 0], method="fractional") == pytest.approx(2.0)
    assert iqm([0, 12, 0]) == pytest.approx(4.0)


def test_iqm_along_an_axis():
    """Rows are seeds: n = 3 keeps all, so the column-wise IQM of [[0, 10], [4, 20], [8, 90]]
    is the column mean [4, 40]; fractional: [4, 1/6*10 + 2/3*20 + 1/6*90]."""
    x = np.array([[0, 10], [4, 20], [8, 90]], dtype=float)
    np.testing.assert_allclose(iqm(x, axis=0), [4.0, 40.0])
    np.testing.assert_allclose(iqm(x, axis=0, method="fractional"), [4.0, 10 / 6 + 40 / 3 + 15])


def test_percentile_interval_hand_values():
    """0, 1, ..., 100: numpy's linear quantiles at 2.5% and 97.5% are 2.5 and 97.5; at 90%: 5, 95."""
    stats = np.arange(101, dtype=float)
    assert percentile_interval(stats) == pytest.approx((2.5, 97.5))
    assert percentile_interval(stats, 0.9) == pytest.approx((5.0, 95.0))


def test_bootstrap_two_scores():
    """Scores 0 and 1, statistic the mean: a resample of two has mean 0 (p 1/4), 0.5 (1/2) or 1
    (1/4), so the 2.5% quantile is 0 and the 97.5% quantile is 1."""
    assert bootstrap_ci([0.0, 1.0], np.mean, n_boot=4000, seed=3) == (0.0, 1.0)


def test_bootstrap_constant_and_seeded():
    """A constant sample has a zero-width interval; the same seed gives the same interval."""
    assert bootstrap_ci([3.0, 3.0, 3.0]) == (3.0, 3.0)
    x = [1.0, 5.0, 2.0, 9.0, 4.0]
    assert bootstrap_ci(x, seed=1) == bootstrap_ci(x, seed=1)
    lo, hi = bootstrap_ci(x, seed=1)
    assert 1.0 <= lo < iqm(x) < hi <= 9.0


def test_stratified_bootstrap_keeps_strata():
    """Strata [0, 0] and [10, 10]: resampling within each keeps two 0s and two 10s, so the
    pooled mean is always 5 -> interval (5, 5). Unstratified resampling of 0 0 10 10 varies."""
    assert bootstrap_ci([[0, 0], [10, 10]], np.mean, stratified=True) == (5.0, 5.0)
    lo, hi = bootstrap_ci([0, 0, 10, 10], np.mean)
    assert lo < 5.0 < hi


def test_bootstrap_band_shapes_and_constant_curves():
    """Identical seeds give a band of zero width equal to the curve."""
    curves = np.tile(np.array([1.0, 2.0, 3.0]), (4, 1))
    centre, lo, hi = bootstrap_band(curves, n_boot=50)
    np.testing.assert_allclose(centre, [1, 2, 3])
    np.testing.assert_allclose(lo, centre)
    np.testing.assert_allclose(hi, centre)
    spread = np.array([[0.0, 0.0], [10.0, 20.0]])
    centre, lo, hi = bootstrap_band(spread, n_boot=400)
    np.testing.assert_allclose(centre, [5.0, 10.0])
    assert np.all(lo <= centre) and np.all(centre <= hi) and hi[1] > lo[1]


def test_iqm_rejects_empty_and_bad_method():
    with pytest.raises(ValueError):
        iqm([])
    with pytest.raises(ValueError):
        iqm([1.0], method="median")
