"""``hfrl teach`` and ``hfrl compare`` end to end: real processes, headless, short sessions."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import ClassVar

import gymnasium as gym
import numpy as np
import pytest

from hfrl.cli import main
from hfrl.store import FeedbackStore


def hfrl(*argv: str, display: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m hfrl ARGV``; with no display unless ``display`` (dummy SDL driver)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", "XDG_RUNTIME_DIR")
    }
    if display:
        env["SDL_VIDEODRIVER"] = "dummy"
    return subprocess.run(
        [sys.executable, "-m", "hfrl", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def counts(root, name: str) -> dict[str, int]:
    with FeedbackStore(root / "feedback.sqlite", synchronous="NORMAL") as store:
        session = next(s for s in store.sessions() if s.name == name)
        return session.counts()


def test_teach_runs_headless_cleanly_then_resumes(tmp_path):
    args = ["teach", "tamer", "--env", "CartPole-v1", "--teacher", "human"]
    args += ["--max-seconds", "3", "--session", "S", "--dir", str(tmp_path)]
    # no display at all (README's main job on a server): no SDL complaints, no traceback
    first = hfrl(*args)
    assert first.returncode == 0, first.stderr
    assert first.stderr == "", first.stderr
    assert "what the agent learned" in first.stdout
    n1 = counts(tmp_path, "S")["scalars"]
    assert n1 > 0
    assert (tmp_path / "S" / "agent" / "agent.json").exists()

    second = hfrl(*args, display=True)
    assert second.returncode == 0, second.stderr
    assert f"resuming session 'S': {n1} earlier ratings; agent loaded from" in second.stdout
    assert counts(tmp_path, "S")["scalars"] > n1


def test_compare_records_labels_from_the_demo_teacher(tmp_path):
    args = ["compare", "--env", "CartPole-v1", "--teacher", "oracle", "--max-seconds", "6"]
    done = hfrl(*args, "--session", "C", "--dir", str(tmp_path), display=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    c = counts(tmp_path, "C")
    assert c["preferences"] + c["skips"] >= 3, done.stdout
    assert "labels a minute" in done.stdout


def test_unknown_agent_is_a_clear_error_not_a_traceback(tmp_path):
    done = hfrl("teach", "tamr", "--env", "CartPole-v1", "--dir", str(tmp_path), display=True)
    assert done.returncode == 2
    assert "unknown agent 'tamr'. Did you mean: tamer" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["teach", "tamer", "--env", "CartPol-v1"], "unknown env id 'CartPol-v1'. Did you mean"),
        (["teach", "tamer", "--env", "CartPole-v1", "--teacher", "nobody"], "unknown teacher"),
        (
            ["teach", "tamer", "--env", "CartPole-v1", "--teacher", "oracle"],
            "does not give live ratings",
        ),
        (["compare", "--env", "CartPole-v1", "--teacher", "human"], "does not give clip"),
        (["compare", "--env", "CartPole-v1", "--agent", "coach"], "use `hfrl teach coach"),
        (["teach", "preference", "--env", "CartPole-v1"], "use `hfrl compare"),
    ],
)
def test_bad_names_exit_2_with_a_message(argv, message, tmp_path, capsys):
    assert main([*argv, "--dir", str(tmp_path), "--max-seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert not (tmp_path / "feedback.sqlite").exists()  # nothing was started


class NoFrames(gym.Env):
    """An env that cannot draw itself."""

    metadata: ClassVar[dict] = {"render_modes": []}
    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, render_mode=None) -> None:
        self.render_mode = render_mode

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(2, dtype=np.float32), {}

    def step(self, action):
        return np.zeros(2, dtype=np.float32), 0.0, True, False, {}

    def render(self):
        return None


@pytest.mark.parametrize("app", ["teach", "compare"])
def test_env_without_rgb_frames_is_a_clear_error(app, tmp_path, capsys):
    env_id = "hfrl-test/NoFrames-v0"
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=NoFrames, disable_env_checker=True)
    argv = ["teach", "tamer"] if app == "teach" else ["compare"]
    assert (
        main(
            [
                *argv,
                "--env",
                env_id,
                "--teacher",
                "perfect" if app == "teach" else "oracle",
                "--dir",
                str(tmp_path),
                "--max-seconds",
                "1",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "gives no colour frame to show" in err and "render_mode='rgb_array'" in err
    assert not (tmp_path / "feedback.sqlite").exists()
