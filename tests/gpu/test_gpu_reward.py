"""GPU checks (run with ``-m gpu`` on a machine with CUDA): "auto" picks the GPU, and the
reward ensemble gives the CPU's answers there, for vector and frame inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from hfrl.reward import RewardEnsemble, RewardEnsembleConfig
from hfrl.seeding import resolve_device

pytestmark = pytest.mark.gpu

CASES = {
    "mlp": (spaces.Box(-1.0, 1.0, (5,), np.float32), spaces.Discrete(3)),
    "cnn": (spaces.Box(0, 255, (4, 84, 84), np.uint8), spaces.Discrete(6)),
}


def test_auto_device_is_cuda():
    assert torch.cuda.is_available(), "the gpu tier needs a CUDA device"
    assert resolve_device("auto") == "cuda"


@pytest.mark.parametrize("kind", sorted(CASES))
def test_ensemble_on_cuda_matches_cpu(kind, tmp_path):
    obs_space, act_space = CASES[kind]
    rng = np.random.default_rng(0)
    n = 64
    if obs_space.dtype == np.uint8:
        obs = rng.integers(0, 256, (n, *obs_space.shape), dtype=np.uint8)
    else:
        obs = rng.normal(size=(n, *obs_space.shape)).astype(np.float32)
    actions = rng.integers(0, act_space.n, n)

    cpu = RewardEnsemble(obs_space, act_space, RewardEnsembleConfig(n_members=3, seed=3), "cpu")
    cpu.save(tmp_path)
    gpu = RewardEnsemble.load(tmp_path, device="cuda")
    assert str(gpu.device).startswith("cuda")

    want = cpu.predict_members(obs, actions)
    got = gpu.predict_members(obs, actions)
    assert got.shape == want.shape == (3, n)
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
