"""The files every training run writes: ``summary.json`` and ``curve.csv``, put in place whole.

:func:`staged_output` is how ``hfrl train`` writes its folder ``OUT``: into a hidden sibling
``.OUT.partial-PID``, renamed to ``OUT`` only when the run has finished, under a lock
(``.OUT.lock``) so two runs never write one folder. A failed, interrupted or killed run
therefore never leaves a half-written folder that looks finished, and never touches an
earlier ``OUT`` it was not asked to replace.

``curve.csv`` has one row per evaluation point: env_steps, episodes, feedback_count,
human_seconds, return (the greedy evaluation return on the true reward), and
train_return (the true return of the last training episode, for live agents).
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hfrl.config import save_json, versions
from hfrl.errors import HfrlError

CURVE_COLUMNS = (
    "env_steps",
    "episodes",
    "feedback_count",
    "human_seconds",
    "return",
    "train_return",
)


class RunRecorder:
    """Appends curve points as they come and writes the summary at the end.

    Each curve row is flushed to disk at once, so an interrupted run keeps its curve (in the
    hidden folder of :func:`staged_output` when run by ``hfrl train``).
    """

    def __init__(self, out_dir: str | Path, final_dir: str | Path | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.final_dir = Path(final_dir) if final_dir is not None else self.out_dir
        """Where the files will be once the run has finished (``hfrl train``'s ``--out``,
        when ``out_dir`` is :func:`staged_output`'s hidden folder): paths the summary names."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        self._curve_path = self.out_dir / "curve.csv"
        with self._curve_path.open("w", newline="") as f:
            csv.writer(f).writerow(CURVE_COLUMNS)
        self.rows: list[dict[str, float]] = []

    def log_point(self, **values: float) -> None:
        """Append one curve row; missing columns are written empty (NaN when read)."""
        unknown = set(values) - set(CURVE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown curve columns {sorted(unknown)}; use {CURVE_COLUMNS}")
        self.rows.append(values)
        with self._curve_path.open("a", newline="") as f:
            csv.writer(f).writerow([values.get(c, "") for c in CURVE_COLUMNS])

    @property
    def wall_seconds(self) -> float:
        """Seconds since the recorder was made."""
        return time.perf_counter() - self.started

    def write_summary(self, summary: dict[str, Any]) -> Path:
        """Write ``summary.json`` with wall time and versions added; return its path."""
        data = dict(summary)
        data.setdefault("wall_seconds", round(self.wall_seconds, 3))
        data.setdefault("versions", versions())
        agent_dir = data.get("agent_dir")
        if isinstance(agent_dir, str) and self.final_dir != self.out_dir:
            with contextlib.suppress(ValueError):  # a folder outside the run's stays as it is
                data["agent_dir"] = str(self.final_dir / Path(agent_dir).relative_to(self.out_dir))
        path = self.out_dir / "summary.json"
        save_json(path, data)
        return path

    def write_config(self, config: Any) -> Path:
        """Write the resolved run config as ``config.json``."""
        path = self.out_dir / "config.json"
        save_json(path, config)
        return path


def run_lock_path(out_dir: str | Path) -> Path:
    """The lock file of a run folder: ``.NAME.lock`` beside it."""
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name.lstrip('.')}.lock"


def has_results(out_dir: str | Path) -> bool:
    """Whether ``out_dir`` exists and holds anything."""
    out_dir = Path(out_dir)
    return out_dir.is_dir() and any(out_dir.iterdir())


def check_output_folder(out_dir: str | Path, replace: bool) -> Path:
    """Refuse an output folder that is a file, or one with results unless ``replace``.

    Nothing is written. Raises :class:`HfrlError` with what to do.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise HfrlError(f"--out {out_dir} is a file, not a folder; pass a folder name.")
    for parent in out_dir.parents:
        if parent.exists():
            if not parent.is_dir():
                raise HfrlError(f"--out {out_dir}: {parent} is a file, not a folder.")
            break
    if has_results(out_dir) and not replace:
        raise HfrlError(
            f"--out {out_dir} already holds results; pass --force to replace them, or "
            "choose a new folder."
        )
    return out_dir


def numbered_folder(out_dir: str | Path) -> Path:
    """``out_dir`` if it holds nothing yet, else the first free ``out_dir-2``, ``-3``, ..."""
    out_dir = Path(out_dir)
    n = 1
    candidate = out_dir
    while candidate.exists() and (has_results(candidate) or not candidate.is_dir()):
        n += 1
        candidate = out_dir.with_name(f"{out_dir.name}-{n}")
    return candidate


@contextlib.contextmanager
def staged_output(out_dir: str | Path, replace: bool = False) -> Iterator[Path]:
    """A hidden temporary folder beside ``out_dir`` that becomes ``out_dir`` on success.

    Holds ``out_dir``'s lock for the whole run (a second writer is refused, naming the
    first). On an error the temporary folder is removed (on Ctrl-C it is kept, hidden, until
    the next run into ``out_dir``) and ``out_dir`` is left as it was; when the block ends normally an existing ``out_dir`` (allowed by ``replace``) is
    swapped out and removed only after the new one is in place.

    Raises:
        HfrlError: ``out_dir`` is a file, holds results and ``replace`` is false, is being
            written by another process, or cannot be created.
    """
    from hfrl.sessions import FolderLock, fsync_tree

    out_dir = check_output_folder(out_dir, replace)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise HfrlError(f"cannot create {out_dir.parent}: {err.strerror or err}") from err
    lock = FolderLock(
        run_lock_path(out_dir),
        f"output folder {out_dir}",
        "Wait for that run or pick another --out.",
    )
    try:
        check_output_folder(out_dir, replace)  # again, now that nobody else can write it
        stem = f".{out_dir.name.lstrip('.')}"
        for stale in out_dir.parent.glob(f"{stem}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed run (we hold the lock)
        tmp = out_dir.parent / f"{stem}.partial-{os.getpid()}"
        try:
            tmp.mkdir()
        except OSError as err:
            raise HfrlError(f"cannot write in {out_dir.parent}: {err.strerror or err}") from err
        try:
            yield tmp
        except KeyboardInterrupt:
            raise  # Ctrl-C: the curve so far stays in the hidden folder until the next run
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_tree(tmp)
        old = out_dir.parent / f"{stem}.old-{os.getpid()}"
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        lock.release()
