"""The clip-comparison app: two clips side by side, the person picks the better one.

pygame owns the main thread: key events → draw both clips at the frame their shared loop
clock has reached → ``clock.tick(fps)``. The preference agent and its SB3 learner train in
a worker thread (``agent.update()`` in a loop, :mod:`hfrl.human_ui.worker`); the two
sides meet only in the agent's thread-safe query queue (``next_query`` / ``answer``, see
:class:`hfrl.agents.preference.labels.QueryQueue`) and in the typed statistics record the
agent reports (``agent.stats()``). The agent keeps the queue filled with the pairs its
reward ensemble disagrees on most.

Start-up (DESIGN.md §7): the window opens before torch and the learner load. Until the
agent is ready (built by an :class:`~hfrl.human_ui.startup.AgentLoader` thread) the queue is
filled with pairs of random-policy clips made from the env alone
(:class:`~hfrl.human_ui.clips.RandomPairs`); answers given meanwhile are stored at once and
reach the agent when it starts learning. Every pair shown passes the pair rule of
:mod:`hfrl.human_ui.clips`.

The learner renders nothing on envs whose picture follows from the observation (classic
control): the app draws the frames of the next pairs from their observations in each
frame's spare time (:class:`~hfrl.human_ui.obs_frames.ClipPainter`), so the person's next
pair is ready at the answer and the learner keeps its CPU. Each frame sends the display
only the parts of the window that changed.

After each answer the footer says whether the reward model already agreed with it (its
P(left ≻ right) for that pair just before the answer), and keeps the agreement over the
last 20 answers and a small curve of the agent's greedy return.

A key press becomes a :class:`~hfrl.types.Preference` stamped with ``time.monotonic()``
and is committed to the feedback store at once. It is handed to the agent a moment later
(on the next answer, or after ``undo_seconds``), so backspace can take it back before the
reward model has seen it; an undone label is retracted in the store and its pair shown
again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pygame
from hfrl.human_ui import draw
from hfrl.human_ui.app import NOTICE_SECONDS, AppConfig, AppResult, AppShell, prior_counts
from hfrl.human_ui.clips import same_frames
from hfrl.human_ui.demo import PreferenceDemo
from hfrl.human_ui.keys import COMPARE_HELP, CompareKey, compare_key
from hfrl.human_ui.layout import (
    CLIP_BOX,
    FOOTER_H,
    GAP,
    HEADER_H,
    LEARNED_H,
    PROGRESS_H,
    compare_window_size,
)
from hfrl.human_ui.window import open_window
from hfrl.human_ui.worker import AgentWorker, row_ranges, save_agent

from hfrl.errors import HfrlError
from hfrl.types import EQUAL, LEFT, RIGHT, Preference

LABEL_OF: dict[CompareKey, float | None] = {
    CompareKey.LEFT: LEFT,
    CompareKey.RIGHT: RIGHT,
    CompareKey.EQUAL: EQUAL,
    CompareKey.SKIP: None,
}
WORDS: dict[float | None, str] = {
    LEFT: "left is better",
    RIGHT: "right is better",
    EQUAL: "equal",
    None: "skipped",
}

AGREEMENT_WINDOW = 20
"""Answers the footer's agreement figure covers."""
EQUAL_BAND = 0.1
"""An "equal" answer agrees with the model when its P(left ≻ right) is within this of ½."""
BOOTSTRAP_WAITING = 3
"""Random-policy pairs kept waiting while the learner loads."""
HAND_OVER_BATCH = 5
"""After the first, labels are handed to the agent in batches of at least this many ..."""
HAND_OVER_SHARE = 0.05
"""... or this share of the labels it has, if more (each hand-over refits the reward)."""
HAND_OVER_SECONDS = 15.0
"""No label waits longer than this before it is handed to the agent."""
VERDICT_SECONDS = 2.0
"""How long the verdict on the last answer stays in the footer."""
PAINT_AHEAD = 2
"""Pairs taken from the queue and drawn ahead of time (with a painter), so the next pair
is ready the moment the person answers."""
PAINT_SHARE = 0.4
"""Share of a frame's time the app spends drawing upcoming clips or making random ones."""


def without_frames(q: Any) -> Any:
    """A query whose clips drop their display frames (the answer needs only its id)."""
    if q.left.frames is None and q.right.frames is None:
        return q
    return dataclasses.replace(
        q,
        left=dataclasses.replace(q.left, frames=None),
        right=dataclasses.replace(q.right, frames=None),
    )


def model_agrees(p_left: float, label: float) -> bool:
    """Whether a model giving P(left ≻ right) = ``p_left`` agrees with answer ``label``.

    A strict answer agrees when the model gave it more than ½; an "equal" answer when the
    model was within :data:`EQUAL_BAND` of ½.
    """
    if label == EQUAL:
        return abs(p_left - 0.5) <= EQUAL_BAND
    return (p_left > 0.5) == (label == LEFT)


@dataclass(frozen=True)
class Verdict:
    """What the reward model thought of a pair just before the person answered it."""

    label: float
    """The person's answer (1 left, 0 right, ½ equal)."""
    p_left: float
    """The model's P(left ≻ right) just before the answer."""
    agreed: bool
    """:func:`model_agrees` of the two."""
    t: float
    """When the answer was given."""


