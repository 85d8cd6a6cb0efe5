"""Helpers the live-feedback benchmarks share: the user's command, a random baseline, the load.

Imported by ``deep_tamer_bowling.py``, ``deep_coach_atari.py`` and
``live_agents_table.py`` (each puts this folder on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


class RandomPolicy:
    """Uniform random actions from a seeded generator."""

    def __init__(self, n: int, seed: int) -> None:
        self.n, self.rng = n, np.random.default_rng(seed)

    def act(self, obs: Any, greedy: bool = False) -> int:
        return int(self.rng.integers(self.n))


def train_once(
    config: Any, agent: Any = None
) -> tuple[dict[str, Any], list[dict[str, Any]], float]:
    """Run :func:`hfrl.training.scalar_loop.run_scalar_training` into a temporary folder.

    Returns:
        the run's summary, its curve rows, and the wall seconds it took.
    """
    from hfrl.training.results import RunRecorder
    from hfrl.training.scalar_loop import run_scalar_training

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        recorder = RunRecorder(out)
        summary = run_scalar_training(config, recorder, agent=agent)
    return summary, list(recorder.rows), time.perf_counter() - started


def random_score(
    env_id: str, seed: int, episodes: int, eval_seed: int, max_steps: int | None
) -> tuple[float, float]:
    """Mean and std of the true return of a uniform random policy (seeded ``seed``) over
    the evaluation episodes seeded ``eval_seed``, ``eval_seed + 1``, ..."""
    from hfrl.envs.make import make

    from hfrl.training.evaluate import evaluate

    env = make(env_id, seed=seed, render_mode=None)
    n = int(env.action_space.n)
    env.close()
    return evaluate(
        RandomPolicy(n, seed), env_id, episodes=episodes, seed=eval_seed, max_steps=max_steps
    )


def run_user_command(args: list[str], out: Path | None = None) -> tuple[dict[str, Any], float]:
    """Run ``hfrl ARGS`` (an ``hfrl train`` command, as a user types it) in a subprocess with
    one torch thread; its results go to ``out`` (default: a temporary folder).

    Returns:
        the run's summary and the wall seconds it took.
    """
    if out is None:
        with tempfile.TemporaryDirectory() as tmp:
            return run_user_command(args, Path(tmp) / "run")
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "hfrl", *args, "--out", str(out), "--no-progress"]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"hfrl {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads((out / "summary.json").read_text()), wall


def uptime_load() -> str:
    """The 1-minute load average (how busy the machine was while timing)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"
