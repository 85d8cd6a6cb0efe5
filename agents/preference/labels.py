"""Where preference labels come from, when they are asked for, and where they are kept.

- :class:`LabelSchedule`: how many labels are due after T env steps. A share of the budget
  is asked first on random-policy clips; the rest arrives at a rate ∝ c/(T+c), so the
  cumulative count grows like log(1 + T/c) (Christiano et al. 2017).
- :class:`LabelSource`: the training loop ``request``s pairs and ``poll``s answers; neither
  blocks. :class:`TeacherLabels` answers at once with a simulated teacher;
  :class:`QueryQueue` is the thread-safe queue a GUI (a person) answers from another thread.
- :class:`LabelSet`: the labels kept for reward training, capped (oldest dropped), saved as
  ``.npz`` (no pickle).
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from hfrl.clock import Clock, RealClock
from hfrl.errors import HfrlError
from hfrl.protocols import PreferenceTeacher
from hfrl.types import EQUAL, Preference, Segment

__all__ = [
    "LabelSchedule",
    "LabelSet",
    "LabelSource",
    "Query",
    "QueryQueue",
    "TeacherLabels",
]


# --------------------------------------------------------------------------- schedule
@dataclass(frozen=True)
class LabelSchedule:
    """Cumulative labels due after ``steps`` env steps of a run of ``total_steps``.

    ``initial`` labels (the random-policy share) are due at once; the other
    ``budget - initial`` follow the rate c/(T+c): due(T) = initial + rest·ln(1+T/c)/ln(1+T_end/c).

    >>> schedule = LabelSchedule(budget=100, total_steps=10_000)
    >>> schedule.initial, schedule.due(0), schedule.due(10_000)
    (25, 25, 100)
    """

    budget: int
    """Labels in the whole run."""
    total_steps: int
    """Env steps of the run (T_end)."""
    random_share: float = 0.25
    """Share of the budget asked at the start on random-policy clips."""
    c_fraction: float = 0.1
    """c as a fraction of ``total_steps``."""

    @property
    def initial(self) -> int:
        """Labels asked before learning starts (on random-policy clips)."""
        if self.budget <= 0 or self.random_share <= 0:
            return 0
        return min(self.budget, max(1, round(self.random_share * self.budget)))

    def due(self, steps: int) -> int:
        """Labels that should have been asked after ``steps`` env steps (never above budget)."""
        if self.budget <= 0:
            return 0
        rest = self.budget - self.initial
        if self.total_steps <= 0 or steps >= self.total_steps:
            return self.budget
        c = max(1.0, self.c_fraction * self.total_steps)
        frac = math.log1p(max(0, steps) / c) / math.log1p(self.total_steps / c)
        return min(self.budget, self.initial + math.floor(rest * frac + 1e-9))

    def rate(self, steps: int) -> float:
        """Labels per env step at ``steps`` (for logs and tests): ∝ c/(T+c)."""
        rest = self.budget - self.initial
        c = max(1.0, self.c_fraction * self.total_steps)
        return rest / (c * math.log1p(self.total_steps / c)) * c / (steps + c)


# --------------------------------------------------------------------------- sources
@runtime_checkable
class LabelSource(Protocol):
    """Answers comparisons without blocking the training loop."""

    def request(self, pairs: Sequence[tuple[Segment, Segment]]) -> None:
        """Ask for these comparisons; returns at once."""
        ...

    def poll(self) -> list[Preference]:
        """The answers that arrived since the last poll (possibly none); returns at once."""
        ...

    def pending(self) -> int:
        """Comparisons asked and not yet answered."""
        ...


class TeacherLabels:
    """A label source backed by a simulated :class:`~hfrl.protocols.PreferenceTeacher`.

    Each requested pair is answered at once by ``teacher.compare``.
    """

    def __init__(self, teacher: PreferenceTeacher) -> None:
        self.teacher = teacher
        self._answers: list[Preference] = []

    def request(self, pairs: Sequence[tuple[Segment, Segment]]) -> None:
        """Answer every pair now; the answers wait for :meth:`poll`."""
        self._answers.extend(self.teacher.compare(a, b) for a, b in pairs)

    def poll(self) -> list[Preference]:
        """Hand over the answers made so far."""
        out, self._answers = self._answers, []
        return out

    def pending(self) -> int:
        """Always 0: a simulated teacher answers at once."""
        return 0


@dataclass(frozen=True)
class Query:
    """One comparison waiting for a person."""

    id: int
    """Unique number of the query in its queue."""
    left: Segment
    """Clip shown on the left."""
    right: Segment
    """Clip shown on the right."""


class QueryQueue:
    """Thread-safe queue between the training loop and a person at a GUI.

    The training thread calls :meth:`request` and :meth:`poll` (both return at once). The
    GUI thread calls :meth:`next_query` to get a pair to show and :meth:`answer` with the
    person's label (1.0 left, 0.0 right, 0.5 equal, None skip). Unanswered queries beyond
    ``max_pending`` are dropped oldest-first, so a slow person always sees recent clips.

    Args:
        max_pending: Most queries waiting at once.
        clock: Stamps answers (``time.monotonic`` by default).
        source: Recorded as the answers' source.

    >>> from hfrl.agents.preference.labels import QueryQueue
    >>> queue = QueryQueue(max_pending=4)
    >>> queue.pending(), queue.next_query() is None
    (0, True)
    """

    def __init__(
        self, max_pending: int = 20, clock: Clock | None = None, source: str = "human"
    ) -> None:
        if max_pending < 1:
            raise HfrlError(f"max_pending must be at least 1, got {max_pending}")
        self.max_pending = max_pending
        self.clock = clock or RealClock()
        self.source = source
        self._lock = threading.Lock()
        self._waiting: deque[Query] = deque()
        self._shown: dict[int, Query] = {}
        self._answers: queue.SimpleQueue[Preference] = queue.SimpleQueue()
        self._ids = itertools.count()
        self._available = threading.Condition(self._lock)
        self.dropped = 0
        """Queries dropped unanswered because newer ones replaced them."""

    # training side
    def request(self, pairs: Sequence[tuple[Segment, Segment]]) -> None:
        """Queue pairs for the person; drop the oldest waiting ones beyond ``max_pending``."""
        with self._available:
            for left, right in pairs:
                self._waiting.append(Query(next(self._ids), left, right))
            while len(self._waiting) + len(self._shown) > self.max_pending and self._waiting:
                self._waiting.popleft()
                self.dropped += 1
            self._available.notify_all()

    def poll(self) -> list[Preference]:
        """Every answer given since the last poll."""
        out = []
        while True:
            try:
                out.append(self._answers.get_nowait())
            except queue.Empty:
                return out

    def pending(self) -> int:
        """Queries waiting or on screen."""
        with self._lock:
            return len(self._waiting) + len(self._shown)

    # GUI side
    def next_query(self, timeout: float | None = 0.0) -> Query | None:
        """The next pair to show, or None if none comes within ``timeout`` seconds."""
        with self._available:
            if not self._waiting and timeout != 0.0:
                self._available.wait_for(lambda: bool(self._waiting), timeout)
            if not self._waiting:
                return None
            q = self._waiting.popleft()
            self._shown[q.id] = q
            return q

    def answer(self, query: Query | int, label: float | None) -> Preference:
        """Record the person's answer to a shown query; returns the :class:`Preference`."""
        qid = query if isinstance(query, int) else query.id
        with self._lock:
            q = self._shown.pop(qid, None)
        if q is None:
            raise HfrlError(f"query {qid} is not on screen (already answered or never shown)")
        pref = Preference(q.left, q.right, label, self.clock.now(), self.source)
        self._answers.put(pref)
        return pref

    def put_back(self, query: Query) -> None:
        """Return a shown, unanswered query to the front of the queue (e.g. window closed)."""
        with self._available:
            if self._shown.pop(query.id, None) is not None:
                self._waiting.appendleft(query)
                self._available.notify_all()


