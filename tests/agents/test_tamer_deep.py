"""Fast tests of Deep TAMER: learning on credited steps, replay, worker thread, save/load."""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest
import torch
from hfrl.agents.deep_tamer import DeepTamer, DeepTamerConfig
from hfrl.agents.registry import get_agent_class

from hfrl.errors import HfrlError
from hfrl.protocols import Agent
from hfrl.types import Scalar, Step

CP = gym.make("CartPole-v1")


def cartpole_agent(seed: int = 0, **cfg) -> DeepTamer:
    """A Deep TAMER agent on CartPole's spaces with the config fields ``cfg``."""
    return DeepTamer(
        "CartPole-v1", CP.observation_space, CP.action_space, DeepTamerConfig(**cfg), seed=seed
    )


def _step(obs, action, t, i=0):
    obs = np.asarray(obs)
    return Step(obs, action, obs, 0.0, False, False, t_wall=t, episode=0, step=i)


def _teach(agent, s, good, n=60, t0=0.0):
    """Show ``s`` at 10 fps; rate +1 when the agent picks ``good``, -1 otherwise."""
    t = t0
    for i in range(n):
        a = agent.act(s)
        agent.observe(_step(s, a, t, i))
        agent.give(Scalar(1.0 if a == good else -1.0, t + 0.45, i, 0))
        agent.update()
        t += 0.1
    return t


def test_registered_agent_learns_the_rated_action():
    assert get_agent_class("deep-tamer") is DeepTamer
    agent = cartpole_agent(delay_max=0.8, worker="off")
    assert isinstance(agent, Agent) and agent.feedback_kind == "scalar"
    s = np.array([0.0, 0.0, 0.05, 0.3], dtype=np.float32)
    _teach(agent, s, good=1)
    h = agent.action_preferences(s)
    assert h[1] > h[0] and agent.act(s, greedy=True) == 1
    assert agent.buffer.size > 0 and agent.updates > 60  # per-rating steps + replays


def test_loss_uses_only_the_taken_action():
    agent = cartpole_agent(delay_max=0.8, worker="off", replay_every=10**9)
    s = np.zeros(4, dtype=np.float32)
    before = agent.h_values(s)
    for i in range(10):
        agent.observe(_step(s, 0, 0.1 * i))
    # With hidden layers shared, action 1's output moves only through the shared trunk;
    # its output-layer row must not change.
    w1 = agent.net.head[-1].weight[1].detach().clone()
    agent.give(Scalar(1.0, 1.2, 10, 0))
    assert agent.updates == 0 and agent.pending == 1  # give() only queues the update
    agent.update()
    assert agent.updates == 1 and agent.pending == 0
    assert agent.h_values(s)[0] > before[0]
    assert agent.net.head[-1].weight[1].detach().equal(w1)


def test_worker_thread_keeps_acting_fast_and_learns():
    agent = cartpole_agent(delay_max=0.8, worker="on")
    assert agent.threaded and agent.act_net is not agent.net
    s = np.array([0.0, 0.0, -0.05, -0.3], dtype=np.float32)
    _teach(agent, s, good=0)
    agent.wait_for_updates()
    assert agent.updates > 0 and agent.act(s, greedy=True) == 0
    agent.close()
    assert not agent.threaded


def test_auto_worker_moves_slow_updates_off_the_caller():
    agent = cartpole_agent(delay_max=0.8, worker="auto", frame_seconds=0.0)
    _teach(agent, np.zeros(4, dtype=np.float32), good=1, n=20)
    assert agent.threaded  # every update took longer than a 0 s frame
    agent.close()


def test_save_load_resume(tmp_path):
    agent = cartpole_agent(delay_max=0.8, worker="off", seed=1)
    s = np.array([0.1, 0.0, 0.02, 0.1], dtype=np.float32)
    t = _teach(agent, s, good=1, n=20)
    agent.save(tmp_path)
    loaded = DeepTamer.load(tmp_path)
    np.testing.assert_allclose(loaded.h_values(s), agent.h_values(s), rtol=1e-6)
    assert loaded.buffer.size == agent.buffer.size and loaded.feedback_count == 20
    n, h1 = loaded.updates, loaded.h_values(s)[1]
    _teach(loaded, s, good=0, n=20, t0=t + 10)  # now action 1 is punished
    assert loaded.updates > n and loaded.h_values(s)[1] < h1 - 0.1  # learning resumed


def test_atari_cnn_with_autoencoder_pretraining(tmp_path):
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    agent = DeepTamer(
        "ALE/Bowling-v5",
        space,
        gym.spaces.Discrete(6),
        DeepTamerConfig(autoencoder_frames=32, autoencoder_epochs=1, worker="off"),
    )
    assert agent.pretrained
    frozen = agent.net.encoder.convs[0].weight.detach().clone()
    obs = np.random.default_rng(0).integers(0, 255, (4, 84, 84), dtype=np.uint8)
    for i in range(5):
        agent.observe(_step(obs, 2, 0.1 * i))
    agent.give(Scalar(-1.0, 1.0, 5, 0))
    agent.update()
    assert agent.updates == 1
    assert agent.net.encoder.convs[0].weight.detach().equal(frozen)  # encoder stays fixed
    assert agent.action_preferences(obs).shape == (6,)
    agent.save(tmp_path)
    assert DeepTamer.load(tmp_path).pretrained


