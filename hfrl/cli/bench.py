"""``hfrl bench``: run a benchmark suite (agents × envs × teachers × seeds), resumable."""

from __future__ import annotations

import argparse

HELP = "run a benchmark suite in parallel processes (resumable); write tidy tables and a summary"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl bench``."""
    parser.add_argument(
        "suite",
        metavar="SUITE_OR_PATH",
        help="a suite name (quick, classic, teachers, atari) or a .toml file",
    )
    parser.add_argument("--jobs", type=int, default=1, help="cells run at once (default 1)")
    parser.add_argument("--out", metavar="DIR", help="output dir (default runs/bench/SUITE)")
    parser.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local processes (default) or a Ray cluster",
    )
    parser.add_argument(
        "--address",
        metavar="ADDR",
        help="Ray cluster address (ray://host:10001 or auto); default: start a local one",
    )
    parser.add_argument(
        "--check", action="store_true", help="validate the suite, list its cells and exit"
    )
    parser.add_argument(
        "--plot", action="store_true", help="draw the figures (hfrl plot) when done"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress display")


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl bench``."""
    import signal
    from pathlib import Path

    from hfrl.bench.runner import run_suite
    from hfrl.bench.suite import load_suite

    suite = load_suite(args.suite)
    if args.check:
        for cell in suite.cells:
            print(cell.cell_id)
        print(f"{suite.path}: {len(suite.cells)} cells, valid")
        return 0
    out = Path(args.out or f"runs/bench/{suite.name}")

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        report = run_suite(
            suite,
            out,
            jobs=args.jobs,
            backend=args.backend,
            address=args.address,
            progress=not args.no_progress,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.plot:
        from hfrl.bench.plots import plot_run

        for path in plot_run(out):
            print(f"wrote {path}")
    ran = len(report.results)
    print(
        f"{suite.name}: {ran} cells run, {report.skipped} already finished, {len(report.failed)} failed, "
        f"{report.wall_seconds:.0f} s; wrote {out}/summary.md, summary.csv, curves.csv"
    )
    for r in report.failed:
        print(
            f"FAILED {r.cell_id}: {r.message.splitlines()[0] if r.message else ''} (log: {out}/logs/{r.cell_id}.log)"
        )
    return 1 if report.failed else 0
