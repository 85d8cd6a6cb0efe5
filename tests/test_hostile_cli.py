"""Hostile and careless input to every command: exit 2, one line on stderr, no traceback,
nothing written where it should not be (issue 12 items 2, 8-11; issue 13 CLI friction).

Most cases call ``hfrl.cli.main`` in-process (one interpreter start per case would cost
1-2 s each); the cases that used to hang or that need the real entry point run as
subprocesses.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hfrl.cli import main

TRAIN = ["train", "tamer", "--env", "CartPole-v1", "--teacher", "perfect", "--steps", "20"]
TEACH = ["teach", "tamer", "--env", "CartPole-v1", "--teacher", "human", "--max-ratings", "2"]
COMPARE = ["compare", "--env", "CartPole-v1"]

SUITE = """\
[suite]
{name}seeds = [0]
agents = ["{agent}"]
envs = ["CartPole-v1"]
teachers = ["{teacher}"]

[defaults]
{budget}
{extra}
"""


def suite_text(extra: str = "", name: str = "", agent: str = "tamer") -> str:
    preference = agent == "preference"
    return SUITE.format(
        name=f'name = "{name}"\n' if name else "",
        agent=agent,
        teacher="oracle" if preference else "perfect",
        budget="steps = 100" if preference else "episodes = 2",
        extra=extra,
    )


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def assert_one_line_error(capsys, code: int, *needles: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


# ---------------------------------------------------------------------- item 2: names
BAD_NAMES = ["../x", "/abs/y", "a/b", ".", ".."]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("command", [TEACH, COMPARE], ids=["teach", "compare"])
def test_session_names_that_are_paths_are_refused_and_nothing_is_written(
    tmp_path, monkeypatch, capsys, command, name
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    name = name if not name.startswith("/") else str(tmp_path / "abs" / "y")
    code = main([*command, "--session", name, "--dir", str(work / "sessions")])
    assert_one_line_error(capsys, code, "--session name")
    assert tree(tmp_path) == {"work"}  # nothing inside the folder, nothing outside it


@pytest.mark.parametrize("name", BAD_NAMES)
def test_suite_names_that_are_paths_are_refused(tmp_path, monkeypatch, capsys, name):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    suite = work / "s.toml"
    suite.write_text(suite_text(name=name if not name.startswith("/") else str(tmp_path / "y")))
    assert_one_line_error(capsys, main(["bench", str(suite), "--no-progress"]), "s.toml:2:")
    assert tree(tmp_path) == {"work", "work/s.toml"}


# ---------------------------------------------------------------------- items 8, 9, 11: values
@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        ([*TEACH, "--fps", "nan"], "--fps"),
        ([*TEACH, "--fps", "-5"], "--fps"),
        ([*TEACH, "--fps", "inf"], "--fps"),
        ([*TEACH, "--max-seconds", "nan"], "--max-seconds"),
        ([*TEACH, "--max-seconds", "-1"], "--max-seconds"),
        ([*COMPARE, "--max-seconds", "nan"], "--max-seconds"),
        ([*COMPARE, "--chunk-steps", "0"], "--chunk-steps"),
        (["teach", "tamer", "--env", "Pendulum-v1", "--max-seconds", "1"], "discrete action"),
        ([*TRAIN, "--fps", "nan"], "--fps"),
        ([*TRAIN, "--fps", "inf"], "--fps"),
        ([*TRAIN, "--fps", "-1"], "--fps"),
        ([*TRAIN, "--set", "step_size=abc"], "step_size"),
        ([*TRAIN, "--set", "step_size=NaN"], "step_size"),
        ([*TRAIN, "--set", "step_size=-1"], "step_size"),
        ([*TRAIN, "--set", "hidden=[0]"], "hidden"),
        ([*TRAIN, "--set", "model=3"], "model"),
        ([*TRAIN, "--max-episode-steps", "0"], "--max-episode-steps"),
        ([*TRAIN, "--eval-episodes", "0"], "--eval-episodes"),
        ([*TRAIN, "--steps", "abc"], "--steps"),
        ([*TRAIN, "--seed", "-1"], "--seed"),
        ([*TRAIN, "--seed", str(2**64)], "--seed"),
        ([*TEACH, "--seed", "-1"], "--seed"),
        (["train", "tamer", "--env", "CartPole-v1", "--teacher", "oracle"], "oracle"),
        (["train", "coach", "--env", "CartPole-v1", "--teacher", "stoc"], "stoc"),
        (["train", "preference", "--env", "CartPole-v1", "--teacher", "human"], "human"),
        ([*TRAIN, "--labels", "10"], "--labels"),
        ([*TRAIN, "--learner", "ppo"], "--learner"),
        ([*TRAIN, "--device", "cpu"], "--device"),
        (
            ["train", "preference", "--env", "CartPole-v1", "--teacher", "oracle", "--fps", "5"],
            "--fps",
        ),
        (
            [
                "train",
                "preference",
                "--env",
                "CartPole-v1",
                "--teacher",
                "oracle",
                "--episodes",
                "3",
            ],
            "--episodes",
        ),
        (
            [
                "train",
                "preference",
                "--env",
                "CartPole-v1",
                "--teacher",
                "oracle",
                "--learner",
                "ppq",
            ],
            "ppo",
        ),
        (
            [
                "train",
                "preference",
                "--env",
                "CartPole-v1",
                "--teacher",
                "oracle",
                "--set",
                "oversample=inf",
            ],
            "oversample",
        ),
        (["train", "tamer", "--teacher", "perfect"], "--env"),
        ([*TEACH[:-4], "--teacher", "oracle", "--max-seconds", "1"], "live ratings"),
        ([*COMPARE, "--teacher", "perfect", "--max-seconds", "1"], "clip comparisons"),
        ([*COMPARE, "--agent", "tamer"], "hfrl teach tamer"),
        (["teach", "preference", "--env", "CartPole-v1"], "hfrl compare"),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path, monkeypatch, capsys, argv, needle):
    monkeypatch.chdir(tmp_path)
    if argv[0] != "train":
        argv = [*argv, "--dir", str(tmp_path / "sessions")]
    code = main(argv) if "abc" not in argv else _exit_code(argv)
    assert_one_line_error(capsys, code, needle)
    assert not (tmp_path / "runs").exists() and not (tmp_path / "sessions").exists()


def _exit_code(argv: list[str]) -> int:
    """argparse's own errors exit through SystemExit."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    return int(info.value.code)


