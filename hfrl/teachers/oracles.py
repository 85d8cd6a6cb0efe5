"""Oracle signals a simulated scalar trainer judges behaviour by (DESIGN.md §6).

An oracle scores one step in [-1, 1]: +1 is what the trainer wants to see, -1 what it
wants to stop. The trainer turns these scores into ±1 ratings with a margin, noise and
delay (:mod:`hfrl.teachers.scalar`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from hfrl.types import Step


@runtime_checkable
class ScalarOracle(Protocol):
    """Scores a step for a simulated trainer."""

    def signal(self, step: Step) -> float:
        """How good ``step`` was, in [-1, 1]."""
        ...


@runtime_checkable
class Expert(Protocol):
    """A policy the oracle trusts (``hfrl.envs.experts.get_expert(env_id)`` returns one)."""

    def act(self, obs: np.ndarray) -> int:
        """The expert's action in ``obs``."""
        ...


class ExpertAgreementOracle:
    """+1 when the step's action is the expert's action for ``step.obs``, -1 otherwise.

    Args:
        expert: anything with ``act(obs) -> action``.
    """

    def __init__(self, expert: Expert) -> None:
        self.expert = expert

    @property
    def name(self) -> str:
        """A short description for summaries."""
        return f"expert-agreement({type(self.expert).__name__})"

    def signal(self, step: Step) -> float:
        """+1.0 if the agent did what the expert would have done, else -1.0."""
        wanted = self.expert.act(step.obs)
        return 1.0 if np.array_equal(np.asarray(step.action), np.asarray(wanted)) else -1.0
