"""hfrl bench's display shows the time left; a finished cell's files name where they are."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from hfrl.bench.runner import (
    CellResult,
    SweepProgress,
    cell_dir,
    finish_cell,
    format_time_left,
    run_dir,
    run_log,
    time_left,
)
from hfrl.bench.suite import load_suite


def test_time_left_shares_the_mean_cell_time_over_the_jobs():
    assert time_left([], queued=4, running_elapsed=[1.0], jobs=2) is None
    # 3 queued cells of 10 s and one running for 4 s (6 s left): 36 s of work on 2 workers
    assert time_left([8.0, 12.0], queued=3, running_elapsed=[4.0], jobs=2) == pytest.approx(18.0)
    # one cell left: one worker works, whatever --jobs says; a cell over the mean: 0 left
    assert time_left([10.0], queued=1, running_elapsed=[], jobs=4) == pytest.approx(10.0)
    assert time_left([10.0], queued=0, running_elapsed=[25.0], jobs=2) == 0.0
    assert format_time_left(None) == "-:--:-- left"
    assert format_time_left(3725.2) == "~1:02:06 left"


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_display_counts_down_from_finished_cells_and_shows_it():
    clock = _Clock()
    display = SweepProgress(total=5, skipped=1, enabled=True, jobs=2, clock=clock)
    display._bar.console.file = io.StringIO()
    try:
        display.started("a")
        display.started("b")
        assert display.time_left() is None  # nothing finished yet
        clock.now = 30.0
        display.finished(CellResult("a", True, 30.0))
        display.started("c")
        # b ran 30 of 30 s, c and the queued d take 30 s each: 60 s on 2 workers
        assert display.time_left() == pytest.approx(30.0)
        clock.now = 40.0
        assert display.time_left() == pytest.approx(25.0)  # c has 20 s left, d 30 s
        display.finished(CellResult("b", False, 1.0, "exit code 1"))  # a failure: no timing
        assert display.time_left_text() == "~0:00:25 left"
        console = Console(file=io.StringIO(), width=200)
        bar = display._bar
        console.print(bar.make_tasks_table(bar.tasks))
        assert "~0:00:25 left" in console.file.getvalue()
    finally:
        display.close()


SUITE = """
[suite]
name = "paths"
seeds = [0]
agents = ["tamer"]
envs = ["CartPole-v1"]
teachers = ["perfect"]

[defaults]
episodes = 1
"""


def test_a_finished_cells_log_and_summary_name_its_final_folder(tmp_path):
    path = tmp_path / "paths.toml"
    path.write_text(SUITE)
    (cell,) = load_suite(path, deep=False).cells
    run = run_dir(tmp_path, cell)
    hidden = f"{run}.partial-4242"
    run.mkdir(parents=True)
    (run / "summary.json").write_text(json.dumps({"agent_dir": f"{hidden}/agent", "x": 1}))
    run_log(tmp_path, cell).write_text(
        f"tamer on CartPole-v1: greedy return 9.0; wrote {run}/summary.json\nsaved {hidden}\n"
    )
    result = finish_cell(cell, tmp_path, 0, 1.0)
    final = cell_dir(tmp_path, cell)
    assert result.ok and final.is_dir() and not run.exists()
    log = (final / "train.log").read_text()
    assert f"wrote {final}/summary.json" in log and f"saved {final}\n" in log
    assert ".run" not in log and "partial" not in log
    summary = json.loads((final / "summary.json").read_text())
    assert summary == {"agent_dir": f"{final}/agent", "x": 1}
