"""Deep COACH: the windowed importance-weighted objective, API, save/load/resume, worker
thread, and `hfrl train deep-coach` / `hfrl train coach` end to end at a tiny budget."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from hfrl.agents.deep_coach import DeepCoach, DeepCoachConfig, _Window

from hfrl.errors import HfrlError
from hfrl.protocols import Agent
from hfrl.types import Scalar, Step


def cartpole_agent(**cfg) -> DeepCoach:
    env = gym.make("CartPole-v1")
    config = DeepCoachConfig(device="cpu", worker=cfg.pop("worker", "off"), **cfg)
    return DeepCoach("CartPole-v1", env.observation_space, env.action_space, config, seed=0)


def feed(agent: DeepCoach, n: int, action: int, t0: float = 0.0, obs=None) -> None:
    rng = np.random.default_rng(0)
    for k in range(n):
        o = obs if obs is not None else rng.normal(0, 0.05, 4).astype(np.float32)
        agent.act(o)
        agent.observe(Step(o, action, o, 1.0, False, False, t0 + 0.1 * k, 0, k))


def test_defaults_are_the_papers():
    c = DeepCoachConfig()
    assert (c.window, c.trace_lambda, c.batch_size, c.entropy_coef, c.lr) == (
        10,
        0.35,
        16,
        1.5,
        2.5e-4,
    )


def test_window_weights_and_objective_by_hand():
    """Trace credit: the window holds the last L steps shown, weights λ^age (newest 1).

    With θ unchanged since acting, every ratio π/π_old is 1, so with β = 0 the objective is
    −f·Σ_k λ^age_k; its gradient equals −f·Σ_k λ^age_k ∇ log π(a_k|s_k).
    """
    agent = cartpole_agent(window=3, trace_lambda=0.5, entropy_coef=0.0)
    feed(agent, 5, action=1)
    agent._cached = None
    credit = agent.credit(Scalar(2.0, 0.45, 4, 0))
    assert [s.index for s in credit.steps] == [2, 3, 4]
    w = credit.weights
    np.testing.assert_allclose(w, [0.25, 0.5, 1.0])
    window = _Window(
        obs=credit.stack("obs"),
        actions=credit.stack("action"),
        p_old=credit.stack("p_old").astype(np.float32),
        weights=w.astype(np.float32),
        value=2.0,
    )
    loss, _ = agent.loss([window])
    assert float(loss.detach()) == pytest.approx(-2.0 * 1.75, rel=1e-5)
    # the gradient of the loss is −f Σ c ∇log π (checked against autograd on log π directly)
    agent.net.zero_grad()
    agent.loss([window])[0].backward()
    g_obj = [p.grad.clone() for p in agent.net.parameters()]
    agent.net.zero_grad()
    obs = torch.as_tensor(window.obs)
    logp = torch.log_softmax(agent.net(obs), 1)[torch.arange(3), torch.as_tensor(window.actions)]
    ratio = (logp.exp() / torch.as_tensor(window.p_old)).detach()
    (-(2.0 * torch.as_tensor(window.weights) * ratio * logp).sum()).backward()
    for a, b in zip(g_obj, [p.grad for p in agent.net.parameters()], strict=True):
        torch.testing.assert_close(a, b)


def test_feedback_moves_the_policy_toward_rewarded_actions():
    agent = cartpole_agent(lr=3e-3, entropy_coef=0.0, credit="window")
    assert isinstance(agent, Agent) and agent.feedback_kind == "scalar"
    obs = np.zeros(4, dtype=np.float32)
    before = agent.action_preferences(obs)[1]
    for r in range(20):
        feed(agent, 10, action=1, t0=r * 1.0, obs=obs)
        agent.give(Scalar(1.0, r * 1.0 + 0.9, r * 10 + 9, 0))
        assert agent.updates == r  # give() only queues the update ...
        agent.update()  # ... update() runs it
    after = agent.action_preferences(obs)
    assert after[1] > before + 0.2 and agent.act(obs, greedy=True) == 1
    np.testing.assert_allclose(after.sum(), 1.0, rtol=1e-6)
    assert agent.update()["updates"] == 20.0


def test_worker_thread_trains_off_the_acting_path():
    agent = cartpole_agent(worker="on", lr=3e-3, entropy_coef=0.0, credit="window")
    assert agent.threaded and agent.act_net is not agent.net
    obs = np.zeros(4, dtype=np.float32)
    for r in range(10):
        feed(agent, 10, action=0, t0=r * 1.0, obs=obs)
        agent.give(Scalar(1.0, r * 1.0 + 0.9, r * 10 + 9, 0))
    agent.wait_for_updates()
    assert agent.updates == 10 and agent.action_preferences(obs)[0] > 0.6
    agent.close()
    assert not agent.threaded


def test_save_load_resume(tmp_path):
    agent = cartpole_agent(lr=1e-3)
    feed(agent, 12, action=1)
    agent.give(Scalar(1.0, 1.1, 11, 0))
    agent.save(tmp_path)
    loaded = DeepCoach.load(tmp_path, device="cpu")
    obs = np.array([0.01, 0.0, 0.02, 0.1], dtype=np.float32)
    np.testing.assert_allclose(loaded.action_preferences(obs), agent.action_preferences(obs))
    assert loaded.updates == 1 and loaded.config == agent.config
    feed(loaded, 12, action=1, t0=5.0)
    loaded.give(Scalar(1.0, 6.1, 11, 0))
    loaded.update()
    assert loaded.updates == 2


def test_cnn_policy_on_frames_with_frozen_encoder():
    space = gym.spaces.Box(0, 255, shape=(4, 84, 84), dtype=np.uint8)
    agent = DeepCoach("ALE/Pong-v5", space, gym.spaces.Discrete(6), DeepCoachConfig(device="cpu"))
    agent.pretrained = True  # as after autoencoder pretraining
    agent.optim = torch.optim.Adam(agent._trainable(), lr=1e-3)
    enc = [p.clone() for p in agent.net.encoder.parameters()]
    frame = np.random.default_rng(0).integers(0, 255, (4, 84, 84), dtype=np.uint8)
    for k in range(4):
        agent.act(frame)
        agent.observe(Step(frame, k % 6, frame, 0.0, False, False, 0.1 * k, 0, k))
    agent.give(Scalar(-1.0, 0.5, 3, 0))
    agent.update()
    assert agent.updates == 1 and agent.action_preferences(frame).shape == (6,)
    for a, b in zip(enc, agent.net.encoder.parameters(), strict=True):
        assert torch.equal(a, b)


def test_bad_config_and_spaces():
    with pytest.raises(HfrlError, match="credit"):
        DeepCoachConfig(credit="x")
    with pytest.raises(HfrlError, match="discrete"):
        DeepCoach("Pendulum-v1", gym.make("Pendulum-v1").observation_space, gym.spaces.Box(-1, 1))


@pytest.mark.parametrize("agent_name", ["coach", "deep-coach"])
def test_hfrl_train_writes_summary_and_curve(tmp_path, agent_name):
    from hfrl.cli import main

    out = tmp_path / agent_name
    code = main(
        [
            "train",
            agent_name,
            "--env",
            "CartPole-v1",
            "--teacher",
            "human-pd",
            "--episodes",
            "3",
            "--fps",
            "10",
            "--eval-episodes",
            "2",
            "--out",
            str(out),
            "--no-progress",
            "--set",
            "device=cpu" if agent_name == "deep-coach" else "learning_rate=1.0",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["agent"] == agent_name and summary["episodes"] == 3
    assert summary["teacher_params"]["name"] == "human-pd"
    assert "policy-dependent" in summary["teacher_params"]["oracle"]
    assert summary["feedback_count"] > 0 and np.isfinite(summary["eval_return_mean"])
    rows = (out / "curve.csv").read_text().splitlines()
    assert rows[0].startswith("env_steps") and len(rows) == 1 + 3 + 1
    assert (out / "agent" / "agent.json").exists()


def test_old_steps_are_forgotten_but_the_window_stays():
    agent = cartpole_agent(window=10)
    feed(agent, 200, action=0)  # 20 s at 10 steps/s; ratings reach back 0.8 s (+1 s slack)
    assert 10 <= len(agent.history) <= 20
    slow = cartpole_agent(window=10)
    for k in range(30):  # one step every 2 s: the last L steps are kept whatever their age
        o = np.zeros(4, dtype=np.float32)
        slow.observe(Step(o, 0, o, 1.0, False, False, 2.0 * k, 0, k))
    assert len(slow.history) == 10
