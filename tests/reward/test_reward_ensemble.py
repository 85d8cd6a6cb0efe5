"""RewardEnsemble: shapes, batched == per-member, determinism, save/load, absorbing shift."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from hfrl.errors import HfrlError
from hfrl.reward import RewardEnsemble, RewardEnsembleConfig
from hfrl.types import Segment

VEC = spaces.Box(-1.0, 1.0, (5,), np.float32)
IMG = spaces.Box(0, 255, (4, 84, 84), np.uint8)


def _batch(obs_space, action_space, n, seed=0):
    rng = np.random.default_rng(seed)
    if obs_space.dtype == np.uint8:
        obs = rng.integers(0, 256, (n, *obs_space.shape), dtype=np.uint8)
    else:
        obs = rng.normal(size=(n, *obs_space.shape)).astype(np.float32)
    if isinstance(action_space, spaces.Discrete):
        act = rng.integers(0, action_space.n, n)
    else:
        act = rng.normal(size=(n, *action_space.shape)).astype(np.float32)
    absorbing = np.zeros(n, dtype=bool)
    absorbing[::4] = True
    return obs, act, absorbing


def _reference_inputs(ens, obs, act, absorbing):
    """Inputs of one plain member, built by hand from the documented encoding."""
    live = (~absorbing).astype(np.float32)[:, None]
    if ens.spec.discrete:
        a = np.eye(ens.spec.n_actions, dtype=np.float32)[act]
    else:
        a = act.reshape(len(act), -1).astype(np.float32)
    extra = np.concatenate([a * live, 1.0 - live], axis=1)
    if ens.spec.image:
        frames = obs.astype(np.float32) * live[:, :, None, None]
        return torch.as_tensor(frames), torch.as_tensor(extra)
    x = obs.reshape(len(obs), -1) * live
    return (torch.as_tensor(np.concatenate([x, extra], axis=1)),)


@pytest.mark.parametrize(
    ("obs_space", "action_space"),
    [
        (VEC, spaces.Discrete(3)),
        (VEC, spaces.Box(-2, 2, (2,), np.float32)),
        (IMG, spaces.Discrete(6)),
    ],
    ids=["mlp-discrete", "mlp-continuous", "cnn"],
)
def test_shapes_and_batched_equals_each_member(obs_space, action_space):
    ens = RewardEnsemble(obs_space, action_space, RewardEnsembleConfig(n_members=3), "cpu")
    obs, act, ab = _batch(obs_space, action_space, 9)
    members = ens.predict_members(obs, act, ab)
    assert members.shape == (3, 9)
    assert ens.predict(obs, act, ab).shape == (9,)
    with torch.no_grad():
        batched = ens.raw(*ens.as_tensors(obs, act, ab))
        assert batched.shape == (3, 9)
        for k, member in enumerate(ens.members()):
            alone = member(*_reference_inputs(ens, obs, act, ab))
            torch.testing.assert_close(batched[k], alone, rtol=1e-5, atol=1e-6)
    # Members differ from each other (independent initialisations).
    assert not torch.allclose(batched[0], batched[1])


def test_absorbing_state_scores_exactly_zero():
    ens = RewardEnsemble(VEC, spaces.Discrete(3), device="cpu")
    obs, act, _ = _batch(VEC, spaces.Discrete(3), 8)
    absorbing = np.ones(8, dtype=bool)  # whatever obs/actions they carry
    assert np.all(ens.predict_members(obs, act, absorbing) == 0.0)
    live = ens.predict(obs, act)
    assert np.all(live != 0.0)
    # The shift is r(s,a) - r(absorbing), scaled: check against the raw outputs.
    with torch.no_grad():
        raw = ens.raw(*ens.as_tensors(obs, act)).numpy()
        base = ens.absorbing_raw().numpy()[:, None]
    np.testing.assert_allclose(ens.predict_members(obs, act), raw - base, rtol=1e-5, atol=1e-6)


def test_same_seed_same_predictions_and_different_seed_differs():
    obs, act, ab = _batch(VEC, spaces.Discrete(3), 16)
    a = RewardEnsemble(VEC, spaces.Discrete(3), RewardEnsembleConfig(seed=7), "cpu")
    b = RewardEnsemble(VEC, spaces.Discrete(3), RewardEnsembleConfig(seed=7), "cpu")
    c = RewardEnsemble(VEC, spaces.Discrete(3), RewardEnsembleConfig(seed=8), "cpu")
    assert np.array_equal(a.predict_members(obs, act, ab), b.predict_members(obs, act, ab))
    assert not np.allclose(a.predict_members(obs, act, ab), c.predict_members(obs, act, ab))
    # Building an ensemble does not disturb the global torch RNG.
    torch.manual_seed(0)
    x = torch.rand(1)
    torch.manual_seed(0)
    RewardEnsemble(VEC, spaces.Discrete(3), device="cpu")
    assert torch.equal(torch.rand(1), x)


@pytest.mark.parametrize(("obs_space", "n_act"), [(VEC, 3), (IMG, 4)], ids=["mlp", "cnn"])
def test_save_load_round_trip(tmp_path, obs_space, n_act):
    cfg = RewardEnsembleConfig(n_members=2, hidden_sizes=(16, 8), cnn_hidden=32, seed=3)
    ens = RewardEnsemble(obs_space, spaces.Discrete(n_act), cfg, "cpu")
    obs, act, ab = _batch(obs_space, spaces.Discrete(n_act), 6)
    ens.l2 = torch.tensor([1e-3, 1e-2])
    ens.save(tmp_path / "rm")
    back = RewardEnsemble.load(tmp_path / "rm", device="cpu")
    assert back.config == cfg and back.spec == ens.spec
    assert np.array_equal(back.predict_members(obs, act, ab), ens.predict_members(obs, act, ab))
    assert torch.equal(back.l2, ens.l2)
    state = torch.load(tmp_path / "rm" / "reward_ensemble.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_load_from_empty_dir_says_what_to_do(tmp_path):
    with pytest.raises(HfrlError, match="no saved reward ensemble"):
        RewardEnsemble.load(tmp_path)


def test_channels_last_images_match_channels_first():
    first = RewardEnsemble(IMG, spaces.Discrete(2), RewardEnsembleConfig(cnn_hidden=16), "cpu")
    last_space = spaces.Box(0, 255, (84, 84, 4), np.uint8)
    last = RewardEnsemble(
        last_space, spaces.Discrete(2), RewardEnsembleConfig(cnn_hidden=16), "cpu"
    )
    assert last.spec.channels_last and last.spec.frame_shape == (4, 84, 84)
    obs, act, ab = _batch(IMG, spaces.Discrete(2), 3)
    np.testing.assert_allclose(
        last.predict_members(obs.transpose(0, 2, 3, 1), act, ab),
        first.predict_members(obs, act, ab),
        rtol=1e-5,
        atol=1e-6,
    )


def test_disagreement_is_variance_of_member_preferences():
    ens = RewardEnsemble(VEC, spaces.Discrete(3), device="cpu")
    rng = np.random.default_rng(0)

    def seg(n, terminated=False):
        return Segment(
            obs=rng.normal(size=(n, 5)).astype(np.float32),
            actions=rng.integers(0, 3, n),
            true_rewards=np.zeros(n),
            env_id="x",
            terminated=terminated,
        )

    pairs = [(seg(6), seg(6)), (seg(3, True), seg(6)), (seg(6), seg(6))]
    var = ens.disagreement(pairs)
    assert var.shape == (3,) and np.all(var >= 0) and np.any(var > 0)
    # Identical segments: every member says 0.5, so no disagreement.
    same = seg(6)
    assert ens.disagreement([(same, same)])[0] == pytest.approx(0.0, abs=1e-12)


def test_unsupported_spaces_are_clear_errors():
    with pytest.raises(HfrlError, match="Box observation"):
        RewardEnsemble(spaces.Discrete(4), spaces.Discrete(2), device="cpu")
    with pytest.raises(HfrlError, match="Discrete or Box action"):
        RewardEnsemble(VEC, spaces.MultiBinary(3), device="cpu")


def test_segment_returns_equal_the_sum_of_per_step_rewards():
    # Live steps run through the network, absorbing steps share one evaluation, masked steps
    # (after a truncated end) count nothing: the same as summing raw() step by step.
    ens = RewardEnsemble(VEC, spaces.Discrete(3), device="cpu")
    rng = np.random.default_rng(1)
    b, length = 4, 6
    obs = rng.normal(size=(b, length, 5)).astype(np.float32)
    act = rng.integers(0, 3, (b, length))
    absorbing = np.zeros((b, length), dtype=bool)
    absorbing[0, 3:] = True
    absorbing[2, 1:] = True
    mask = np.ones((b, length), dtype=np.float32)
    mask[1, 4:] = 0.0
    with torch.no_grad():
        got = ens.segment_returns(*ens.as_pair_tensors(obs, act, absorbing, mask))
        per_step = ens.raw(
            *ens.as_tensors(obs.reshape(-1, 5), act.reshape(-1), absorbing.reshape(-1))
        )
    expected = (per_step.view(3, b, length) * torch.as_tensor(mask)).sum(dim=2)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