# --------------------------------------------------------------------------- label set
class LabelSet:
    """The labels kept for reward training: at most ``capacity``, oldest dropped first."""

    def __init__(self, capacity: int = 3000) -> None:
        self.capacity = capacity
        self._items: deque[Preference] = deque(maxlen=capacity)
        self.received = 0
        """Every answer ever added (skips and dropped ones included)."""
        self.skipped = 0
        """Answers that were skips."""

    def add(self, prefs: Iterable[Preference]) -> int:
        """Keep these answers (skips are counted, not kept); return how many were added."""
        n = 0
        for p in prefs:
            self.received += 1
            n += 1
            if p.skipped:
                self.skipped += 1
            else:
                self._items.append(p)
        return n

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(self._items)

    def decisive(self) -> bool:
        """Whether a kept label prefers one clip (else every answer is "equal": no signal)."""
        return any(p.label != EQUAL for p in self._items)

    def save(self, path: str | Path) -> None:
        """Write the kept labels as a compressed ``.npz`` (segments without frames)."""
        items = list(self._items)
        data: dict[str, np.ndarray] = {
            "labels": np.array([p.label for p in items], dtype=np.float32),
            "t_wall": np.array([p.t_wall for p in items], dtype=np.float64),
            "source": np.array([p.source for p in items], dtype=str),
            "counts": np.array([self.received, self.skipped, self.capacity], dtype=np.int64),
        }
        for side in ("left", "right"):
            segs = [getattr(p, side) for p in items]
            data.update(_pack_segments(segs, side))
        np.savez_compressed(path, **data)

    @classmethod
    def load(cls, path: str | Path) -> LabelSet:
        """Read a label set written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            received, skipped, capacity = (int(x) for x in z["counts"])
            out = cls(capacity)
            lefts = _unpack_segments(z, "left")
            rights = _unpack_segments(z, "right")
            for i, (a, b) in enumerate(zip(lefts, rights, strict=True)):
                out._items.append(
                    Preference(
                        a, b, float(z["labels"][i]), float(z["t_wall"][i]), str(z["source"][i])
                    )
                )
        out.received, out.skipped = received, skipped
        return out


def _pack_segments(segs: Sequence[Segment], prefix: str) -> dict[str, np.ndarray]:
    """Pad segments into arrays with their lengths (the inverse of :func:`_unpack_segments`)."""
    if not segs:
        return {f"{prefix}_lengths": np.zeros(0, dtype=np.int64)}
    length = max(len(s) for s in segs)
    lengths = np.array([len(s) for s in segs], dtype=np.int64)

    def stack(arrays: list[np.ndarray]) -> np.ndarray:
        first = np.asarray(arrays[0])
        out = np.zeros((len(arrays), length, *first.shape[1:]), dtype=first.dtype)
        for i, a in enumerate(arrays):
            out[i, : len(a)] = a
        return out

    return {
        f"{prefix}_lengths": lengths,
        f"{prefix}_obs": stack([s.obs for s in segs]),
        f"{prefix}_actions": stack([s.actions for s in segs]),
        f"{prefix}_true_rewards": stack([np.asarray(s.true_rewards, np.float64) for s in segs]),
        f"{prefix}_terminated": np.array([s.terminated for s in segs], dtype=bool),
        f"{prefix}_episode": np.array([s.episode for s in segs], dtype=np.int64),
        f"{prefix}_start": np.array([s.start_step for s in segs], dtype=np.int64),
        f"{prefix}_env_id": np.array([s.env_id for s in segs], dtype=str),
        f"{prefix}_uid": np.array([s.uid for s in segs], dtype=str),
    }


def _unpack_segments(z: np.lib.npyio.NpzFile, prefix: str) -> list[Segment]:
    lengths = z[f"{prefix}_lengths"]
    if len(lengths) == 0:
        return []
    obs, act, rew = z[f"{prefix}_obs"], z[f"{prefix}_actions"], z[f"{prefix}_true_rewards"]
    return [
        Segment(
            obs=obs[i, :n],
            actions=act[i, :n],
            true_rewards=rew[i, :n],
            env_id=str(z[f"{prefix}_env_id"][i]),
            episode=int(z[f"{prefix}_episode"][i]),
            start_step=int(z[f"{prefix}_start"][i]),
            terminated=bool(z[f"{prefix}_terminated"][i]),
            uid=str(z[f"{prefix}_uid"][i]),
        )
        for i, n in enumerate(lengths)
    ]
