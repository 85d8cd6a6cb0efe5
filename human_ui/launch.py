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
"""Most comparison queries the agent keeps waiting for the person at once."""
FRAME_ENVS = 1
"""Sub-envs of the learner that draw frames: a person sees ~40 clips a minute, and drawing
every sub-env would take most of the learner's time."""
SHOWN_ROOM = 40
"""Room in the app's queue for pairs the person has on screen or answered and not yet
handed over (a long learning chunk delays the hand-over): new pairs must not crowd them."""


# ---------------------------------------------------------------------- command line
def add_session_arguments(
    parser: argparse.ArgumentParser, env_example: str, feedback: str = "ratings"
) -> None:
    """The options both app commands take: env, session, demo teacher, limits, folder.

    ``feedback`` names the app's answers (``"labels"``, ``"ratings"``) for ``--max-labels``
    / ``--max-ratings`` (stored as ``args.max_feedback``).
    """
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
    parser.add_argument(
        f"--max-{feedback}",
        dest="max_feedback",
        type=int,
        default=None,
        metavar="N",
        help=f"end by itself after N {feedback} in this run, saving",
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
    max_feedback: int | None
    """Stop after this many answers or ratings (None: no limit)."""
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
    args: argparse.Namespace,
    app: str,
    agent: str,
    default_teacher: str,
    task: str,
    window: tuple[tuple[int, int], str] | None = None,
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
        window: ``(size, title)`` of a window to open at once, before gymnasium and the env
            load (it says what is happening; the app takes it over).
    """
    quiet_sdl()
    from hfrl.human_ui.window import display_available

    check_agent_name(agent, app, args.env)  # close matches on typos, importing no agent
    teacher, max_seconds = args.teacher, args.max_seconds
    headless = not display_available()
    if headless:
        go_headless()
    if teacher is None and headless:
        teacher = default_teacher
        max_seconds = HEADLESS_SECONDS if max_seconds is None else max_seconds
        pace = " simulated" if app == "teach" else ""  # teach runs on a simulated clock
        print(
            f"hfrl {app}: no display to open a window on, so nobody could press keys; running "
            f"headless with the simulated '{teacher}' teacher for {max_seconds:g}{pace} s "
            f"instead. Run it on a desktop to {task} yourself.",
            file=sys.stderr,
        )
    if window is not None:
        from hfrl.human_ui.window import close_window, show_starting

        show_starting(*window, f"starting: loading {args.env}")
    from hfrl.envs.make import check_id

    try:
        check_id(args.env)
    except BaseException:
        if window is not None:
            close_window()
        raise
    paths = session_paths(args.dir, args.session, app, agent, args.env)
    return Launch(teacher, max_seconds, getattr(args, "max_feedback", None), headless, paths)


class _PreferenceKind:
    """Stands for the preference agent's class in :func:`check_agent_kind` (no SB3 import)."""

    feedback_kind = "preference"


def check_agent_name(name: str, app: str, env_id: str) -> None:
    """Raise a clear error for an unknown or misplaced agent, importing no learner stack.

    A live agent's kind is checked by :func:`teach_session` behind the open window
    (importing a deep agent imports torch); the preference agent's kind is known here.
    """
    from hfrl.agents.registry import AGENTS, get_agent_class

    from hfrl.errors import unknown_name

    if name not in AGENTS:
        raise unknown_name("agent", name, AGENTS)
    if name == "preference":
        check_agent_kind(_PreferenceKind, name, app, env_id)
    elif app == "compare":
        check_agent_kind(get_agent_class(name), name, app, env_id)


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
    window_first: bool = False,
) -> Iterator[Launched]:
    """Open (or resume) a live-rating session and build its app; close it all afterwards.

    With ``window_first`` (what ``hfrl teach`` does) the window opens before torch and the
    agent load, and says so; torch then gets every core but the window's, and is seeded.
    When a person rates (no simulated teacher) the app then steps the env with a warm-up
    policy at once and the agent is built by an :class:`~hfrl.human_ui.startup.AgentLoader`
    thread; ratings given meanwhile are stored and reach the agent when it attaches.

    Raises:
        HfrlError: unknown agent, env or teacher; an env that draws no frames; a session
            made for another app, agent or env.
    """
    from hfrl.agents.registry import get_agent_class
    from hfrl.envs.make import check_id, make
    from hfrl.human_ui.session import load_or_build_agent, open_session
    from hfrl.human_ui.startup import AgentLoader, import_learner_stack
    from hfrl.human_ui.teach import TeachApp
    from hfrl.human_ui.warm_up import WarmUpPolicy
    from hfrl.human_ui.window import close_window, show_starting
    from hfrl.human_ui.worker import saved_agent_dir

    from hfrl.teachers.policy_dependent import attach_agent

    check_id(env_id)
    late = window_first and teacher is None and not getattr(config, "simulated_clock", False)
    if window_first:
        show_starting(
            (900, 600),
            f"hfrl teach - {agent_name} on {env_id}",
            f"starting: loading {'the env' if late else 'torch and the'} {agent_name} agent",
        )
        if not late:
            import_learner_stack(seed, sb3=False)
    if not late:  # else the loader checks it: importing a deep agent's module imports torch
        check_agent_kind(get_agent_class(agent_name), agent_name, "teach", env_id)
    env = make(env_id, seed=seed, render_mode="rgb_array")
    store = None
    try:
        check_renders(env, env_id, seed)
        demo = _teacher(teacher, env_id, seed, "rate", "teach")
        meta = {"app": "teach", "agent": agent_name, "env_id": env_id, "seed": seed}
        meta.update(teacher_meta(demo, getattr(config, "fps", None)))  # for exports
        store, session = open_session(paths, meta)
        loader = None
        if late:  # the agent loads behind the running app
            loaded = saved_agent_dir(paths.agent_dir) is not None

            def build() -> Any:
                check_agent_kind(get_agent_class(agent_name), agent_name, "teach", env_id)
                return load_or_build_agent(agent_name, env, env_id, seed, paths.agent_dir)[0]

            loader = AgentLoader(build, seed, sb3=False)
            agent: Any = WarmUpPolicy(env.action_space, agent_name, env_id, seed)
        else:
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
            loader=loader,
        )
        yield Launched(app, loaded, bool(session.resumed))
    except BaseException:
        if window_first:
            close_window()
        raise
    finally:
        if store is not None:
            store.close()
        env.close()