@pytest.mark.parametrize(
    ("extra", "agent", "needle"),
    [
        ("fps = nan", "tamer", ":9: defaults.fps must be a finite number"),
        ("fps = inf", "tamer", ":9: defaults.fps must be a finite number"),
        ("eval_episodes = 0", "tamer", ":9: defaults.eval_episodes must be at least 1"),
        ("labels = 5", "tamer", ":9: labels in [defaults] applies to preference agents only"),
        ("fps = 5.0", "preference", ":9: fps in [defaults] applies to live-feedback agents"),
        ('[agents.tamer]\nset = { step_size = "abc" }', "tamer", ":10: agent 'tamer'"),
        ("[agents.tamer]\nset = { step_size = nan }", "tamer", ":10: agent 'tamer'"),
        ("[agents.tamer]\nset = { step_size = -1.0 }", "tamer", ":10: agent 'tamer'"),
        ('[agents.preference]\nset = { oversample = "x" }', "preference", ":10: agent"),
        ("[agents.preference]\nset = { schedule_c = inf }", "preference", ":10: agent"),
    ],
)
def test_bench_check_rejects_bad_settings_with_file_and_line(
    tmp_path, capsys, extra, agent, needle
):
    suite = tmp_path / "s.toml"
    suite.write_text(suite_text(extra, agent=agent))
    assert_one_line_error(capsys, main(["bench", str(suite), "--check"]), f"s.toml{needle}")


def test_suite_that_is_not_utf8_is_a_one_line_error(tmp_path, capsys):
    suite = tmp_path / "s.toml"
    suite.write_bytes(suite_text().encode().replace(b"[suite]", b"[suite]\n# caf\xe9"))
    assert_one_line_error(capsys, main(["bench", str(suite), "--check"]), "s.toml:2:", "UTF-8")


