"""``hfrl sessions``: list the sessions of a feedback store, one line each."""

from __future__ import annotations

import argparse
import time

HELP = "list the sessions in a feedback store (app, agent, env, counts, times, size)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl sessions``."""
    from hfrl.cli._store_args import add_dir_argument

    add_dir_argument(parser)


def _when(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl sessions``."""
    from hfrl.cli._store_args import open_existing_store
    from hfrl.store_listing import human_size, session_summaries

    with open_existing_store(args.dir) as store:
        rows = session_summaries(store)
        path = store.path
    if not rows:
        print(f"no sessions in {path}")
        return 0
    header = (
        "name",
        "app",
        "agent",
        "env",
        "ratings",
        "labels",
        "skips",
        "undos",
        "start",
        "end",
        "size",
    )
    table = [header] + [
        (
            r.name,
            r.app,
            r.agent,
            r.env_id,
            str(r.ratings),
            str(r.labels),
            str(r.skips),
            str(r.undos),
            _when(r.start),
            _when(r.end),
            human_size(r.size_bytes),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"{len(rows)} sessions in {path}")
    return 0
