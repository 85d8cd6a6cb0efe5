"""The feedback store's SQLite schema and the checks made before a file is opened.

The schema version lives in ``PRAGMA user_version`` (and is mirrored in the ``meta``
table); ``PRAGMA application_id`` marks the file as an hfrl store. Before SQLite is allowed
to open a file for writing, :func:`check_file` reads its header bytes (and, when needed,
opens it with ``immutable=1``, which never writes), so a file that is not a database or that
comes from a newer hfrl is refused without a single byte of it changing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hfrl.errors import StoreError

SCHEMA_VERSION = 1
"""Schema this hfrl reads and writes."""

APPLICATION_ID = 0x6866726C
"""``PRAGMA application_id`` of an hfrl feedback store (ASCII "hfrl")."""

SCHEMA_HFRL_VERSION = {1: "0.1.0"}
"""The first hfrl version that writes each schema version (stored in ``meta``)."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_USER_VERSION_OFFSET = 60
_APPLICATION_ID_OFFSET = 68

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        meta TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        env_id TEXT NOT NULL,
        episode INTEGER NOT NULL,
        start_step INTEGER NOT NULL,
        terminated INTEGER NOT NULL,
        length INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE TABLE scalars (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        value REAL NOT NULL,
        t_wall REAL NOT NULL,
        step INTEGER NOT NULL,
        episode INTEGER NOT NULL,
        source TEXT NOT NULL,
        credit TEXT,
        retracted INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL
    );
    CREATE INDEX scalars_by_session ON scalars(session_id, id);
    CREATE TABLE preferences (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        left_id INTEGER NOT NULL REFERENCES segments(id),
        right_id INTEGER NOT NULL REFERENCES segments(id),
        label REAL,
        t_wall REAL NOT NULL,
        source TEXT NOT NULL,
        retracted INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL
    );
    CREATE INDEX preferences_by_session ON preferences(session_id, id);
    """,
}
"""DDL that brings a store from version ``v - 1`` to version ``v``."""


def _newer_schema_error(path: Path, version: int, required: str | None) -> StoreError:
    need = f"hfrl >= {required}" if required else f"an hfrl release that knows schema {version}"
    from hfrl import __version__

    return StoreError(
        f"feedback store {path} has schema version {version}, newer than the schema "
        f"{SCHEMA_VERSION} this hfrl {__version__} reads. It needs {need}: upgrade with "
        "`pip install -U hfrl`. The file was left untouched."
    )


def _not_a_database(path: Path, why: str) -> StoreError:
    return StoreError(
        f"{path} is not an SQLite database ({why}), so it cannot be an hfrl feedback store. "
        "Check the path, or pass a new file name to create a store. The file was left untouched."
    )


def _not_a_store(path: Path, detail: str) -> StoreError:
    return StoreError(
        f"{path} is an SQLite database but not an hfrl feedback store ({detail}). "
        "Pass a new file name to create a store. The file was left untouched."
    )


def _required_version(path: Path) -> str | None:
    """Read ``meta.requires_hfrl`` without writing anything (``immutable=1``)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'requires_hfrl'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def check_file(path: Path) -> None:
    """Refuse a file that is not an SQLite database, not an hfrl store, or too new.

    A missing or empty file passes (it becomes a new store). Nothing is written.

    Raises:
        StoreError: with a message that says what is wrong and what to do.
    """
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"{path} is a directory; pass a file name for the feedback store.")
    with path.open("rb") as f:
        header = f.read(_HEADER_SIZE)
    if not header:
        return
    if len(header) < _HEADER_SIZE or not header.startswith(_SQLITE_MAGIC):
        raise _not_a_database(path, "its first bytes are not the SQLite header")
    version = int.from_bytes(header[_USER_VERSION_OFFSET : _USER_VERSION_OFFSET + 4], "big")
    app_id = int.from_bytes(header[_APPLICATION_ID_OFFSET : _APPLICATION_ID_OFFSET + 4], "big")
    if app_id not in (0, APPLICATION_ID):
        raise _not_a_store(path, f"application id {app_id:#x}")
    if version > SCHEMA_VERSION:
        raise _newer_schema_error(path, version, _required_version(path))


def check_connection(conn: sqlite3.Connection, path: Path) -> int:
    """Check an open connection (which sees the WAL too); return the schema version found.

    Raises:
        StoreError: the schema is newer than this hfrl's, or the file is another app's
            database.
    """
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise _not_a_database(path, str(e)) from e
    if version > SCHEMA_VERSION:
        raise _newer_schema_error(path, version, None)
    if app_id not in (0, APPLICATION_ID) or (version == 0 and n_tables):
        raise _not_a_store(path, "it holds tables hfrl did not create")
    return version


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create or upgrade the schema in one transaction (no-op when current)."""
    from hfrl import __version__

    conn.execute("BEGIN IMMEDIATE")
    try:
        version = check_connection(conn, path)
        if version == SCHEMA_VERSION:
            conn.execute("COMMIT")
            return
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target].split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        meta = {
            "schema_version": str(SCHEMA_VERSION),
            "requires_hfrl": SCHEMA_HFRL_VERSION[SCHEMA_VERSION],
            "written_by_hfrl": __version__,
        }
        if version == 0:
            meta["created_by_hfrl"] = __version__
        conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", meta.items())
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