def build_preference_agent(env_id: str, seed: int, agent_dir: Path) -> tuple[Any, bool]:
    """A preference agent for the app, loaded from ``agent_dir`` if saved there.

    Its learner renders display frames only for an env the app cannot draw from the
    observations itself (:func:`hfrl.human_ui.obs_frames.can_draw`), and then on
    :data:`FRAME_ENVS` sub-envs only.
    """
    import dataclasses

    from hfrl.agents.preference import PreferenceAgent
    from hfrl.agents.preference.config import PreferenceConfig
    from hfrl.human_ui.obs_frames import can_draw
    from hfrl.human_ui.worker import saved_agent_dir

    saved = saved_agent_dir(agent_dir)
    drawn_here = can_draw(env_id)
    if saved is not None:
        agent = PreferenceAgent.load(saved)
        if drawn_here and agent.config.keep_frames:  # saved when the learner drew its clips
            agent.config = dataclasses.replace(agent.config, keep_frames=False, frame_envs=0)
            agent.recorder.keep_frames = False
        return agent, True
    config = PreferenceConfig(
        keep_frames=not drawn_here,
        frame_envs=0 if drawn_here else FRAME_ENVS,
        pool_size=40,
        max_pending=COMPARE_MAX_PENDING,
    )
    return PreferenceAgent(env_id, config=config, seed=seed), False


COMPARE_EVAL_SECONDS = 20.0
"""How often the compare app measures the agent's greedy return for its footer curve."""


