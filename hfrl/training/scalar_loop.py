"""Headless training of a live-feedback agent (TAMER, Deep TAMER, COACH, ...) by a simulated trainer.

It drives the one live loop (:class:`hfrl.live_loop.LiveLoop`, the same as ``hfrl teach``):

1. a :class:`hfrl.clock.SimClock` advances one frame (1/fps s) per env step, so the
   trainer's delays in seconds mean what they would to a person watching at ``fps``;
2. each :class:`hfrl.types.Step` is stamped with the clock time its frame starts showing,
   recorded in the agent's step history, observed, and shown to ``teacher.rate``;
3. ratings come back stamped with their arrival time and wait in a queue until the clock
   reaches it; then the loop credits each (``agent.credit``) and gives the rating with that
   credit to the agent; ``agent.update`` runs once per step.

Agents are built with :func:`build_agent`: a class with a ``config_class`` (a frozen
dataclass) is called as ``cls(env_id, observation_space, action_space, config=..., seed=...)``
with its config from the presets table (:mod:`hfrl.presets`) and ``--set key=value``
overrides on top. The display rate is ``--fps``, else the table's, else the env's.

Besides ``curve.csv`` and ``summary.json`` the run logs as an SB3 run does, under ``OUT/logs/``
(:mod:`hfrl.training.live_logs`): ``progress.csv`` and TensorBoard events per episode
(``feedback/...``, ``agent/...``, ``rollout/...``, ``eval/...``), ``monitor.csv`` and
``evaluations.npz``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hfrl.agents.builder import build_agent
from hfrl.config import config_to_dict
from hfrl.errors import HfrlError
from hfrl.teachers.scalar import FeedbackQueue
from hfrl.types import Scalar


@dataclass(frozen=True)
class ScalarRunConfig:
    """One headless live-feedback training run."""

    agent: str
    """Registered agent name (``tamer``, ``deep-tamer``, ``coach``, ...)."""
    env_id: str
    """Environment id."""
    teacher: str
    """Scalar trainer preset (``perfect``, ``human``, ...)."""
    seed: int = 0
    """Seed of the env, agent and teacher."""
    episodes: int | None = None
    """Training budget in episodes (default 20 when neither budget is given)."""
    steps: int | None = None
    """Training budget in env steps (stops at the first budget reached)."""
    fps: float | None = None
    """Display rate the simulated person watches at; None: the env's own rate."""
    eval_episodes: int = 10
    """Greedy episodes on the true reward for the final score."""
    eval_every: int = 0
    """Evaluate greedily every this many training episodes for the curve (0: only at the end)."""
    curve_eval_episodes: int = 3
    """Greedy episodes per intermediate curve point."""
    max_episode_steps: int | None = None
    """Optional cap on training and evaluation episode length."""
    agent_overrides: dict[str, Any] = field(default_factory=dict)
    """Agent config overrides (``--set key=value``)."""
    progress: bool = True
    """Show a progress bar on the terminal."""


def default_fps(env_id: str) -> float:
    """The env's display rate (``hfrl.envs.make.env_fps``), 30 if it cannot be told."""
    try:
        from hfrl.envs.make import env_fps

        return float(env_fps(env_id))
    except (ImportError, AttributeError):
        return 30.0


def teacher_parameters(teacher: Any) -> dict[str, Any]:
    """The teacher's parameters for the summary (``hfrl.teachers.teacher_params``)."""
    try:
        from hfrl.teachers import teacher_params

        return dict(teacher_params(teacher))
    except (ImportError, AttributeError, TypeError):
        config = getattr(teacher, "config", None)
        try:
            return config_to_dict(config) if config is not None else {}
        except TypeError:
            return {}