# ---------------------------------------------------------------------- item 10: files and stores
def test_output_folders_that_are_files_are_one_line_errors(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    suite = tmp_path / "s.toml"
    suite.write_text(suite_text())
    for argv, needle in [
        ([*TRAIN, "--out", str(blocker)], "is a file"),
        ([*TRAIN, "--out", str(blocker / "sub")], "is a file"),
        (["bench", str(suite), "--out", str(blocker), "--no-progress"], "is a file"),
        ([*TEACH, "--dir", str(blocker)], "is a file"),
        ([*COMPARE, "--dir", str(blocker / "sub")], "is a file"),
    ]:
        assert_one_line_error(capsys, main(argv), needle)
        assert blocker.read_text() == "keep me"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_folders_that_cannot_be_made_are_one_line_errors(tmp_path, capsys):
    suite = tmp_path / "s.toml"
    suite.write_text(suite_text())
    for argv in (
        [*TRAIN, "--out", "/proc/hfrl-x/y"],
        ["bench", str(suite), "--out", "/proc/hfrl-x", "--no-progress"],
        [*TEACH, "--dir", "/proc/hfrl-x"],
        [*COMPARE, "--dir", "/proc/hfrl-x"],
    ):
        assert_one_line_error(capsys, main(argv), "/proc/hfrl-x")


def _damaged_store(root: Path) -> Path:
    from hfrl.store import FeedbackStore
    from hfrl.types import Scalar

    path = root / "feedback.sqlite"
    with FeedbackStore(path) as store:
        session = store.open_session("other")
        for i in range(300):
            store.add(session, Scalar(1.0, float(i), i, 0))
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xab" * (len(data) - 4096)  # every page after the schema page
    path.write_bytes(bytes(data))
    return path


def test_teach_on_a_damaged_store_is_a_one_line_error_and_leaves_it_as_it_was(tmp_path, capsys):
    path = _damaged_store(tmp_path)
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.DatabaseError):
        conn.execute("SELECT count(*) FROM scalars").fetchone()
    before = path.read_bytes()
    code = main([*TEACH, "--dir", str(tmp_path), "--session", "S"])
    assert_one_line_error(capsys, code, "damaged", ".recover")
    assert path.read_bytes() == before


def test_teach_on_a_read_only_store_is_a_one_line_error(tmp_path, capsys):
    from hfrl.store import FeedbackStore

    path = tmp_path / "feedback.sqlite"
    FeedbackStore(path).close()
    if os.geteuid() != 0:
        path.chmod(0o444)
        undo = ["chmod", "644", str(path)]
    else:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("cannot make a file read-only for root here (chattr +i refused)")
        undo = ["chattr", "-i", str(path)]
    before = path.read_bytes()
    try:
        code = main([*TEACH, "--dir", str(tmp_path), "--session", "S"])
        assert_one_line_error(capsys, code, "cannot be written")
        assert path.read_bytes() == before
    finally:
        subprocess.run(undo, check=False)


# ---------------------------------------------------------------------- real processes
def _hfrl(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(
        [sys.executable, "-m", "hfrl", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_teach_fps_nan_ends_at_once_as_a_real_process(tmp_path):
    """It used to hang for good (``clock.tick(nan)``), ignoring SIGTERM."""
    done = _hfrl(*TEACH, "--fps", "nan", "--dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "--fps" in done.stderr


def test_second_writer_on_a_session_is_refused_naming_the_first(tmp_path):
    """Two real ``hfrl teach`` on one session: the second exits 2 naming the first's pid."""
    session = ["--session", "S", "--dir", str(tmp_path)]
    first = subprocess.Popen(
        [sys.executable, "-m", "hfrl", *TEACH[:-2], "--max-seconds", "120", *session],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = tmp_path / "S" / "session.lock"
        deadline = time.monotonic() + 90
        while not (lock.is_file() and lock.read_text()):
            assert first.poll() is None, first.stderr.read()
            assert time.monotonic() < deadline, "the first writer never took its session"
            time.sleep(0.05)
        second = _hfrl(*TEACH, "--session", "S", "--dir", str(tmp_path))
        assert second.returncode == 2, second.stderr
        assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
        assert f"process {first.pid}" in second.stderr
        assert first.poll() is None  # the first one is not disturbed
    finally:
        first.kill()
        first.wait()
    # once the first is gone (even killed: the kernel drops its lock) the session is free
    from hfrl.sessions import is_locked

    assert is_locked(lock) is None


def test_compare_on_a_session_another_process_writes_is_refused(tmp_path, capsys):
    """Same lock as teach (the real two-process case is the teach test above)."""
    from hfrl.sessions import session_lock

    with session_lock(tmp_path / "S", "S"):
        code = main([*COMPARE, "--session", "S", "--dir", str(tmp_path), "--max-seconds", "5"])
    assert_one_line_error(capsys, code, f"process {os.getpid()}", "session 'S' is in use")
    assert not (tmp_path / "feedback.sqlite").exists()  # refused before the store was opened
