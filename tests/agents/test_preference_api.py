"""The preference agent as a library part: your VecEnv, your SB3 model, your callbacks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hfrl.agents.preference import PreferenceAgent, PreferenceConfig, PreferenceStats
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import SubprocVecEnv, VecNormalize

from hfrl.errors import HfrlError
from hfrl.teachers.presets import make_teacher

FAST_REWARD = {"epochs": 3, "min_steps": 10}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _make_cartpole(seed: int):
    def build():
        from hfrl.envs.make import make

        return make("CartPole-v1", seed=seed)

    return build


class CountingCallback(BaseCallback):
    """A user's callback: counts SB3's calls."""

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0
        self.rollouts = 0

    def _on_step(self) -> bool:
        self.steps += 1
        return True

    def _on_rollout_end(self) -> None:
        self.rollouts += 1


def test_trains_on_a_users_subproc_venv_and_model_with_a_users_callback():
    venv = SubprocVecEnv([_make_cartpole(i) for i in range(2)], start_method="fork")
    try:
        model = PPO("MlpPolicy", venv, n_steps=32, batch_size=64, n_epochs=1, seed=0, device="cpu")
        cfg = PreferenceConfig(device="cpu", segment_length=10, reward_train=FAST_REWARD)
        agent = PreferenceAgent(venv, config=cfg, seed=0, model=model)
        assert agent.model is model and agent.env_id == "CartPole-v1"
        assert model.get_env() is agent.env  # moved onto the learned reward
        user = CountingCallback()
        stats = agent.learn(768, make_teacher("oracle", "CartPole-v1", 0), labels=8, callback=user)
        assert user.steps > 0 and user.rollouts >= 2
        assert stats["labels"] == 8 and agent.fits >= 1 and agent.reward.trained
        # the learner trained on the learned reward: its buffer holds the wrapper's rewards
        rewards = model.rollout_buffer.rewards
        assert not np.allclose(rewards, 1.0)
        snap = agent.stats()
        assert isinstance(snap, PreferenceStats)
        assert snap.labels_asked == snap.labels_answered == 8 and snap.reward_fits == agent.fits
        assert snap.env_steps == agent.env_steps >= 256 and snap.true_return is not None
    finally:
        venv.close()


def test_a_users_wrong_wrapper_order_is_refused():
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = VecNormalize(DummyVecEnv([_make_cartpole(0)]))
    with pytest.raises(HfrlError, match="Put VecNormalize on top"):
        PreferenceAgent(venv, config=PreferenceConfig(device="cpu"))


def test_gymnasium_vector_env_and_evaluate_policy():
    import gymnasium as gym
    from stable_baselines3.common.evaluation import evaluate_policy

    gvec = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync")
    cfg = PreferenceConfig(
        device="cpu",
        segment_length=10,
        reward_train=FAST_REWARD,
        learner_kwargs={"n_steps": 32, "batch_size": 64, "n_epochs": 1, "verbose": 1},
    )
    agent = PreferenceAgent(gvec, config=cfg, seed=1)
    assert agent.n_envs == 2 and agent.model is None
    agent.learn(256, make_teacher("oracle", "CartPole-v1", 0), labels=4)
    assert agent.model.verbose == 1 and agent.labels.received == 4
    from stable_baselines3.common.monitor import Monitor

    mean, _ = evaluate_policy(agent, Monitor(_make_cartpole(9)()), n_eval_episodes=2)
    assert mean >= 8  # true CartPole returns (the learned reward is not what is scored)


def test_preference_probability_before_and_after_a_fit():
    cfg = PreferenceConfig(
        device="cpu",
        n_envs=2,
        segment_length=10,
        reward_train=FAST_REWARD,
        learner_kwargs={"n_steps": 32, "batch_size": 64, "n_epochs": 1},
    )
    agent = PreferenceAgent("CartPole-v1", config=cfg, seed=2)
    agent.collect_random(200)
    left, right = agent.pool.segments()[:2]
    assert agent.preference_probability(left, right) is None
    agent.ask(agent.select_queries(6), agent_source := _teacher_source())
    agent.absorb(agent_source)
    p = agent.preference_probability(left, right)
    q = agent.preference_probability(right, left)
    assert p is not None and 0.0 < p < 1.0 and p + q == pytest.approx(1.0, abs=1e-5)


def _teacher_source():
    from hfrl.agents.preference import TeacherLabels

    return TeacherLabels(make_teacher("oracle", "CartPole-v1", 0))


def test_save_and_load_with_a_users_model(tmp_path):
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([_make_cartpole(0)])
    model = PPO("MlpPolicy", venv, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu")
    cfg = PreferenceConfig(device="cpu", segment_length=10, reward_train=FAST_REWARD)
    agent = PreferenceAgent(venv, config=cfg, model=model)
    agent.learn(128, make_teacher("oracle", "CartPole-v1", 0), labels=2)
    agent.save(tmp_path / "a")
    with pytest.raises(HfrlError, match="model built in Python"):
        PreferenceAgent.load(tmp_path / "a")
    venv2 = DummyVecEnv([_make_cartpole(0)])
    fresh = PPO("MlpPolicy", venv2, n_steps=32, batch_size=32, n_epochs=1, seed=5, device="cpu")
    back = PreferenceAgent.load(tmp_path / "a", env=venv2, model=fresh)
    assert back.model is fresh
    obs = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    assert [back.act(o, greedy=True) for o in obs] == [agent.act(o, greedy=True) for o in obs]
