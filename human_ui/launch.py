"""Starting the apps: shared command-line options, the headless fallback, and sessions.

``hfrl teach``, ``hfrl compare``, ``experiments/screenshots.py`` and the frame-time
benchmark all start an app the same way: check the names, make sure the env draws
frames, open (or resume) the session in the feedback store, load or build the agent,
build the app; and afterwards close the store and the env. :func:`teach_session` and
:func:`compare_session` do that as context managers.

This module imports pygame only inside functions, so the CLI can declare its options
cheaply.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HEADLESS_SECONDS = 60.0
"""Session length when no display can open and no ``--max-seconds`` was given."""
COMPARE_MAX_PENDING = 12
"""Most comparison queries waiting at once (agent config and the app's queue)."""


# ---------------------------------------------------------------------- command line
def add_session_arguments(parser: argparse.ArgumentParser, env_example: str) -> None:
    """The options both app commands take: env, session, demo teacher, limits, folder."""
    parser.add_argument("--env", required=True, metavar="ENV_ID", help=f"e.g. {env_example}")
    parser.add_argument(
        "--session", metavar="NAME", help="session name; an existing one is resumed"
    )
    parser.add_argument(
        "--teacher", metavar="NAME", help="demo mode: a simulated teacher presses the keys"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        metavar="N",
        help="end by itself after N seconds, saving",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dir",
        default=None,
        metavar="DIR",
        help="folder of the feedback store and agent saves (default runs/sessions)",
    )


@dataclass(frozen=True)
class Launch:
    """How an app command runs, once the display has been looked at."""

    teacher: str | None
    """Simulated teacher pressing the keys, or None for a person."""
    max_seconds: float | None
    """Session length limit."""
    headless: bool
    """No window can be seen: drawing goes to memory."""
    paths: Any
    """The session's files (:class:`~hfrl.human_ui.session.SessionPaths`)."""


def quiet_sdl() -> None:
    """Keep SDL and pygame from printing noise (the apps make no sound)."""
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def go_headless() -> None:
    """Draw off-screen from the very first SDL call, without SDL's desktop complaints.

    Sets ``SDL_VIDEODRIVER=dummy`` (unless a headless driver is set already) before any
    env renders (the classic-control renderers call ``pygame.init()``), and points an
    unset or unusable ``XDG_RUNTIME_DIR`` at a private temporary folder, removed at exit.
    """
    from hfrl.human_ui.window import HEADLESS_DRIVERS

    quiet_sdl()
    if os.environ.get("SDL_VIDEODRIVER", "").lower() not in HEADLESS_DRIVERS:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if not runtime or not os.path.isdir(runtime) or not os.access(runtime, os.W_OK):
        private = tempfile.mkdtemp(prefix="hfrl-xdg-")  # mode 0700, as SDL expects
        atexit.register(shutil.rmtree, private, True)
        os.environ["XDG_RUNTIME_DIR"] = private


def start_command(
    args: argparse.Namespace, app: str, agent: str, default_teacher: str, task: str
) -> Launch:
    """What both app commands do first: check the names, look for a display, seed, name
    the session.

    With no display to open a window on and no ``--teacher``, the app runs headless with
    ``default_teacher`` pressing the keys (for ``--max-seconds``, default
    :data:`HEADLESS_SECONDS`), and says so on stderr.

    Args:
        args: the parsed options of :func:`add_session_arguments`.
        app: ``"teach"`` or ``"compare"``.
        agent: the agent's registered name.
        default_teacher: the teacher that presses the keys when nobody can.
        task: what a person would do at a desktop (``"teach the agent"``).
    """
    quiet_sdl()
    from hfrl.agents.registry import get_agent_class
    from hfrl.envs.make import check_id
    from hfrl.human_ui.window import display_available

    check_agent_kind(get_agent_class(agent), agent, app, args.env)  # close matches on typos
    check_id(args.env)
    teacher, max_seconds = args.teacher, args.max_seconds
    headless = not display_available()
    if headless:
        go_headless()
    if teacher is None and headless:
        teacher = default_teacher
        max_seconds = HEADLESS_SECONDS if max_seconds is None else max_seconds
        print(
            f"hfrl {app}: no display to open a window on, so nobody could press keys; running "
            f"headless with the simulated '{teacher}' teacher for {max_seconds:g} s instead. "
            f"Run it on a desktop to {task} yourself.",
            file=sys.stderr,
        )
    import torch

    from hfrl.seeding import seed_everything

    # the UI thread needs a core: learning with every core stalls it (and the label queue)
    torch.set_num_threads(max(1, min(2, (os.cpu_count() or 2) - 1)))
    seed_everything(args.seed)
    paths = session_paths(args.dir, args.session, app, agent, args.env)
    return Launch(teacher, max_seconds, headless, paths)


def check_agent_kind(cls: Any, name: str, app: str, env_id: str) -> None:
    """Raise a clear error if agent class ``cls`` learns from another kind of feedback."""
    from hfrl.errors import HfrlError

    kind = getattr(cls, "feedback_kind", None)
    if app == "teach" and kind == "preference":
        raise HfrlError(
            f"{name} learns from clip comparisons; use `hfrl compare --env {env_id} --agent "
            f"{name}` (the teach app takes tamer, deep-tamer, coach or deep-coach)."
        )
    if app == "compare" and kind != "preference":
        raise HfrlError(f"{name} learns from live ratings; use `hfrl teach {name} --env {env_id}`.")


def session_paths(root: str | Path | None, name: str | None, app: str, agent: str, env_id: str):
    """The session's files: under ``root`` (default ``runs/sessions``), a fresh name if None."""
    from hfrl.human_ui.session import DEFAULT_ROOT, SessionPaths, default_session_name

    return SessionPaths(
        root=DEFAULT_ROOT if root is None else Path(root),
        name=name or default_session_name(app, agent, env_id),
    )


def resume_hint(command: str, paths: Any, root: str | Path | None) -> str:
    """The command line that resumes this session."""
    return f"Resume with: {command} --session {paths.name}" + (f" --dir {root}" if root else "")


# ---------------------------------------------------------------------- sessions
@dataclass
class Launched:
    """An app ready to run, and how its session started."""

    app: Any
    """The :class:`TeachApp` or :class:`CompareApp`."""
    loaded: bool
    """The agent was loaded from the session's last save."""
    resumed: bool
    """The session existed in the store already."""
    restored: int = 0
    """Compare: stored labels given back to the agent on resume."""


def _teacher(name: str | None, env_id: str, seed: int, needs: str, app: str) -> Any:
    """The simulated teacher ``name``, checked to be the kind the app needs."""
    if name is None:
        return None
    from hfrl.errors import HfrlError
    from hfrl.teachers import make_teacher
    from hfrl.teachers.presets import teacher_kind, teacher_names

    teacher = make_teacher(name, env_id, seed)
    if not callable(getattr(teacher, needs, None)):
        kind = "scalar" if needs == "rate" else "preference"
        fits = [n for n in teacher_names() if teacher_kind(n) == kind]
        raise HfrlError(
            f"teacher {name!r} does not give {'live ratings' if kind == 'scalar' else 'clip comparisons'}"
            f", which the {app} app needs; use one of: {', '.join(fits)}."
        )
    return teacher


def teacher_meta(demo: Any, fps: float | None) -> dict[str, Any]:
    """Who labels a new session and at which display rate, for its meta (exports read it)."""
    from hfrl.teachers import teacher_params

    if demo is None:
        teacher: dict[str, Any] = {"kind": "person"}
    else:
        params = dict(teacher_params(demo))
        teacher = {"kind": "simulated", "feedback": params.pop("kind", None), **params}
    return {"teacher": teacher, "fps": None if fps is None else float(fps)}


def check_renders(env: Any, env_id: str, seed: int) -> None:
    """Reset ``env`` and check it draws colour frames (a clear error if it does not)."""
    from hfrl.human_ui.teach import check_frame

    env.reset(seed=seed)
    check_frame(env.render(), env_id)


@contextmanager
def teach_session(
    agent_name: str,
    env_id: str,
    paths: Any,
    config: Any = None,
    teacher: str | None = None,
    seed: int = 0,
) -> Iterator[Launched]:
    """Open (or resume) a live-rating session and build its app; close it all afterwards.

    Raises:
        HfrlError: unknown agent, env or teacher; an env that draws no frames; a session
            made for another app, agent or env.
    """
    from hfrl.agents.registry import get_agent_class
    from hfrl.envs.make import check_id, make
    from hfrl.human_ui.session import load_or_build_agent, open_session
    from hfrl.human_ui.teach import TeachApp

    from hfrl.teachers.policy_dependent import attach_agent

    check_agent_kind(get_agent_class(agent_name), agent_name, "teach", env_id)
    check_id(env_id)
    env = make(env_id, seed=seed, render_mode="rgb_array")
    store = None
    try:
        check_renders(env, env_id, seed)
        demo = _teacher(teacher, env_id, seed, "rate", "teach")
        meta = {"app": "teach", "agent": agent_name, "env_id": env_id, "seed": seed}
        meta.update(teacher_meta(demo, getattr(config, "fps", None)))  # for exports
        store, session = open_session(paths, meta)
        agent, loaded = load_or_build_agent(agent_name, env, env_id, seed, paths.agent_dir)
        if demo is not None:
            attach_agent(demo, agent)  # policy-dependent demo trainers watch the agent
        app = TeachApp(
            agent,
            env,
            env_id,
            session,
            paths.agent_dir,
            config,
            teacher=demo,
            agent_name=agent_name,
            seed=seed,
        )
        yield Launched(app, loaded, bool(session.resumed))
    finally:
        if store is not None:
            store.close()
        env.close()


def build_preference_agent(env_id: str, seed: int, agent_dir: Path) -> tuple[Any, bool]:
    """A preference agent that keeps display frames, loaded from ``agent_dir`` if saved there."""
    from hfrl.agents.preference import PreferenceAgent
    from hfrl.agents.preference.config import PreferenceConfig
    from hfrl.human_ui.worker import saved_agent_dir

    saved = saved_agent_dir(agent_dir)
    if saved is not None:
        return PreferenceAgent.load(saved), True
    config = PreferenceConfig(keep_frames=True, pool_size=40, max_pending=COMPARE_MAX_PENDING)
    return PreferenceAgent(env_id, config=config, seed=seed), False


@contextmanager
def compare_session(
    env_id: str,
    paths: Any,
    config: Any = None,
    teacher: str | None = None,
    seed: int = 0,
    agent_name: str = "preference",
    chunk_steps: int = 1024,
) -> Iterator[Launched]:
    """Open (or resume) a clip-comparison session and build its app; close the store after.

    On resume the agent is loaded from its last save and given the stored labels it had
    not learnt from (every label, if no save was found).

    Raises:
        HfrlError: an agent that does not learn from comparisons, unknown env or teacher,
            an env that draws no frames, a session made for another app, agent or env.
    """
    from hfrl.agents.preference.labels import QueryQueue
    from hfrl.agents.registry import get_agent_class
    from hfrl.envs.make import check_id, make
    from hfrl.human_ui.compare import CompareApp, LearnInChunks
    from hfrl.human_ui.session import open_session
    from hfrl.human_ui.worker import load_ui_state, saved_agent_dir

    from hfrl.errors import HfrlError

    check_agent_kind(get_agent_class(agent_name), agent_name, "compare", env_id)
    if agent_name != "preference":
        raise HfrlError(
            "the compare app drives the 'preference' agent; other comparison agents are not "
            "supported yet."
        )
    check_id(env_id)
    probe = make(env_id, seed=seed, render_mode="rgb_array")
    try:
        check_renders(probe, env_id, seed)
    finally:
        probe.close()
    demo = _teacher(teacher, env_id, seed, "compare", "compare")
    meta = {"app": "compare", "agent": agent_name, "env_id": env_id, "seed": seed}
    meta.update(teacher_meta(demo, getattr(config, "clip_fps", None)))  # for exports
    store, session = open_session(paths, meta)
    try:
        agent, loaded = build_preference_agent(env_id, seed, paths.agent_dir)
        queries = QueryQueue(max_pending=COMPARE_MAX_PENDING)
        app = CompareApp(
            agent,
            queries,
            env_id,
            session,
            paths.agent_dir,
            config,
            teacher=demo,
            agent_name=agent_name,
            train_step=LearnInChunks(agent, queries, chunk_steps=chunk_steps),
        )
        restored = 0
        if session.resumed:
            saved = saved_agent_dir(paths.agent_dir)
            after = int(load_ui_state(saved).get("last_label_row", 0)) if loaded and saved else 0
            restored = app.restore_labels(after)
        yield Launched(app, loaded, bool(session.resumed), restored)
    finally:
        store.close()


# ---------------------------------------------------------------------- evaluation
def greedy_return(
    agent: Any,
    env_id: str,
    seed: int,
    episodes: int = 3,
    seconds: float = 8.0,
    max_steps: int = 1000,
) -> tuple[float, int]:
    """Mean true return of the agent's greedy policy, in bounded time.

    Plays up to ``episodes`` episodes (episode ``i`` reset with ``seed + i``, each cut at
    ``max_steps``), stopping early once ``seconds`` have passed (at least one episode).

    Returns:
        The mean return and the number of episodes played.
    """
    from hfrl.envs.make import make

    from hfrl.training.evaluate import run_episode

    env = make(env_id, seed=seed, render_mode=None)
    returns: list[float] = []
    deadline = time.monotonic() + seconds
    try:
        for i in range(episodes):
            returns.append(run_episode(agent, env, seed + i, max_steps))
            if time.monotonic() >= deadline:
                break
    finally:
        env.close()
    return sum(returns) / len(returns), len(returns)
