"""The shell both pygame apps share: the frame loop, its limits, key dispatch, notices.

An app subclasses :class:`AppShell` and provides ``open``, ``close``, ``_frame_work``
(what one frame does after the events are handled), ``_command`` (what a known key does)
and ``_draw``. The shell runs the loop of DESIGN.md §7 (events → work → draw →
``clock.tick``), measures each frame's work time, ends the session on Esc/close,
``max_seconds`` or ``max_frames``, re-raises a background learning error, autosaves, and
draws the footer line.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame
from hfrl.human_ui import draw
from hfrl.human_ui.keys import key_name
from hfrl.human_ui.worker import AgentWorker

from hfrl.errors import HfrlError


@dataclass(frozen=True)
class AppConfig:
    """Settings both apps share."""

    fps: float = 30.0
    """Frame rate of the window."""
    max_seconds: float | None = None
    """End the session by itself after this many seconds (saving as on close)."""
    max_frames: int | None = None
    """Stop after this many frames (tests and benchmarks)."""
    autosave_seconds: float = 60.0
    """Save the agent in the background this often (feedback is stored at once anyway)."""
    max_feedback: int | None = None
    """End the session by itself once this many answers (compare) or ratings (teach) were
    given in this run (tests and benchmarks wait on this event, not on a clock)."""


@dataclass
class AppResult:
    """What a session did (returned by :meth:`AppShell.run`)."""

    frames: int = 0
    """Frames drawn."""
    frame_ms: list[float] = field(default_factory=list)
    """Work time of each frame (events, work, drawing), without the tick's sleep."""
    latency_ms: list[float] = field(default_factory=list)
    """Key press (event posted / read) to the feedback reaching its destination."""
    saved_to: Path | None = None
    """Where the agent was saved on the way out (None if it could not be)."""
    ended_by: str = ""
    """``"quit"``, ``"max_seconds"``, ``"max_frames"`` or ``"max_feedback"``."""
    events: dict[str, float] = field(default_factory=dict)
    """Start-up milestones (``window``, ``first_pair``, ``learner_imported``,
    ``agent_ready``...): ``time.monotonic()`` of the first time each happened."""


NOTICE_SECONDS = 2.5
"""How long a notice stays in the footer."""


