"""`hfrl bench quick` as a user runs it: every cell finishes with finite results."""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import pytest

from hfrl.bench.suite import load_suite

pytestmark = pytest.mark.slow


def test_quick_suite_runs_end_to_end(tmp_path):
    out = tmp_path / "quick"
    cmd = [
        sys.executable,
        "-m",
        "hfrl",
        "bench",
        "quick",
        "--jobs",
        "2",
        "--out",
        str(out),
        "--no-progress",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    cells = load_suite("quick").cells
    with (out / "summary.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(cells)
    assert {(r["agent"], r["env"], r["teacher"], int(r["seed"])) for r in rows} == {
        (c.agent, c.env, c.teacher, c.seed) for c in cells
    }
    for row in rows:
        for key in ("eval_return_mean", "env_steps", "feedback_count", "human_seconds"):
            assert math.isfinite(float(row[key])), (key, row)
    assert (out / "summary.md").read_text().count("\n| ") >= 1
    with (out / "curves.csv").open() as f:
        curve_cells = {(r["agent"], r["env"], r["teacher"], r["seed"]) for r in csv.DictReader(f)}
    assert len(curve_cells) == len(cells)
