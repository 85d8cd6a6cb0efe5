"""Read an exported session (:mod:`hfrl.store_export`) back, check it, and add it to a store.

:func:`read_session_files` parses a folder written by ``hfrl export`` (npz or parquet) into
plain records and refuses, with a one-line :class:`~hfrl.errors.HfrlError`, anything it
cannot interpret: another format or a newer version, missing or altered data files (their
SHA-256 is checked), columns of the wrong length or kind, labels outside {0, 0.5, 1, skip},
segment indices out of range, arrays that disagree with their segment. Nothing is unpickled
(``np.load(..., allow_pickle=False)``; parquet holds raw bytes plus dtype and shape).

:func:`import_session` then writes the session under a validated name, all its rows in one
transaction (segments are stored first, once per uid): a refused or failed import adds no
session to the store.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hfrl.errors import HfrlError
from hfrl.store_codec import ARRAY_FIELDS
from hfrl.store_export import FORMAT_NAME, FORMAT_VERSION
from hfrl.types import EQUAL, LEFT, RIGHT, Segment

if TYPE_CHECKING:
    from hfrl.store import FeedbackStore, Session


def check_session_name(name: str) -> str:
    """Return ``name`` if it is safe as a session (and folder) name, else raise HfrlError.

    The rule is REL's :func:`hfrl.sessions.check_name` (one path component of safe
    characters, no leading dot), the same one ``--session NAME`` goes through.
    """
    from hfrl.sessions import check_name

    return check_name(name, "session name")


@dataclass(frozen=True)
class ScalarRow:
    """One rating as it comes from a file."""

    value: float
    t_wall: float
    step: int
    episode: int
    source: str
    retracted: bool
    created: float
    credit: tuple[tuple[int, float], ...] | None


@dataclass(frozen=True)
class PreferenceRow:
    """One comparison as it comes from a file (indices into the file's segments)."""

    left: int
    right: int
    label: float | None
    t_wall: float
    source: str
    retracted: bool
    created: float


@dataclass
class SessionFiles:
    """An exported session, parsed and checked."""

    name: str
    created: float
    meta: dict[str, Any]
    description: dict[str, Any]
    scalars: list[ScalarRow] = field(default_factory=list)
    preferences: list[PreferenceRow] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, np.ndarray] | None = None
    """The shown steps of a live session (:mod:`hfrl.store_steps` fields), if exported."""


def _bad(path: Path, why: str) -> HfrlError:
    return HfrlError(f"cannot import {path}: {why}")


def read_metadata(path: Path) -> dict[str, Any]:
    """``metadata.json`` of an export folder, with its format checked."""
    if not path.is_dir():
        raise _bad(path, "not a folder made by `hfrl export` (expected metadata.json inside)")
    meta_path = path / "metadata.json"
    if not meta_path.is_file():
        raise _bad(path, "no metadata.json; export the session with `hfrl export` first")
    try:
        metadata = json.loads(meta_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _bad(path, f"metadata.json is not JSON ({e})") from e
    fmt = metadata.get("format") if isinstance(metadata, dict) else None
    if not isinstance(fmt, dict) or fmt.get("name") != FORMAT_NAME:
        raise _bad(path, f"metadata.json does not describe an {FORMAT_NAME} export")
    version = fmt.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise _bad(
            path,
            f"format version {version!r}; this hfrl reads versions 1 to {FORMAT_VERSION} "
            "(upgrade hfrl to read newer ones)",
        )
    if fmt.get("files") not in ("npz", "parquet"):
        raise _bad(path, f"unknown data format {fmt.get('files')!r} (npz or parquet)")
    session = metadata.get("session")
    if not isinstance(session, dict) or not isinstance(session.get("meta"), dict):
        raise _bad(path, "metadata.json has no session record")
    for f, digest in (metadata.get("sha256") or {}).items():
        file = path / f
        if Path(f).name != f or not file.is_file():
            raise _bad(path, f"data file {f!r} is missing")
        if hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            raise _bad(path, f"{f} does not match its checksum (changed or truncated)")
    return metadata


def read_session_files(path: str | Path) -> SessionFiles:
    """Parse and check an export folder; raise a one-line HfrlError when it is not sound."""
    path = Path(path)
    metadata = read_metadata(path)
    try:
        if metadata["format"]["files"] == "npz":
            columns = _npz_columns(path)
        else:
            columns = _parquet_columns(path)
        return _build(path, metadata, columns)
    except HfrlError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, OSError) as e:
        raise _bad(path, f"{type(e).__name__}: {e}") from e


