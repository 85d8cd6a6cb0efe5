"""``hfrl compare``: label clip comparisons while a preference agent learns (pygame app)."""

from __future__ import annotations

import argparse

HELP = "compare clips side by side (<- / ->) while a reward model and an RL agent learn from you"

HEADLESS_TEACHER = "oracle"
"""Simulated teacher used when no display can open and no --teacher was given."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hfrl.human_ui.launch import add_session_arguments

    add_session_arguments(parser, "CartPole-v1, ALE/Pong-v5")
    parser.add_argument("--agent", default="preference", help="agent learning from comparisons")
    parser.add_argument(
        "--chunk-steps", type=int, default=1024, help="env steps of each background learning chunk"
    )


def run(args: argparse.Namespace) -> int:
    from hfrl.human_ui.launch import start_command

    launch = start_command(args, "compare", args.agent, HEADLESS_TEACHER, "compare the clips")
    from hfrl.envs.make import env_fps
    from hfrl.human_ui.compare import CompareConfig
    from hfrl.human_ui.launch import compare_session, resume_hint

    paths = launch.paths
    config = CompareConfig(
        clip_fps=float(min(60, env_fps(args.env))), max_seconds=launch.max_seconds
    )
    with compare_session(
        args.env, paths, config, launch.teacher, args.seed, args.agent, args.chunk_steps
    ) as started:
        if started.resumed:
            print(
                f"hfrl compare: resuming session {paths.name!r}: agent "
                f"{'loaded from its last save' if started.loaded else 'started afresh'}, "
                f"{started.restored} stored labels given back to it."
            )
        result = started.app.run()
        counts = started.app.session.counts()
    minutes = max(1e-9, started.app.run_seconds / 60)
    print(
        f"hfrl compare: {result.labels} answers this run ({counts['preferences']} labels and "
        f"{counts['skips']} skips in the session) in {paths.store} (session {paths.name!r}); "
        f"agent saved to {paths.agent_dir}."
    )
    if launch.teacher is not None and result.labels:
        waited = max(result.waits_s, default=0.0)
        print(
            f"hfrl compare: about {result.labels / minutes:.0f} labels a minute; the first pair "
            f"came after {result.first_pair_s or 0:.1f} s, the longest wait for a pair after "
            f"that was {waited:.1f} s."
        )
    print(resume_hint(f"hfrl compare --env {args.env}", paths, args.dir))
    return 0