def _weights(agent):
    return {k: v.detach().clone() for k, v in agent.net.state_dict().items()}


def test_inline_updates_are_deterministic():
    def run():
        agent = cartpole_agent(delay_max=0.8, worker="off", replay_every=3, seed=4)
        rng = np.random.default_rng(0)
        t = 0.0
        for i in range(40):
            s = rng.normal(size=4).astype(np.float32) * 0.1
            a = agent.act(s)
            agent.observe(_step(s, a, t, i))
            if i % 2:
                agent.give(Scalar(1.0 if a == 1 else -1.0, t + 0.3, i, 0))
            agent.update()
            t += 0.1
        return _weights(agent), agent.updates

    (w1, n1), (w2, n2) = run(), run()
    assert n1 == n2 > 20
    assert all(torch.equal(w1[k], w2[k]) for k in w1)


def test_give_is_cheap_even_for_a_cnn():
    """give() queues records: no SGD step, whatever the network (the UI calls it per key)."""
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    agent = DeepTamer(
        "ALE/Bowling-v5", space, gym.spaces.Discrete(6), DeepTamerConfig(worker="off")
    )
    obs = np.random.default_rng(0).integers(0, 255, (4, 84, 84), dtype=np.uint8)
    for i in range(60):  # 4 s at 15 fps: the whole [0.2 s, 4 s] window is credited
        agent.observe(_step(obs, i % 6, i / 15))
    agent.update()  # the replays observe() queued
    n = agent.updates
    for k in range(20):
        agent.give(Scalar(1.0, 4.0 + 0.01 * k, 60, 0))
    assert agent.updates == n and agent.pending == 20  # give() queued, trained nothing yet
    agent.update()
    assert agent.updates == n + 20 and agent.buffer.size >= 50


def test_worker_runs_queued_updates_without_update_calls():
    agent = cartpole_agent(delay_max=0.8, worker="on", replay_every=10**9)
    s = np.zeros(4, dtype=np.float32)
    for i in range(5):
        agent.observe(_step(s, 1, 0.1 * i))
    agent.give(Scalar(1.0, 0.9, 5, 0))  # wakes the thread by itself
    deadline = time.perf_counter() + 300  # a guard against a hang, not a speed budget
    while agent.updates == 0 and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert agent.updates == 1 and agent.pending == 0
    agent.close()


def test_explore_picks_random_actions_only_while_learning():
    agent = cartpole_agent(explore=1.0, worker="off")
    s = np.zeros(4, dtype=np.float32)
    best = int(np.argmax(agent.h_values(s)))
    assert {agent.act(s, greedy=True) for _ in range(20)} == {best}
    assert {agent.act(s) for _ in range(50)} == {0, 1}


def test_continuous_actions_get_a_clear_error():
    env = gym.make("Pendulum-v1")
    with pytest.raises(HfrlError, match=r"discrete action space.*ALE/<Game>-v5"):
        DeepTamer("Pendulum-v1", env.observation_space, env.action_space)


def test_dueling_head_moves_untaken_actions_the_other_way():
    """Ĥ = V + A - mean(A): rating the taken action also trains the untaken actions' rows."""
    agent = cartpole_agent(delay_max=0.8, worker="off", replay_every=10**9, dueling=True)
    s = np.array([0.0, 0.0, 0.02, 0.1], dtype=np.float32)
    x = torch.as_tensor(s)[None]
    raw = agent.net.head(2.0 * (x - agent.net.low) / agent.net.span - 1.0)
    h = agent.net(x)
    assert raw.shape == (1, 3) and h.shape == (1, 2)
    torch.testing.assert_close(h.mean(dim=1), raw[:, 0])  # the mean over actions is V(s)
    last = agent.net.head[-1].weight.detach().clone()  # rows: V, A(0), A(1)
    before = agent.h_values(s)
    for i in range(10):
        agent.observe(_step(s, 0, 0.1 * i, i))
    agent.give(Scalar(-1.0, 1.2, 10, 0))
    agent.update()
    assert agent.updates == 1
    after_w = agent.net.head[-1].weight.detach()
    assert not after_w[2].equal(last[2])  # the untaken action's row moved too
    a_gap = lambda h: h[1] - h[0]  # noqa: E731
    assert a_gap(agent.h_values(s)) > a_gap(before)  # action 0 fell relative to action 1


def test_frame_input_normalisation_is_fitted_saved_and_loaded(tmp_path):
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    config = DeepTamerConfig(normalize_frames=24, worker="off", dueling=True)
    agent = DeepTamer("ALE/Bowling-v5", space, gym.spaces.Discrete(6), config)
    enc = agent.net.encoder
    assert 1.0 <= float(enc.scale) < 255.0 and float(enc.mean.max()) > 0
    # The mean frame itself is a zero input: only departures from the screen register.
    mean_frame = enc.mean.round().clamp(0, 255).to(torch.uint8)[None]
    x = (mean_frame.float() - enc.mean) / enc.scale
    assert float(x.abs().max()) <= 0.5 / float(enc.scale) + 1e-6
    obs = mean_frame[0].numpy()
    agent.save(tmp_path)
    loaded = DeepTamer.load(tmp_path)
    assert torch.equal(loaded.net.encoder.mean, enc.mean)
    assert float(loaded.net.encoder.scale) == float(enc.scale)
    np.testing.assert_allclose(loaded.h_values(obs), agent.h_values(obs), rtol=1e-6)
