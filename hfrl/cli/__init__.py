"""The one ``hfrl`` command; each subcommand lives in its own module under hfrl.cli.

A subcommand module exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their subcommand runs, so
``hfrl --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import typing
from collections.abc import Sequence

from hfrl.errors import HfrlError

SUBCOMMANDS: dict[str, str] = {
    "envs": "hfrl.cli.envs",
    "train": "hfrl.cli.train",
    "teach": "hfrl.cli.teach",
    "compare": "hfrl.cli.compare",
    "bench": "hfrl.cli.bench",
    "plot": "hfrl.cli.plot",
    "sessions": "hfrl.cli.sessions",
    "export": "hfrl.cli.export",
    "import": "hfrl.cli.import_",
    "fit-teacher": "hfrl.cli.fit_teacher",
    "replay": "hfrl.cli.replay",
}
"""Subcommand name -> module path."""

HELPS: dict[str, str] = {
    "envs": "list the environment suites and their ids",
    "train": "train an agent headless with a simulated teacher (writes summary.json, curve.csv)",
    "teach": "teach an agent live in a pygame window: reward and punish it with keys",
    "compare": "compare clips side by side while a reward model and an RL agent learn from you",
    "bench": "run a benchmark suite in parallel processes (resumable); write tidy tables and a summary",
    "plot": "plot return vs env steps, feedback and human minutes (IQM across seeds, bootstrap bands)",
    "sessions": "list the sessions in a feedback store (app, agent, env, counts, times, size)",
    "export": "export a session (ratings, comparisons, clips, env and teacher) to npz or parquet",
    "import": "import a session folder written by `hfrl export` (checked; refused whole if unsound)",
    "fit-teacher": "fit a simulated teacher to a recorded session and save it as fitted:NAME",
    "replay": "replay a recorded live-rating session into another live agent (a learning curve)",
}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and exit 2), like hfrl's own errors."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _VersionAction(argparse.Action):
    """``--version``: the version is looked up only when asked for (it is slow to find)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: typing.Any) -> None:
        import hfrl

        parser.exit(0, f"hfrl {hfrl.__version__}\n")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand's arguments."""
    parser = OneLineParser(
        prog="hfrl",
        description="Reinforcement learning from human feedback: teach live, compare clips, benchmark.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_path in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=HELPS.get(name, ""), description=HELPS.get(name, ""))
        sp.set_defaults(_module=module_path)
        if name in _ARG_BUILDERS_NEEDED:
            importlib.import_module(module_path).add_arguments(sp)
    return parser


# All subcommand modules keep their imports light at module level (heavy ones inside run),
# so importing them to declare arguments is cheap.
_ARG_BUILDERS_NEEDED = set(SUBCOMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hfrl`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 0
    try:
        return int(importlib.import_module(args._module).run(args) or 0)
    except HfrlError as err:
        print(f"hfrl {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hfrl {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
