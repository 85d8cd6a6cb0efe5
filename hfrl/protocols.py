"""The two roles every part plugs into: the Teacher and the Agent (DESIGN.md §4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from hfrl.types import Feedback, FeedbackKind, Preference, Scalar, Segment, Step


@runtime_checkable
class ScalarTeacher(Protocol):
    """Gives live ratings. A person at the keyboard is one; so is a simulated trainer."""

    name: str

    def rate(self, step: Step) -> Scalar | None:
        """Watch ``step``; return a rating (stamped with the time it *arrives*) or None."""
        ...


@runtime_checkable
class PreferenceTeacher(Protocol):
    """Compares two clips."""

    name: str

    def compare(self, left: Segment, right: Segment) -> Preference:
        """Say which of two segments is better (or equal, or skip)."""
        ...


Teacher = ScalarTeacher | PreferenceTeacher


@runtime_checkable
class Agent(Protocol):
    """What every learner in hfrl offers, whatever feedback it reads."""

    feedback_kind: ClassVar[FeedbackKind]
    """``"scalar"`` for live ratings (TAMER, COACH), ``"preference"`` for clip comparisons."""

    def act(self, obs: np.ndarray, greedy: bool = False) -> int | np.ndarray:
        """Choose an action for ``obs``; explore while learning unless ``greedy``."""
        ...

    def observe(self, step: Step) -> None:
        """Record a transition the agent just made (with its wall-clock time)."""
        ...

    def give(self, feedback: Feedback) -> None:
        """Hand the agent one piece of feedback; cheap, heavy work belongs in update()."""
        ...

    def update(self) -> dict[str, float]:
        """Do pending learning work; return a few statistics for logs."""
        ...

    def save(self, directory: str | Path) -> None:
        """Write config JSON and weights-only files into ``directory``."""
        ...

    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """Per-action scores to show a person (Ĥ values or policy probabilities)."""
        ...

    @classmethod
    def load(cls, directory: str | Path) -> Agent:
        """Rebuild an agent saved with :meth:`save`; it can keep learning."""
        ...


def describe(obj: Any) -> str:
    """A short human-readable name for an agent or teacher, for logs and summaries."""
    return getattr(obj, "name", type(obj).__name__)
