"""The tables of a sweep: every curve in one tidy table, one row per cell, and the summary.

- ``curves.csv`` (and ``curves.parquet`` when pyarrow is installed): every row of every
  finished cell's ``curve.csv`` with the cell's agent, env, teacher and seed added, plus
  ``human_minutes``.
- ``summary.csv``: one row per cell (agent, env, teacher, seed) with its final greedy
  return, budget used, feedback count and human time.
- ``summary.md``: per agent × env × teacher, the final return's IQM across seeds with a 95%
  stratified-bootstrap interval, the median feedback count and the median human minutes.

Human time comes from the runs' ``human_seconds`` (the cost model of :mod:`hfrl.effort`).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from hfrl.bench.runner import LOGS, cell_dir, is_done
from hfrl.bench.stats import bootstrap_ci, iqm
from hfrl.bench.suite import Cell, Suite
from hfrl.config import load_json
from hfrl.training.results import CURVE_COLUMNS

KEY_COLUMNS = ("agent", "env", "teacher", "seed")
CURVE_TABLE_COLUMNS = (*KEY_COLUMNS, *CURVE_COLUMNS, "human_minutes")
SUMMARY_COLUMNS = (
    *KEY_COLUMNS,
    "eval_return_mean",
    "eval_return_std",
    "env_steps",
    "episodes",
    "feedback_count",
    "human_seconds",
    "human_minutes",
    "wall_seconds",
)
N_BOOT = 2000
"""Bootstrap resamples of the summary intervals."""


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def read_curve(path: Path) -> list[dict[str, float]]:
    """A run's ``curve.csv`` as rows of floats (empty cells are NaN)."""
    with path.open(newline="") as f:
        return [
            {k: _float(v) if v != "" else math.nan for k, v in row.items()}
            for row in csv.DictReader(f)
        ]


