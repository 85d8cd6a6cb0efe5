"""Linear SARSA(λ) with eligibility traces: the RL learner of TAMER+RL on the classic tasks.

Q(s, a) = w_a · φ(s) over the same Gaussian RBF features as TAMER's Ĥ (Knox & Stone used
SARSA(λ) on MountainCar). The learner is pure arithmetic: the caller supplies the TD error
δ (so a combination can shape the reward or augment the values that enter it), and
:meth:`LinearSarsa.step` moves the weights along the traces:

    e ← γλ·e;  e_a ← e_a + φ(s) (accumulating) or max(e_a, φ(s)) (replacing);  w ← w + α·δ·e
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hfrl.errors import HfrlError

TRACE_KINDS = ("accumulating", "replacing")
"""Eligibility-trace forms (Sutton & Barto 2018, §12.1 and §12.7)."""


@dataclass(frozen=True)
class SarsaConfig:
    """Settings of a :class:`LinearSarsa` learner."""

    step_size: float = 0.01
    """α per feature on unnormalised RBFs (about 30 RBFs are active at once on a 40 x 40
    grid of width 0.08, so one update corrects about 0.3 of the TD error)."""
    trace_decay: float = 0.9
    """λ of the eligibility traces."""
    gamma: float = 1.0
    """Discount (MountainCar and CartPole are episodic: 1)."""
    epsilon: float = 0.0
    """ε-greedy exploration while learning (0: the zero-initialised Q is optimistic on
    MountainCar's -1 per step, which explores by itself)."""
    trace: str = "accumulating"
    """Trace form: ``"accumulating"`` or ``"replacing"``."""
    initial_value: float = 0.0
    """Q of every state and action before learning (the weight of the constant feature, the
    last one). 0 is optimistic on MountainCar's -1 per step; on CartPole's +1 per step an
    optimistic start is about 1 / (1 - γ)."""

    def __post_init__(self) -> None:
        if self.trace not in TRACE_KINDS:
            raise HfrlError(f"trace must be one of {', '.join(TRACE_KINDS)}, got {self.trace!r}")
        if not (0.0 <= self.trace_decay <= 1.0 and 0.0 <= self.gamma <= 1.0):
            raise HfrlError("trace_decay and gamma must lie in [0, 1]")
        if not (0.0 <= self.epsilon <= 1.0):
            raise HfrlError(f"epsilon must lie in [0, 1], got {self.epsilon}")
        if not (self.step_size > 0):
            raise HfrlError(f"step_size must be positive, got {self.step_size}")


class LinearSarsa:
    """Weights and eligibility traces of a linear action-value function.

    Args:
        n_actions: number of discrete actions.
        dim: feature dimension.
        config: learner settings.
    """

    def __init__(self, n_actions: int, dim: int, config: SarsaConfig | None = None) -> None:
        self.config = config or SarsaConfig()
        self.weights = np.zeros((n_actions, dim))
        self.weights[:, -1] = self.config.initial_value
        self.traces = np.zeros((n_actions, dim))

    def values(self, phi: np.ndarray) -> np.ndarray:
        """Q(s, ·) for the features ``phi`` of one state, shape (n_actions,)."""
        return self.weights @ phi

    def td_error(self, reward: float, q_sa: float, q_next: float, terminal: bool) -> float:
        """δ = r + γ·Q(s', a') − Q(s, a), with no bootstrap from a terminal state."""
        return float(reward + (0.0 if terminal else self.config.gamma * q_next) - q_sa)

    def step(self, phi: np.ndarray, action: int, delta: float) -> None:
        """Decay the traces, mark (s, a) eligible, move the weights by α·δ along the traces."""
        cfg = self.config
        self.traces *= cfg.gamma * cfg.trace_decay
        if cfg.trace == "replacing":
            np.maximum(self.traces[action], phi, out=self.traces[action])
        else:
            self.traces[action] += phi
        self.weights += cfg.step_size * delta * self.traces

    def end_episode(self) -> None:
        """Clear the traces: no credit flows across an episode boundary."""
        self.traces[:] = 0.0
