"""Files the store must refuse, leaving them byte-identical."""

from __future__ import annotations

import sqlite3

import pytest

from hfrl.errors import StoreError
from hfrl.store import FeedbackStore
from hfrl.store_schema import SCHEMA_VERSION
from hfrl.types import Scalar


def _side_files(path):
    return [p for p in path.parent.iterdir() if p != path]


def _assert_refused(path, match: str) -> str:
    before = path.read_bytes()
    with pytest.raises(StoreError, match=match) as info:
        FeedbackStore(path)
    assert path.read_bytes() == before
    assert _side_files(path) == []
    assert "untouched" in str(info.value)
    return str(info.value)


def test_text_file_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 10)
    _assert_refused(path, "not an SQLite database")


def test_short_binary_file_is_not_a_database(tmp_path):
    path = tmp_path / "short.db"
    path.write_bytes(b"SQLite format 3\x00abc")
    _assert_refused(path, "not an SQLite database")


def test_newer_schema_is_refused_naming_the_hfrl_version(tmp_path):
    path = tmp_path / "fb.db"
    with FeedbackStore(path) as store:
        store.open_session("s", {}).add(Scalar(1.0, 0.0, 0, 0))
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("UPDATE meta SET value = '9.9.0' WHERE key = 'requires_hfrl'")
    conn.commit()
    conn.close()
    assert _side_files(path) == []
    message = _assert_refused(path, "newer")
    assert "hfrl >= 9.9.0" in message
    assert f"schema version {SCHEMA_VERSION + 1}" in message


def test_other_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    _assert_refused(path, "not an hfrl feedback store")


def test_empty_file_and_missing_parents_become_a_store(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with FeedbackStore(empty) as store:
        assert store.schema_version == SCHEMA_VERSION
    with FeedbackStore(tmp_path / "a" / "b" / "fb.db") as store:
        assert store.sessions() == []


def test_newer_schema_still_in_the_wal_is_refused(tmp_path):
    """The header may lag the WAL; the version SQLite sees is checked too."""
    path = tmp_path / "fb.db"
    FeedbackStore(path).close()
    other = sqlite3.connect(path)
    try:
        other.execute("PRAGMA wal_autocheckpoint = 0")
        other.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        other.commit()
        before = path.read_bytes()
        with pytest.raises(StoreError, match="newer"):
            FeedbackStore(path)
        assert path.read_bytes() == before
    finally:
        other.close()
