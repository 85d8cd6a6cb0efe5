"""The steps a live session showed, kept in the feedback store next to its ratings.

A rating credits steps by number (``Credit`` pairs in the ``scalars`` table); to replay a
person into another agent, or to fit a simulated trainer to them, the steps themselves are
needed: when each was shown, its observation, action, next observation, reward and ending,
and where it fell among the ratings. :class:`ShownStepRecorder` buffers them as the live loop
records them and writes them in one transaction before each rating is committed (and at each
episode's end), so every step a stored rating credited is on disk with it.

Table ``shown_steps`` (created on first use with ``CREATE TABLE IF NOT EXISTS``; stores made
before it simply lack it): ``session_id, idx`` (the step's history number, the one credit
pairs name), ``t_start`` (when it started showing), ``episode, ep_step, reward, terminated,
truncated``, ``after_ratings`` (ratings the session had when the step was recorded: the
interleaving of steps and ratings) and ``data``, an npz BLOB of ``obs, action, next_obs``
written without pickle.
"""

from __future__ import annotations

import io
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from hfrl.store_codec import write_npz
from hfrl.types import Step

if TYPE_CHECKING:
    from hfrl.store import FeedbackStore, Session

DDL = """
CREATE TABLE IF NOT EXISTS shown_steps (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    idx INTEGER NOT NULL,
    t_start REAL NOT NULL,
    episode INTEGER NOT NULL,
    ep_step INTEGER NOT NULL,
    reward REAL NOT NULL,
    terminated INTEGER NOT NULL,
    truncated INTEGER NOT NULL,
    after_ratings INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS shown_steps_by_session ON shown_steps(session_id, idx)
"""


def ensure_table(store: FeedbackStore) -> None:
    """Create the ``shown_steps`` table and its index if the store lacks them."""
    store._write((statement, ()) for statement in DDL.split(";") if statement.strip())


def has_table(store: FeedbackStore) -> bool:
    """The store has a ``shown_steps`` table."""
    row = (
        store._conn()
        .execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shown_steps'")
        .fetchone()
    )
    return row is not None


def _blob(step: Step) -> bytes:
    buffer = io.BytesIO()
    write_npz(
        buffer,
        {
            "obs": np.asarray(step.obs),
            "action": np.asarray(step.action),
            "next_obs": np.asarray(step.next_obs),
        },
    )
    return buffer.getvalue()


class ShownStepRecorder:
    """Buffers a session's shown steps and writes them in batches (one transaction each).

    Args:
        session: the store session the live loop writes its ratings to.
        max_buffered: steps kept in memory before a write even without a rating.
    """

    def __init__(self, session: Session, max_buffered: int = 256) -> None:
        self.session = session
        self.store = session.store
        self.max_buffered = max_buffered
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        ensure_table(self.store)
        self.ratings = int(self.store.counts(session)["scalars"]) + int(
            self.store.counts(session)["retracted"]
        )
        """Ratings the session holds (undone ones too): the next step's ``after_ratings``."""

    def add(self, index: int, step: Step) -> None:
        """Buffer one shown step under its history number."""
        row = (
            self.session.id,
            int(index),
            float(step.t_wall),
            int(step.episode),
            int(step.step),
            float(step.true_reward),
            int(bool(step.terminated)),
            int(bool(step.truncated)),
            self.ratings,
            _blob(step),
        )
        with self._lock:
            self._rows.append(row)
            full = len(self._rows) >= self.max_buffered
        if full:
            self.flush()

    def rated(self) -> None:
        """A rating is about to be stored: write the steps it may credit, count it."""
        self.flush()
        self.ratings += 1

    def flush(self) -> None:
        """Write the buffered steps in one transaction."""
        with self._lock:
            rows, self._rows = self._rows, []
        if rows:
            sql = (
                "INSERT INTO shown_steps(session_id, idx, t_start, episode, ep_step, reward, "
                "terminated, truncated, after_ratings, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            )
            self.store._write((sql, r) for r in rows)


def read_shown_steps(store: FeedbackStore, session: Session) -> dict[str, np.ndarray] | None:
    """The session's shown steps in recording order, or None when it kept none.

    Keys: ``index, t_start, t_end`` (the next step's start; the last step gets the median
    frame time), ``episode, ep_step, reward, terminated, truncated, after_ratings`` and the
    stacked ``obs, action, next_obs``.
    """
    if not has_table(store):
        return None
    rows = (
        store._conn()
        .execute(
            "SELECT idx, t_start, episode, ep_step, reward, terminated, truncated, "
            "after_ratings, data FROM shown_steps WHERE session_id = ? ORDER BY id",
            (session.id,),
        )
        .fetchall()
    )
    if not rows:
        return None
    cols = list(zip(*rows, strict=True))
    out: dict[str, np.ndarray] = {
        "index": np.array(cols[0], dtype=np.int64),
        "t_start": np.array(cols[1], dtype=np.float64),
        "episode": np.array(cols[2], dtype=np.int64),
        "ep_step": np.array(cols[3], dtype=np.int64),
        "reward": np.array(cols[4], dtype=np.float64),
        "terminated": np.array(cols[5], dtype=bool),
        "truncated": np.array(cols[6], dtype=bool),
        "after_ratings": np.array(cols[7], dtype=np.int64),
    }
    arrays: dict[str, list[np.ndarray]] = {"obs": [], "action": [], "next_obs": []}
    for blob in cols[8]:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            for name in arrays:
                arrays[name].append(data[name])
    for name, values in arrays.items():
        out[name] = np.stack(values)
    starts = out["t_start"]
    gaps = np.diff(starts)
    frame = float(np.median(gaps)) if len(gaps) else 1.0 / 30
    out["t_end"] = np.append(starts[1:], starts[-1] + frame)
    return out
