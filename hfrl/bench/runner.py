"""Run a suite's cells, each as one ``hfrl train`` process, resuming where a sweep stopped.

Layout of an output dir ``OUT``::

    OUT/suite.toml            the suite file as run
    OUT/versions.json         Python and package versions of the driver
    OUT/bench.log             one JSON line per cell event (start, done, failed, skipped)
    OUT/cells/CELL_ID/        a finished cell: summary.json, curve.csv, config.json,
                              cell.json (the resolved cell), train.log, agent/
    OUT/logs/CELL_ID.log      the output of a cell that failed
    OUT/curves.csv, summary.csv, summary.md   the tables (hfrl.bench.tables)

A cell's ``hfrl train`` writes ``OUT/cells/.CELL_ID.run`` (itself put in place whole by
:func:`hfrl.training.results.staged_output`, under the lock ``.CELL_ID.run.lock``) while its
output goes to ``OUT/cells/.CELL_ID.log``; both become ``OUT/cells/CELL_ID`` only after
``hfrl train`` exits cleanly with its ``summary.json`` written, so a cell dir that exists is
complete and is one run's. A killed sweep leaves at most some hidden leftovers, which the next
run deletes and runs again. A failed cell is reported and logged; the sweep goes on.

Children die with the driver: each ``hfrl train`` asks the kernel for SIGKILL when the
driver dies (``prctl(PR_SET_PDEATHSIG)``, Linux), so a SIGKILLed ``hfrl bench`` leaves no
orphan writing. Should one survive anyway (another OS), it still holds its cell's lock, and
the resumed sweep reports that cell as busy instead of running it a second time beside it.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfrl.bench.suite import Cell, Suite, SuiteError
from hfrl.config import load_json, save_json, versions

CELLS = "cells"
LOGS = "logs"
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
"""Each cell process uses one thread per library; parallelism comes from ``--jobs``."""


@dataclass(frozen=True)
class CellResult:
    """How one cell ended."""

    cell_id: str
    """The cell."""
    ok: bool
    """True when its results are in ``OUT/cells/CELL_ID``."""
    seconds: float
    """Wall time of the run."""
    message: str = ""
    """For a failure: the exit code and the last lines of its output."""


@dataclass(frozen=True)
class SweepReport:
    """What a call of :func:`run_suite` did."""

    total: int
    """Cells in the suite."""
    skipped: int
    """Cells already finished before this call."""
    results: tuple[CellResult, ...]
    """The cells run by this call."""
    wall_seconds: float
    """Wall time of the call."""

    @property
    def failed(self) -> tuple[CellResult, ...]:
        """The cells that failed."""
        return tuple(r for r in self.results if not r.ok)


def cell_dir(out: Path, cell: Cell) -> Path:
    """Where a finished cell's files are."""
    return out / CELLS / cell.cell_id


def is_done(out: Path, cell: Cell) -> bool:
    """True when the cell has finished (its dir and summary.json exist)."""
    return (cell_dir(out, cell) / "summary.json").is_file()


def train_command(cell: Cell, out_dir: Path) -> list[str]:
    """The process that runs one cell: ``python -m hfrl train ...``."""
    return [sys.executable, "-m", "hfrl", *cell.train_args(out_dir)]


def run_dir(out: Path, cell: Cell) -> Path:
    """The folder a running cell's ``hfrl train`` writes (``--out``)."""
    return out / CELLS / f".{cell.cell_id}.run"


def run_log(out: Path, cell: Cell) -> Path:
    """Where a running cell's output goes."""
    return out / CELLS / f".{cell.cell_id}.log"


def busy_message(out: Path, cell: Cell) -> str | None:
    """Why a cell cannot start now (another live process holds its lock), or None."""
    from hfrl.sessions import is_locked
    from hfrl.training.results import run_lock_path

    holder = is_locked(run_lock_path(run_dir(out, cell)))
    if holder is None:
        return None
    return (
        f"not started: process {holder.get('pid')} is still running this cell (a child of "
        "an earlier sweep?); stop it, then run the sweep again"
    )


