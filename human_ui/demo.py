"""Demo mode: a simulated teacher presses the keys in the app's own window.

The teacher sees what a person would see (each step as it is shown; each pair of clips)
and its answers are posted as ordinary ``KEYDOWN`` events at the moment they would arrive,
so they go through the same key handling, store writes and agent calls as a person's.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any

import pygame
from hfrl.human_ui.keys import key_event, rating_key

from hfrl.types import EQUAL, LEFT, RIGHT, Segment, Step


class ScalarDemo:
    """Turns a :class:`~hfrl.protocols.ScalarTeacher`'s ratings into timed key presses."""

    def __init__(self, teacher: Any) -> None:
        self.teacher = teacher
        self.name: str = getattr(teacher, "name", type(teacher).__name__)
        self._due: list[tuple[float, int, str]] = []
        self._order = itertools.count()

    def watch(self, step: Step) -> None:
        """Show the teacher one step; a rating it gives is pressed when it arrives."""
        scalar = self.teacher.rate(step)
        if scalar is not None and scalar.value != 0:
            heapq.heappush(
                self._due, (float(scalar.t_wall), next(self._order), rating_key(scalar.value))
            )

    def post_due(self, now: float) -> int:
        """Post the key presses whose arrival time has come; return how many."""
        n = 0
        while self._due and self._due[0][0] <= now:
            _, _, key = heapq.heappop(self._due)
            pygame.event.post(key_event(key, source=self.name, posted_at=now))
            n += 1
        return n


class PreferenceDemo:
    """Answers a comparison query with the key a person would press, after a think time."""

    def __init__(self, teacher: Any, think_seconds: float = 1.0) -> None:
        self.teacher = teacher
        self.name: str = getattr(teacher, "name", type(teacher).__name__)
        self.think_seconds = think_seconds
        self._pending: tuple[float, str] | None = None

    def show(self, left: Segment, right: Segment, now: float) -> None:
        """Show the teacher a new pair; its answer is pressed ``think_seconds`` later."""
        pref = self.teacher.compare(left, right)
        label = pref.label
        if label is None:
            key = "s"
        elif label == LEFT:
            key = "left"
        elif label == RIGHT:
            key = "right"
        elif label == EQUAL:
            key = "="
        else:  # pragma: no cover - Preference validates labels
            key = "s"
        self._pending = (now + self.think_seconds, key)

    def cancel(self) -> None:
        """Forget the pending answer (the query went away)."""
        self._pending = None

    def post_due(self, now: float) -> int:
        """Post the answer key if its time has come; return 1 if posted."""
        if self._pending is None or self._pending[0] > now:
            return 0
        _, key = self._pending
        self._pending = None
        pygame.event.post(key_event(key, source=self.name, posted_at=now))
        return 1