def run_scalar_training(
    config: ScalarRunConfig,
    recorder: Any,
    out_dir: str | Path | None = None,
    agent: Any = None,
    teacher: Any = None,
) -> dict[str, Any]:
    """Train ``config.agent`` with a simulated trainer; write the run's files; return the summary.

    Args:
        config: the run.
        recorder: a :class:`hfrl.training.results.RunRecorder` for ``curve.csv`` and
            ``summary.json``.
        out_dir: where the agent is saved (``out_dir/agent``); the recorder's dir by default.
        agent: an already built agent to train instead of building one.
        teacher: an already built teacher to use instead of ``make_teacher``.
    """
    from hfrl.clock import SimClock
    from hfrl.effort import DEFAULT_EFFORT
    from hfrl.envs.make import make
    from hfrl.live_loop import LiveLoop
    from hfrl.seeding import seed_everything
    from hfrl.training.live_logs import LiveRunLog, greedy_episodes

    episodes_budget = config.episodes
    if episodes_budget is None and config.steps is None:
        episodes_budget = 20
    if (episodes_budget is not None and episodes_budget < 1) or (
        config.steps is not None and config.steps < 1
    ):
        raise HfrlError("--episodes and --steps must be at least 1")
    seed_everything(config.seed)
    from hfrl.presets import preset_fps

    fps = float(config.fps or preset_fps(config.agent, config.env_id) or default_fps(config.env_id))
    if fps <= 0:
        raise HfrlError(f"--fps must be positive, got {fps}")
    env = make(
        config.env_id,
        seed=config.seed,
        render_mode=None,
        max_episode_steps=config.max_episode_steps,
    )
    if agent is None:
        agent = build_agent(
            config.agent,
            config.env_id,
            env.observation_space,
            env.action_space,
            seed=config.seed,
            overrides=config.agent_overrides,
        )
    if teacher is None:
        import hfrl.teachers.atari_oracle  # noqa: F401  (registers the "hindsight" trainer)
        from hfrl.teachers import make_teacher

        teacher = make_teacher(config.teacher, config.env_id, seed=config.seed)
    write_config = getattr(recorder, "write_config", None)
    if callable(write_config):  # config.json: the run as resolved, and who set each value
        write_config(
            {
                **config_to_dict(config),
                "fps": fps,
                "fps_source": _fps_source(config),
                "agent_config": _agent_config_dict(agent),
                "agent_config_sources": _config_sources(config),
            }
        )
    from hfrl.teachers.policy_dependent import attach_agent

    attach_agent(teacher, agent)  # policy-dependent trainers judge the agent's current policy
    clock = SimClock(fps)
    run_log = LiveRunLog(recorder.out_dir)  # logs/: progress.csv, TensorBoard, ...
    env = run_log.monitor(env)  # logs/monitor.csv: one row per training episode
    loop = LiveLoop(agent, env, clock)
    queue = FeedbackQueue()
    episodes = feedback = 0
    train_return = float("nan")
    curve_best = float("-inf")

    def human_seconds() -> float:
        return DEFAULT_EFFORT.live_seconds(loop.steps_this_run, fps, key_presses=feedback)

    def deliver(ratings: list[Scalar]) -> None:
        nonlocal feedback
        for r in ratings:
            credit = loop.feedback(r)  # credited, (stored,) given: the same path as the teach app
            run_log.rated(credit)
            feedback += 1

    def done() -> bool:
        return (episodes_budget is not None and episodes >= episodes_budget) or (
            config.steps is not None and loop.steps_this_run >= config.steps
        )

    progress = _Progress(config, episodes_budget)
    started = time.perf_counter()
    try:
        loop.reset(seed=config.seed)
        while not done():
            step = loop.step(loop.act())
            # a trainer stops rating an agent that no longer listens (TAMER+RL after K episodes)
            listens = getattr(agent, "accepts_ratings", True)
            rating = teacher.rate(step) if listens else None
            if rating is not None:
                queue.push(rating)
            clock.tick()
            deliver(queue.pop_due(clock.now()))
            agent_stats = agent.update()
            if step.done:
                episodes += 1
                train_return = loop.ep_return
                point: dict[str, float] = {
                    "env_steps": loop.steps_this_run,
                    "episodes": episodes,
                    "feedback_count": feedback,
                    "human_seconds": round(human_seconds(), 3),
                    "train_return": train_return,
                }
                greedy = None
                if config.eval_every and episodes % config.eval_every == 0:
                    greedy = greedy_episodes(
                        agent,
                        config.env_id,
                        episodes=config.curve_eval_episodes,
                        seed=config.seed + 10_000,
                        max_steps=config.max_episode_steps,
                    )
                    mean = float(np.mean(greedy[0]))
                    point["return"] = mean
                    curve_best = max(curve_best, mean)
                recorder.log_point(**point)
                run_log.episode(
                    env_steps=loop.steps_this_run,
                    episodes=episodes,
                    ep_return=train_return,
                    ep_length=loop.ep_step,
                    agent_stats=agent_stats,
                    human_seconds=point["human_seconds"],
                    greedy=greedy,
                )
                progress.update(episodes, loop.steps_this_run, feedback, train_return)
                loop.next_episode()
        deliver(queue.pop_all())
        agent.update()
        _finish_updates(agent)
        train_seconds = time.perf_counter() - started
        final = greedy_episodes(
            agent,
            config.env_id,
            episodes=config.eval_episodes,
            seed=config.seed + 100_000,
            max_steps=config.max_episode_steps,
        )
        eval_mean, eval_std = float(np.mean(final[0])), float(np.std(final[0]))
        env_steps = loop.steps_this_run
        run_log.final(env_steps, *final)
    finally:
        progress.close()
        env.close()
        run_log.close()  # logs/evaluations.npz
    recorder.log_point(
        env_steps=env_steps,
        episodes=episodes,
        feedback_count=feedback,
        human_seconds=round(human_seconds(), 3),
        **{"return": eval_mean, "train_return": train_return},
    )
    agent_dir = Path(out_dir or recorder.out_dir) / "agent"
    agent.save(agent_dir)
    summary: dict[str, Any] = {
        "agent": config.agent,
        "env": config.env_id,
        "teacher": config.teacher,
        "teacher_params": teacher_parameters(teacher),
        "seed": config.seed,
        "fps": fps,
        "env_steps": env_steps,
        "episodes": episodes,
        "feedback_count": feedback,
        "human_seconds": round(human_seconds(), 3),
        "train_seconds": round(train_seconds, 3),
        "eval_episodes": config.eval_episodes,
        "eval_return_mean": eval_mean,
        "eval_return_std": eval_std,
        "best_curve_return": None if curve_best == float("-inf") else curve_best,
        "agent_config": _agent_config_dict(agent),
        "agent_config_sources": _config_sources(config),
        "fps_source": _fps_source(config),
        "agent_dir": str(agent_dir),
    }
    recorder.write_summary(summary)
    return summary


