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


# ---------------------------------------------------------------------- damage, full, read-only
def _store_with_labels(path, n_prefs=3, seed=0):
    import numpy as np
    from helpers_store import make_segment

    from hfrl.types import Preference

    rng = np.random.default_rng(seed)
    with FeedbackStore(path) as store:
        session = store.open_session("s")
        for _ in range(n_prefs):
            store.add(session, Preference(make_segment(rng), make_segment(rng), 1.0, 0.0, "t"))
        store.add(session, Scalar(1.0, 0.0, 0, 0))
    return path


def _one_line(err: StoreError) -> str:
    text = str(err)
    assert "\n" not in text and text
    return text


def test_one_corrupt_segment_is_skipped_and_reported_and_the_session_resumes(tmp_path, capsys):
    path = _store_with_labels(tmp_path / "fb.db")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE segments SET data = x'00112233' WHERE id = 2")  # pref 1's right clip
    conn.commit()
    conn.close()
    with FeedbackStore(path) as store:
        session = store.open_session("s")
        assert session.resumed
        assert len(store.preferences(session)) == 2  # the other labels are kept
        assert "skipped preference 1" in capsys.readouterr().err
        store.add(session, Scalar(-1.0, 1.0, 1, 0))  # still writable
        assert store.counts(session)["scalars"] == 2
        assert store.integrity_check() == "ok"


@pytest.mark.parametrize("page", [3, 4])
def test_corrupt_page_is_a_one_line_store_error(tmp_path, page):
    path = _store_with_labels(tmp_path / "fb.db")
    data = bytearray(path.read_bytes())
    data[4096 * page + 8 : 4096 * page + 4000] = b"\xab" * (4000 - 8)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as info, FeedbackStore(path) as store:
        store.counts(store.open_session("s"))
        store.preferences(store.open_session("s"))
    assert "damaged" in _one_line(info.value) and ".recover" in str(info.value)


def test_full_disk_is_reported_as_full_and_loses_nothing(tmp_path):
    """SQLITE_FULL (here: the page limit) must not be masked by 'cannot rollback'."""
    import numpy as np
    from helpers_store import make_segment

    from hfrl.types import Preference

    path = _store_with_labels(tmp_path / "fb.db")
    rng = np.random.default_rng(5)
    with FeedbackStore(path) as store:
        session = store.open_session("s")
        conn = store._conn()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        big = make_segment(rng, length=2000, frames=True)
        with pytest.raises(StoreError) as info:
            store.add(session, Preference(big, make_segment(rng), 0.0, 1.0, "t"))
        text = _one_line(info.value)
        assert "full" in text and "rollback" not in text
        assert store.counts(session)["preferences"] == 3
        assert store.integrity_check() == "ok"
        store.add(session, Scalar(1.0, 2.0, 2, 0))  # small rows still fit
        assert store.counts(session)["scalars"] == 2


def _make_read_only(path):
    """Make ``path`` unwritable even for root (chattr +i); None if this machine cannot."""
    import os
    import subprocess

    if os.geteuid() != 0:
        path.chmod(0o444)
        return lambda: path.chmod(0o644)
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        return None
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=False)


def test_read_only_store_is_a_one_line_error_and_stays_untouched(tmp_path):
    path = _store_with_labels(tmp_path / "fb.db")
    before = path.read_bytes()
    undo = _make_read_only(path)
    if undo is None:
        pytest.skip("cannot make a file read-only for root here (chattr +i refused)")
    try:
        with pytest.raises(StoreError) as info, FeedbackStore(path) as store:
            store.add(store.open_session("s"), Scalar(1.0, 0.0, 0, 0))
        assert "cannot be written" in _one_line(info.value)
        assert path.read_bytes() == before
    finally:
        undo()


def test_store_folder_blocked_by_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(StoreError) as info:
        FeedbackStore(tmp_path / "afile" / "fb.db")
    assert "is a file" in _one_line(info.value)
    assert (tmp_path / "afile").read_text() == "x"


def test_clean_close_leaves_every_label_in_the_main_file(tmp_path):
    """With another reader open the WAL is not folded in on its own; close() does it, so
    copying only the .sqlite file after a clean end keeps every label."""
    import shutil

    path = tmp_path / "fb.db"
    FeedbackStore(path).close()
    reader = sqlite3.connect(path)
    reader.execute("SELECT count(*) FROM scalars").fetchone()
    try:
        with FeedbackStore(path) as store:
            session = store.open_session("s")
            for i in range(20):
                store.add(session, Scalar(1.0, float(i), i, 0))
        copy = tmp_path / "copy" / "fb.db"
        copy.parent.mkdir()
        shutil.copyfile(path, copy)  # the main file only, no -wal
    finally:
        reader.close()
    with FeedbackStore(copy) as store:
        assert store.counts(store.session("s"))["scalars"] == 20
