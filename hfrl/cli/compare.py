"""``hfrl compare``: label clip comparisons while a preference agent learns (pygame app)."""

from __future__ import annotations

import argparse

HELP = "compare clips side by side (<- / ->) while a reward model and an RL agent learn from you"

HEADLESS_TEACHER = "oracle"
"""Simulated teacher used when no display can open and no --teacher was given."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hfrl.human_ui.launch import add_session_arguments

    add_session_arguments(parser, "CartPole-v1, ALE/Pong-v5", feedback="labels")
    parser.add_argument("--agent", default="preference", help="agent learning from comparisons")
    parser.add_argument(
        "--chunk-steps",
        type=int,
        default=4096,
        help="most env steps of one background learning chunk (chunks last about 2 s)",
    )
    parser.add_argument(
        "--answer-seconds",
        type=float,
        default=1.0,
        metavar="S",
        help="demo mode: the simulated teacher answers each pair S seconds after it is shown",
    )


def run(args: argparse.Namespace) -> int:
    from hfrl.cli.app_checks import check_app_arguments, lock_session

    check_app_arguments(args, "compare", args.agent)
    with lock_session(args):  # one writer per session
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    # the window opens before torch and the learner load (hfrl.human_ui.launch.run_compare)
    from hfrl.human_ui.launch import run_compare

    run_compare(args)
    return 0
