"""The progress display of ``hfrl train preference``: an SB3 callback drawing a rich bar.

It shows env steps against the run's budget, labels asked and answered, the reward model's
validation accuracy, the return of recent training episodes (true reward) and the best
greedy evaluation, and the time left; it reads them from the agent's
:class:`~hfrl.agents.preference.stats.PreferenceStats`, at most a few times a second.
Off with ``--no-progress`` and whenever stdout is not a terminal.

>>> from hfrl.training.preference_progress import progress_wanted
>>> progress_wanted(no_progress=True)
False
"""

from __future__ import annotations

import sys
import time
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

REFRESH_SECONDS = 0.25
"""Least time between two redraws."""


def progress_wanted(no_progress: bool = False, stream: Any = None) -> bool:
    """Show progress unless asked not to or ``stream`` (stdout) is not a terminal."""
    stream = sys.stdout if stream is None else stream
    return not no_progress and bool(getattr(stream, "isatty", lambda: False)())


def describe(stats: Any) -> str:
    """One line of what a :class:`PreferenceStats` says, for the bar's text."""
    parts = [f"labels {stats.labels_answered}/{stats.labels_asked}"]
    if stats.val_accuracy is not None:
        parts.append(f"val acc {stats.val_accuracy:.2f}")
    if stats.true_return is not None:
        parts.append(f"return {stats.true_return:.1f}")
    if stats.greedy_return is not None:
        parts.append(f"greedy {stats.greedy_return:.1f}")
    return "  ".join(parts)


class PreferenceProgress(BaseCallback):
    """A rich progress bar over a preference agent's env steps (a learner callback).

    Args:
        agent: The :class:`~hfrl.agents.preference.agent.PreferenceAgent` being trained.
        total_steps: The run's env-step budget.
        title: Text before the bar.
        console: A rich console to draw on (default: stdout's).
    """

    def __init__(self, agent: Any, total_steps: int, title: str, console: Any = None) -> None:
        super().__init__()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.table import Column

        self.agent = agent
        self._start = int(agent.env_steps)
        self._model0: int | None = None
        self._last = 0.0
        self.bar = Progress(
            TextColumn(title),
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TextColumn("steps"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[info]}", table_column=Column(overflow="fold")),
            console=console,
            transient=False,
        )
        self._task = self.bar.add_task("train", total=total_steps, info="")
        self.bar.start()

    def refresh(self, force: bool = False) -> None:
        """Redraw from the agent's statistics (at most every :data:`REFRESH_SECONDS`)."""
        now = time.monotonic()
        if not force and now - self._last < REFRESH_SECONDS:
            return
        self._last = now
        stats = self.agent.stats()
        done = stats.env_steps - self._start
        model = getattr(self, "model", None)
        if model is not None and self._model0 is not None:  # the agent's count lags in a rollout
            done = max(done, model.num_timesteps - self._model0)
        total = self.bar.tasks[0].total or done
        self.bar.update(self._task, completed=min(done, total), info=describe(stats))

    def _on_training_start(self) -> None:
        self._model0 = self.model.num_timesteps - (self.agent.env_steps - self._start)

    def _on_step(self) -> bool:
        self.refresh()
        return True

    def close(self) -> None:
        """Draw the final state and stop the display."""
        self.refresh(force=True)
        self.bar.stop()
