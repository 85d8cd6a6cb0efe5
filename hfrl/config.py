"""Frozen config dataclasses: JSON round-trips, overrides, and the versions to record."""

from __future__ import annotations

import dataclasses
import json
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from hfrl.errors import HfrlError

C = TypeVar("C")


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a (possibly nested) config dataclass; tuples become lists."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=_json_default))


def config_from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Build ``cls`` from ``data``; unknown keys are an error naming the valid ones."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - set(fields)
    if unknown:
        raise HfrlError(
            f"unknown {cls.__name__} field(s) {sorted(unknown)}; valid fields: {sorted(fields)}"
        )
    kwargs = {}
    for name, value in data.items():
        default = getattr(cls, name, None)
        kwargs[name] = (
            tuple(value) if isinstance(value, list) and isinstance(default, tuple) else value
        )
    return cls(**kwargs)


def save_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON (dataclasses and numpy scalars allowed)."""
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        data = config_to_dict(data)
    Path(path).write_text(json.dumps(data, indent=2, default=_json_default) + "\n")


def load_json(path: str | Path) -> Any:
    """Read JSON written by :func:`save_json`."""
    return json.loads(Path(path).read_text())


def versions() -> dict[str, str]:
    """Versions of Python and the packages a result depends on, to store next to it."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in ("hfrl", "numpy", "torch", "gymnasium", "ale-py", "stable-baselines3", "pygame"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
