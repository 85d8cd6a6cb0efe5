"""LearnedReward: the one place the learner's reward is shifted and rescaled."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

from hfrl.reward import LearnedReward, RewardEnsemble, RewardEnsembleConfig

VEC = spaces.Box(-1.0, 1.0, (3,), np.float32)


def _reward(seed: int = 0) -> LearnedReward:
    cfg = RewardEnsembleConfig(n_members=3, hidden_sizes=(16,), seed=seed)
    return LearnedReward(RewardEnsemble(VEC, spaces.Discrete(2), cfg, "cpu"))


def _states(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 3)).astype(np.float32), rng.integers(0, 2, n)


def test_zero_before_calibration_and_explore_reward_while_set():
    reward = _reward()
    obs, act = _states(5)
    assert np.array_equal(reward(obs, act), np.zeros(5, np.float32))
    reward.explore = lambda o, a, d: np.full(len(o), 7.0, np.float32)
    assert np.all(reward(obs, act) == 7.0)


def test_absorbing_keeps_its_zero_and_the_fast_path_matches_the_formula():
    reward = _reward()
    obs, act = _states(200)
    reward.calibrate(obs, act, terminal_seen=True)
    assert reward.trained and reward.offset == 0.0 and reward.scale > 0
    # member spreads are unit on the calibration states; absorbing rows score 0
    np.testing.assert_allclose(reward.members(obs, act).std(axis=1, ddof=1), 1.0, rtol=1e-4)
    assert np.all(reward.members(obs, act, np.ones(200, bool)) == 0.0)
    slow = (reward.members(obs, act).mean(axis=0) - reward.offset) / reward.scale
    np.testing.assert_allclose(reward(obs, act), slow, rtol=1e-4, atol=1e-5)
    # root mean square 1 on those states: the zero is not moved
    assert np.sqrt(np.mean(reward(obs, act) ** 2)) == pytest.approx(1.0, rel=1e-3)
    # sticky: a later calibration on clips that all run on keeps the zero
    reward.calibrate(*_states(100, 1), terminal_seen=False)
    assert reward.offset == 0.0 and reward.terminal_seen


def test_no_episode_end_seen_centres_and_standardises():
    reward = _reward()
    obs, act = _states(300)
    reward.calibrate(obs, act, terminal_seen=False)
    r = reward(obs, act)
    assert abs(r.mean()) < 1e-3 and r.std() == pytest.approx(1.0, rel=1e-3)


def test_state_round_trip_gives_the_same_rewards():
    reward = _reward()
    obs, act = _states(100)
    reward.calibrate(obs, act, terminal_seen=True)
    back = LearnedReward(reward.ensemble)
    back.load_state(reward.state())
    np.testing.assert_allclose(back(obs, act), reward(obs, act), rtol=1e-6)


@pytest.mark.parametrize("hidden", [(16,), (16, 16), (8, 8, 8)])
@pytest.mark.parametrize("discrete", [True, False])
def test_numpy_path_for_a_few_rows_matches_the_torch_path(monkeypatch, hidden, discrete):
    import hfrl.reward.learned as learned

    act_space = spaces.Discrete(3) if discrete else spaces.Box(-2.0, 2.0, (2,), np.float32)
    cfg = RewardEnsembleConfig(n_members=3, hidden_sizes=hidden, seed=1)
    reward = LearnedReward(RewardEnsemble(VEC, act_space, cfg, "cpu"))
    rng = np.random.default_rng(0)
    obs = rng.uniform(-1, 1, (100, 3)).astype(np.float32)
    act = rng.integers(0, 3, 100) if discrete else rng.uniform(-2, 2, (100, 2)).astype(np.float32)
    reward.calibrate(obs, act, terminal_seen=False)
    fast = reward(obs[:8], act[:8])
    monkeypatch.setattr(learned, "FOLDED_MAX_ROWS", 0)
    slow = reward(obs[:8], act[:8])
    assert fast.dtype == np.float32 and fast.shape == (8,)
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


def test_rewards_follow_weights_changed_after_calibration():
    import torch

    reward = _reward()
    obs, act = _states(50)
    reward.calibrate(obs, act, terminal_seen=True)
    before = reward(obs[:4], act[:4])
    with torch.no_grad():
        for p in reward.ensemble.net.parameters():
            p.mul_(2.0)
    after = reward(obs[:4], act[:4])  # no refresh() called: the new weights are folded in
    expected = (reward.members(obs[:4], act[:4]).mean(axis=0) - reward.offset) / reward.scale
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, expected, rtol=1e-4, atol=1e-5)
