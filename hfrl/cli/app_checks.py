"""Checks ``hfrl teach`` and ``hfrl compare`` make before anything starts, and the session lock.

Every number is checked for being finite and in range, the session name for being one safe
folder name (:func:`hfrl.sessions.check_name`), ``--dir`` for not being a file, and the
agent for fitting the env's action space, so a mistake is a one-line message before a
window opens or a store is touched. :func:`lock_session` then makes the command the only
writer of its session for as long as it runs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from hfrl.errors import HfrlError


def check_app_arguments(args: argparse.Namespace, app: str, agent: str) -> None:
    """Check the options of an app command (``app``: ``"teach"`` or ``"compare"``).

    Fills in ``args.session`` with a fresh name when none was given, so the session can
    be locked before it is opened.

    Raises:
        HfrlError: a bad number, session name or folder.
    """
    from hfrl.cli.train import check_seed
    from hfrl.sessions import check_name

    check_seed(args.seed)
    max_seconds = getattr(args, "max_seconds", None)
    if max_seconds is not None and not (math.isfinite(max_seconds) and max_seconds > 0):
        raise HfrlError(f"--max-seconds must be a positive finite number, got {max_seconds}")
    fps = getattr(args, "fps", None)
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise HfrlError(f"--fps must be a positive finite number, got {fps}")
    for attr, flag in (("chunk_steps", "--chunk-steps"), ("max_feedback", f"--max-{_noun(app)}")):
        value = getattr(args, attr, None)
        if value is not None and value < 1:
            raise HfrlError(f"{flag} must be at least 1, got {value}")
    check_pairing(args, app, agent)
    root = session_root(args)
    if root.exists() and not root.is_dir():
        raise HfrlError(f"--dir {root} is a file; pass a folder for the feedback store.")
    blocker = next((p for p in root.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise HfrlError(f"--dir {root}: {blocker} is a file, not a folder.")
    if args.session is None:
        from hfrl.human_ui.session import default_session_name

        args.session = default_session_name(app, agent, args.env)
    check_name(args.session, "--session name")


def check_pairing(args: argparse.Namespace, app: str, agent: str) -> None:
    """The agent and the demo teacher must give and take the app's kind of feedback."""
    from hfrl.human_ui.launch import check_agent_name

    check_agent_name(agent, app, args.env)  # imports no learner stack
    if args.teacher is None:
        return
    from hfrl.teachers.presets import teacher_kind, teacher_names

    needs = "scalar" if app == "teach" else "preference"
    if teacher_kind(args.teacher) != needs:  # unknown names get close matches
        fits = ", ".join(n for n in teacher_names() if teacher_kind(n) == needs)
        what = "live ratings" if needs == "scalar" else "clip comparisons"
        raise HfrlError(
            f"teacher {args.teacher!r} does not give {what}, which the {app} app needs; use "
            f"one of: {fits}."
        )


def _noun(app: str) -> str:
    return "labels" if app == "compare" else "ratings"


def session_root(args: argparse.Namespace) -> Path:
    """The folder of the store and the sessions (``--dir``, default ``runs/sessions``)."""
    from hfrl.human_ui.session import DEFAULT_ROOT

    return DEFAULT_ROOT if args.dir is None else Path(args.dir)


def lock_session(args: argparse.Namespace) -> Any:
    """Lock the session folder ``DIR/NAME``: a second writer is refused naming this process."""
    from hfrl.sessions import session_lock

    return session_lock(session_root(args) / args.session, args.session)


def check_live_agent_fits(agent: str, env_id: str) -> None:
    """A live agent needs discrete actions; say so before any teacher or window is made."""
    from hfrl.agents.registry import get_agent_class
    from hfrl.envs.make import check_id, make

    check_id(env_id)
    env = make(env_id, render_mode=None)
    try:
        action_space = env.action_space
    finally:
        env.close()
    if getattr(action_space, "n", None) is not None:
        return  # discrete: no need to import the agent (and torch) before the window opens
    if getattr(get_agent_class(agent), "feedback_kind", None) == "scalar":
        raise HfrlError(
            f"{agent} needs a discrete action space, but {env_id} has {action_space}; teach it "
            "on an env with discrete actions (CartPole-v1, MountainCar-v0, ALE/...), or use "
            f"`hfrl compare --env {env_id}` (preferences work with continuous actions)."
        )
