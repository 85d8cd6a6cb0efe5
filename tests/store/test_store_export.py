"""Exporting a session to npz and parquet, with JSON metadata."""

from __future__ import annotations

import builtins
import json

import numpy as np
import pytest
from helpers_store import make_segment

from hfrl import __version__
from hfrl.errors import HfrlError, MissingExtraError
from hfrl.store import FeedbackStore
from hfrl.types import EQUAL, LEFT, RIGHT, Preference, Scalar


@pytest.fixture
def filled(tmp_path):
    rng = np.random.default_rng(11)
    a, b = make_segment(rng, frames=True), make_segment(rng, continuous=True, terminated=True)
    c = make_segment(rng, length=2)
    store = FeedbackStore(tmp_path / "fb.db")
    session = store.open_session("exp", {"agent": "preference", "env_id": "CartPole-v1"})
    store.open_session("noise", {}).add(Scalar(5.0, 0.0, 0, 0))
    session.add(Scalar(1.0, 0.5, 10, 0), credit=[(8, 0.4), (9, 0.6)])
    session.add(Scalar(-1.0, 0.9, 12, 0))
    session.add(Scalar(10.0, 1.2, 14, 0))
    session.undo_last("scalar")
    session.add(Preference(a, b, LEFT, 2.0))
    session.add(Preference(b, c, None, 3.0))
    session.add(Preference(c, a, EQUAL, 4.0, source="oracle"))
    session.add(Preference(a, c, RIGHT, 5.0))
    session.undo_last("preference")
    yield store, session, {s.uid: s for s in (a, b, c)}
    store.close()


def test_export_npz(filled, tmp_path):
    store, session, segs = filled
    out = session.export(tmp_path / "out")
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["session"]["name"] == "exp"
    assert meta["session"]["meta"] == {"agent": "preference", "env_id": "CartPole-v1"}
    assert meta["schema_version"] == 1
    assert meta["hfrl_version"] == __version__
    assert meta["counts"] == {
        "scalars": 2,
        "preferences": 2,
        "skips": 1,
        "retracted": 2,
        "segments": 3,
    }
    assert meta["files"] == ["feedback.npz"]
    with np.load(out / "feedback.npz", allow_pickle=False) as d:
        np.testing.assert_array_equal(d["scalar_value"], [1.0, -1.0])
        np.testing.assert_array_equal(d["scalar_credit_offset"], [0, 2, 2])
        np.testing.assert_array_equal(d["scalar_credit_step"], [8, 9])
        np.testing.assert_array_equal(d["scalar_credit_weight"], [0.4, 0.6])
        label = d["preference_label"]
        assert label[0] == LEFT and np.isnan(label[1]) and label[2] == EQUAL
        np.testing.assert_array_equal(d["preference_skipped"], [False, True, False])
        assert list(d["preference_source"]) == ["human", "human", "oracle"]
        uids = list(d["segment_uid"])
        assert len(uids) == 3
        for k, uid in enumerate(uids):
            seg = segs[uid]
            assert d[f"obs_{k}"].dtype == seg.obs.dtype
            np.testing.assert_array_equal(d[f"obs_{k}"], seg.obs)
            np.testing.assert_array_equal(d[f"actions_{k}"], seg.actions)
            assert (f"frames_{k}" in d.files) == (seg.frames is not None)
        left = d["preference_left"]
        assert uids[left[0]] == store.preferences(session)[0].left.uid


def test_export_parquet(filled, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    store, session, segs = filled
    out = store.export(session.id, tmp_path / "pq", format="parquet", include_retracted=True)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["files"] == ["scalars.parquet", "preferences.parquet", "segments.parquet"]
    scalars = pq.read_table(out / "scalars.parquet").to_pylist()
    assert [r["value"] for r in scalars] == [1.0, -1.0, 10.0]
    assert [r["retracted"] for r in scalars] == [False, False, True]
    assert scalars[0]["credit"] == [[8.0, 0.4], [9.0, 0.6]] and scalars[1]["credit"] is None
    prefs = pq.read_table(out / "preferences.parquet").to_pylist()
    assert len(prefs) == 4 and prefs[1]["skipped"] and prefs[3]["retracted"]
    rows = pq.read_table(out / "segments.parquet").to_pylist()
    assert {r["uid"] for r in rows} == set(segs)
    for row in rows:
        seg = segs[row["uid"]]
        for name in ("obs", "actions", "true_rewards", "frames"):
            want = getattr(seg, name)
            if want is None:
                assert row[name] is None
                continue
            got = np.frombuffer(row[name], row[f"{name}_dtype"]).reshape(row[f"{name}_shape"])
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_parquet_without_pyarrow_names_the_extra(filled, tmp_path, monkeypatch):
    _, session, _ = filled
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError("no pyarrow")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(MissingExtraError, match=r"hfrl\[parquet\]"):
        session.export(tmp_path / "x", format="parquet")
    assert not (tmp_path / "x").exists()


def test_unknown_format(filled, tmp_path):
    _, session, _ = filled
    with pytest.raises(HfrlError, match="npz"):
        session.export(tmp_path / "x", format="csv")  # type: ignore[arg-type]
