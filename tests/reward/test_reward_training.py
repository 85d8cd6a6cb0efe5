"""Preference dataset, Bradley–Terry loss and ensemble fitting."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gymnasium import spaces

from hfrl.errors import HfrlError
from hfrl.reward import (
    PreferenceDataset,
    RewardEnsemble,
    RewardEnsembleConfig,
    TrainConfig,
    bradley_terry_loss,
    pad_segment,
)
from hfrl.types import Preference, Segment

VEC = spaces.Box(-1.0, 1.0, (3,), np.float32)


def _seg(rng, n, terminated=False, reward=None):
    obs = rng.normal(size=(n, 3)).astype(np.float32)
    rewards = obs[:, 0].astype(np.float64) if reward is None else np.full(n, reward)
    return Segment(obs, rng.integers(0, 2, n), rewards, "toy", terminated=terminated)


def _toy_pairs(n, seed=0):
    """Pairs where the true reward is obs[:, 0], labelled by the larger return."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        a, b = _seg(rng, 10), _seg(rng, 10)
        pairs.append((a, b, float(a.true_return > b.true_return)))
    return pairs


def test_skips_are_excluded_and_counted():
    rng = np.random.default_rng(0)
    a, b = _seg(rng, 4), _seg(rng, 4)
    prefs = [
        Preference(a, b, 1.0, 0.0),
        Preference(a, b, None, 1.0),
        (b, a, 0.5),
        (a, b, None),
    ]
    ds = PreferenceDataset.from_pairs(prefs)
    assert len(ds) == 2 and ds.n_skipped == 2
    assert ds.labels.tolist() == [1.0, 0.5]
    with pytest.raises(HfrlError, match="no labelled pairs"):
        PreferenceDataset.from_pairs([(a, b, None)])


def test_padding_absorbing_after_terminal_and_mask_after_truncation():
    rng = np.random.default_rng(0)
    ended, cut, full = _seg(rng, 3, terminated=True), _seg(rng, 4), _seg(rng, 6)
    obs, _, ab, mask = pad_segment(ended, 6)
    assert ab.tolist() == [False] * 3 + [True] * 3 and mask.tolist() == [1.0] * 6
    assert np.all(obs[3:] == 0)
    _, _, ab, mask = pad_segment(cut, 6)
    assert not ab.any() and mask.tolist() == [1.0] * 4 + [0.0] * 2
    ds = PreferenceDataset.from_pairs([(ended, full, 0.0), (cut, full, 0.0)])
    assert ds.length == 6 and ds.obs.shape == (2, 2, 6, 3) and ds.absorbing.shape == (2, 2, 6)
    assert ds.real_steps()[0].shape == (3 + 6 + 4 + 6, 3)


def test_bradley_terry_noise_and_equal_target():
    d = torch.tensor([-50.0, -1.0, 0.0, 1.0, 50.0], requires_grad=True)
    # The 10% answer noise bounds P(left) to [0.05, 0.95]: confident mistakes cost at most -log 0.05.
    left = bradley_terry_loss(d, torch.ones(5), 0.1)
    assert left[-1].item() == pytest.approx(-math.log(0.95), rel=1e-5)
    assert left[0].item() == pytest.approx(-math.log(0.05), rel=1e-4)
    # Equal is a 0.5 soft target: symmetric, minimised at equal returns (zero gradient there).
    eq = bradley_terry_loss(d, torch.full((5,), 0.5), 0.1)
    assert eq[1].item() == pytest.approx(eq[3].item(), rel=1e-6)
    assert eq[2].item() == pytest.approx(math.log(2), rel=1e-6)
    assert torch.all(eq >= eq[2])
    eq.sum().backward()
    assert d.grad[2].item() == pytest.approx(0.0, abs=1e-7)
    # Without noise it is the plain logistic loss.
    plain = bradley_terry_loss(torch.tensor([2.0]), torch.ones(1), 0.0)
    assert plain.item() == pytest.approx(math.log1p(math.exp(-2.0)), rel=1e-6)


def test_equal_labels_train_toward_equal_returns():
    rng = np.random.default_rng(1)
    pairs = [(_seg(rng, 8), _seg(rng, 8), 0.5) for _ in range(40)]
    ds = PreferenceDataset.from_pairs(pairs)
    assert np.all(ds.labels == 0.5)
    ens = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=2), "cpu")
    cfg = TrainConfig(epochs=30, min_steps=0, val_fraction=0.0, seed=0)
    before = ens.disagreement([(a, b) for a, b, _ in pairs])
    ens.fit(ds, cfg)
    tensors = ens.as_pair_tensors(ds.obs, ds.actions, ds.absorbing, ds.mask)
    with torch.no_grad():
        ret = ens.pair_returns(*tensors)
    p_left = torch.sigmoid(ret[..., 0] - ret[..., 1])
    assert torch.all((p_left - 0.5).abs() < 0.15)
    assert ens.disagreement([(a, b) for a, b, _ in pairs]).mean() <= before.mean() + 1e-9