def collect(suite: Suite, out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Summary rows and curve rows of the finished cells, in suite order."""
    summaries: list[dict[str, Any]] = []
    curves: list[dict[str, Any]] = []
    for cell in suite.cells:
        if not is_done(out, cell):
            continue
        d = cell_dir(out, cell)
        s = load_json(d / "summary.json")
        keys = _keys(cell)
        human_s = _float(s.get("human_seconds"))
        summaries.append(
            {
                **keys,
                "eval_return_mean": _float(s.get("eval_return_mean")),
                "eval_return_std": _float(s.get("eval_return_std")),
                "env_steps": s.get("env_steps"),
                "episodes": s.get("episodes"),
                "feedback_count": s.get("feedback_count"),
                "human_seconds": human_s,
                "human_minutes": human_s / 60.0,
                "wall_seconds": _float(s.get("wall_seconds")),
            }
        )
        if (d / "curve.csv").is_file():
            for row in read_curve(d / "curve.csv"):
                curves.append(
                    {**keys, **row, "human_minutes": row.get("human_seconds", math.nan) / 60.0}
                )
    return summaries, curves


def _keys(cell: Cell) -> dict[str, Any]:
    return {"agent": cell.agent, "env": cell.env, "teacher": cell.teacher, "seed": cell.seed}


def write_csv(path: Path, columns: Iterable[str], rows: list[dict[str, Any]]) -> None:
    """Write rows atomically (temp file, then rename); NaN is written empty."""
    columns = list(columns)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in rows:
            w.writerow(
                [
                    "" if isinstance(v, float) and math.isnan(v) else v
                    for v in (row.get(c, "") for c in columns)
                ]
            )
    os.replace(tmp, path)


def write_parquet(path: Path, columns: Iterable[str], rows: list[dict[str, Any]]) -> bool:
    """Write the rows as parquet if pyarrow is installed; return whether it was written."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False
    table = pa.table({c: [r.get(c) for r in rows] for c in columns})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return True


def group_rows(summaries: list[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """Per agent × env × teacher: IQM of the final return with its 95% CI, medians of effort."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in summaries:
        groups.setdefault((row["agent"], row["env"], row["teacher"]), []).append(row)
    out = []
    for (agent, env, teacher), rows in groups.items():
        returns = np.array([r["eval_return_mean"] for r in rows], dtype=float)
        finite = returns[np.isfinite(returns)]
        if finite.size:
            centre = iqm(finite)
            lo, hi = bootstrap_ci(finite, iqm, n_boot=N_BOOT, seed=seed)
        else:
            centre = lo = hi = math.nan
        out.append(
            {
                "agent": agent,
                "env": env,
                "teacher": teacher,
                "seeds": len(rows),
                "return_iqm": centre,
                "ci_low": lo,
                "ci_high": hi,
                "feedback_median": float(np.median([_float(r["feedback_count"]) for r in rows])),
                "human_minutes_median": float(np.median([r["human_minutes"] for r in rows])),
                "env_steps_median": float(np.median([_float(r["env_steps"]) for r in rows])),
                "wall_seconds_median": float(np.median([r["wall_seconds"] for r in rows])),
            }
        )
    return out


def render_markdown(
    suite: Suite, groups: list[dict[str, Any]], n_done: int, failed: list[str]
) -> str:
    """The text of ``summary.md``."""
    lines = [f"# Benchmark `{suite.name}`", ""]
    if suite.description:
        lines += [suite.description, ""]
    lines += [
        f"{n_done} of {len(suite.cells)} cells finished. Final return: greedy evaluation on the "
        "true reward at the end of training; IQM across seeds (rliable's trimmed mean, "
        "`scipy.stats.trim_mean(x, 0.25)`: drop ⌊n/4⌋ seeds at each end; `hfrl.bench.stats`) with a 95% percentile-bootstrap interval "
        f"({N_BOOT} resamples of the seeds). Human minutes use the cost model of `hfrl/effort.py`: "
        "live rating costs the time spent watching (env steps / fps); a clip comparison costs 4 s.",
        "",
        "| agent | env | teacher | seeds | return IQM | 95% CI | feedback (median) | human min (median) | env steps (median) | wall s (median) |",
        "|---|---|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for g in groups:
        lines.append(
            f"| {g['agent']} | {g['env']} | {g['teacher']} | {g['seeds']} | {g['return_iqm']:.1f} | "
            f"[{g['ci_low']:.1f}, {g['ci_high']:.1f}] | {g['feedback_median']:.0f} | "
            f"{g['human_minutes_median']:.2f} | {g['env_steps_median']:.0f} | {g['wall_seconds_median']:.0f} |"
        )
    if failed:
        lines += [
            "",
            f"Failed cells ({len(failed)}; logs in `{LOGS}/`): "
            + ", ".join(f"`{c}`" for c in failed),
        ]
    missing = len(suite.cells) - n_done - len(failed)
    if missing > 0:
        lines += [
            "",
            f"{missing} cells not run yet: run the same `hfrl bench` command again to finish them.",
        ]
    return "\n".join(lines) + "\n"


def write_all(suite: Suite, out: str | Path) -> dict[str, Path]:
    """Write curves.csv (+ parquet), summary.csv and summary.md into ``out``; return the paths."""
    out = Path(out)
    summaries, curves = collect(suite, out)
    paths = {
        "curves": out / "curves.csv",
        "summary_csv": out / "summary.csv",
        "summary_md": out / "summary.md",
    }
    write_csv(paths["curves"], CURVE_TABLE_COLUMNS, curves)
    if write_parquet(out / "curves.parquet", CURVE_TABLE_COLUMNS, curves):
        paths["curves_parquet"] = out / "curves.parquet"
    write_csv(paths["summary_csv"], SUMMARY_COLUMNS, summaries)
    groups = group_rows(summaries)
    done_ids = {c.cell_id for c in suite.cells if is_done(out, c)}
    failed = (
        sorted(
            p.stem
            for p in (out / LOGS).glob("*.log")
            if p.stem not in done_ids and p.stem in {c.cell_id for c in suite.cells}
        )
        if (out / LOGS).is_dir()
        else []
    )
    text = render_markdown(suite, groups, len(summaries), failed)
    tmp = paths["summary_md"].with_name("summary.md.tmp")
    tmp.write_text(text)
    os.replace(tmp, paths["summary_md"])
    return paths