@dataclass(frozen=True)
class CompareConfig(AppConfig):
    """Settings of the clip-comparison app."""

    clip_fps: float = 30.0
    """Rate the clips play at (the env's own rate shows them in real time)."""
    loop_pause: float = 0.5
    """Seconds both clips hold their last frame before looping."""
    undo_seconds: float = 3.0
    """A label reaches the agent after this long (or at the next label); until then
    backspace takes it back."""
    update_period: float = 0.0
    """Seconds the worker rests between ``update()`` calls (0: back to back)."""
    eval_seconds: float = 0.0
    """Measure the agent's greedy return this often, for the footer's curve (0: never;
    the app needs an ``evaluate`` callable too)."""


@dataclass
class CompareResult(AppResult):
    """What a comparison session did; ``latency_ms`` is key press to label stored."""

    labels: int = 0
    """Answers given in this run (skips included), minus undone ones."""
    undone: int = 0
    """Labels taken back with backspace."""
    answered_at: list[float] = field(default_factory=list)
    """When each answer of this run was given (``time.monotonic()``; undone ones removed)."""
    first_pair_s: float | None = None
    """Seconds from the window opening to the first pair on screen."""
    waits_s: list[float] = field(default_factory=list)
    """After the first pair: each time the screen had no pair, how long until the next."""
    waiting_frames: int = 0
    """Frames drawn after the first pair with no pair on screen (the waiting screen)."""
    random_pairs: int = 0
    """Pairs of random-policy clips the app made itself (start-up, or an empty queue)."""
    learner_loaded_at_first_pair: bool | None = None
    """Whether torch or SB3 had been imported when the first pair went on screen."""
    frames_before_agent: int = 0
    """Frames drawn before the agent was attached (start-up; torch's import stalls some)."""
    steps_shown: int | None = None
    """The panel's "agent training steps" when the session closed (the agent's own count)."""
    verdicts: list[Verdict] = field(default_factory=list)
    """The model's view of each answered pair, just before the answer (none before it
    could predict)."""


