"""The feedback store: every label on disk the moment it is given (DESIGN.md §4, §7).

One SQLite file in WAL mode holds sessions, scalar ratings, preferences and the segments
they compare. Each feedback is one row committed on arrival (its own transaction), so a
process killed at any moment keeps every label that an ``add_*`` call returned for.

Durability: ``synchronous=FULL`` by default (the WAL is fsynced at every commit, which also
survives power loss). ``synchronous="NORMAL"`` is enough against process death (SIGKILL):
in WAL mode a commit has been written to the WAL file with ``write()`` before the call
returns, and the operating system keeps it even if the process dies; only a power cut or
kernel crash can then lose the last commits.

Threads: each thread gets its own SQLite connection (made on first use), so the pygame main
thread can write while a worker thread reads: WAL readers never block the writer. Writes from
threads of this process are serialised by a lock; other processes wait on SQLite's busy
timeout. :meth:`FeedbackStore.close` closes every thread's connection; call it once the
other threads are done with the store.

Segments are stored once (keyed by ``Segment.uid``) as ``np.savez_compressed`` BLOBs read
back with ``allow_pickle=False``. Undo marks a row *retracted*; it stays on disk but is not
returned unless asked for.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from hfrl.errors import HfrlError, StoreError
from hfrl.store_codec import SegmentHeader, build_segment, encode_arrays, header_of
from hfrl.store_schema import SCHEMA_VERSION, check_connection, check_file, migrate
from hfrl.types import Feedback, FeedbackKind, Preference, Scalar, Segment

Credit = Sequence[tuple[int, float]]
"""Credited steps of a scalar rating: ``(global step, weight)`` pairs."""

_SYNCHRONOUS = ("FULL", "NORMAL")
_KINDS = ("scalar", "preference")


@dataclass(frozen=True)
class StoredScalar:
    """A scalar rating as stored, with its row id, credited steps and undo flag."""

    id: int
    """Row id in the ``scalars`` table."""
    session_id: int
    """Session the rating belongs to."""
    scalar: Scalar
    """The rating itself."""
    credit: tuple[tuple[int, float], ...] | None
    """``(global step, weight)`` pairs the rating was credited to, if recorded."""
    retracted: bool
    """The rating was undone."""


@dataclass(frozen=True)
class StoredPreference:
    """A preference as stored, with its row id, segment ids and undo flag."""

    id: int
    """Row id in the ``preferences`` table."""
    session_id: int
    """Session the preference belongs to."""
    preference: Preference
    """The comparison, with both segments loaded."""
    left_id: int
    """Row id of the left segment."""
    right_id: int
    """Row id of the right segment."""
    retracted: bool
    """The label was undone."""


class Session:
    """A named labelling session in a store: a handle to add and read its feedback."""

    def __init__(
        self,
        store: FeedbackStore,
        id: int,
        name: str,
        meta: dict[str, Any],
        created: float,
        resumed: bool,
    ) -> None:
        self.store = store
        self.id = id
        """Row id of the session."""
        self.name = name
        """Unique name the session is resumed by."""
        self.meta = meta
        """Free-form JSON metadata recorded when the session was created."""
        self.created = created
        """Unix time the session was created."""
        self.resumed = resumed
        """True when :meth:`FeedbackStore.open_session` found the session already there."""

    def __repr__(self) -> str:
        return f"Session(id={self.id}, name={self.name!r}, resumed={self.resumed})"

    def add(self, feedback: Feedback, credit: Credit | Mapping[int, float] | None = None) -> int:
        """Store one feedback now; see :meth:`FeedbackStore.add`."""
        return self.store.add(self, feedback, credit)

    def scalars(self, include_retracted: bool = False) -> list[Scalar]:
        """This session's scalar ratings, oldest first."""
        return self.store.scalars(self, include_retracted)

    def preferences(self, include_retracted: bool = False, frames: bool = True) -> list[Preference]:
        """This session's preferences (skips included), oldest first."""
        return self.store.preferences(self, include_retracted, frames)

    def counts(self) -> dict[str, int]:
        """See :meth:`FeedbackStore.counts`."""
        return self.store.counts(self)

    def undo_last(self, kind: FeedbackKind) -> int | None:
        """See :meth:`FeedbackStore.undo_last`."""
        return self.store.undo_last(self, kind)

    def export(self, out_dir: str | Path, format: Literal["npz", "parquet"] = "npz") -> Path:
        """See :meth:`FeedbackStore.export`."""
        return self.store.export(self, out_dir, format)


