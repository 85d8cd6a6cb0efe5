"""``hfrl bench`` end to end: tables with one row per cell, interrupted sweeps resume, Ray backend."""

from __future__ import annotations

import csv
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hfrl.bench.runner import read_events
from hfrl.cli import main

TINY = """\
[suite]
name = "tiny"
seeds = [0, 1, 2, 3]
agents = ["tamer"]
envs = ["CartPole-v1"]
teachers = ["perfect"]

[defaults]
episodes = 2
eval_every = 1
eval_episodes = 1
"""


def finished(out: Path) -> set[str]:
    cells = out / "cells"
    return (
        {p.name for p in cells.iterdir() if not p.name.startswith(".")} if cells.is_dir() else set()
    )


def start_sweep(suite: Path, out: Path) -> subprocess.Popen[bytes]:
    """``hfrl bench`` in its own process group, as a shell would start it."""
    cmd = [
        sys.executable,
        "-m",
        "hfrl",
        "bench",
        str(suite),
        "--jobs",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    return subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    """Give the sweep Ctrl-C's default action, as a terminal does: a test run started in the
    background by a non-interactive shell inherits SIGINT ignored, and the sweep would keep it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(out: Path, n: int, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while len(finished(out)) < n:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "no cell finished in time"
        time.sleep(0.2)


def test_interrupted_sweep_resumes_only_missing_cells(tmp_path):
    """Ctrl-C (SIGINT to the group), then SIGKILL of the group, then a full run: each cell that
    had finished is never started again, and the table has one finite row per cell and seed."""
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY)
    out = tmp_path / "out"

    proc = start_sweep(suite, out)
    wait_for(out, 1, proc)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    first = finished(out)
    assert 1 <= len(first) < 4
    events_at_first = len(read_events(out))
    leftovers = [p.name for p in (out / "cells").glob(".*") if not p.name.endswith(".lock")]
    assert not leftovers, f"an interrupted cell left {leftovers}"

    proc = start_sweep(suite, out)
    wait_for(out, len(first) + 1, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    second = finished(out)
    assert first < second and len(second) < 4
    events_at_second = len(read_events(out))
    stamps = {c: (out / "cells" / c / "summary.json").stat().st_mtime_ns for c in second}

    assert main(["bench", str(suite), "--jobs", "1", "--out", str(out), "--no-progress"]) == 0
    assert len(finished(out)) == 4
    assert not [p for p in (out / "cells").glob(".*") if not p.name.endswith(".lock")]
    events = read_events(out)
    starts = Counter(e["cell"] for e in events if e["event"] == "start")
    for done_before, since in ((first, events_at_first), (second, events_at_second)):
        restarted = {e["cell"] for e in events[since:] if e["event"] == "start"} & done_before
        assert not restarted, f"finished cells run again: {restarted}"
    for cell in second:
        assert (out / "cells" / cell / "summary.json").stat().st_mtime_ns == stamps[cell]
    assert set(starts) == finished(out)
    assert sum(e["event"] == "done" for e in events) == 4  # each cell finished exactly once

    with (out / "summary.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(r["seed"]) for r in rows) == [0, 1, 2, 3]
    for r in rows:
        for key in ("eval_return_mean", "env_steps", "feedback_count", "human_minutes"):
            assert math.isfinite(float(r[key])), (key, r)
        assert float(r["eval_return_mean"]) > 0
    with (out / "curves.csv").open() as f:
        curves = list(csv.DictReader(f))
    assert {r["seed"] for r in curves} == {"0", "1", "2", "3"}
    md = (out / "summary.md").read_text()
    assert "| tamer | CartPole-v1 | perfect | 4 |" in md
    assert (out / "suite.toml").read_text() == TINY and (out / "versions.json").is_file()

    # a finished sweep re-run starts nothing
    assert main(["bench", str(suite), "--jobs", "2", "--out", str(out), "--no-progress"]) == 0
    assert sum(e["event"] == "start" for e in read_events(out)) == sum(starts.values())

    assert main(["plot", str(out), "--out", str(tmp_path / "png")]) == 0
    pngs = sorted(p.name for p in (tmp_path / "png").glob("*.png"))
    assert pngs == [
        "return_vs_env_steps.png",
        "return_vs_feedback.png",
        "return_vs_human_minutes.png",
    ]


def test_failed_cell_is_reported_and_the_sweep_goes_on(tmp_path, capsys):
    """A cell whose run fails (an agent option the agent rejects at run time) does not stop the others."""
    suite = tmp_path / "bad.toml"
    suite.write_text(
        TINY.replace("seeds = [0, 1, 2, 3]", "seeds = [0]").replace(
            'envs = ["CartPole-v1"]', 'envs = ["CartPole-v1", "Acrobot-v1"]'
        )
        + '\n[agents.tamer.per_env."Acrobot-v1"]\nset = { model = "tree" }\n'
    )
    out = tmp_path / "out"
    with pytest.raises(Exception, match="model"):  # rejected up front: built on each env
        from hfrl.bench.suite import load_suite

        load_suite(suite)
    # the same failure at run time, past validation
    from hfrl.bench.runner import run_suite
    from hfrl.bench.suite import load_suite as load

    good = load(tmp_path / "bad.toml", deep=False)
    report = run_suite(good, out, jobs=2, progress=False)
    assert [r.ok for r in report.results].count(True) == 1
    (failed,) = report.failed
    assert "Acrobot" in failed.cell_id and "model" in failed.message
    assert (out / "logs" / f"{failed.cell_id}.log").is_file()
    assert "Failed cells (1" in (out / "summary.md").read_text()


def test_ray_backend_runs_the_same_suite(tmp_path):
    """A local Ray cluster runs a cell as a remote task; the output dir is the same."""
    pytest.importorskip("ray")
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY.replace("seeds = [0, 1, 2, 3]", "seeds = [5]"))
    out = tmp_path / "out"
    args = [
        "bench",
        str(suite),
        "--backend",
        "ray",
        "--jobs",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(args) == 0
    assert finished(out) == {"tamer__CartPole-v1__perfect__s5"}
    cell = out / "cells" / "tamer__CartPole-v1__perfect__s5"
    assert {"summary.json", "curve.csv", "cell.json"} <= {p.name for p in cell.iterdir()}
    assert len((out / "summary.csv").read_text().splitlines()) == 2


def test_ray_backend_without_ray_names_the_extra(tmp_path, monkeypatch):
    """Without ray installed, --backend ray fails with the pip command, before any cell runs."""
    from hfrl.bench.runner import run_suite
    from hfrl.bench.suite import load_suite
    from hfrl.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "ray", None)
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY)
    out = tmp_path / "out"
    with pytest.raises(MissingExtraError, match=r"hfrl\[ray\]"):
        run_suite(load_suite(suite, deep=False), out, backend="ray", progress=False)
    assert finished(out) == set()
    assert not [e for e in read_events(out) if e["event"] == "start"]


ORPHAN = """\
[suite]
name = "orphan"
seeds = [0]
agents = ["tamer"]
envs = ["CartPole-v1"]
teachers = ["perfect"]

[defaults]
episodes = 15
eval_every = 1
eval_episodes = 1
max_episode_steps = 50
"""


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_killed_driver_leaves_no_orphan_and_the_resumed_cell_is_one_run(tmp_path):
    """SIGKILL of the driver alone (not its group) mid-cell: its `hfrl train` child dies with
    it, and the resumed sweep's cell has exactly one run's curve (episodes 1..15, once)."""
    import json

    suite = tmp_path / "orphan.toml"
    suite.write_text(ORPHAN.replace("episodes = 15", "episodes = 1000000"))  # never ends
    out = tmp_path / "out"
    proc = start_sweep(suite, out)
    lock = out / "cells" / ".tamer__CartPole-v1__perfect__s0.run.lock"
    deadline = time.monotonic() + 90
    child = None
    while child is None:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "the cell never started writing"
        if list((out / "cells").glob(".*.run.partial-*/curve.csv")) and lock.is_file():
            text = lock.read_text()
            child = json.loads(text)["pid"] if text else None
        time.sleep(0.05)
    assert child != proc.pid and alive(child)
    os.kill(proc.pid, signal.SIGKILL)  # the driver only; the child is not signalled by us
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while alive(child):
        assert time.monotonic() < deadline, f"orphan {child} survived the driver"
        time.sleep(0.05)

    suite.write_text(ORPHAN)  # the same cell, resumed at a budget that ends
    assert main(["bench", str(suite), "--jobs", "1", "--out", str(out), "--no-progress"]) == 0
    cell = out / "cells" / "tamer__CartPole-v1__perfect__s0"
    with (cell / "curve.csv").open() as f:
        episodes = [int(r["episodes"]) for r in csv.DictReader(f)]
    assert episodes == [*range(1, 16), 15]  # one row per episode, then the final evaluation
    assert not [
        p.name for p in (out / "cells").iterdir() if ".run" in p.name and "lock" not in p.name
    ]


def test_a_cell_whose_lock_is_held_is_reported_busy_not_run_twice(tmp_path):
    """A live process holding a cell's lock (an orphan of an earlier sweep, say) keeps it:
    the sweep reports the cell instead of running a second copy beside it."""
    from hfrl.bench.runner import run_dir, run_suite
    from hfrl.bench.suite import load_suite
    from hfrl.sessions import FolderLock
    from hfrl.training.results import run_lock_path

    suite_path = tmp_path / "one.toml"
    suite_path.write_text(TINY.replace("seeds = [0, 1, 2, 3]", "seeds = [0]"))
    suite = load_suite(suite_path, deep=False)
    out = tmp_path / "out"
    (cell,) = suite.cells
    with FolderLock(run_lock_path(run_dir(out, cell)), "test"):
        report = run_suite(suite, out, progress=False, write_tables=False)
    (result,) = report.results
    assert not result.ok and f"process {os.getpid()}" in result.message
    assert finished(out) == set()
