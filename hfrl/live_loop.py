"""The one live-rating loop: step the env, stamp the clock, credit ratings, store, give.

DESIGN.md §3: "the live path has one owner". ``hfrl train`` (a :class:`~hfrl.clock.SimClock`
at the display rate, a simulated trainer deciding when to rate) and ``hfrl teach`` (the wall
clock, a person's keys) both drive a :class:`LiveLoop`:

1. :meth:`LiveLoop.step` takes the agent's action in the env and builds the
   :class:`~hfrl.types.Step`, stamped with the time its frame starts showing, and records
   it in the agent's step history (``agent.record``) at once, so a rating that arrives
   before the agent has observed it still reaches it;
2. :meth:`LiveLoop.rate` turns a rating into the stored record plus its credited steps:
   one :class:`~hfrl.credit.Credit` from ``agent.credit``, written to the feedback store
   with the rating (when there is one);
3. :meth:`LiveLoop.give` hands the rating and that same Credit object to ``agent.give``.

The app adds drawing, key mapping and its worker thread; the trainer adds when to rate.
Across runs of one session (resume), :func:`continue_session` moves the step and episode
numbers and the clock past everything the store and the agent already hold, so numbers and
times stay unique and ordered. This module imports no agent, env, UI or CLI module: the
agent and env are used through their protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hfrl.credit import StepHistory, UniformDelay
from hfrl.types import Scalar, Step


@dataclass
class Resume:
    """Where a resumed session's numbering and clock continue from."""

    next_step: int = 0
    """The first global step number of this run."""
    next_episode: int = 0
    """The first episode number of this run."""
    time_offset: float = 0.0
    """Added to the clock so this run's times come after every earlier one."""


class OffsetClock:
    """A clock shifted by ``offset`` seconds (a resumed run's times follow the last run's)."""

    def __init__(self, clock: Any, offset: float = 0.0) -> None:
        self.clock = clock
        self.offset = float(offset)

    def now(self) -> float:
        """The shifted time."""
        return float(self.clock.now()) + self.offset

    def stamp(self, t: float) -> float:
        """A time read from the underlying clock, shifted."""
        return float(t) + self.offset


