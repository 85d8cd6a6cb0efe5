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


# --------------------------------------------------------------------------- composable
def test_a_reward_of_s_a_s_prime_gets_the_next_observation():
    calls = []

    def transition_reward(obs, actions, next_obs, dones):
        calls.append((obs.copy(), next_obs.copy(), dones.copy()))
        return next_obs[:, 0] - obs[:, 0]

    venv = LearnedRewardVecEnv(cartpole_venv(False), transition_reward)
    assert venv.takes_next_obs
    obs = venv.reset()
    ended = 0
    for _ in range(60):
        new_obs, rewards, dones, infos = venv.step(np.zeros(N_ENVS, dtype=int))
        seen_obs, seen_next, _ = calls[-1]
        np.testing.assert_array_equal(seen_obs, obs)
        for i in range(N_ENVS):
            want = infos[i]["terminal_observation"] if dones[i] else new_obs[i]
            np.testing.assert_array_equal(seen_next[i], want)
            ended += int(dones[i])
        np.testing.assert_allclose(rewards, seen_next[:, 0] - obs[:, 0], rtol=1e-6)
        obs = new_obs
    assert ended > 0  # pushing left ends CartPole within 60 steps


def test_the_signature_is_declared_or_read_from_the_arity():
    from hfrl.envs.learned_reward import takes_next_obs

    from hfrl.errors import HfrlError

    class Declared:
        takes_next_obs = True

        def __call__(self, *args):
            return np.zeros(len(args[0]))

    assert takes_next_obs(Declared()) is True
    assert takes_next_obs(lambda o, a, d: o) is False
    assert takes_next_obs(lambda o, a, n, d: o) is True
    with pytest.raises(HfrlError, match=r"\(obs, actions, next_obs, dones\)"):
        takes_next_obs(lambda o, a: o)


@pytest.mark.parametrize("wrapper", ["VecNormalize", "VecFrameStack"])
def test_a_wrong_wrapper_order_is_refused_naming_the_fix(wrapper):
    from stable_baselines3.common import vec_env

    from hfrl.errors import HfrlError

    base = cartpole_venv(False)
    below = (
        vec_env.VecNormalize(base) if wrapper == "VecNormalize" else vec_env.VecFrameStack(base, 4)
    )
    with pytest.raises(
        HfrlError, match=f"Put {wrapper} on top instead: {wrapper}\\(LearnedRewardVecEnv"
    ):
        LearnedRewardVecEnv(below, CountingReward())
    # the right order works: the wrapper on the env, the normaliser above it
    ok = vec_env.VecNormalize(LearnedRewardVecEnv(cartpole_venv(False), CountingReward()))
    ok.reset()
    ok.step(np.zeros(N_ENVS, dtype=int))


def test_dict_observations_get_a_clear_message():
    import gymnasium as gym
    from gymnasium import spaces

    from hfrl.errors import HfrlError

    class DictEnv(gym.Env):
        observation_space = spaces.Dict(
            {"pos": spaces.Box(-1, 1, (2,)), "goal": spaces.Discrete(3)}
        )
        action_space = spaces.Discrete(2)

    with pytest.raises(
        HfrlError, match=r"needs array observations, got a Dict space.*FlattenObservation"
    ):
        LearnedRewardVecEnv(DummyVecEnv([DictEnv]), CountingReward())


@pytest.mark.parametrize("mode", ["SAME_STEP", "NEXT_STEP"])
def test_gymnasium_vector_envs_are_adapted(mode):
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    gvec = gym.make_vec(
        "CartPole-v1",
        num_envs=N_ENVS,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": getattr(AutoresetMode, mode)},
    )
    reward_fn = CountingReward()
    venv = LearnedRewardVecEnv(gvec, reward_fn)
    venv.seed(0)
    obs = venv.reset()
    assert obs.shape == (N_ENVS, 4)
    finished = 0
    for _ in range(80):
        acted_in = obs.copy()
        obs, _, dones, infos = venv.step(np.zeros(N_ENVS, dtype=int))
        np.testing.assert_array_equal(reward_fn.calls[-1][0], acted_in)
        for i in np.flatnonzero(dones):
            finished += 1
            term = infos[i]["terminal_observation"]
            assert abs(term[2]) > 0.2 or abs(term[0]) > 2.4  # the pole fell: a real last obs
            assert abs(obs[i]).max() <= 0.05  # the next episode's first obs
            assert infos[i]["episode"]["r"] == infos[i]["episode"]["l"]
    assert finished >= N_ENVS
    venv.close()
