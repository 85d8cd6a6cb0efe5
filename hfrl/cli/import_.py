"""``hfrl import``: add an exported session folder to a feedback store, after checking it."""

from __future__ import annotations

import argparse

HELP = "import a session folder written by `hfrl export` (checked; refused whole if unsound)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl import``."""
    from hfrl.cli._store_args import add_dir_argument

    parser.add_argument(
        "path",
        metavar="PATH",
        help="folder written by `hfrl export`, or an imitation preference dataset (.npz arrays)",
    )
    parser.add_argument(
        "--env", metavar="ENV_ID", help="imitation datasets: the env the fragments come from"
    )
    parser.add_argument(
        "--as", dest="name", metavar="NAME", help="session name in the store (default: its own)"
    )
    add_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl import``."""
    from pathlib import Path

    from hfrl.cli._store_args import store_path
    from hfrl.store import FeedbackStore
    from hfrl.store_import import check_session_name, read_session_files

    if Path(args.path).is_file() and Path(args.path).suffix == ".npz":
        return _import_imitation(args)
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


def _import_imitation(args: argparse.Namespace) -> int:
    """Convert an imitation preference dataset (npz arrays) into a new session."""
    from pathlib import Path

    from hfrl.cli._store_args import store_path
    from hfrl.errors import HfrlError
    from hfrl.sessions import safe_name
    from hfrl.store import FeedbackStore
    from hfrl.store_imitation import dataset_to_session_files, nearest_label, read_dataset
    from hfrl.store_import import check_session_name, write_session

    if not args.env:
        raise HfrlError("an imitation dataset does not say its env: pass --env ENV_ID")
    name = check_session_name(args.name if args.name else safe_name(Path(args.path).stem))
    data = read_dataset(args.path)
    files = dataset_to_session_files(data, args.env, name)
    soft = sum(1 for p in data.preferences if nearest_label(float(p)) != float(p))
    with FeedbackStore(store_path(args.dir), synchronous="NORMAL") as store:
        session = write_session(
            store, files, name, {"from": str(Path(args.path).resolve()), "format": "imitation"}
        )
        path = store.path
    print(
        f"hfrl import: {len(files.preferences)} comparisons from {args.path} added to {path} as "
        f"session {session.name!r} ({args.env}; {soft} soft labels stored as the nearest of "
        "0, 0.5, 1, exact values kept in the session meta)."
    )
    return 0
