"""Frozen config dataclasses: JSON round-trips, overrides, and the versions to record."""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import sys
import types
import typing
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from hfrl.errors import HfrlError

C = TypeVar("C")


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a (possibly nested) config dataclass; tuples become lists."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=_json_default))


def config_from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Build ``cls`` from ``data``, checking every value's type and range.

    Unknown keys are an error naming the valid ones. Each value is coerced to its field's
    annotation (:func:`coerce_value`: JSON lists become tuples, an integral float an int;
    a string where a number belongs, NaN and infinities are refused), then every field's
    range is checked (:func:`check_ranges`), then the class's own ``__post_init__`` runs.

    Raises:
        HfrlError: naming the field, the value and what it must be.
    """
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - set(fields)
    if unknown:
        raise HfrlError(
            f"unknown {cls.__name__} field(s) {sorted(unknown)}; valid fields: {sorted(fields)}"
        )
    hints = _type_hints(cls)
    kwargs = {
        name: coerce_value(value, hints.get(name, Any), f"{cls.__name__}.{name}")
        for name, value in data.items()
    }
    try:
        config = cls(**kwargs)
    except HfrlError:
        raise
    except (TypeError, ValueError) as err:
        raise HfrlError(f"invalid {cls.__name__}: {err}") from err
    check_ranges(config)
    return config


RANGE_KEY = "range"
"""Field metadata key of a field's allowed range (see :func:`check_range`)."""


def bounded(default: Any, spec: str, **kwargs: Any) -> Any:
    """A dataclass field with ``default`` and the allowed range ``spec`` (``"> 0"``, ``"[0, 1]"``)."""
    _parse_range(spec)  # a typo in a spec fails at import, not at a user's run
    return dataclasses.field(default=default, metadata={RANGE_KEY: spec}, **kwargs)


def field_ranges(config_or_class: Any) -> dict[str, str]:
    """The declared range of each field: field metadata, then a ``field_ranges`` class attribute.

    A config class declares ranges either per field (``x: float = bounded(1.0, "> 0")``)
    or in one class attribute ``field_ranges: ClassVar[dict[str, str]] = {"x": "> 0"}``.
    """
    cls = config_or_class if isinstance(config_or_class, type) else type(config_or_class)
    out = dict(getattr(cls, "field_ranges", None) or {})
    for f in dataclasses.fields(cls):
        if RANGE_KEY in f.metadata:
            out[f.name] = f.metadata[RANGE_KEY]
    return out


def check_ranges(config: Any) -> None:
    """Check every numeric field of ``config`` is finite and within its declared range.

    Raises:
        HfrlError: the first field out of range, naming its range.
    """
    ranges = field_ranges(config)
    name = type(config).__name__
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, bool) or not isinstance(item, int | float):
                continue
            if not math.isfinite(item):
                raise HfrlError(f"{name}.{f.name} must be a finite number, got {item}")
            spec = ranges.get(f.name)
            if spec is not None and not check_range(item, spec):
                raise HfrlError(f"{name}.{f.name} must be {_describe(spec)}, got {item}")


def check_range(value: float, spec: str) -> bool:
    """Whether ``value`` lies in ``spec``: ``"> 0"``, ``">= 1"``, ``"< 1"``, ``"[0, 1]"``, ``"(0, inf)"``."""
    low, low_open, high, high_open = _parse_range(spec)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    return above and below


def _parse_range(spec: str) -> tuple[float, bool, float, bool]:
    text = spec.strip()
    for op, open_ in ((">=", False), (">", True)):
        if text.startswith(op):
            return float(text[len(op) :]), open_, math.inf, False
    for op, open_ in (("<=", False), ("<", True)):
        if text.startswith(op):
            return -math.inf, False, float(text[len(op) :]), open_
    if len(text) >= 5 and text[0] in "[(" and text[-1] in "])" and "," in text:
        lo, hi = text[1:-1].split(",")
        return float(lo), text[0] == "(", float(hi), text[-1] == ")"
    raise ValueError(f"bad range spec {spec!r}; write '> 0', '>= 1', '[0, 1]', '(0, 1]'")


