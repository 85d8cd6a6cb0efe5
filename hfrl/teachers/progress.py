"""The ``progress`` preference teacher: env return plus a potential-based progress term.

On MountainCar-v0 and Acrobot-v1 the env reward is −1 on every step, so every pair of clips
that does not reach the goal ties for the reward oracle, while a person shown two clips
picks the one that makes progress (the car swings higher). This teacher compares clips by
their *shaped* rewards

    r'_t = r_t + w · (γ Φ(s_{t+1}) − Φ(s_t)),

summed over the clip: with γ = 1 the progress term telescopes to ``w · (Φ(s_end) − Φ(s_start))``.
Potential-based shaping leaves the optimal policy unchanged (Ng, Harada & Russell 1999), so a
teacher that judges by it asks for the same task. ``s_end`` is the clip's last observation,
or, when the clip ended in a terminal state, the absorbing state, whose potential is the
task's (:attr:`ProgressPotential.absorbing`: the goal's on MountainCar and Acrobot, where
the episode ends at the goal). B-Pref's
noise models (β, ε, skip, equal, myopic; :class:`~hfrl.teachers.preference.BPrefTeacher`) then
apply to the shaped sums exactly as they do to the plain ones.

Potentials (:data:`POTENTIALS`), each scaled so that a unit is about a step of −1 reward
(100 units ≈ the way from the bottom at rest to the goal; the scripted experts take about
100 steps for it). Energies are capped at the goal's 100 (energy beyond what reaching the
goal needs is no more progress); the absorbing state's potential is the goal's.

- **MountainCar-v0**: mechanical energy ``½v² + (0.0025/3)·sin(3x)`` (the env's gravity term
  is −0.0025·cos(3x), so this is its exact potential energy), 0 on the valley floor at rest,
  100 at the flag at rest, plus one swing period (2π/√(3·0.0025) ≈ 72.6 steps, the period of
  a small swing) when the car's current swing reaches the flag, pushing with its motion
  (:func:`mountain_car_swing_reaches_flag`); the goal's potential is 172.6. Why the second
  term: for clips of one length from one start, any increasing function of energy orders the
  ends alike, and energy misjudges the phase of the swing. A car moving up the right hill
  with not quite enough speed will roll back and needs a whole swing more than a car with
  less energy that is swinging up the left hill and will come back with enough; what a
  person watching sees is "this swing makes it" or "it needs another one". The test is
  closed form (an energy balance, no simulation): pushing with the motion adds 0.001 of
  energy per unit of distance, so during a pushed half-swing ``E − 0.001·x`` (moving right)
  or ``E + 0.001·x`` (moving left) stays constant, and the swing reaches the flag iff that
  constant clears (to within the steps' discretisation) the point x ≈ 0.386 past which the
  push beats gravity (moving left: iff the car turns on the left hill at or beyond x ≈
  −0.847, or hits the wall). Agreement with the scripted expert's value on held-out pairs
  (``tests/teachers/test_teacher_progress.py``): 0.940 ± 0.011 over eight fresh samples of
  1000 starts (4167 clear pairs), where energy alone gives 0.912 ± 0.011. Height alone is a
  worse judge: swinging back down the left hill to gain speed loses height but is progress.
- **Acrobot-v1**: mechanical energy of the double pendulum (Gymnasium's masses, lengths and
  inertias), 0 hanging still, 100 standing upright at rest. The tip height alone (the goal
  test) agrees less often with the expert's value. Energy agrees with the scripted expert's
  value on 0.941 ± 0.025 of held-out pairs (20 samples of 150 starts;
  ``tests/teachers/test_teacher_progress.py``, where the terms tried with the earlier, more
  erratic expert are listed), tip height on 0.887.
- **CartPole-v1, Pendulum-v1, LunarLander-v3**: Φ = 0, the plain reward oracle. Their
  rewards already separate clips: CartPole's +1 per step ranks a clip that falls below one
  that balances; Pendulum's reward is a dense cost on angle, speed and torque; LunarLander's
  reward already contains a potential-based shaping of distance, speed, tilt and leg contact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hfrl.clock import Clock
from hfrl.errors import HfrlError
from hfrl.teachers.preference import BPrefTeacher, PreferenceTeacherConfig
from hfrl.types import Preference, Segment

Potential = Callable[[np.ndarray], np.ndarray]
"""Observations (T, obs_dim) -> potentials (T,)."""

MOUNTAIN_CAR_GRAVITY = 0.0025
"""MountainCar-v0's gravity constant: v ← v + 0.001·force − 0.0025·cos(3x)."""