class LiveLoop:
    """The live path of one session: env, agent, clock and (optionally) the store session.

    Args:
        agent: a live agent (``act``, ``record``, ``observe``, ``credit``, ``give``).
        env: a gymnasium env.
        clock: anything with ``now()`` (:class:`~hfrl.clock.SimClock`,
            :class:`~hfrl.clock.RealClock`).
        session: the feedback-store session ratings are written to, or None.
        resume: where step/episode numbers and time continue (a fresh session: zeros).
    """

    def __init__(
        self,
        agent: Any,
        env: Any,
        clock: Any,
        session: Any = None,
        resume: Resume | None = None,
    ) -> None:
        resume = resume or Resume()
        self.agent = agent
        self.env = env
        self.clock = OffsetClock(clock, resume.time_offset)
        self.session = session
        self.episode = resume.next_episode
        """Episode number of the episode being played."""
        self.ep_step = 0
        """Steps taken in this episode."""
        self.global_step = resume.next_step
        """Steps taken in the session (all runs)."""
        self.ep_return = 0.0
        """True return of this episode so far."""
        self.steps_this_run = 0
        self.ratings_this_run = 0
        self.obs: Any = None
        self.own_history = not callable(getattr(agent, "credit", None))
        """The agent keeps no step history (a protocol-only agent): the loop keeps one."""
        self.history: StepHistory = _default_history(agent) if self.own_history else agent.history
        if self.history.next_index < self.global_step:
            self.history.next_index = self.global_step  # credited step numbers stay unique
        if resume.time_offset > 0 or resume.next_step > 0:
            self.history.close(self.history.last_time)  # the last run's screen went dark
        self.recorder: Any = None
        """Keeps the shown steps in the store session (replay, fitting a trainer)."""
        if session is not None:
            from hfrl.store_steps import ShownStepRecorder

            self.recorder = ShownStepRecorder(session)

    # ------------------------------------------------------------------ env
    def reset(self, seed: int | None = None) -> Any:
        """Start an episode; its first observation."""
        self.obs, _ = self.env.reset(seed=seed)
        self.ep_step = 0
        self.ep_return = 0.0
        return self.obs

    def act(self, greedy: bool = False) -> Any:
        """The agent's action in the current observation."""
        return self.agent.act(self.obs, greedy=greedy) if greedy else self.agent.act(self.obs)

    def step(self, action: Any, t_wall: float | None = None, observe: bool = True) -> Step:
        """Take ``action``; the Step (stamped ``t_wall``, default now) is recorded at once.

        Args:
            action: the action to take.
            t_wall: when the step's frame started showing, in the clock's own time
                (shifted like every time this loop reads); None: now.
            observe: call ``agent.observe`` too (the app observes on its worker thread).
        """
        t = self.clock.now() if t_wall is None else self.clock.stamp(t_wall)
        next_obs, reward, terminated, truncated, info = self.env.step(action)
        true_r = float(info.get("true_reward", reward)) if isinstance(info, dict) else float(reward)
        step = Step(
            obs=np.asarray(self.obs),
            action=action,
            next_obs=np.asarray(next_obs),
            true_reward=true_r,
            terminated=bool(terminated),
            truncated=bool(truncated),
            t_wall=t,
            episode=self.episode,
            step=self.ep_step,
        )
        if self.own_history:
            shown = self.history.record(t, {"action": action}, self.episode)
        else:
            shown = self.agent.record(step)
        if self.recorder is not None:
            self.recorder.add(getattr(shown, "index", self.global_step), step)
        if observe:
            self.agent.observe(step)
        self.global_step += 1
        self.steps_this_run += 1
        self.ep_step += 1
        self.ep_return += true_r
        self.obs = next_obs
        return step

    def next_episode(self, seed: int | None = None) -> Any:
        """The episode ended (or was cut): count it and reset; the new first observation."""
        self.episode += 1
        if self.recorder is not None:
            self.recorder.flush()
        return self.reset(seed)

    # ------------------------------------------------------------------ ratings
    def rate(
        self,
        value: float | Scalar,
        t_wall: float | None = None,
        source: str = "human",
    ) -> tuple[Scalar, Any]:
        """A rating becomes its stored record and its credited steps (one Credit object).

        Args:
            value: the rating's value, or a ready Scalar (a simulated trainer's, stamped
                in this loop's time already).
            t_wall: when it was given, in the underlying clock's time (None: now).
            source: who gave it.

        Returns:
            The Scalar and its Credit; the Credit is what the store recorded.
        """
        if isinstance(value, Scalar):
            scalar = value
        else:
            t = self.clock.now() if t_wall is None else self.clock.stamp(t_wall)
            scalar = Scalar(
                value=float(value),
                t_wall=t,
                step=self.global_step,
                episode=self.episode,
                source=source,
            )
        if self.own_history:
            credit = self.history.credit(scalar.t_wall, scalar.value)
        else:
            credit = self.agent.credit(scalar)
        if self.session is not None:
            if self.recorder is not None:
                self.recorder.rated()  # the steps it credits are on disk before it is
            row = self.session.add(scalar, credit=credit)  # committed before the agent learns
            if credit is not None:
                credit.row = row
        self.ratings_this_run += 1
        return scalar, credit

    def give(self, scalar: Scalar, credit: Any) -> None:
        """Hand the rating and the very Credit the store recorded to the agent (an agent
        without a step history gets the rating alone)."""
        if self.own_history:
            self.agent.give(scalar)
        else:
            self.agent.give(scalar, credit)

    def feedback(self, value: float | Scalar, t_wall: float | None = None) -> Any:
        """:meth:`rate` then :meth:`give` (one thread); the Credit."""
        scalar, credit = self.rate(value, t_wall)
        self.give(scalar, credit)
        return credit


def _default_history(agent: Any) -> StepHistory:
    """A step history over the agent's delay window (``delay_min``/``delay_max`` of its
    config), or Knox & Stone's 0.2-0.8 s."""
    config = getattr(agent, "config", None)
    lo, hi = getattr(config, "delay_min", None), getattr(config, "delay_max", None)
    if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and 0 <= lo < hi:
        return StepHistory(UniformDelay(float(lo), float(hi)))
    return StepHistory(UniformDelay())


def continue_session(session: Any, agent: Any, clock_now: float) -> Resume:
    """Where a resumed session continues: after every stored rating and every step the
    agent's history numbered, and later in time than both.

    Args:
        session: the store session (:class:`hfrl.store.Session`), or None.
        agent: the (possibly loaded) agent; its ``history`` and ``episodes_seen`` count.
        clock_now: the clock's current reading (before any offset).
    """
    next_step = next_episode = 0
    last_time = -np.inf
    history = getattr(agent, "history", None)
    if not isinstance(history, StepHistory):
        history = None
    if history is not None:
        next_step = int(history.next_index)
        last_time = max(last_time, float(history.last_time))
    next_episode = int(getattr(agent, "episodes_seen", 0))
    if session is not None:
        for r in session.store.scalar_records(session, include_retracted=True):
            s = r.scalar
            next_episode = max(next_episode, int(s.episode) + 1)
            last_time = max(last_time, float(s.t_wall))
            steps = [int(k) for k, _ in (r.credit or ())]
            next_step = max(next_step, int(s.step) + 1, *(k + 1 for k in steps))
        if history is not None and history.last is not None:
            next_episode = max(next_episode, history.last.episode + 1)
        from hfrl.live_resume import shown_extent

        max_index, max_episode, max_time = shown_extent(session.store, session)
        next_step = max(next_step, max_index + 1)
        next_episode = max(next_episode, max_episode + 1)
        last_time = max(last_time, max_time)
    offset = 0.0
    if np.isfinite(last_time):
        offset = max(0.0, last_time + 1.0 - float(clock_now))
    return Resume(next_step, next_episode, offset)
