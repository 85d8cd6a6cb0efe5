"""``hfrl envs``: list the environment suites, their ids, action kinds and extras."""

from __future__ import annotations

import argparse

HELP = "list the environment suites and their ids"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``--suite``."""
    parser.add_argument("--suite", help="only this suite (classic, mujoco, atari)")


def describe(env_id: str) -> tuple[str, str]:
    """(action kind, extra status) for one id; the kind is "?" when its extra is missing."""
    from hfrl.envs.make import action_kind, extra_installed, make, required_extra

    extra = required_extra(env_id)
    if extra is not None and not extra_installed(extra):
        return "?", f"needs hfrl[{extra}]: not installed, pip install 'hfrl[{extra}]'"
    env = make(env_id, render_mode=None)
    try:
        kind = action_kind(env)
    finally:
        env.close()
    return kind, (f"hfrl[{extra}] installed" if extra else "")


def run(args: argparse.Namespace) -> int:
    """Print each suite's ids with their action kind and extra status."""
    from hfrl.envs.make import env_fps
    from hfrl.envs.suites import SUITES
    from hfrl.errors import unknown_name

    suites = SUITES
    if args.suite:
        if args.suite not in SUITES:
            raise unknown_name("suite", args.suite, SUITES)
        suites = {args.suite: SUITES[args.suite]}
    for name, ids in suites.items():
        print(f"{name}:")
        for env_id in ids:
            kind, extra = describe(env_id)
            fps = env_fps(env_id) if kind != "?" else "?"
            print(f"  {env_id:<22}{kind:<12}{fps!s:>4} fps  {extra}".rstrip())
    print("Any ALE game works by id, e.g. ALE/MsPacman-v5.")
    return 0
