"""``hfrl teach`` and ``hfrl compare`` end to end: real processes, headless, short sessions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import gymnasium as gym
import numpy as np
import pytest
from hfrl.human_ui.clips import same_frames

from hfrl.cli import main
from hfrl.store import FeedbackStore

HERE = Path(__file__).parent


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
    args += ["--max-ratings", "3", "--session", "S", "--dir", str(tmp_path)]
    # no display at all (README's main job on a server): no SDL complaints, no traceback
    first = hfrl(*args)
    assert first.returncode == 0, first.stderr
    assert first.stderr == "", first.stderr
    assert "what the agent learned" in first.stdout
    n1 = counts(tmp_path, "S")["scalars"]
    assert n1 == 3  # the run ended on its third rating
    assert (tmp_path / "S" / "agent" / "agent.json").exists()

    second = hfrl(*args, display=True)
    assert second.returncode == 0, second.stderr
    assert f"resuming session 'S': {n1} earlier ratings; agent loaded from" in second.stdout
    assert counts(tmp_path, "S")["scalars"] > n1


def test_compare_shows_random_clips_before_the_learner_loads_and_reports_truly(tmp_path):
    """`hfrl compare` with the demo teacher: the first pair is on screen before torch/SB3 are
    imported, the screen never waits for a pair after it, every label is stored, no pair is
    one clip twice, and the panel's training steps are the saved agent's own count."""
    out = tmp_path / "run.json"
    args = ["compare", "--env", "CartPole-v1", "--teacher", "oracle", "--max-labels", "6"]
    args += ["--session", "C", "--dir", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["SDL_VIDEODRIVER"] = "dummy"
    done = subprocess.run(
        [sys.executable, str(HERE / "startup_child.py"), str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    c = counts(tmp_path, "C")
    assert c["preferences"] + c["skips"] == 6, done.stdout  # ended on the sixth answer
    assert "labels a minute" in done.stdout
    run = json.loads(out.read_text())
    ev = run["events"]
    # ordering on events: window, then the first pair, then the learner stack
    assert ev["window"] <= ev["first_pair"] < ev["learner_imported"] <= ev["agent_ready"]
    assert run["learner_loaded_at_first_pair"] is False
    assert run["random_pairs"] >= 1
    assert run["waiting_frames"] == 0
    saved = json.loads((tmp_path / "C" / "agent" / "preference_agent.json").read_text())
    assert run["steps_shown"] == saved["env_steps"]  # the panel shows the agent's own count
    with FeedbackStore(tmp_path / "feedback.sqlite", synchronous="NORMAL") as store:
        session = next(s for s in store.sessions() if s.name == "C")
        for rec in store.preference_records(session):
            left, right = rec.preference.left, rec.preference.right
            assert left.uid != right.uid and not same_frames(left, right)


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


def test_teach_builds_a_deep_agents_app_before_torch_is_imported(tmp_path):
    """`hfrl teach deep-tamer` for a person: the app (env, store, warm-up policy) is built
    before torch is imported; the agent attaches later and the early rating is kept."""
    out = tmp_path / "run.json"
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "teach_startup_child.py"),
            str(out),
            str(tmp_path),
            "deep-tamer",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    run = json.loads(out.read_text())
    assert run["torch_when_app_built"] is False and run["warm_up"] is True
    assert run["agent"] == "DeepTamer" and run["frames_before_agent"] >= 2
    assert run["ratings_stored"] >= 1
