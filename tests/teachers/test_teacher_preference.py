"""B-Pref preference teachers: rules, padding, and statistics that match their parameters.

Rates are checked against their exact probabilities with a 4σ binomial tolerance.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hfrl.clock import SimClock
from hfrl.teachers.preference import (
    PREFERENCE_PRESETS,
    BPrefTeacher,
    PreferenceTeacherConfig,
    myopic_return,
    scale_from_episode_return,
)
from hfrl.teachers.presets import make_teacher
from hfrl.types import EQUAL, LEFT, RIGHT, Segment


def seg(rewards, terminated=False):
    rewards = np.asarray(rewards, dtype=np.float64)
    n = len(rewards)
    return Segment(
        obs=np.zeros((n, 2), np.float32),
        actions=np.zeros(n, np.int64),
        true_rewards=rewards,
        env_id="Test-v0",
        terminated=terminated,
    )


def within_4_sigma(count: int, n: int, p: float) -> bool:
    return abs(count / n - p) <= 4 * math.sqrt(p * (1 - p) / n)


def test_oracle_prefers_higher_return_and_ties_are_equal():
    t = BPrefTeacher(PREFERENCE_PRESETS["oracle"], name="oracle")
    assert t.compare(seg([1, 1, 1]), seg([0, 1, 0])).label == LEFT
    assert t.compare(seg([0, 0, 1]), seg([1, 1, 0])).label == RIGHT
    assert t.compare(seg([1, 0, 1]), seg([0, 2, 0])).label == EQUAL
    p = t.compare(seg([1]), seg([0]))
    assert p.source == "oracle" and p.t_wall == pytest.approx(4 * 4.0)  # 4 s per comparison


def test_clock_stamps_answers():
    clock = SimClock(fps=10, t=12.5)
    t = BPrefTeacher(clock=clock)
    assert t.compare(seg([1]), seg([0])).t_wall == 12.5


def test_early_terminal_segment_is_padded_with_zero_reward():
    t = BPrefTeacher()
    # +1 per step (CartPole): falling early is worse.
    assert t.compare(seg([1] * 5, terminated=True), seg([1] * 10)).label == RIGHT
    # -1 per step (MountainCar): reaching the goal early is better.
    assert t.compare(seg([-1] * 5, terminated=True), seg([-1] * 10)).label == LEFT
    assert t.compare(seg([-1] * 10), seg([-1] * 3, terminated=True)).label == RIGHT
    with pytest.raises(ValueError):  # a short segment cut by a time limit cannot be padded
        t.compare(seg([1] * 5), seg([1] * 10))


def test_myopic_return_formula_and_label():
    r = np.array([1.0, 2.0, 3.0])
    assert myopic_return(r, 0.9) == pytest.approx(0.81 * 1 + 0.9 * 2 + 3)
    t = BPrefTeacher(PREFERENCE_PRESETS["myopic"])
    left = [1.0] + [0.0] * 9  # undiscounted 1, myopic 0.9^9 = 0.387
    right = [0.0] * 9 + [0.5]  # undiscounted 0.5, myopic 0.5
    assert t.compare(seg(left), seg(right)).label == RIGHT
    assert BPrefTeacher().compare(seg(left), seg(right)).label == LEFT


def test_mistake_flip_rate_matches_eps():
    t = make_teacher("mistake", "Test-v0", seed=3)
    n = 10_000
    flips = sum(t.label(np.array([1.0, 1.0]), np.array([0.0, 0.0])) == RIGHT for _ in range(n))
    assert within_4_sigma(flips, n, 0.1)


@pytest.mark.parametrize("diff", [-2.0, -0.5, 0.5, 1.0, 3.0])
def test_stoc_probabilities_match_softmax(diff):
    t = make_teacher("stoc", "Test-v0", seed=int(10 * diff) + 50)
    n = 4000
    r0, r1 = np.array([diff, 0.0]), np.array([0.0, 0.0])  # R0 - R1 = diff
    lefts = sum(t.label(r0, r1) == LEFT for _ in range(n))
    p_left = math.exp(diff) / (math.exp(diff) + math.exp(0.0))
    assert within_4_sigma(lefts, n, p_left)


def test_custom_beta_and_eps_combine():
    cfg = PreferenceTeacherConfig(beta=0.5, eps=0.2, seed=9)
    t = BPrefTeacher(cfg)
    n = 10_000
    lefts = sum(t.label(np.array([2.0]), np.array([0.0])) == LEFT for _ in range(n))
    s = 1 / (1 + math.exp(-1.0))
    assert within_4_sigma(lefts, n, s * 0.8 + (1 - s) * 0.2)


def test_skip_rate_matches_threshold():
    """Fixed scale 1, skip_fraction 0.3, returns U[0, 1]: P(skip) = P(max < 0.3) = 0.09."""
    t = make_teacher("skip:skip_fraction=0.3,return_scale=1", "Test-v0", seed=0)
    rng = np.random.default_rng(5)
    n = 10_000
    skips = 0
    for _ in range(n):
        r0, r1 = rng.uniform(0, 1, size=2)
        label = t.label(np.array([r0]), np.array([r1]))
        assert (label is None) == (max(r0, r1) < 0.3)
        skips += label is None
    assert within_4_sigma(skips, n, 0.09)


def test_skip_preset_calibrates_scale_on_segments_seen():
    t = make_teacher("skip", "Test-v0", seed=0)
    rng = np.random.default_rng(6)
    sums = []
    for _ in range(2000):
        a, b = rng.uniform(0, 2, size=(2, 5))
        t.compare(seg(a), seg(b))
        sums += [a.sum(), b.sum()]
    skip, equal = t.thresholds(5)
    assert skip == pytest.approx(0.1 * np.mean(np.abs(sums)))
    assert equal == 0.0
    assert t.thresholds(7) == (0.0, 0.0)  # nothing seen at that length yet


def test_skip_does_not_skip_everything_with_negative_rewards():
    """Always-negative returns U[-2, 0]: the floor is the worst return seen, not 0."""
    t = make_teacher("skip", "Test-v0", seed=0)
    rng = np.random.default_rng(7)
    n = 4000
    skips = sum(t.label(rng.uniform(-2, 0, 1), rng.uniform(-2, 0, 1)) is None for _ in range(n))
    # δ_skip ≈ 0.1 (scale ≈ 1) above a floor ≈ -2: P(both < -1.9) = 0.0025.
    assert skips / n < 0.01


def test_equal_rate_matches_threshold():
    """Fixed scale 1, equal_fraction 0.1, returns U[0, 1]: P(|R0-R1| < 0.1) = 1 - 0.9² = 0.19."""
    t = make_teacher("equal:return_scale=1", "Test-v0", seed=0)
    rng = np.random.default_rng(8)
    n = 10_000
    equals = 0
    for _ in range(n):
        r0, r1 = rng.uniform(0, 1, size=2)
        label = t.label(np.array([r0]), np.array([r1]))
        assert (label == EQUAL) == (abs(r0 - r1) < 0.1)
        equals += label == EQUAL
    assert within_4_sigma(equals, n, 0.19)


def test_rules_apply_in_order_skip_then_equal_and_equal_is_not_flipped():
    cfg = PreferenceTeacherConfig(
        skip_fraction=0.5, equal_fraction=0.5, eps=1.0, return_scale=1.0, seed=0
    )
    t = BPrefTeacher(cfg)
    assert t.label(np.array([0.1]), np.array([0.2])) is None  # both < 0.5: skip beats equal
    assert t.label(np.array([1.0]), np.array([1.2])) == EQUAL  # equal, and never flipped
    assert t.label(np.array([2.0]), np.array([0.0])) == RIGHT  # eps = 1 flips every label


def test_skip_is_recorded_as_skip():
    t = make_teacher("skip:return_scale=10", "Test-v0", seed=0)
    p = t.compare(seg([0.1]), seg([0.2]))
    assert p.label is None and p.skipped


def test_same_seed_same_labels():
    def run(seed):
        t = make_teacher("stoc", "Test-v0", seed=seed)
        return [t.label(np.array([0.3]), np.array([0.0])) for _ in range(200)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_scale_from_episode_return():
    assert scale_from_episode_return(-200.0, 200, 25) == pytest.approx(25.0)
    with pytest.raises(ValueError):
        scale_from_episode_return(1.0, 0, 25)


def test_bad_config_rejected_and_params_are_json():
    with pytest.raises(ValueError):
        PreferenceTeacherConfig(gamma=0.0)
    with pytest.raises(ValueError):
        PreferenceTeacherConfig(eps=1.5)
    with pytest.raises(ValueError):
        PreferenceTeacherConfig(beta=-1.0)
    params = BPrefTeacher(PREFERENCE_PRESETS["oracle"], name="oracle").params()
    assert json.loads(json.dumps(params))["beta"] == "inf"


def test_skip_teacher_does_not_skip_tied_clips_on_negative_reward_tasks():
    """MountainCar before the goal: every clip returns -50; B-Pref's rule skipped 50 of 50."""
    t = make_teacher("skip", "MountainCar-v0", seed=0)
    labels = [t.compare(seg([-1.0] * 50), seg([-1.0] * 50)).label for _ in range(50)]
    assert labels == [EQUAL] * 50
    assert t.thresholds(50)[0] == 0.0
    # one clip reaches the goal: the pairs still at the floor are skipped, the others are not
    assert t.compare(seg([-1.0] * 10, terminated=True), seg([-1.0] * 50)).label == LEFT
    assert t.compare(seg([-1.0] * 50), seg([-1.0] * 50)).label is None
