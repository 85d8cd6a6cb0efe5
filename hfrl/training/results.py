"""The files every training run writes: ``summary.json`` and ``curve.csv``.

``curve.csv`` has one row per evaluation point: env_steps, episodes, feedback_count,
human_seconds, return (the greedy evaluation return on the true reward), and
train_return (the true return of the last training episode, for live agents).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from hfrl.config import save_json, versions

CURVE_COLUMNS = (
    "env_steps",
    "episodes",
    "feedback_count",
    "human_seconds",
    "return",
    "train_return",
)


class RunRecorder:
    """Appends curve points as they come and writes the summary at the end.

    Each curve row is flushed to disk at once, so an interrupted run keeps its curve.
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        self._curve_path = self.out_dir / "curve.csv"
        with self._curve_path.open("w", newline="") as f:
            csv.writer(f).writerow(CURVE_COLUMNS)
        self.rows: list[dict[str, float]] = []

    def log_point(self, **values: float) -> None:
        """Append one curve row; missing columns are written empty (NaN when read)."""
        unknown = set(values) - set(CURVE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown curve columns {sorted(unknown)}; use {CURVE_COLUMNS}")
        self.rows.append(values)
        with self._curve_path.open("a", newline="") as f:
            csv.writer(f).writerow([values.get(c, "") for c in CURVE_COLUMNS])

    @property
    def wall_seconds(self) -> float:
        """Seconds since the recorder was made."""
        return time.perf_counter() - self.started

    def write_summary(self, summary: dict[str, Any]) -> Path:
        """Write ``summary.json`` with wall time and versions added; return its path."""
        data = dict(summary)
        data.setdefault("wall_seconds", round(self.wall_seconds, 3))
        data.setdefault("versions", versions())
        path = self.out_dir / "summary.json"
        save_json(path, data)
        return path

    def write_config(self, config: Any) -> Path:
        """Write the resolved run config as ``config.json``."""
        path = self.out_dir / "config.json"
        save_json(path, config)
        return path
