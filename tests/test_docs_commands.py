"""Every command and suite a README shows does what its text says.

Each shell block of README.md, experiments/README.md and human_ui/WALKTHROUGH.md is split
into commands; each command is checked by the rule for its kind: ``hfrl bench`` and TOML
suites with ``--check`` (default tier), ``hfrl envs`` and ``hfrl plot`` run as they are,
``hfrl train`` / ``teach`` / ``compare`` and benchmark scripts at a reduced budget (slow
tier: they train). A command no rule knows fails the test, so a new README block cannot go
unchecked. Set-up commands (``pip install``, ``pytest``) are what CI itself runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "experiments/README.md", "human_ui/WALKTHROUGH.md")
PLACEHOLDERS = {"SUITE": "quick"}


@dataclass(frozen=True)
class DocCommand:
    """One command of a README block."""

    doc: str
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.doc}: {shlex.join(self.argv)}"


def _blocks(doc: str) -> list[tuple[str, str]]:
    text = (ROOT / doc).read_text()
    return [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S)]


def _commands(doc: str, body: str) -> list[DocCommand]:
    out = []
    for line in body.splitlines():
        if not line.strip().startswith(("hfrl ", "python ")) or re.match(r"\s*hfrl \w+:", line):
            continue  # output ("hfrl bench: error: ..."), file layouts and prose in a block
        line = re.sub(r"\[--[^\]]*\]", "", line)  # optional arguments shown in brackets
        part: list[str] = []
        for word in [*shlex.split(line, comments=True), "&&"]:
            if word != "&&":
                part.append(PLACEHOLDERS.get(word, word))
                continue
            if part and part[0] in ("hfrl", "python"):
                out.append(DocCommand(doc, tuple(part)))
            part = []
    return out


def doc_commands() -> list[DocCommand]:
    """Every ``hfrl``/``python`` command of the shell blocks (output blocks have none)."""
    return [
        c
        for doc in DOCS
        for lang, body in _blocks(doc)
        if lang != "toml"
        for c in _commands(doc, body)
    ]


def doc_suites() -> list[tuple[str, str]]:
    """Every TOML block: ``(doc, text)``."""
    return [(doc, body) for doc in DOCS for lang, body in _blocks(doc) if lang == "toml"]


def kind(cmd: DocCommand) -> str:
    """The rule that checks ``cmd``."""
    a = cmd.argv
    if a[0] == "python":
        if a[1:4] == ("-m", "pip", "install") or a[1:3] == ("-m", "pytest"):
            return "setup"
        if len(a) > 1 and a[1].startswith("experiments/"):
            return "script"
    elif (len(a) > 1 and a[1] == "train" and "--labels-from" in a) or (
        len(a) > 1 and a[1] in ("sessions", "export", "import", "fit-teacher", "replay")
    ):
        return "session"
    elif len(a) > 1 and a[1] in ("bench", "plot", "envs", "train", "teach", "compare"):
        return a[1]
    return "unknown"


def _run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
        "OMP_NUM_THREADS": "1",
    }
    if argv[0] == "hfrl":
        argv = [sys.executable, "-m", "hfrl", *argv[1:]]
    elif argv[0] == "python":
        argv = [sys.executable, *argv[1:]]
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _with(argv: tuple[str, ...], drop: dict[str, int], add: list[str]) -> list[str]:
    """``argv`` without the options in ``drop`` (name -> number of values), plus ``add``."""
    out, skip = [], 0
    for w in argv:
        if skip:
            skip -= 1
            continue
        if w in drop:
            skip = drop[w]
            continue
        out.append(w)
    return out + add


def _ok(result: subprocess.CompletedProcess, cmd: DocCommand) -> None:
    assert result.returncode == 0, (
        f"{cmd}\nexit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )
    assert "Traceback" not in result.stderr, f"{cmd}\n{result.stderr[-2000:]}"


def test_every_documented_command_has_a_rule():
    unknown = [str(c) for c in doc_commands() if kind(c) == "unknown"]
    assert not unknown, f"README commands no rule checks: {unknown}"
    assert len(doc_commands()) >= 10  # the parser still finds the READMEs' commands


CHEAP = [c for c in doc_commands() if kind(c) in ("bench", "envs", "plot")]


@pytest.mark.parametrize("cmd", CHEAP, ids=str)
def test_cheap_command_does_what_it_says(cmd: DocCommand, tmp_path: Path):
    """``hfrl bench`` is validated with ``--check``; ``envs`` and ``plot`` run for real."""
    if kind(cmd) == "bench":
        argv = _with(cmd.argv, {"--jobs": 1, "--out": 1, "--plot": 0, "--address": 1}, ["--check"])
        result = _run(argv, tmp_path)
        _ok(result, cmd)
        assert re.search(r"\d+ cells, valid", result.stdout), result.stdout
    elif kind(cmd) == "envs":
        result = _run(list(cmd.argv), tmp_path)
        _ok(result, cmd)
        assert "CartPole-v1" in result.stdout
    else:  # plot: on a copy of the committed reference results of the same suite
        target = Path(cmd.argv[2])
        source = ROOT / "experiments" / "results" / target.name
        assert source.is_dir(), f"{cmd}: no reference results {source} to plot"
        shutil.copytree(source, tmp_path / "results")
        for png in (tmp_path / "results").glob("*.png"):
            png.unlink()
        result = _run(["hfrl", "plot", str(tmp_path / "results")], tmp_path)
        _ok(result, cmd)
        assert list((tmp_path / "results").glob("*.png")), f"{cmd} drew nothing"


@pytest.mark.parametrize(
    ("doc", "text"),
    doc_suites(),
    ids=lambda x: x if isinstance(x, str) and x.endswith(".md") else "",
)
def test_documented_suite_is_valid(doc: str, text: str, tmp_path: Path):
    path = tmp_path / "example.toml"
    path.write_text(text)
    result = _run(["hfrl", "bench", str(path), "--check"], tmp_path)
    _ok(result, DocCommand(doc, ("hfrl", "bench", str(path), "--check")))
    assert "cells, valid" in result.stdout


RUNS = [c for c in doc_commands() if kind(c) in ("train", "teach", "compare", "script")]
REDUCED_TRAIN = {
    "--episodes": 1,
    "--steps": 1,
    "--labels": 1,
    "--out": 1,
    "--eval-episodes": 1,
    "--force": 0,
}


@pytest.mark.slow
@pytest.mark.parametrize("cmd", RUNS, ids=str)
def test_training_command_runs_at_a_reduced_budget(cmd: DocCommand, tmp_path: Path):
    """The documented training and app commands run to the end (budget cut, same settings)."""
    k = kind(cmd)
    if k == "train":
        budget = (
            ["--steps", "600", "--labels", "6"]
            if cmd.argv[2] == "preference"
            else ["--episodes", "1"]
        )
        argv = _with(
            cmd.argv,
            REDUCED_TRAIN,
            [*budget, "--eval-episodes", "1", "--out", str(tmp_path / "run"), "--no-progress"],
        )
        result = _run(argv, tmp_path)
        _ok(result, cmd)
        assert (tmp_path / "run" / "summary.json").is_file()
    elif k in ("teach", "compare"):
        stop = "--max-ratings" if k == "teach" else "--max-labels"
        argv = _with(cmd.argv, {"--dir": 1}, ["--dir", str(tmp_path / "sessions"), stop, "3"])
        result = _run(argv, tmp_path)
        _ok(result, cmd)
        assert (tmp_path / "sessions" / "feedback.sqlite").is_file()
    else:  # a benchmark script: its --help, since each runs for minutes to hours
        result = _run([*cmd.argv[:2], "--help"], ROOT)
        _ok(result, cmd)


SESSION_COMMANDS = [c for c in doc_commands() if kind(c) == "session"]


def _session_names(cmds: list[DocCommand]) -> set[str]:
    """Sessions the commands read: ``hfrl export NAME``, ``--labels-from NAME``, ..."""
    names = set()
    for c in cmds:
        a = c.argv
        if a[1] in ("export", "fit-teacher", "replay"):
            names.add(a[2])
        if "--labels-from" in a:
            names.add(a[a.index("--labels-from") + 1])
    return names


@pytest.mark.slow
def test_session_commands_run_in_document_order(tmp_path: Path):
    """The session-data commands, as written, on sessions the apps record (short demo runs)."""
    assert SESSION_COMMANDS, "the README shows no session commands any more: drop this test"
    for name in sorted(_session_names(SESSION_COMMANDS)):
        is_live = any(c.argv[1] == "replay" and c.argv[2] == name for c in SESSION_COMMANDS)
        app = (
            ["teach", "tamer", "--env", "MountainCar-v0", "--max-ratings", "5"]
            if is_live
            else ["compare", "--env", "CartPole-v1", "--teacher", "oracle", "--max-labels", "12"]
        )
        made = _run(["hfrl", *app, "--session", name], tmp_path)
        assert made.returncode == 0, made.stderr[-2000:]
    for cmd in SESSION_COMMANDS:
        argv = list(cmd.argv)
        if argv[1] == "train":
            argv = _with(
                cmd.argv,
                REDUCED_TRAIN,
                [
                    "--steps",
                    "600",
                    "--eval-episodes",
                    "1",
                    "--out",
                    str(tmp_path / "run"),
                    "--no-progress",
                ],
            )
        if argv[1] == "replay":
            argv += ["--eval-episodes", "1"]
        result = _run(argv, tmp_path)
        _ok(result, cmd)
