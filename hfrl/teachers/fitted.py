"""Simulated teachers fitted to a recorded session, saved as JSON and named ``fitted:NAME``.

``hfrl fit-teacher SESSION --out NAME`` estimates a simulated teacher's parameters from what a
person did (:mod:`hfrl.teachers.fitting`) and saves them to ``TEACHERS_DIR/NAME.json``; the
name then works wherever a teacher name does (``hfrl train --teacher fitted:NAME``, suites).
The file holds plain JSON (format name and version, the kind, the config fields, the fit's
diagnostics); loading it builds the ordinary :class:`~hfrl.teachers.scalar.ScalarTrainer`
(with the env's scripted expert as oracle) or :class:`~hfrl.teachers.preference.BPrefTeacher`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

from hfrl.errors import HfrlError

FORMAT_NAME = "hfrl-fitted-teacher"
"""``format`` of a fitted teacher's JSON file."""
FORMAT_VERSION = 1
"""Version of that file layout."""
TEACHERS_DIR_ENV = "HFRL_TEACHERS_DIR"
"""Environment variable naming the folder of fitted teachers (default ``runs/teachers``)."""


def teachers_dir() -> Path:
    """The folder fitted teachers are saved in and loaded from."""
    return Path(os.environ.get(TEACHERS_DIR_ENV) or Path("runs") / "teachers")


def teacher_path(name: str) -> Path:
    """``TEACHERS_DIR/NAME.json`` for a validated name."""
    from hfrl.sessions import check_name

    return teachers_dir() / f"{check_name(name, 'fitted teacher name')}.json"


def _config_class(kind: str) -> type:
    if kind == "scalar":
        from hfrl.teachers.scalar import ScalarTrainerConfig

        return ScalarTrainerConfig
    if kind == "preference":
        from hfrl.teachers.preference import PreferenceTeacherConfig

        return PreferenceTeacherConfig
    raise HfrlError(f"fitted teacher kind must be 'scalar' or 'preference', got {kind!r}")


def _json_value(v: Any) -> Any:
    return "inf" if isinstance(v, float) and math.isinf(v) else v


def config_from_json(kind: str, fields: dict[str, Any]) -> Any:
    """The teacher config of ``kind`` from saved fields (``"inf"`` read back as infinity)."""
    cls = _config_class(kind)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise HfrlError(f"fitted teacher has unknown {kind} parameters {unknown}")
    values = {k: (math.inf if v == "inf" else v) for k, v in fields.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as e:
        raise HfrlError(f"fitted teacher parameters are not valid: {e}") from e


def save_fitted(
    name: str, kind: str, config: Any, fit: dict[str, Any], source: dict[str, Any]
) -> Path:
    """Write the fitted teacher ``name``; return its file."""
    path = teacher_path(name)
    data = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": name,
        "kind": kind,
        "config": {k: _json_value(v) for k, v in dataclasses.asdict(config).items()},
        "fit": fit,
        "session": source,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.partial")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")
    tmp.replace(path)
    return path


def load_fitted(name: str) -> dict[str, Any]:
    """The saved fitted teacher ``name`` (checked); one-line HfrlError if it is not sound."""
    path = teacher_path(name)
    if not path.is_file():
        raise HfrlError(
            f"no fitted teacher {name!r} in {path.parent} (make one with `hfrl fit-teacher "
            f"SESSION --out {name}`, or set {TEACHERS_DIR_ENV})"
        )
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise HfrlError(f"fitted teacher {path} is not readable JSON ({e})") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise HfrlError(f"{path} is not a fitted teacher file")
    if not isinstance(data.get("version"), int) or data["version"] > FORMAT_VERSION:
        raise HfrlError(
            f"{path} has version {data.get('version')!r}; this hfrl reads {FORMAT_VERSION}"
        )
    config_from_json(data.get("kind", ""), dict(data.get("config") or {}))  # validates
    return data


def build_fitted(name: str, env_id: str, seed: int, oracle: Any = None) -> Any:
    """The teacher that ``fitted:NAME`` names, for ``env_id`` and ``seed``."""
    data = load_fitted(name)
    kind = data["kind"]
    config = config_from_json(kind, dict(data["config"]))
    label = f"fitted:{name}"
    if kind == "preference":
        from hfrl.teachers.preference import BPrefTeacher

        return BPrefTeacher(dataclasses.replace(config, seed=seed), name=label)
    from hfrl.teachers.presets import default_oracle
    from hfrl.teachers.scalar import ScalarTrainer

    if oracle is None:
        oracle = default_oracle(env_id, config.judge)
    return ScalarTrainer(config, oracle, seed=seed, name=label)


def register_resolver() -> None:
    """Make ``fitted:NAME`` a teacher name everywhere teacher names are read."""
    from hfrl.teachers.presets import TeacherEntry
    from hfrl.teachers.presets import register_resolver as register

    def resolve(name: str) -> TeacherEntry:
        data = load_fitted(name)

        def build(env_id: str, seed: int, overrides: dict, oracle: Any = None) -> Any:
            return build_fitted(name, env_id, seed, oracle)

        return TeacherEntry(data["kind"], build, f"fitted to session {data['session'].get('name')}")

    register("fitted", resolve)
