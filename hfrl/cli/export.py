"""``hfrl export``: write one session as a self-describing, versioned folder (npz or parquet)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = (
    "export a session (ratings, comparisons, clips, env and teacher description) to npz or parquet"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl export``."""
    from hfrl.cli._store_args import add_dir_argument

    parser.add_argument("session", metavar="SESSION", help="session name (see `hfrl sessions`)")
    parser.add_argument(
        "--format",
        choices=("npz", "parquet", "imitation"),
        default="npz",
        help="npz or parquet: hfrl's session folder; imitation: one .npz of imitation's "
        "preference dataset (fixed-length fragments, T + 1 observations; see hfrl.store_imitation)",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="folder to write (new or empty); for --format imitation a new .npz file",
    )
    parser.add_argument(
        "--live-only",
        action="store_true",
        help="leave undone ratings and comparisons out (default: kept, flagged retracted)",
    )
    add_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl export``."""
    import shutil
    import tempfile
    from pathlib import Path

    from hfrl.cli._store_args import find_session, open_existing_store
    from hfrl.errors import HfrlError
    from hfrl.store_export import export_session
    from hfrl.training.session_spec import describe_session

    out = Path(args.out)
    if args.format == "imitation":
        return _export_imitation(args, out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise HfrlError(f"{out} exists and is not an empty folder; pass a new --out PATH")
    with open_existing_store(args.dir) as store:
        session = find_session(store, args.session)
        records = store.preference_records(session, include_retracted=True, frames=False)
        sources = [r.scalar.source for r in store.scalar_records(session, True)]
        sources += [r.preference.source for r in records]
        lengths = [len(s) for r in records for s in (r.preference.left, r.preference.right)]
        description = describe_session(session.meta, sources, lengths)
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        try:
            export_session(store, session, staging, args.format, not args.live_only, description)
            if out.exists():
                out.rmdir()
            staging.rename(out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        counts = store.counts(session)
    print(
        f"hfrl export: session {args.session!r} ({counts['scalars']} ratings, "
        f"{counts['preferences']} labels, {counts['skips']} skips, {counts['retracted']} undone) "
        f"written to {out} ({args.format}, format {description_version()})."
    )
    return 0


def description_version() -> str:
    """``hfrl-feedback-session v1``."""
    from hfrl.store_export import FORMAT_NAME, FORMAT_VERSION

    return f"{FORMAT_NAME} v{FORMAT_VERSION}"


def _export_imitation(args: argparse.Namespace, out: Path) -> int:
    """Write a comparison session as imitation's preference dataset (npz arrays)."""
    from hfrl.cli._store_args import find_session, open_existing_store
    from hfrl.errors import HfrlError
    from hfrl.store_imitation import pairs_to_dataset, session_preferences, write_dataset

    if out.suffix != ".npz":
        raise HfrlError(f"--format imitation writes one .npz file; got --out {out}")
    if out.exists():
        raise HfrlError(f"{out} exists; pass a new --out FILE.npz")
    with open_existing_store(args.dir) as store:
        session = find_session(store, args.session)
        pairs, prefs, skips = session_preferences(store, session)
        data = pairs_to_dataset(pairs, prefs)
    write_dataset(out, data)
    assert data.lengths is not None
    fixed = len(data.acts[0][0])
    padded = int((data.lengths[0] < fixed).sum() + (data.lengths[1] < fixed).sum())
    print(
        f"hfrl export: {len(prefs)} comparisons of session {args.session!r} written to {out} in "
        f"imitation's layout (fragments of {len(data.acts[0][0])} steps, {padded} clips padded "
        f"with absorbing steps; {skips} skips left out: imitation has no skip)."
    )
    return 0
