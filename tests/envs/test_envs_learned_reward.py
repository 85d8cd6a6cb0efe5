"""LearnedRewardVecEnv: one batched reward call per step, right obs, true returns kept."""

from __future__ import annotations

import numpy as np
import pytest
from hfrl.envs.learned_reward import LearnedRewardVecEnv
from hfrl.envs.make import make
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv

N_ENVS = 4


class CountingReward:
    """Stub reward model: records each call, returns -2 per transition."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def __call__(self, obs: np.ndarray, actions: np.ndarray, dones: np.ndarray) -> np.ndarray:
        self.calls.append((obs.copy(), actions.copy(), dones.copy()))
        return np.full(len(obs), -2.0)


def cartpole_venv(monitor: bool) -> DummyVecEnv:
    def factory(i: int):
        def build():
            env = make("CartPole-v1", seed=i, render_mode=None)
            return Monitor(env) if monitor else env

        return build

    return DummyVecEnv([factory(i) for i in range(N_ENVS)])


@pytest.mark.parametrize("monitor", [True, False])
def test_one_call_per_step_on_the_obs_acted_in(monitor):
    reward_fn = CountingReward()
    venv = LearnedRewardVecEnv(cartpole_venv(monitor), reward_fn)
    obs = venv.reset()
    rng = np.random.default_rng(0)
    seen_obs, finished = [], []
    steps = 120
    for _ in range(steps):
        seen_obs.append(obs.copy())
        actions = rng.integers(0, 2, size=N_ENVS)
        obs, rewards, dones, infos = venv.step(actions)
        np.testing.assert_array_equal(reward_fn.calls[-1][1], actions)
        np.testing.assert_array_equal(reward_fn.calls[-1][2], dones)
        assert rewards.shape == (N_ENVS,)
        np.testing.assert_allclose(rewards, -2.0)
        for i, info in enumerate(infos):
            assert info["true_reward"] == 1.0 and info["learned_reward"] == -2.0
            if dones[i]:
                finished.append(info)
                # auto-reset: the returned obs starts the next episode, the terminal one is aside
                assert not np.array_equal(obs[i], info["terminal_observation"])
    assert len(reward_fn.calls) == steps
    for (called_obs, _, _), expected in zip(reward_fn.calls, seen_obs, strict=True):
        assert called_obs.shape == (N_ENVS, 4)
        np.testing.assert_array_equal(called_obs, expected)
    assert finished, "random CartPole episodes should end within 120 steps"
    for info in finished:
        assert info["episode"]["r"] == info["true_episode_return"] == info["episode"]["l"] > 0
        assert info["learned_episode_return"] == pytest.approx(-2.0 * info["episode"]["l"])


def test_sb3_ep_info_buffer_reports_true_returns():
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    venv = LearnedRewardVecEnv(cartpole_venv(monitor=False), CountingReward())
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=N_ENVS * 64)
    returns = [ep["r"] for ep in model.ep_info_buffer]
    assert returns and all(r > 0 for r in returns)  # true CartPole returns, not -2 per step


def test_bad_reward_shape_is_reported():
    venv = LearnedRewardVecEnv(cartpole_venv(False), lambda o, a, d: np.zeros((len(o), 2)))
    venv.reset()
    with pytest.raises(ValueError, match="expected \\(4,\\)"):
        venv.step(np.zeros(N_ENVS, dtype=int))
