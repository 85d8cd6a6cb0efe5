"""README's two commands are the ones CI and newcomers run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", text, flags=re.S)


def test_readme_has_the_two_setup_commands():
    cmds = [c for c in _commands() if "pip install" in c]
    assert len(cmds) == 2, cmds


def test_ci_runs_readmes_test_command():
    test_cmd = next(c for c in _commands() if "pytest" in c)
    assert test_cmd.strip() in (ROOT / ".ci" / "run").read_text()
