"""The live-rating app: watch an agent act and reward or punish it with the keyboard.

pygame owns the main thread. Each frame: key events → agent turn (observe the last step,
give the new ratings, choose the next action) → env step → draw → ``clock.tick(fps)``.
The env, the clock, the step history and the ratings go through the one live loop
(:class:`hfrl.live_loop.LiveLoop`, the same as ``hfrl train``): each shown step is recorded
in the agent's step history when it is shown; a key press becomes a
:class:`~hfrl.types.Scalar` stamped with ``time.monotonic()`` (shifted past an earlier run
of the session), its credited steps are computed once, and that same Credit is committed
to the feedback store at once and given to the agent in the same frame.
``agent.update()`` and saves run in a worker thread (:mod:`hfrl.human_ui.worker`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pygame
from hfrl.human_ui import draw
from hfrl.human_ui.app import AppConfig, AppResult, AppShell, prior_counts
from hfrl.human_ui.demo import ScalarDemo
from hfrl.human_ui.keys import RATING_VALUES, TEACH_HELP, TeachKey, teach_key
from hfrl.human_ui.layout import FOOTER_H
from hfrl.human_ui.rating_effect import (
    RatingEffect,
    draw_effect,
    most_credited,
    preferences,
    update_has_run,
)
from hfrl.human_ui.window import open_window
from hfrl.human_ui.worker import (
    AgentWorker,
    load_ui_state,
    row_ranges,
    save_agent,
    saved_agent_dir,
)

from hfrl.clock import RealClock, SimClock
from hfrl.errors import HfrlError
from hfrl.live_loop import LiveLoop, continue_session
from hfrl.live_resume import learnt_rows_of, replay_missed, stored_steps
from hfrl.types import Scalar, Step

SPEEDS: tuple[float, ...] = (1, 2, 3, 5, 8, 10, 15, 20, 30, 45, 60)
"""Frame rates ``+`` and ``-`` step through."""

PANEL_W = 300
FRAME_BOX = (900, 640)

_ACTION_NAMES: dict[str, tuple[str, ...]] = {
    "MountainCar-v0": ("left", "none", "right"),
    "CartPole-v1": ("left", "right"),
    "Acrobot-v1": ("-1", "0", "+1"),
    "LunarLander-v3": ("none", "left", "main", "right"),
}


def action_names(env: Any, env_id: str, n: int) -> list[str]:
    """Short names of the ``n`` discrete actions, for the preference chart."""
    if env_id in _ACTION_NAMES and len(_ACTION_NAMES[env_id]) == n:
        return list(_ACTION_NAMES[env_id])
    meanings = getattr(getattr(env, "unwrapped", env), "get_action_meanings", None)
    if callable(meanings):
        names = [str(m).lower() for m in meanings()]
        if len(names) == n:
            return names
    return [str(i) for i in range(n)]


def check_frame(frame: Any, env_id: str) -> np.ndarray:
    """Return ``frame`` as (H, W, 3) uint8, or raise a clear error if it is not an image."""
    arr = None if frame is None else np.asarray(frame)
    if arr is None or arr.ndim != 3 or arr.shape[2] != 3:
        got = "nothing" if arr is None else f"an array of shape {arr.shape}"
        raise HfrlError(
            f"{env_id} gives no colour frame to show (render() returned {got}); the apps need "
            "an env with render_mode='rgb_array', such as CartPole-v1, MountainCar-v0 or an "
            "ALE/ game."
        )
    return arr.astype(np.uint8, copy=False)


@dataclass(frozen=True)
class TeachConfig(AppConfig):
    """Settings of the live-rating app."""

    fps: float = 30.0
    """Starting frame rate (one env step per frame); ``+``/``-`` change it."""
    autosave_seconds: float = 30.0
    """Save the agent in the background this often (the ratings are saved at once anyway)."""
    flash_seconds: float = 0.6
    """How long the last rating flashes."""
    effect_seconds: float = 1.5
    """How long the panel shows a rating's effect (the rated step's preferences before and
    after) once the agent has learnt from it."""
    simulated_clock: bool = False
    """Headless demo (a simulated teacher, nobody watching): steps and ratings are stamped
    by a :class:`~hfrl.clock.SimClock` at ``fps`` that advances one frame per frame, frames
    do not wait for the wall clock, ``max_seconds`` counts simulated seconds and each
    rating reaches the agent before its next action: the same seed gives the same run
    (Deep agents' own update thread aside), as fast as the CPU goes."""


class _ClockedDemo:
    """A demo teacher whose key presses fall due by the app's simulated clock."""

    def __init__(self, demo: ScalarDemo, clock: Any) -> None:
        self.demo = demo
        self.clock = clock
        self.name = demo.name

    def watch(self, step: Step) -> None:
        self.demo.watch(step)

    def post_due(self, now: float) -> int:
        del now  # the wall clock's: the simulated one decides
        return self.demo.post_due(self.clock.now())


@dataclass
class TeachResult(AppResult):
    """What a live-rating session did; ``latency_ms`` is key press to ``agent.give``."""

    env_steps: int = 0
    """Env steps taken."""
    episodes: int = 0
    """Episodes finished (or reset with ``r``)."""
    ratings: int = 0
    """Ratings given in this run."""
    stalled_frames: int = 0
    """Frames where learning held the agent and the env waited."""


class TeachApp(AppShell):
    """Live rating of a scalar-feedback agent (TAMER, Deep TAMER, COACH, Deep COACH).

    Args:
        agent: the learner (used only through the Agent protocol).
        env: an env made with ``render_mode="rgb_array"``.
        env_id: its id (for titles and action names).
        session: the feedback-store session ratings are written to.
        agent_dir: where the agent is saved.
        config: app settings.
        teacher: a simulated :class:`~hfrl.protocols.ScalarTeacher` that presses the keys
            (demo mode), or None for a person (or a test posting key events).
        agent_name: shown in the title.
        seed: seed of the first env reset.
        clock: what steps and ratings are stamped with (``now()``); the wall clock
            (:class:`~hfrl.clock.RealClock`) unless a script drives simulated time.
        loader: an :class:`~hfrl.human_ui.startup.AgentLoader` building the real agent in
            the background while ``agent`` (a :class:`~hfrl.human_ui.warm_up.WarmUpPolicy`)
            steps the env; ratings are stored at once and given to the agent when it
            attaches (:meth:`attach`).
    """

    help_text = TEACH_HELP

    def __init__(
        self,
        agent: Any,
        env: Any,
        env_id: str,
        session: Any,
        agent_dir: Path,
        config: TeachConfig | None = None,
        teacher: Any = None,
        agent_name: str = "",
        seed: int = 0,
        clock: Any = None,
        loader: Any = None,
    ) -> None:
        self.loader = loader
        """Builds the real agent while a warm-up policy acts (None: ``agent`` is the one)."""
        if getattr(agent, "feedback_kind", "scalar") != "scalar":
            raise HfrlError(
                f"the teach app needs an agent that learns from live ratings (tamer, deep-tamer, "
                f"coach, deep-coach); {agent_name or type(agent).__name__} learns from "
                "comparisons: use `hfrl compare` instead."
            )
        self._init_shell(session, agent_dir)
        self.agent = agent
        self.env = env
        self.env_id = env_id
        self.config = config or TeachConfig()
        self.demo = ScalarDemo(teacher) if teacher is not None else None
        self.agent_name = agent_name or getattr(agent, "name", type(agent).__name__)
        self.seed = seed
        self.fps = float(self.config.fps)
        self.worker = AgentWorker(agent, ui_state=self._ui_state)
        self._learnt_rows: set[int] = set()
        """Store rows of the ratings the agent has learnt from (saved with it, for resume)."""
        self.result = TeachResult()
        self.paused = False
        self.simulated = bool(self.config.simulated_clock)
        if self.simulated and clock is None:
            clock = SimClock(float(self.config.fps))
            if self.config.max_seconds is not None:  # simulated seconds: a number of frames
                frames = math.ceil(self.config.max_seconds * self.config.fps)
                self.config = dataclasses.replace(self.config, max_seconds=None, max_frames=frames)
        self.wall = clock if clock is not None else RealClock()
        """The clock steps are shown and ratings given by."""
        if self.simulated and self.demo is not None:
            self.demo = _ClockedDemo(self.demo, self.wall)  # type: ignore[assignment]
        self.loop = LiveLoop(
            agent, env, self.wall, session, continue_session(session, agent, self.wall.now())
        )
        """The live loop: env, clock, step history, store and agent (shared with hfrl train)."""
        self.obs: Any = None
        self.frame: np.ndarray | None = None
        self.prefs: np.ndarray | None = None
        self.last_action: int | None = None
        self.given = 0
        """Ratings the agent has received (on the worker thread)."""
        self.unobserved: Step | None = None
        self._shown_at = self.wall.now()
        self.flash: tuple[float, float] | None = None  # (value, time)
        self.effect: RatingEffect | None = None
        """The last rating's effect on the most-credited step's preferences (panel)."""
        self.counts = {"plus": 0, "minus": 0}
        self.prior_ratings = prior_counts(session).get("scalars", 0)
        self._fps_meas: deque[float] = deque(maxlen=30)
        n = getattr(getattr(env, "action_space", None), "n", None)
        self.names = action_names(env, env_id, int(n)) if n is not None else []
        self.caught_up = self.catch_up()
        """Store rows of missed ratings given to the agent on resume (a crash's lost learning)."""

    @property
    def attached(self) -> bool:
        """The real agent is acting (not the warm-up policy of a loading start)."""
        return not getattr(self.agent, "warm_up", False)

    def attach(self, agent: Any) -> list[int]:
        """Swap the loaded agent in for the warm-up policy, mid-episode: the ratings stored
        while it loaded (and any earlier ones its save lacks) are given to it from the store,
        credit and shown steps included. The store rows given."""
        if self.loop.recorder is not None:
            self.loop.recorder.flush()  # the shown steps the stored ratings credit

        def swap() -> list[int]:
            self.agent = agent
            self.worker.agent = agent
            given = self.catch_up(fresh_too=True)
            loop = self.loop
            loop.agent = agent
            loop.own_history = not callable(getattr(agent, "credit", None))
            if not loop.own_history:
                self._hand_over_steps(agent)
                loop.history = agent.history
            return given

        given = self.worker.call(swap)
        self._say(f"{self.agent_name} ready: {len(given)} ratings given to it")
        self._update_prefs()
        return given

    def _hand_over_steps(self, agent: Any) -> None:
        """Record the steps shown while the agent loaded in its own step history (payloads
        rebuilt from the store), so a rating just after it attaches credits them too."""
        own, history = self.loop.history, agent.history
        store = getattr(self.session, "store", None)
        shown = stored_steps(store, self.session) if store is not None else {}
        for s in own.steps():
            step = shown.get(s.index)
            if step is None or s.index < history.next_index:
                continue
            history.next_index = s.index
            history.record(s.t_start, agent._payload(step), s.episode)
        history.next_index = max(history.next_index, own.next_index)
        self.unobserved = None  # recorded above; observing it would record it twice

    def request_save(self) -> None:
        """Save the agent in the background (nothing to save while it loads)."""
        if self.attached:
            super().request_save()
        else:
            self._last_save = time.monotonic()

    def _poll_loader(self) -> None:
        """Attach the agent once the loader has it (never waits)."""
        if self.loader is not None and not self.attached:
            agent = self.loader.take()  # raises what the loader raised
            if agent is not None:
                self.attach(agent)

    def _ui_state(self) -> dict[str, Any]:
        """Saved with the agent (under the agent lock): the store rows it has learnt from."""
        return {"learnt_rows": row_ranges(self._learnt_rows)}

    def catch_up(self, fresh_too: bool = False) -> list[int]:
        """Resumed session (or, with ``fresh_too``, an agent attached after loading): give
        the agent the stored ratings it missed (a crash after its last save, ratings given
        while it loaded; :func:`hfrl.live_resume.replay_missed`). The store rows given."""
        resumed = getattr(self.session, "resumed", False) or fresh_too
        if not resumed or not hasattr(self.agent, "_payload"):
            return []
        store = getattr(self.session, "store", None)
        if store is None:
            return []
        learnt: set[int] = set()
        if int(getattr(self.agent, "steps_seen", 0)) > 0:  # loaded from a save
            saved = saved_agent_dir(self.agent_dir)
            state = load_ui_state(saved) if saved is not None else {}
            if "learnt_rows" not in state:
                return []  # a save that does not say what it learnt: leave it as it is
            learnt = learnt_rows_of(state)
        given = replay_missed(self.agent, store, self.session, learnt)
        self._learnt_rows = learnt | set(given)
        return given

    @property
    def episode(self) -> int:
        """Episode number (continues over the runs of a session)."""
        return self.loop.episode

    @property
    def ep_step(self) -> int:
        """Steps taken in this episode."""
        return self.loop.ep_step

    @property
    def global_step(self) -> int:
        """Steps taken in the session."""
        return self.loop.global_step

    @property
    def ep_return(self) -> float:
        """True return of this episode so far."""
        return self.loop.ep_return

    # ------------------------------------------------------------------ life cycle
    def open(self) -> None:
        """Reset the env, check it renders, open the window, start the worker."""
        self.obs = self.loop.reset(seed=self.seed)
        self.frame = check_frame(self.env.render(), self.env_id)
        fh, fw = self.frame.shape[:2]
        k = draw.integer_scale((fw, fh), FRAME_BOX)
        self.frame_size = (round(fw * k), round(fh * k))
        size = (self.frame_size[0] + PANEL_W, max(self.frame_size[1], 640) + FOOTER_H)
        title = f"hfrl teach - {self.agent_name} on {self.env_id}"
        self.screen, self.headless = open_window(size, title)
        self.clock = pygame.time.Clock()
        self.worker.start()
        self._update_prefs()
        self._draw()
        self._shown_at = self.wall.now()
        if self.loader is not None:
            self._say(f"loading the {self.agent_name} agent: your ratings are kept")
            self.loader.go()  # the window is up: the loader may take the CPU

    @property
    def frame_rate(self) -> float:
        """The current speed (``+``/``-`` change it); 0 (no waiting) on a simulated clock."""
        return 0.0 if self.simulated else self.fps

    def close(self) -> None:
        """Observe the last step, give the waiting ratings (worker), stop it, save the agent
        (a loading agent is waited for and given the ratings first)."""
        if self.loader is not None and not self.attached and self.worker.error is None:
            agent = self.loader.wait(timeout=300)
            if agent is None:
                raise HfrlError("the agent did not load within 300 s; the ratings are stored")
            self.attach(agent)
        if self.worker.error is None:
            self._agent_turn(act=False, timeout=None)
        self.worker.stop()
        if self.worker.error is None:
            save_agent(self.agent, self.agent_dir, self._ui_state())
            self.result.saved_to = self.agent_dir
        stop_learning = getattr(self.agent, "close", None)  # deep agents' own update thread
        if callable(stop_learning):
            stop_learning()

    # ------------------------------------------------------------------ one frame
    def _frame(self) -> None:
        if self.simulated:
            self.wall.tick()  # one frame of simulated time
        super()._frame()
        if self._quit:
            return
        flipped = self.wall.now()
        self._fps_meas.append(flipped)
        if not self.paused:
            self._shown_at = flipped

    def _frame_work(self, now: float) -> None:
        self._poll_loader()
        self._poll_effect()
        if not self.paused:
            self._step()
        elif self.unobserved is not None:
            self._agent_turn(act=False, timeout=self._budget_left())

    def _poll_effect(self) -> None:
        """A deep agent's update has run since the rating: read its new preferences (never
        waits: skipped this frame when learning holds the agent)."""
        effect = self.effect
        if effect is None or effect.after is not None or not effect.given:
            return
        if not update_has_run(self.agent, effect):
            return
        ok, after = self.worker.try_call(lambda: preferences(self.agent, effect.obs), 0.0)
        if ok and after is not None:
            effect.after = after
            effect.shown_at = time.monotonic()

    def _budget_left(self) -> float:
        if self.simulated:
            return 30.0  # simulated time waits for the agent: no stalled frames
        return max(0.002, 0.25 / self.fps)

    def _key_command(self, event: pygame.event.Event) -> TeachKey | None:
        return teach_key(event)

    def _command(self, cmd: TeachKey, event: pygame.event.Event) -> None:
        if cmd in RATING_VALUES:
            posted = getattr(event, "posted_at", None)
            self.rate(
                RATING_VALUES[cmd], source=getattr(event, "source", "human"), pressed_at=posted
            )
        elif cmd is TeachKey.PAUSE:
            self.paused = not self.paused
        elif cmd is TeachKey.FASTER:
            self.fps = next((s for s in SPEEDS if s > self.fps), SPEEDS[-1])
        elif cmd is TeachKey.SLOWER:
            self.fps = next((s for s in reversed(SPEEDS) if s < self.fps), SPEEDS[0])
        elif cmd is TeachKey.RESET:
            self._reset_episode()
            self._say("episode reset")
        elif cmd is TeachKey.SAVE:
            self.request_save()
            self._say(f"saving the agent to {self.agent_dir}")
        elif cmd is TeachKey.QUIT:
            self._quit = True

    def rate(self, value: float, source: str = "human", pressed_at: float | None = None) -> Scalar:
        """Record a rating now: stamp it, commit it to the store, hand it to the worker thread.

        The worker gives it to the agent under the agent lock at once (some agents take an
        SGD step inside ``give``, which must not hold up the frame).
        """
        t = self.wall.now()
        scalar, credit = self.loop.rate(value, t_wall=t, source=source)  # committed at once
        pressed = pressed_at if pressed_at is not None else time.monotonic()
        effect = most_credited(scalar.value, credit)
        if effect is not None:
            self.effect = effect
        if self.attached and self.simulated:  # before acting again
            self.worker.call(lambda: self._give(scalar, credit, pressed, effect))
        elif self.attached:
            self.worker.submit(lambda: self._give(scalar, credit, pressed, effect))
        # else: stored; the agent gets it from the store when it attaches
        self.result.ratings += 1
        self.counts["plus" if value > 0 else "minus"] += 1
        self.flash = (float(value), time.monotonic())
        return scalar

    def _give(
        self, scalar: Scalar, credit: Any, pressed: float, effect: RatingEffect | None = None
    ) -> None:
        """Worker thread: hand one rating and the Credit the store recorded to the agent
        (some agents learn inside give); note the rated step's preferences before and, when
        the agent learnt inside give, after."""
        if effect is not None:
            effect.before = preferences(self.agent, effect.obs)
            effect.updates_before = int(getattr(self.agent, "updates", 0))
        self.loop.give(scalar, credit)
        if effect is not None:
            effect.given = True
            if update_has_run(self.agent, effect):
                effect.after = preferences(self.agent, effect.obs)
                effect.shown_at = time.monotonic()
        row = getattr(credit, "row", None)
        if row is not None:
            self._learnt_rows.add(int(row))
        self.result.latency_ms.append((time.monotonic() - pressed) * 1000)
        self.given += 1

    def _agent_turn(self, act: bool, timeout: float | None) -> tuple[bool, Any]:
        """Observe the last step and pick the next action (one lock, UI thread).

        Ratings do not wait for this: :meth:`rate` hands them to the worker thread at once.
        """
        step, obs = self.unobserved, self.obs

        def turn() -> tuple[Any, Any]:
            if step is not None:
                self.agent.observe(step)
            action = self.agent.act(obs) if act else None
            prefs = self.agent.action_preferences(obs) if act else None
            return action, prefs

        if timeout is None:
            ok, out = True, self.worker.call(turn)
        else:
            ok, out = self.worker.try_call(turn, timeout)
        if not ok:
            return False, None
        action, prefs = out  # type: ignore[misc]
        self.unobserved = None
        if step is not None:
            self.worker.request_update()
        if prefs is not None:
            self.prefs = np.asarray(prefs, dtype=np.float64).ravel()
        return True, action

    def _step(self) -> None:
        ok, action = self._agent_turn(act=True, timeout=self._budget_left())
        if not ok:
            self.result.stalled_frames += 1
            return
        step = self.loop.step(action, t_wall=self._shown_at, observe=False)  # recorded now
        self.last_action = int(action) if np.ndim(action) == 0 else None
        self.unobserved = step  # observed on the worker thread at the next agent turn
        self.result.env_steps += 1
        if self.demo is not None:  # the demo teacher presses keys in the wall clock's time
            self.demo.watch(dataclasses.replace(step, t_wall=self._shown_at))
        if step.done:
            self._say(f"episode {self.episode} ended: return {self.ep_return:.1f}")
            self._reset_episode()
        else:
            self.obs = self.loop.obs
            self.frame = check_frame(self.env.render(), self.env_id)

    def _reset_episode(self) -> None:
        self.result.episodes += 1
        self.obs = self.loop.next_episode()
        self.frame = check_frame(self.env.render(), self.env_id)

    def _update_prefs(self) -> None:
        obs = self.obs
        ok, prefs = self.worker.try_call(lambda: self.agent.action_preferences(obs), 0.1)
        if ok and prefs is not None:
            self.prefs = np.asarray(prefs, dtype=np.float64).ravel()

    # ------------------------------------------------------------------ drawing
    def measured_fps(self) -> float:
        """Frames per second over the last 30 frames."""
        if len(self._fps_meas) < 2:
            return 0.0
        span = self._fps_meas[-1] - self._fps_meas[0]
        return (len(self._fps_meas) - 1) / span if span > 0 else 0.0

    def _draw(self) -> None:
        screen = self.screen
        assert screen is not None and self.frame is not None
        now = time.monotonic()
        screen.fill(draw.BG)
        fw, _fh = self.frame_size
        area_h = screen.get_height() - FOOTER_H
        img = draw.frame_surface(self.frame, FRAME_BOX)
        fx, fy = (fw - img.get_width()) // 2, (area_h - img.get_height()) // 2
        screen.blit(img, (fx, fy))
        flash_alpha = 0.0
        if self.flash is not None:
            flash_alpha = 1.0 - (now - self.flash[1]) / self.config.flash_seconds
        if flash_alpha > 0 and self.flash is not None:
            color = draw.fade(draw.flash_color(self.flash[0]), flash_alpha, draw.BG)
            pygame.draw.rect(
                screen,
                color,
                pygame.Rect(fx - 4, fy - 4, img.get_width() + 8, img.get_height() + 8),
                6,
            )
        if self.paused:
            draw.text(
                screen,
                "PAUSED",
                (fx + img.get_width() // 2, fy + img.get_height() // 2),
                64,
                draw.NEUTRAL,
                True,
                "center",
            )
        self._draw_panel(pygame.Rect(fw, 0, PANEL_W, area_h), now, flash_alpha)
        self._draw_footer(pygame.Rect(0, area_h, screen.get_width(), FOOTER_H), now)
        pygame.display.flip()

    def _draw_panel(self, rect: pygame.Rect, now: float, flash_alpha: float) -> None:
        screen = self.screen
        assert screen is not None
        pygame.draw.rect(screen, draw.PANEL, rect)
        x, y = rect.x + 16, rect.y + 14
        draw.text(screen, "hfrl teach", (x, y), 30, draw.TEXT, True)
        y += 30
        draw.text(screen, f"{self.agent_name} on {self.env_id}", (x, y), 20, draw.DIM)
        y += 28
        state, color = ("PAUSED", draw.NEUTRAL) if self.paused else ("RUNNING", draw.GOOD)
        draw.text(screen, state, (x, y), 24, color, True)
        draw.text(
            screen,
            f"{self.measured_fps():4.1f} fps (target {self.fps:g})",
            (rect.right - 16, y + 2),
            20,
            draw.DIM,
            anchor="topright",
        )
        y += 34
        rows = [
            ("episode", f"{self.episode}"),
            ("step", f"{self.ep_step}  ({self.global_step} total)"),
            ("return so far", f"{self.ep_return:.1f}"),
            (
                "ratings",
                f"{self.result.ratings}  (+{self.counts['plus']} / -{self.counts['minus']})",
            ),
        ]
        if self.prior_ratings:
            rows.append(("earlier", f"{self.prior_ratings} ratings (resumed)"))
        for label, value in rows:
            draw.text(screen, label, (x, y), 21, draw.DIM)
            draw.text(screen, value, (x + 112, y), 21, draw.TEXT)
            y += 24
        y += 8
        box = pygame.Rect(x, y, rect.width - 32, 56)
        if flash_alpha > 0 and self.flash is not None:
            pygame.draw.rect(
                screen,
                draw.fade(draw.flash_color(self.flash[0]), flash_alpha),
                box,
                border_radius=8,
            )
            draw.text(
                screen,
                f"{self.flash[0]:+g}",
                box.center,
                48,
                draw.fade((255, 255, 255), flash_alpha),
                True,
                "center",
            )
        else:
            pygame.draw.rect(screen, (48, 52, 64), box, 1, border_radius=8)
            last = "no rating yet" if self.flash is None else f"last rating {self.flash[0]:+g}"
            draw.text(screen, last, box.center, 20, draw.DIM, anchor="center")
        y += 70
        draw.text(screen, "action preferences", (x, y), 21, draw.DIM)
        y += 24
        if self.prefs is not None and len(self.prefs) == len(self.names):
            h = min(26 * len(self.names), rect.bottom - y - 60)
            draw.bar_chart(
                screen,
                pygame.Rect(x, y, rect.width - 32, h),
                list(self.prefs),
                self.names,
                self.last_action,
            )
            y += h + 8
        effect = self.effect
        if effect is not None and (
            effect.after is None or now - effect.shown_at < self.config.effect_seconds
        ):
            h = min(22 + 24 * len(self.names), rect.bottom - y - 56)
            draw_effect(screen, pygame.Rect(x, y, rect.width - 32, h), effect, self.names)
        draw.text(screen, self.teacher_label(), (x, rect.bottom - 50), 19, draw.DIM)
        since = now - self._last_save
        draw.text(
            screen,
            f"session {getattr(self.session, 'name', '')}",
            (x, rect.bottom - 28),
            19,
            draw.DIM,
        )
        if since < 2:
            draw.text(
                screen,
                "saved",
                (rect.right - 16, rect.bottom - 28),
                19,
                draw.GOOD,
                anchor="topright",
            )
