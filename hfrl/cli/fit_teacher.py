"""``hfrl fit-teacher``: fit a simulated teacher to a recorded session; save it as ``fitted:NAME``."""

from __future__ import annotations

import argparse

HELP = "fit a simulated teacher to a recorded session and save it as fitted:NAME"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl fit-teacher``."""
    from hfrl.cli._store_args import add_dir_argument

    parser.add_argument("session", metavar="SESSION", help="a session (see `hfrl sessions`)")
    parser.add_argument(
        "--out",
        required=True,
        metavar="NAME",
        help="name to save it as (then --teacher fitted:NAME)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace a fitted teacher of that name"
    )
    add_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl fit-teacher``."""
    from hfrl.cli._store_args import find_session, open_existing_store
    from hfrl.errors import HfrlError
    from hfrl.teachers.fitted import save_fitted, teacher_path

    path = teacher_path(args.out)  # the name is checked before any work
    if path.exists() and not args.force:
        raise HfrlError(
            f"a fitted teacher {args.out!r} exists ({path}); pass --force to replace it"
        )
    with open_existing_store(args.dir) as store:
        session = find_session(store, args.session)
        counts = store.counts(session)
        meta = dict(session.meta)
        if counts["preferences"] + counts["skips"] > 0:
            from hfrl.teachers.fitting import fit_preference_teacher, preference_config

            report = fit_preference_teacher(store.preferences(session, frames=False))
            config = preference_config(report)
        elif counts["scalars"] > 0:
            from hfrl.training.shown_steps import fit_live_session

            report, config = fit_live_session(store, session)
        else:
            raise HfrlError(f"session {args.session!r} holds no feedback to fit a teacher to")
    source = {"name": args.session, "store": str(store.path), "env_id": meta.get("env_id")}
    saved = save_fitted(
        args.out,
        report.kind,
        config,
        {"explained": report.explained, "counts": report.counts},
        source,
    )
    print("\n".join(report.lines()))
    print(f"hfrl fit-teacher: saved {saved}; use it as --teacher fitted:{args.out}")
    return 0