SessionRef = Session | int
"""A session handle or its row id."""


def _session_id(session: SessionRef) -> int:
    return session.id if isinstance(session, Session) else int(session)


def _credit_json(credit: Credit | Mapping[int, float] | None) -> str | None:
    if credit is None:
        return None
    pairs = credit.items() if isinstance(credit, Mapping) else credit
    try:
        return json.dumps([[int(step), float(weight)] for step, weight in pairs])
    except (TypeError, ValueError) as e:
        raise HfrlError(
            f"credit must be (integer global step, weight) pairs or a step -> weight mapping: {e}"
        ) from e


F = TypeVar("F", bound=Callable[..., Any])


def store_error(path: Path, err: BaseException) -> StoreError:
    """A one-line :class:`StoreError` for an SQLite or OS error on the store at ``path``.

    Says what to do: free disk space, make the files writable, or recover a damaged file.
    Every label already returned for is on disk (each was committed on its own).
    """
    text = str(err)
    low = text.lower()
    if "full" in low or getattr(err, "errno", None) == 28:
        what = f"the disk holding {path} is full ({text}); free some space and run it again"
    elif "readonly" in low or "read-only" in low or isinstance(err, PermissionError):
        what = (
            f"feedback store {path} cannot be written ({text}); make the file, its -wal and "
            "-shm files and their folder writable, or pass another --dir"
        )
    elif "malformed" in low or "not a database" in low or "corrupt" in low:
        what = (
            f"feedback store {path} is damaged ({text}); copy out what is readable with "
            f"`sqlite3 {path} .recover | sqlite3 recovered.sqlite`, or restore a backup"
        )
    elif "locked" in low or "busy" in low:
        what = (
            f"feedback store {path} is busy in another process ({text}); try again when it is done"
        )
    elif isinstance(err, OSError):
        what = f"cannot use feedback store {path}: {err.strerror or text}; check the path"
    else:
        what = f"feedback store {path}: {text}"
    return StoreError(what + ". Labels stored before this are kept.")


