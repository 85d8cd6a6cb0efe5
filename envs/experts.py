"""Scripted experts for the classic-control tasks, consulted by simulated teachers.

Each expert reads the raw observation (as ``make`` returns it) and answers with the
action a sensible person would pick, so "agreed with the expert's action" is a fair
stand-in for a human trainer's judgement:

- CartPole-v1: push the cart the way the pole is falling (PD on angle, gentle centring).
- MountainCar-v0: energy pumping, push the way the car is moving.
- Acrobot-v1: energy pumping, torque the elbow the way it is swinging (the torque's power
  ``τ·θ̇₂`` is then positive, so the swing grows).
- LunarLander-v3: the classic PD heuristic (aim the angle toward the pad, hold a descent
  profile, cut the fall once the legs touch), after Gymnasium's ``heuristic``.

Measured means over 20 seeded episodes: ``python experiments/benchmarks/expert_scores.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hfrl.errors import unknown_name


@dataclass(frozen=True)
class ScriptedExpert:
    """A deterministic policy over the raw observation of one env."""

    name: str
    """Short name of the controller, e.g. ``"cartpole-pd"``."""
    env_id: str
    """The env id it plays."""
    policy: Callable[[np.ndarray], int]
    """Observation -> discrete action."""

    def act(self, obs: np.ndarray) -> int:
        """The expert's action for a raw observation."""
        return int(self.policy(np.asarray(obs, dtype=np.float64)))


def cartpole_action(obs: np.ndarray) -> int:
    """Push right (1) when the pole leans or falls right, after a light cart-centring term."""
    x, x_dot, theta, theta_dot = obs[:4]
    u = 0.05 * x + 0.2 * x_dot + 1.0 * theta + 0.3 * theta_dot
    return 1 if u > 0 else 0


MOUNTAIN_CAR_FIRST_PUSH_X = -0.48
"""At rest (only at reset), push right left of this position, else left (measured best)."""


def mountain_car_action(obs: np.ndarray) -> int:
    """Push (2 right, 0 left) in the direction of motion to pump energy."""
    position, velocity = obs[:2]
    if velocity > 0 or (velocity == 0 and position < MOUNTAIN_CAR_FIRST_PUSH_X):
        return 2
    return 0


def acrobot_action(obs: np.ndarray) -> int:
    """Torque the elbow (2 = +1, 0 = −1) the way it already turns; 1 (none) at rest."""
    joint2_velocity = obs[5]
    if joint2_velocity > 0:
        return 2
    if joint2_velocity < 0:
        return 0
    return 1


def lunar_lander_action(obs: np.ndarray) -> int:
    """PD heuristic: 0 noop, 1 fire left engine, 2 main engine, 3 fire right engine."""
    x, y, vx, vy, angle, angular_velocity, left_leg, right_leg = obs[:8]
    angle_target = float(np.clip(0.5 * x + 1.0 * vx, -0.4, 0.4))  # lean toward the pad
    hover_target = 0.55 * abs(x)  # stay higher while far from the pad
    angle_todo = 0.5 * (angle_target - angle) - 1.0 * angular_velocity
    hover_todo = 0.5 * (hover_target - y) - 0.5 * vy
    if left_leg or right_leg:  # touched down: only soften the fall
        angle_todo = 0.0
        hover_todo = -0.5 * vy
    if hover_todo > abs(angle_todo) and hover_todo > 0.05:
        return 2
    if angle_todo < -0.05:
        return 3
    if angle_todo > 0.05:
        return 1
    return 0


_EXPERTS: dict[str, tuple[str, Callable[[np.ndarray], int]]] = {
    "CartPole-v1": ("cartpole-pd", cartpole_action),
    "MountainCar-v0": ("mountaincar-energy-pumping", mountain_car_action),
    "Acrobot-v1": ("acrobot-energy-pumping", acrobot_action),
    "LunarLander-v3": ("lunarlander-heuristic", lunar_lander_action),
}


def expert_env_ids() -> list[str]:
    """The env ids that have a scripted expert."""
    return list(_EXPERTS)


def get_expert(env_id: str) -> ScriptedExpert:
    """The scripted expert for ``env_id``.

    Raises:
        UnknownNameError: No expert for that id (the message lists the supported ones).
    """
    if env_id not in _EXPERTS:
        raise unknown_name("expert env id", env_id, _EXPERTS)
    name, policy = _EXPERTS[env_id]
    return ScriptedExpert(name=name, env_id=env_id, policy=policy)