def mountain_car_energy(obs: np.ndarray) -> np.ndarray:
    """Mechanical energy ``½v² + (g/3)·sin(3x)`` of MountainCar states (position, velocity)."""
    obs = np.asarray(obs, dtype=np.float64)
    x, v = obs[..., 0], obs[..., 1]
    return 0.5 * v**2 + MOUNTAIN_CAR_GRAVITY / 3.0 * np.sin(3.0 * x)


_MC_FLOOR = mountain_car_energy(np.array([-math.pi / 6, 0.0]))
_MC_GOAL = mountain_car_energy(np.array([0.5, 0.0]))


def mountain_car_energy_potential(obs: np.ndarray) -> np.ndarray:
    """Energy relative to the valley floor at rest, 100 at the flag at rest (capped there)."""
    return np.minimum(
        100.0, 100.0 * (mountain_car_energy(obs) - _MC_FLOOR) / (_MC_GOAL - _MC_FLOOR)
    )


MOUNTAIN_CAR_FORCE = 0.001
"""MountainCar-v0's engine: a push changes the velocity by ±0.001 per step."""


def _mc_height(x: float | np.ndarray) -> float | np.ndarray:
    return MOUNTAIN_CAR_GRAVITY / 3.0 * np.sin(3.0 * np.asarray(x, dtype=np.float64))


_MC_CLEAR_X = math.acos(MOUNTAIN_CAR_FORCE / MOUNTAIN_CAR_GRAVITY) / 3.0
"""≈ 0.386: right of here the engine's push beats gravity, so a car moving right there
reaches the flag; left of it a car needs the energy to get over this point."""
_MC_CLEAR_RIGHT = float(_mc_height(_MC_CLEAR_X)) - MOUNTAIN_CAR_FORCE * _MC_CLEAR_X
"""Moving right, the swing clears ``_MC_CLEAR_X`` iff E − 0.001·x is at least this."""


def _mc_left_turn_threshold() -> float:
    """The left turning point from which a car at rest, pushing right, just clears the top:
    the root of ``U(x) − 0.001·x = _MC_CLEAR_RIGHT`` on the left hill (≈ −0.847), found
    by bisection (``U(x) − 0.001·x`` decreases in x there)."""
    lo, hi = -1.2, -math.pi / 6
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if float(_mc_height(mid)) - MOUNTAIN_CAR_FORCE * mid > _MC_CLEAR_RIGHT:
            lo = mid
        else:
            hi = mid
    return lo


_MC_TURN_X = _mc_left_turn_threshold()
_MC_CLEAR_LEFT = float(_mc_height(_MC_TURN_X)) + MOUNTAIN_CAR_FORCE * _MC_TURN_X
"""Moving left, the swing back clears the top iff E + 0.001·x is at least this."""

MOUNTAIN_CAR_SWING_STEPS = 2.0 * math.pi / math.sqrt(3.0 * MOUNTAIN_CAR_GRAVITY)
"""≈ 72.6: the period, in steps, of a small swing about the valley floor (U'' = 3·0.0025)."""


def mountain_car_swing_reaches_flag(obs: np.ndarray) -> np.ndarray:
    """Whether the car's current swing carries it to the flag if it pushes with its motion.

    Pushing with the motion adds 0.001 of energy per unit of distance, so during a pushed
    half-swing E − 0.001·x (moving right) or E + 0.001·x (moving left) stays constant.
    Moving right (or at rest), the car reaches the flag iff it gets past ``_MC_CLEAR_X``
    (≈ 0.386, beyond which the push beats gravity): ``E − 0.001·x ≥ _MC_CLEAR_RIGHT``.
    Moving left, it first climbs the left hill and turns at x_l (or stops at the wall);
    the swing back reaches the flag iff x_l ≤ ``_MC_TURN_X``, which is
    ``E + 0.001·x ≥ _MC_CLEAR_LEFT``. Closed form: no simulation.
    """
    obs = np.asarray(obs, dtype=np.float64)
    x, v = obs[..., 0], obs[..., 1]
    energy = mountain_car_energy(obs)
    right = (x >= _MC_CLEAR_X) | (energy - MOUNTAIN_CAR_FORCE * x >= _MC_CLEAR_RIGHT)
    left = energy + MOUNTAIN_CAR_FORCE * x >= _MC_CLEAR_LEFT
    return np.where(v >= 0.0, right, left)


