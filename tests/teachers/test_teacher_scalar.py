"""Scalar trainers: their statistics match their parameters (4σ binomial tolerances)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hfrl.clock import SimClock
from hfrl.protocols import ScalarTeacher
from hfrl.teachers.oracles import ExpertAgreementOracle
from hfrl.teachers.scalar import (
    HUMAN,
    PERFECT,
    FeedbackQueue,
    ScalarTrainer,
    ScalarTrainerConfig,
)
from hfrl.types import Scalar, Step


class SignExpert:
    """A tiny fake expert: push right (1) when x > 0, else left (0)."""

    def act(self, obs):
        return 1 if obs[0] > 0 else 0


class ConstantOracle:
    def __init__(self, value):
        self.value = value

    def signal(self, step):
        return self.value


class SequenceOracle:
    def __init__(self, values):
        self.values = list(values)
        self.i = 0

    def signal(self, step):
        v = self.values[self.i % len(self.values)]
        self.i += 1
        return v


def make_steps(n, fps=30.0, seed=0):
    """Steps shown at 1/fps intervals with random observations and actions."""
    rng = np.random.default_rng(seed)
    clock = SimClock(fps=fps)
    steps = []
    for i in range(n):
        obs = rng.normal(size=2).astype(np.float32)
        steps.append(
            Step(
                obs=obs,
                action=int(rng.integers(2)),
                next_obs=obs,
                true_reward=0.0,
                terminated=False,
                truncated=False,
                t_wall=clock.now(),
                episode=i // 200,
                step=i % 200,
            )
        )
        clock.tick()
    return steps


def within_4_sigma(count, n, p):
    return abs(count / n - p) <= 4 * math.sqrt(p * (1 - p) / n)


def test_expert_agreement_oracle():
    oracle = ExpertAgreementOracle(SignExpert())
    for s in make_steps(50):
        assert oracle.signal(s) == (1.0 if s.action == (1 if s.obs[0] > 0 else 0) else -1.0)


def test_perfect_rates_every_step_right_with_uniform_delay():
    steps = make_steps(6000)
    oracle = ExpertAgreementOracle(SignExpert())
    trainer = ScalarTrainer(PERFECT, oracle, seed=1, name="perfect")
    assert isinstance(trainer, ScalarTeacher)
    delays = []
    for i, s in enumerate(steps):
        r = trainer.rate(s)
        assert r is not None and r.value == oracle.signal(s)
        assert r.step == i and r.episode == s.episode and r.source == "perfect"
        delays.append(r.t_wall - s.t_wall)
    d = np.array(delays)
    n = len(d)
    assert d.min() >= 0.2 - 1e-9 and d.max() <= 0.8 + 1e-9
    assert d.min() < 0.21 and d.max() > 0.79  # the whole window is used
    assert abs(d.mean() - 0.5) < 4 * (0.6 / math.sqrt(12)) / math.sqrt(n)
    assert within_4_sigma(int(np.sum(d < 0.35)), n, 0.25)


def test_rating_probability_matches_L():
    cfg = ScalarTrainerConfig(rate_probability=0.3)
    trainer = ScalarTrainer(cfg, ConstantOracle(1.0), seed=2)
    n = 10_000
    rated = sum(trainer.rate(s) is not None for s in make_steps(n))
    assert within_4_sigma(rated, n, 0.3)


def test_error_rate_matches_one_minus_consistency():
    cfg = ScalarTrainerConfig(consistency=0.8)
    oracle = ExpertAgreementOracle(SignExpert())
    trainer = ScalarTrainer(cfg, oracle, seed=3)
    steps = make_steps(10_000)
    wrong = sum(trainer.rate(s).value != oracle.signal(s) for s in steps)
    assert within_4_sigma(wrong, len(steps), 0.2)


def test_margin_gates_weak_signals_and_value_scales():
    weak = [s for s in make_steps(100)]
    assert all(
        ScalarTrainer(ScalarTrainerConfig(margin=0.5), ConstantOracle(0.3)).rate(s) is None
        for s in weak
    )
    trainer = ScalarTrainer(ScalarTrainerConfig(margin=0.2, value=10.0), ConstantOracle(-0.3))
    assert all(trainer.rate(s).value == -10.0 for s in weak)


def test_fatigue_decay_matches_L_of_t():
    """L(t) = max(0.2, exp(-t / 100 s)); 30 fps for 400 s, checked in 50 s bins."""
    cfg = ScalarTrainerConfig(fatigue_tau=100.0, fatigue_floor=0.2)
    trainer = ScalarTrainer(cfg, ConstantOracle(1.0), seed=4)
    steps = make_steps(12_000, fps=30)
    rated = np.array([trainer.rate(s) is not None for s in steps])
    t = np.array([s.t_wall for s in steps])
    expected_l = np.maximum(0.2, np.exp(-t / 100.0))
    for lo in range(0, 400, 50):
        m = (t >= lo) & (t < lo + 50)
        n = int(m.sum())
        p = float(expected_l[m].mean())
        sd = math.sqrt(float(np.sum(expected_l[m] * (1 - expected_l[m])))) / n
        assert abs(rated[m].mean() - p) <= 4 * sd + 1e-12, (lo, rated[m].mean(), p)
    assert trainer.rate_probability(steps[-1].t_wall) == pytest.approx(0.2)
    assert trainer.rate_probability(steps[0].t_wall) == pytest.approx(1.0)


def test_human_rates_at_most_twice_a_second_in_order():
    oracle = ExpertAgreementOracle(SignExpert())
    trainer = ScalarTrainer(HUMAN, ConstantOracle(1.0), seed=5, name="human")
    steps = make_steps(18_000, fps=30)  # 10 minutes
    ratings = [r for s in steps if (r := trainer.rate(s)) is not None]
    times = np.array([r.t_wall for r in ratings])
    assert np.all(np.diff(times) >= 0.5 - 1e-9)  # presses at least 0.5 s apart, in order
    counts = np.searchsorted(times, times + 1.0, side="left") - np.arange(len(times))
    assert counts.max() <= 2  # never more than two presses in any 1 s
    rate = len(times) / 600.0
    assert 0.8 < rate <= 2.0
    del oracle


def test_human_is_wrong_ten_percent_and_tires_slowly():
    trainer = ScalarTrainer(HUMAN, ConstantOracle(1.0), seed=6, name="human")
    steps = make_steps(54_000, fps=30)  # 30 minutes
    ratings = [r for s in steps if (r := trainer.rate(s)) is not None]
    wrong = sum(r.value < 0 for r in ratings)
    assert within_4_sigma(wrong, len(ratings), 0.1)
    times = np.array([r.t_wall for r in ratings])
    first, last = np.sum(times < 300), np.sum(times >= 1500)  # first and last 5 minutes
    assert last < first  # tired: fewer presses late (L ≈ 0.93 vs 0.40 → floor 0.5)
    assert trainer.rate_probability(1800.0) == pytest.approx(max(0.5, math.exp(-1)))


def test_human_judges_the_mean_over_what_it_watched():
    # Alternating right/wrong actions: the mean over any window is within ±0.2, no rating.
    trainer = ScalarTrainer(HUMAN, SequenceOracle([1.0, -1.0]), seed=7)
    assert all(trainer.rate(s) is None for s in make_steps(3000))
    # Three right for one wrong: mean ≈ 0.5 -> positive ratings (bar the 10% mistakes).
    trainer = ScalarTrainer(HUMAN, SequenceOracle([1.0, 1.0, 1.0, -1.0]), seed=7)
    ratings = [r for s in make_steps(3000) if (r := trainer.rate(s)) is not None]
    assert len(ratings) > 50
    assert within_4_sigma(sum(r.value > 0 for r in ratings), len(ratings), 0.9)


def test_gamma_delay_option():
    cfg = ScalarTrainerConfig(delay="gamma", delay_min=0.1, delay_max=1.5)
    trainer = ScalarTrainer(cfg, ConstantOracle(1.0), seed=8)
    steps = make_steps(2000)
    d = np.array([trainer.rate(s).t_wall - s.t_wall for s in steps])
    assert d.min() >= 0.1 and d.max() <= 1.5
    assert abs(np.median(d) - 0.5) < 0.1  # Gamma(2, 0.28) median ≈ 0.47 s


def test_same_seed_same_ratings():
    def run(seed):
        trainer = ScalarTrainer(HUMAN, ExpertAgreementOracle(SignExpert()), seed=seed)
        return [(r.value, r.t_wall) for s in make_steps(3000) if (r := trainer.rate(s))]

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_feedback_queue_delivers_in_time_order():
    q = FeedbackQueue()
    for t in [1.0, 0.4, 0.7, None]:
        q.push(None if t is None else Scalar(value=1.0, t_wall=t, step=0, episode=0))
    assert len(q) == 3
    assert [s.t_wall for s in q.pop_due(0.75)] == [0.4, 0.7]
    assert q.pop_due(0.9) == []
    assert [s.t_wall for s in q.pop_all()] == [1.0]


def test_bad_config_rejected_and_params_are_json():
    for bad in [
        {"rate_probability": 1.5},
        {"consistency": -0.1},
        {"margin": 1.0},
        {"delay": "normal"},
        {"delay_min": 0.9, "delay_max": 0.2},
        {"fatigue_tau": 0.0},
        {"min_interval": -1.0},
    ]:
        with pytest.raises(ValueError):
            ScalarTrainerConfig(**bad)
    params = ScalarTrainer(HUMAN, ExpertAgreementOracle(SignExpert()), name="human").params()
    data = json.loads(json.dumps(params))
    assert data["consistency"] == 0.9 and data["min_interval"] == 0.5
    assert data["oracle"].startswith("expert-agreement")


def test_human_rates_what_it_saw_within_knox_window():
    # Every moment a `human` rating judges was on screen 0.2-0.8 s before the key press
    # (Knox & Stone's window): the span [t - 0.3, t] judged at t, pressed 0.2-0.5 s later.
    assert HUMAN.judge_seconds == 0.3
    d = HUMAN.delay_distribution()
    assert (d.lo, d.hi) == (0.2, 0.5)
    trainer = ScalarTrainer(HUMAN, ConstantOracle(1.0), seed=9)
    steps = make_steps(9000, fps=10)
    lags = np.array([r.t_wall - s.t_wall for s in steps if (r := trainer.rate(s)) is not None])
    assert len(lags) > 1000
    assert lags.min() >= 0.2 - 1e-9 and lags.max() <= 0.5 + 1e-9


def test_span_judgement_weights_steps_by_time_seen():
    # 4 fps: at t the span [t - 0.3, t] is the previous step (0.25 s) and 0.05 s of the one
    # before; the step starting at t is not seen yet.
    cfg = ScalarTrainerConfig(judge_seconds=0.3, margin=0.5, min_interval=0.0)
    trainer = ScalarTrainer(cfg, SequenceOracle([-1.0, 1.0, -1.0]), seed=3)
    ratings = [trainer.rate(s) for s in make_steps(3, fps=4)]
    # judged at step 2: (0.05 * -1 + 0.25 * 1) / 0.3 = 0.67 > margin -> +1
    assert ratings[2] is not None and ratings[2].value == 1.0
    with pytest.raises(ValueError, match="judge_seconds"):
        ScalarTrainerConfig(judge_seconds=0.7)


def test_persistent_mistakes_are_rated_whatever_the_margin():
    """Hand-computed: 4 fps, judged span 1 s (the last four steps), margin 0.2, every step an
    opportunity (no pace); the judgements at t = 1, 2, 3 s (steps 4, 8, 12) are checked.

    Signals  -0.05 -0.05 -0.05 -0.05 | -0.05 +0.01 -0.05 -0.05 | -0.5 -0.5 -0.5 -0.5
    Means    -0.05 (all < 0)          | -0.035 (one right step) | -0.5
    Without the rule only t = 3 s is rated (|mean| > 0.2); with it t = 1 s is rated −1 too
    (every step a mistake), t = 2 s still not (a right step in the span).
    """
    signals = [-0.05] * 4 + [-0.05, 0.01, -0.05, -0.05] + [-0.5] * 4 + [0.0]
    got = {}
    for persistent in (False, True):
        cfg = ScalarTrainerConfig(
            margin=0.2, judge_seconds=1.0, delay_max=2.0, rate_persistent_mistakes=persistent
        )
        trainer = ScalarTrainer(cfg, SequenceOracle(signals), seed=0)
        ratings = {}
        for i, s in enumerate(make_steps(len(signals), fps=4)):
            r = trainer.rate(s)
            if i in (4, 8, 12):
                ratings[i / 4] = None if r is None else r.value
        got[persistent] = ratings
    assert got[False] == {1.0: None, 2.0: None, 3.0: -1.0}
    assert got[True] == {1.0: -1.0, 2.0: None, 3.0: -1.0}


def test_persistent_mistakes_without_a_span():
    # judge_seconds None: the steps since the previous judgement; pace 1 s at 4 fps.
    cfg = ScalarTrainerConfig(margin=0.2, min_interval=1.0, rate_persistent_mistakes=True)
    trainer = ScalarTrainer(cfg, SequenceOracle([-0.01, -0.01, -0.01, 0.02]), seed=0)
    ratings = [trainer.rate(s) for s in make_steps(40, fps=4)]
    # every judgement covers at least 4 steps, so a right one (+0.02) among them: none rated
    assert all(r is None for r in ratings)
    trainer = ScalarTrainer(cfg, ConstantOracle(-0.01), seed=0)
    # 10 s, one press per 1.0-1.6 s (the pace counts from the press, 0.2-0.8 s after)
    assert sum(trainer.rate(s) is not None for s in make_steps(40, fps=4)) >= 6
