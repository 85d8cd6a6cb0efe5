"""COACH: the eligibility-trace update by hand, window credit, API, save/load/resume,
and the policy-dependent trainer."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hfrl.agents.coach import Coach, CoachConfig

from hfrl.errors import HfrlError
from hfrl.protocols import Agent
from hfrl.types import Scalar, Step


class Identity:
    """φ(s) = s: the hand-computed example's two features."""

    dim = 2

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.asarray(obs, dtype=np.float64)


def toy_agent(**cfg) -> Coach:
    space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
    return Coach("toy", space, gym.spaces.Discrete(2), CoachConfig(**cfg), features=Identity())


def step(obs, action, t, episode=0, k=0) -> Step:
    obs = np.asarray(obs, dtype=np.float64)
    return Step(obs, action, obs, 0.0, False, False, t, episode, k)


def test_trace_update_matches_hand_computed_example():
    """Two features, two actions, θ = 0, λ = 0.5, α = 0.1, d = 0, plain (unnormalised) ∇.

    ∇ log π(a|s) = (onehot(a) − π(·|s)) ⊗ φ(s); rows are actions, columns features.

    1. s1 = (1, 0), a = 0, π = (.5, .5): g1 = [[.5, 0], [−.5, 0]]; e = g1.
    2. s2 = (0, 1), a = 1, π = (.5, .5): g2 = [[0, −.5], [0, .5]];
       e = .5·g1 + g2 = [[.25, −.5], [−.25, .5]].
    3. rating f = +1: θ = .1·e = [[.025, −.05], [−.025, .05]].
    4. s3 = (1, 1), a = 0: logits θ·s3 = (−.025, .025), so
       π = (1/(1+e^.05), 1/(1+e^−.05)) = (.4875026, .5124974);
       g3 = [[.5124974, .5124974], [−.5124974, −.5124974]];
       e = .5·e + g3 = [[.6374974, .2624974], [−.6374974, −.2624974]].
    5. rating f = −1: θ = θ − .1·e = [[−.0387497, −.0762497], [.0387497, .0762497]].
    """
    agent = toy_agent(
        credit="trace", trace_lambda=0.5, learning_rate=0.1, delay_steps=0, normalize=False
    )
    agent.observe(step((1, 0), 0, 0.0))
    agent.observe(step((0, 1), 1, 0.1, k=1))
    np.testing.assert_allclose(agent.traces.traces[0.5], [[0.25, -0.5], [-0.25, 0.5]])
    agent.give(Scalar(1.0, 0.15, 1, 0))
    np.testing.assert_allclose(agent.policy.theta, [[0.025, -0.05], [-0.025, 0.05]])
    p0 = 1.0 / (1.0 + np.exp(0.05))
    np.testing.assert_allclose(agent.action_preferences(np.array([1.0, 1.0])), [p0, 1 - p0])
    agent.observe(step((1, 1), 0, 0.2, k=2))
    np.testing.assert_allclose(
        agent.traces.traces[0.5], [[0.6374974, 0.2624974], [-0.6374974, -0.2624974]], atol=1e-7
    )
    agent.give(Scalar(-1.0, 0.25, 2, 0))
    np.testing.assert_allclose(
        agent.policy.theta, [[-0.0387497, -0.0762497], [0.0387497, 0.0762497]], atol=1e-7
    )


def test_delay_offset_keeps_recent_steps_out_of_the_trace():
    """d = 1 step: after two steps only the first is in the trace; by seconds likewise."""
    agent = toy_agent(credit="trace", trace_lambda=0.5, delay_steps=1, normalize=False)
    agent.observe(step((1, 0), 0, 0.0))
    agent.observe(step((0, 1), 1, 0.1, k=1))
    np.testing.assert_allclose(agent.traces.traces[0.5], [[0.5, 0.0], [-0.5, 0.0]])
    timed = toy_agent(credit="trace", trace_lambda=0.5, delay_seconds=0.25, normalize=False)
    timed.observe(step((1, 0), 0, 0.0))
    timed.observe(step((0, 1), 1, 0.1, k=1))
    assert not timed.traces.traces[0.5].any()  # nothing shown 0.25 s ago yet
    timed.give(Scalar(1.0, 0.3, 1, 0))  # at 0.3 s the first step (0.0 s) has entered
    np.testing.assert_allclose(timed.policy.theta, [[0.5, 0.0], [-0.5, 0.0]])