def _npz_columns(path: Path) -> dict[str, Any]:
    file = path / "feedback.npz"
    if not file.is_file():
        raise _bad(path, "feedback.npz is missing")
    try:
        with np.load(file, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except ValueError as e:  # object arrays need pickle: refused
        raise _bad(
            path, f"feedback.npz holds arrays that cannot be read without pickle ({e})"
        ) from e
    except Exception as e:
        raise _bad(path, f"feedback.npz is not a readable npz file ({e})") from e
    out: dict[str, Any] = {"scalar": {}, "preference": {}, "segment": {}, "arrays": []}
    steps = {k[len("step_") :]: v for k, v in arrays.items() if k.startswith("step_")}
    out["steps"] = steps or None
    for table in ("scalar", "preference", "segment"):
        prefix = f"{table}_"
        out[table] = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
    offset = out["scalar"].pop("credit_offset", None)
    steps = out["scalar"].pop("credit_step", None)
    weights = out["scalar"].pop("credit_weight", None)
    if offset is None or steps is None or weights is None:
        raise _bad(path, "feedback.npz lacks the scalar credit arrays")
    out["credit"] = (offset, steps, weights)
    n_segments = len(out["segment"].get("uid", []))
    for k in range(n_segments):
        out["arrays"].append({f: arrays[f"{f}_{k}"] for f in ARRAY_FIELDS if f"{f}_{k}" in arrays})
    return out


def _parquet_columns(path: Path) -> dict[str, Any]:
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        from hfrl.errors import missing_extra

        raise missing_extra("Parquet import", "parquet") from e
    tables = {}
    for name in ("scalars", "preferences", "segments"):
        file = path / f"{name}.parquet"
        if not file.is_file():
            raise _bad(path, f"{name}.parquet is missing")
        try:
            tables[name] = pq.read_table(file).to_pydict()
        except Exception as e:
            raise _bad(path, f"{name}.parquet is not a readable parquet file ({e})") from e
    scalar = {k: v for k, v in tables["scalars"].items() if k != "credit"}
    pref = {k: v for k, v in tables["preferences"].items() if k not in ("left_uid", "right_uid")}
    seg = tables["segments"]
    arrays = []
    for k in range(len(seg.get("uid", []))):
        found = {}
        for f in ARRAY_FIELDS:
            raw = seg[f][k]
            if raw is None:
                continue
            dtype = np.dtype(seg[f"{f}_dtype"][k])
            if dtype.hasobject:
                raise _bad(path, f"segment {k} field {f} has an object dtype")
            found[f] = np.frombuffer(raw, dtype).reshape(seg[f"{f}_shape"][k]).copy()
        arrays.append(found)
    credit = tables["scalars"].get("credit", [])
    steps = None
    if (path / "steps.parquet").is_file():
        steps = _parquet_steps(path, pq.read_table(path / "steps.parquet").to_pydict())
    return {
        "steps": steps,
        "scalar": scalar,
        "preference": pref,
        "segment": {k: v for k, v in seg.items() if k.split("_")[0] not in ARRAY_FIELDS},
        "arrays": arrays,
        "credit_list": credit,
    }


def _parquet_steps(path: Path, table: dict[str, list]) -> dict[str, np.ndarray]:
    from hfrl.store_export import STEP_ARRAYS, STEP_FIELDS

    out: dict[str, np.ndarray] = {}
    for k in STEP_FIELDS:
        if k not in table:
            raise _bad(path, f"steps.parquet lacks column {k!r}")
        if k in STEP_ARRAYS:
            rows = []
            for raw, dtype, shape in zip(
                table[k], table[f"{k}_dtype"], table[f"{k}_shape"], strict=True
            ):
                dt = np.dtype(dtype)
                if dt.hasobject:
                    raise _bad(path, f"steps.parquet column {k} has an object dtype")
                rows.append(np.frombuffer(raw, dt).reshape(shape))
            out[k] = np.stack(rows) if rows else np.zeros((0,))
        else:
            out[k] = np.asarray(table[k])
    return out


def _check_steps(path: Path, steps: dict[str, np.ndarray] | None) -> dict[str, np.ndarray] | None:
    """The shown steps, checked: every field there, one row per step, plain dtypes."""
    if steps is None:
        return None
    from hfrl.store_export import STEP_FIELDS

    missing = [k for k in STEP_FIELDS if k not in steps]
    if missing:
        raise _bad(path, f"shown steps lack {missing}")
    n = len(steps["index"])
    kinds = {"index": "iu", "episode": "iu", "ep_step": "iu", "after_ratings": "iu"}
    kinds.update({"t_start": "f", "reward": "f", "terminated": "b", "truncated": "b"})
    for k in STEP_FIELDS:
        v = steps[k]
        if v.dtype.hasobject or len(v) != n:
            raise _bad(
                path, f"shown steps field {k!r} has {len(v)} rows or an object dtype ({n} steps)"
            )
        if k in kinds and n and v.dtype.kind not in kinds[k]:
            raise _bad(path, f"shown steps field {k!r} has dtype {v.dtype}")
    if n and (np.any(np.diff(steps["t_start"]) < 0) or np.any(np.diff(steps["after_ratings"]) < 0)):
        raise _bad(path, "shown steps are not in time order")
    return steps


def _column(path: Path, table: dict[str, Any], name: str, n: int | None, kind: str) -> list:
    if name not in table:
        raise _bad(path, f"column {name!r} is missing")
    values = np.asarray(table[name]) if not isinstance(table[name], np.ndarray) else table[name]
    if values.ndim != 1 or (n is not None and len(values) != n):
        raise _bad(path, f"column {name!r} has shape {values.shape}, expected ({n},)")
    if len(values) and values.dtype.kind not in kind:
        raise _bad(path, f"column {name!r} has dtype {values.dtype}, expected kind {kind!r}")
    return values.tolist()


def _build(path: Path, metadata: dict[str, Any], cols: dict[str, Any]) -> SessionFiles:
    session = metadata["session"]
    sc, pc, gc = cols["scalar"], cols["preference"], cols["segment"]
    n_s = len(sc.get("value", []))
    value = _column(path, sc, "value", n_s, "fiu")
    t_wall = _column(path, sc, "t_wall", n_s, "fiu")
    step = _column(path, sc, "step", n_s, "iu")
    episode = _column(path, sc, "episode", n_s, "iu")
    source = _column(path, sc, "source", n_s, "UO")
    retracted = _column(path, sc, "retracted", n_s, "b")
    created = _column(path, sc, "created", n_s, "f")
    credits = _credits(path, cols, n_s)
    scalars = []
    for i in range(n_s):
        if not np.isfinite(value[i]) or not np.isfinite(t_wall[i]):
            raise _bad(path, f"rating {i} has a value or time that is not finite")
        scalars.append(
            ScalarRow(
                float(value[i]),
                float(t_wall[i]),
                int(step[i]),
                int(episode[i]),
                str(source[i]),
                bool(retracted[i]),
                float(created[i]),
                credits[i],
            )
        )
    n_g = len(gc.get("uid", []))
    segments = _segments(path, gc, cols["arrays"], n_g)
    n_p = len(pc.get("label", []))
    left = _column(path, pc, "left", n_p, "iu")
    right = _column(path, pc, "right", n_p, "iu")
    label = _column(path, pc, "label", n_p, "f")
    skipped = _column(path, pc, "skipped", n_p, "b")
    p_t = _column(path, pc, "t_wall", n_p, "fiu")
    p_source = _column(path, pc, "source", n_p, "UO")
    p_retracted = _column(path, pc, "retracted", n_p, "b")
    p_created = _column(path, pc, "created", n_p, "f")
    prefs = []
    for i in range(n_p):
        if not (0 <= left[i] < n_g and 0 <= right[i] < n_g):
            raise _bad(path, f"comparison {i} refers to a segment that is not in the file")
        lab = None if (label[i] is None or np.isnan(label[i])) else float(label[i])
        if (lab is None) != bool(skipped[i]):
            raise _bad(path, f"comparison {i}: label {label[i]} disagrees with skipped")
        if lab is not None and lab not in (LEFT, RIGHT, EQUAL):
            raise _bad(path, f"comparison {i} has label {lab}; labels are 1, 0, 0.5 or a skip")
        prefs.append(
            PreferenceRow(
                int(left[i]),
                int(right[i]),
                lab,
                float(p_t[i]),
                str(p_source[i]),
                bool(p_retracted[i]),
                float(p_created[i]),
            )
        )
    name = session.get("name")
    if not isinstance(name, str):
        raise _bad(path, "the session has no name")
    return SessionFiles(
        name=name,
        created=float(session.get("created", 0.0)),
        meta=dict(session["meta"]),
        description=dict(metadata.get("description") or {}),
        scalars=scalars,
        preferences=prefs,
        segments=segments,
        metadata=metadata,
        steps=_check_steps(path, cols.get("steps")),
    )


def _credits(
    path: Path, cols: dict[str, Any], n: int
) -> list[tuple[tuple[int, float], ...] | None]:
    if "credit_list" in cols:  # parquet: a list of [step, weight] per rating, or null
        raw = cols["credit_list"]
        if len(raw) != n:
            raise _bad(path, f"credit column has {len(raw)} rows, expected {n}")
        out: list[tuple[tuple[int, float], ...] | None] = []
        for c in raw:
            if c is None:
                out.append(None)
                continue
            if any(len(pair) != 2 or float(pair[0]) != int(pair[0]) for pair in c):
                raise _bad(path, "credit entries must be [integer step, weight] pairs")
            out.append(tuple((int(s), float(w)) for s, w in c))
        return out
    offset, steps, weights = cols["credit"]
    if offset.shape != (n + 1,) or offset.dtype.kind not in "iu":
        raise _bad(path, f"scalar_credit_offset has shape {offset.shape}, expected ({n + 1},)")
    if (
        len(steps) != len(weights)
        or (n and offset[-1] != len(steps))
        or np.any(np.diff(offset) < 0)
    ):
        raise _bad(path, "scalar credit arrays disagree in length")
    if steps.dtype.kind not in "iu" or weights.dtype.kind != "f":
        raise _bad(path, "scalar credit arrays have the wrong dtypes")
    # An empty range is either "no credit recorded" or "credited nothing"; the store keeps
    # None for the former, which is what an export of an empty range reads back as.
    out = []
    for i in range(n):
        a, b = int(offset[i]), int(offset[i + 1])
        out.append(
            None if a == b else tuple(zip(steps[a:b].tolist(), weights[a:b].tolist(), strict=True))
        )
    return out


def _segments(path: Path, gc: dict[str, Any], arrays: list[dict], n: int) -> list[Segment]:
    uid = _column(path, gc, "uid", n, "UO")
    env_id = _column(path, gc, "env_id", n, "UO")
    episode = _column(path, gc, "episode", n, "iu")
    start = _column(path, gc, "start_step", n, "iu")
    terminated = _column(path, gc, "terminated", n, "b")
    length = _column(path, gc, "length", n, "iu")
    has_frames = _column(path, gc, "has_frames", n, "b")
    if len(arrays) != n or len(set(uid)) != n:
        raise _bad(path, "segment arrays and segment rows disagree (or a uid repeats)")
    out = []
    for k in range(n):
        a = arrays[k]
        missing = [f for f in ("obs", "actions", "true_rewards") if f not in a]
        if missing:
            raise _bad(path, f"segment {k} lacks {missing}")
        if ("frames" in a) != bool(has_frames[k]):
            raise _bad(
                path, f"segment {k}: frames present={'frames' in a}, has_frames={has_frames[k]}"
            )
        if any(v.dtype.hasobject for v in a.values()):
            raise _bad(path, f"segment {k} has object arrays")
        try:
            seg = Segment(
                obs=a["obs"],
                actions=a["actions"],
                true_rewards=a["true_rewards"],
                env_id=str(env_id[k]),
                episode=int(episode[k]),
                start_step=int(start[k]),
                terminated=bool(terminated[k]),
                frames=a.get("frames"),
                uid=str(uid[k]),
            )
        except ValueError as e:
            raise _bad(path, f"segment {k}: {e}") from e
        if len(seg) != int(length[k]):
            raise _bad(path, f"segment {k} has {len(seg)} steps but says {length[k]}")
        out.append(seg)
    return out


def import_session(
    store: FeedbackStore, path: str | Path, name: str | None = None
) -> tuple[Session, SessionFiles]:
    """Add the exported session at ``path`` to ``store`` as ``name`` (default: its own name).

    Raises:
        HfrlError: the folder cannot be interpreted (nothing is written), the name is not
            allowed, or a session of that name exists already.
    """
    files = read_session_files(path)
    return write_session(
        store, files, name, {"from": str(Path(path).resolve()), "name": files.name}
    ), files


def write_session(
    store: FeedbackStore,
    files: SessionFiles,
    name: str | None = None,
    imported: dict[str, Any] | None = None,
) -> Session:
    """Write parsed session files to ``store`` as ``name``: all rows in one transaction.

    Raises:
        HfrlError: the name is not allowed, or a session of that name exists already.
    """
    target = check_session_name(name if name is not None else files.name)
    if any(s.name == target for s in store.sessions()):
        raise HfrlError(
            f"a session named {target!r} is already in {store.path}; import it under another "
            "name with --as NAME"
        )
    seg_ids = [store.put_segment(s) for s in files.segments]  # stored once per uid
    meta = dict(files.meta)
    meta["description"] = files.description
    meta["imported"] = imported or {"name": files.name}
    meta_json = json.dumps(meta, sort_keys=True)
    sid = "(SELECT id FROM sessions WHERE name = ?)"
    statements: list[tuple[str, tuple[Any, ...]]] = [
        (
            "INSERT INTO sessions(name, meta, created) VALUES (?, ?, ?)",
            (target, meta_json, files.created),
        )
    ]
    for r in files.scalars:
        credit = None if r.credit is None else json.dumps([[s, w] for s, w in r.credit])
        statements.append(
            (
                "INSERT INTO scalars(session_id, value, t_wall, step, episode, source, credit, "
                f"retracted, created) VALUES ({sid}, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    target,
                    r.value,
                    r.t_wall,
                    r.step,
                    r.episode,
                    r.source,
                    credit,
                    int(r.retracted),
                    r.created,
                ),
            )
        )
    for p in files.preferences:
        statements.append(
            (
                "INSERT INTO preferences(session_id, left_id, right_id, label, t_wall, source, "
                f"retracted, created) VALUES ({sid}, ?, ?, ?, ?, ?, ?, ?)",
                (
                    target,
                    seg_ids[p.left],
                    seg_ids[p.right],
                    p.label,
                    p.t_wall,
                    p.source,
                    int(p.retracted),
                    p.created,
                ),
            )
        )
    if files.steps is not None and len(files.steps["index"]):
        statements += _step_statements(store, files.steps, sid, target)
    store._write(statements)  # one transaction: all of the session or none of it
    return store.session(target)


def _step_statements(
    store: FeedbackStore, steps: dict[str, np.ndarray], sid: str, target: str
) -> list[tuple[str, tuple[Any, ...]]]:
    """INSERTs of the shown steps (the table is created first if the store lacks it)."""
    import io

    from hfrl.store_codec import write_npz
    from hfrl.store_steps import ensure_table

    ensure_table(store)
    sql = (
        "INSERT INTO shown_steps(session_id, idx, t_start, episode, ep_step, reward, terminated, "
        f"truncated, after_ratings, data) VALUES ({sid}, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    out = []
    for k in range(len(steps["index"])):
        buffer = io.BytesIO()
        write_npz(buffer, {f: steps[f][k] for f in ("obs", "action", "next_obs")})
        out.append(
            (
                sql,
                (
                    target,
                    int(steps["index"][k]),
                    float(steps["t_start"][k]),
                    int(steps["episode"][k]),
                    int(steps["ep_step"][k]),
                    float(steps["reward"][k]),
                    int(bool(steps["terminated"][k])),
                    int(bool(steps["truncated"][k])),
                    int(steps["after_ratings"][k]),
                    buffer.getvalue(),
                ),
            )
        )
    return out
