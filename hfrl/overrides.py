"""``--set KEY=VALUE`` options as a dict (shared by the CLI and the training loops)."""

from __future__ import annotations

import json
from typing import Any

from hfrl.errors import HfrlError


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["a=1", "b=[64, 64]", "c=mlp"]`` -> ``{"a": 1, "b": [64, 64], "c": "mlp"}``.

    VALUE is read as JSON, else taken as a string; a missing ``=`` or key is an HfrlError.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise HfrlError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out