def test_per_value_trace_sets_pick_lambda_by_rating_value():
    agent = toy_agent(
        credit="trace",
        trace_lambda=0.0,
        value_lambdas=[[10.0, 1.0]],
        delay_steps=0,
        normalize=False,
        learning_rate=1.0,
    )
    agent.observe(step((1, 0), 0, 0.0))
    agent.observe(step((0, 1), 1, 0.1, k=1))
    agent.give(Scalar(1.0, 0.2, 1, 0))  # λ = 0: only the last step
    np.testing.assert_allclose(agent.policy.theta, [[0, -0.5], [0, 0.5]])
    agent.policy.theta[:] = 0
    agent.give(Scalar(10.0, 0.2, 1, 0))  # λ = 1: both steps, times 10
    np.testing.assert_allclose(agent.policy.theta, [[5.0, -5.0], [-5.0, 5.0]])


def test_trace_resets_at_a_new_episode():
    agent = toy_agent(credit="trace", trace_lambda=1.0, delay_steps=0, normalize=False)
    agent.observe(step((1, 0), 0, 0.0, episode=0))
    agent.observe(step((0, 1), 1, 0.1, episode=1))
    np.testing.assert_allclose(agent.traces.traces[1.0], [[0, -0.5], [0, 0.5]])


def test_window_credit_splits_a_rating_over_the_delay_window():
    """Steps at 0, .1, .2, ... s; a rating at 1.0 s with the window [.2, .8] s credits the
    steps shown during [.2, .8): six steps of .1 s, weight 1/6 each."""
    agent = toy_agent(credit="window", learning_rate=6.0, normalize=False)
    for k in range(10):
        agent.observe(step((1, 0) if k < 5 else (0, 1), k % 2, 0.1 * k, k=k))
    agent.give(Scalar(1.0, 1.0, 9, 0))
    # steps 2..7: s=(1,0) with a=0 (k=2,4) and a=1 (k=3); s=(0,1) with a=1 (k=5,7), a=0 (k=6)
    expected = (
        2 * np.outer([0.5, -0.5], [1, 0])
        + np.outer([-0.5, 0.5], [1, 0])
        + 2 * np.outer([-0.5, 0.5], [0, 1])
        + np.outer([0.5, -0.5], [0, 1])
    )
    np.testing.assert_allclose(agent.policy.theta, expected, atol=1e-9)


def test_agent_protocol_acting_and_normalised_step():
    agent = Coach(
        "CartPole-v1",
        gym.make("CartPole-v1").observation_space,
        gym.make("CartPole-v1").action_space,
        CoachConfig(),
        seed=3,
    )
    assert isinstance(agent, Agent) and agent.feedback_kind == "scalar"
    obs = np.array([0.0, 0.1, 0.02, -0.1])
    p = agent.action_preferences(obs)
    np.testing.assert_allclose(p, [0.5, 0.5])
    assert agent.act(obs) in (0, 1)
    for k in range(12):
        agent.observe(step(obs, 1, 0.1 * k, k=k))
    agent.give(Scalar(1.0, 1.3, 11, 0))  # credits six steps fully: logit moves by ~α·½
    p = agent.action_preferences(obs)
    assert p[1] > 0.7 and agent.act(obs, greedy=True) == 1
    stats = agent.update()
    assert stats["feedback"] == 1.0 and stats["theta_norm"] > 0


def test_save_load_resume(tmp_path):
    env = gym.make("MountainCar-v0")
    agent = Coach("MountainCar-v0", env.observation_space, env.action_space, seed=1)
    obs = np.array([-0.5, 0.01])
    for k in range(10):
        agent.observe(step(obs, 2, 0.1 * k, k=k))
    agent.give(Scalar(1.0, 1.0, 9, 0))
    agent.save(tmp_path)
    assert (tmp_path / "agent.json").exists() and (tmp_path / "weights.pt").exists()
    loaded = Coach.load(tmp_path)
    np.testing.assert_allclose(loaded.action_preferences(obs), agent.action_preferences(obs))
    assert loaded.feedback_count == 1 and loaded.config == agent.config
    before = loaded.action_preferences(obs)[2]
    for k in range(10):
        loaded.observe(step(obs, 2, 5 + 0.1 * k, k=k))
    loaded.give(Scalar(1.0, 6.0, 9, 0))
    assert loaded.action_preferences(obs)[2] > before


def test_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(HfrlError, match="discrete"):
        Coach("Pendulum-v1", gym.make("Pendulum-v1").observation_space, gym.spaces.Box(-1, 1))
    with pytest.raises(HfrlError, match="credit"):
        CoachConfig(credit="nope")
    with pytest.raises(HfrlError, match="no saved"):
        Coach.load(tmp_path)


# ---------------------------------------------------------------- policy-dependent trainer


