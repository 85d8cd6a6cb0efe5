"""``hfrl train``: train an agent headless with a simulated teacher; write summary.json and curve.csv.

Live-feedback agents (``feedback_kind == "scalar"``: tamer, deep-tamer, coach, deep-coach)
run :func:`hfrl.training.scalar_loop.run_scalar_training`; preference agents run
``hfrl.training.preference_loop.run_preference_training(args, recorder)``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "train an agent headless with a simulated teacher (writes summary.json, curve.csv)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl train``."""
    parser.add_argument("agent", metavar="AGENT", help="agent name: tamer, deep-tamer, coach, ...")
    parser.add_argument("--env", required=True, metavar="ENV_ID", help="environment id")
    parser.add_argument(
        "--teacher", required=True, metavar="TEACHER", help="simulated teacher preset"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--episodes", type=int, help="training episodes (default 20)")
    budget.add_argument("--steps", type=int, help="training env steps")
    parser.add_argument(
        "--fps", type=float, help="display rate the simulated person watches at (env default)"
    )
    parser.add_argument(
        "--out", metavar="DIR", help="output dir (default runs/AGENT-ENV-TEACHER-sSEED)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="agent config override, repeatable (VALUE read as JSON, else as a string)",
    )
    parser.add_argument(
        "--eval-episodes", type=int, default=10, help="greedy episodes for the final score"
    )
    parser.add_argument(
        "--eval-every", type=int, default=0, help="greedy curve point every N episodes (0: none)"
    )
    parser.add_argument("--max-episode-steps", type=int, help="cap on the length of each episode")
    parser.add_argument("--labels", type=int, help="preference agents: comparison budget")
    parser.add_argument("--learner", help="preference agents: SB3 algorithm (PPO, A2C, SAC)")
    parser.add_argument("--device", default="auto", help="torch device for agents that use one")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b=[64, 64]", "c=mlp"]`` -> ``{"a": 1, "b": [64, 64], "c": "mlp"}``."""
    from hfrl.errors import HfrlError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise HfrlError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl train``."""
    from hfrl.agents.registry import get_agent_class
    from hfrl.errors import HfrlError
    from hfrl.training.results import RunRecorder

    cls = get_agent_class(args.agent)
    out = args.out or f"runs/{args.agent}-{args.env.replace('/', '_')}-{args.teacher}-s{args.seed}"
    kind = getattr(cls, "feedback_kind", None)
    if kind == "preference":
        try:
            from hfrl.training.preference_loop import run_preference_training
        except ImportError as err:
            raise HfrlError(
                f"agent {args.agent!r} learns from preferences, but the preference training "
                f"loop is not available ({err}); is hfrl installed completely?"
            ) from err
        recorder = RunRecorder(out)
        run_preference_training(args, recorder)
        print(f"wrote {recorder.out_dir}/summary.json and curve.csv")
        return 0
    if kind != "scalar":
        raise HfrlError(f"agent {args.agent!r} has an unknown feedback kind {kind!r}")
    if (args.episodes is not None and args.episodes < 1) or (
        args.steps is not None and args.steps < 1
    ):
        raise HfrlError("--episodes and --steps must be at least 1")
    if args.eval_episodes < 1:
        raise HfrlError("--eval-episodes must be at least 1")
    from hfrl.training.scalar_loop import ScalarRunConfig, run_scalar_training

    overrides = parse_overrides(args.overrides)
    if args.device != "auto" and "device" not in overrides:
        overrides["device"] = args.device
    config = ScalarRunConfig(
        agent=args.agent,
        env_id=args.env,
        teacher=args.teacher,
        seed=args.seed,
        episodes=args.episodes,
        steps=args.steps,
        fps=args.fps,
        eval_episodes=args.eval_episodes,
        eval_every=args.eval_every,
        max_episode_steps=args.max_episode_steps,
        agent_overrides=overrides,
        progress=not args.no_progress,
    )
    recorder = RunRecorder(out)
    recorder.write_config(config)
    summary = run_scalar_training(config, recorder)
    print(
        f"{args.agent} on {args.env}: greedy return {summary['eval_return_mean']:.1f} "
        f"± {summary['eval_return_std']:.1f} after {summary['episodes']} episodes, "
        f"{summary['feedback_count']} ratings; wrote {recorder.out_dir}/summary.json"
    )
    return 0
