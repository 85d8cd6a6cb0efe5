"""``hfrl envs``: list the environment suites and their ids."""

from __future__ import annotations

import argparse

HELP = "list the environment suites and their ids"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", help="only this suite (classic, mujoco, atari)")


def run(args: argparse.Namespace) -> int:
    from hfrl.envs.suites import EXTRAS, SUITES
    from hfrl.errors import unknown_name

    suites = SUITES
    if args.suite:
        if args.suite not in SUITES:
            raise unknown_name("suite", args.suite, SUITES)
        suites = {args.suite: SUITES[args.suite]}
    for name, ids in suites.items():
        print(f"{name}:")
        for env_id in ids:
            extra = f"  (needs hfrl[{EXTRAS[env_id]}])" if env_id in EXTRAS else ""
            print(f"  {env_id}{extra}")
    print("Any ALE game works by id, e.g. ALE/MsPacman-v5.")
    return 0
