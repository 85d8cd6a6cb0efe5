"""``hfrl teach``: teach an agent live with the keyboard (the pygame live-rating app)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "teach an agent live: watch it act, reward (/ or up) and punish (z or down) it with keys"

HEADLESS_TEACHER = "human"
"""Simulated teacher used when no display can open and no --teacher was given."""
HEADLESS_SECONDS = 60.0
"""Default session length in that case."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent", metavar="AGENT", help="tamer, deep-tamer, coach or deep-coach")
    parser.add_argument(
        "--env", required=True, metavar="ENV_ID", help="e.g. MountainCar-v0, ALE/Bowling-v5"
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=None,
        help="starting frame rate (default: the env's, at most 30)",
    )
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


def run(args: argparse.Namespace) -> int:
    import torch

    from hfrl.envs.make import env_fps, make
    from hfrl.human_ui.session import (
        DEFAULT_ROOT,
        SessionPaths,
        default_session_name,
        load_or_build_agent,
        open_session,
    )
    from hfrl.human_ui.teach import TeachApp, TeachConfig
    from hfrl.human_ui.window import display_available
    from hfrl.seeding import seed_everything

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    from hfrl.agents.registry import get_agent_class

    get_agent_class(args.agent)  # an unknown name fails here, with close matches
    from hfrl.envs.make import check_id

    check_id(args.env)
    teacher_name, max_seconds = args.teacher, args.max_seconds
    if teacher_name is None and not display_available():
        teacher_name = HEADLESS_TEACHER
        max_seconds = HEADLESS_SECONDS if max_seconds is None else max_seconds
        print(
            f"hfrl teach: no display to open a window on, so nobody could press keys; running "
            f"headless with the simulated '{teacher_name}' teacher for {max_seconds:g} s instead. "
            "Run it on a desktop to teach the agent yourself.",
            file=sys.stderr,
        )
    seed_everything(args.seed)
    env = make(args.env, seed=args.seed, render_mode="rgb_array")
    fps = args.fps if args.fps else float(min(30, env_fps(args.env)))
    paths = SessionPaths(
        root=DEFAULT_ROOT if args.dir is None else Path(args.dir),
        name=args.session or default_session_name("teach", args.agent, args.env),
    )
    meta = {"app": "teach", "agent": args.agent, "env_id": args.env, "seed": args.seed}
    teacher = None
    if teacher_name is not None:
        from hfrl.teachers import make_teacher

        teacher = make_teacher(teacher_name, args.env, args.seed)
    store, session = open_session(paths, meta)
    try:
        agent, loaded = load_or_build_agent(args.agent, env, args.env, args.seed, paths.agent_dir)
        if teacher is not None:
            from hfrl.teachers.policy_dependent import attach_agent

            attach_agent(teacher, agent)  # policy-dependent demo trainers watch the agent
        if session.resumed:
            c = session.counts()
            print(
                f"hfrl teach: resuming session {paths.name!r}: {c['scalars']} earlier ratings; "
                f"agent {'loaded from ' + str(paths.agent_dir) if loaded else 'started afresh (no save found)'}."
            )
        app = TeachApp(
            agent,
            env,
            args.env,
            session,
            paths.agent_dir,
            TeachConfig(fps=fps, max_seconds=max_seconds),
            teacher=teacher,
            agent_name=args.agent,
            seed=args.seed,
        )
        result = app.run()
        total = session.counts()["scalars"]
    finally:
        store.close()
        env.close()
    print(
        f"hfrl teach: {result.ratings} ratings this run ({total} in the session), "
        f"{result.env_steps} steps over {result.episodes} finished episodes; ratings in "
        f"{paths.store} (session {paths.name!r}), agent saved to {paths.agent_dir}.\n"
        f"Resume with: hfrl teach {args.agent} --env {args.env} --session {paths.name}"
        + (f" --dir {args.dir}" if args.dir else "")
    )
    return 0