def mountain_car_potential(obs: np.ndarray) -> np.ndarray:
    """Energy (0 on the floor at rest, 100 at the flag, capped) plus one swing period
    (:data:`MOUNTAIN_CAR_SWING_STEPS`) when this swing reaches the flag."""
    bonus = MOUNTAIN_CAR_SWING_STEPS * mountain_car_swing_reaches_flag(obs)
    return mountain_car_energy_potential(obs) + bonus


MOUNTAIN_CAR_GOAL_POTENTIAL = 100.0 + MOUNTAIN_CAR_SWING_STEPS
"""Φ at the flag (and in the absorbing state after it): full energy, and the swing made it."""


ACROBOT_G = 9.8
"""Acrobot-v1: gravity; both links have mass 1, length 1, centre of mass 0.5, inertia 1."""


def acrobot_energy(obs: np.ndarray) -> np.ndarray:
    """Mechanical energy of Acrobot-v1 states (cos θ1, sin θ1, cos θ2, sin θ2, θ̇1, θ̇2)."""
    obs = np.asarray(obs, dtype=np.float64)
    c1, s1, c2, s2, d1, d2 = (obs[..., i] for i in range(6))
    m, length, lc, inertia, g = 1.0, 1.0, 0.5, 1.0, ACROBOT_G
    cos12 = c1 * c2 - s1 * s2
    potential = -m * g * lc * c1 - m * g * (length * c1 + lc * cos12)
    d11 = m * lc**2 + m * (length**2 + lc**2 + 2 * length * lc * c2) + 2 * inertia
    d12 = m * (lc**2 + length * lc * c2) + inertia
    d22 = m * lc**2 + inertia
    kinetic = 0.5 * (d11 * d1**2 + 2 * d12 * d1 * d2 + d22 * d2**2)
    return potential + kinetic


_AC_HANGING = -ACROBOT_G * (0.5 + 1.5)
_AC_UPRIGHT = ACROBOT_G * (0.5 + 1.5)


def acrobot_potential(obs: np.ndarray) -> np.ndarray:
    """Energy relative to hanging still, 100 standing upright at rest (capped there)."""
    return np.minimum(
        100.0, 100.0 * (acrobot_energy(obs) - _AC_HANGING) / (_AC_UPRIGHT - _AC_HANGING)
    )


def acrobot_tip_height(obs: np.ndarray) -> np.ndarray:
    """Height of the tip above the pivot, −cos θ1 − cos(θ1 + θ2), in [−2, 2] (goal: > 1)."""
    obs = np.asarray(obs, dtype=np.float64)
    c1, s1, c2, s2 = (obs[..., i] for i in range(4))
    return -c1 - (c1 * c2 - s1 * s2)


def zero_potential(obs: np.ndarray) -> np.ndarray:
    """Φ = 0: the env reward already ranks clips."""
    return np.zeros(len(obs))


@dataclass(frozen=True)
class ProgressPotential:
    """A progress potential Φ over raw observations and its value in the absorbing state."""

    phi: Potential
    """Observations (T, obs_dim) -> Φ (T,)."""
    absorbing: float = 0.0
    """Φ after a terminal end (the goal's potential where episodes end at the goal)."""
    name: str = field(default="")
    """Name in the teacher's parameters (the function's name when empty)."""

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return self.phi(obs)

    @property
    def label(self) -> str:
        """The potential's name."""
        return self.name or getattr(self.phi, "__name__", type(self.phi).__name__)