def load_compare_agent(
    env_id: str, seed: int, paths: Any, queries: Any, resumed: bool, chunk_steps: int
) -> Any:
    """Build (or load) the preference agent and its chunked learning; a ``LoadedAgent``.

    On resume, ``restore_after`` is the newest label row the saved agent had learnt from
    (0 when no save was found: every stored label is given back).
    """
    from hfrl.human_ui.compare import LearnInChunks
    from hfrl.human_ui.startup import LoadedAgent
    from hfrl.human_ui.worker import load_ui_state, rows_in, saved_agent_dir

    agent, loaded = build_preference_agent(env_id, seed, paths.agent_dir)
    after, learned = None, None
    if resumed:
        saved = saved_agent_dir(paths.agent_dir)
        state = load_ui_state(saved) if loaded and saved else {}
        after = int(state.get("last_label_row", 0))
        if "label_rows" in state:  # the rows it learnt from, whoever wrote them (issue 12)
            learned = frozenset(rows_in(state["label_rows"]))
    train = LearnInChunks(agent, queries, chunk_steps=chunk_steps)
    return LoadedAgent(agent, loaded, train, after, learned)


@contextmanager
def compare_session(
    env_id: str,
    paths: Any,
    config: Any = None,
    teacher: str | None = None,
    seed: int = 0,
    agent_name: str = "preference",
    chunk_steps: int = 4096,
    background: bool = False,
) -> Iterator[Launched]:
    """Open (or resume) a clip-comparison session and build its app; close the store after.

    With ``background`` (what ``hfrl compare`` does) the window opens first, the first
    pairs are random-policy clips made from the env alone, and the agent is built by an
    :class:`~hfrl.human_ui.startup.AgentLoader` thread once the first pair is on screen;
    ``loaded`` and ``restored`` are then known after the run (``app.loaded``,
    ``app.restored``). Without it the agent is built before this yields.

    On resume the agent is loaded from its last save and given the stored labels it had
    not learnt from (every label, if no save was found).

    Raises:
        HfrlError: an agent that does not learn from comparisons, unknown env or teacher,
            an env that draws no frames, a session made for another app, agent or env.
    """
    from hfrl.envs.make import check_id, make
    from hfrl.human_ui.clips import RandomClips, RandomPairs, ScreenedQueries, clip_length
    from hfrl.human_ui.compare import CompareApp, compare_window_size
    from hfrl.human_ui.obs_frames import ClipPainter, ObsFrames, can_draw
    from hfrl.human_ui.session import open_session
    from hfrl.human_ui.startup import AgentLoader
    from hfrl.human_ui.window import close_window, opened_at, show_starting

    from hfrl.errors import HfrlError

    if agent_name != "preference":
        from hfrl.agents.registry import get_agent_class

        check_agent_kind(get_agent_class(agent_name), agent_name, "compare", env_id)
        raise HfrlError(
            "the compare app drives the 'preference' agent; other comparison agents are not "
            "supported yet."
        )
    check_id(env_id)
    window_at = None
    if background:  # a person sees the window at once, and what it is doing
        show_starting(
            compare_window_size(),
            f"hfrl compare - {agent_name} on {env_id}",
            f"starting: making {env_id} and its first clips",
        )
        window_at = opened_at()
    env = make(env_id, seed=seed, render_mode="rgb_array")
    canvas = make(env_id, seed=seed, render_mode="rgb_array") if can_draw(env_id) else None
    store = None
    try:
        check_renders(env, env_id, seed)
        painter = None if canvas is None else ClipPainter(ObsFrames(canvas, env_id))
        demo = _teacher(teacher, env_id, seed, "compare", "compare")
        meta = {"app": "compare", "agent": agent_name, "env_id": env_id, "seed": seed}
        meta.update(teacher_meta(demo, getattr(config, "clip_fps", None)))  # for exports
        store, session = open_session(paths, meta)
        queries = ScreenedQueries(max_pending=COMPARE_MAX_PENDING + SHOWN_ROOM)
        pairs = RandomPairs(RandomClips(env, env_id, clip_length(env_id), seed), queries)
        resumed = bool(session.resumed)

        def load() -> Any:
            return load_compare_agent(env_id, seed, paths, queries, resumed, chunk_steps)

        def evaluate(agent: Any) -> float:
            return greedy_return(agent, env_id, 10_000 + seed, episodes=1, seconds=2.0)[0]

        app = CompareApp(
            None,
            queries,
            env_id,
            session,
            paths.agent_dir,
            config,
            teacher=demo,
            agent_name=agent_name,
            random_pairs=pairs,
            evaluate=evaluate,
            painter=painter,
        )
        if background:
            app.mark("window", window_at)
            app.loader = AgentLoader(load, seed, mark=app.mark)
        else:
            app.attach_now(load())
        yield Launched(app, app.loaded, resumed, app.restored)
    except BaseException:
        if background:
            close_window()
        raise
    finally:
        if store is not None:
            store.close()
        env.close()
        if canvas is not None:
            canvas.close()


