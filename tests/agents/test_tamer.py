"""Fast tests of the TAMER agent: API, credit-weighted learning, save/load/resume, errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hfrl.agents.features import RBFConfig, RBFFeatures, obs_bounds
from hfrl.agents.registry import get_agent_class
from hfrl.agents.tamer import Tamer, TamerConfig

from hfrl.errors import HfrlError
from hfrl.protocols import Agent
from hfrl.types import Scalar, Step

MC_SPACE = gym.spaces.Box(np.array([-1.2, -0.07], np.float32), np.array([0.6, 0.07], np.float32))


def _step(obs, action, t, i=0, done=False):
    obs = np.asarray(obs, dtype=np.float32)
    return Step(obs, action, obs, 0.0, done, False, t_wall=t, episode=0, step=i)


def test_rbf_grid_sizes_and_peak():
    f = RBFFeatures(np.zeros(2), np.ones(2), RBFConfig())
    assert f.dim == 40 * 40 + 1
    phi = f(np.array([0.0, 0.0]))
    assert phi[0] == pytest.approx(1.0)  # the corner centre sits on the point
    assert phi[-1] == 1.0  # bias
    pairs = RBFFeatures(np.zeros(4), np.ones(4))
    assert len(pairs.groups) == 6 and pairs.dim == 6 * 64 + 1


def test_obs_bounds_are_finite_for_unbounded_spaces():
    space = gym.make("CartPole-v1").observation_space
    low, high = obs_bounds("CartPole-v1", space)
    assert np.all(np.isfinite(low)) and np.all(high > low)
    low, high = obs_bounds("Unknown-v0", space)
    assert np.all(np.isfinite(low)) and high[1] == 3.0


def test_tamer_is_an_agent_and_registered():
    agent = Tamer("MountainCar-v0", MC_SPACE, gym.spaces.Discrete(3))
    assert isinstance(agent, Agent)
    assert agent.feedback_kind == "scalar"
    assert get_agent_class("tamer") is Tamer
    assert agent.action_preferences(np.zeros(2)).shape == (3,)


def test_ties_are_broken_at_random():
    agent = Tamer("MountainCar-v0", MC_SPACE, gym.spaces.Discrete(3), seed=1)
    assert len({agent.act(np.zeros(2), greedy=True) for _ in range(60)}) == 3


def test_rating_credits_steps_inside_delay_window_only():
    """Steps at 10 fps: t = 0.0, 0.1, ..., 0.9. A rating at t_f = 1.0 with the window
    [0.2, 0.8] credits the steps whose interval lies [0.2, 0.8] s before it: those starting
    at 0.2 ... 0.7, 1/6 each; the steps at 0.0-0.1 (delay > 0.8 s) and 0.8-0.9 (< 0.2 s)
    get nothing."""
    config = TamerConfig(step_size=0.05, rbf_width=0.02)  # narrow RBFs: no spill-over
    agent = Tamer("MountainCar-v0", MC_SPACE, gym.spaces.Discrete(3), config)
    states = [np.array([-1.0 + 0.15 * i, 0.0]) for i in range(10)]
    for i, s in enumerate(states):
        agent.observe(_step(s, 2, 0.1 * i, i))
    agent.give(Scalar(1.0, 1.0, 10, 0))
    bias = agent.weights[2, -1]  # the constant feature is shared by every state
    h = np.array([agent.h_values(s)[2] for s in states]) - bias
    credited = [2, 3, 4, 5, 6, 7]  # intervals [0.2,0.3) ... [0.7,0.8)
    assert np.all(h[credited] > 0.01)
    np.testing.assert_allclose(h[credited], h[credited][0], rtol=0.1)  # equal credit
    assert np.all(np.abs(h[[0, 1, 8, 9]]) < 0.02 * h[credited].min())
    assert np.all(agent.h_values(states[4])[:2] == 0.0)  # other actions untouched


def test_negative_rating_changes_the_greedy_action():
    agent = Tamer("MountainCar-v0", MC_SPACE, gym.spaces.Discrete(3), TamerConfig(step_size=0.05))
    s = np.array([-0.5, 0.01])
    t = 0.0
    for _ in range(30):
        a = agent.act(s)
        agent.observe(_step(s, a, t))
        t += 0.1
        agent.give(Scalar(1.0 if a == 2 else -1.0, t + 0.4, 0, 0))
    assert agent.act(s, greedy=True) == 2


def test_mlp_model_learns_from_ratings():
    agent = Tamer(
        "MountainCar-v0", MC_SPACE, gym.spaces.Discrete(3), TamerConfig(model="mlp"), seed=0
    )
    s = np.array([-0.5, 0.01])
    for i in range(40):
        agent.observe(_step(s, 1, 0.1 * i))
        agent.give(Scalar(-1.0, 0.1 * i + 0.5, i, 0))
    h = agent.h_values(s)
    assert h[1] < min(h[0], h[2]) and h[1] < -0.5


def test_save_load_resume(tmp_path):
    agent = Tamer("MountainCar-v0", MC_SPACE, gym.spaces.Discrete(3), TamerConfig(step_size=0.05))
    s = np.array([0.1, -0.02])
    for i in range(10):
        agent.observe(_step(s, 0, 0.1 * i))
    agent.give(Scalar(1.0, 1.2, 10, 0))
    agent.save(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"agent.json", "weights.npz", "history.npz"}
    loaded = Tamer.load(tmp_path)
    np.testing.assert_allclose(loaded.h_values(s), agent.h_values(s))
    assert loaded.feedback_count == 1 and loaded.config.step_size == agent.config.step_size
    before = loaded.h_values(s)[0]
    for i in range(10):
        loaded.observe(_step(s, 0, 5 + 0.1 * i))
    loaded.give(Scalar(1.0, 6.2, 20, 0))
    assert loaded.h_values(s)[0] > before  # keeps learning after load


def test_mlp_save_load(tmp_path):
    agent = Tamer(
        "CartPole-v1",
        gym.make("CartPole-v1").observation_space,
        gym.spaces.Discrete(2),
        TamerConfig(model="mlp"),
    )
    agent.save(tmp_path)
    loaded = Tamer.load(tmp_path)
    s = np.array([0.1, 0.2, 0.01, -0.3])
    np.testing.assert_allclose(loaded.h_values(s), agent.h_values(s))


def test_continuous_actions_get_a_clear_error():
    with pytest.raises(HfrlError, match=r"discrete action space.*CartPole-v1.*MountainCar-v0"):
        Tamer(
            "Pendulum-v1",
            gym.make("Pendulum-v1").observation_space,
            gym.make("Pendulum-v1").action_space,
        )


def test_image_observations_point_to_deep_tamer():
    space = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    with pytest.raises(HfrlError, match="deep-tamer"):
        Tamer("ALE/Bowling-v5", space, gym.spaces.Discrete(6))
