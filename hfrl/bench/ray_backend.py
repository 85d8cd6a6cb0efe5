"""Run a suite's cells as Ray tasks: on an existing cluster (``--address``) or a local one.

Each cell is one remote task (1 CPU) that runs ``python -m hfrl train`` into a temporary
dir on the worker and returns the files it wrote; the driver writes them into the cell's
run folder and moves it into place exactly as the local backend does, so the output dir,
resuming and the tables are the same. Workers need hfrl installed (the same version);
the output dir lives only on the driver's machine, so no shared file system is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hfrl.bench.runner import (
    THREAD_ENV,
    CellResult,
    clear_cell,
    finish_cell,
    run_dir,
    run_log,
    train_command,
)
from hfrl.bench.suite import Cell
from hfrl.errors import missing_extra


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as err:
        raise missing_extra("--backend ray", "ray") from err
    return ray


def run_cell_files(cell: Cell) -> tuple[int, dict[str, bytes]]:
    """Run one cell in a temporary dir; return the exit code and every file it wrote.

    The output of ``hfrl train`` comes back as ``train.log``. This is the body of the
    remote task; it runs on a Ray worker.
    """
    with tempfile.TemporaryDirectory(prefix="hfrl-cell-") as tmp:
        out_dir = Path(tmp) / "run"
        log_path = Path(tmp) / "train.log"
        env = {**os.environ, **THREAD_ENV, "PYTHONUNBUFFERED": "1"}
        with log_path.open("wb") as log:
            cmd = train_command(cell, out_dir)
            cmd[0] = sys.executable
            rc = subprocess.run(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, check=False
            ).returncode
        files = (
            {str(p.relative_to(out_dir)): p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
            if out_dir.is_dir()
            else {}
        )
        files["train.log"] = log_path.read_bytes()
    return rc, files


def run_ray(
    todo: list[Cell],
    out: Path,
    jobs: int,
    address: str | None,
    on_start: Callable[[Cell], None],
    on_done: Callable[[CellResult], None],
) -> None:
    """Run ``todo`` as Ray tasks, at most ``jobs`` at once; report each as it ends."""
    import time

    ray = _import_ray()
    own = not ray.is_initialized()
    if own:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1, max_retries=0)(run_cell_files)
    queue = list(todo)
    running: dict[Any, tuple[Cell, float]] = {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                cell = queue.pop(0)
                on_start(cell)
                running[remote.remote(cell)] = (cell, time.perf_counter())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)
            for ref in ready:
                cell, t0 = running.pop(ref)
                try:
                    rc, files = ray.get(ref)
                except Exception as err:  # a worker died or the task raised
                    on_done(
                        CellResult(
                            cell.cell_id, False, time.perf_counter() - t0, f"ray task failed: {err}"
                        )
                    )
                    continue
                clear_cell(out, cell)
                run = run_dir(out, cell)
                for rel, data in files.items():
                    target = run_log(out, cell) if rel == "train.log" else run / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                on_done(finish_cell(cell, out, rc, time.perf_counter() - t0))
    except BaseException:
        for ref in running:
            ray.cancel(ref, force=True)
        raise
    finally:
        if own:
            ray.shutdown()
