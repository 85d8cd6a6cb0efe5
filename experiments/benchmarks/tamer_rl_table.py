"""TAMER+RL benchmark: every combination x {sequential (the presets table's settings),
sequential with RL from the first step (the papers' plain rules), simultaneous} beside TAMER
alone and the RL learner alone, on MountainCar-v0 and CartPole-v1, with the simulated
``human`` trainer.

    OMP_NUM_THREADS=1 python experiments/benchmarks/tamer_rl_table.py --jobs 1 \
        --out experiments/results/tamer_rl

``--candidates`` runs instead action biasing under each variant of :data:`CANDIDATES` (RL
from the first step or after the ratings, Q started from Ĥ, Ĥ's greedy policy until the
combination's env return matches, a shared value baseline) beside the two baselines, and
writes ``candidates.md`` / ``candidates.json``.

Each cell is ``hfrl train tamer-rl --env ENV --teacher human`` with the row's combination and
setting (:data:`SETTINGS`) at the presets table's other settings (``hfrl/presets.py``), with a greedy curve
point after every training episode. Columns (median over the seeds, each seed in brackets):

- *episodes to threshold*: the first training episode from which the greedy return (mean of
  the curve's 3 evaluation episodes, the CLI's default, at fixed start states) stays at or
  above the threshold at every later point of the budget, i.e. reached and held (MountainCar
  -140, the issue's figure; CartPole 475, gym's "solved"); ``-`` if not held at the end of the
  budget, counted as budget + 1 for the median;
- *final greedy return*: 10 greedy episodes after training;
- *ratings used*: ratings that trained Ĥ (a sequential run ignores those after episode K).

Rows: ``tamer`` sequential is TAMER with ratings during the first K episodes only, then Ĥ
frozen; ``tamer`` simultaneous is TAMER with ratings throughout; ``rl`` is SARSA(λ) alone on
the env reward (one row: it ignores ratings). The last lines check the issue's goal on
MountainCar (sequential): the best combination reaches the threshold in fewer episodes than
both TAMER alone and RL alone, within the budget; they print the gap when it does not.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

COMBINATIONS = ("reward-shaping", "q-augmentation", "action-biasing", "control-sharing")
THRESHOLDS = {"MountainCar-v0": -140.0, "CartPole-v1": 475.0}


PLAIN: dict[str, Any] = {
    "rl_start": "first-step",
    "q_init_from_h": 0.0,
    "beta_schedule": "per-episode",
}
"""The combination as the papers state it: no Q start from Ĥ, β annealed per episode."""

SETTINGS: dict[str, dict[str, Any]] = {
    "sequential": {"setting": "sequential"},
    "sequential, RL from first step": {"setting": "sequential", **PLAIN},
    "simultaneous": {"setting": "simultaneous"},
}
"""Row label -> the agent settings it names (everything else: the presets table, so
``sequential`` is what a user gets; on MountainCar that is RL after the ratings, Q started
from Ĥ and Ĥ's greedy policy until the combination's env return matches)."""

_AFTER = {"setting": "sequential", **PLAIN, "rl_start": "after-ratings"}
CANDIDATES: dict[str, dict[str, Any]] = {
    "sequential, RL from first step": {"setting": "sequential", **PLAIN},
    "sequential, RL from first step, value baseline": {
        "setting": "sequential",
        **PLAIN,
        "value_step_size": 0.01,
    },
    "sequential, RL after ratings": _AFTER,
    "sequential, RL after ratings, Q from Ĥ x10": {**_AFTER, "q_init_from_h": 10.0},
    "sequential, RL after ratings, Ĥ greedy until matched": {
        **_AFTER,
        "beta_schedule": "until-matched",
    },
    "sequential, RL after ratings, Q from Ĥ x10, Ĥ greedy until matched": {
        **_AFTER,
        "q_init_from_h": 10.0,
        "beta_schedule": "until-matched",
    },
}
"""``--candidates``: action biasing under the variants tried against TAMER's early win
(issue 16), each named in full (not from the presets table), beside the two baselines."""


def variants(candidates: bool = False) -> list[tuple[str, str]]:
    """(combination, setting label) rows of the table (``candidates``: the rows of
    :data:`CANDIDATES` for action biasing, and the sequential baselines)."""
    if candidates:
        rows = [("action-biasing", s) for s in CANDIDATES]
        return [*rows, ("tamer", "sequential"), ("rl", "sequential")]
    rows = [(c, s) for c in COMBINATIONS for s in SETTINGS]
    return [*rows, ("tamer", "sequential"), ("tamer", "simultaneous"), ("rl", "sequential")]


def episodes_to_threshold(returns: list[float], threshold: float) -> int | None:
    """First episode (1-based) from which every curve point to the end reaches ``threshold``."""
    first = None
    for i, r in enumerate(returns):
        if r < threshold:
            first = None
        elif first is None:
            first = i + 1
    return first


def run_cell(task: tuple[str, str, str, int, int]) -> dict[str, Any]:
    """One training run; its episodes to threshold, final return and ratings used."""
    env_id, combination, setting, seed, episodes = task
    import torch

    torch.set_num_threads(1)
    from hfrl.config import load_json
    from hfrl.training.results import RunRecorder
    from hfrl.training.scalar_loop import ScalarRunConfig, run_scalar_training

    config = ScalarRunConfig(
        "tamer-rl",
        env_id,
        "human",
        seed=seed,
        episodes=episodes,
        eval_every=1,
        eval_episodes=10,
        agent_overrides={"combination": combination, **{**CANDIDATES, **SETTINGS}[setting]},
        progress=False,
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        recorder = RunRecorder(out)
        summary = run_scalar_training(config, recorder)
        meta = load_json(Path(summary["agent_dir"]) / "agent.json")
    curve = [float(r["return"]) for r in recorder.rows[:-1] if "return" in r]
    return {
        "env": env_id,
        "combination": combination,
        "setting": setting,
        "seed": seed,
        "episodes_to_threshold": episodes_to_threshold(curve, THRESHOLDS[env_id]),
        "final_return": float(summary["eval_return_mean"]),
        "ratings_used": int(meta["ratings_used"]),
        "ratings_given": int(summary["feedback_count"]),
        "curve": curve,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _median_hit(cells: list[dict[str, Any]], budget: int) -> float:
    return float(np.median([c["episodes_to_threshold"] or budget + 1 for c in cells]))


def _fmt_hit(h: float, budget: int) -> str:
    return "-" if h > budget else f"{h:g}"


def table(
    results: list[dict[str, Any]], env_id: str, budget: int, candidates: bool = False
) -> list[str]:
    """Markdown rows of one env."""
    lines = [
        f"### {env_id} (threshold {THRESHOLDS[env_id]:g}, {budget} episodes, human trainer)",
        "",
        "| combination | setting | episodes to threshold | final greedy return | ratings used |",
        "|---|---|---|---|---|",
    ]
    for comb, setting in variants(candidates):
        cells = [
            r
            for r in results
            if (r["env"], r["combination"], r["setting"]) == (env_id, comb, setting)
        ]
        if not cells:
            continue
        cells.sort(key=lambda c: c["seed"])
        hits = " ".join(_fmt_hit(c["episodes_to_threshold"] or budget + 1, budget) for c in cells)
        finals = " ".join(f"{c['final_return']:.0f}" for c in cells)
        ratings = " ".join(str(c["ratings_used"]) for c in cells)
        lines.append(
            f"| {comb} | {setting if comb != 'rl' else '-'} "
            f"| {_fmt_hit(_median_hit(cells, budget), budget)} ({hits}) "
            f"| {np.median([c['final_return'] for c in cells]):.1f} ({finals}) "
            f"| {np.median([c['ratings_used'] for c in cells]):.0f} ({ratings}) |"
        )
    return [*lines, ""]


def goal_check(results: list[dict[str, Any]], budget: int, candidates: bool = False) -> list[str]:
    """The issue's check on MountainCar, sequential: best combination vs both baselines
    (``candidates``: the best action-biasing variant)."""
    env_id = "MountainCar-v0"

    def med(comb: str, setting: str = "sequential") -> float:
        cells = [
            r
            for r in results
            if (r["env"], r["combination"], r["setting"]) == (env_id, comb, setting)
        ]
        return _median_hit(cells, budget) if cells else float("nan")

    if not any(r["env"] == env_id for r in results):
        return []
    from hfrl.presets import preset

    if candidates:
        label = min(CANDIDATES, key=lambda s: med("action-biasing", s))
        best, b = f"action-biasing ({label})", med("action-biasing", label)
    else:
        best = min(COMBINATIONS, key=med)
        b = med(best)
    default = preset("tamer-rl", env_id).get("combination", "action-biasing")
    tamer, rl = med("tamer"), med("rl")
    note = "" if candidates else f" (presets default {default}: {_fmt_hit(med(default), budget)})"
    ok = b <= budget and b < tamer and b < rl
    lines = [
        f"Goal (MountainCar-v0, sequential, median over seeds, reached and held): best "
        f"combination {best} reaches {THRESHOLDS[env_id]:g} in {_fmt_hit(b, budget)} episodes"
        f"{note}; TAMER alone "
        f"{_fmt_hit(tamer, budget)}, RL alone {_fmt_hit(rl, budget)} "
        f"('-' = not held at the end of {budget}).",
        "GOAL MET"
        if ok
        else (
            f"GOAL NOT MET: needs fewer than min(TAMER, RL) = {min(tamer, rl):g} episodes "
            f"and at most {budget}; gap {b - min(tamer, rl) + 1:g} episodes"
        ),
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--envs", nargs="+", default=list(THRESHOLDS), choices=list(THRESHOLDS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--episodes", type=int, default=30, help="training episodes per run")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes (<= 2 here)")
    p.add_argument("--out", type=Path, help="folder for table.md and cells.json")
    p.add_argument(
        "--candidates",
        action="store_true",
        help="only action biasing under the CANDIDATES variants and the sequential baselines; "
        "writes candidates.md and candidates.json",
    )
    args = p.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    tasks = [
        (env_id, comb, setting, seed, args.episodes)
        for env_id in args.envs
        for comb, setting in variants(args.candidates)
        for seed in args.seeds
    ]
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for i, cell in enumerate(pool.map(run_cell, tasks), 1):
            results.append(cell)
            print(
                f"[{i}/{len(tasks)}] {cell['env']} {cell['combination']} {cell['setting']} "
                f"seed {cell['seed']}: threshold at {cell['episodes_to_threshold']}, final "
                f"{cell['final_return']:.1f}, ratings {cell['ratings_used']} ({cell['seconds']} s)",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = ["## TAMER+RL: combinations vs TAMER alone vs RL alone", ""]
    lines.append(
        f"Seeds {' '.join(map(str, args.seeds))}; median (per seed in brackets). Command: "
        f"`OMP_NUM_THREADS=1 python experiments/benchmarks/tamer_rl_table.py --jobs {args.jobs}"
        f" --seeds {' '.join(map(str, args.seeds))} --episodes {args.episodes}"
        f"{' --envs ' + ' '.join(args.envs) if args.envs != list(THRESHOLDS) else ''}"
        f"{' --candidates' if args.candidates else ''}`; "
        f"{elapsed / 60:.1f} min, load average {load:.1f} at the end."
    )
    lines.append("")
    lines.append(
        "Episodes to threshold: the first episode from which every later greedy point (3 "
        "episodes at fixed start states, after each training episode) is at or above the "
        "threshold, to the end of the budget; `-`: not held at the end (counted as budget + 1)."
    )
    lines.append("")
    for env_id in args.envs:
        lines += table(results, env_id, args.episodes, args.candidates)
    lines += goal_check(results, args.episodes, args.candidates)
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = ("candidates", "candidates") if args.candidates else ("table", "cells")
        (args.out / f"{stem[0]}.md").write_text(text + "\n")
        (args.out / f"{stem[1]}.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
