"""Export one feedback-store session as a self-describing, versioned set of files.

The format (``FORMAT_NAME`` version ``FORMAT_VERSION``) is a folder with ``metadata.json``
and the data files. ``metadata.json`` says what the arrays mean: the format and its version,
the session (name, creation time, meta), a *description* (env id and Gymnasium spec,
wrappers, frame skip and stack, observation and action spaces, display rate, clip length,
the teacher: a person or a simulated teacher with its parameters), counts, the store's
schema version, the hfrl version, the SHA-256 of every data file, and this layout. Rows are
in the order they were given; store row ids are not exported (they are local to a store),
so an exported, imported and re-exported session gives the same data files byte for byte.

Layout (``format="npz"``): ``feedback.npz`` (no pickle; strings as numpy unicode arrays)
holding

- ``scalar_*``: ``value, t_wall, step, episode, source, retracted, created`` per rating
  (``t_wall`` the clock the rating was stamped with, ``step`` the global env step then,
  ``created`` the Unix time it was stored), and the steps it was credited to (the steps
  shown in its delay window) in CSR form: ``scalar_credit_offset`` (n + 1), ``scalar_credit_step``,
  ``scalar_credit_weight`` (a rating without credit info has an empty range);
- ``preference_*``: ``left, right`` (indices into the segment arrays), ``label`` (1 left
  better, 0 right better, 0.5 equal, NaN for a skip), ``skipped, t_wall, source, retracted,
  created``;
- ``segment_*``: ``uid, env_id, episode, start_step, terminated, length, has_frames``, and
  per segment ``k`` the arrays ``obs_k, actions_k, true_rewards_k`` and ``frames_k`` (when it
  has frames), in their stored dtypes and shapes.

Layout (``format="parquet"``): ``scalars.parquet`` (credit as a list of ``[step, weight]``),
``preferences.parquet`` (same columns as above plus ``left_uid, right_uid``) and
``segments.parquet`` where each array field ``f`` is three columns: ``f`` (raw C-order
bytes), ``f_dtype`` (numpy dtype string) and ``f_shape`` (list of ints); rebuild with
``np.frombuffer(row[f], row[f_dtype]).reshape(row[f_shape])``. ``frames`` is null when absent.

Live sessions also export the steps they showed (:mod:`hfrl.store_steps`), the steps each
rating was shown with: npz keys ``step_index, step_t_start, step_episode, step_ep_step,
step_reward, step_terminated, step_truncated, step_after_ratings`` and the stacked
``step_obs, step_action, step_next_obs``; parquet ``steps.parquet`` with those columns (the
three arrays as raw bytes plus ``_dtype`` / ``_shape``). Sessions without them have none.

Retracted (undone) rows are exported, flagged, when ``include_retracted`` is set (``hfrl
export`` does), so the undos survive an import.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hfrl.errors import HfrlError, missing_extra
from hfrl.store_codec import ARRAY_FIELDS, write_npz
from hfrl.types import Segment

if TYPE_CHECKING:
    from hfrl.store import FeedbackStore, Session, StoredPreference, StoredScalar

FORMATS = ("npz", "parquet")
"""Export formats."""

FORMAT_NAME = "hfrl-feedback-session"
"""``metadata.json["format"]["name"]`` of an exported session."""
FORMAT_VERSION = 1
"""Version of the exported layout; an importer refuses versions it does not know."""

IMPORT_META_KEYS = ("description", "imported")
"""Meta keys an import adds to the session (the file's description, where it came from);
export writes them back as the description, not as meta, so a re-export is stable."""


def export_session(
    store: FeedbackStore,
    session: Session,
    out_dir: Path,
    format: str,
    include_retracted: bool,
    description: dict[str, Any] | None = None,
) -> Path:
    """Write ``session`` to ``out_dir`` in ``format``; return ``out_dir``.

    Args:
        description: what the arrays mean (env, spaces, teacher, ...; see
            :func:`hfrl.training.session_spec.describe_session`); None writes the session's
            kept description, or the little its meta says.
    """
    if format not in FORMATS:
        raise HfrlError(f"export format must be one of {FORMATS}, got {format!r}")
    if format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as e:
            raise missing_extra("Parquet export", "parquet") from e
    scalars = store.scalar_records(session, include_retracted)
    prefs = store.preference_records(session, include_retracted)
    created = {
        "scalar": _created_times(store, "scalars", session.id),
        "preference": _created_times(store, "preferences", session.id),
    }
    segments = _segments_of(prefs)
    from hfrl.store_steps import read_shown_steps

    steps = read_shown_steps(store, session)
    out_dir.mkdir(parents=True, exist_ok=True)
    if format == "npz":
        files = [_write_npz(out_dir, scalars, prefs, segments, created, steps)]
    else:
        files = _write_parquet(out_dir, scalars, prefs, segments, created)
        if steps is not None:
            files.append(_write_steps_parquet(out_dir, steps))
    from hfrl import __version__

    meta = {k: v for k, v in session.meta.items() if k not in IMPORT_META_KEYS}
    if description is None:
        kept = session.meta.get("description")
        description = kept if isinstance(kept, dict) else _minimal_description(session.meta)
    metadata = {
        "format": {"name": FORMAT_NAME, "version": FORMAT_VERSION, "files": format},
        "session": {"name": session.name, "meta": meta, "created": session.created},
        "description": description,
        "counts": store.counts(session),
        "exported": {
            "scalars": len(scalars),
            "preferences": len(prefs),
            "segments": len(segments),
        },
        "include_retracted": include_retracted,
        "schema_version": store.schema_version,
        "hfrl_version": __version__,
        "format_name": format,
        "files": files,
        "sha256": {f: _sha256(out_dir / f) for f in files},
        "exported_at": time.time(),
        "layout": "Layout " + (__doc__ or "").split("Layout ", 1)[-1].strip(),
    }
    (out_dir / "metadata.json").write_text(
        json.dumps(metadata, indent=2, sort_keys=True, allow_nan=False) + "\n"
    )
    return out_dir


def _minimal_description(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "app": meta.get("app"),
        "agent": meta.get("agent"),
        "seed": meta.get("seed"),
        "env": {"id": meta.get("env_id")} if meta.get("env_id") else None,
        "display_fps": meta.get("fps"),
        "clip_length": meta.get("clip_length"),
        "teacher": meta.get("teacher"),
        "note": "written without the env description (export with `hfrl export` for it)",
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _created_times(store: FeedbackStore, table: str, session_id: int) -> dict[int, float]:
    """Row id -> Unix time stored, for one session's rows of ``table``."""
    rows = store._conn().execute(
        f"SELECT id, created FROM {table} WHERE session_id = ?", (session_id,)
    )
    return {int(r[0]): float(r[1]) for r in rows}


def _segments_of(prefs: list[StoredPreference]) -> dict[int, Segment]:
    """Segments used by ``prefs``, keyed by row id, in row-id order."""
    found: dict[int, Segment] = {}
    for p in prefs:
        found[p.left_id] = p.preference.left
        found[p.right_id] = p.preference.right
    return dict(sorted(found.items()))


def _scalar_columns(
    scalars: list[StoredScalar], created: dict[int, float]
) -> dict[str, np.ndarray]:
    return {
        "value": np.array([r.scalar.value for r in scalars], dtype=np.float64),
        "t_wall": np.array([r.scalar.t_wall for r in scalars], dtype=np.float64),
        "step": np.array([r.scalar.step for r in scalars], dtype=np.int64),
        "episode": np.array([r.scalar.episode for r in scalars], dtype=np.int64),
        "source": np.array([r.scalar.source for r in scalars], dtype=str),
        "retracted": np.array([r.retracted for r in scalars], dtype=bool),
        "created": np.array([created.get(r.id, np.nan) for r in scalars], dtype=np.float64),
    }


def _preference_columns(
    prefs: list[StoredPreference], index: dict[int, int], created: dict[int, float]
) -> dict[str, np.ndarray]:
    labels = [np.nan if r.preference.label is None else r.preference.label for r in prefs]
    return {
        "left": np.array([index[r.left_id] for r in prefs], dtype=np.int64),
        "right": np.array([index[r.right_id] for r in prefs], dtype=np.int64),
        "label": np.array(labels, dtype=np.float64),
        "skipped": np.array([r.preference.label is None for r in prefs], dtype=bool),
        "t_wall": np.array([r.preference.t_wall for r in prefs], dtype=np.float64),
        "source": np.array([r.preference.source for r in prefs], dtype=str),
        "retracted": np.array([r.retracted for r in prefs], dtype=bool),
        "created": np.array([created.get(r.id, np.nan) for r in prefs], dtype=np.float64),
    }


def _segment_columns(segments: dict[int, Segment]) -> dict[str, np.ndarray]:
    segs = list(segments.values())
    return {
        "uid": np.array([s.uid for s in segs], dtype=str),
        "env_id": np.array([s.env_id for s in segs], dtype=str),
        "episode": np.array([s.episode for s in segs], dtype=np.int64),
        "start_step": np.array([s.start_step for s in segs], dtype=np.int64),
        "terminated": np.array([s.terminated for s in segs], dtype=bool),
        "length": np.array([len(s) for s in segs], dtype=np.int64),
        "has_frames": np.array([s.frames is not None for s in segs], dtype=bool),
    }


def _write_npz(
    out_dir: Path,
    scalars: list[StoredScalar],
    prefs: list[StoredPreference],
    segments: dict[int, Segment],
    created: dict[str, dict[int, float]],
    steps: dict[str, np.ndarray] | None = None,
) -> str:
    arrays: dict[str, np.ndarray] = {}
    arrays.update(
        {f"scalar_{k}": v for k, v in _scalar_columns(scalars, created["scalar"]).items()}
    )
    credits = [r.credit or () for r in scalars]
    arrays["scalar_credit_offset"] = np.cumsum([0] + [len(c) for c in credits], dtype=np.int64)
    arrays["scalar_credit_step"] = np.array([s for c in credits for s, _ in c], dtype=np.int64)
    arrays["scalar_credit_weight"] = np.array([w for c in credits for _, w in c], dtype=np.float64)
    index = {seg_id: k for k, seg_id in enumerate(segments)}
    columns = _preference_columns(prefs, index, created["preference"])
    arrays.update({f"preference_{k}": v for k, v in columns.items()})
    arrays.update({f"segment_{k}": v for k, v in _segment_columns(segments).items()})
    for k, seg in enumerate(segments.values()):
        for name in ARRAY_FIELDS:
            value = getattr(seg, name)
            if value is not None:
                arrays[f"{name}_{k}"] = np.asarray(value)
    if steps is not None:
        arrays.update({f"step_{k}": steps[k] for k in STEP_FIELDS})
    write_npz(out_dir / "feedback.npz", arrays)
    return "feedback.npz"


STEP_FIELDS = (
    "index",
    "t_start",
    "episode",
    "ep_step",
    "reward",
    "terminated",
    "truncated",
    "after_ratings",
    "obs",
    "action",
    "next_obs",
)
"""The shown steps' fields an export carries (``t_end`` is the next step's start)."""
STEP_ARRAYS = ("obs", "action", "next_obs")
"""Fields holding one array per step."""


def _write_steps_parquet(out_dir: Path, steps: dict[str, np.ndarray]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {}
    for k in STEP_FIELDS:
        if k in STEP_ARRAYS:
            values = np.ascontiguousarray(steps[k])
            columns[k] = pa.array([v.tobytes() for v in values], type=pa.binary())
            columns[f"{k}_dtype"] = pa.array([values.dtype.str] * len(values), type=pa.string())
            columns[f"{k}_shape"] = pa.array(
                [list(values.shape[1:])] * len(values), type=pa.list_(pa.int64())
            )
        else:
            columns[k] = pa.array(steps[k].tolist())
    pq.write_table(pa.table(columns), out_dir / "steps.parquet")
    return "steps.parquet"


def _write_parquet(
    out_dir: Path,
    scalars: list[StoredScalar],
    prefs: list[StoredPreference],
    segments: dict[int, Segment],
    created: dict[str, dict[int, float]],
) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    scalar_table: dict[str, Any] = {
        k: v.tolist() for k, v in _scalar_columns(scalars, created["scalar"]).items()
    }
    scalar_table["credit"] = [
        None if r.credit is None else [[float(s), w] for s, w in r.credit] for r in scalars
    ]
    index = {seg_id: k for k, seg_id in enumerate(segments)}
    pref_table: dict[str, Any] = {
        k: v.tolist() for k, v in _preference_columns(prefs, index, created["preference"]).items()
    }
    pref_table["left_uid"] = [r.preference.left.uid for r in prefs]
    pref_table["right_uid"] = [r.preference.right.uid for r in prefs]
    seg_table: dict[str, Any] = {k: v.tolist() for k, v in _segment_columns(segments).items()}
    for name in ARRAY_FIELDS:
        values = [getattr(s, name) for s in segments.values()]
        arrays = [None if v is None else np.ascontiguousarray(v) for v in values]
        seg_table[name] = pa.array(
            [None if a is None else a.tobytes() for a in arrays], type=pa.binary()
        )
        seg_table[f"{name}_dtype"] = pa.array(
            [None if a is None else a.dtype.str for a in arrays], type=pa.string()
        )
        seg_table[f"{name}_shape"] = pa.array(
            [None if a is None else list(a.shape) for a in arrays], type=pa.list_(pa.int64())
        )
    schemas = {
        "scalars": {
            "credit": pa.list_(pa.list_(pa.float64())),
            "value": pa.float64(),
            "t_wall": pa.float64(),
            "step": pa.int64(),
            "episode": pa.int64(),
            "source": pa.string(),
            "retracted": pa.bool_(),
            "created": pa.float64(),
        },
        "preferences": {
            "left": pa.int64(),
            "right": pa.int64(),
            "label": pa.float64(),
            "skipped": pa.bool_(),
            "t_wall": pa.float64(),
            "source": pa.string(),
            "retracted": pa.bool_(),
            "created": pa.float64(),
            "left_uid": pa.string(),
            "right_uid": pa.string(),
        },
        "segments": {
            "uid": pa.string(),
            "env_id": pa.string(),
            "episode": pa.int64(),
            "start_step": pa.int64(),
            "terminated": pa.bool_(),
            "length": pa.int64(),
            "has_frames": pa.bool_(),
        },
    }
    files = []
    for name, table in (
        ("scalars", scalar_table),
        ("preferences", pref_table),
        ("segments", seg_table),
    ):
        columns = {
            k: v if isinstance(v, pa.Array) else pa.array(v, type=schemas[name].get(k))
            for k, v in table.items()
        }
        pq.write_table(pa.table(columns), out_dir / f"{name}.parquet")
        files.append(f"{name}.parquet")
    return files