def _describe(spec: str) -> str:
    text = spec.strip()
    if text[0] in "<>":
        return (
            text.replace(">=", "at least ")
            .replace("<=", "at most ")
            .replace(">", "greater than ")
            .replace("<", "less than ")
            .replace("  ", " ")
        )
    return f"in {text}"


def _type_hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be resolved: no coercion for any field
        return {}


_NONE = type(None)


def coerce_value(value: Any, annotation: Any, where: str) -> Any:
    """``value`` converted to ``annotation`` (bool, int, float, str, tuples, lists, unions).

    Lists become tuples where a tuple is expected and integral floats ints; strings are never
    turned into numbers; NaN and infinities are refused. Other annotations pass the value
    through unchanged.

    Raises:
        HfrlError: ``where`` (``"TamerConfig.step_size"``) must be ..., got ...
    """
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any or annotation is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and _NONE in args:
            return None
        errors = []
        for member in (a for a in args if a is not _NONE):
            try:
                return coerce_value(value, member, where)
            except HfrlError as err:
                errors.append(err)
        if len(errors) == 1:
            raise errors[0]
        raise HfrlError(f"{where} must be {_type_words(annotation)}, got {value!r}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise HfrlError(f"{where} must be one of {', '.join(map(repr, args))}, got {value!r}")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise HfrlError(f"{where} must be true or false, got {value!r}")
    if annotation is int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise HfrlError(f"{where} must be an integer, got {value!r}")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise HfrlError(f"{where} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise HfrlError(f"{where} must be a finite number, got {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise HfrlError(f"{where} must be a string, got {value!r}")
        return value
    if origin is tuple or annotation is tuple:
        if not isinstance(value, list | tuple):
            raise HfrlError(f"{where} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce_value(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if args:
            if len(value) != len(args):
                raise HfrlError(f"{where} must have {len(args)} items, got {value!r}")
            return tuple(
                coerce_value(v, a, f"{where}[{i}]")
                for i, (v, a) in enumerate(zip(value, args, strict=True))
            )
        return tuple(value)
    if origin is list or annotation is list:
        if not isinstance(value, list | tuple):
            raise HfrlError(f"{where} must be a list, got {value!r}")
        return [
            coerce_value(v, args[0], f"{where}[{i}]") if args else v for i, v in enumerate(value)
        ]
    if origin is dict or annotation is dict:
        if not isinstance(value, dict):
            raise HfrlError(f"{where} must be a table of settings (a JSON object), got {value!r}")
        return value
    if dataclasses.is_dataclass(annotation) and isinstance(value, dict):
        return config_from_dict(annotation, value)
    return value


def _type_words(annotation: Any) -> str:
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    parts = []
    for a in typing.get_args(annotation):
        if a is _NONE:
            parts.append("null")
        else:
            parts.append(
                words.get(a, "a list" if typing.get_origin(a) in (tuple, list) else str(a))
            )
    return " or ".join(parts)


@dataclasses.dataclass(frozen=True)
class FieldHelp:
    """One config field as ``--help-config`` shows it."""

    name: str
    type: str
    default: Any
    doc: str
    range: str


def describe_fields(cls: type) -> list[FieldHelp]:
    """Each field of a config dataclass with its type, default, range and docstring.

    Docstrings are the string literals written under each field in the class body.
    """
    docs = _field_docstrings(cls)
    ranges = field_ranges(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = "(required)"
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        out.append(FieldHelp(f.name, kind, default, docs.get(f.name, ""), ranges.get(f.name, "")))
    return out


def _field_docstrings(cls: type) -> dict[str, str]:
    import ast
    import inspect
    import itertools
    import textwrap

    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if not dataclasses.is_dataclass(klass):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, following in itertools.pairwise(body):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[node.target.id] = inspect.cleandoc(following.value.value)
    return docs


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
    for pkg in ("hfrl", "numpy", "torch", "gymnasium", "ale-py", "stable-baselines3", "pygame-ce"):
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
