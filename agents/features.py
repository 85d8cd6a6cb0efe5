"""State features for linear learners (TAMER, COACH): observation ranges and Gaussian RBFs.

Knox's TAMER on MountainCar uses a grid of Gaussian radial basis functions, 40 centres per
dimension, each of width 0.08 of the dimension's range. A full grid grows as n^d, so for
states of more than two dimensions :class:`RBFFeatures` places a smaller grid on every
*pair* of dimensions instead (``C(d, 2) * n^2`` features: 6 * 64 = 384 for CartPole with 8
centres per dimension, 15 * 36 = 540 for Acrobot with 6). Pairs keep the interactions that
matter on these tasks (pole angle with angular velocity, say) while staying tractable.

Observations are first mapped to [0, 1] per dimension with :func:`obs_bounds`, which gives
sensible finite ranges for Box spaces whose bounds are infinite or far too wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

OBS_RANGES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # x, x_dot, theta, theta_dot: the episode ends at |x| > 2.4 or |theta| > 0.21 rad;
    # velocities beyond these are rare and already hopeless.
    "CartPole-v1": ((-2.4, -3.0, -0.21, -3.5), (2.4, 3.0, 0.21, 3.5)),
    "MountainCar-v0": ((-1.2, -0.07), (0.6, 0.07)),
    # cos/sin of the two joint angles, then the two joint velocities (the space allows
    # +-4pi and +-9pi; a pumping policy stays well inside +-6 and +-12).
    "Acrobot-v1": ((-1.0, -1.0, -1.0, -1.0, -6.0, -12.0), (1.0, 1.0, 1.0, 1.0, 6.0, 12.0)),
    # x, y, vx, vy, angle, angular velocity, two leg contacts.
    "LunarLander-v3": (
        (-1.0, -0.2, -2.0, -2.0, -1.5, -2.0, 0.0, 0.0),
        (1.0, 1.6, 2.0, 2.0, 1.5, 2.0, 1.0, 1.0),
    ),
}
"""Per-env observation ranges used to scale features (tighter than the spaces' bounds)."""

DEFAULT_UNBOUNDED_RANGE = 3.0
"""Half-width used for an infinite Box dimension of an env not in :data:`OBS_RANGES`."""


def obs_bounds(env_id: str | None, space: object) -> tuple[np.ndarray, np.ndarray]:
    """Finite (low, high) per observation dimension for ``env_id`` and its Box ``space``.

    Known envs get hand-chosen ranges; otherwise the space's bounds, with infinite ones
    replaced by +-:data:`DEFAULT_UNBOUNDED_RANGE`.
    """
    if env_id in OBS_RANGES:
        low, high = OBS_RANGES[env_id]
        return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    low = np.asarray(space.low, dtype=np.float64).ravel().copy()  # type: ignore[attr-defined]
    high = np.asarray(space.high, dtype=np.float64).ravel().copy()  # type: ignore[attr-defined]
    low[~np.isfinite(low)] = -DEFAULT_UNBOUNDED_RANGE
    high[~np.isfinite(high)] = DEFAULT_UNBOUNDED_RANGE
    return low, high


@dataclass(frozen=True)
class RBFConfig:
    """How to lay out Gaussian RBF centres."""

    centres_per_dim: int = 0
    """Centres per dimension; 0 picks 40 for <= 2-D states (Knox) and 8 for wider ones."""
    width: float = 0.08
    """Gaussian standard deviation as a fraction of each dimension's range (Knox: 0.08)."""
    pairwise: bool | None = None
    """Grid over every pair of dimensions instead of the full grid; None: only for d > 2."""
    bias: bool = True
    """Append a constant 1 feature."""


class RBFFeatures:
    """Gaussian RBF features of a vector observation, scaled to [0, 1] per dimension.

    Args:
        low: lower end of each dimension's range.
        high: upper end of each dimension's range.
        config: centre layout and width.
    """

    def __init__(self, low: np.ndarray, high: np.ndarray, config: RBFConfig | None = None) -> None:
        self.config = config or RBFConfig()
        self.low = np.asarray(low, dtype=np.float64).ravel()
        self.high = np.asarray(high, dtype=np.float64).ravel()
        if self.low.shape != self.high.shape or np.any(self.high <= self.low):
            raise ValueError(f"bad observation range: low {self.low}, high {self.high}")
        d = self.low.size
        n = self.config.centres_per_dim or (40 if d <= 2 else 8)
        pairwise = self.config.pairwise if self.config.pairwise is not None else d > 2
        groups = list(combinations(range(d), 2)) if pairwise and d > 1 else [tuple(range(d))]
        self.groups: list[tuple[int, ...]] = [tuple(g) for g in groups]
        ticks = np.linspace(0.0, 1.0, n)
        self.centres: list[np.ndarray] = []
        for g in self.groups:
            mesh = np.meshgrid(*([ticks] * len(g)), indexing="ij")
            self.centres.append(np.stack([m.ravel() for m in mesh], axis=1))
        self.n_centres = n
        self.dim = sum(len(c) for c in self.centres) + int(self.config.bias)
        self._inv_two_var = 1.0 / (2.0 * self.config.width**2)

    def scale(self, obs: np.ndarray) -> np.ndarray:
        """Observation mapped to [0, 1] per dimension (clipped at the range's ends)."""
        x = (np.asarray(obs, dtype=np.float64).ravel() - self.low) / (self.high - self.low)
        return np.clip(x, 0.0, 1.0)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Feature vector of one observation, shape (dim,)."""
        x = self.scale(obs)
        parts = []
        for g, c in zip(self.groups, self.centres, strict=True):
            sq = np.sum((c - x[list(g)]) ** 2, axis=1)
            parts.append(np.exp(-sq * self._inv_two_var))
        if self.config.bias:
            parts.append(np.ones(1))
        return np.concatenate(parts)


def make_rbf(env_id: str | None, space: object, config: RBFConfig | None = None) -> RBFFeatures:
    """RBF features for ``env_id``'s observation ``space`` using :func:`obs_bounds`."""
    low, high = obs_bounds(env_id, space)
    return RBFFeatures(low, high, config)
