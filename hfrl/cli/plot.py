"""``hfrl plot``: learning-curve PNGs of a bench (or train) output dir."""

from __future__ import annotations

import argparse

HELP = "plot return vs env steps, feedback and human minutes (IQM across seeds, bootstrap bands)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl plot``."""
    parser.add_argument(
        "run_dir", metavar="RUN_DIR", help="an hfrl bench --out dir (or one hfrl train dir)"
    )
    parser.add_argument("--out", metavar="DIR", help="where to write the PNGs (default RUN_DIR)")


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl plot``."""
    from hfrl.bench.plots import plot_run

    for path in plot_run(args.run_dir, args.out):
        print(f"wrote {path}")
    return 0
