"""Learning curves of a sweep as PNGs: return against env steps, feedback and human minutes.

One figure per x axis, one panel per env, one line per agent (per agent and teacher when a
panel has more than one teacher). Each seed's curve is linearly interpolated onto a common
grid of its group (from the largest first x to the smallest last x over the seeds, so no
seed is extrapolated); the line is the IQM across seeds and the band its 95% percentile
bootstrap interval (:func:`hfrl.bench.stats.bootstrap_band`).

The y value is the greedy evaluation ``return`` when every seed has at least two such points
(sweeps set ``eval_every``), else the return of each training episode (``train_return``);
the axis label says which. Human minutes follow :mod:`hfrl.effort`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from hfrl.bench.stats import bootstrap_band
from hfrl.errors import HfrlError

X_AXES = {
    "env_steps": ("env steps", "return_vs_env_steps.png"),
    "feedback_count": ("feedback given (ratings or comparisons)", "return_vs_feedback.png"),
    "human_minutes": ("estimated human minutes", "return_vs_human_minutes.png"),
}
"""Column -> (axis label, file name)."""

CAPTION = (
    "Line: IQM across seeds; band: 95% bootstrap interval. Human minutes (hfrl/effort.py): live "
    "rating costs the time spent watching (env steps / fps, key presses free); a clip comparison "
    "costs 4 s (Christiano et al. 2017: 3-5 s)."
)
GRID_POINTS = 60


def load_curves(run_dir: str | Path) -> list[dict[str, Any]]:
    """Curve rows of a ``hfrl bench`` dir (``curves.csv``) or of one ``hfrl train`` run."""
    run_dir = Path(run_dir)
    if (run_dir / "curves.csv").is_file():
        rows = _read_csv(run_dir / "curves.csv")
    elif (run_dir / "curve.csv").is_file():
        from hfrl.config import load_json

        meta = load_json(run_dir / "summary.json") if (run_dir / "summary.json").is_file() else {}
        keys = {k: str(meta.get(k, "?")) for k in ("agent", "env", "teacher")}
        rows = [
            {**keys, "seed": str(meta.get("seed", 0)), **r}
            for r in _read_csv(run_dir / "curve.csv")
        ]
    else:
        raise HfrlError(
            f"{run_dir} has no curves.csv (an hfrl bench dir) or curve.csv (an hfrl train dir)"
        )
    for r in rows:
        for k in (
            "env_steps",
            "episodes",
            "feedback_count",
            "human_seconds",
            "return",
            "train_return",
            "human_minutes",
        ):
            v = r.get(k, "")
            r[k] = float(v) if v not in ("", None) else math.nan
        if math.isnan(r["human_minutes"]):
            r["human_minutes"] = r["human_seconds"] / 60.0
    return rows


def _read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _series(rows: list[dict[str, Any]], x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
    """One seed's points sorted by x; of rows sharing an x the last one (in file order) wins."""
    pts = {r[x]: r[y] for r in rows if math.isfinite(r[x]) and math.isfinite(r[y])}
    if not pts:
        return np.empty(0), np.empty(0)
    xs = np.array(sorted(pts), dtype=float)
    return xs, np.array([pts[v] for v in xs], dtype=float)


def choose_y(rows: list[dict[str, Any]]) -> str:
    """``"return"`` if every seed of every group has two greedy points, else ``"train_return"``."""
    by_run: dict[tuple[str, ...], int] = {}
    for r in rows:
        key = (r["agent"], r["env"], r["teacher"], r["seed"])
        by_run[key] = by_run.get(key, 0) + int(math.isfinite(r["return"]))
    return "return" if by_run and min(by_run.values()) >= 2 else "train_return"


def aligned(
    seed_rows: dict[str, list[dict[str, Any]]], x: str, y: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """The seeds' curves interpolated onto one grid: ``(grid, curves[n_seeds, n_points])``."""
    series = [s for s in (_series(rows, x, y) for rows in seed_rows.values()) if s[0].size]
    if not series:
        return None
    lo = max(s[0][0] for s in series)
    hi = min(s[0][-1] for s in series)
    grid = np.array([hi]) if hi <= lo else np.linspace(lo, hi, GRID_POINTS)
    curves = np.stack([np.interp(grid, xs, ys) for xs, ys in series])
    return grid, curves


def plot_curves(rows: list[dict[str, Any]], out_dir: str | Path, title: str = "") -> list[Path]:
    """Draw the three figures into ``out_dir``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    y = choose_y(rows)
    y_label = (
        "greedy return (true reward)" if y == "return" else "training-episode return (true reward)"
    )
    envs = list(dict.fromkeys(r["env"] for r in rows))
    groups: dict[str, dict[tuple[str, str], dict[str, list[dict[str, Any]]]]] = {}
    for r in rows:
        groups.setdefault(r["env"], {}).setdefault((r["agent"], r["teacher"]), {}).setdefault(
            str(r["seed"]), []
        ).append(r)
    labels = list(dict.fromkeys((r["agent"], r["teacher"]) for r in rows))
    colours = {lab: plt.get_cmap("tab10")(i % 10) for i, lab in enumerate(labels)}
    paths = []
    for x, (x_label, name) in X_AXES.items():
        ncols = min(len(envs), 3)
        nrows = math.ceil(len(envs) / ncols)
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(5 * ncols, 3.8 * nrows + 0.9), squeeze=False
        )
        for ax in axes.flat[len(envs) :]:
            ax.set_visible(False)
        for ax, env in zip(axes.flat, envs, strict=False):
            teachers = {t for (_, t) in groups[env]}
            for (agent, teacher), seed_rows in groups[env].items():
                got = aligned(seed_rows, x, y)
                if got is None:
                    continue
                grid, curves = got
                centre, lo, hi = bootstrap_band(curves, n_boot=500, seed=0)
                label = (
                    agent
                    if len(teachers) == 1 and len({a for (a, _) in groups[env]}) == len(groups[env])
                    else f"{agent} ({teacher})"
                )
                label += f", {curves.shape[0]} seeds"
                colour = colours[(agent, teacher)]
                if grid.size == 1:
                    ax.errorbar(
                        grid,
                        centre,
                        yerr=[centre - lo, hi - centre],
                        fmt="o",
                        color=colour,
                        label=label,
                        capsize=3,
                    )
                else:
                    ax.plot(grid, centre, color=colour, label=label)
                    ax.fill_between(grid, lo, hi, color=colour, alpha=0.2, linewidth=0)
            ax.set_title(env)
            ax.set_xlabel(x_label)
            ax.set_ylabel(y_label)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
        if title:
            fig.suptitle(title)
        fig.text(0.5, 0.01, CAPTION, ha="center", va="bottom", fontsize=7, wrap=True)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        path = out_dir / name
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def plot_run(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Read a bench (or train) dir and draw its figures (into ``run_dir`` by default)."""
    rows = load_curves(run_dir)
    if not rows:
        raise HfrlError(f"{run_dir} has no curve rows to plot; has any cell finished?")
    title = ""
    suite = Path(run_dir) / "suite.toml"
    if suite.is_file():
        from hfrl.bench.suite import tomllib

        title = f"hfrl bench {tomllib.loads(suite.read_text()).get('suite', {}).get('name', '')}"
    return plot_curves(rows, out_dir or run_dir, title)
