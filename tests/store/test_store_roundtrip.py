"""Round trips, dedup, skips, undo and resume in the feedback store."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_store import assert_segments_equal, make_segment

from hfrl.errors import HfrlError, StoreError
from hfrl.store import FeedbackStore
from hfrl.types import EQUAL, LEFT, RIGHT, Preference, Scalar


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_scalar_round_trip_with_credit(tmp_path):
    with FeedbackStore(tmp_path / "fb.db") as store:
        session = store.open_session("s", {"agent": "tamer"})
        given = [
            Scalar(1.0, 0.25, 3, 0),
            Scalar(-10.0, 1.5, 17, 1, source="human-sim"),
            Scalar(0.5, 2.0, 40, 2),
        ]
        session.add(given[0], credit={2: 0.25, 3: 0.75})
        store.add_scalar(session, given[1], credit=[(15, 1.0)])
        session.add(given[2])
    with FeedbackStore(tmp_path / "fb.db") as store:
        session = store.session("s")
        assert store.scalars(session) == given
        records = store.scalar_records(session)
        assert records[0].credit == ((2, 0.25), (3, 0.75))
        assert records[1].credit == ((15, 1.0),)
        assert records[2].credit is None
        assert [r.id for r in records] == sorted(r.id for r in records)
        with pytest.raises(HfrlError, match="credit"):
            session.add(Scalar(1.0, 3.0, 41, 2), credit=[((0, 41), 1.0)])
        assert len(store.scalars(session)) == 3  # nothing written


def test_segment_round_trip_every_kind(tmp_path, rng):
    segments = [
        make_segment(rng),
        make_segment(rng, frames=True),
        make_segment(rng, continuous=True, terminated=True, length=3),
    ]
    with FeedbackStore(tmp_path / "fb.db") as store:
        ids = [store.put_segment(s) for s in segments]
        for seg, seg_id in zip(segments, ids, strict=True):
            assert_segments_equal(store.segment(seg_id), seg)
            assert_segments_equal(store.segment(seg.uid), seg)
        light = store.segment(ids[1], frames=False)
        assert light.frames is None
        np.testing.assert_array_equal(light.obs, segments[1].obs)
        with pytest.raises(StoreError, match="no segment"):
            store.segment(10_000)


def test_object_arrays_are_refused_not_pickled(tmp_path, rng):
    seg = make_segment(rng)
    bad = type(seg)(
        obs=np.array([{"a": 1}] * 2, dtype=object),
        actions=np.zeros(2),
        true_rewards=np.zeros(2),
        env_id="x",
    )
    with FeedbackStore(tmp_path / "fb.db") as store, pytest.raises(StoreError, match="pickle"):
        store.put_segment(bad)


def test_preferences_round_trip_skip_kept_segments_stored_once(tmp_path, rng):
    a, b, c = (make_segment(rng, frames=True) for _ in range(3))
    prefs = [
        Preference(a, b, LEFT, 1.0),
        Preference(b, c, RIGHT, 2.0, source="oracle"),
        Preference(a, c, EQUAL, 3.0),
        Preference(c, a, None, 4.0),
    ]
    with FeedbackStore(tmp_path / "fb.db") as store:
        session = store.open_session("cmp", {})
        for p in prefs:
            session.add(p)
        assert store.counts() == {
            "scalars": 0,
            "preferences": 3,
            "skips": 1,
            "retracted": 0,
            "segments": 3,
        }
        n_rows = store._conn().execute("SELECT count(*) FROM segments").fetchone()[0]
        assert n_rows == 3
    with FeedbackStore(tmp_path / "fb.db") as store:
        got = store.preferences(store.session("cmp"))
    assert [p.label for p in got] == [LEFT, RIGHT, EQUAL, None]
    assert got[3].skipped
    assert [(p.t_wall, p.source) for p in got] == [(p.t_wall, p.source) for p in prefs]
    for want, have in zip(prefs, got, strict=True):
        assert_segments_equal(have.left, want.left)
        assert_segments_equal(have.right, want.right)


def test_undo_retracts_the_latest_and_walks_back(tmp_path, rng):
    a, b = make_segment(rng), make_segment(rng)
    with FeedbackStore(tmp_path / "fb.db") as store:
        s = store.open_session("u", {})
        other = store.open_session("other", {})
        for i in range(3):
            s.add(Scalar(float(i + 1), float(i), i, 0))
        other.add(Scalar(9.0, 0.0, 0, 0))
        s.add(Preference(a, b, LEFT, 1.0))
        s.add(Preference(b, a, RIGHT, 2.0))

        last = s.undo_last("scalar")
        assert [x.value for x in s.scalars()] == [1.0, 2.0]
        assert store.delete_last(s, "scalar") is not None
        assert [x.value for x in s.scalars()] == [1.0]
        assert [x.value for x in other.scalars()] == [9.0]  # other session untouched
        assert len(s.scalars(include_retracted=True)) == 3
        store.retract("scalar", last, retracted=False)
        assert [x.value for x in s.scalars()] == [1.0, 3.0]

        s.undo_last("preference")
        assert [p.label for p in s.preferences()] == [LEFT]
        assert s.undo_last("preference") is not None
        assert s.undo_last("preference") is None  # nothing left
        assert s.counts()["retracted"] == 3
        with pytest.raises(HfrlError, match="kind"):
            s.undo_last("rating")  # type: ignore[arg-type]


def test_resume_by_name_returns_id_and_feedback(tmp_path, rng):
    path = tmp_path / "fb.db"
    a, b = make_segment(rng), make_segment(rng)
    with FeedbackStore(path) as store:
        first = store.open_session("alice", {"agent": "tamer", "env": "MountainCar-v0"})
        assert not first.resumed
        store.open_session("bob", {"agent": "coach"})
        first.add(Scalar(1.0, 0.1, 1, 0))
        first.add(Preference(a, b, None, 0.2))
    with FeedbackStore(path) as store:
        again = store.open_session("alice", {"ignored": True})
        assert again.resumed
        assert again.id == first.id
        assert again.meta == {"agent": "tamer", "env": "MountainCar-v0"}
        assert again.scalars() == [Scalar(1.0, 0.1, 1, 0)]
        assert again.preferences()[0].skipped
        again.add(Scalar(-1.0, 0.3, 2, 0))
        assert len(again.scalars()) == 2
        assert [s.name for s in store.sessions()] == ["alice", "bob"]
        with pytest.raises(StoreError, match="alice"):
            store.session("carol")


def test_unknown_session_id_is_a_store_error(tmp_path):
    with FeedbackStore(tmp_path / "fb.db") as store, pytest.raises(StoreError, match="no session"):
        store.add_scalar(42, Scalar(1.0, 0.0, 0, 0))


def test_meta_must_be_json(tmp_path):
    with FeedbackStore(tmp_path / "fb.db") as store, pytest.raises(HfrlError, match="JSON"):
        store.open_session("s", {"bad": object()})


def test_closed_store_and_wal_mode(tmp_path):
    store = FeedbackStore(tmp_path / "fb.db", synchronous="NORMAL")
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.schema_version == 1
    assert store.integrity_check() == "ok"
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.sessions()
    with FeedbackStore(tmp_path / "fb.db") as store:
        assert store._conn().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with pytest.raises(HfrlError, match="synchronous"):
        FeedbackStore(tmp_path / "fb.db", synchronous="OFF")  # type: ignore[arg-type]
