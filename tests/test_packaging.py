"""Packaging: one pygame distribution, suites shipped in the wheel, ``hfrl.envs.make`` callable."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, distribution, requires
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _installed(name: str) -> bool:
    try:
        distribution(name)
    except PackageNotFoundError:
        return False
    return True


def test_exactly_one_pygame_distribution_is_installed():
    """pygame and pygame-ce write the same package folder; hfrl depends on pygame-ce only."""
    assert _installed("pygame-ce")
    assert not _installed("pygame"), "both pygame and pygame-ce are installed"
    deps = [r.split(";")[0].strip() for r in requires("hfrl") or []]
    names = {d.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip() for d in deps}
    assert "pygame-ce" in names
    assert "pygame" not in names


def test_pip_check_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_envs_make_is_the_function():
    import hfrl.envs
    from hfrl.envs import make
    from hfrl.envs.make import env_fps

    assert callable(hfrl.envs.make)
    env = make("CartPole-v1", seed=0)
    try:
        assert env.observation_space.shape == (4,)
    finally:
        env.close()
    assert env_fps("CartPole-v1") > 0


SOURCES = ("pyproject.toml", "README.md", "LICENSE", "hfrl", "envs", "agents", "human_ui")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the source (the build leaves nothing in the checkout)."""
    out = tmp_path_factory.mktemp("wheel")
    src = out / "src"
    src.mkdir()
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=junk)
        else:
            shutil.copy2(path, src / name)
    shutil.copytree(ROOT / "experiments" / "suites", src / "experiments" / "suites", ignore=junk)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(src),
        ],
        check=True,
        cwd=out,
        env={**os.environ, "PIP_NO_INPUT": "1"},
        capture_output=True,
    )
    (wheel_file,) = out.glob("hfrl-*.whl")
    return wheel_file


def test_wheel_ships_the_suites_and_py_typed(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for suite in ("quick", "classic", "teachers", "atari"):
        assert f"hfrl/suites/{suite}.toml" in names
    assert "hfrl/envs/make.py" in names
    assert "hfrl/py.typed" in names


def test_bench_check_runs_from_the_installed_wheel(wheel: Path, tmp_path: Path):
    """Unpacked wheel first on the path (not the source tree): the quick suite's cells list."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import hfrl, sys; from hfrl.cli import main; "
        f"assert hfrl.__file__.startswith({str(site)!r}), hfrl.__file__; "
        "sys.exit(main(['bench', 'quick', '--check']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    found = re.search(r"quick\.toml: (\d+) cells, valid", out.stdout)
    assert found and int(found.group(1)) > 0, out.stdout
    assert str(site) in out.stdout
    cell_lines = [line for line in out.stdout.splitlines() if "__" in line]
    assert len(cell_lines) == int(found.group(1))
