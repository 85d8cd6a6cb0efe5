"""``hfrl train``: train an agent headless with a simulated teacher; write summary.json and curve.csv.

Live-feedback agents (``feedback_kind == "scalar"``: tamer, deep-tamer, coach, deep-coach)
run :func:`hfrl.training.scalar_loop.run_scalar_training`; preference agents run
``hfrl.training.preference_loop.run_preference_training(args, recorder)``.

Everything is checked before the output folder is touched: the agent, env, teacher and
their pairing, flags that do not apply to the agent, every number, and the agent's config
with the ``--set`` overrides. The run then writes into a hidden temporary folder that
becomes ``--out`` only when it has finished (:func:`hfrl.training.results.staged_output`).
An ``--out`` that already holds results is refused unless ``--force`` is given; without
``--out`` the default folder gets a free number (``runs/tamer-CartPole-v1-perfect-s0-2``).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from pathlib import Path
from typing import Any

HELP = "train an agent headless with a simulated teacher (writes summary.json, curve.csv)"

LEARNER_CHOICES = ("auto", "ppo", "a2c", "sac", "td3", "ddpg", "dqn")
"""What ``--learner`` accepts (the preference agent's SB3 algorithms; a test keeps it in step)."""

DEFAULT_OUT = "runs/AGENT-ENV-TEACHER-sSEED"
"""The output folder when ``--out`` is not given: one safe folder name under ``runs/``
(characters outside ``A-Z a-z 0-9 . _ - + =`` become ``-``), numbered -2, -3, ... when taken."""

FOLLOW_PARENT_ENV = "HFRL_FOLLOW_PARENT"
"""Set by ``hfrl bench`` to its pid: the train process dies with the driver (Linux)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``hfrl train``."""
    parser.add_argument(
        "agent",
        metavar="AGENT",
        help="agent name: tamer, deep-tamer, coach, deep-coach, preference",
    )
    parser.add_argument("--env", metavar="ENV_ID", help="environment id (required; see hfrl envs)")
    parser.add_argument(
        "--teacher",
        metavar="TEACHER",
        help="simulated teacher preset (default: the presets table's, e.g. human for tamer, "
        "human-pd for coach, oracle for preference): perfect, human, ... for live agents; "
        "oracle, stoc, mistake, ... for preference agents",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--episodes", type=int, help="live agents: training episodes (default 20)")
    budget.add_argument(
        "--steps", type=int, help="training env steps (preference: default from the presets table)"
    )
    parser.add_argument(
        "--fps",
        type=float,
        help="live agents: display rate the simulated person watches at (presets/env default)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default runs/AGENT-ENV-TEACHER-sSEED, numbered -2, -3, ... when "
        "taken); an existing one is refused unless --force",
    )
    parser.add_argument("--force", action="store_true", help="replace the results already in --out")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="agent config override, repeatable (VALUE read as JSON, else as a string); "
        "see --help-config for the fields",
    )
    parser.add_argument(
        "--eval-episodes", type=int, default=10, help="greedy episodes for the final score"
    )
    parser.add_argument(
        "--eval-every", type=int, default=0, help="greedy curve point every N episodes (0: none)"
    )
    parser.add_argument("--max-episode-steps", type=int, help="cap on the length of each episode")
    parser.add_argument(
        "--labels",
        type=int,
        help="preference agents: comparison budget (default from the presets table)",
    )
    parser.add_argument(
        "--labels-from",
        metavar="SESSION",
        help="preference agents: train on the comparisons recorded in SESSION (by `hfrl compare`) "
        "instead of a simulated teacher",
    )
    parser.add_argument(
        "--dir",
        metavar="DIR",
        help="with --labels-from: folder of the session's store (runs/sessions)",
    )
    parser.add_argument(
        "--learner",
        help=f"preference agents: SB3 algorithm, one of {', '.join(LEARNER_CHOICES)} "
        "(auto: SAC for continuous actions, else PPO)",
    )
    parser.add_argument(
        "--device", default="auto", help="torch device for agents that use one (default auto)"
    )
    parser.add_argument(
        "--combination",
        help="tamer-rl: how Ĥ and the RL learner combine (reward-shaping, q-augmentation, "
        "action-biasing, control-sharing; tamer or rl alone as baselines)",
    )
    parser.add_argument(
        "--human-episodes",
        type=int,
        help="tamer-rl: the sequential setting, ratings train Ĥ during the first K episodes only, "
        "then Ĥ is frozen while SARSA(λ) keeps learning (default: simultaneous, ratings "
        "throughout)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--help-config",
        action="store_true",
        help="list AGENT's config fields (for --set) with defaults and descriptions, and exit",
    )


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``--set`` options as a dict (:func:`hfrl.overrides.parse_overrides`)."""
    from hfrl.overrides import parse_overrides as parse

    return parse(items)


def run(args: argparse.Namespace) -> int:
    """Run ``hfrl train``."""
    follow_parent()
    from hfrl.agents.registry import get_agent_class
    from hfrl.training.results import RunRecorder, numbered_folder, staged_output

    cls = get_agent_class(args.agent)
    if args.help_config:
        print(config_help(cls, args.agent, args.env))
        return 0
    kind = check_arguments(args, cls)
    if args.out:
        out, replace = Path(args.out), args.force
    else:
        from hfrl.sessions import safe_name

        name = f"{args.agent}-{args.env.replace('/', '_')}-{args.teacher}-s{args.seed}"
        out, replace = numbered_folder(Path(DEFAULT_OUT).parent / safe_name(name)), False
    if kind == "preference":
        from hfrl.training.preference_loop import run_preference_training

        with staged_output(out, replace) as tmp:
            run_preference_training(args, RunRecorder(tmp, final_dir=out))
        print(f"wrote {out}/summary.json and curve.csv")
        return 0
    from hfrl.training.scalar_loop import run_scalar_training

    config = scalar_run_config(args)
    with staged_output(out, replace) as tmp:
        recorder = RunRecorder(tmp, final_dir=out)
        recorder.write_config(config)
        summary = run_scalar_training(config, recorder)
    print(
        f"{args.agent} on {args.env}: greedy return {summary['eval_return_mean']:.1f} "
        f"± {summary['eval_return_std']:.1f} after {summary['episodes']} episodes, "
        f"{summary['feedback_count']} ratings; wrote {out}/summary.json"
    )
    return 0


# ---------------------------------------------------------------------- checks
SCALAR_ONLY = {"episodes": "--episodes", "fps": "--fps"}
"""Options only live-feedback agents read."""
PREFERENCE_ONLY = {"labels": "--labels", "learner": "--learner"}
"""Options only preference agents read."""


def check_arguments(args: argparse.Namespace, cls: type) -> str:
    """Check everything ``hfrl train`` was given, before anything is written; return the kind.

    Raises:
        HfrlError: a missing or unknown name, a teacher of the wrong kind for the agent, an
            option that does not apply to it, a number out of range, a bad ``--set``.
    """
    from hfrl.envs.make import check_id
    from hfrl.errors import HfrlError
    from hfrl.teachers.presets import teacher_kind, teacher_names

    if getattr(args, "labels_from", None):  # the recorded comparisons become the teacher
        from hfrl.training.labels_from import apply_labels_from

        apply_labels_from(args)
    if args.env and not args.teacher:  # the presets table names each agent's default trainer
        from hfrl.presets import preset_teacher

        args.teacher = preset_teacher(args.agent, args.env)
    for flag in ("env", "teacher"):
        if not getattr(args, flag):
            raise HfrlError(f"--{flag} is required (see hfrl train --help)")
    kind = getattr(cls, "feedback_kind", None)
    if kind not in ("scalar", "preference"):
        raise HfrlError(f"agent {args.agent!r} has an unknown feedback kind {kind!r}")
    check_numbers(args)
    check_id(args.env)
    given_kind = teacher_kind(args.teacher)  # unknown teachers get close matches
    if given_kind != kind:
        fits = ", ".join(n for n in teacher_names() if teacher_kind(n) == kind)
        gives = "clip comparisons" if given_kind == "preference" else "live ratings"
        needs = "live ratings" if kind == "scalar" else "clip comparisons"
        raise HfrlError(
            f"teacher {args.teacher!r} gives {gives}, but agent {args.agent!r} learns from "
            f"{needs}; use one of: {fits}."
        )
    foreign = PREFERENCE_ONLY if kind == "scalar" else SCALAR_ONLY
    for attr, flag in foreign.items():
        if getattr(args, attr, None) is not None:
            what = "preference agents" if kind == "scalar" else "live-feedback agents"
            raise HfrlError(f"{flag} applies to {what} only; agent {args.agent!r} does not use it.")
    if args.learner is not None and args.learner.strip().lower() not in LEARNER_CHOICES:
        from hfrl.errors import unknown_name

        raise unknown_name("learner", args.learner, LEARNER_CHOICES)
    overrides = agent_overrides(args, cls)
    from hfrl.presets import resolve_agent_config

    resolve_agent_config(cls, args.env, overrides)  # types, ranges and the class's own checks
    return kind


def check_numbers(args: argparse.Namespace) -> None:
    """Budgets, rates and counts: finite and in range."""
    from hfrl.errors import HfrlError

    at_least = {
        "episodes": 1,
        "steps": 1,
        "eval_episodes": 1,
        "eval_every": 0,
        "max_episode_steps": 1,
        "labels": 0,
    }
    for attr, low in at_least.items():
        value = getattr(args, attr, None)
        if value is not None and value < low:
            raise HfrlError(f"--{attr.replace('_', '-')} must be at least {low}, got {value}")
    check_seed(args.seed)
    if args.fps is not None and not (math.isfinite(args.fps) and args.fps > 0):
        raise HfrlError(f"--fps must be a positive finite number, got {args.fps}")


MAX_SEED = 2**32 - 1
"""Largest seed every library takes (numpy's SeedSequence words, gymnasium's reset)."""


def check_seed(seed: int) -> None:
    """A seed must be a non-negative integer below 2**32."""
    from hfrl.errors import HfrlError

    if not 0 <= seed <= MAX_SEED:
        raise HfrlError(f"--seed must be between 0 and {MAX_SEED}, got {seed}")


TAMER_RL_FLAGS = {"--combination": "combination", "--human-episodes": "human_episodes"}
"""TAMER+RL's experiment options (issue 16's command form) and the config fields they set."""


def agent_overrides(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The agent config overrides: ``--set`` plus ``--learner`` and ``--device``."""
    from hfrl.errors import HfrlError

    overrides = parse_overrides(args.overrides)
    fields = _config_fields(cls)
    if args.learner is not None:
        overrides["learner"] = args.learner
    for flag, field in TAMER_RL_FLAGS.items():
        value = getattr(args, field, None)
        if value is None:
            continue
        if field not in fields:
            raise HfrlError(
                f"{flag} applies to tamer-rl only; agent {args.agent!r} does not use it."
            )
        overrides.setdefault(field, value)
        if field == "human_episodes":  # K rated episodes: Knox & Stone's sequential setting
            overrides.setdefault("setting", "sequential")
    if args.device != "auto" and "device" not in overrides:
        if "device" not in fields:
            raise HfrlError(
                f"--device applies to agents that use torch; agent {args.agent!r} does not."
            )
        overrides["device"] = args.device
    return overrides


