"""``hfrl replay``: replay a recorded live-rating session into another live agent."""

from __future__ import annotations

import argparse

HELP = "replay a recorded live-rating session into another live agent (a learning curve)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl replay``."""
    from hfrl.cli._store_args import add_dir_argument

    parser.add_argument("session", metavar="SESSION", help="a session made by `hfrl teach`")
    parser.add_argument("--agent", required=True, help="tamer, deep-tamer, coach or deep-coach")
    parser.add_argument("--seed", type=int, default=None, help="seed (default: the session's)")
    parser.add_argument("--out", metavar="DIR", help="write curve.csv, summary.json, agent/ here")
    parser.add_argument(
        "--eval-every", type=int, default=10, help="greedy evaluation every N ratings (0: ends)"
    )
    parser.add_argument("--eval-episodes", type=int, default=3, help="episodes per evaluation")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="agent config override, repeatable",
    )
    add_dir_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl replay``."""
    from pathlib import Path

    import torch

    from hfrl.cli._store_args import find_session, open_existing_store
    from hfrl.cli.train import parse_overrides
    from hfrl.errors import HfrlError
    from hfrl.training.replay import CAVEAT, replay, write_results

    if args.eval_every < 0 or args.eval_episodes < 1:
        raise HfrlError("--eval-every must be >= 0 and --eval-episodes >= 1")
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise HfrlError(f"{out} exists and is not an empty folder; pass a new --out DIR")
    torch.set_num_threads(1)
    overrides = parse_overrides(args.overrides)
    if "worker" in _fields(args.agent):
        overrides.setdefault("worker", "off")  # learning in this thread: deterministic
    with open_existing_store(args.dir) as store:
        session = find_session(store, args.session)
        seed = args.seed if args.seed is not None else int(session.meta.get("seed", 0) or 0)
        result = replay(
            store, session, args.agent, seed, args.eval_every, args.eval_episodes, overrides
        )
        meta = dict(session.meta)
    for point in result.curve:
        print(
            f"  after {int(point['ratings']):4d} ratings ({point['human_seconds']:6.1f} s of the "
            f"person, {int(point['env_steps'])} steps): greedy return {point['return']:.1f}"
        )
    print(
        f"hfrl replay: session {args.session!r} ({meta.get('agent')} on {meta.get('env_id')}) "
        f"replayed into {args.agent} with seed {seed}: {result.ratings} ratings over "
        f"{result.steps} shown steps."
    )
    print(f"hfrl replay: {CAVEAT}")
    if out is not None:
        info = {"session": args.session, "recorded_agent": meta.get("agent"), "agent": args.agent}
        info.update({"env_id": meta.get("env_id"), "seed": seed})
        write_results(out, result, info)
        print(f"hfrl replay: wrote {out}/curve.csv, summary.json and agent/")
    return 0


def _fields(agent: str) -> set[str]:
    import dataclasses

    from hfrl.agents.registry import get_agent_class

    cls = getattr(get_agent_class(agent), "config_class", None)
    return {f.name for f in dataclasses.fields(cls)} if cls is not None else set()