class _SegmentSaver:
    """Stores the segments of upcoming queries in the background (compression is slow)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hfrl-segments", daemon=True)
        self._thread.start()

    def put(self, *segments: Any) -> None:
        for s in segments:
            self._q.put(s)

    def stop(self) -> None:
        self._q.put(None)
        self._thread.join(30)

    def _run(self) -> None:
        store = getattr(self.session, "store", None)
        while True:
            seg = self._q.get()
            if seg is None or store is None:
                return
            # on failure the label's own write stores the segment again, and reports errors
            with contextlib.suppress(Exception):
                store.put_segment(seg)


class LearnInChunks:
    """Background learning for the preference agent: ``learn()`` one chunk at a time.

    Before each chunk the queue is topped up to ``target_waiting`` pairs nobody has seen
    yet: first from the agent's pool of recent clips (``request_labels``, picked by
    ensemble disagreement), and what the pool cannot give is asked of the chunk itself
    (``agent.learn(steps, source=queries, labels=n)``, which also takes in the answers at
    its rollout ends). Chunks last about ``chunk_seconds`` whatever the machine's speed
    (their step count follows the measured rate, between ``first_chunk_steps`` and
    ``chunk_steps``), so fresh pairs and the person's answers meet every few seconds.
    """

    def __init__(
        self,
        agent: Any,
        queries: Any,
        chunk_steps: int = 4096,
        target_waiting: int = 6,
        first_chunk_steps: int = 256,
        chunk_seconds: float = 2.0,
    ) -> None:
        self.agent = agent
        self.queries = queries
        self.chunk_steps = max(1, chunk_steps)
        self.min_steps = max(1, min(first_chunk_steps, self.chunk_steps))
        self.chunk_seconds = chunk_seconds
        self.target_waiting = target_waiting
        self.next_chunk = self.min_steps
        self.env_steps = int(getattr(agent, "env_steps", 0))
        self.stats: dict[str, float] = {}
        self.taken: Callable[[], int] = lambda: 0
        """Queries the app has taken from the queue and not answered to it yet (on screen,
        or labelled and held for undo); :class:`CompareApp` sets it."""

    def unseen(self) -> int:
        """Pairs waiting in the queue that nobody has seen yet."""
        return max(0, int(self.queries.pending()) - int(self.taken()))

    def __call__(self) -> dict[str, float]:
        want = max(0, self.target_waiting - self.unseen())
        request = getattr(self.agent, "request_labels", None)
        if want and callable(request):
            want -= int(request(want, self.queries))
        t0 = time.perf_counter()
        out = self.agent.learn(self.next_chunk, source=self.queries, labels=want)
        seconds = time.perf_counter() - t0
        steps = int(out.get("env_steps", 0))
        self.env_steps += steps
        if steps > 0 and seconds > 0:  # the next chunk lasts about chunk_seconds
            rate = steps / seconds
            self.next_chunk = int(
                min(self.chunk_steps, max(self.min_steps, rate * self.chunk_seconds))
            )
        flat = {k: float(v) for k, v in out.items() if isinstance(v, (int, float))}
        flat["queries_unseen"] = float(self.unseen())
        self.stats.update(flat)
        return dict(self.stats)


class CompareApp(AppShell):
    """Clip comparison for the preference agent (or any agent feeding a query queue).

    Args:
        agent: the learner, trained in a worker thread through ``update()``; on resume the
            stored labels it has not seen are given to it with ``give``. None when a
            ``loader`` builds it in the background.
        queries: the agent's query queue (``next_query``, ``answer``, ``put_back``,
            ``pending``).
        env_id: shown in the title.
        session: the feedback-store session labels are written to.
        agent_dir: where the agent is saved.
        config: app settings.
        teacher: a simulated :class:`~hfrl.protocols.PreferenceTeacher` pressing the keys
            (demo mode), or None.
        agent_name: shown in the title.
        train_step: one unit of background learning (default ``agent.update``; for the
            preference agent, :class:`LearnInChunks`).
        loader: builds the agent off the UI thread
            (:class:`~hfrl.human_ui.startup.AgentLoader` returning a
            :class:`~hfrl.human_ui.startup.LoadedAgent`); told to go once the first pair
            is on screen.
        random_pairs: makes random-policy pairs from the env alone
            (:class:`~hfrl.human_ui.clips.RandomPairs`), used until the agent gives pairs
            and whenever the queue runs dry.
        evaluate: returns the agent's greedy return (run on the worker thread every
            ``config.eval_seconds``).
        painter: draws the frames of the agent's pairs from their observations
            (:class:`~hfrl.human_ui.obs_frames.ClipPainter`), when its learner renders
            none; None: the pairs come with their frames.
    """

    help_text = COMPARE_HELP

    def __init__(
        self,
        agent: Any,
        queries: Any,
        env_id: str,
        session: Any,
        agent_dir: Path,
        config: CompareConfig | None = None,
        teacher: Any = None,
        agent_name: str = "preference",
        train_step: Callable[[], dict[str, Any]] | None = None,
        loader: Any = None,
        random_pairs: Any = None,
        evaluate: Callable[[Any], float] | None = None,
        painter: Any = None,
    ) -> None:
        self._init_shell(session, agent_dir)
        self.painter = painter
        self.ready: deque[Any] = deque()
        """Pairs taken from the queue with their frames drawn, shown next."""
        self.queries = queries
        self.env_id = env_id
        self.config = config or CompareConfig()
        self.demo = PreferenceDemo(teacher) if teacher is not None else None
        self.agent_name = agent_name
        self.loader = loader
        self.random_pairs = random_pairs
        self.evaluate = evaluate
        self.agent: Any = None
        self.train_step: Callable[[], dict[str, Any]] | None = None
        self.worker = AgentWorker(None, train_step=dict)  # never started; see attach()
        self.released_row = 0
        """Store row id of the newest label handed to the agent's queue."""
        self.restored_upto = 0
        """Labels up to this row id were given to the agent on resume."""
        self.run_rows: set[int] = set()
        """Row ids of the labels given in this run (not undone); the agent gets them through
        the queue, so a resume that attaches the agent late must not give them again."""
        self.given_rows: set[int] = set()
        """Row ids of every stored label handed to the agent (saved as ``label_rows``)."""
        self.restored = 0
        """Stored labels given back to the agent on resume."""
        self.loaded = False
        """The agent came from the session's last save."""
        self.saver = _SegmentSaver(session)
        self.result = CompareResult()
        self.current: Any = None
        self.shown_at = 0.0
        self.held: deque[tuple[Any, float | None, float, int]] = deque()
        """Labels given and still open to undo: (query, label, time, store row)."""
        self.outbox: deque[tuple[Any, float | None, float, int]] = deque()
        """Labels past undo, handed to the agent by the worker before its next update."""
        self.redo: deque[Any] = deque()
        self.flash: tuple[float | None, float] | None = None
        self.agreement: deque[bool] = deque(maxlen=AGREEMENT_WINDOW)
        """Whether the model agreed with each of the last answers it could judge."""
        self.returns: list[tuple[int, float]] = []
        """(agent env steps, greedy return) measured so far, for the footer's curve."""
        self.record: Any = None
        """The agent's last statistics record (``agent.stats()``), read on the worker."""
        self._next_eval = 0.0
        prior = prior_counts(session)
        self.prior_labels = prior.get("preferences", 0) + prior.get("skips", 0)
        self._opened_at = time.monotonic()
        self._empty_since: float | None = None
        self._surf_cache: dict[tuple[str, int], pygame.Surface] = {}
        self._shown_regions: list[Any] | None = None
        """What each part of the window showed when it was last sent to the display."""
        if agent is not None:
            self._use_agent(agent, train_step)

    # ------------------------------------------------------------------ the agent
    def _use_agent(self, agent: Any, train_step: Callable[[], dict[str, Any]] | None) -> None:
        """Make ``agent`` the learner: its worker (not started yet) and its train step."""
        self.agent = agent
        self.train_step = train_step or agent.update
        self.worker = AgentWorker(
            agent,
            idle_period=max(self.config.update_period, 1e-3),
            ui_state=lambda: {
                "last_label_row": int(self.worker.updated_mark or self.restored_upto),
                "label_rows": row_ranges(self.given_rows),
            },
            train_step=self._train_once,
        )
        self.worker.mark = self._deliver
        if isinstance(train_step, LearnInChunks):
            train_step.taken = self.taken
        self._read_record()

    def attach_now(self, loaded: Any) -> None:
        """Take the agent before the run (a ``LoadedAgent``); it starts with the window."""
        self._take_agent(loaded)

    def attach(self, loaded: Any) -> None:
        """Start learning, mid-run, with the agent the loader built (a ``LoadedAgent``)."""
        self._take_agent(loaded)
        self.mark("agent_ready")
        self.result.frames_before_agent = self.result.frames
        self.worker.start()
        self.worker.request_update()

    def _take_agent(self, loaded: Any) -> None:
        """Use ``loaded.agent``; on resume give it the stored labels it has not learnt from."""
        self._use_agent(loaded.agent, loaded.train_step)
        self.loaded = bool(loaded.loaded)
        if loaded.restore_after is not None:
            learned = getattr(loaded, "restore_learned", None)
            self.restored = self.restore_labels(loaded.restore_after, learned)

    def _train_once(self) -> dict[str, Any]:
        """The worker's unit of work: a train step, the agent's record, the curve point due."""
        assert self.train_step is not None
        stats = self.train_step() or {}
        self._read_record()
        now = time.monotonic()
        if self.evaluate is not None and self.config.eval_seconds > 0 and now >= self._next_eval:
            self._next_eval = now + self.config.eval_seconds
            self.returns.append((self.steps_trained() or 0, float(self.evaluate(self.agent))))
        return stats

    def _read_record(self) -> None:
        stats = getattr(self.agent, "stats", None)
        self.record = stats() if callable(stats) else None

    def steps_trained(self) -> int | None:
        """The agent's own env-step count, from its statistics record (None before)."""
        steps = getattr(self.record, "env_steps", None)
        return None if steps is None else int(steps)

    def predict(self, left: Any, right: Any) -> float | None:
        """The reward model's P(left ≻ right) now, or None if it cannot tell yet."""
        judge = getattr(self.agent, "preference_probability", None)
        if not callable(judge):
            return None
        p = judge(left, right)
        return None if p is None or not np.isfinite(p) else float(p)

    # ------------------------------------------------------------------ resume
    def restore_labels(self, after: int = 0, learned: Any = None) -> int:
        """Give the agent the session's stored labels it has not learnt from; return how many.

        Used on resume: labels given before a close or a crash are read back from the store.
        With ``learned`` (the row ids saved with the agent) every other stored label is given
        back, wherever its id falls; without it, the labels with row id > ``after``.
        """
        records = self.session.store.preference_records(self.session)
        n = 0
        with self.worker.lock:
            for rec in records:
                if rec.id in self.run_rows:  # given in this run: it reaches the agent anyway
                    continue
                if (rec.id not in learned) if learned is not None else (rec.id > after):
                    self.agent.give(rec.preference)
                    n += 1
            self.given_rows.update(r.id for r in records)
            self.restored_upto = max([after, *(r.id for r in records)])
        return n

    # ------------------------------------------------------------------ life cycle
    def open(self) -> None:
        """Open the window (or take the one the launcher opened) and start learning."""
        self.screen, self.headless = open_window(
            compare_window_size(), f"hfrl compare - {self.agent_name} on {self.env_id}"
        )
        self.clock = pygame.time.Clock()
        self.mark("window")  # kept if the launcher opened the window earlier
        self._opened_at = self.result.events["window"]
        if self.agent is not None:
            self.worker.start()
        elif self.loader is None:
            raise HfrlError("the compare app needs an agent or a loader that builds one")

    def close(self) -> None:
        """Stop learning, give the agent every label it has not taken in, save it.

        Answers still in the queue and labels still held are given with ``agent.give``,
        so the save holds every label of the session and records the newest row in it.
        A session closed before the agent was ready keeps its labels in the store only
        (the next run gives them back).
        """
        self.mark("closing")
        if self.agent is None and self.loader is not None:
            loaded = self.loader.wait(timeout=300)
            if loaded is not None:
                self._take_agent(loaded)
        self.worker.stop(timeout=120)
        if self.current is not None:
            self.queries.put_back(self.current)
            self.current = None
        ahead = [*self.ready, *(self.painter.queries() if self.painter is not None else ())]
        for q in reversed(ahead):
            self.queries.put_back(q)
        self.ready.clear()
        if self.painter is not None:
            self.painter.clear()
        self.saver.stop()
        if self.agent is None or self.worker.error is not None:
            return
        with self.worker.lock:
            self._deliver(force=True)
            late = list(self.queries.poll())
            late += [Preference(q.left, q.right, v, t, "human") for q, v, t, _ in self.held]
            newest = max([self.released_row, *(row for *_, row in self.held)])
            self.given_rows.update(row for *_, row in self.held)
            self.held.clear()
            for pref in late:
                self.agent.give(pref)
            if late:
                self.agent.update()
            self._read_record()
            self.result.steps_shown = self.steps_trained()
            self.worker.updated_mark = max(newest, self.restored_upto)
            save_agent(self.agent, self.agent_dir, self.worker.ui_state())  # type: ignore[misc]
        self.result.saved_to = self.agent_dir

    # ------------------------------------------------------------------ one frame
    def _before_events(self, now: float) -> None:
        if self.agent is None and self.loader is not None:
            loaded = self.loader.take()  # raises what the loader raised
            if loaded is not None:
                self.attach(loaded)
        if self.held and now - self.held[-1][2] >= self.config.undo_seconds:
            self._release_held(keep_last=False)
        if self.current is None:
            self._next_query(now)

    def _frame_work(self, now: float) -> None:
        if self.current is None:  # answered this frame: the next pair, before drawing
            self._next_query(now)
        budget = PAINT_SHARE / self.frame_rate  # leave the frame its drawing time
        if self.painter is not None:
            self._paint_ahead(budget)
        if self.random_pairs is not None and self._needs_random_pairs():
            self.random_pairs.work(budget)
            self.result.random_pairs = self.random_pairs.pairs

    def _paint_ahead(self, seconds: float) -> None:
        """Take the next pairs from the queue and draw their frames in the frame's spare time."""
        painter = self.painter
        while len(self.ready) + len(painter) < PAINT_AHEAD:
            q = self.queries.next_query(timeout=0.0)
            if q is None:
                break
            if q.left.frames is not None and q.right.frames is not None:
                self.ready.append(q)  # random-policy pairs come drawn
            else:
                painter.start(q)
        for q in painter.work(seconds):
            self._take_painted(q)

    def _take_painted(self, q: Any) -> bool:
        """Keep a painted pair to show, unless its two clips look the same (then drop it)."""
        if same_frames(q.left, q.right):
            self.queries.discard(q, "two clips whose frames are all equal")
            return False
        self.ready.append(q)
        return True

    def _needs_random_pairs(self) -> bool:
        """Random pairs are made while the learner loads, and when its pairs ran out.

        Then the person is looking at the last pair there is: the app makes the next one in
        the frames' spare time (and at once, should the queue be empty at an answer).
        """
        unseen = self.unseen()
        if self.agent is None:
            return unseen < BOOTSTRAP_WAITING
        return unseen == 0

    def unseen(self) -> int:
        """Pairs waiting in the queue that nobody has seen yet."""
        return max(0, int(self.queries.pending()) - self.taken())

    def _next_query(self, now: float) -> None:
        q = self._pop_next()
        if q is None and self.random_pairs is not None and self.random_pairs.make_pair():
            # the first pair, or a queue run dry: a random-policy pair now, not a waiting screen
            self.result.random_pairs = self.random_pairs.pairs
            q = self.queries.next_query(timeout=0.0)
        if q is None:
            if self._empty_since is None:
                self._empty_since = now
            return
        if self.result.first_pair_s is None:
            from hfrl.human_ui.startup import learner_loaded

            self.result.learner_loaded_at_first_pair = learner_loaded()
            self.mark("first_pair")
            self.result.first_pair_s = self.result.events["first_pair"] - self._opened_at
            if self.loader is not None:
                self.loader.go()
        elif self._empty_since is not None:
            self.result.waits_s.append(now - self._empty_since)
        self._empty_since = None
        self.current = q
        self.shown_at = now
        self._surf_cache.clear()
        self.saver.put(q.left, q.right)
        if self.demo is not None:
            self.demo.show(q.left, q.right, now)

    def _pop_next(self) -> Any:
        """The next pair to show, with its frames: an undone one, a painted one, the queue's.

        With a painter and nothing drawn ahead, the pair being drawn (else the queue's next)
        is finished now: the person is waiting.
        """
        if self.redo:
            return self.redo.popleft()
        painter = self.painter
        while not self.ready:
            if painter is not None and not len(painter):
                q = self.queries.next_query(timeout=0.0)
                if q is None:
                    return None
                if q.left.frames is not None and q.right.frames is not None:
                    return q
                painter.start(q)
            if painter is None:
                return self.queries.next_query(timeout=0.0)
            q = painter.finish()
            if q is not None:
                self._take_painted(q)
        return self.ready.popleft()

    def _key_command(self, event: pygame.event.Event) -> CompareKey | None:
        return compare_key(event)

    def _command(self, cmd: CompareKey, event: pygame.event.Event) -> None:
        if cmd is CompareKey.QUIT:
            self._quit = True
        elif cmd is CompareKey.UNDO:
            self.undo()
        elif self.current is None:
            self._say("no pair on screen yet - the clips are still being made")
        else:
            posted = getattr(event, "posted_at", None)
            self.label(LABEL_OF[cmd], source=getattr(event, "source", "human"), pressed_at=posted)

    def label(
        self, value: float | None, source: str = "human", pressed_at: float | None = None
    ) -> Preference:
        """Answer the pair on screen: commit to the store now, hand to the agent soon.

        The reward model's prediction for the pair is read right after the store write,
        before the agent can have seen the answer (it is held for undo first).
        """
        q = self.current
        if q is None:
            raise HfrlError("no pair is on screen to label")
        t = time.monotonic()
        pref = Preference(q.left, q.right, value, t, source)
        row = self.session.add(pref)  # committed before we go on
        self.run_rows.add(row)
        done = time.monotonic()
        self.result.latency_ms.append((done - (pressed_at if pressed_at is not None else t)) * 1000)
        if value is not None:
            p = self.predict(q.left, q.right)
            if p is not None:
                verdict = Verdict(float(value), p, model_agrees(p, float(value)), t)
                self.result.verdicts.append(verdict)
                self.agreement.append(verdict.agreed)
        self.held.append((q, value, t, row))
        self.result.answered_at.append(t)
        self._release_held(keep_last=True)
        self.current = None
        self.result.labels += 1
        self.flash = (value, t)
        return pref

    def undo(self) -> bool:
        """Take back the last label if the agent has not had it yet; show its pair again."""
        if not self.held:
            self._say("nothing to undo (a label reaches the agent a few seconds after it is given)")
            return False
        q, value, t, row = self.held.pop()
        self.session.store.retract("preference", row)
        self.run_rows.discard(row)
        self.result.labels -= 1
        self.result.undone += 1
        if t in self.result.answered_at:
            self.result.answered_at.remove(t)
        verdicts = self.result.verdicts
        if verdicts and verdicts[-1].t == t:
            verdicts.pop()
            if self.agreement:
                self.agreement.pop()
        if self.current is not None:
            self.redo.append(self.current)
            self.current = None
        self.redo.appendleft(q)
        if self.demo is not None:
            self.demo.cancel()
        self._say(f"undone: '{WORDS[value]}' - the pair is shown again")
        return True

    def _release_held(self, keep_last: bool) -> None:
        """Move labels past undo to the outbox, and wake the worker to hand them over."""
        keep = 1 if keep_last else 0
        if len(self.held) <= keep:
            return
        while len(self.held) > keep:
            q, value, t, row = self.held.popleft()
            self.outbox.append((without_frames(q), value, t, row))  # past undo: not shown again
        self.worker.request_update()

    def _deliver(self, force: bool = False) -> int:
        """Answer the outbox's labels to the agent's queue; the newest row it has been given.

        The worker calls this under the agent lock right before each update (it is the
        worker's :attr:`~hfrl.human_ui.worker.AgentWorker.mark`), so an update takes in
        every label delivered before it started and none later: the row saved with the
        agent says exactly which labels it has learnt from, and the UI thread never waits
        for learning to hand a label over. Before the agent is ready the labels wait here.

        Every hand-over refits the reward model (a few hundred gradient steps, seconds on
        a busy machine): handing each answer over at once left the learner fitting most of
        the time. So the first label goes at once, then labels go in batches
        (:data:`HAND_OVER_BATCH`, or :data:`HAND_OVER_SHARE` of those it holds), or once
        the oldest has waited :data:`HAND_OVER_SECONDS`. ``force`` hands every label over
        now (closing).
        """
        if self.outbox and not force and self.given_rows:
            due = max(HAND_OVER_BATCH, round(HAND_OVER_SHARE * len(self.given_rows)))
            waited = time.monotonic() - self.outbox[0][2]
            if len(self.outbox) < due and waited < HAND_OVER_SECONDS:
                return max(self.released_row, self.restored_upto)
        while self.outbox:
            q, value, _, row = self.outbox.popleft()
            self.queries.answer(q, value)
            self.released_row = row
            self.given_rows.add(row)
        return max(self.released_row, self.restored_upto)

    def taken(self) -> int:
        """Queries taken from the queue and not answered to it yet (drawn ahead, screen,
        undo, outbox)."""
        ahead = len(self.ready) + (len(self.painter) if self.painter is not None else 0)
        return ahead + (self.current is not None) + len(self.held) + len(self.outbox)

    # ------------------------------------------------------------------ drawing
    def clip_index(self, now: float, length: int) -> int:
        """The frame both clips show at ``now``: they loop in sync, holding the end briefly."""
        period = length / self.config.clip_fps + self.config.loop_pause
        t = (now - self.shown_at) % period
        return min(length - 1, int(t * self.config.clip_fps))

    def _clip(self, side: str, seg: Any, i: int) -> pygame.Surface | None:
        frames = seg.frames
        if frames is None:
            return None
        i = min(i, len(frames) - 1)
        key = (side, i)
        surf = self._surf_cache.get(key)
        if surf is None:
            surf = draw.frame_surface(frames[i], CLIP_BOX)
            if len(self._surf_cache) > 400:
                self._surf_cache.clear()
            self._surf_cache[key] = surf
        return surf

    def status_line(self) -> str:
        """What is happening, in words (shown under the title)."""
        if self.agent is None:
            what = "loading the learner (torch, SB3)" if self.loader is not None else "starting"
            return f"{what}; meanwhile clips of a random policy"
        if self.current is not None and self.current.left.frames is not None:
            return f"{self.agent_name} on {self.env_id}  -  which clip is better?"
        return f"{self.agent_name} on {self.env_id}"

    def _regions(self, now: float) -> list[tuple[pygame.Rect, Any]]:
        """The window's parts, each with what it shows now (equal values: equal pixels)."""
        screen = self.screen
        assert screen is not None
        W, H = screen.get_size()
        q = self.current
        flash = None
        if self.flash is not None and now - self.flash[1] < 0.7:
            flash = (self.flash[0], self.flash[1], round((now - self.flash[1]) / 0.7, 2))
        if q is None:
            clips: Any = ("waiting", self.result.first_pair_s is None, int(now * 2) % 3)
        else:
            clips = (q.id, self.clip_index(now, max(len(q.left), len(q.right))))
        notice = None
        if self.notice is not None and now - self.notice[1] < NOTICE_SECONDS:
            notice = self.notice[0]
        clip_top = HEADER_H - 8
        progress_top = HEADER_H + CLIP_BOX[1] + 36
        learned_top = H - FOOTER_H - LEARNED_H
        p = self.progress()
        return [
            (pygame.Rect(0, 0, W, clip_top), (self.status_line(), self.teacher_label())),
            (pygame.Rect(0, clip_top, W, progress_top - clip_top), (clips, flash)),
            (
                pygame.Rect(0, progress_top, W, learned_top - progress_top),
                (self.agent is None, *(p[k] for k in ("labels", "waiting", "accuracy", "steps"))),
            ),
            (
                pygame.Rect(0, learned_top, W, LEARNED_H),
                (self.agreement_share(), len(self.agreement), tuple(self.returns[-1:])),
            ),
            (pygame.Rect(0, H - FOOTER_H, W, FOOTER_H), (notice, self._footer_status(now))),
        ]

    def _draw(self) -> None:
        """Draw the window, and send the display only the parts that changed.

        Drawing is cheap; handing a whole window to the display server every frame is not
        (under X it cost more than the rest of the frame, CPU the learner could use). So
        each part's content is compared with what was last shown, a frame where nothing
        changed sends nothing, and the others send only their changed parts.
        """
        now = time.monotonic()
        if self.current is None and self.result.first_pair_s is not None:
            self.result.waiting_frames += 1
        regions = self._regions(now)
        shown = self._shown_regions
        changed = [
            rect for i, (rect, what) in enumerate(regions) if shown is None or shown[i] != what
        ]
        if shown is not None and not changed:
            return
        self._shown_regions = [what for _, what in regions]
        self._paint(now)
        if shown is None or len(changed) == len(regions):
            pygame.display.flip()
        else:
            pygame.display.update(changed)

    def _paint(self, now: float) -> None:
        """Draw the whole window on the screen surface (not yet shown)."""
        screen = self.screen
        assert screen is not None
        screen.fill(draw.BG)
        W = screen.get_width()
        draw.text(screen, "hfrl compare", (GAP, 14), 30, draw.TEXT, True)
        draw.text(screen, self.status_line(), (GAP + 170, 20), 22, draw.DIM)
        q = self.current
        boxes = [
            pygame.Rect(GAP, HEADER_H, *CLIP_BOX),
            pygame.Rect(2 * GAP + CLIP_BOX[0], HEADER_H, *CLIP_BOX),
        ]
        flash_alpha = 0.0 if self.flash is None else 1.0 - (now - self.flash[1]) / 0.7
        if q is None:
            self._draw_waiting(boxes, now)
        else:
            self._draw_pair(q, boxes, now)
        if flash_alpha > 0 and self.flash is not None:
            value = self.flash[0]
            color = draw.fade(
                draw.GOOD if value is not None else draw.NEUTRAL, flash_alpha, draw.BG
            )
            if value == LEFT:
                pygame.draw.rect(screen, color, boxes[0].inflate(8, 8), 5, border_radius=8)
            elif value == RIGHT:
                pygame.draw.rect(screen, color, boxes[1].inflate(8, 8), 5, border_radius=8)
            else:
                for box in boxes:
                    pygame.draw.rect(screen, color, box.inflate(8, 8), 5, border_radius=8)
        self._draw_progress(pygame.Rect(0, HEADER_H + CLIP_BOX[1] + 36, W, PROGRESS_H))
        footer = pygame.Rect(0, screen.get_height() - FOOTER_H, W, FOOTER_H)
        self._draw_learning(pygame.Rect(0, footer.y - LEARNED_H, W, LEARNED_H))
        self._draw_footer(footer, now, self._footer_status(now))

    def _draw_waiting(self, boxes: list[pygame.Rect], now: float) -> None:
        screen = self.screen
        assert screen is not None
        W = screen.get_width()
        dots = "." * (1 + int(now * 2) % 3)
        for box in boxes:
            pygame.draw.rect(screen, draw.PANEL, box, border_radius=6)
        first = self.result.first_pair_s is None
        msg = ("making the first clips" if first else "waiting for clips") + dots
        sub = (
            "a random policy plays the env while the learner loads"
            if first
            else "the agent is collecting experience to compare"
        )
        y = HEADER_H + CLIP_BOX[1] // 2
        draw.text(screen, msg, (W // 2, y - 14), 30, draw.DIM, anchor="center")
        draw.text(screen, sub, (W // 2, y + 18), 22, draw.DIM, anchor="center")

    def _draw_pair(self, q: Any, boxes: list[pygame.Rect], now: float) -> None:
        screen = self.screen
        assert screen is not None
        n = max(len(q.left), len(q.right))
        i = self.clip_index(now, n)
        for side, seg, box, arrow in (
            ("left", q.left, boxes[0], "<-"),
            ("right", q.right, boxes[1], "->"),
        ):
            pygame.draw.rect(screen, draw.PANEL, box, border_radius=6)
            surf = self._clip(side, seg, i)
            if surf is None:
                draw.text(
                    screen,
                    "this clip has no frames to show",
                    box.center,
                    22,
                    draw.BAD,
                    anchor="center",
                )
            else:
                r = surf.get_rect(center=box.center)
                screen.blit(surf, r)
                if i >= len(seg):
                    ended = "episode ended" if seg.terminated else "clip ended"
                    draw.text(
                        screen,
                        ended,
                        (r.centerx, r.bottom - 24),
                        24,
                        draw.NEUTRAL,
                        True,
                        "center",
                    )
            tag = f"{arrow}  {side.upper()}"
            draw.text(screen, tag, (box.centerx, box.bottom + 6), 24, draw.TEXT, True, "midtop")
        bar_w = int((2 * CLIP_BOX[0] + GAP) * (i + 1) / n)
        pygame.draw.rect(
            screen, (60, 66, 80), pygame.Rect(GAP, HEADER_H - 8, 2 * CLIP_BOX[0] + GAP, 4)
        )
        pygame.draw.rect(screen, draw.ACCENT, pygame.Rect(GAP, HEADER_H - 8, bar_w, 4))

    def progress(self) -> dict[str, Any]:
        """The progress line's figures: labels, queries waiting, accuracy, training steps.

        ``accuracy`` and ``steps`` come from the agent's statistics record (its
        ``val_accuracy`` and ``env_steps``); None until the agent has reported them.
        """
        acc = getattr(self.record, "val_accuracy", None)
        return {
            "labels": self.prior_labels + self.result.labels,
            "waiting": self.unseen(),
            "accuracy": None if acc is None or not np.isfinite(acc) else float(acc),
            "steps": self.steps_trained(),
            "updates": self.worker.updates,
            "agreement": self.agreement_share(),
        }

    def agreement_share(self) -> float | None:
        """Share of the last :data:`AGREEMENT_WINDOW` answers the model agreed with."""
        return sum(self.agreement) / len(self.agreement) if self.agreement else None

    def _draw_progress(self, rect: pygame.Rect) -> None:
        screen = self.screen
        assert screen is not None
        pygame.draw.rect(screen, draw.PANEL, rect)
        p = self.progress()
        acc = "-" if p["accuracy"] is None else f"{100 * p['accuracy']:.0f}%"
        if self.agent is None:
            steps = "loading"
        else:
            steps = "-" if p["steps"] is None else f"{int(p['steps']):,}"
        items = [
            ("labels given", f"{p['labels']}"),
            ("queries waiting", f"{p['waiting']}"),
            ("reward model held-out acc.", acc),
            ("agent training steps", steps),
        ]
        x = GAP
        col = (rect.width - 2 * GAP) // len(items)
        for label, value in items:
            draw.text(screen, value, (x, rect.y + 8), 30, draw.TEXT, True)
            draw.text(screen, label, (x, rect.y + 38), 19, draw.DIM)
            x += col
        draw.text(
            screen,
            self.teacher_label(),
            (screen.get_width() - GAP, 20),
            19,
            draw.DIM,
            anchor="topright",
        )

    def _draw_learning(self, rect: pygame.Rect) -> None:
        """Above the footer: the model's agreement with the last answers, and the greedy
        return so far as a small curve."""
        screen = self.screen
        assert screen is not None
        pygame.draw.rect(screen, (30, 32, 40), rect)
        y = rect.centery
        share = self.agreement_share()
        if share is None:
            said = "the reward model's agreement with you shows here once it has learned"
            draw.text(screen, said, (GAP, y), 19, draw.DIM, anchor="midleft")
        else:
            n = len(self.agreement)
            color = draw.GOOD if share >= 0.7 else draw.NEUTRAL if share >= 0.5 else draw.BAD
            said = f"the reward model agreed with {round(share * n)} of your last {n} answers"
            draw.text(screen, said, (GAP, y), 20, color, anchor="midleft")
        spark = pygame.Rect(rect.right - GAP - 200, rect.y + 5, 200, rect.height - 10)
        if self.returns:
            last = self.returns[-1][1]
            text = f"agent's greedy return {last:.0f}"
            draw.sparkline(screen, spark, [r for _, r in self.returns], draw.ACCENT)
        else:
            text = "agent's greedy return: not measured yet"
            pygame.draw.rect(screen, draw.PANEL, spark)
        draw.text(screen, text, (spark.x - 12, y), 19, draw.DIM, anchor="midright")

    def _footer_status(self, now: float) -> tuple[str, Any] | None:
        """The footer's line after a label: what was saved, and what the model thought."""
        if self.flash is None or now - self.flash[1] >= VERDICT_SECONDS:
            return None
        value, t = self.flash
        said = f"saved: {WORDS[value]}"
        verdict = self.result.verdicts[-1] if self.result.verdicts else None
        if value is None:
            return f"{said}   (backspace to undo)", draw.NEUTRAL
        if verdict is None or verdict.t != t:
            return f"{said}  -  the reward model has not learned yet", draw.GOOD
        mine = verdict.p_left if value == LEFT else 1 - verdict.p_left
        if value == EQUAL:
            return (
                f"{said}  -  model {'agreed' if verdict.agreed else 'disagreed'}: "
                f"P(left better) was {verdict.p_left:.2f}",
                draw.GOOD if verdict.agreed else draw.NEUTRAL,
            )
        if verdict.agreed:
            return f"{said}  -  the model already agreed ({mine:.0%} for your pick)", draw.GOOD
        return f"{said}  -  new to the model: it gave your pick {mine:.0%}", draw.NEUTRAL