class FixedExpert:
    def act(self, obs):
        return 1


class FixedPolicy:
    preferences_are_policy = True

    def __init__(self, p):
        self.p = np.asarray(p)

    def action_preferences(self, obs):
        return self.p


def test_policy_dependent_signal_is_the_advantage():
    from hfrl.teachers.policy_dependent import PolicyDependentOracle

    oracle = PolicyDependentOracle(FixedExpert())
    with pytest.raises(HfrlError, match="attach"):
        oracle.signal(step((0, 0), 1, 0.0))
    oracle.attach(FixedPolicy([0.2, 0.7, 0.1]))
    assert oracle.signal(step((0, 0), 1, 0.0)) == pytest.approx(0.3)  # 1 − π(a*)
    assert oracle.signal(step((0, 0), 0, 0.0)) == pytest.approx(-0.7)  # −π(a*)
    oracle.attach(FixedValues([3.0, -1.0, 0.5]))  # values, not probabilities: greedy policy
    assert oracle.signal(step((0, 0), 1, 0.0)) == pytest.approx(1.0)
    # values that happen to be non-negative and sum to 1 are still values (TAMER's Ĥ), not π
    oracle.attach(FixedValues([0.2, 0.7, 0.1]))
    assert oracle.signal(step((0, 0), 1, 0.0)) == pytest.approx(0.0)  # greedy picks a* already


class FixedValues(FixedPolicy):
    preferences_are_policy = False


def test_human_pd_atari_punishes_a_stall_that_the_pure_advantage_leaves_unrated():
    """An agent that always takes action 0 with π(0) = 0.98 where the expert wants 1: every
    step scores −π(a*) = −0.02, inside a 0.05 margin. human-pd-atari rates the persistent
    mistake −1 at its pace; the same margin without that rule (perfect-pd:margin=0.05)
    gives nothing, and human-pd (the control tasks' trainer) does not rate it either."""
    from hfrl.teachers import make_teacher
    from hfrl.teachers.policy_dependent import attach_agent

    policy = FixedPolicy([0.98, 0.02])
    human = make_teacher("human-pd-atari", "CartPole-v1", seed=0)
    assert human.config.rate_persistent_mistakes
    assert not make_teacher("human-pd", "CartPole-v1", seed=0).config.rate_persistent_mistakes
    pure = make_teacher("perfect-pd:margin=0.05", "CartPole-v1", seed=0)
    obs = np.array([0.0, 0.0, 0.1, 0.5])  # the expert pushes right (1)
    ratings = {}
    for name, teacher in (("human", human), ("pure", pure)):
        attach_agent(teacher, policy)
        got = [teacher.rate(step(obs, 0, k * 0.1, k=k)) for k in range(100)]  # 10 s at 10 fps
        ratings[name] = [r.value for r in got if r is not None]
    assert ratings["pure"] == []
    assert len(ratings["human"]) >= 10  # ≤ 2 a second, L ≈ 1 early on
    assert sum(v < 0 for v in ratings["human"]) >= 0.8 * len(ratings["human"])  # C = 0.9


def test_live_agents_say_whether_their_preferences_are_a_policy():
    from hfrl.agents.registry import get_agent_class

    flags = {n: get_agent_class(n).preferences_are_policy for n in ("tamer", "deep-tamer")}
    flags |= {n: get_agent_class(n).preferences_are_policy for n in ("coach", "deep-coach")}
    assert flags == {"tamer": False, "deep-tamer": False, "coach": True, "deep-coach": True}


def test_policy_dependent_presets_and_diminishing_reward():
    from hfrl.teachers import make_teacher, teacher_names
    from hfrl.teachers.policy_dependent import attach_agent

    assert {"perfect-pd", "human-pd"} <= set(teacher_names())
    human = make_teacher("human-pd", "CartPole-v1", seed=0)
    assert human.config.margin == 0.05 and human.config.consistency == 0.9
    assert human.config.min_interval == 0.5
    perfect = make_teacher("perfect-pd", "CartPole-v1", seed=0)
    policy = FixedPolicy([0.5, 0.5])
    attach_agent(perfect, policy)
    obs = np.array([0.0, 0.0, 0.1, 0.5])  # pole falling right: the expert pushes right (1)
    right = perfect.rate(step(obs, 1, 0.0))
    wrong = perfect.rate(step(obs, 0, 0.1, k=1))
    assert right.value == 1.0 and wrong.value == -1.0
    policy.p = np.array([0.0, 1.0])  # the agent always pushes right: no more reward for it
    assert perfect.rate(step(obs, 1, 0.2, k=2)) is None
