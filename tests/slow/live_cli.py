"""Run the live agents' commands exactly as a user types them, for the slow-tier checks.

Each run is a subprocess of ``python -m hfrl ...`` with no agent-config options: the agent's
settings and display rate come from the presets table (:mod:`hfrl.presets`), as for a user.
Seeds run in parallel, two at a time (CI has 2 cores), each with one torch thread.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SEEDS = (0, 1, 2)
PARALLEL = 2
TIMEOUT_S = 900
"""A run that takes this long has hung (the slowest check takes about 1 min a seed)."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", SDL_VIDEODRIVER="dummy")
    env.update(SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
    return env


def run_hfrl(args: list[str], cwd: Path) -> str:
    """``python -m hfrl ARGS`` in ``cwd``; its stdout (fails the test on a non-zero exit)."""
    done = subprocess.run(
        [sys.executable, "-m", "hfrl", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def train(
    tmp_path: Path,
    agent: str,
    env_id: str,
    teacher: str,
    episodes: int,
    seed: int,
    fps: float | None = None,
) -> dict:
    """``hfrl train AGENT --env ENV --teacher T --episodes N --seed S [--fps F]``; its summary."""
    out = tmp_path / f"{agent}-{env_id.replace('/', '_')}-{teacher}-{fps}-s{seed}"
    args = ["train", agent, "--env", env_id, "--teacher", teacher]
    args += ["--episodes", str(episodes), "--seed", str(seed), "--out", str(out)]
    if fps is not None:
        args += ["--fps", f"{fps:g}"]
    run_hfrl([*args, "--no-progress"], tmp_path)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == episodes
    return summary


def greedy_returns(
    tmp_path: Path,
    agent: str,
    env_id: str,
    teacher: str,
    episodes: int,
    fps: float | None = None,
) -> list[float]:
    """The final greedy return (10 episodes, true reward) of seeds 0-2, in seed order."""

    def one(seed: int) -> float:
        summary = train(tmp_path, agent, env_id, teacher, episodes, seed, fps)
        return float(summary["eval_return_mean"])

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(one, SEEDS))


LEARNED = re.compile(
    r"what the agent learned.*?:\s*(-?[\d.]+) before this session,\s*(-?[\d.]+) after"
)
"""The line README's first command prints after a headless run (before and after)."""


def teach_headless(tmp_path: Path, agent: str, env_id: str, seed: int) -> tuple[float, float]:
    """``hfrl teach AGENT --env ENV [--seed S]`` with no display, in a fresh folder (its
    session goes to ``runs/sessions`` there, as for a user); (before, after) greedy returns."""
    folder = tmp_path / f"teach-{agent}-{env_id.replace('/', '_')}-s{seed}"
    folder.mkdir(parents=True)
    args = ["teach", agent, "--env", env_id] + (["--seed", str(seed)] if seed else [])
    stdout = run_hfrl(args, folder)
    found = LEARNED.search(stdout)
    assert found, stdout[-2000:]
    return float(found.group(1)), float(found.group(2))
