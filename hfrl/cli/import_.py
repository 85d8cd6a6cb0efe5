"""``hfrl import``: add an exported session folder to a feedback store, after checking it."""

from __future__ import annotations

import argparse

HELP = "import a session folder written by `hfrl export` (checked; refused whole if unsound)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl import``."""
    from hfrl.cli._store_args import add_dir_argument

    parser.add_argument("path", metavar="PATH", help="folder written by `hfrl export`")
    parser.add_argument(
        "--as", dest="name", metavar="NAME", help="session name in the store (default: its own)"
    )
    add_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl import``."""
    from hfrl.cli._store_args import store_path
    from hfrl.store import FeedbackStore
    from hfrl.store_import import check_session_name, read_session_files

    files = read_session_files(args.path)  # refuse a bad folder before touching any store
    check_session_name(args.name if args.name is not None else files.name)
    from hfrl.store_import import import_session

    with FeedbackStore(store_path(args.dir), synchronous="NORMAL") as store:
        session, files = import_session(store, args.path, args.name)
        counts = session.counts()
        path = store.path
    teacher = (files.description.get("teacher") or {}).get("kind", "unknown")
    env = (files.description.get("env") or {}).get("id") or files.meta.get("env_id", "?")
    print(
        f"hfrl import: session {session.name!r} ({env}, teacher: {teacher}) added to {path}: "
        f"{counts['scalars']} ratings, {counts['preferences']} labels, {counts['skips']} skips, "
        f"{counts['retracted']} undone."
    )
    return 0