def scalar_run_config(args: argparse.Namespace) -> Any:
    """The :class:`ScalarRunConfig` of a live-feedback run."""
    from hfrl.agents.registry import get_agent_class
    from hfrl.training.scalar_loop import ScalarRunConfig

    return ScalarRunConfig(
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
        agent_overrides=agent_overrides(args, get_agent_class(args.agent)),
        progress=not args.no_progress,
    )


def follow_parent() -> None:
    """Die with the ``hfrl bench`` driver that started this process (Linux), if one did.

    The driver sets :data:`FOLLOW_PARENT_ENV` to its pid; the kernel then sends this
    process SIGKILL when the driver dies, so a killed sweep leaves no orphan writing.
    """
    expected = os.environ.get(FOLLOW_PARENT_ENV)
    if not expected:
        return
    from hfrl.sessions import die_with_parent

    die_with_parent(int(expected))


# ---------------------------------------------------------------------- --help-config
def _config_fields(cls: type) -> set[str]:
    config_class = getattr(cls, "config_class", None)
    if config_class is None or not dataclasses.is_dataclass(config_class):
        return set()
    return {f.name for f in dataclasses.fields(config_class)}


def config_help(cls: type, agent: str, env_id: str | None) -> str:
    """The agent's config fields: name, type, default (the presets' value for ``env_id``), doc."""
    from hfrl.config import describe_fields

    config_class = getattr(cls, "config_class", None)
    if config_class is None:
        return f"agent {agent!r} takes no --set options."
    preset: dict[str, Any] = {}
    if env_id:
        from hfrl.presets import agent_settings

        preset = agent_settings(agent, env_id, config_class)
    lines = [
        f"{agent}: fields of {config_class.__name__} (hfrl train {agent} --set FIELD=VALUE)"
        + (f"; defaults on {env_id} include the presets table's" if env_id else "")
    ]
    for item in describe_fields(config_class):
        default = preset.get(item.name, item.default)
        source = " (preset)" if item.name in preset else ""
        bounds = f", {item.range}" if item.range else ""
        lines.append(f"  {item.name}: {item.type} = {default!r}{source}{bounds}")
        for doc_line in item.doc.splitlines():
            lines.append(f"      {doc_line.strip()}")
    return "\n".join(lines)