def run_compare(args: argparse.Namespace) -> Any:
    """``hfrl compare``: start the app behind an open window, run it, report; the result."""
    if getattr(args, "answer_seconds", 1.0) < 0:
        from hfrl.errors import HfrlError

        raise HfrlError(f"--answer-seconds must be 0 or more, got {args.answer_seconds:g}")
    from hfrl.human_ui.layout import compare_window_size

    title = f"hfrl compare - {args.agent} on {args.env}"
    launch = start_command(
        args, "compare", args.agent, "oracle", "compare the clips", (compare_window_size(), title)
    )
    from hfrl.envs.make import env_fps
    from hfrl.human_ui.compare import CompareConfig

    paths = launch.paths
    config = CompareConfig(
        clip_fps=float(min(60, env_fps(args.env))),
        max_seconds=launch.max_seconds,
        max_feedback=launch.max_feedback,
        eval_seconds=COMPARE_EVAL_SECONDS,
    )
    with compare_session(
        args.env,
        paths,
        config,
        launch.teacher,
        args.seed,
        args.agent,
        args.chunk_steps,
        background=True,
    ) as started:
        app = started.app
        if app.demo is not None:
            app.demo.think_seconds = float(getattr(args, "answer_seconds", 1.0))
        if started.resumed:
            print(
                f"hfrl compare: resuming session {paths.name!r} "
                f"({app.prior_labels} stored answers)."
            )
        result = app.run()
        counts = app.session.counts()
    print(
        f"hfrl compare: {result.labels} answers this run ({counts['preferences']} labels and "
        f"{counts['skips']} skips in the session) in {paths.store} (session {paths.name!r}); "
        f"agent saved to {paths.agent_dir}."
    )
    if started.resumed:
        print(
            f"hfrl compare: the agent was "
            f"{'loaded from its last save' if app.loaded else 'started afresh'}, "
            f"{app.restored} stored labels given back to it."
        )
    print(f"hfrl compare: {startup_line(result)}")
    print(f"hfrl compare: {learning_line(app)}")
    if launch.teacher is not None and result.labels:
        minutes = max(1e-9, app.run_seconds / 60)
        waited = max(result.waits_s, default=0.0)
        print(
            f"hfrl compare: about {result.labels / minutes:.0f} labels a minute; the first pair "
            f"came after {result.first_pair_s or 0:.1f} s, the longest wait for a pair after "
            f"that was {waited:.1f} s ({result.waiting_frames} frames waiting)."
        )
    print(resume_hint(f"hfrl compare --env {args.env}", paths, args.dir))
    return result


def startup_line(result: Any) -> str:
    """The start-up milestones of a run, in seconds after the window opened."""
    ev = result.events
    t0 = ev.get("window")
    if t0 is None:
        return "start-up: the window never opened"
    parts = [
        f"{name} {ev[name] - t0:.1f} s"
        for name in ("first_pair", "learner_imported", "agent_ready")
        if name in ev
    ]
    return "start-up after the window: " + (", ".join(parts) or "nothing else happened")


def learning_line(app: Any) -> str:
    """What the panel showed at the end: the agent's own steps, accuracy, agreement, return."""
    p = app.progress()
    steps = "-" if p["steps"] is None else f"{p['steps']}"
    acc = "-" if p["accuracy"] is None else f"{100 * p['accuracy']:.0f}%"
    agree = (
        "-"
        if p["agreement"] is None
        else f"{100 * p['agreement']:.0f}% of the last {len(app.agreement)}"
    )
    ret = f"{app.returns[-1][1]:.1f}" if app.returns else "-"
    return (
        f"agent training steps {steps}, reward model held-out accuracy {acc}, model agreed "
        f"with {agree} answers, greedy return {ret}"
    )


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
    from hfrl.envs.evaluation import run_episode
    from hfrl.envs.make import make

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
