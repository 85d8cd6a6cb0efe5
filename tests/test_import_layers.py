"""Imports flow one way (RULES, DESIGN.md §2): core ← envs ← agents ← human_ui; the top
layer (cli, training, bench) may import all of those; only human_ui (and cli, inside
functions) imports pygame.

Every module's imports are read with ``ast`` (function-level imports included: a lazy
import is still a dependency), so the check needs no import to succeed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SOURCES = {
    "envs": ROOT / "envs",
    "agents": ROOT / "agents",
    "human_ui": ROOT / "human_ui",
    "cli": ROOT / "hfrl" / "cli",
    "training": ROOT / "hfrl" / "training",
    "bench": ROOT / "hfrl" / "bench",
}
"""Folder of each layer; everything else under ``hfrl/`` is core."""

FORBIDDEN = {
    "core": {"envs", "agents", "human_ui", "cli", "training", "bench"},
    "envs": {"agents", "human_ui", "cli", "training", "bench"},
    "agents": {"human_ui", "cli", "training", "bench"},
    "human_ui": {"cli", "training", "bench"},
    "training": {"cli"},
    "cli": set(),
    "bench": set(),
}
"""Layers each layer must not import."""


def layer_of_file(path: Path) -> str:
    """The layer a source file belongs to."""
    if path == ROOT / "hfrl" / "__main__.py":
        return "cli"
    for layer, folder in SOURCES.items():
        if folder in path.parents:
            return layer
    return "core"


def layer_of_module(name: str) -> str | None:
    """The layer of an imported module (None: not part of hfrl)."""
    if name == "pygame" or name.startswith("pygame."):
        return "pygame"
    if name != "hfrl" and not name.startswith("hfrl."):
        return None
    part = name.split(".")[1] if "." in name else ""
    return part if part in SOURCES else "core"


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """``(module, line, at module level)`` for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    top = set(map(id, tree.body))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, node.lineno, id(node) in top))
    return out


def source_files() -> list[Path]:
    files = [p for p in (ROOT / "hfrl").rglob("*.py")]
    for layer in ("envs", "agents", "human_ui"):
        files += SOURCES[layer].rglob("*.py")
    return sorted(p for p in files if "__pycache__" not in p.parts)


def violations() -> list[str]:
    out = []
    for path in source_files():
        layer = layer_of_file(path)
        where = path.relative_to(ROOT)
        for module, line, top_level in imports(path):
            target = layer_of_module(module)
            if target is None:
                continue
            if target == "pygame":
                if layer == "human_ui" or (layer == "cli" and not top_level):
                    continue
                out.append(f"{where}:{line} ({layer}) imports pygame")
            elif target in FORBIDDEN[layer]:
                out.append(f"{where}:{line} ({layer}) imports {module} ({target})")
    return out


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from hfrl.cli.train import parse_overrides\n")
    assert imports(bad) == [("hfrl.cli.train", 2, False)]
    assert layer_of_module("hfrl.cli.train") == "cli" and "cli" in FORBIDDEN["training"]
    assert layer_of_file(ROOT / "agents" / "tamer.py") == "agents"
    assert layer_of_file(ROOT / "hfrl" / "teachers" / "scalar.py") == "core"


def test_there_are_sources_to_check():
    layers = {layer_of_file(p) for p in source_files()}
    assert layers == set(FORBIDDEN)


def test_imports_flow_one_way():
    found = violations()
    if found:
        pytest.fail("imports against the layering:\n  " + "\n  ".join(found))
