"""``hfrl sessions``, ``hfrl export`` and ``hfrl import`` on sessions the apps made (issue 15).

The teach app runs headless with the real TAMER agent and the ``perfect`` demo trainer; the
compare app with the UI tests' fake preference agent and the ``oracle`` demo teacher. Each
runs until the store holds the feedback the test waits for (no wall-clock budget).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).parents[1] / "human_ui"))

from hfrl.cli import main
from hfrl.store import FeedbackStore
from hfrl.store_import import read_session_files
from hfrl.store_steps import read_shown_steps

DATA_FILES = {
    "npz": ["feedback.npz"],
    "parquet": ["scalars.parquet", "preferences.parquet", "segments.parquet"],
}


def _stop_when(kind: str, n: int):
    def check(app) -> None:
        c = app.session.counts()
        if c[kind] + (c["skips"] if kind == "preferences" else 0) >= n:
            app._quit = True

    return check


def make_teach_session(root: Path, name: str = "T") -> None:
    """A teach-app session: TAMER on CartPole rated by the perfect demo trainer, one undo."""
    from hfrl.human_ui.launch import teach_session
    from hfrl.human_ui.session import SessionPaths
    from hfrl.human_ui.teach import TeachConfig

    config = TeachConfig(fps=200, max_seconds=120)
    with teach_session("tamer", "CartPole-v1", SessionPaths(root, name), config, "perfect", 3) as s:
        s.app.run(_stop_when("scalars", 8))
        s.app.session.undo_last("scalar")


def make_compare_session(root: Path, name: str = "C") -> None:
    """A compare-app session (fake preference agent, oracle demo teacher), one undo."""
    from hfrl.human_ui.launch import teacher_meta
    from ui_fakes import compare_app

    from hfrl.teachers import make_teacher

    teacher = make_teacher("oracle", "CartPole-v1", 0)
    meta = {"app": "compare", "agent": "preference", "env_id": "CartPole-v1", "seed": 0}
    meta.update(teacher_meta(teacher, 60.0))
    with FeedbackStore(root / "feedback.sqlite", synchronous="NORMAL") as store:
        session = store.open_session(name, meta)
        app = compare_app(session, root / name / "agent", teacher=teacher, clip_fps=60)
        app.demo.think_seconds = 0.02
        app.run(_stop_when("preferences", 4))
        session.undo_last("preference")


@pytest.fixture(scope="module")
def sessions(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("apps")
    make_teach_session(root)
    make_compare_session(root)
    return root


def _data(folder: Path, fmt: str) -> dict[str, bytes]:
    files = json.loads((folder / "metadata.json").read_text())["files"]
    assert set(DATA_FILES[fmt]) <= set(files)
    return {f: (folder / f).read_bytes() for f in files}


def test_sessions_lists_both_apps(sessions, capsys):
    assert main(["sessions", "--dir", str(sessions)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:8] == [
        "name",
        "app",
        "agent",
        "env",
        "ratings",
        "labels",
        "skips",
        "undos",
    ]
    rows = {line.split()[0]: line.split() for line in out[1:-1]}
    assert rows["T"][1:4] == ["teach", "tamer", "CartPole-v1"]
    assert int(rows["T"][4]) >= 7 and rows["T"][5:8] == ["0", "0", "1"]
    assert rows["C"][1:4] == ["compare", "preference", "CartPole-v1"]
    assert int(rows["C"][5]) + int(rows["C"][6]) >= 3 and rows["C"][7] == "1"
    assert out[-1].startswith("2 sessions in")


@pytest.mark.parametrize("fmt", ["npz", "parquet"])
@pytest.mark.parametrize("name", ["T", "C"])
def test_export_import_export_is_byte_stable(sessions, tmp_path, name, fmt, capsys):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    first = tmp_path / "first"
    assert main(["export", name, "--format", fmt, "--out", str(first), "--dir", str(sessions)]) == 0
    meta = json.loads((first / "metadata.json").read_text())
    desc = meta["description"]
    assert meta["format"] == {"name": "hfrl-feedback-session", "version": 1, "files": fmt}
    assert desc["env"]["id"] == "CartPole-v1"
    assert desc["env"]["observation_space"]["type"] == "Box"
    assert desc["env"]["action_space"] == {"type": "Discrete", "n": 2, "start": 0}
    assert desc["env"]["frame_skip"] == 1 and desc["env"]["frame_stack"] is None
    assert [w["name"] for w in desc["env"]["wrappers"]][-1] == "CartPoleEnv"
    assert desc["teacher"]["kind"] == "simulated"
    assert desc["teacher"]["name"] == ("perfect" if name == "T" else "oracle")
    assert desc["display_fps"] == (200.0 if name == "T" else 60.0)
    if name == "C":
        assert desc["clip_length"] == 15
    assert meta["counts"]["retracted"] == 1

    other = tmp_path / "other"
    assert main(["import", str(first), "--as", f"{name}-copy", "--dir", str(other)]) == 0
    assert "added to" in capsys.readouterr().out
    second = tmp_path / "second"
    argv = ["export", f"{name}-copy", "--format", fmt, "--out", str(second), "--dir", str(other)]
    assert main(argv) == 0
    assert _data(first, fmt) == _data(second, fmt)
    again = json.loads((second / "metadata.json").read_text())
    for key in ("description", "counts", "exported", "sha256", "format"):
        assert again[key] == meta[key], key
    assert again["session"]["meta"] == meta["session"]["meta"]
    assert again["session"]["created"] == meta["session"]["created"]

    with (
        FeedbackStore(sessions / "feedback.sqlite") as a,
        FeedbackStore(other / "feedback.sqlite") as b,
    ):
        sa, sb = a.session(name), b.session(f"{name}-copy")
        ra, rb = a.scalar_records(sa, True), b.scalar_records(sb, True)
        assert [(r.scalar, r.credit, r.retracted) for r in ra] == [
            (r.scalar, r.credit, r.retracted) for r in rb
        ]
        pa_, pb_ = a.preference_records(sa, True), b.preference_records(sb, True)
        assert [(p.preference.label, p.preference.t_wall, p.retracted) for p in pa_] == [
            (p.preference.label, p.preference.t_wall, p.retracted) for p in pb_
        ]
        for p, q in zip(pa_, pb_, strict=True):
            np.testing.assert_array_equal(p.preference.left.frames, q.preference.left.frames)
            assert p.preference.right.uid == q.preference.right.uid
        steps_a, steps_b = read_shown_steps(a, sa), read_shown_steps(b, sb)
        if name == "T":  # the live session's shown steps travel with it
            assert steps_a is not None and steps_b is not None
            if fmt == "npz":
                assert "step_obs" in np.load(first / "feedback.npz").files
            else:
                assert "steps.parquet" in meta["files"]
            for key in steps_a:
                np.testing.assert_array_equal(steps_a[key], steps_b[key], err_msg=key)
        else:
            assert steps_a is None and steps_b is None


def test_import_keeps_the_name_and_refuses_a_clash(sessions, tmp_path, capsys):
    out = tmp_path / "x"
    assert main(["export", "T", "--out", str(out), "--dir", str(sessions)]) == 0
    other = tmp_path / "store"
    assert main(["import", str(out), "--dir", str(other)]) == 0
    capsys.readouterr()
    assert main(["import", str(out), "--dir", str(other)]) == 2
    err = capsys.readouterr().err
    assert "already in" in err and "--as NAME" in err and len(err.strip().splitlines()) == 1
    with FeedbackStore(other / "feedback.sqlite") as store:
        assert [s.name for s in store.sessions()] == ["T"]


def _refused(capsys, argv, match: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert match in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_import_refuses_what_it_cannot_interpret(sessions, tmp_path, capsys):
    good = tmp_path / "good"
    assert main(["export", "C", "--out", str(good), "--dir", str(sessions)]) == 0
    store_dir = tmp_path / "store"

    def variant(name: str, edit) -> Path:
        folder = tmp_path / name
        shutil.copytree(good, folder)
        edit(folder)
        return folder

    def set_meta(folder: Path, change) -> None:
        meta = json.loads((folder / "metadata.json").read_text())
        change(meta)
        (folder / "metadata.json").write_text(json.dumps(meta))

    newer = variant("newer", lambda f: set_meta(f, lambda m: m["format"].update(version=99)))
    _refused(capsys, ["import", str(newer), "--dir", str(store_dir)], "format version 99")
    other = variant("other", lambda f: set_meta(f, lambda m: m.update(format={"name": "x"})))
    _refused(capsys, ["import", str(other), "--dir", str(store_dir)], "does not describe")
    cut = variant(
        "cut", lambda f: (f / "feedback.npz").write_bytes((f / "feedback.npz").read_bytes()[:500])
    )
    _refused(capsys, ["import", str(cut), "--dir", str(store_dir)], "checksum")
    _refused(capsys, ["import", str(tmp_path / "nowhere"), "--dir", str(store_dir)], "not a folder")
    _refused(
        capsys,
        ["import", str(good), "--as", "../evil", "--dir", str(store_dir)],
        "not a plain folder name",
    )

    # a file whose checksums were recomputed but whose labels are not labels
    def bad_labels(folder: Path) -> None:
        from hfrl.store_codec import write_npz

        with np.load(folder / "feedback.npz", allow_pickle=False) as d:
            arrays = {k: d[k] for k in d.files}
        arrays["preference_label"] = np.where(np.isnan(arrays["preference_label"]), np.nan, 0.7)
        write_npz(folder / "feedback.npz", arrays)
        import hashlib

        digest = hashlib.sha256((folder / "feedback.npz").read_bytes()).hexdigest()
        set_meta(folder, lambda m: m["sha256"].update({"feedback.npz": digest}))

    labels = variant("labels", bad_labels)
    _refused(capsys, ["import", str(labels), "--dir", str(store_dir)], "labels are 1, 0, 0.5")
    assert not (store_dir / "feedback.sqlite").exists()  # refused before any store was made
    files = read_session_files(good)
    assert files.segments and all(s.frames is not None for s in files.segments)


def test_export_refuses_a_full_folder_and_unknown_session(sessions, tmp_path, capsys):
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    _refused(
        capsys, ["export", "T", "--out", str(full), "--dir", str(sessions)], "not an empty folder"
    )
    assert (full / "keep.txt").read_text() == "mine"
    _refused(
        capsys,
        ["export", "nope", "--out", str(tmp_path / "n"), "--dir", str(sessions)],
        "no session 'nope'",
    )
    _refused(capsys, ["sessions", "--dir", str(tmp_path / "empty")], "no feedback store")
