"""Credit assignment against hand-computed weights (uniform [0.2, 0.8] s unless stated):
the one step history every live agent and app credits ratings from."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hfrl.clock import SimClock
from hfrl.credit import (
    Credit,
    GammaDelay,
    StepHistory,
    TraceRule,
    UniformDelay,
    gamma_cdf,
    interval_credit,
)


class Named:
    """A StepHistory whose steps carry a name, so tests can say which step got what."""

    def __init__(self, *args, **kwargs) -> None:
        self.h = StepHistory(*args, **kwargs)

    def __len__(self) -> int:
        return len(self.h)

    def record(self, name, t: float, episode: int = 0) -> None:
        self.h.record(t, {"name": name}, episode)

    def credit(self, t_f: float, value=None) -> Credit:
        return self.h.credit(t_f, value)


def as_dict(credit: Credit):
    return {s.payload["name"]: s.weight for s in credit.steps}


def test_uniform_cdf_and_sample():
    d = UniformDelay()
    assert d.cdf(0.1) == 0.0 and d.cdf(0.9) == 1.0
    assert d.cdf(0.5) == pytest.approx(0.5)
    rng = np.random.default_rng(0)
    xs = [d.sample(rng) for _ in range(1000)]
    assert min(xs) >= 0.2 and max(xs) <= 0.8
    with pytest.raises(ValueError):
        UniformDelay(0.8, 0.2)


def test_equal_steps_at_30fps_hand_weights():
    """Steps k/30 s; a rating at 1.01 s sees steps shown in [0.21, 0.81].

    Step 6 [0.2, 0.2333) overlaps by 0.02333 s -> 0.02333/0.6 = 7/180; steps 7..23 lie
    inside -> (1/30)/0.6 = 1/18 each; step 24 [0.8, 0.8333) overlaps by 0.01 -> 1/60.
    """
    ca = Named(UniformDelay(0.2, 0.8))
    for k in range(31):
        ca.record(k, k / 30)
    w = as_dict(ca.credit(1.01))
    assert sorted(w) == list(range(6, 25))
    assert w[6] == pytest.approx(7 / 180)
    for k in range(7, 24):
        assert w[k] == pytest.approx(1 / 18)
    assert w[24] == pytest.approx(1 / 60)
    assert sum(w.values()) == pytest.approx(1.0)


def test_unequal_step_durations_hand_weights():
    """A [0, 0.1) -> 0; B [0.1, 0.6) -> 0.4/0.6; C [0.6, 0.65) -> 0.05/0.6; D open from 0.65."""
    ca = Named()
    for key, t in [("A", 0.0), ("B", 0.1), ("C", 0.6), ("D", 0.65)]:
        ca.record(key, t)
    w = as_dict(ca.credit(1.0))
    assert set(w) == {"B", "C", "D"}
    assert w["B"] == pytest.approx(2 / 3)
    assert w["C"] == pytest.approx(1 / 12)
    assert w["D"] == pytest.approx(1 / 4)  # open step counts up to t_f: [0.65, 0.8) of [0.2, 0.8]


def test_rating_after_episode_end_credits_its_last_steps():
    ca = Named()
    for i, t in enumerate([0.0, 0.25, 0.5]):
        ca.record((0, i), t, episode=0)
    ca.record((1, 0), 0.75, episode=1)  # the next episode's first step closes the last one
    w = as_dict(ca.credit(1.0))  # window [0.2, 0.8] in time
    assert w == pytest.approx({(0, 0): 1 / 12, (0, 1): 5 / 12, (0, 2): 5 / 12, (1, 0): 1 / 12})
    ca.record((1, 1), 1.5, episode=1)
    w = as_dict(ca.credit(1.3))  # window [0.5, 1.1]: the old episode's last step, then (1, 0)
    assert w == pytest.approx({(0, 2): 0.25 / 0.6, (1, 0): 0.35 / 0.6})
    assert [s.episode for s in ca.credit(1.3).steps] == [0, 1]


def test_open_current_step_counts_up_to_rating_time():
    ca = Named()
    ca.record("a", 0.0)
    ca.record("b", 0.5)  # still on screen
    assert as_dict(ca.credit(1.0)) == pytest.approx({"a": 0.5, "b": 0.5})
    assert as_dict(ca.credit(0.9)) == pytest.approx({"a": 2 / 3, "b": 1 / 3})


def test_steps_shown_after_rating_time_are_not_credited():
    ca = Named()
    ca.record("a", 0.0)
    ca.record("b", 0.5)
    ca.record("c", 1.2)  # shown after the rating was given (it was read late)
    w = as_dict(ca.credit(1.0))
    assert w == pytest.approx({"a": 0.5, "b": 0.5})


def test_nothing_recorded_gives_nothing():
    assert len(StepHistory().credit(3.0)) == 0


def test_old_steps_are_forgotten_but_recent_ones_kept():
    ca = Named(UniformDelay(0.2, 0.8), slack=0.5)
    for k in range(3000):
        ca.record(k, k / 30)
    # Kept: steps ending within hi + slack = 1.3 s of the newest time (about 40 steps).
    assert len(ca) <= 45
    w = as_dict(ca.credit(2999 / 30 + 0.05))
    assert sum(w.values()) == pytest.approx(1.0)


def test_record_must_not_go_backwards():
    ca = Named()
    ca.record(0, 1.0)
    with pytest.raises(ValueError):
        ca.record(1, 0.5)


def test_works_with_sim_clock():
    clock = SimClock(fps=30)
    ca = Named()
    for k in range(60):
        ca.record(k, clock.now())
        clock.tick()
    w = as_dict(ca.credit(clock.now()))  # t = 2.0 s: window [1.2, 1.8] = steps 36..53
    assert sorted(w) == list(range(36, 54))
    assert all(v == pytest.approx(1 / 18) for v in w.values())


def test_gamma_cdf_closed_forms():
    # shape 1: exponential, F(t) = 1 - exp(-t/θ).
    assert gamma_cdf(0.7, 1.0, 0.5) == pytest.approx(1 - math.exp(-1.4), abs=1e-12)
    # shape 2: F(t) = 1 - exp(-t/θ)(1 + t/θ); θ = 0.28, t = 0.5: x = 1.785714...
    x = 0.5 / 0.28
    assert gamma_cdf(0.5, 2.0, 0.28) == pytest.approx(1 - math.exp(-x) * (1 + x), abs=1e-12)
    assert gamma_cdf(0.5, 2.0, 0.28) == pytest.approx(0.532899, abs=1e-6)
    # shape 3 far in the tail (continued-fraction branch): 1 - e^-x (1 + x + x²/2), x = 8.
    assert gamma_cdf(8.0, 3.0, 1.0) == pytest.approx(1 - math.exp(-8) * (1 + 8 + 32), abs=1e-12)


def test_gamma_cdf_non_integer_shape_matches_integrated_density():
    k, theta, t = 2.5, 0.3, 0.9
    xs = np.linspace(0.0, t, 200_001)
    pdf = xs ** (k - 1) * np.exp(-xs / theta) / (math.gamma(k) * theta**k)
    integral = float(np.sum((pdf[1:] + pdf[:-1]) * np.diff(xs)) / 2)
    assert gamma_cdf(t, k, theta) == pytest.approx(integral, abs=1e-7)


def test_gamma_window_weights_hand_values():
    """Gamma(2, 0.28) truncated to [0, 1.5]: w = (G(t_f-t_s) - G(t_f-t_e)) / G(1.5)."""
    d = GammaDelay(2.0, 0.28, 0.0, 1.5)

    def g(t):  # shape-2 closed form
        x = t / 0.28
        return 1 - math.exp(-x) * (1 + x)

    mass = g(1.5)
    assert mass == pytest.approx(0.970030, abs=1e-6)  # 1 - e^-5.357 * 6.357
    ca = Named(d)
    for k, t in enumerate([0.0, 0.25, 0.5, 1.0]):
        ca.record(k, t)
    ca.record(4, 1.2)  # the next step closes step 3 at 1.2 and is on screen at the rating
    w = as_dict(ca.credit(1.3))
    # step 0 [0, 0.25): delays [1.05, 1.3]; step 1: [0.8, 1.05]; step 2: [0.3, 0.8];
    # step 3 [1.0, 1.2): delays [0.1, 0.3].
    expected = {
        0: (g(1.3) - g(1.05)) / mass,
        1: (g(1.05) - g(0.8)) / mass,
        2: (g(0.8) - g(0.3)) / mass,
        3: (g(0.3) - g(0.1)) / mass,
        4: g(0.1) / mass,
    }
    assert w == pytest.approx(expected, abs=1e-12)
    assert expected[2] == pytest.approx(0.50305, abs=1e-4)  # the bulk of the mass
    assert sum(w.values()) == pytest.approx(g(1.3) / mass)
    assert d.cdf(2.0) == 1.0 and d.cdf(0.0) == 0.0


def test_gamma_sample_truncated_and_mean():
    d = GammaDelay(2.0, 0.28, 0.1, 1.0)
    rng = np.random.default_rng(1)
    xs = np.array([d.sample(rng) for _ in range(20_000)])
    assert xs.min() >= 0.1 and xs.max() <= 1.0
    # Truncated mean by numerical integration of t·pdf over [0.1, 1.0].
    ts = np.linspace(0.1, 1.0, 100_001)
    pdf = ts * np.exp(-ts / 0.28) / 0.28**2
    mean = float(np.sum(ts * pdf) / np.sum(pdf))
    se = xs.std() / math.sqrt(len(xs))
    assert abs(xs.mean() - mean) < 4 * se
    # The fraction below the median of the truncated law is 1/2 (binomial 4σ).
    below = float(np.mean([d.cdf(x) < 0.5 for x in xs]))
    assert abs(below - 0.5) < 4 * math.sqrt(0.25 / len(xs))


def test_interval_credit_matches_formula():
    d = UniformDelay()
    assert interval_credit(d, 1.0, 0.3, 0.4) == pytest.approx(d.cdf(0.7) - d.cdf(0.6))
    assert interval_credit(d, 1.0, 1.1, 1.2) == 0.0


def test_labels_are_the_credit_weighted_mean_of_the_ratings():
    ca = Named()
    ca.record("a", 0.0)
    ca.record("b", 0.5)
    ca.record("c", 1.0)
    first = ca.credit(1.0, +1.0)  # a: 0.5, b: 0.5
    second = ca.credit(1.3, -1.0)  # window [0.5, 1.1]: b: 0.5/0.6, c: 0.1/0.6
    steps = {s.payload["name"]: s for s in ca.h.steps()}
    assert steps["a"].rating_weight == pytest.approx(0.5)
    assert steps["a"].label == pytest.approx(1.0)
    wb1, wb2 = 0.5, 0.5 / 0.6
    assert steps["b"].label == pytest.approx((wb1 - wb2) / (wb1 + wb2))
    assert steps["c"].label == pytest.approx(-1.0)
    # each Credit carries the labels as they were right after its rating
    assert [s.payload["name"] for s in first.steps] == ["a", "b"]
    assert first.labels.tolist() == [1.0, 1.0]
    assert second.labels == pytest.approx([(wb1 - wb2) / (wb1 + wb2), -1.0])
    ca.credit(1.3)  # no value: the labels stay as they are
    assert steps["c"].label == pytest.approx(-1.0) and steps["c"].rating_weight == pytest.approx(
        0.1 / 0.6
    )


def test_credit_is_the_sequence_of_step_weight_pairs_the_store_records():
    ca = Named()
    ca.record("a", 0.0)
    ca.record("b", 0.5)
    credit = ca.credit(1.0, 1.0)
    assert list(credit) == [(0, pytest.approx(0.5)), (1, pytest.approx(0.5))]
    assert len(credit) == 2 and credit[1] == (1, pytest.approx(0.5))
    assert credit.t_f == 1.0 and credit.value == 1.0
    np.testing.assert_allclose(credit.weights, [0.5, 0.5])


def test_indices_keep_counting_and_survive_a_state_round_trip():
    h = StepHistory()
    for k in range(10):
        h.record(0.1 * k, {"obs": np.full(3, k, dtype=np.float32), "action": k % 2}, episode=k // 5)
    h.credit(0.95, 1.0)
    clone = StepHistory()
    clone.restore(h.state())
    assert clone.next_index == h.next_index == 10
    a, b = h.credit(1.05, -1.0), clone.credit(1.05, -1.0)
    assert list(a) == list(b) and a.labels.tolist() == b.labels.tolist()
    np.testing.assert_array_equal(a.stack("obs"), b.stack("obs"))
    assert [s.episode for s in a.steps] == [s.episode for s in b.steps]
    assert clone.record(1.1, {"obs": np.zeros(3, np.float32), "action": 0}).index == 10


def test_trace_rule_weights_the_last_steps_by_lambda_to_the_age():
    h = StepHistory(trace=TraceRule(length=3, lam=0.5, delay_seconds=0.15))
    for k in range(6):
        h.record(0.1 * k, {"k": k})
    credit = h.credit(0.5)  # shown by 0.35 s: steps 0..3, the last three of them
    assert [s.payload["k"] for s in credit.steps] == [1, 2, 3]
    np.testing.assert_allclose(credit.weights, [0.25, 0.5, 1.0])


def test_due_hands_each_step_out_once_after_the_delay():
    h = StepHistory(feeds=True)
    for k in range(4):
        h.record(0.1 * k, {"k": k})
    assert [s.payload["k"] for s in h.due(0.25, delay_seconds=0.1)] == [0, 1]
    assert [s.payload["k"] for s in h.due(0.25, delay_seconds=0.1)] == []
    assert [s.payload["k"] for s in h.due(1.0, delay_steps=1)] == [2]
    assert h.fed == 2
