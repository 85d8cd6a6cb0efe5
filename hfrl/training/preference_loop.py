"""Headless preference training behind ``hfrl train preference`` (DESIGN.md §5).

A simulated B-Pref teacher labels clip pairs; the agent's SB3 learner trains on the learned
reward. Writes ``config.json``, ``curve.csv`` (greedy true return against env steps,
labels and human seconds) and ``summary.json`` with the same fields as the other agents:
``feedback_count`` is the number of comparisons answered (skips included) and
``human_seconds`` their cost under :data:`hfrl.effort.DEFAULT_EFFORT`. SB3's logger writes
``logs/progress.csv`` (and TensorBoard events when installed): the learner's ``train/...``
and ``rollout/...`` beside the reward model's ``reward/...``; ``logs/monitor.csv`` holds the
training episodes' true returns (SB3's ``VecMonitor``) and ``logs/evaluations.npz`` the
curve's greedy evaluations as SB3's ``EvalCallback`` saves them (the final evaluation, with
more episodes, under ``final_timesteps``/``final_results``/``final_ep_lengths``). A progress bar shows on a
terminal (not with ``--no-progress``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from hfrl.errors import HfrlError

DEFAULT_STEPS = 50_000
"""Env steps when neither ``--steps`` nor the presets table gives them."""
DEFAULT_LABELS = 100
"""Comparisons when neither ``--labels`` nor the presets table gives them."""


def run_budget(args: argparse.Namespace) -> tuple[int, int, dict[str, str]]:
    """Env steps and comparisons: the explicit option, else the presets table's, else the
    defaults above; and where each came from (``user``, ``preset`` or ``default``)."""
    from hfrl.presets import resolve_run_setting

    steps, steps_from = resolve_run_setting(
        "preference", args.env, "steps", args.steps, DEFAULT_STEPS
    )
    labels, labels_from = resolve_run_setting(
        "preference", args.env, "labels", getattr(args, "labels", None), DEFAULT_LABELS
    )
    return int(steps), int(labels), {"steps": steps_from, "labels": labels_from}


def run_preference_training(args: argparse.Namespace, recorder: Any) -> int:
    """Train the preference agent as ``hfrl train`` asked; write the run's files; return 0.

    Reads ``args.env``, ``args.teacher``, ``args.seed``, ``args.steps``, ``args.labels``,
    ``args.learner``, ``args.overrides`` (``--set`` on :class:`PreferenceConfig`),
    ``args.device``, ``args.eval_episodes``, ``args.eval_every`` (a curve point every N
    training episodes; 0: ten points spread over the env steps),
    ``args.max_episode_steps``.
    """
    import torch

    from hfrl.agents.builder import agent_config
    from hfrl.agents.preference import PreferenceAgent
    from hfrl.agents.preference.stats import log_values
    from hfrl.config import config_to_dict
    from hfrl.effort import DEFAULT_EFFORT
    from hfrl.seeding import seed_everything
    from hfrl.teachers.presets import make_teacher, teacher_kind, teacher_names, teacher_params
    from hfrl.training.logs import LOG_DIR, run_logger
    from hfrl.training.preference_progress import PreferenceProgress, progress_wanted

    if getattr(args, "episodes", None) is not None:
        raise HfrlError("preference agents train for a number of env steps: use --steps N")
    steps, labels, budget_sources = run_budget(args)
    if steps < 1 or labels < 0:
        raise HfrlError("--steps must be at least 1 and --labels at least 0")
    eval_episodes = int(getattr(args, "eval_episodes", 10) or 10)
    if eval_episodes < 1:
        raise HfrlError("--eval-episodes must be at least 1")
    if teacher_kind(args.teacher) != "preference":
        comparing = [n for n in teacher_names() if teacher_kind(n) == "preference"]
        raise HfrlError(
            f"teacher {args.teacher!r} gives live ratings; preference agents need a "
            f"comparison teacher: {', '.join(comparing)}"
        )
    from hfrl.overrides import parse_overrides

    overrides = parse_overrides(getattr(args, "overrides", []) or [])
    if getattr(args, "learner", None):
        overrides["learner"] = args.learner
    device = getattr(args, "device", "auto")
    if device and device != "auto":
        overrides.setdefault("device", device)
    config, sources = agent_config("preference", args.env, overrides)

    torch.set_num_threads(1)
    seed_everything(args.seed)
    teacher = make_teacher(args.teacher, args.env, args.seed)
    agent = PreferenceAgent(
        args.env,
        config=config,
        seed=args.seed,
        max_episode_steps=args.max_episode_steps,
        monitor_file=Path(recorder.out_dir) / LOG_DIR / "monitor.csv",
    )
    run_config = {
        "agent": "preference",
        "env_id": args.env,
        "teacher": args.teacher,
        "seed": args.seed,
        "steps": steps,
        "labels": labels,
        "learner": agent.learner_name,
        "segment_length": agent.segment_length,
        "n_envs": agent.n_envs,
        "eval_episodes": eval_episodes,
        "max_episode_steps": args.max_episode_steps,
        "agent_config": config_to_dict(config),
        "agent_config_sources": sources,
        "budget_sources": budget_sources,
    }
    recorder.write_config(run_config)
    verbose = int(config.learner_kwargs.get("verbose", 0) or 0)
    logger = run_logger(Path(recorder.out_dir) / LOG_DIR, stdout=verbose >= 1)
    agent.set_logger(logger)
    progress = None
    if progress_wanted(bool(getattr(args, "no_progress", False))):
        title = f"{agent.learner_name} {args.env}"
        progress = PreferenceProgress(agent, steps, title)
    best = float("-inf")
    evaluations: list[tuple[int, list[float], list[int]]] = []

    def on_curve(point: dict[str, float]) -> None:
        nonlocal best
        best = max(best, point["return"])
        evaluations.append((int(point["env_steps"]), *agent.last_evaluation))
        recorder.log_point(**point)

    every = int(getattr(args, "eval_every", 0) or 0)
    t0 = time.perf_counter()
    try:
        stats = agent.learn(
            steps,
            teacher,
            labels=labels,
            on_curve=on_curve,
            eval_points=0 if every else 10,
            eval_episodes=min(3, eval_episodes),
            eval_every_episodes=every,
            callback=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    train_seconds = time.perf_counter() - t0
    mean, std = agent.evaluate(eval_episodes, seed=args.seed + 10_000)
    for key, value in log_values(agent.stats()).items():
        logger.record(key, value)
    logger.record("eval/mean_reward", mean)
    logger.dump(agent.env_steps)
    logger.close()
    final_returns, final_lengths = agent.last_evaluation
    _write_evaluations(
        Path(recorder.out_dir) / LOG_DIR / "evaluations.npz",
        evaluations,
        (int(agent.env_steps), final_returns, final_lengths),
    )
    feedback = agent.labels.received
    human = DEFAULT_EFFORT.comparison_seconds(feedback)
    recorder.log_point(
        env_steps=agent.env_steps,
        episodes=agent.episodes,
        feedback_count=feedback,
        human_seconds=human,
        **{"return": mean},
    )
    agent_dir = Path(recorder.out_dir) / "agent"
    agent.save(agent_dir)
    summary = {
        "agent": "preference",
        "env": args.env,
        "teacher": args.teacher,
        "teacher_params": teacher_params(teacher),
        "seed": args.seed,
        "learner": agent.learner_name,
        "env_steps": agent.env_steps,
        "episodes": agent.episodes,
        "feedback_count": feedback,
        "labels_skipped": agent.labels.skipped,
        "human_seconds": human,
        "train_seconds": round(train_seconds, 3),
        "learner_steps_per_second": round(stats["learner_steps_per_second"], 1),
        "reward_fits": agent.fits,
        "reward_val_accuracy": agent.last_fit.get("val_accuracy"),
        "eval_episodes": eval_episodes,
        "eval_return_mean": mean,
        "eval_return_std": std,
        "best_curve_return": max(best, mean),
        "agent_config": config_to_dict(config),
        "agent_config_sources": sources,
        "agent_dir": str(agent_dir),
    }
    recorder.write_summary(summary)
    print(
        f"preference ({agent.learner_name}) on {args.env}: greedy return {mean:.1f} ± {std:.1f} "
        f"after {agent.env_steps} env steps, {feedback} comparisons "
        f"({human / 60:.1f} human minutes)"
    )
    return 0


def _write_evaluations(
    path: Path,
    curve: list[tuple[int, list[float], list[int]]],
    final: tuple[int, list[float], list[int]],
) -> None:
    """``evaluations.npz``: the curve's evaluations (the final one too when its episode count
    matches theirs, the only row when there were none), and the final one as ``final_*``."""

    from hfrl.training.logs import save_evaluations

    rows = list(curve)
    if not rows or len(final[1]) == len(rows[0][1]):
        rows.append(final)
    save_evaluations(
        path, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], final=final
    )