POTENTIALS: dict[str, ProgressPotential] = {
    "MountainCar-v0": ProgressPotential(
        mountain_car_potential, absorbing=MOUNTAIN_CAR_GOAL_POTENTIAL
    ),
    "Acrobot-v1": ProgressPotential(acrobot_potential, absorbing=100.0),
    "CartPole-v1": ProgressPotential(zero_potential),
    "Pendulum-v1": ProgressPotential(zero_potential),
    "LunarLander-v3": ProgressPotential(zero_potential),
}
"""Env id -> the progress potential (see the module docstring)."""


def potential_for(env_id: str) -> ProgressPotential:
    """Φ for ``env_id``; a one-line :class:`HfrlError` for an env without one."""
    if env_id not in POTENTIALS:
        raise HfrlError(
            f"the progress teacher has no potential for {env_id!r} (it has one for "
            f"{', '.join(POTENTIALS)}); use the reward oracle (--teacher oracle) there"
        )
    return POTENTIALS[env_id]


@dataclass(frozen=True)
class ProgressTeacherConfig(PreferenceTeacherConfig):
    """A B-Pref teacher's parameters plus the weight and discount of the progress term."""

    weight: float = 1.0
    """w: how many units of env return one unit of Φ is worth (0 = the plain B-Pref teacher)."""
    shaping_gamma: float = 1.0
    """γ of the shaping term γΦ(s') − Φ(s); 1 telescopes to Φ(s_end) − Φ(s_start)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.weight >= 0.0):
            raise ValueError(f"weight must be >= 0, got {self.weight}")
        if not (0.0 < self.shaping_gamma <= 1.0):
            raise ValueError(f"shaping_gamma must be in (0, 1], got {self.shaping_gamma}")


def shaped_rewards(
    segment: Segment,
    length: int,
    potential: ProgressPotential,
    weight: float,
    gamma: float = 1.0,
) -> np.ndarray:
    """The clip's rewards padded to ``length``, plus ``w · (γΦ(s_{t+1}) − Φ(s_t))`` per step.

    The step after the last observation goes to the absorbing state when the clip ended in
    a terminal state (Φ = ``potential.absorbing`` there and after), else Φ is held at the last
    observation's value; with γ = 1 the terms sum to ``w · (Φ(s_end) − Φ(s_start))``.
    """
    rewards = np.array(segment.padded(length).true_rewards, dtype=np.float64)
    if weight == 0.0:
        return rewards
    phi = np.asarray(potential(np.asarray(segment.obs).reshape(len(segment), -1)), np.float64)
    after = potential.absorbing if segment.terminated else phi[-1]
    phi = np.concatenate([phi, np.full(length - len(phi) + 1, after)])
    rewards += weight * (gamma * phi[1:] - phi[:-1])
    return rewards


class ProgressTeacher(BPrefTeacher):
    """Judges clips by env return plus progress (potential-based shaping), B-Pref noise on top.

    Args:
        potential: Φ over raw observations (:func:`potential_for` gives the suite's).
        config: B-Pref parameters plus the progress term's weight and γ.
        name: Name in logs and feedback records.
        clock: Stamps each answer (see :class:`~hfrl.teachers.preference.BPrefTeacher`).
    """

    def __init__(
        self,
        potential: ProgressPotential,
        config: ProgressTeacherConfig | None = None,
        name: str = "progress",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(config if config is not None else ProgressTeacherConfig(), name, clock)
        self.potential = potential

    def compare(self, left: Segment, right: Segment) -> Preference:
        """Answer one query on the shaped rewards: LEFT, RIGHT, EQUAL, or None for a skip."""
        cfg = self.config
        assert isinstance(cfg, ProgressTeacherConfig)
        length = max(len(left), len(right))
        r0 = shaped_rewards(left, length, self.potential, cfg.weight, cfg.shaping_gamma)
        r1 = shaped_rewards(right, length, self.potential, cfg.weight, cfg.shaping_gamma)
        return self._answer(left, right, self.label(r0, r1))

    def params(self) -> dict[str, object]:
        """The teacher's parameters, with the potential's name."""
        out = super().params()
        out["potential"] = self.potential.label
        return out


PROGRESS_PRESETS: dict[str, ProgressTeacherConfig] = {
    "progress": ProgressTeacherConfig(),
}
"""Named progress teachers; B-Pref's noise is added with overrides (``progress:eps=0.1``)."""
