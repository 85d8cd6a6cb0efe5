"""The ``progress`` teacher: shaping arithmetic, B-Pref noise on top, and agreement with the
scripted expert's value on held-out pairs of MountainCar-v0 and Acrobot-v1 clips.

**The expert's value of a clip** is its env return plus the expert's value of the state it
ends in, ``R_clip + V_E(s_end)``, where ``V_E(s) = −(steps the scripted expert of
:mod:`hfrl.envs.experts` takes to reach the goal from s)`` (0 once the clip reached the goal).
Both clips of a held-out pair start from the same state (reached by a mix of expert and
random actions) and then act differently (expert actions replaced by random ones with
probability 0, 0.3, 0.6 or 1), so this is also the clip's negative regret against the expert
(Knox et al. 2022). Pairs whose values differ by 10 steps or less count as ties and are left
out. Acrobot's pumping expert is sensitive to its start (0.01 rad nudges of one start spread
its steps to the goal over about 33 steps, 10th to 90th percentile), so there ``V_E`` is the
median over the state and 6 copies nudged by N(0, 0.01).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hfrl.envs.experts import get_expert

from hfrl.errors import HfrlError
from hfrl.teachers.presets import make_teacher
from hfrl.teachers.progress import (
    POTENTIALS,
    ProgressPotential,
    ProgressTeacher,
    ProgressTeacherConfig,
    acrobot_potential,
    acrobot_tip_height,
    mountain_car_energy_potential,
    mountain_car_potential,
    mountain_car_swing_reaches_flag,
    potential_for,
    shaped_rewards,
)
from hfrl.types import EQUAL, LEFT, RIGHT, Segment

CLIP = 50
MARGIN = 10.0
"""Pairs whose expert values differ by at most this many steps are ties (left out)."""


def seg(obs, rewards, terminated=False, env_id="MountainCar-v0"):
    obs = np.asarray(obs, dtype=np.float32)
    return Segment(
        obs=obs,
        actions=np.zeros(len(obs), np.int64),
        true_rewards=np.asarray(rewards, dtype=np.float64),
        env_id=env_id,
        terminated=terminated,
    )


def test_shaping_telescopes_to_the_absorbing_potential_after_a_terminal_end():
    phi = ProgressPotential(lambda o: o[:, 0], absorbing=10.0)
    ended = seg([[0.0], [1.0], [3.0]], [-1, -1, -1], terminated=True)
    r = shaped_rewards(ended, 5, phi, weight=2.0)
    np.testing.assert_allclose(r, [-1 + 2, -1 + 4, -1 + 14, 0, 0])
    assert r.sum() == pytest.approx(-3 + 2 * (10.0 - 0.0))
    running = seg([[0.0], [1.0], [3.0]], [-1, -1, -1])
    assert shaped_rewards(running, 3, phi, weight=1.0).sum() == pytest.approx(-3 + 3.0)
    discounted = shaped_rewards(running, 3, phi, weight=1.0, gamma=0.5)
    np.testing.assert_allclose(discounted, [-1 + 0.5, -1 + 0.5, -1 - 1.5])


def test_tied_mountain_car_clips_are_ranked_by_energy_and_oracle_still_ties():
    swing = seg([[-0.5, 0.0], [-0.6, -0.02], [-0.9, -0.03]], [-1, -1, -1])
    still = seg([[-0.5, 0.0], [-0.5, 0.001], [-0.51, 0.0]], [-1, -1, -1])
    progress = make_teacher("progress", "MountainCar-v0", seed=0)
    assert progress.compare(swing, still).label == LEFT
    assert progress.compare(still, swing).label == RIGHT
    assert make_teacher("oracle", "MountainCar-v0", seed=0).compare(swing, still).label == EQUAL


def test_reaching_the_goal_beats_turning_back_from_the_same_state():
    goal = seg([[0.3, 0.04], [0.45, 0.045]], [-1, -1], terminated=True)
    back = seg([[0.3, 0.04], [0.33, 0.03], [0.35, 0.02], [0.36, 0.01]], [-1, -1, -1, -1])
    assert make_teacher("progress", "MountainCar-v0", seed=0).compare(goal, back).label == LEFT


def test_potentials_are_scaled_floor_0_goal_100():
    assert mountain_car_potential(np.array([[-np.pi / 6, 0.0]]))[0] == pytest.approx(0.0)
    assert mountain_car_energy_potential(np.array([[0.5, 0.0]]))[0] == pytest.approx(100.0)
    goal = POTENTIALS["MountainCar-v0"].absorbing
    assert mountain_car_potential(np.array([[0.5, 0.0]]))[0] == pytest.approx(goal)
    assert goal == pytest.approx(100.0 + 2 * np.pi / np.sqrt(3 * 0.0025))
    hanging = np.array([[1.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    upright = np.array([[-1.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    assert acrobot_potential(hanging)[0] == pytest.approx(0.0)
    assert acrobot_potential(upright)[0] == pytest.approx(100.0)
    assert acrobot_tip_height(upright)[0] == pytest.approx(2.0)


def test_the_swing_that_reaches_the_flag_is_told_from_the_one_that_rolls_back():
    # position, velocity; the expert's half-swings to the flag (simulated when written): 0 / 2 /
    # 1 (left, then back up) / 3 / 0 (from the left wall) / 0 (past the point of no return).
    states = [
        (-0.5, 0.045),
        (-0.5, 0.02),
        (-0.3, -0.03),
        (-0.5, -0.002),
        (-1.2, 0.0),
        (0.45, 0.001),
    ]
    made_it = mountain_car_swing_reaches_flag(np.array(states))
    assert made_it.tolist() == [True, False, True, False, True, True]
    # At one energy, the car swinging up the left hill (it comes back with enough) beats the
    # one rolling up the right hill too slowly (it must swing back first).
    left, right = np.array([[-0.45, -0.03]]), np.array([[-0.45, 0.03]])
    assert mountain_car_energy_potential(left) == pytest.approx(
        mountain_car_energy_potential(right)
    )
    assert mountain_car_potential(left)[0] > mountain_car_potential(right)[0]


def test_noise_models_apply_on_top():
    mistake = make_teacher("progress:eps=1", "MountainCar-v0", seed=0)
    swing = seg([[-0.5, 0.0], [-0.9, -0.03]], [-1, -1])
    still = seg([[-0.5, 0.0], [-0.5, 0.0]], [-1, -1])
    assert mistake.compare(swing, still).label == RIGHT  # eps = 1 flips every label
    skip = make_teacher("progress:skip_fraction=0.5,return_scale=1000", "MountainCar-v0", seed=0)
    assert skip.compare(swing, still).label is None  # both shaped returns within 500 of the floor
    assert make_teacher("progress:weight=0", "MountainCar-v0", 0).compare(swing, still).label == (
        EQUAL
    )
    params = make_teacher("progress:beta=2", "Acrobot-v1", seed=1).params()
    assert params["beta"] == 2.0 and params["potential"] == "acrobot_potential"


def test_progress_teacher_rejects_envs_without_a_potential_and_bad_parameters():
    with pytest.raises(HfrlError, match="no potential for 'Hopper-v5'"):
        make_teacher("progress", "Hopper-v5", seed=0)
    with pytest.raises(HfrlError):
        make_teacher("progress:weight=-1", "MountainCar-v0", seed=0)
    with pytest.raises(ValueError):
        ProgressTeacherConfig(shaping_gamma=0.0)
    assert potential_for("CartPole-v1")(np.zeros((3, 4))).tolist() == [0.0, 0.0, 0.0]


# ----------------------------------------------------------------- agreement with the expert
def _observe(env) -> np.ndarray:
    u = env.unwrapped
    return u._get_ob() if hasattr(u, "_get_ob") else np.array(u.state, dtype=np.float32)


def _steps_to_goal(env, state: np.ndarray, expert, cap: int) -> int:
    env.reset()
    env.unwrapped.state = np.array(state, dtype=np.float64)
    obs = _observe(env)
    for t in range(cap):
        obs, _, terminated, _, _ = env.step(expert.act(obs))
        if terminated:
            return t + 1
    return cap


def _expert_value(env, state, expert, cap, nudges, rng) -> float:
    starts = [state] + [state + rng.normal(0, 0.01, len(state)) for _ in range(nudges)]
    return -float(np.median([_steps_to_goal(env, s, expert, cap) for s in starts]))


def _clip(env, state, eps, expert, rng, env_id) -> tuple[Segment, np.ndarray]:
    env.reset()
    env.unwrapped.state = np.array(state, dtype=np.float64)
    obs = _observe(env)
    seen, actions, rewards, terminated = [], [], [], False
    for _ in range(CLIP):
        a = expert.act(obs) if rng.random() >= eps else int(rng.integers(env.action_space.n))
        seen.append(obs)
        actions.append(a)
        obs, r, terminated, _, _ = env.step(a)
        rewards.append(r)
        if terminated:
            break
    clip = Segment(
        obs=np.array(seen, np.float32),
        actions=np.array(actions),
        true_rewards=np.array(rewards),
        env_id=env_id,
        terminated=terminated,
    )
    return clip, np.array(env.unwrapped.state, dtype=np.float64)


def held_out_agreement(env_id: str, pairs: int, cap: int, nudges: int, *teachers) -> list[float]:
    """Share of clear pairs on which each teacher prefers the clip of higher expert value."""
    rng = np.random.default_rng(123)
    env = gym.make(env_id).unwrapped
    expert = get_expert(env_id)
    agree, counted = np.zeros(len(teachers)), 0
    for _ in range(pairs):
        obs, _ = env.reset(seed=int(rng.integers(2**31)))
        eps, terminated = rng.choice([0.0, 0.3, 0.6, 1.0]), False
        for _ in range(int(rng.integers(0, 150))):
            a = expert.act(obs) if rng.random() >= eps else int(rng.integers(env.action_space.n))
            obs, _, terminated, _, _ = env.step(a)
            if terminated:
                break
        if terminated:
            continue
        start = np.array(env.unwrapped.state, dtype=np.float64)
        values, clips = [], []
        for eps in rng.choice([0.0, 0.3, 0.6, 1.0], 2, replace=False):
            clip, end = _clip(env, start, eps, expert, rng, env_id)
            v_end = 0.0 if clip.terminated else _expert_value(env, end, expert, cap, nudges, rng)
            values.append(clip.true_return + v_end)
            clips.append(clip)
        if abs(values[0] - values[1]) <= MARGIN:
            continue
        better = LEFT if values[0] > values[1] else RIGHT
        counted += 1
        agree += [t.compare(clips[0], clips[1]).label == better for t in teachers]
    assert counted >= 0.4 * pairs, counted  # enough starts gave a clear pair
    return list(agree / counted)


def test_progress_teacher_agrees_with_the_mountain_car_expert_more_than_energy_alone():
    """Measured 0.939 on this sample (1000 starts, 493 clear pairs), energy alone 0.903; on
    eight fresh samples of 1000 starts (this generator, seeds 100-107; 4167 clear pairs)
    0.940 ± 0.011 and energy alone 0.912 ± 0.011; on 23 samples of 300 starts (seeds 456,
    1-22; 3495 clear pairs) 0.930 ± 0.022 and 0.906 ± 0.025. The issue's goal is 0.9. The
    swing term is what lifts it: energy misjudges a car rolling up the right hill too slowly
    (it needs another swing) against one with less energy swinging up the left hill."""
    teacher = make_teacher("progress", "MountainCar-v0", seed=0)
    energy = ProgressTeacher(ProgressPotential(mountain_car_energy_potential, 100.0))
    progress, energy_alone = held_out_agreement("MountainCar-v0", 1000, 400, 0, teacher, energy)
    assert progress >= 0.90 and progress > energy_alone, (progress, energy_alone)


def test_progress_teacher_agrees_with_the_acrobot_expert_more_than_tip_height():
    """Measured: energy 0.958, tip height 0.895 on this sample (95 clear pairs); on 20 fresh
    samples of 150 starts (seeds 1-20) 0.941 ± 0.025 (lowest 0.882), tip height 0.887. The
    issue's goal is 0.9.

    With the expert before (torque the way the elbow turns, ``sign θ̇₂``) energy agreed on only
    0.880-0.899 (0.891 here; 0.899 ± 0.029 on seeds 1-18 of this generator; 0.880 ± 0.006
    over 20 samples of 3000 starts with a vectorised copy), and no closed-form potential tried
    reached 0.9 (the best, energy falling again past upright's less the energy of a lower link
    whirling while the upper one hangs, 0.895 ± 0.006; also tried: tip height and its
    velocity, link speeds, the share of energy in the elbow or the fast normal mode, a time
    still needed at the pumping rate). The cause was the expert, not the potential: its time
    to the goal had heavy tails (from 60 perturbed starts, the 10th-90th percentile spread of
    its steps over 0.01 rad nudges averaged 110 steps; the expert now, which torques against
    the upper link's swing, 33), and it reached the goal less steadily (-87.8 ±
    36.6 over seeds 0-999, worst -500; now -83.9 ± 18.7, worst -313; ``hfrl.experts``)."""
    progress = make_teacher("progress", "Acrobot-v1", 0)
    tip = ProgressTeacher(ProgressPotential(lambda o: 50 * acrobot_tip_height(o), 100.0))
    energy, tip_height = held_out_agreement("Acrobot-v1", 150, 1000, 6, progress, tip)
    assert energy >= 0.90 and energy > tip_height, (energy, tip_height)
