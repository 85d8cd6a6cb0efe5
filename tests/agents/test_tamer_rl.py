"""Fast tests of TAMER+RL: each combination rule against hand-computed numbers, SARSA(λ)'s
traces, the sequential / simultaneous phases, and a save/load round trip mid-episode."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hfrl.agents.registry import get_agent_class
from hfrl.agents.sarsa import LinearSarsa, SarsaConfig
from hfrl.agents.tamer_rl import TamerRL, TamerRLConfig
from hfrl.agents.tamer_rl_rules import annealed_beta, choose_action, td_error

from hfrl.errors import HfrlError
from hfrl.types import Scalar, Step

MC_SPACE = gym.spaces.Box(np.array([-1.2, -0.07], np.float32), np.array([0.6, 0.07], np.float32))

# r = -1, Q(s,a) = 2, Ĥ(s,a) = 0.5, Q(s',a') = 3, Ĥ(s',a') = -1, β = 0.5, γ = 0.9
_T = dict(reward=-1.0, q_sa=2.0, h_sa=0.5, q_next=3.0, h_next=-1.0, beta=0.5, gamma=0.9)


@pytest.mark.parametrize(
    ("combination", "expected", "expected_terminal"),
    [
        # -1 + 0.5*0.5 + 0.9*3 - 2
        ("reward-shaping", -0.05, -1.0 + 0.25 - 2.0),
        # -1 + 0.9*(3 + 0.5*(-1)) - (2 + 0.5*0.5)
        ("q-augmentation", -1.0, -1.0 - 2.25),
        # -1 + 0.9*3 - 2: Ĥ only acts on the choice
        ("action-biasing", -0.3, -3.0),
        ("control-sharing", -0.3, -3.0),
        ("rl", -0.3, -3.0),
        ("tamer", 0.0, 0.0),
    ],
)
def test_td_error_of_each_combination(combination, expected, expected_terminal):
    assert td_error(combination, terminal=False, **_T) == pytest.approx(expected)
    assert td_error(combination, terminal=True, **_T) == pytest.approx(expected_terminal)


Q = np.array([1.0, 0.9, 0.0])
H = np.array([0.0, 1.0, 0.0])


@pytest.mark.parametrize(
    ("combination", "beta", "action"),
    [
        ("action-biasing", 0.2, 1),  # Q + βĤ = [1.0, 1.1, 0.0]
        ("action-biasing", 0.05, 0),  # [1.0, 0.95, 0.0]
        ("q-augmentation", 0.2, 1),
        ("reward-shaping", 0.2, 0),  # shaping changes Q's targets, never the choice
        ("rl", 5.0, 0),
        ("tamer", 0.0, 1),
        ("control-sharing", 1.0, 1),  # β >= 1: always argmax Ĥ
        ("control-sharing", 7.0, 1),
        ("control-sharing", 0.0, 0),  # β = 0: always the RL learner's action
    ],
)
def test_greedy_action_of_each_combination(combination, beta, action):
    rng = np.random.default_rng(0)
    assert all(choose_action(combination, Q, H, beta, 0.0, rng) == action for _ in range(50))


def test_control_sharing_follows_h_with_probability_beta():
    rng = np.random.default_rng(1)
    picks = [choose_action("control-sharing", Q, H, 0.3, 0.0, rng) for _ in range(4000)]
    assert set(picks) == {0, 1}
    assert np.mean(np.asarray(picks) == 1) == pytest.approx(0.3, abs=0.03)


def test_beta_anneals_per_episode():
    assert annealed_beta(1.0, 0.9, 3) == pytest.approx(0.729)
    assert annealed_beta(2.0, 0.5, -4) == 2.0  # before the combination acts: β0


@pytest.mark.parametrize("trace", ["accumulating", "replacing"])
def test_sarsa_lambda_step_by_hand(trace):
    """α = 0.5, γ = 0.5, λ = 0.5. Step 1: φ = [1, 0], a = 0, δ = 2 -> e0 = [1, 0], w0 = [1, 0].
    Step 2: φ = [1, 0], a = 0, δ = 1 -> e0 = 0.25·[1, 0] + [1, 0] (accumulating) or
    max(0.25, 1) = [1, 0] (replacing); w0 += 0.5·1·e0."""
    sarsa = LinearSarsa(2, 2, SarsaConfig(step_size=0.5, gamma=0.5, trace_decay=0.5, trace=trace))
    phi = np.array([1.0, 0.0])
    sarsa.step(phi, 0, 2.0)
    np.testing.assert_allclose(sarsa.weights, [[1.0, 0.0], [0.0, 0.0]])
    sarsa.step(phi, 0, 1.0)
    e0 = 1.25 if trace == "accumulating" else 1.0
    np.testing.assert_allclose(sarsa.traces, [[e0, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(sarsa.weights, [[1.0 + 0.5 * e0, 0.0], [0.0, 0.0]])
    sarsa.step(np.array([0.0, 1.0]), 1, -2.0)  # the other action's trace, old ones decayed
    np.testing.assert_allclose(sarsa.traces, [[0.25 * e0, 0.0], [0.0, 1.0]])
    np.testing.assert_allclose(sarsa.weights[1], [0.0, -1.0])
    assert sarsa.td_error(-1.0, 2.0, 4.0, terminal=False) == pytest.approx(-1.0)
    assert sarsa.td_error(-1.0, 2.0, 4.0, terminal=True) == pytest.approx(-3.0)
    sarsa.end_episode()
    assert not sarsa.traces.any()
    start = LinearSarsa(2, 3, SarsaConfig(initial_value=100.0))  # the constant feature is last
    np.testing.assert_allclose(start.values(np.array([0.2, 0.7, 1.0])), [100.0, 100.0])


def _agent(**config) -> TamerRL:
    return TamerRL("MountainCar-v0", MC_SPACE, gym.spaces.Discrete(3), TamerRLConfig(**config))


def _step(obs, action, t, episode=0, i=0, reward=-1.0, next_obs=None, done=False):
    obs = np.asarray(obs, dtype=np.float32)
    nxt = obs if next_obs is None else np.asarray(next_obs, dtype=np.float32)
    return Step(obs, action, nxt, reward, done, False, t_wall=t, episode=episode, step=i)


def test_reward_shaping_update_in_the_agent_by_hand():
    """A terminal step from s with Ĥ(s, 2) = 0.4, β = 0.5, r = -1, Q = 0: δ = -1 + 0.2 and
    the SARSA step moves Q(s, 2) to α·δ·|φ(s)|²."""
    agent = _agent(combination="reward-shaping", setting="simultaneous", human_episodes=0, beta=0.5)
    s = np.array([-0.5, 0.0])
    phi = agent.features(s)
    agent.tamer.weights[2] = 0.4 * phi / (phi @ phi)
    assert agent.h_values(s)[2] == pytest.approx(0.4)
    agent.observe(_step(s, 2, 0.0, done=True))
    alpha = agent.config.step_size
    assert agent.q_values(s)[2] == pytest.approx(alpha * (-1.0 + 0.5 * 0.4) * (phi @ phi))
    assert agent.q_values(s)[0] == 0.0


def test_q_augmentation_bootstraps_on_q_plus_beta_h():
    agent = _agent(combination="q-augmentation", setting="simultaneous", human_episodes=0, beta=1.0)
    s, s2 = np.array([-0.5, 0.0]), np.array([0.3, 0.05])
    phi, phi2 = agent.features(s), agent.features(s2)
    agent.tamer.weights[:] = 0.0
    agent.tamer.weights[1] = 0.8 * phi2 / (phi2 @ phi2)  # Ĥ(s', 1) = 0.8 (and a bit at s)
    h_s = agent.h_values(s)[0]
    agent.observe(_step(s, 0, 0.0, next_obs=s2))
    a_next = agent.act(s2)  # the a' SARSA chose: argmax Q + βĤ at s' = 1
    assert a_next == 1
    delta = -1.0 + (0.0 + 1.0 * agent.h_values(s2)[1]) - (0.0 + 1.0 * h_s)
    assert agent.q_values(s)[0] == pytest.approx(agent.config.step_size * delta * (phi @ phi))


def test_sequential_after_ratings_tamer_acts_then_rl_with_h_frozen():
    agent = _agent(
        combination="action-biasing",
        setting="sequential",
        rl_start="after-ratings",
        human_episodes=2,
        beta=0.5,
        beta_decay=0.5,
    )
    s = np.array([-0.5, 0.01])
    t = 0.0
    for ep in range(2):
        assert agent.policy == "tamer" and agent.accepts_ratings
        for i in range(10):
            agent.observe(_step(s, 2, t, episode=ep, i=i, done=i == 9))
            t += 0.1
        agent.give(Scalar(1.0, t - 0.05, 0, ep))  # credits the episode's last steps
    assert not agent.sarsa.weights.any()  # RL starts once Ĥ is learnt
    assert agent.ratings_used == 2 and agent.h_values(s)[2] > 0
    assert agent.policy == "action-biasing" and not agent.accepts_ratings
    assert agent.beta == 0.5
    h_frozen = agent.tamer.weights.copy()
    for i in range(10):
        agent.observe(_step(s, 0, t, episode=2, i=i, done=i == 9))
        t += 0.1
    agent.give(Scalar(1.0, t, 0, 2))
    np.testing.assert_array_equal(agent.tamer.weights, h_frozen)
    assert agent.ratings_ignored == 1 and agent.feedback_count == 3
    assert agent.sarsa.weights[0].any() and agent.beta == 0.25


def test_sequential_first_step_rl_learns_while_rated_then_h_frozen():
    """Default sequential order: the combination acts and SARSA(λ) learns from the first
    step; the ratings of the first K episodes train Ĥ; β anneals from episode 0."""
    agent = _agent(
        combination="action-biasing",
        setting="sequential",
        human_episodes=1,
        beta=0.5,
        beta_decay=0.5,
    )
    s = np.array([-0.5, 0.01])
    assert agent.policy == "action-biasing" and agent.accepts_ratings and agent.beta == 0.5
    for i in range(5):
        agent.observe(_step(s, 2, 0.1 * i, i=i, done=i == 4))
    agent.give(Scalar(1.0, 0.45, 0, 0))
    assert agent.sarsa.weights[2].any() and agent.ratings_used == 1
    assert not agent.accepts_ratings and agent.beta == 0.25
    h_frozen = agent.tamer.weights.copy()
    agent.observe(_step(s, 0, 1.0, episode=1))
    agent.give(Scalar(-1.0, 1.3, 0, 1))
    np.testing.assert_array_equal(agent.tamer.weights, h_frozen)
    assert agent.ratings_ignored == 1


def test_simultaneous_keeps_learning_h_while_rl_acts():
    agent = _agent(combination="control-sharing", setting="simultaneous", human_episodes=0)
    s = np.array([-0.5, 0.01])
    for ep in range(3):
        for i in range(5):
            agent.observe(_step(s, 1, ep + 0.1 * i, episode=ep, i=i, done=i == 4))
        agent.give(Scalar(-1.0, ep + 0.45, 0, ep))
    assert agent.policy == "control-sharing" and agent.accepts_ratings
    assert agent.ratings_used == 3 and agent.h_values(s)[1] < 0 and agent.sarsa.weights.any()


def test_rl_alone_ignores_ratings():
    agent = _agent(combination="rl")
    s = np.array([-0.5, 0.01])
    agent.observe(_step(s, 1, 0.0))
    agent.give(Scalar(1.0, 0.5, 0, 0))
    assert agent.ratings_used == 0 and agent.ratings_ignored == 1 and not agent.accepts_ratings
    assert not agent.tamer.weights.any() and agent.sarsa.weights.any()


def test_save_load_mid_episode_changes_no_later_decision(tmp_path):
    env = gym.make("MountainCar-v0")
    config = TamerRLConfig(combination="control-sharing", setting="simultaneous", human_episodes=0)
    agent = TamerRL("MountainCar-v0", env.observation_space, env.action_space, config, seed=3)
    obs, _ = env.reset(seed=0)
    t = 0.0

    def play(a, obs, t, n, rate):
        actions = []
        for i in range(n):
            action = a.act(obs)
            nxt, r, term, trunc, _ = env.step(action)
            a.observe(Step(obs, action, nxt, float(r), term, trunc, t, 0, i))
            if rate and i % 7 == 0:
                a.give(Scalar(1.0 if action == 2 else -1.0, t + 0.3, i, 0))
            actions.append(action)
            obs, t = nxt, t + 1 / 30
        return obs, t, actions

    obs, t, _ = play(agent, obs, t, 60, rate=True)
    agent.save(tmp_path)
    loaded = get_agent_class("tamer-rl").load(tmp_path)
    assert loaded.ratings_used == agent.ratings_used and loaded.steps_seen == 60
    state = np.array(env.unwrapped.state, copy=True)
    _, _, after = play(agent, obs, t, 40, rate=True)
    env.unwrapped.state = state.copy()
    _, _, after_loaded = play(loaded, obs, t, 40, rate=True)
    assert after == after_loaded
    np.testing.assert_allclose(loaded.sarsa.weights, agent.sarsa.weights)
    np.testing.assert_allclose(loaded.tamer.weights, agent.tamer.weights)


def test_bad_settings_are_clear_errors():
    with pytest.raises(HfrlError, match="Did you mean: action-biasing"):
        TamerRLConfig(combination="action-bias")
    with pytest.raises(HfrlError, match="human_episodes"):
        TamerRLConfig(setting="sequential", human_episodes=0)
    assert TamerRLConfig(setting="sequential").rating_episodes == 5
    assert TamerRLConfig().rating_episodes == 0  # simultaneous: ratings throughout
    with pytest.raises(HfrlError, match="setting"):
        TamerRLConfig(setting="both")
    with pytest.raises(HfrlError, match="trace"):
        TamerRLConfig(trace="dutch")
    with pytest.raises(HfrlError, match="rl_start"):
        TamerRLConfig(rl_start="later")
