"""Core feedback types shared by every part of hfrl (DESIGN.md §4).

All are frozen dataclasses; shapes are checked on construction so a bad array fails where
it is made, not deep inside a training loop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

FeedbackSource = str
"""Who gave a piece of feedback: ``"human"``, or a simulated teacher's name."""

LEFT: float = 1.0
"""Preference label: the left (first) segment is better."""
RIGHT: float = 0.0
"""Preference label: the right (second) segment is better."""
EQUAL: float = 0.5
"""Preference label: both segments are equally good."""


def new_uid() -> str:
    """A fresh random id for a segment (used by the store to save each segment once)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Step:
    """One environment transition as an agent and a teacher see it.

    ``true_reward`` is kept for simulated teachers and evaluation only; agents never read it.
    """

    obs: np.ndarray
    """Observation the action was chosen in (for Atari: the preprocessed learner view)."""
    action: int | np.ndarray
    """Action taken."""
    next_obs: np.ndarray
    """Observation after the action."""
    true_reward: float
    """The environment's reward (hidden from agents)."""
    terminated: bool
    """The episode reached a terminal state."""
    truncated: bool
    """The episode was cut by a time limit."""
    t_wall: float
    """Clock time (seconds) at which this step's state and action started being shown."""
    episode: int
    """Episode index, counting from 0."""
    step: int
    """Step index within the episode, counting from 0."""
    frame: np.ndarray | None = None
    """RGB frame (H, W, 3) uint8 for display, if rendering is on."""

    @property
    def done(self) -> bool:
        """The episode ended after this step (terminal or time limit)."""
        return self.terminated or self.truncated


@dataclass(frozen=True)
class Scalar:
    """One live rating of the agent's recent behaviour (Knox's keys give ±1 and ±10)."""

    value: float
    """The rating; usually ±1, ±10 for a strong key."""
    t_wall: float
    """Clock time (seconds) at which the rating was given (a key press, or simulated delivery)."""
    step: int
    """Global env step counter at the moment the rating was given."""
    episode: int
    """Episode being shown when the rating was given."""
    source: FeedbackSource = "human"
    """Who gave it."""

    def __post_init__(self) -> None:
        if not np.isfinite(self.value):
            raise ValueError(f"Scalar value must be finite, got {self.value!r}")


@dataclass(frozen=True)
class Segment:
    """A short clip of a trajectory, the unit a preference compares.

    A segment may be shorter than the requested length when it ran into the end of its
    episode; ``terminated`` then says the episode ended in a terminal state, and
    :meth:`padded` extends it with absorbing steps (DESIGN.md §5, Preferences).
    """

    obs: np.ndarray
    """Observations, shape (T, *obs_shape)."""
    actions: np.ndarray
    """Actions, shape (T,) for discrete or (T, *act_shape) for continuous."""
    true_rewards: np.ndarray
    """Environment rewards, shape (T,) (hidden from agents; for simulated teachers)."""
    env_id: str
    """Environment the clip comes from."""
    episode: int = 0
    """Episode index the clip comes from."""
    start_step: int = 0
    """Step index within the episode of the first step."""
    terminated: bool = False
    """The episode reached a terminal state right after the last step."""
    frames: np.ndarray | None = None
    """RGB frames (T, H, W, 3) uint8 for display, or None."""
    uid: str = field(default_factory=new_uid)
    """Identity used by the feedback store to save the segment once."""

    def __post_init__(self) -> None:
        n = len(self.obs)
        if n == 0:
            raise ValueError("a Segment needs at least one step")
        if len(self.actions) != n or np.shape(self.true_rewards) != (n,):
            raise ValueError(
                f"Segment arrays disagree on length: obs {np.shape(self.obs)}, "
                f"actions {np.shape(self.actions)}, true_rewards {np.shape(self.true_rewards)}"
            )
        if self.frames is not None:
            shape = np.shape(self.frames)
            if len(shape) != 4 or shape[0] != n or shape[-1] != 3:
                raise ValueError(f"Segment frames must be (T={n}, H, W, 3), got {shape}")

    def __len__(self) -> int:
        return len(self.obs)

    @property
    def true_return(self) -> float:
        """Undiscounted sum of true rewards over the real (unpadded) steps."""
        return float(np.sum(self.true_rewards))

    def padded(self, length: int) -> PaddedSegment:
        """Return arrays of exactly ``length`` steps, absorbing steps after a terminal end.

        Absorbing steps have zero observation and action, zero true reward and
        ``absorbing=True``. A segment that ended by truncation or reached ``length`` has none.
        """
        n = len(self)
        if n > length:
            raise ValueError(f"segment of {n} steps is longer than the padded length {length}")
        pad = length - n
        if pad and not self.terminated:
            raise ValueError("only a segment that ends in a terminal state can be padded")
        absorbing = np.zeros(length, dtype=bool)
        absorbing[n:] = True

        def extend(a: np.ndarray) -> np.ndarray:
            a = np.asarray(a)
            if not pad:
                return a
            return np.concatenate([a, np.zeros((pad, *a.shape[1:]), dtype=a.dtype)])

        return PaddedSegment(
            obs=extend(self.obs),
            actions=extend(self.actions),
            true_rewards=extend(np.asarray(self.true_rewards, dtype=np.float64)),
            absorbing=absorbing,
        )


@dataclass(frozen=True)
class PaddedSegment:
    """A segment extended to a fixed length with absorbing steps."""

    obs: np.ndarray
    actions: np.ndarray
    true_rewards: np.ndarray
    absorbing: np.ndarray
    """Boolean mask (T,): True for absorbing steps added after a terminal end."""


@dataclass(frozen=True)
class Preference:
    """A comparison of two segments by a teacher.

    ``label`` is 1.0 when the left segment is better, 0.0 when the right one is, 0.5 when they
    are equal, and None when the teacher skipped the query (a skip is kept, not dropped).
    """

    left: Segment
    right: Segment
    label: float | None
    t_wall: float
    source: FeedbackSource = "human"

    def __post_init__(self) -> None:
        if self.label is not None and self.label not in (LEFT, RIGHT, EQUAL):
            raise ValueError(f"Preference label must be 1.0, 0.0, 0.5 or None, got {self.label!r}")

    @property
    def skipped(self) -> bool:
        """The teacher declined to compare these segments."""
        return self.label is None


Feedback = Scalar | Preference
"""Anything an agent can be given."""

FeedbackKind = Literal["scalar", "preference"]
