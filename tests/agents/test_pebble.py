"""PEBBLE as published: k-NN state entropy over the replay buffer at update time, divided by
a running std; relabel then reset the critic when pretraining ends."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hfrl.agents.preference import PreferenceAgent, PreferenceConfig
from hfrl.agents.preference import loop as loop_module
from hfrl.agents.preference.pebble import BufferStateEntropy, knn_distance, reset_critic

from hfrl.teachers.presets import make_teacher


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _sac(steps: int = 160):
    from stable_baselines3 import SAC

    model = SAC("MlpPolicy", "Pendulum-v1", learning_starts=80, buffer_size=2000, seed=0)
    model.learn(steps)
    return model


def test_knn_distance_matches_brute_force_in_chunks():
    rng = np.random.default_rng(0)
    states = torch.as_tensor(rng.normal(size=(300, 3)), dtype=torch.float32)
    batch = states[:20]
    d = torch.cdist(batch, states).sort(dim=1).values[:, 5]  # itself at 0, then the 5th
    torch.testing.assert_close(knn_distance(batch, states, 5, chunk=64), d)


def test_buffer_entropy_scores_sampled_states_against_the_whole_buffer():
    model = _sac()
    ent = BufferStateEntropy(model, k=5)
    stored = model.replay_buffer.sample(32).rewards
    ent.attach()
    torch.manual_seed(0)
    batch = model.replay_buffer.sample(32)
    states = torch.as_tensor(model.replay_buffer.observations[: model.replay_buffer.pos, 0])
    expected = knn_distance(batch.observations, states, 5)
    scale = float(np.sqrt(ent.stats.var)) + 1e-8
    torch.testing.assert_close(batch.rewards[:, 0], expected / scale)
    assert ent.stats.count > 32  # the running std has seen this batch
    assert ent(np.zeros((3, 3))).tolist() == [0.0, 0.0, 0.0]  # nothing at collection
    ent.detach()
    assert "sample" not in vars(model.replay_buffer)
    assert model.replay_buffer.sample(32).rewards.shape == stored.shape


def test_reset_critic_reinitialises_critic_and_target_and_keeps_the_actor():
    model = _sac()
    critic = {k: v.clone() for k, v in model.critic.state_dict().items()}
    actor = {k: v.clone() for k, v in model.actor.state_dict().items()}
    assert reset_critic(model)
    assert any(not torch.equal(critic[k], v) for k, v in model.critic.state_dict().items())
    for k, v in model.critic_target.state_dict().items():
        assert torch.equal(v, model.critic.state_dict()[k])
    for k, v in model.actor.state_dict().items():
        assert torch.equal(v, actor[k])
    assert not model.critic.optimizer.state


def test_pretraining_ends_with_relabel_then_critic_reset(monkeypatch):
    calls: list[str] = []
    real_relabel, real_reset = loop_module.relabel_replay_buffer, loop_module.reset_critic

    def relabel(model, reward, *args):
        calls.append("relabel")
        return real_relabel(model, reward, *args)

    def reset(model):
        calls.append("reset")
        return real_reset(model)

    monkeypatch.setattr(loop_module, "relabel_replay_buffer", relabel)
    monkeypatch.setattr(loop_module, "reset_critic", reset)
    cfg = PreferenceConfig(device="cpu", pretrain_steps=240, learner_kwargs={"learning_starts": 80})
    agent = PreferenceAgent("Pendulum-v1", config=cfg, seed=0)
    explore: list[object] = []
    real_train = agent._ensure_model(480).train

    def train(*args, **kwargs):
        explore.append(agent.reward.explore)
        return real_train(*args, **kwargs)

    agent.model.train = train
    agent.learn(480, make_teacher("oracle", "Pendulum-v1", 0), labels=8)
    assert "reset" in calls and calls.index("reset") > calls.index("relabel")
    assert any(isinstance(e, BufferStateEntropy) for e in explore)
    assert explore[-1] is None  # after pretraining the learner trains on the learned reward
    assert "sample" not in vars(agent.model.replay_buffer)
