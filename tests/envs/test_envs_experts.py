"""Scripted experts: good scores (floors from DESIGN/issue 2) and human-sensible answers."""

from __future__ import annotations

import numpy as np
import pytest
from hfrl.envs.experts import expert_env_ids, get_expert
from hfrl.envs.make import make

from hfrl.errors import UnknownNameError


def mean_return(env_id: str, episodes: int) -> float:
    expert = get_expert(env_id)
    env = make(env_id, render_mode=None)
    returns = []
    for seed in range(episodes):
        obs, _ = env.reset(seed=100 + seed)
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(expert.act(obs))
            done = terminated or truncated
        returns.append(info["true_episode_return"])
    return float(np.mean(returns))


@pytest.mark.parametrize(
    ("env_id", "episodes", "floor"),
    [
        ("CartPole-v1", 5, 499.0),
        ("MountainCar-v0", 20, -130.0),
        ("Acrobot-v1", 20, -100.0),
        ("LunarLander-v3", 20, 200.0),
    ],
)
def test_expert_scores_above_floor(env_id, episodes, floor):
    assert mean_return(env_id, episodes) > floor


def test_experts_are_deterministic_and_named():
    for env_id in expert_env_ids():
        expert = get_expert(env_id)
        env = make(env_id, render_mode=None)
        obs = [env.observation_space.sample() for _ in range(20)]
        first = [expert.act(o) for o in obs]
        assert first == [expert.act(o) for o in obs]
        assert all(env.action_space.contains(a) for a in first)
        assert expert.name and expert.env_id == env_id


def test_answers_a_person_would_give():
    cartpole = get_expert("CartPole-v1")
    assert cartpole.act(np.array([0.0, 0.0, 0.05, 0.2])) == 1  # pole falls right: push right
    assert cartpole.act(np.array([0.0, 0.0, -0.05, -0.2])) == 0
    car = get_expert("MountainCar-v0")
    assert car.act(np.array([-0.3, 0.02])) == 2  # moving right: keep pushing right
    assert car.act(np.array([-0.7, -0.02])) == 0  # moving left: push left, build the swing
    acrobot = get_expert("Acrobot-v1")
    assert acrobot.act(np.array([1, 0, 1, 0, 0.5, 0.0])) == 0  # upper link swings +: torque −
    assert acrobot.act(np.array([1, 0, 1, 0, -0.5, 0.0])) == 2
    assert acrobot.act(np.array([1, 0, 1, 0, 0.0, 0.0])) == 1  # at rest: no torque
    lander = get_expert("LunarLander-v3")
    assert (
        lander.act(np.array([0.0, 0.3, 0.0, -0.8, 0.0, 0.0, 0, 0])) == 2
    )  # falling fast: fire main
    assert lander.act(np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1, 1])) == 0  # landed still: idle


def test_bowling_expert_beats_dqn_from_the_frames_alone():
    # One seeded game (about 1,400 steps, ~1 s); the published DQN score is 42.4.
    assert mean_return("ALE/Bowling-v5", 1) > 120.0


def test_bowling_expert_reads_the_emulator_state_off_the_frame():
    """Frame reading agrees with the RAM (AtariARI: player y 40, ball x 30)."""
    expert = get_expert("ALE/Bowling-v5")
    env = make("ALE/Bowling-v5", render_mode=None, repeat_action_probability=0.0)
    obs, _ = env.reset(seed=3)
    ale = env.unwrapped.ale
    curve_x, fire_y, thrown = [], [], False
    for _ in range(600):
        a = expert.act(obs)
        ram = ale.getRAM()
        if a == 1:
            fire_y.append(int(ram[40]))
            thrown = True
        if a == 2 and thrown:  # the first direction pressed after a throw sets the curve
            curve_x.append(int(ram[30]))
            thrown = False
        obs, *_ = env.step(a)
    assert len(fire_y) >= 3 and set(fire_y) == {1}  # throws from the bottom of the lane
    assert len(curve_x) >= 3 and all(56 <= x <= 64 for x in curve_x)  # hooks at RAM x ~60


def test_unknown_env_lists_supported():
    with pytest.raises(UnknownNameError) as err:
        get_expert("Pendulum-v1")
    for env_id in expert_env_ids():
        assert env_id in str(err.value)