def _finish_updates(agent: Any) -> None:
    """Wait for an agent's background learning to settle, if it has any."""
    wait = getattr(agent, "wait_for_updates", None)
    if callable(wait):
        wait()


def _fps_source(config: ScalarRunConfig) -> str:
    """Where the display rate came from: ``user`` (--fps), ``preset`` or ``env``."""
    from hfrl.presets import preset_fps

    if config.fps:
        return "user"
    return "preset" if preset_fps(config.agent, config.env_id) else "env"


def _config_sources(config: ScalarRunConfig) -> dict[str, str]:
    """Which agent settings came from the presets table and which from ``--set``."""
    from hfrl.agents.builder import agent_config

    try:
        return agent_config(config.agent, config.env_id, config.agent_overrides)[1]
    except HfrlError:
        return {}


def _agent_config_dict(agent: Any) -> dict[str, Any]:
    config = getattr(agent, "config", None)
    try:
        return config_to_dict(config) if config is not None else {}
    except TypeError:
        return {}


class _Progress:
    """A rich progress bar over episodes (or steps); silent when disabled."""

    def __init__(self, config: ScalarRunConfig, episodes_budget: int | None) -> None:
        self._bar: Any = None
        if not config.progress:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._by_episodes = episodes_budget is not None
        total = episodes_budget if self._by_episodes else config.steps
        self._bar = Progress(
            TextColumn(f"{config.agent} on {config.env_id} ({config.teacher})"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            transient=False,
        )
        self._task = self._bar.add_task("train", total=total, info="")
        self._bar.start()

    def update(self, episodes: int, env_steps: int, feedback: int, ret: float) -> None:
        if self._bar is None:
            return
        done = episodes if self._by_episodes else env_steps
        info = f"steps {env_steps}  feedback {feedback}  last return {ret:.1f}"
        self._bar.update(self._task, completed=done, info=info)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
