"""The update worker of the deep live agents: queued updates, inline or in a thread.

Deep TAMER and Deep COACH keep ``give()`` cheap by queueing their SGD steps as jobs. An
:class:`UpdateWorker` runs those jobs in order, either inline when the agent's
``update()`` calls :meth:`UpdateWorker.run` (``mode="off"``; deterministic on CPU), or in
a background thread (``"on"``), so acting never waits for learning. ``"auto"`` runs
inline until ``slow_limit`` calls of :meth:`UpdateWorker.run` have each taken longer than
one display frame, then moves to the thread.

While the thread runs, acting reads :attr:`UpdateWorker.act_net`, a copy of the trained
network refreshed after every job; inline, it is the trained network itself.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from torch import nn

from hfrl.errors import HfrlError

WORKER_MODES = ("auto", "on", "off")
"""Where queued updates run: ``"auto"``, ``"on"`` (thread) or ``"off"`` (inline)."""


def check_worker_mode(mode: str, agent: str) -> None:
    """HfrlError unless ``mode`` is one of :data:`WORKER_MODES`."""
    if mode not in WORKER_MODES:
        raise HfrlError(f"{agent} worker must be 'auto', 'on' or 'off', got {mode!r}")


class UpdateWorker:
    """Runs an agent's queued update jobs in order, inline or in a background thread.

    Args:
        net: the network the jobs train (acting reads a snapshot of it once threaded).
        train: runs one job; called with :attr:`lock` held.
        mode: ``"auto"``, ``"on"`` or ``"off"`` (see the module docstring).
        frame_seconds: the time one inline :meth:`run` may take (``"auto"``).
        name: the agent's name, for errors and the thread's name.
        slow_limit: ``"auto"`` moves to the thread after this many slow :meth:`run` calls.
        optional: which jobs the thread may skip when it falls behind (None: none).
        max_optional: at most this many optional jobs run per wake-up of the thread; the
            rest are skipped and counted in :attr:`skipped`.
    """

    def __init__(
        self,
        net: nn.Module,
        train: Callable[[Any], None],
        mode: str,
        frame_seconds: float,
        name: str,
        slow_limit: int = 1,
        optional: Callable[[Any], bool] | None = None,
        max_optional: int | None = None,
    ) -> None:
        check_worker_mode(mode, name)
        self.net = net
        self.act_net = net
        self.mode = mode
        self.frame_seconds = frame_seconds
        self.name = name
        self.slow_limit = slow_limit
        self.lock = threading.Lock()  # guards the net, optimiser and buffer (held to train)
        self.slow_updates = 0
        self.skipped = 0
        self._train = train
        self._optional = optional
        self._max_optional = max_optional
        self._snapshot_lock = threading.Lock()  # guards act_net while it is copied
        self._cv = threading.Condition()  # guards the queue and the thread's state
        self._jobs: deque[Any] = deque()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        if mode == "on":
            self.start()

    # ------------------------------------------------------------------ acting side
    @contextmanager
    def acting(self) -> Iterator[nn.Module]:
        """The network to act with, held still while it is read."""
        with self._snapshot_lock:
            yield self.act_net

    def publish(self) -> None:
        """Copy the trained weights into the acting snapshot (when there is one)."""
        if self.act_net is not self.net:
            with self._snapshot_lock:
                self.act_net.load_state_dict(self.net.state_dict())

    @property
    def threaded(self) -> bool:
        """Jobs run in the background thread."""
        return self._thread is not None

    @property
    def pending(self) -> int:
        """Queued jobs not yet run."""
        with self._cv:
            return len(self._jobs)

    @property
    def idle(self) -> bool:
        """No job queued or running: every queued job has run and been published."""
        with self._cv:
            return not self._jobs and not self._busy

    # ------------------------------------------------------------------ queueing
    def put(self, job: Any) -> None:
        """Queue a job; wake the thread if there is one."""
        with self._cv:
            self._jobs.append(job)
            if self._thread is not None:
                self._cv.notify_all()

    def run(self) -> None:
        """Run the queued jobs inline (``"auto"`` may move them to the thread), or wake the
        thread; re-raise a failure of the thread."""
        self.raise_error()
        if self._thread is not None:
            with self._cv:
                self._cv.notify_all()
            return
        started = time.perf_counter()
        ran = False
        while self._run_next():
            ran = True
        if ran and self.mode == "auto" and time.perf_counter() - started > self.frame_seconds:
            self.slow_updates += 1
            if self.slow_updates >= self.slow_limit:
                self.start()

    def wait(self) -> None:
        """Run (inline) or wait for (thread) every queued job."""
        if self._thread is None:
            while self._run_next():
                pass
        else:
            with self._cv:
                self._cv.notify_all()
                while (self._jobs or self._busy) and self._error is None:
                    self._cv.wait(0.5)
        self.raise_error()

    def close(self) -> None:
        """Finish the queued jobs and stop the thread; acting reads the trained net again."""
        if self._thread is None:
            return
        self.wait()
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        self._thread.join()
        self._thread = None
        with self._snapshot_lock:
            self.act_net = self.net

    def raise_error(self) -> None:
        """Re-raise (once) an exception the thread hit, as a RuntimeError."""
        if self._error is not None:
            err, self._error = self._error, None
            raise RuntimeError(f"{self.name} update thread failed: {err}") from err

    # ------------------------------------------------------------------ running jobs
    def _run_next(self) -> bool:
        """Run the oldest queued job inline; False when there was none."""
        with self._cv:
            if not self._jobs:
                return False
            job = self._jobs.popleft()
        self._run_one(job)
        return True

    def _run_one(self, job: Any) -> None:
        with self.lock:
            self._train(job)
            self.publish()

    def start(self) -> None:
        """Move the jobs to the background thread (idempotent)."""
        if self._thread is not None:
            return
        with self.lock, self._snapshot_lock:
            self.act_net = copy.deepcopy(self.net)
            self.act_net.requires_grad_(False)
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name=f"{self.name}-updates", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._jobs and not self._stopping:
                    self._cv.wait()
                if not self._jobs:  # stopping, nothing left
                    return
                jobs = list(self._jobs)
                self._jobs.clear()
                self._busy = True
            try:
                if self._error is None:
                    self._run_batch(jobs)
            except BaseException as err:  # surfaced to the caller by run() / wait()
                self._error = err
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def _run_batch(self, jobs: list[Any]) -> None:
        """Run one wake-up's jobs in order; optional ones beyond ``max_optional`` are
        skipped, so the thread keeps up with the jobs that matter."""
        optional = 0
        for job in jobs:
            if self._optional is not None and self._optional(job):
                if self._max_optional is not None and optional >= self._max_optional:
                    self.skipped += 1
                    continue
                optional += 1
            self._run_one(job)
