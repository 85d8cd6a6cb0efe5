"""Training metrics in the formats RL tools read: SB3's logger, ``monitor.csv``, ``evaluations.npz``.

Every run logs through one Stable-Baselines3 :class:`~stable_baselines3.common.logger.Logger`
(``progress.csv`` always, TensorBoard event files when the ``tensorboard`` extra is installed,
stdout on request), under keys grouped by what they measure: ``reward/...`` for the reward
model, ``feedback/...`` for ratings and labels, ``agent/...`` for the learner, ``rollout/...``
and ``eval/...`` as SB3 names them. The training env can be wrapped in SB3's ``Monitor``
(``monitor.csv``) and greedy evaluations are saved as ``EvalCallback`` saves them, so
``stable_baselines3.common.results_plotter`` and similar tools read hfrl runs as they are.

>>> from hfrl.training.logs import run_logger
>>> logger = run_logger("runs/demo/logs")  # doctest: +SKIP
>>> logger.record("feedback/ratings", 12)  # doctest: +SKIP
>>> logger.dump(step=1000)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

LOG_DIR = "logs"
"""Sub-folder of a run's output folder that holds ``progress.csv`` and TensorBoard events."""


def tensorboard_available() -> bool:
    """Whether TensorBoard event files can be written (``pip install "hfrl[tensorboard]"``)."""
    return importlib.util.find_spec("tensorboard") is not None


def log_formats(stdout: bool = False, tensorboard: bool | None = None) -> list[str]:
    """SB3 logger formats: ``csv``, plus ``tensorboard`` (None: when installed) and ``stdout``."""
    formats = ["csv"]
    if tensorboard is None:
        tensorboard = tensorboard_available()
    if tensorboard:
        formats.append("tensorboard")
    if stdout:
        formats.append("stdout")
    return formats


def run_logger(folder: str | Path, stdout: bool = False, tensorboard: bool | None = None) -> Any:
    """An SB3 logger writing to ``folder`` (made if missing) in :func:`log_formats`."""
    from stable_baselines3.common.logger import configure

    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return configure(str(path), log_formats(stdout, tensorboard))


def monitored(env: Any, out_dir: str | Path) -> Any:
    """``env`` wrapped in SB3's ``Monitor``, writing ``out_dir/monitor.csv`` per episode."""
    from stable_baselines3.common.monitor import Monitor

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return Monitor(env, filename=str(Path(out_dir) / "monitor.csv"))


def save_evaluations(
    path: str | Path,
    timesteps: Sequence[int],
    results: Sequence[Sequence[float]],
    ep_lengths: Sequence[Sequence[int]],
    final: tuple[int, Sequence[float], Sequence[int]] | None = None,
) -> Path:
    """Greedy evaluations as SB3's ``EvalCallback`` writes ``evaluations.npz``.

    Args:
        path: the file (``.npz``).
        timesteps: env steps at each evaluation.
        results: episode returns of each evaluation (equal counts per evaluation).
        ep_lengths: episode lengths of each evaluation.
        final: optional (env steps, returns, lengths) of the run's final evaluation, also
            saved as ``final_timesteps``/``final_results``/``final_ep_lengths``.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        "timesteps": np.asarray(timesteps, dtype=np.int64),
        "results": np.asarray(results, dtype=np.float64).reshape(len(timesteps), -1),
        "ep_lengths": np.asarray(ep_lengths, dtype=np.int64).reshape(len(timesteps), -1),
    }
    if final is not None:
        arrays["final_timesteps"] = np.asarray([final[0]], dtype=np.int64)
        arrays["final_results"] = np.asarray([final[1]], dtype=np.float64)
        arrays["final_ep_lengths"] = np.asarray([final[2]], dtype=np.int64)
    np.savez(p, **arrays)
    return p
