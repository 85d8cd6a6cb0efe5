"""Clocks: real wall time for a person, simulated time for a headless run at a display rate."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the time in seconds."""

    def now(self) -> float:
        """Current time in seconds."""
        ...


class RealClock:
    """``time.monotonic()``, what the pygame apps stamp key presses with."""

    def now(self) -> float:
        return time.monotonic()


@dataclass
class SimClock:
    """A clock that advances one frame (1/fps seconds) each time :meth:`tick` is called.

    Headless training uses it so that delays in seconds mean what they would mean to a
    person watching at ``fps`` frames per second.
    """

    fps: float
    """Display rate the simulated person watches at."""
    t: float = field(default=0.0)
    """Current time in seconds."""

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    def now(self) -> float:
        return self.t

    def tick(self, frames: int = 1) -> float:
        """Advance by ``frames`` frames; return the new time."""
        self.t += frames / self.fps
        return self.t
