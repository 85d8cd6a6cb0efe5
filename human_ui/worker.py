"""Learning off the UI thread: the agent's ``update()`` and saves run in a worker thread.

The pygame thread keeps the cheap calls (``act``, ``observe``, ``give``,
``action_preferences``) and the worker thread the heavy ones (``update``, ``save``); one
lock keeps them from running at the same time on the same agent. The UI thread never
waits longer than what is left of its frame for that lock: when learning holds it, the UI
keeps drawing, the env waits a frame, and the ratings already made wait in a queue (they
are in the feedback store already) until the agent is free.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hfrl.sessions import fsync_dir, fsync_tree

T = TypeVar("T")


class AgentWorker:
    """Owns the background thread that runs ``agent.update()`` (or a given train step) and saves.

    Args:
        agent: any :class:`hfrl.protocols.Agent`.
        idle_period: seconds between updates when nothing new arrived (0 = only on request).
        ui_state: see :attr:`ui_state`.
        train_step: see :attr:`train_step`.
    """

    def __init__(
        self,
        agent: Any,
        idle_period: float = 0.0,
        ui_state: Callable[[], dict[str, Any]] | None = None,
        train_step: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.agent = agent
        self.train_step = train_step or agent.update
        """One unit of learning work (``agent.update`` unless given)."""
        self.ui_state = ui_state
        """Called under the lock at each save; its dict is saved with the agent."""
        self.lock = threading.Lock()
        """Held while any agent method runs; the UI thread takes it with a timeout."""
        self.idle_period = idle_period
        self.updates = 0
        """Completed ``update()`` calls."""
        self.update_seconds = 0.0
        """Duration of the last ``update()``."""
        self.stats: dict[str, float] = {}
        """Statistics returned by the last ``update()``."""
        self.mark: Callable[[], Any] | None = None
        """Read just before each ``update()``; the value is kept as :attr:`updated_mark`."""
        self.updated_mark: Any = None
        """:attr:`mark`'s value before the last completed ``update()`` (what it has seen)."""
        self.error: BaseException | None = None
        """An exception raised in the worker; the UI re-raises it (the store keeps the labels)."""
        self._jobs: deque[Callable[[], Any]] = deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._save_to: Path | None = None
        self._saved = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hfrl-learner", daemon=True)

    def start(self) -> AgentWorker:
        """Start the thread (returns self)."""
        self._thread.start()
        return self

    def request_update(self) -> None:
        """Ask for an ``update()`` soon (cheap; call after new steps or feedback)."""
        self._wake.set()

    def submit(self, job: Callable[[], Any]) -> None:
        """Run ``job`` on the worker thread under the agent lock, before the next update.

        Jobs run in the order submitted; :meth:`stop` runs the ones still waiting.
        """
        self._jobs.append(job)
        self._wake.set()

    def _run_jobs(self) -> None:
        while self._jobs:
            job = self._jobs.popleft()
            with self.lock:
                job()

    def request_save(self, directory: Path) -> None:
        """Ask the worker to save the agent into ``directory`` (atomically replaced)."""
        self._saved.clear()
        self._save_to = Path(directory)
        self._wake.set()

    def try_call(self, fn: Callable[[], T], timeout: float) -> tuple[bool, T | None]:
        """Run ``fn`` under the agent lock if it can be had within ``timeout`` seconds."""
        if not self.lock.acquire(timeout=max(0.0, timeout)):
            return False, None
        try:
            return True, fn()
        finally:
            self.lock.release()

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` under the agent lock, waiting as long as it takes."""
        with self.lock:
            return fn()

    def save_now(self, directory: Path) -> None:
        """Save the agent into ``directory`` from the calling thread (waits for the lock)."""
        with self.lock:
            save_agent(self.agent, directory, self.ui_state() if self.ui_state else None)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after its current job."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            woke = self._wake.wait(self.idle_period or None)
            self._wake.clear()
            try:
                self._run_jobs()
                if self._stop.is_set():
                    return
                save_to, self._save_to = self._save_to, None
                if save_to is not None:
                    self.save_now(save_to)
                    self._saved.set()
                if woke or self.idle_period:
                    with self.lock:
                        mark = self.mark() if self.mark is not None else None
                        t0 = time.perf_counter()
                        stats = self.train_step() or {}
                        self.update_seconds = time.perf_counter() - t0
                        self.updated_mark = mark
                    self.stats = dict(stats)
                    self.updates += 1
            except BaseException as err:  # handed to the UI thread, which re-raises it
                self.error = err
                return


UI_STATE_FILE = "hfrl_ui.json"
"""File the apps add to an agent save: which labels the saved agent has already learnt from."""


def save_agent(agent: Any, directory: Path, ui_state: dict[str, Any] | None = None) -> None:
    """``agent.save`` into ``directory`` atomically: a complete copy exists at every moment.

    The new copy is written into a temporary sibling and flushed to disk; only then is the
    current copy moved to ``NAME.old`` and the new one renamed into place, and only after
    that is ``NAME.old`` removed. A save killed at any point leaves ``directory`` or
    ``NAME.old`` complete (:func:`saved_agent_dir` finds it); the backup is never deleted
    while it is the only complete copy.

    Args:
        agent: the agent.
        directory: its save folder (replaced as a whole once the new save is complete).
        ui_state: JSON-ready facts the app needs on resume, written to ``UI_STATE_FILE``.
    """
    directory = Path(directory)
    old = directory.with_name(directory.name + ".old")
    for stale in directory.parent.glob(f"{directory.name}.tmp*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed save
    tmp = directory.with_name(f"{directory.name}.tmp-{os.getpid()}")
    tmp.mkdir(parents=True)
    try:
        agent.save(tmp)
        if ui_state is not None:
            (tmp / UI_STATE_FILE).write_text(json.dumps(ui_state))
        fsync_tree(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if directory.exists():  # complete (only finished copies are renamed to it)
        if old.exists():
            shutil.rmtree(old)  # not the only complete copy: `directory` is one
        os.replace(directory, old)
    os.replace(tmp, directory)
    fsync_dir(directory.parent)
    shutil.rmtree(old, ignore_errors=True)


def load_ui_state(directory: Path) -> dict[str, Any]:
    """The ``ui_state`` saved with an agent by :func:`save_agent` ({} if none)."""
    path = Path(directory) / UI_STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def saved_agent_dir(directory: Path) -> Path | None:
    """The newest complete save at ``directory`` (or its backup from an interrupted save)."""
    directory = Path(directory)
    for candidate in (directory, directory.with_name(directory.name + ".old")):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    return None


def row_ranges(rows: Any) -> list[list[int]]:
    """Row ids as sorted, merged ``[first, last]`` ranges (compact JSON for ``ui_state``).

    Saved with an agent as the rows it has learnt from, so a resumed session can give it
    back exactly the stored labels it has not seen, whoever wrote them and in whatever
    order their ids came (no single high-water mark).
    """
    out: list[list[int]] = []
    for row in sorted({int(r) for r in rows}):
        if out and row == out[-1][1] + 1:
            out[-1][1] = row
        else:
            out.append([row, row])
    return out


def rows_in(ranges: Any) -> set[int]:
    """The row ids of :func:`row_ranges`' output."""
    return {row for first, last in ranges or () for row in range(int(first), int(last) + 1)}