def _guarded(method: F) -> F:
    """Turn SQLite and OS errors raised by a store method into a one-line StoreError."""

    @functools.wraps(method)
    def wrapper(self: FeedbackStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as err:
            raise store_error(self.path, err) from err

    return wrapper  # type: ignore[return-value]


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open (SQLite ends some on its own, e.g. when full)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the original error is the one to report
            conn.execute("ROLLBACK")


class FeedbackStore:
    """SQLite feedback store (WAL, one committed row per feedback, segments stored once).

    Args:
        path: The store file; created (with its parent folders) when missing.
        synchronous: ``"FULL"`` (fsync every commit) or ``"NORMAL"`` (safe against process
            death, not power loss); see the module docstring.
        timeout: Seconds to wait for another process's write lock.

    Raises:
        StoreError: the file is not an SQLite database, is another program's database, or
            has a newer schema; the file is left untouched.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        timeout: float = 10.0,
    ) -> None:
        self.path = Path(path)
        if synchronous.upper() not in _SYNCHRONOUS:
            raise HfrlError(f"synchronous must be one of {_SYNCHRONOUS}, got {synchronous!r}")
        self.synchronous = synchronous.upper()
        self.timeout = timeout
        check_file(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            blocker = next((p for p in self.path.parents if p.is_file()), None)
            why = f"{blocker} is a file" if blocker else (err.strerror or str(err))
            raise StoreError(
                f"cannot create the folder of feedback store {self.path}: {why}; pass a --dir "
                "that is a writable folder."
            ) from err
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._closed = False
        self._segment_ids: dict[str, int] = {}
        self.skipped: list[str] = []
        """Records left out of reads because their data could not be decoded (reported once)."""
        try:
            conn = self._open_connection(first=True)
            with self._write_lock:
                migrate(conn, self.path)
        except (sqlite3.Error, OSError) as err:
            self.close(checkpoint=False)
            raise store_error(self.path, err) from err
        except BaseException:
            self.close(checkpoint=False)
            raise

    # -- connections ------------------------------------------------------------------

    def _open_connection(self, first: bool = False) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise StoreError(f"cannot open feedback store {self.path}: {e}") from e
        with self._conns_lock:
            self._conns.append(conn)
        self._local.conn = conn
        if first:
            check_connection(conn, self.path)  # before any pragma that could write
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"feedback store {self.path}: cannot use WAL mode (got {mode})")
        conn.execute(f"PRAGMA synchronous = {self.synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"feedback store {self.path} is closed")
        conn = getattr(self._local, "conn", None)
        return conn if conn is not None else self._open_connection()

    def _write_feedback(self, session: SessionRef, sql: str, params: Sequence[Any]) -> int:
        """Insert one feedback row; a session id that is not in the store is a StoreError."""
        try:
            (row_id,) = self._write([(sql, params)])
        except sqlite3.IntegrityError as e:
            raise StoreError(
                f"no session with id {_session_id(session)} in {self.path} ({e}); "
                "get one from open_session()"
            ) from e
        return int(row_id or 0)

    def _write(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> list[int | None]:
        """Run ``statements`` in one committed transaction; return each lastrowid."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [conn.execute(sql, params).lastrowid for sql, params in statements]
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        return ids

    def close(self, checkpoint: bool = True) -> None:
        """Close every thread's connection, first folding the WAL into the main file.

        ``PRAGMA wal_checkpoint(TRUNCATE)`` leaves every label in ``feedback.sqlite`` itself
        (the ``-wal`` file empty), so a session that ended cleanly can be copied as one file;
        it is skipped quietly when another process is reading the store. ``hfrl export`` is
        the safe way to take a session elsewhere at any time.
        """
        with self._conns_lock:
            conns, self._conns = self._conns, []
            self._closed = True
        if checkpoint and conns:
            # read-only, busy or damaged: the WAL stays as it is, every commit is in it
            with contextlib.suppress(sqlite3.Error):
                conns[0].execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for conn in conns:
            conn.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions ---------------------------------------------------------------------

    @_guarded
    def open_session(self, name: str, meta: Mapping[str, Any] | None = None) -> Session:
        """Create the session ``name``, or resume it when it exists.

        Args:
            name: Unique session name (e.g. ``"alice-cartpole-1"``).
            meta: JSON-serialisable metadata (agent, env id, teacher, config, ...), recorded
                when the session is created; on resume the stored meta is kept and returned.
        """
        existing = self._find_session(name)
        if existing is not None:
            return existing
        try:
            meta_json = json.dumps(dict(meta or {}), sort_keys=True)
        except TypeError as e:
            raise HfrlError(f"session meta must be JSON-serialisable: {e}") from e
        created = time.time()
        try:
            (sid,) = self._write(
                [
                    (
                        "INSERT INTO sessions(name, meta, created) VALUES (?, ?, ?)",
                        (name, meta_json, created),
                    )
                ]
            )
        except sqlite3.IntegrityError:  # another process created it meanwhile
            found = self._find_session(name)
            assert found is not None
            return found
        return Session(self, int(sid or 0), name, json.loads(meta_json), created, resumed=False)

    def _find_session(self, name: str) -> Session | None:
        row = (
            self._conn()
            .execute("SELECT id, name, meta, created FROM sessions WHERE name = ?", (name,))
            .fetchone()
        )
        if row is None:
            return None
        return Session(self, row[0], row[1], json.loads(row[2]), row[3], resumed=True)

    @_guarded
    def sessions(self) -> list[Session]:
        """All sessions, oldest first."""
        rows = self._conn().execute("SELECT id, name, meta, created FROM sessions ORDER BY id")
        return [Session(self, r[0], r[1], json.loads(r[2]), r[3], resumed=True) for r in rows]

    @_guarded
    def session(self, ref: str | int) -> Session:
        """The session with this name or id.

        Raises:
            StoreError: there is none; the message lists the sessions there are.
        """
        column = "name" if isinstance(ref, str) else "id"
        row = (
            self._conn()
            .execute(f"SELECT id, name, meta, created FROM sessions WHERE {column} = ?", (ref,))
            .fetchone()
        )
        if row is None:
            names = [s.name for s in self.sessions()]
            raise StoreError(f"no session {ref!r} in {self.path}; sessions there: {names}")
        return Session(self, row[0], row[1], json.loads(row[2]), row[3], resumed=True)

    # -- writing feedback -------------------------------------------------------------

    def add(
        self,
        session: SessionRef,
        feedback: Feedback,
        credit: Credit | Mapping[int, float] | None = None,
    ) -> int:
        """Store a :class:`Scalar` or :class:`Preference`; return its row id once committed."""
        if isinstance(feedback, Scalar):
            return self.add_scalar(session, feedback, credit)
        if isinstance(feedback, Preference):
            if credit is not None:
                raise HfrlError("credit applies to scalar ratings only, not preferences")
            return self.add_preference(session, feedback)
        raise HfrlError(f"cannot store {type(feedback).__name__}; expected Scalar or Preference")

    @_guarded
    def add_scalar(
        self,
        session: SessionRef,
        scalar: Scalar,
        credit: Credit | Mapping[int, float] | None = None,
    ) -> int:
        """Store one rating, committed before returning its row id.

        Args:
            session: The session it belongs to.
            scalar: The rating.
            credit: Optional ``(global step, weight)`` pairs (or a step → weight mapping)
                the rating was credited to.
        """
        return self._write_feedback(
            session,
            "INSERT INTO scalars(session_id, value, t_wall, step, episode, source, "
            "credit, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _session_id(session),
                float(scalar.value),
                float(scalar.t_wall),
                int(scalar.step),
                int(scalar.episode),
                scalar.source,
                _credit_json(credit),
                time.time(),
            ),
        )

    @_guarded
    def add_preference(self, session: SessionRef, preference: Preference) -> int:
        """Store one comparison (a skip too), with its segments if new; return its row id."""
        left_id = self.put_segment(preference.left)
        right_id = self.put_segment(preference.right)
        return self._write_feedback(
            session,
            "INSERT INTO preferences(session_id, left_id, right_id, label, t_wall, "
            "source, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                _session_id(session),
                left_id,
                right_id,
                None if preference.label is None else float(preference.label),
                float(preference.t_wall),
                preference.source,
                time.time(),
            ),
        )

    @_guarded
    def put_segment(self, segment: Segment) -> int:
        """Store ``segment`` unless a segment with its uid is there; return its row id.

        Compression happens outside the write lock, so a worker thread can store the
        segments of upcoming queries without holding up the UI thread's labels.
        """
        found = self._find_segment_id(segment.uid)
        if found is not None:
            return found
        h = header_of(segment)
        blob = encode_arrays(segment)
        self._write(
            [
                (
                    "INSERT OR IGNORE INTO segments(uid, env_id, episode, start_step, "
                    "terminated, length, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (h.uid, h.env_id, h.episode, h.start_step, int(h.terminated), h.length, blob),
                )
            ]
        )
        found = self._find_segment_id(segment.uid)
        if found is None:  # cannot happen: the insert committed or the row was there
            raise StoreError(f"segment {segment.uid} was not stored in {self.path}")
        return found

    def _find_segment_id(self, uid: str) -> int | None:
        if uid in self._segment_ids:
            return self._segment_ids[uid]
        row = self._conn().execute("SELECT id FROM segments WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            return None
        self._segment_ids[uid] = row[0]
        return row[0]

    # -- undo -------------------------------------------------------------------------

    @_guarded
    def undo_last(self, session: SessionRef, kind: FeedbackKind) -> int | None:
        """Retract the session's latest not-yet-retracted feedback of ``kind``.

        The row stays on disk, flagged; reads leave it out unless asked. Repeated calls
        walk further back. Returns the retracted row id, or None when there is nothing left.
        """
        table = self._table(kind)
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    f"SELECT max(id) FROM {table} WHERE session_id = ? AND retracted = 0",
                    (_session_id(session),),
                ).fetchone()
                if row[0] is not None:
                    conn.execute(f"UPDATE {table} SET retracted = 1 WHERE id = ?", (row[0],))
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        return row[0]

    delete_last = undo_last
    """Alias of :meth:`undo_last` (the name issue 2 uses); rows are flagged, not erased."""

    @_guarded
    def retract(self, kind: FeedbackKind, row_id: int, retracted: bool = True) -> None:
        """Set (or clear) the retracted flag of one row of ``kind``."""
        self._write(
            [
                (
                    f"UPDATE {self._table(kind)} SET retracted = ? WHERE id = ?",
                    (int(retracted), row_id),
                )
            ]
        )

    @staticmethod
    def _table(kind: str) -> str:
        if kind not in _KINDS:
            raise HfrlError(f"feedback kind must be one of {_KINDS}, got {kind!r}")
        return "scalars" if kind == "scalar" else "preferences"

    # -- reading ----------------------------------------------------------------------

    @_guarded
    def scalar_records(
        self, session: SessionRef, include_retracted: bool = False
    ) -> list[StoredScalar]:
        """The session's ratings with row ids, credit and undo flags, oldest first."""
        sql = (
            "SELECT id, session_id, value, t_wall, step, episode, source, credit, retracted "
            "FROM scalars WHERE session_id = ?"
            + ("" if include_retracted else " AND retracted = 0")
            + " ORDER BY id"
        )
        out = []
        for r in self._conn().execute(sql, (_session_id(session),)):
            credit = (
                None if r[7] is None else tuple((int(s), float(w)) for s, w in json.loads(r[7]))
            )
            scalar = Scalar(value=r[2], t_wall=r[3], step=r[4], episode=r[5], source=r[6])
            out.append(StoredScalar(r[0], r[1], scalar, credit, bool(r[8])))
        return out

    def scalars(self, session: SessionRef, include_retracted: bool = False) -> list[Scalar]:
        """The session's ratings, oldest first (undone ones left out by default)."""
        return [r.scalar for r in self.scalar_records(session, include_retracted)]

    @_guarded
    def preference_records(
        self, session: SessionRef, include_retracted: bool = False, frames: bool = True
    ) -> list[StoredPreference]:
        """The session's comparisons with row ids, segment ids and undo flags, oldest first.

        ``frames=False`` skips decompressing display frames (segments get ``frames=None``),
        which is much faster for reward-model training on Atari clips.
        """
        sql = (
            "SELECT id, session_id, left_id, right_id, label, t_wall, source, retracted "
            "FROM preferences WHERE session_id = ?"
            + ("" if include_retracted else " AND retracted = 0")
            + " ORDER BY id"
        )
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the rows and their segments
        try:
            rows = conn.execute(sql, (_session_id(session),)).fetchall()
            segments: dict[int, Segment] = {}
            bad: dict[int, str] = {}
            for seg_id in {i for r in rows for i in (r[2], r[3])}:
                try:
                    segments[seg_id] = self._load_segment(conn, "id", seg_id, frames)
                except sqlite3.Error:
                    raise
                except Exception as err:  # one damaged blob: skip its labels, keep the rest
                    bad[seg_id] = f"{type(err).__name__}: {err}"
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")
        if bad:
            kept = []
            for r in rows:
                broken = [i for i in (r[2], r[3]) if i in bad]
                if broken:
                    self._skip(f"preference {r[0]} (segment {broken[0]}: {bad[broken[0]]})")
                else:
                    kept.append(r)
            rows = kept
        return [
            StoredPreference(
                id=r[0],
                session_id=r[1],
                preference=Preference(
                    left=segments[r[2]], right=segments[r[3]], label=r[4], t_wall=r[5], source=r[6]
                ),
                left_id=r[2],
                right_id=r[3],
                retracted=bool(r[7]),
            )
            for r in rows
        ]

    def preferences(
        self, session: SessionRef, include_retracted: bool = False, frames: bool = True
    ) -> list[Preference]:
        """The session's comparisons (skips have ``label=None``), oldest first."""
        records = self.preference_records(session, include_retracted, frames)
        return [r.preference for r in records]

    def _skip(self, record: str) -> None:
        """Leave a damaged record out of reads, and say so once on stderr."""
        if record in self.skipped:
            return
        self.skipped.append(record)
        print(
            f"hfrl: warning: {self.path}: skipped {record[:200]}; it cannot be decoded. The "
            "other records are used; `hfrl export` copies every readable one.",
            file=sys.stderr,
        )

    @_guarded
    def segment(self, ref: int | str, frames: bool = True) -> Segment:
        """A stored segment by row id (int) or uid (str); ``frames=False`` leaves frames out.

        Raises:
            StoreError: no such segment.
        """
        column = "uid" if isinstance(ref, str) else "id"
        return self._load_segment(self._conn(), column, ref, frames)

    def _load_segment(
        self, conn: sqlite3.Connection, column: str, ref: int | str, frames: bool = True
    ) -> Segment:
        row = conn.execute(
            "SELECT uid, env_id, episode, start_step, terminated, length, data "
            f"FROM segments WHERE {column} = ?",
            (ref,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no segment with {column} {ref!r} in {self.path}")
        header = SegmentHeader(row[0], row[1], row[2], row[3], bool(row[4]), row[5])
        return build_segment(header, row[6], frames)

    @_guarded
    def segment_ids(self, session: SessionRef | None = None) -> list[int]:
        """Row ids of the segments a session's preferences use (all segments if None)."""
        conn = self._conn()
        if session is None:
            return [r[0] for r in conn.execute("SELECT id FROM segments ORDER BY id")]
        sql = (
            "SELECT left_id FROM preferences WHERE session_id = ? UNION "
            "SELECT right_id FROM preferences WHERE session_id = ? ORDER BY 1"
        )
        sid = _session_id(session)
        return [r[0] for r in conn.execute(sql, (sid, sid))]

    @_guarded
    def counts(self, session: SessionRef | None = None) -> dict[str, int]:
        """Numbers of live scalars, labelled preferences, skips, retracted rows and segments.

        For one session, or the whole store when ``session`` is None.
        """
        if session is None:
            where, params = "", ()
        else:
            where, params = "WHERE session_id = ?", (_session_id(session),)
        conn = self._conn()
        s_live, s_retracted = conn.execute(
            f"SELECT coalesce(sum(retracted = 0), 0), coalesce(sum(retracted), 0) FROM scalars {where}",
            params,
        ).fetchone()
        p_labelled, p_skips, p_retracted = conn.execute(
            "SELECT coalesce(sum(retracted = 0 AND label IS NOT NULL), 0), "
            "coalesce(sum(retracted = 0 AND label IS NULL), 0), coalesce(sum(retracted), 0) "
            f"FROM preferences {where}",
            params,
        ).fetchone()
        n_segments = len(self.segment_ids(session))
        return {
            "scalars": s_live,
            "preferences": p_labelled,
            "skips": p_skips,
            "retracted": s_retracted + p_retracted,
            "segments": n_segments,
        }

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    @_guarded
    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result (``"ok"`` when sound)."""
        rows = self._conn().execute("PRAGMA integrity_check").fetchall()
        return "\n".join(r[0] for r in rows)

    # -- export -----------------------------------------------------------------------

    def export(
        self,
        session: SessionRef,
        out_dir: str | Path,
        format: Literal["npz", "parquet"] = "npz",
        include_retracted: bool = False,
    ) -> Path:
        """Write a session's feedback to ``out_dir`` as npz arrays or parquet tables.

        Also writes ``metadata.json`` (session meta, counts, schema and hfrl versions, file
        layout). Returns ``out_dir``. See :mod:`hfrl.store_export` for the layout.

        Raises:
            MissingExtraError: parquet was asked for and pyarrow is not installed.
        """
        from hfrl.store_export import export_session

        if isinstance(session, int):
            session = self.session(session)
        return export_session(self, session, Path(out_dir), format, include_retracted)


__all__ = [
    "SCHEMA_VERSION",
    "Credit",
    "FeedbackStore",
    "Session",
    "StoredPreference",
    "StoredScalar",
]