def clear_cell(out: Path, cell: Cell) -> None:
    """Remove what an unfinished run of ``cell`` left (call only when it is not busy)."""
    run = run_dir(out, cell)
    shutil.rmtree(run, ignore_errors=True)
    for leftover in run.parent.glob(f"{run.name}.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    run_log(out, cell).unlink(missing_ok=True)
    final = cell_dir(out, cell)
    if final.exists() and not is_done(out, cell):
        shutil.rmtree(final, ignore_errors=True)


def cell_environment() -> dict[str, str]:
    """The environment of a cell process: one thread per library, dies with this process."""
    from hfrl.cli.train import FOLLOW_PARENT_ENV

    return {
        **os.environ,
        **THREAD_ENV,
        "PYTHONUNBUFFERED": "1",
        FOLLOW_PARENT_ENV: str(os.getpid()),
    }


class EventLog:
    """Appends JSON lines to ``OUT/bench.log`` (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, event: str, cell_id: str, **extra: Any) -> None:
        """Record one event with the wall-clock time."""
        line = json.dumps({"event": event, "cell": cell_id, "time": time.time(), **extra})
        with self._lock, self.path.open("a") as f:
            f.write(line + "\n")


def read_events(out: str | Path) -> list[dict[str, Any]]:
    """The events of ``OUT/bench.log`` (empty if there is none)."""
    path = Path(out) / "bench.log"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class LocalBackend:
    """Runs cells as child processes of this one, ``jobs`` at a time."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopping = False

    def run_cell(self, cell: Cell, out: Path) -> CellResult:
        """Run one cell to completion; move its results into place on success."""
        started = time.perf_counter()
        busy = busy_message(out, cell)
        if busy:
            return CellResult(cell.cell_id, False, 0.0, busy)
        clear_cell(out, cell)
        log_path = run_log(out, cell)
        with log_path.open("wb") as log:
            with self._lock:
                if self._stopping:
                    return CellResult(
                        cell.cell_id, False, 0.0, "not started: the sweep was interrupted"
                    )
                proc = subprocess.Popen(
                    train_command(cell, run_dir(out, cell)),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=cell_environment(),
                )
                self._procs.add(proc)
            try:
                rc = proc.wait()
            finally:
                with self._lock:
                    self._procs.discard(proc)
        if self._stopping:  # interrupted: not a failure; the next run starts it afresh
            clear_cell(out, cell)
            return CellResult(cell.cell_id, False, time.perf_counter() - started, "interrupted")
        return finish_cell(cell, out, rc, time.perf_counter() - started)

    def stop(self) -> None:
        """Terminate the running cells (on Ctrl-C); :meth:`run_cell` then clears what they left."""
        with self._lock:
            self._stopping = True
            procs = list(self._procs)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def finish_cell(cell: Cell, out: Path, rc: int, seconds: float) -> CellResult:
    """Move a cell's run folder and log into place if it succeeded; else keep its log and report."""
    run = run_dir(out, cell)
    log_path = run_log(out, cell)
    if rc == 0 and (run / "summary.json").is_file():
        final = cell_dir(out, cell)
        if log_path.is_file():
            os.replace(log_path, run / "train.log")
            name_final_paths(run / "train.log", run, final)
        name_final_paths(run / "summary.json", run, final, key="agent_dir")
        save_json(run / "cell.json", cell.to_dict())
        shutil.rmtree(final, ignore_errors=True)
        os.replace(run, final)
        return CellResult(cell.cell_id, True, seconds)
    tail = ""
    if log_path.is_file():
        (out / LOGS).mkdir(exist_ok=True)
        shutil.copyfile(log_path, out / LOGS / f"{cell.cell_id}.log")
        tail = "\n".join(log_path.read_text(errors="replace").strip().splitlines()[-8:])
    clear_cell(out, cell)
    why = f"exit code {rc}" if rc != 0 else "no summary.json written"
    return CellResult(cell.cell_id, False, seconds, f"{why}\n{tail}".strip())


def name_final_paths(path: Path, run: Path, final: Path, key: str | None = None) -> None:
    """Make ``path`` (a log, or one ``key`` of a JSON file) name ``final`` where it names the
    cell's run folder ``run`` or the hidden ``run.partial-PID`` that ``hfrl train`` renamed to
    it: those folders no longer exist once the cell is moved into place."""
    pattern = re.compile(re.escape(str(run)) + r"(?:\.partial-\d+)?(?![\w.-])")
    if key is None:
        text = path.read_text(errors="replace")
        path.write_text(pattern.sub(lambda _: str(final), text))
        return
    data = load_json(path)
    if isinstance(data.get(key), str):
        data[key] = pattern.sub(lambda _: str(final), data[key])
        save_json(path, data)


def check_resumable(suite: Suite, out: Path) -> None:
    """Refuse to resume into a dir whose finished cells were run with other settings."""
    for cell in suite.cells:
        meta = cell_dir(out, cell) / "cell.json"
        if is_done(out, cell) and meta.is_file():
            old = load_json(meta)
            if old.get("settings") != json.loads(json.dumps(cell.settings)):
                raise SuiteError(
                    f"{out} holds cell {cell.cell_id} run with other settings ({old.get('settings')}); "
                    f"the suite now says {cell.settings}. Use another --out, or delete {cell_dir(out, cell)}."
                )


def run_suite(
    suite: Suite,
    out: str | Path,
    *,
    jobs: int = 1,
    backend: str = "local",
    address: str | None = None,
    progress: bool = True,
    write_tables: bool = True,
) -> SweepReport:
    """Run every unfinished cell of ``suite`` into ``out``; write the tables at the end.

    Args:
        suite: a loaded suite (:func:`hfrl.bench.suite.load_suite`).
        out: output dir; finished cells found there are skipped.
        jobs: cells run at once.
        backend: ``"local"`` (child processes) or ``"ray"`` (remote tasks).
        address: Ray cluster address (``ray://host:10001``, ``auto``); None starts a local one.
        progress: show a rich progress display.
        write_tables: write curves.csv, summary.csv and summary.md when done.
    """
    if jobs < 1:
        raise SuiteError("--jobs must be at least 1")
    started = time.perf_counter()
    out = Path(out)
    blocker = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise SuiteError(f"--out {out}: {blocker} is a file, not a folder; pass a folder.")
    try:
        (out / CELLS).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SuiteError(f"cannot create --out {out}: {err.strerror or err}") from err
    check_resumable(suite, out)
    (out / "suite.toml").write_text(suite.text)
    save_json(out / "versions.json", versions())
    events = EventLog(out / "bench.log")
    todo = [c for c in suite.cells if not is_done(out, c)]
    skipped = len(suite.cells) - len(todo)
    for cell in suite.cells:
        if cell not in todo:
            events.write("skipped", cell.cell_id)
    display = SweepProgress(len(suite.cells), skipped, enabled=progress, jobs=jobs)
    results: list[CellResult] = []

    def started_cell(cell: Cell) -> None:
        events.write("start", cell.cell_id, pid=os.getpid())
        display.started(cell.cell_id)

    def finished_cell(result: CellResult) -> None:
        events.write(
            "done" if result.ok else "failed",
            result.cell_id,
            seconds=round(result.seconds, 3),
            message=result.message,
        )
        results.append(result)
        display.finished(result)

    try:
        if todo:
            if backend == "local":
                _run_local(todo, out, jobs, started_cell, finished_cell)
            elif backend == "ray":
                from hfrl.bench.ray_backend import run_ray

                run_ray(todo, out, jobs, address, started_cell, finished_cell)
            else:
                raise SuiteError(f"unknown backend {backend!r}; use local or ray")
    finally:
        display.close()
    if write_tables:
        from hfrl.bench.tables import write_all

        write_all(suite, out)
    return SweepReport(len(suite.cells), skipped, tuple(results), time.perf_counter() - started)


def _run_local(
    todo: list[Cell],
    out: Path,
    jobs: int,
    on_start: Callable[[Cell], None],
    on_done: Callable[[CellResult], None],
) -> None:
    runner = LocalBackend(jobs)

    def job(cell: Cell) -> CellResult:
        on_start(cell)
        return runner.run_cell(cell, out)

    pool = ThreadPoolExecutor(max_workers=jobs)
    pending: set[Future[CellResult]] = {pool.submit(job, c) for c in todo}
    try:
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                on_done(fut.result())
    except BaseException:
        for fut in pending:
            fut.cancel()
        runner.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def time_left(
    cell_seconds: list[float], queued: int, running_elapsed: list[float], jobs: int
) -> float | None:
    """Estimated seconds until a sweep ends; None before any cell of this run has finished.

    Each cell is taken to last the mean wall time of the cells finished so far: a running
    cell has that minus its elapsed time left (at least 0), a queued cell all of it; the work
    left is shared by ``jobs`` workers (fewer when fewer cells are left).
    """
    if not cell_seconds:
        return None
    mean = sum(cell_seconds) / len(cell_seconds)
    work = queued * mean + sum(max(mean - e, 0.0) for e in running_elapsed)
    workers = min(max(jobs, 1), queued + len(running_elapsed))
    return work / workers if workers else 0.0


def format_time_left(seconds: float | None) -> str:
    """``~1:05:30 left`` (``-:--:-- left`` until the first cell of this run has finished)."""
    if seconds is None:
        return "-:--:-- left"
    total = math.ceil(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"~{hours}:{minutes:02d}:{secs:02d} left"


class SweepProgress:
    """One rich progress display for the whole sweep, plus a line per finished cell.

    It shows the time left (:func:`time_left`: from this run's finished cells' wall times,
    the cells left and ``jobs``), counting down between cell events.
    """

    def __init__(
        self,
        total: int,
        skipped: int,
        enabled: bool = True,
        jobs: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failed = 0
        self.running: list[str] = []
        self._lock = threading.Lock()
        self._bar: Any = None
        self._skipped = skipped
        self._total = total
        self._jobs = jobs
        self._clock = clock
        self._started_at: dict[str, float] = {}
        self._seconds: list[float] = []
        self._ended = 0
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.text import Text

        sweep = self

        class TimeLeftColumn(ProgressColumn):
            """The sweep's estimated time left, redrawn on every refresh."""

            def render(self, task: Any) -> Text:
                return Text(sweep.time_left_text(), style="progress.remaining")

        self._bar = Progress(
            TextColumn("[bold]bench"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeLeftColumn(),
            TextColumn("{task.fields[info]}"),
        )
        self._task = self._bar.add_task("cells", total=total, completed=skipped, info=self._info())
        self._bar.start()
        if skipped:
            self._bar.console.print(f"{skipped} of {total} cells already finished; resuming")

    def _info(self) -> str:
        running = ", ".join(self.running[:3]) + (" ..." if len(self.running) > 3 else "")
        failed = f"[red]{self.failed} failed[/red]  " if self.failed else ""
        return f"{failed}running: {running or '-'}"

    def time_left(self) -> float | None:
        """Estimated seconds until the sweep ends (:func:`time_left`), None before any
        estimate."""
        now = self._clock()
        running = [now - self._started_at[c] for c in self.running if c in self._started_at]
        queued = max(self._total - self._skipped - self._ended - len(running), 0)
        return time_left(self._seconds, queued, running, self._jobs)

    def time_left_text(self) -> str:
        """The time left as the display shows it."""
        return format_time_left(self.time_left())

    def started(self, cell_id: str) -> None:
        """A cell started."""
        with self._lock:
            self.running.append(cell_id)
            self._started_at[cell_id] = self._clock()
            if self._bar is not None:
                self._bar.update(self._task, info=self._info())

    def finished(self, result: CellResult) -> None:
        """A cell ended."""
        with self._lock:
            if result.cell_id in self.running:
                self.running.remove(result.cell_id)
            self._started_at.pop(result.cell_id, None)
            self._ended += 1
            if result.ok:  # a failed cell's time says nothing about a full run's
                self._seconds.append(result.seconds)
            self.failed += not result.ok
            if self._bar is None:
                return
            self._bar.update(self._task, advance=1, info=self._info())
            if result.ok:
                self._bar.console.print(
                    f"[green]done[/green] {result.cell_id} ({result.seconds:.0f} s)"
                )
            else:
                from rich.markup import escape

                self._bar.console.print(
                    f"[red]FAILED[/red] {result.cell_id}: {escape(result.message)}", highlight=False
                )

    def close(self) -> None:
        """Stop the display."""
        if self._bar is not None:
            self._bar.stop()
