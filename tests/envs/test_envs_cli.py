"""``hfrl envs`` lists ids with their action kind and extra status."""

from __future__ import annotations

import sys

from hfrl.cli import main


def test_lists_classic_with_kinds_and_extras(capsys):
    assert main(["envs", "--suite", "classic"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "discrete" in lines["CartPole-v1"] and "continuous" in lines["Pendulum-v1"]
    assert "hfrl[box2d] installed" in lines["LunarLander-v3"]


def test_missing_extra_shown(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "Box2D", None)
    assert main(["envs", "--suite", "classic"]) == 0
    out = capsys.readouterr().out
    assert "pip install 'hfrl[box2d]'" in out and "not installed" in out


def test_unknown_suite_exits_2(capsys):
    assert main(["envs", "--suite", "atary"]) == 2
    assert "Did you mean: atari" in capsys.readouterr().err