def test_fit_learns_toy_reward():
    ds = PreferenceDataset.from_pairs(_toy_pairs(120))
    ens = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=0), "cpu")
    stats = ens.fit(ds, TrainConfig(epochs=30, min_steps=0, seed=0))
    assert stats["n_train"] == 96 and stats["n_val"] == 24 and stats["n_skipped"] == 0
    assert stats["val_accuracy"] >= 0.85
    assert len(stats["l2"]) == 3 and all(x > 0 for x in stats["l2"])
    # Learned reward rises with obs[:, 0] (the true reward), for every member.
    obs = np.zeros((2, 3), np.float32)
    obs[1, 0] = 1.0
    r = ens.predict_members(obs, np.zeros(2, int))
    assert np.all(r[:, 1] > r[:, 0])


def test_fit_is_deterministic_with_a_seed():
    ds = PreferenceDataset.from_pairs(_toy_pairs(40))
    obs = np.random.default_rng(5).normal(size=(7, 3)).astype(np.float32)
    act = np.arange(7) % 2
    preds, stats = [], []
    for _ in range(2):
        ens = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=4), "cpu")
        stats.append(ens.fit(ds, TrainConfig(epochs=3, min_steps=0, seed=9)))
        preds.append(ens.predict_members(obs, act))
    assert np.array_equal(preds[0], preds[1])
    assert stats[0]["train_loss"] == stats[1]["train_loss"]
    ens = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=4), "cpu")
    ens.fit(ds, TrainConfig(epochs=3, min_steps=0, seed=10))
    assert not np.array_equal(ens.predict_members(obs, act), preds[0])


def test_bagging_gives_members_different_data():
    ds = PreferenceDataset.from_pairs(_toy_pairs(30))
    obs = np.random.default_rng(5).normal(size=(50, 3)).astype(np.float32)
    act = np.zeros(50, int)

    def spread(bagging):
        # Identical initial members, so only the data can make them differ.
        ens = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=0), "cpu")
        one = ens.net.member(0)
        for k in range(ens.n_members):
            for layer, w, b in zip(one.layers, ens.net.weights, ens.net.biases, strict=True):
                with torch.no_grad():
                    w[k].copy_(layer.weight.t())
                    b[k, 0].copy_(layer.bias)
        ens.fit(ds, TrainConfig(epochs=5, min_steps=0, val_fraction=0.0, bagging=bagging))
        return ens.predict_members(obs, act).std(axis=0).mean()

    assert spread(False) < 1e-5
    assert spread(True) > 1e-2


def test_l2_grows_when_validation_loss_runs_away():
    # Labels are noise: the model can only overfit, so validation loss exceeds 1.5x training.
    rng = np.random.default_rng(3)
    pairs = [(_seg(rng, 5), _seg(rng, 5), float(rng.random() < 0.5)) for _ in range(60)]
    ens = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=0), "cpu")
    start = ens.l2.clone()
    ens.fit(
        PreferenceDataset.from_pairs(pairs), TrainConfig(epochs=40, min_steps=0, lr=3e-3, seed=0)
    )
    assert torch.all(ens.l2 > start)


def test_cnn_ensemble_fits_image_pairs_end_to_end(tmp_path):
    img = spaces.Box(0, 255, (4, 84, 84), np.uint8)
    rng = np.random.default_rng(0)

    def seg(n, terminated=False):
        frames = rng.integers(0, 256, (n, 4, 84, 84), dtype=np.uint8)
        return Segment(
            frames, rng.integers(0, 6, n), np.zeros(n), "ALE/Pong-v5", terminated=terminated
        )

    pairs = [(seg(3), seg(2, terminated=True), float(i % 2)) for i in range(6)]
    cfg = RewardEnsembleConfig(n_members=2, cnn_hidden=16)
    ens = RewardEnsemble(img, spaces.Discrete(6), cfg, "cpu")
    before = ens.predict_members(pairs[0][0].obs, pairs[0][0].actions)
    stats = ens.fit(PreferenceDataset.from_pairs(pairs), TrainConfig(epochs=2, min_steps=0))
    assert stats["steps"] == 2 and np.isfinite(stats["train_loss"]).all()
    after = ens.predict_members(pairs[0][0].obs, pairs[0][0].actions)
    assert after.shape == (2, 3) and not np.array_equal(before, after)
    assert ens.disagreement([(a, b) for a, b, _ in pairs]).shape == (6,)
    back = RewardEnsemble.load(ens.save(tmp_path / "cnn"), device="cpu")
    assert np.array_equal(back.predict_members(pairs[0][0].obs, pairs[0][0].actions), after)


def test_cached_absorbing_value_follows_the_weights():
    ens = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=4), "cpu")
    before = ens.absorbing_value().clone()
    ens.fit(PreferenceDataset.from_pairs(_toy_pairs(40)), TrainConfig(epochs=3, min_steps=0))
    after = ens.absorbing_value()
    assert not torch.equal(before, after)
    assert torch.equal(after, ens.absorbing_raw().detach())
    fresh = RewardEnsemble(VEC, spaces.Discrete(2), RewardEnsembleConfig(seed=4), "cpu")
    fresh.absorbing_value()
    fresh.load_state_dict(ens.state_dict())
    assert torch.equal(fresh.absorbing_value(), after)
