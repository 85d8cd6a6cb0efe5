"""``save_agent`` keeps a complete copy of the agent at every moment a save can be killed."""

from __future__ import annotations

import json
import os
import shutil

import hfrl.human_ui.worker as worker
import pytest
from hfrl.human_ui.worker import UI_STATE_FILE, save_agent, saved_agent_dir


class _Agent:
    """Saves two files whose contents name the version, so a mixed copy would show."""

    def __init__(self, version: int) -> None:
        self.version = version

    def save(self, directory) -> None:
        (directory / "weights.bin").write_bytes(bytes([self.version]) * 4096)
        (directory / "agent.json").write_text(json.dumps({"version": self.version}))


def _complete_version(directory) -> int | None:
    saved = saved_agent_dir(directory)
    if saved is None:
        return None
    meta = json.loads((saved / "agent.json").read_text())
    assert (saved / "weights.bin").read_bytes() == bytes([meta["version"]]) * 4096
    assert json.loads((saved / UI_STATE_FILE).read_text()) == {"v": meta["version"]}
    return meta["version"]


class _Killed(BaseException):
    """Stands for SIGKILL at one file-system step: nothing after it runs."""


def _kill_at_step(monkeypatch, step: int) -> None:
    """Make the ``step``-th rename or removal of a folder raise before it happens."""
    count = {"n": 0}

    def hook(real):
        def wrapped(*args, **kwargs):
            count["n"] += 1
            if count["n"] == step:
                raise _Killed
            return real(*args, **kwargs)

        return wrapped

    monkeypatch.setattr(worker.shutil, "rmtree", hook(shutil.rmtree))
    monkeypatch.setattr(worker.os, "replace", hook(os.replace))


@pytest.mark.parametrize("start", ["fresh", "saved", "only-backup"])
def test_a_save_killed_at_any_step_leaves_a_complete_copy(tmp_path, monkeypatch, start):
    """Every rename/remove of a save is tried as the kill point, from each starting state,
    including the one an earlier killed save leaves (only ``agent.old`` complete)."""
    for step in range(1, 8):
        root = tmp_path / f"s{step}"
        directory = root / "agent"
        root.mkdir()
        if start != "fresh":
            save_agent(_Agent(1), directory, {"v": 1})
        if start == "only-backup":
            os.replace(directory, directory.with_name("agent.old"))
        with monkeypatch.context() as m:
            _kill_at_step(m, step)
            try:
                save_agent(_Agent(2), directory, {"v": 2})
                finished = True
            except _Killed:
                finished = False
        version = _complete_version(directory)
        if finished:
            assert version == 2
        else:
            assert version in ((None, 2) if start == "fresh" else (1, 2)), (step, version)
        save_agent(_Agent(3), directory, {"v": 3})  # the next save cleans up and succeeds
        assert _complete_version(directory) == 3
        assert sorted(p.name for p in root.iterdir()) == ["agent"]


def test_row_ranges_round_trip_any_set_of_rows():
    from hfrl.human_ui.worker import row_ranges, rows_in

    rows = {1, 2, 3, 5, 9, 10, 11, 40}
    ranges = row_ranges([11, 3, 40, 1, 2, 5, 10, 9, 9])
    assert ranges == [[1, 3], [5, 5], [9, 11], [40, 40]]
    assert rows_in(json.loads(json.dumps(ranges))) == rows
    assert row_ranges([]) == [] and rows_in(None) == set()
