"""The TAMER+RL combination rules (Knox & Stone, AAMAS 2010 and 2012) as pure functions.

Each rule says how a learned model Ĥ(s, a) of a person's ratings enters an RL learner's
TD error and action choice, weighted by β (annealed per episode by the agent):

| rule | TD error δ | action |
|---|---|---|
| ``reward-shaping`` | r + β·Ĥ(s,a) + γQ(s',a') − Q(s,a) | ε-greedy on Q |
| ``q-augmentation`` | r + γ[Q + βĤ](s',a') − [Q + βĤ](s,a) | ε-greedy on Q + β·Ĥ |
| ``action-biasing`` | r + γQ(s',a') − Q(s,a) | ε-greedy on Q + β·Ĥ |
| ``control-sharing`` | r + γQ(s',a') − Q(s,a) | argmax Ĥ with prob. min(β, 1), else ε-greedy on Q |
| ``tamer`` (baseline) | no RL | argmax Ĥ |
| ``rl`` (baseline) | r + γQ(s',a') − Q(s,a) | ε-greedy on Q; ratings ignored |

Reward shaping with Ĥ(s, a) is not potential-based, so it changes the optimal policy
until β has decayed; Q augmentation and action biasing move the values the learner acts on
(Q augmentation also inside the bootstrap target); control sharing hands whole decisions to
Ĥ's greedy action.
"""

from __future__ import annotations

import numpy as np
from hfrl.agents.common import greedy_choice

from hfrl.errors import unknown_name

COMBINATIONS = (
    "reward-shaping",
    "q-augmentation",
    "action-biasing",
    "control-sharing",
    "tamer",
    "rl",
)
"""Combination names; the last two are the baselines (TAMER alone, the RL learner alone)."""

_TIE = 1e-12


def check_combination(name: str) -> str:
    """``name`` if it is a known combination, else an error with close matches."""
    if name not in COMBINATIONS:
        raise unknown_name("combination", name, COMBINATIONS)
    return name


def uses_rl(combination: str) -> bool:
    """Whether the combination trains the RL learner (all but ``tamer``)."""
    return combination != "tamer"


def uses_ratings(combination: str) -> bool:
    """Whether the combination learns Ĥ from ratings (all but ``rl``)."""
    return combination != "rl"


def td_error(
    combination: str,
    reward: float,
    q_sa: float,
    h_sa: float,
    q_next: float,
    h_next: float,
    beta: float,
    gamma: float,
    terminal: bool,
) -> float:
    """The SARSA TD error δ of a transition (s, a, r, s', a') under ``combination``.

    Args:
        combination: one of :data:`COMBINATIONS` (``tamer`` has no TD error: 0).
        reward: the environment's reward r.
        q_sa, h_sa: Q(s, a) and Ĥ(s, a).
        q_next, h_next: Q(s', a') and Ĥ(s', a') for the next action a' (ignored if terminal).
        beta: the current weight β of Ĥ.
        gamma: the discount γ.
        terminal: s' is terminal (no bootstrap).
    """
    if combination == "tamer":
        return 0.0
    boot = 0.0 if terminal else gamma
    if combination == "reward-shaping":
        return float(reward + beta * h_sa + boot * q_next - q_sa)
    if combination == "q-augmentation":
        return float(reward + boot * (q_next + beta * h_next) - (q_sa + beta * h_sa))
    return float(reward + boot * q_next - q_sa)


def selection_values(combination: str, q: np.ndarray, h: np.ndarray, beta: float) -> np.ndarray:
    """The values whose argmax is the combination's greedy action (before control sharing)."""
    if combination in ("q-augmentation", "action-biasing"):
        return q + beta * h
    if combination == "tamer":
        return h
    return q


def choose_action(
    combination: str,
    q: np.ndarray,
    h: np.ndarray,
    beta: float,
    epsilon: float,
    rng: np.random.Generator,
) -> int:
    """The combination's action for one state (ε = 0 for the greedy action).

    Control sharing draws once: with probability min(β, 1) it takes argmax Ĥ, otherwise
    the ε-greedy action on Q. Ties are broken at random.
    """
    if combination == "control-sharing" and rng.random() < min(beta, 1.0):
        return greedy_choice(h, rng, _TIE)
    if epsilon > 0 and rng.random() < epsilon:
        return int(rng.integers(len(q)))
    return greedy_choice(selection_values(combination, q, h, beta), rng, _TIE)


def annealed_beta(beta0: float, decay: float, episodes: int) -> float:
    """β after ``episodes`` episodes of annealing: β0 · decay^episodes."""
    return float(beta0 * decay ** max(0, episodes))
