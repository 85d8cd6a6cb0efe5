"""``hfrl teach``: teach an agent live with the keyboard (the pygame live-rating app)."""

from __future__ import annotations

import argparse

HELP = "teach an agent live: watch it act, reward (/ or up) and punish (z or down) it with keys"

HEADLESS_TEACHER = "human"
"""Simulated teacher used when no display can open and no --teacher was given."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hfrl.human_ui.launch import add_session_arguments

    parser.add_argument("agent", metavar="AGENT", help="tamer, deep-tamer, coach or deep-coach")
    add_session_arguments(parser, "MountainCar-v0, ALE/Bowling-v5")
    parser.add_argument(
        "--fps",
        type=float,
        default=None,
        help="starting frame rate (default: the presets table's, else the env's, at most 30)",
    )


def run(args: argparse.Namespace) -> int:
    from hfrl.cli.app_checks import check_app_arguments, check_live_agent_fits, lock_session

    check_app_arguments(args, "teach", args.agent)
    check_live_agent_fits(args.agent, args.env)
    with lock_session(args):  # one writer per session
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from hfrl.human_ui.launch import start_command

    launch = start_command(args, "teach", args.agent, HEADLESS_TEACHER, "teach the agent")
    from hfrl.envs.make import env_fps
    from hfrl.human_ui.launch import greedy_return, resume_hint, teach_session
    from hfrl.human_ui.teach import TeachConfig

    paths = launch.paths
    from hfrl.presets import resolve_fps

    fps = resolve_fps(args.agent, args.env, args.fps, float(min(30, env_fps(args.env))))
    simulated = launch.headless and launch.teacher is not None  # nobody watches: no waiting
    config = TeachConfig(
        fps=fps,
        max_seconds=launch.max_seconds,
        max_feedback=launch.max_feedback,
        simulated_clock=simulated,
    )
    show_learning = launch.headless and launch.teacher is not None
    eval_seed = 10_000 + args.seed
    with teach_session(
        args.agent, args.env, paths, config, launch.teacher, args.seed, window_first=True
    ) as started:
        app = started.app
        if started.resumed:
            print(
                f"hfrl teach: resuming session {paths.name!r}: {app.prior_ratings} earlier "
                "ratings; agent "
                + (f"loaded from {paths.agent_dir}." if started.loaded else "started afresh.")
            )
        before = greedy_return(app.agent, args.env, eval_seed) if show_learning else None
        result = app.run()
        after = greedy_return(app.agent, args.env, eval_seed) if show_learning else None
        total = app.session.counts()["scalars"]
    print(
        f"hfrl teach: {result.ratings} ratings this run ({total} in the session), "
        f"{result.env_steps} steps over {result.episodes} finished episodes; ratings in "
        f"{paths.store} (session {paths.name!r}), agent saved to {paths.agent_dir}."
    )
    if before is not None and after is not None:
        print(
            f"hfrl teach: what the agent learned - its greedy policy's true return, mean of "
            f"{after[1]} episodes: {before[0]:.1f} before this session, {after[0]:.1f} after."
        )
    print(resume_hint(f"hfrl teach {args.agent} --env {args.env}", paths, args.dir))
    return 0
