"""Export one feedback-store session to npz arrays or parquet tables plus JSON metadata.

Layout (``format="npz"``): ``feedback.npz`` (no pickle; strings as numpy unicode arrays)
holding

- ``scalar_*``: ``id, value, t_wall, step, episode, source, retracted`` per rating, and the
  credited steps in CSR form: ``scalar_credit_offset`` (n + 1), ``scalar_credit_step``,
  ``scalar_credit_weight`` (a rating without credit info has an empty range);
- ``preference_*``: ``id, left, right`` (indices into the segment arrays), ``label`` (NaN for a
  skip), ``skipped, t_wall, source, retracted``;
- ``segment_*``: ``id, uid, env_id, episode, start_step, terminated, length, has_frames``, and
  per segment ``k`` the arrays ``obs_k, actions_k, true_rewards_k`` and ``frames_k`` (when it
  has frames), in their stored dtypes and shapes.

Layout (``format="parquet"``): ``scalars.parquet`` (credit as a list of ``[step, weight]``),
``preferences.parquet`` (same columns as above plus ``left_uid, right_uid``) and
``segments.parquet`` where each array field ``f`` is three columns: ``f`` (raw C-order
bytes), ``f_dtype`` (numpy dtype string) and ``f_shape`` (list of ints); rebuild with
``np.frombuffer(row[f], row[f_dtype]).reshape(row[f_shape])``. ``frames`` is null when absent.

Both write ``metadata.json``: session (id, name, meta, created), counts, schema version,
hfrl version, format, files and this layout summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hfrl.config import save_json
from hfrl.errors import HfrlError, missing_extra
from hfrl.store_codec import ARRAY_FIELDS
from hfrl.types import Segment

if TYPE_CHECKING:
    from hfrl.store import FeedbackStore, Session, StoredPreference, StoredScalar

FORMATS = ("npz", "parquet")
"""Export formats."""


def export_session(
    store: FeedbackStore,
    session: Session,
    out_dir: Path,
    format: str,
    include_retracted: bool,
) -> Path:
    """Write ``session`` to ``out_dir`` in ``format``; return ``out_dir``."""
    if format not in FORMATS:
        raise HfrlError(f"export format must be one of {FORMATS}, got {format!r}")
    if format == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as e:
            raise missing_extra("Parquet export", "parquet") from e
    scalars = store.scalar_records(session, include_retracted)
    prefs = store.preference_records(session, include_retracted)
    segments = _segments_of(prefs)
    out_dir.mkdir(parents=True, exist_ok=True)
    if format == "npz":
        files = [_write_npz(out_dir, scalars, prefs, segments)]
    else:
        files = _write_parquet(out_dir, scalars, prefs, segments)
    from hfrl import __version__

    save_json(
        out_dir / "metadata.json",
        {
            "session": {
                "id": session.id,
                "name": session.name,
                "meta": session.meta,
                "created": session.created,
            },
            "counts": store.counts(session),
            "exported": {
                "scalars": len(scalars),
                "preferences": len(prefs),
                "segments": len(segments),
            },
            "include_retracted": include_retracted,
            "schema_version": store.schema_version,
            "hfrl_version": __version__,
            "format": format,
            "files": files,
            "exported_at": time.time(),
            "layout": "Layout " + (__doc__ or "").split("Layout ", 1)[-1].strip(),
        },
    )
    return out_dir


def _segments_of(prefs: list[StoredPreference]) -> dict[int, Segment]:
    """Segments used by ``prefs``, keyed by row id, in row-id order."""
    found: dict[int, Segment] = {}
    for p in prefs:
        found[p.left_id] = p.preference.left
        found[p.right_id] = p.preference.right
    return dict(sorted(found.items()))


def _scalar_columns(scalars: list[StoredScalar]) -> dict[str, np.ndarray]:
    return {
        "id": np.array([r.id for r in scalars], dtype=np.int64),
        "value": np.array([r.scalar.value for r in scalars], dtype=np.float64),
        "t_wall": np.array([r.scalar.t_wall for r in scalars], dtype=np.float64),
        "step": np.array([r.scalar.step for r in scalars], dtype=np.int64),
        "episode": np.array([r.scalar.episode for r in scalars], dtype=np.int64),
        "source": np.array([r.scalar.source for r in scalars], dtype=str),
        "retracted": np.array([r.retracted for r in scalars], dtype=bool),
    }


def _preference_columns(
    prefs: list[StoredPreference], index: dict[int, int]
) -> dict[str, np.ndarray]:
    labels = [np.nan if r.preference.label is None else r.preference.label for r in prefs]
    return {
        "id": np.array([r.id for r in prefs], dtype=np.int64),
        "left": np.array([index[r.left_id] for r in prefs], dtype=np.int64),
        "right": np.array([index[r.right_id] for r in prefs], dtype=np.int64),
        "label": np.array(labels, dtype=np.float64),
        "skipped": np.array([r.preference.label is None for r in prefs], dtype=bool),
        "t_wall": np.array([r.preference.t_wall for r in prefs], dtype=np.float64),
        "source": np.array([r.preference.source for r in prefs], dtype=str),
        "retracted": np.array([r.retracted for r in prefs], dtype=bool),
    }


def _segment_columns(segments: dict[int, Segment]) -> dict[str, np.ndarray]:
    segs = list(segments.values())
    return {
        "id": np.array(list(segments), dtype=np.int64),
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
) -> str:
    arrays: dict[str, np.ndarray] = {}
    arrays.update({f"scalar_{k}": v for k, v in _scalar_columns(scalars).items()})
    credits = [r.credit or () for r in scalars]
    arrays["scalar_credit_offset"] = np.cumsum([0] + [len(c) for c in credits], dtype=np.int64)
    arrays["scalar_credit_step"] = np.array([s for c in credits for s, _ in c], dtype=np.int64)
    arrays["scalar_credit_weight"] = np.array([w for c in credits for _, w in c], dtype=np.float64)
    index = {seg_id: k for k, seg_id in enumerate(segments)}
    arrays.update({f"preference_{k}": v for k, v in _preference_columns(prefs, index).items()})
    arrays.update({f"segment_{k}": v for k, v in _segment_columns(segments).items()})
    for k, seg in enumerate(segments.values()):
        for name in ARRAY_FIELDS:
            value = getattr(seg, name)
            if value is not None:
                arrays[f"{name}_{k}"] = np.asarray(value)
    np.savez_compressed(out_dir / "feedback.npz", allow_pickle=False, **arrays)
    return "feedback.npz"


def _write_parquet(
    out_dir: Path,
    scalars: list[StoredScalar],
    prefs: list[StoredPreference],
    segments: dict[int, Segment],
) -> list[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    scalar_table: dict[str, Any] = {k: v.tolist() for k, v in _scalar_columns(scalars).items()}
    scalar_table["credit"] = [
        None if r.credit is None else [[float(s), w] for s, w in r.credit] for r in scalars
    ]
    index = {seg_id: k for k, seg_id in enumerate(segments)}
    pref_table: dict[str, Any] = {
        k: v.tolist() for k, v in _preference_columns(prefs, index).items()
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
        seg_table[f"{name}_dtype"] = [None if a is None else a.dtype.str for a in arrays]
        seg_table[f"{name}_shape"] = pa.array(
            [None if a is None else list(a.shape) for a in arrays], type=pa.list_(pa.int64())
        )
    schemas = {
        "scalars": {"credit": pa.list_(pa.list_(pa.float64()))},
        "preferences": {},
        "segments": {},
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
