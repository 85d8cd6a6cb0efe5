"""What every live agent shares (agents/live_base.py): a save/load round trip in the middle
of an episode changes no later decision or update; SB3's ``predict`` contract runs
``evaluate_policy``; Deep COACH's window credit keeps the rated step at any display rate."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from hfrl.agents.coach import Coach, CoachConfig
from hfrl.agents.deep_coach import DeepCoach, DeepCoachConfig
from hfrl.agents.deep_tamer import DeepTamer, DeepTamerConfig
from hfrl.agents.live_base import LiveAgent
from hfrl.agents.tamer import Tamer, TamerConfig

from hfrl.types import Scalar, Step

ENV = "CartPole-v1"


def _spaces():
    env = gym.make(ENV)
    return env.observation_space, env.action_space


BUILDERS = {
    "tamer": lambda: Tamer(ENV, *_spaces(), TamerConfig(), seed=3),
    "tamer-mlp": lambda: Tamer(ENV, *_spaces(), TamerConfig(model="mlp"), seed=3),
    "deep-tamer": lambda: DeepTamer(
        ENV,
        *_spaces(),
        DeepTamerConfig(worker="off", device="cpu", replay_every=4, explore=0.2),
        seed=3,
    ),
    "coach-window": lambda: Coach(ENV, *_spaces(), CoachConfig(), seed=3),
    "coach-trace": lambda: Coach(ENV, *_spaces(), CoachConfig(credit="trace"), seed=3),
    "deep-coach-window": lambda: DeepCoach(
        ENV, *_spaces(), DeepCoachConfig(worker="off", device="cpu", credit="window"), seed=3
    ),
    "deep-coach-trace": lambda: DeepCoach(
        ENV, *_spaces(), DeepCoachConfig(worker="off", device="cpu", credit="trace"), seed=3
    ),
}


def _params(agent: LiveAgent) -> list[np.ndarray]:
    """Everything that learning moves."""
    if isinstance(agent, Tamer):
        out = [agent.weights.copy()]
        if agent.net is not None:
            out += [p.detach().numpy().copy() for p in agent.net.parameters()]
        return out
    if isinstance(agent, Coach):
        return [agent.policy.theta.copy(), *(e.copy() for e in agent.traces.traces.values())]
    return [p.detach().cpu().numpy().copy() for p in agent.net.parameters()]


OBS = np.random.default_rng(7).normal(0.0, 0.05, (40, 4)).astype(np.float32)
"""A scripted stream of CartPole-like states (one long episode)."""


def _play(agent: LiveAgent, start: int, n: int, fps: float = 10.0) -> list[int]:
    """Steps ``start`` .. ``start + n - 1`` of the stream: act, observe, rate every third
    step (+1 for action 1, -1 for 0), update; the actions taken."""
    actions = []
    for k in range(start, start + n):
        obs = OBS[k]
        a = agent.act(obs)
        actions.append(a)
        agent.observe(Step(obs, a, OBS[k + 1], 1.0, False, False, k / fps, 0, k))
        if k % 3 == 2:
            agent.give(Scalar(1.0 if a == 1 else -1.0, k / fps + 0.45, k, 0))
        agent.update()
    return actions


@pytest.mark.parametrize("name", list(BUILDERS))
def test_save_load_mid_episode_changes_no_later_decision_or_update(name, tmp_path):
    torch.manual_seed(0)
    agent = BUILDERS[name]()
    _play(agent, 0, 12)
    agent.save(tmp_path / "mid")
    loaded = type(agent).load(tmp_path / "mid")
    for p, q in zip(_params(agent), _params(loaded), strict=True):
        np.testing.assert_array_equal(p, q)
    assert len(loaded.history) == len(agent.history) > 0
    assert loaded.history.next_index == agent.history.next_index == 12
    assert _play(agent, 12, 24) == _play(loaded, 12, 24)  # the same decisions ...
    for p, q in zip(_params(agent), _params(loaded), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)  # ... and the same updates
    assert loaded.updates == agent.updates > 0
    assert loaded.steps_seen == agent.steps_seen == 36
    assert loaded.feedback_count == agent.feedback_count == 12
    if isinstance(agent, DeepTamer):
        assert loaded.buffer.size == agent.buffer.size > 0
    if isinstance(agent, DeepCoach):
        assert len(loaded.buffer) == len(agent.buffer) > 0


def test_coach_trace_keeps_its_episode_across_a_load(tmp_path):
    """The bug of issue 10: traces were zeroed on the first step after a load."""
    agent = BUILDERS["coach-trace"]()
    _play(agent, 0, 6)
    agent.save(tmp_path)
    loaded = Coach.load(tmp_path)
    assert loaded.traces.episode == agent.traces.episode == 0
    o = np.zeros(4, dtype=np.float32)
    for a in (agent, loaded):
        a.observe(Step(o, 0, o, 1.0, False, False, 0.6, 0, 6))
    for e, f in zip(agent.traces.traces.values(), loaded.traces.traces.values(), strict=True):
        np.testing.assert_allclose(e, f)
        assert np.abs(f).sum() > 0


@pytest.mark.parametrize("name", ["tamer", "deep-tamer", "coach-window", "deep-coach-window"])
def test_evaluate_policy_runs_on_every_live_agent(name):
    from stable_baselines3.common.evaluation import evaluate_policy

    agent = BUILDERS[name]()
    env = gym.make(ENV)
    mean, _ = evaluate_policy(agent, env, n_eval_episodes=2, deterministic=True)
    assert np.isfinite(mean) and mean >= 8  # CartPole gives at least ~8 before falling
    actions, state = agent.predict(np.zeros((3, 4), dtype=np.float32), deterministic=True)
    assert state is None and actions.shape == (3,) and set(actions.tolist()) <= {0, 1}
    single, _ = agent.predict(np.zeros(4, dtype=np.float32), deterministic=True)
    assert np.ndim(single) == 0


@pytest.mark.parametrize("fps", [10.0, 50.0])
def test_deep_coach_window_credit_keeps_the_rated_step_at_any_display_rate(fps):
    """A rating 0.5 s after step j was shown (inside the 0.2-0.8 s delay window) credits
    step j, and the whole window's mass, at 10 fps and at 50 fps."""
    agent = DeepCoach(ENV, *_spaces(), DeepCoachConfig(worker="off", device="cpu"), seed=0)
    assert agent.config.credit == "trace"  # the class default stays the paper's
    agent = DeepCoach(
        ENV, *_spaces(), DeepCoachConfig(worker="off", device="cpu", credit="window"), seed=0
    )
    o = np.zeros(4, dtype=np.float32)
    n = int(3 * fps)
    for k in range(n):
        agent.act(o)
        agent.observe(Step(o, k % 2, o, 1.0, False, False, k / fps, 0, k))
    rated = n - int(0.5 * fps) - 1
    t_f = rated / fps + 0.5
    credit = agent.credit(Scalar(1.0, t_f, rated, 0))
    credited = [s.index for s in credit.steps]
    assert rated in credited
    assert sum(credit.weights) == pytest.approx(1.0, abs=1e-9)  # nothing cut off
    assert len(credited) >= int(0.6 * fps)  # ~0.6 s of steps, more than L=10 at 50 fps
    agent.give(Scalar(1.0, t_f, rated, 0), credit)
    agent.update()
    assert agent.updates == 1 and len(agent.buffer[-1].actions) == len(credited)
