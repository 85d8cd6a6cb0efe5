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


def _tamer_first(human_episodes: int, **config) -> TamerRL:
    """Action biasing, sequential, TAMER acting in the rated episodes (MountainCar's form)."""
    return _agent(
        combination="action-biasing",
        setting="sequential",
        rl_start="after-ratings",
        human_episodes=human_episodes,
        **config,
    )


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
    agent = _tamer_first(2, beta=0.5, beta_decay=0.5)
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


def test_value_baseline_update_by_hand():
    """Baseline V at α_V = 0.05 beside the per-action values at α = 0.01: a terminal step from
    s with r = -1 and Q = 0 has δ = -1; V gains α_V·δ·φ(s) (every action's value moves) and
    the taken action's weights α·δ·φ(s) without the constant feature (the last)."""
    agent = _agent(combination="rl", value_step_size=0.05)
    s = np.array([-0.5, 0.0])
    phi = agent.features(s)
    assert phi[-1] == 1.0
    agent.observe(_step(s, 2, 0.0, done=True))
    v = 0.05 * -1.0 * (phi @ phi)
    a = 0.01 * -1.0 * (phi @ phi - 1.0)
    np.testing.assert_allclose(agent.q_values(s), [v, v, v + a])
    assert not agent.value.traces.any()  # cleared at the episode's end


def test_value_baseline_start_value_is_the_baselines():
    agent = _agent(combination="rl", value_step_size=0.05, initial_q=-100.0)
    np.testing.assert_allclose(agent.q_values(np.array([0.1, 0.01])), [-100.0] * 3)
    assert not agent.sarsa.weights.any()


def test_value_baseline_learns_alone_while_tamer_acts():
    """rl_start="after-ratings": in the rated episodes only V learns, δ = r + V(s') − V(s)."""
    agent = _tamer_first(1, value_step_size=0.05)
    s = np.array([-0.5, 0.0])
    phi = agent.features(s)
    agent.observe(_step(s, 1, 0.0, done=True))
    np.testing.assert_allclose(agent.value.weights[0], 0.05 * -1.0 * phi)
    assert not agent.sarsa.weights.any()


def test_q_init_from_h_when_h_freezes():
    """K = 1, RL after the ratings, c = 10: Ĥ(s, 2) = 0.4 after episode 0, so episode 1 starts
    with Q(s, ·) = 10·Ĥ(s, ·); its first (terminal) step from s with action 2 has
    δ = -1 − 10·0.4 = -5 and moves Q(s, 2) by α·δ·|φ(s)|²."""
    agent = _tamer_first(1, q_init_from_h=10.0)
    s = np.array([-0.5, 0.0])
    phi = agent.features(s)
    agent.observe(_step(s, 2, 0.0, done=True))
    agent.tamer.weights[:] = 0.0
    agent.tamer.weights[2] = 0.4 * phi / (phi @ phi)  # as if the ratings had taught it
    assert not agent.sarsa.weights.any()
    agent.observe(_step(s, 2, 1.0, episode=1, done=True))
    alpha = agent.config.step_size
    expected = [0.0, 0.0, 4.0 + alpha * (-1.0 - 4.0) * (phi @ phi)]
    np.testing.assert_allclose(agent.q_values(s), expected)
    agent.observe(_step(s, 0, 2.0, episode=2, done=True))  # once only
    assert agent.q_values(s)[1] == 0.0


def _episode(agent, s, length, episode, t):
    for i in range(length):
        agent.observe(_step(s, 0, t, episode=episode, i=i, done=i == length - 1))
        t += 0.1
    return t


def test_until_matched_keeps_h_greedy_until_the_env_return_matches():
    """TAMER's rated episodes return -10 and -20 (mean -15, window 2); the combination's
    -30, -12 (-30 < -15: Ĥ keeps the greedy policy), then -8 (-12 and -8 both >= -15: the
    combination's), then -40 (< -15: back to Ĥ's)."""
    agent = _tamer_first(2, beta_schedule="until-matched", match_window=2)
    s = np.array([-0.5, 0.0])
    t = 0.0
    greedy = []
    for ep, length in enumerate([10, 20, 30, 12, 8, 40]):
        t = _episode(agent, s, length, ep, t)
        greedy.append(agent.greedy_policy_at(agent.episodes_seen))
    assert agent._returns == {"h": [-10.0, -20.0], "rl": [-8.0, -40.0]}  # the last 2 each
    assert greedy == ["tamer"] * 4 + ["action-biasing", "tamer"]
    assert agent.policy == "action-biasing"  # the combination acts and learns throughout
    agent.sarsa.weights[0] = 5.0 * agent.features(s)  # Q prefers 0, Ĥ prefers 2
    agent.tamer.weights[2] = 0.1 * agent.features(s)
    assert agent.act(s, greedy=True) == 2
    assert agent.act(s) == 0


def test_new_settings_survive_save_and_load(tmp_path):
    agent = _tamer_first(
        1,
        value_step_size=0.05,
        q_init_from_h=3.0,
        beta_schedule="until-matched",
        match_window=1,
    )
    s = np.array([-0.5, 0.0])
    t = _episode(agent, s, 5, 0, 0.0)
    _episode(agent, s, 3, 1, t)
    agent.observe(_step(s, 0, 9.0, episode=2))  # mid-episode
    agent.save(tmp_path)
    loaded = get_agent_class("tamer-rl").load(tmp_path)
    assert loaded._returns == agent._returns == {"h": [-5.0], "rl": [-3.0]}
    assert loaded.matched and loaded._q_from_h_done and loaded._episode_return == -1.0
    np.testing.assert_allclose(loaded.value.weights, agent.value.weights)
    np.testing.assert_allclose(loaded.value.traces, agent.value.traces)


def test_bad_new_settings_are_clear_errors():
    with pytest.raises(HfrlError, match="beta_schedule"):
        TamerRLConfig(beta_schedule="sometimes")
    with pytest.raises(HfrlError, match="match_window"):
        TamerRLConfig(match_window=0)
    with pytest.raises(HfrlError, match="value_step_size"):
        TamerRLConfig(value_step_size=-0.1)