class AppShell(ABC):
    """Frame loop, limits, key dispatch, notices and screenshots of a pygame app.

    Subclasses set, before :meth:`run`: ``config`` (an :class:`AppConfig`), ``result`` (an
    :class:`AppResult`), ``worker`` (an :class:`AgentWorker`), ``agent_dir``, ``session`` and ``demo`` (a demo
    teacher posting keys, or None) — :meth:`_init_shell` sets the plain ones.
    """

    config: AppConfig
    result: AppResult
    worker: AgentWorker
    agent_dir: Path
    demo: Any
    help_text: str = ""
    """Key help shown in the footer when there is nothing to say."""

    def _init_shell(self, session: Any, agent_dir: Path) -> None:
        self.session = session
        self.agent_dir = Path(agent_dir)
        self.screen: pygame.Surface | None = None
        self.headless = True
        self.clock: pygame.time.Clock | None = None
        self.notice: tuple[str, float] | None = None
        self._quit = False
        self._last_save = time.monotonic()
        self.run_seconds = 0.0
        """How long the last :meth:`run` lasted, saving on the way out not included."""

    # ------------------------------------------------------------------ hooks
    @abstractmethod
    def open(self) -> None:
        """Open the window and start the worker."""

    @abstractmethod
    def close(self) -> None:
        """Stop learning and save (called once, however the loop ended)."""

    @abstractmethod
    def _frame_work(self, now: float) -> None:
        """One frame's work after the events (stepping, releasing labels)."""

    @abstractmethod
    def _command(self, cmd: Any, event: pygame.event.Event) -> None:
        """Do what the key ``cmd`` (a known one) means."""

    @abstractmethod
    def _key_command(self, event: pygame.event.Event) -> Any:
        """The command of a key event, or None for a key that does nothing here."""

    @abstractmethod
    def _draw(self) -> None:
        """Draw the whole window and flip it."""

    def _before_events(self, now: float) -> None:
        """Work due before the key events are read (e.g. showing the next pair)."""
        del now  # nothing by default

    @property
    def frame_rate(self) -> float:
        """The loop's target frames per second."""
        return float(self.config.fps)

    def feedback_count(self) -> int:
        """Answers or ratings given in this run (what ``max_feedback`` counts)."""
        for name in ("labels", "ratings"):
            n = getattr(self.result, name, None)
            if n is not None:
                return int(n)
        return 0

    def mark(self, event: str, when: float | None = None) -> None:
        """Record the first time ``event`` happened (see :attr:`AppResult.events`)."""
        self.result.events.setdefault(event, time.monotonic() if when is None else when)

    # ------------------------------------------------------------------ loop
    def run(self, before_frame: Callable[[Any], None] | None = None) -> Any:
        """Run until Esc/close, ``max_seconds`` or ``max_frames``; save; return the result.

        Args:
            before_frame: called with the app at the start of every frame (scripts post key
                events here).
        """
        if self.screen is None:
            self.open()
        start = time.monotonic()
        cfg = self.config
        try:
            while not self._quit:
                if before_frame is not None:
                    before_frame(self)
                t0 = time.perf_counter()
                self._frame()
                self.result.frame_ms.append((time.perf_counter() - t0) * 1000)
                self.result.frames += 1
                if self.worker.error is not None:
                    raise HfrlError(
                        f"learning failed in the background: {self.worker.error!r}"
                    ) from self.worker.error
                if cfg.max_seconds is not None and time.monotonic() - start >= cfg.max_seconds:
                    self.result.ended_by = "max_seconds"
                    break
                if cfg.max_frames is not None and self.result.frames >= cfg.max_frames:
                    self.result.ended_by = "max_frames"
                    break
                if cfg.max_feedback is not None and self.feedback_count() >= cfg.max_feedback:
                    self.result.ended_by = "max_feedback"
                    break
                assert self.clock is not None
                self.clock.tick(self.frame_rate)
            else:
                self.result.ended_by = "quit"
        finally:
            self.run_seconds = time.monotonic() - start
            self.close()
        return self.result

    def _frame(self) -> None:
        now = time.monotonic()
        self._before_events(now)
        if self.demo is not None:
            self.demo.post_due(now)
        for event in pygame.event.get():
            self._handle(event)
        if self._quit:
            return
        self._frame_work(now)
        if time.monotonic() - self._last_save >= self.config.autosave_seconds:
            self.request_save()
        self._draw()

    def _handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self._quit = True
            return
        if event.type != pygame.KEYDOWN:
            return
        cmd = self._key_command(event)
        if cmd is None:
            self._say(f"key '{key_name(event)}' does nothing here - keys are listed below")
        else:
            self._command(cmd, event)

    def request_save(self) -> None:
        """Ask the worker to save the agent soon (in the background)."""
        self.worker.request_save(self.agent_dir)
        self._last_save = time.monotonic()

    def _say(self, message: str) -> None:
        self.notice = (message, time.monotonic())

    # ------------------------------------------------------------------ drawing
    def teacher_label(self) -> str:
        """Who presses the keys, as shown in the window."""
        who = "you" if self.demo is None else f"simulated '{self.demo.name}' (demo)"
        return f"teacher: {who}"

    def _draw_footer(
        self, rect: pygame.Rect, now: float, status: tuple[str, Any] | None = None
    ) -> None:
        """The footer: a fresh notice, else ``status`` (text, colour), else the key help."""
        screen = self.screen
        assert screen is not None
        pygame.draw.rect(screen, (18, 19, 24), rect)
        if self.notice is not None and now - self.notice[1] < NOTICE_SECONDS:
            text, color = self.notice[0], draw.NEUTRAL
        elif status is not None:
            text, color = status
        else:
            text, color = self.help_text, draw.DIM
        draw.text(screen, text, (rect.x + 12, rect.centery), 20, color, anchor="midleft")

    def screenshot(self, path: str | Path) -> Path:
        """Save the window as a PNG."""
        assert self.screen is not None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self.screen, str(path))
        return path


def prior_counts(session: Any) -> dict[str, int]:
    """The session's stored feedback counts (empty for a session object without counts)."""
    counts = session.counts() if hasattr(session, "counts") else {}
    return {k: int(v) for k, v in counts.items()}
