"""Loading the learner behind an open window: torch, SB3 and the agent in a background thread.

A person should see something to judge within two seconds of the command (DESIGN.md §7),
and importing torch and Stable-Baselines3 alone takes longer than that on a busy machine.
So the apps open their window first, show what needs only the env (random-policy clips,
the env itself), and build the agent in an :class:`AgentLoader` thread. The loader waits
for the app's go-ahead (the first pair on screen) before it imports anything heavy, so the
UI thread has the CPU while it gets the first frames up; the app polls :meth:`take` each
frame and attaches the agent once it is there.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

LEARNER_MODULES = ("torch", "stable_baselines3")
"""The heavy modules the learner stack imports."""
GO_TIMEOUT = 5.0
"""Seconds the loader waits for the go-ahead before it starts anyway (an env slow to give
its first clips must not keep the learner from loading)."""


@dataclass(frozen=True)
class LoadedAgent:
    """What an :class:`AgentLoader` hands the app."""

    agent: Any
    """The learner."""
    loaded: bool = False
    """It came from the session's last save."""
    train_step: Callable[[], dict[str, Any]] | None = None
    """Its unit of background learning (None: ``agent.update``)."""
    restore_after: int | None = None
    """On resume: give it the stored labels with a row id above this (None: not resuming)."""
    restore_learned: frozenset[int] | None = None
    """On resume: the row ids the saved agent learnt from; every other stored label is given
    back (None: a save without that record, so ``restore_after`` decides)."""


def learner_loaded() -> bool:
    """Whether torch or SB3 has been imported in this process already."""
    return any(name in sys.modules for name in LEARNER_MODULES)


def learner_threads() -> int:
    """Torch threads for the learner: every core but the one the window needs (1-2)."""
    return max(1, min(2, (os.cpu_count() or 2) - 1))


def import_learner_stack(seed: int, sb3: bool = True) -> None:
    """Import torch (and SB3 unless ``sb3`` is False), leave the UI thread a core, seed all."""
    if sb3:
        import stable_baselines3  # noqa: F401  (the learner stack, imported here on purpose)
    import torch

    from hfrl.seeding import seed_everything

    torch.set_num_threads(learner_threads())
    seed_everything(seed)


class AgentLoader:
    """Builds the agent in a background thread once :meth:`go` is called.

    Args:
        build: makes the agent (imports included); runs on the loader thread. Its return
            value is handed over by :meth:`take`.
        seed: seeds torch and NumPy before ``build`` runs.
        mark: called with ``(event, time)`` for ``learner_imported`` and ``agent_ready``.
        sb3: import Stable-Baselines3 too (the live-rating agents need torch only).
    """

    def __init__(
        self,
        build: Callable[[], Any],
        seed: int = 0,
        mark: Callable[[str, float], None] | None = None,
        sb3: bool = True,
    ) -> None:
        self.build = build
        self.sb3 = sb3
        self.seed = seed
        self.mark = mark
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._go = threading.Event()
        self._taken = False
        self._thread = threading.Thread(target=self._run, name="hfrl-loader", daemon=True)
        self._thread.start()

    def go(self) -> None:
        """Let the loader start importing (the app has its first frames up)."""
        self._go.set()

    def take(self) -> Any:
        """The built agent once, when it is ready (None before, and after it was taken).

        Raises:
            BaseException: what ``build`` raised, on the app's thread.
        """
        if self._taken or not self.done.is_set():
            return None
        self._taken = True
        if self.error is not None:
            raise self.error
        return self.result

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the agent is built (headless scripts); return it like :meth:`take`."""
        self.go()
        self.done.wait(timeout)
        return self.take()

    def _run(self) -> None:
        self._go.wait(GO_TIMEOUT)
        try:
            import_learner_stack(self.seed, sb3=self.sb3)
            if self.mark is not None:
                self.mark("learner_imported", time.monotonic())
            self.result = self.build()
            if self.mark is not None:
                self.mark("agent_ready", time.monotonic())
        except BaseException as err:  # handed to the app's thread by take()
            self.error = err
        finally:
            self.done.set()
