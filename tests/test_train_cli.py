"""`hfrl train` end to end at a tiny budget: files written, fields present, errors clear."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time

import pytest

from hfrl.cli import main
from hfrl.teachers.scalar import FeedbackQueue
from hfrl.types import Scalar

FIELDS = {
    "agent", "env", "teacher", "teacher_params", "seed", "env_steps", "episodes",
    "feedback_count", "human_seconds", "wall_seconds", "eval_return_mean", "eval_return_std",
    "versions",
}  # fmt: skip


@pytest.mark.parametrize("agent", ["tamer", "deep-tamer"])
def test_train_writes_summary_curve_and_agent(tmp_path, agent, capsys):
    out = tmp_path / agent
    code = main(
        ["train", agent, "--env", "MountainCar-v0", "--teacher", "perfect", "--seed", "3",
         "--episodes", "2", "--fps", "30", "--out", str(out), "--no-progress",
         "--max-episode-steps", "60", "--eval-episodes", "10"]
    )  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= FIELDS
    assert summary["agent"] == agent and summary["seed"] == 3
    assert summary["episodes"] == 2 and summary["env_steps"] == 120
    assert summary["feedback_count"] > 60  # the perfect trainer rates every step
    assert summary["human_seconds"] == pytest.approx(120 / 30)
    assert summary["eval_return_mean"] == pytest.approx(-60.0)  # capped at 60 steps
    assert summary["teacher_params"]
    rows = list(csv.DictReader((out / "curve.csv").open()))
    assert len(rows) == 3  # one per episode + the final evaluation
    assert [int(r["env_steps"]) for r in rows] == [60, 120, 120]
    assert float(rows[-1]["return"]) == pytest.approx(-60.0)
    assert (out / "agent" / "agent.json").exists()
    assert "greedy return" in capsys.readouterr().out


@pytest.mark.parametrize(("agent", "teacher"), [("tamer", "human"), ("coach", "human-pd")])
def test_train_without_teacher_uses_the_presets_trainer(tmp_path, agent, teacher):
    """`hfrl train AGENT --env ENV` needs no --teacher: the presets table names the trainer."""
    out = tmp_path / agent
    code = main(
        ["train", agent, "--env", "CartPole-v1", "--episodes", "1", "--out", str(out),
         "--no-progress", "--max-episode-steps", "20", "--eval-episodes", "1"]
    )  # fmt: skip
    assert code == 0
    assert json.loads((out / "summary.json").read_text())["teacher"] == teacher


def test_tamer_rl_flags_are_refused_for_other_agents(tmp_path, capsys):
    argv = [
        "train",
        "tamer",
        "--env",
        "CartPole-v1",
        "--combination",
        "rl",
        "--out",
        str(tmp_path / "x"),
    ]
    assert main(argv) == 2
    assert "--combination applies to tamer-rl only" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_train_set_overrides_reach_the_agent(tmp_path):
    out = tmp_path / "run"
    code = main(
        ["train", "tamer", "--env", "CartPole-v1", "--teacher", "human", "--steps", "50",
         "--out", str(out), "--no-progress", "--set", "model=mlp", "--set", "hidden=[8]",
         "--eval-episodes", "1"]
    )  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["agent_config"]["model"] == "mlp"
    assert summary["agent_config"]["hidden"] == [8]
    assert summary["env_steps"] == 50


def test_bad_inputs_exit_2_with_a_message(tmp_path, capsys):
    base = ["--teacher", "perfect", "--episodes", "1", "--out", str(tmp_path), "--no-progress"]
    assert main(["train", "tamer", "--env", "Pendulum-v1", *base]) == 2
    assert "discrete action space" in capsys.readouterr().err
    assert main(["train", "tamr", "--env", "CartPole-v1", *base]) == 2
    assert "Did you mean: tamer" in capsys.readouterr().err
    assert main(["train", "tamer", "--env", "CartPole-v1", *base, "--set", "nope=1"]) == 2
    assert "nope" in capsys.readouterr().err


def test_feedback_queue_releases_ratings_when_due():
    q = FeedbackQueue()
    for t in (0.5, 0.1, 0.3):
        q.push(Scalar(1.0, t, 0, 0))
    assert [r.t_wall for r in q.pop_due(0.3)] == [0.1, 0.3]
    assert len(q) == 1 and [r.t_wall for r in q.pop_all()] == [0.5]


class _Idle:
    """An agent that never pushes (MountainCar action 1): every episode runs to the cap."""

    def act(self, obs, greedy=False):
        return 1

    def observe(self, step):
        pass

    def give(self, feedback):
        pass

    def update(self):
        pass

    def save(self, directory):
        pass


def test_evaluation_uses_the_runs_episode_cap_not_the_envs_default(tmp_path):
    from hfrl.training.evaluate import evaluate
    from hfrl.training.results import RunRecorder
    from hfrl.training.scalar_loop import ScalarRunConfig, run_scalar_training

    # MountainCar's own limit is 200 steps; a larger cap must reach evaluation too.
    assert evaluate(_Idle(), "MountainCar-v0", episodes=2, max_steps=350) == (-350.0, 0.0)
    assert evaluate(_Idle(), "MountainCar-v0", episodes=1, max_steps=50)[0] == -50.0
    assert evaluate(_Idle(), "MountainCar-v0", episodes=1)[0] == -200.0
    config = ScalarRunConfig(
        "tamer", "MountainCar-v0", "perfect", episodes=1, max_episode_steps=300,
        eval_every=1, curve_eval_episodes=1, eval_episodes=2, progress=False,
    )  # fmt: skip
    summary = run_scalar_training(config, RunRecorder(tmp_path), agent=_Idle())
    assert summary["env_steps"] == 300
    assert summary["eval_return_mean"] == pytest.approx(-300.0)
    rows = list(csv.DictReader((tmp_path / "curve.csv").open()))
    assert [float(r["return"]) for r in rows] == [-300.0, -300.0]


# ---------------------------------------------------------------------- output folder safety
TINY_RUN = ["--env", "CartPole-v1", "--teacher", "perfect", "--steps", "20",
            "--eval-episodes", "1", "--no-progress"]  # fmt: skip


def snapshot(folder):
    """Every file under ``folder`` with its bytes (and the folder's own listing)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_rejected_train_leaves_an_existing_output_folder_byte_identical(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "tamer", *TINY_RUN, "--out", str(out)]) == 0
    before = snapshot(out)
    assert {"summary.json", "curve.csv", "config.json"} <= set(before)
    rejected = [
        ["--set", "step_sise=0.1"],  # a typo in --set
        ["--set", "step_size=abc"],
        ["--set", "step_size=NaN"],
        ["--learner", "ppo"],  # a flag tamer does not use
        ["--labels", "10"],
        ["--teacher", "oracle"],  # a preference teacher for a scalar agent
        ["--teacher", "perfcet"],
        ["--fps", "nan"],
        ["--max-episode-steps", "0"],
    ]
    for extra in rejected:
        assert main(["train", "tamer", *TINY_RUN, "--out", str(out), "--force", *extra]) == 2, extra
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, (extra, err)
        assert snapshot(out) == before, extra
    # a failure only found once the run has started (TAMER on continuous actions) too
    assert main(["train", "tamer", *TINY_RUN[2:], "--env", "Pendulum-v1", "--out", str(out),
                 "--force"]) == 2  # fmt: skip
    assert snapshot(out) == before
    assert [
        p.name for p in tmp_path.iterdir() if p.name.startswith(".") and "partial" in p.name
    ] == []


def test_existing_out_is_refused_without_force_and_replaced_with_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "tamer", *TINY_RUN, "--out", str(out)]) == 0
    before = snapshot(out)
    capsys.readouterr()
    assert main(["train", "tamer", *TINY_RUN, "--out", str(out), "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert "already holds results" in err and "--force" in err
    assert snapshot(out) == before
    assert main(["train", "tamer", *TINY_RUN, "--out", str(out), "--seed", "1", "--force"]) == 0
    assert json.loads((out / "summary.json").read_text())["seed"] == 1
    (tmp_path / "file").write_text("x")
    assert main(["train", "tamer", *TINY_RUN, "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_default_out_folder_gets_a_new_number_instead_of_being_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert main(["train", "tamer", *TINY_RUN]) == 0
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir() if not p.name.startswith("."))
    assert runs == ["tamer-CartPole-v1-perfect-s0", "tamer-CartPole-v1-perfect-s0-2"]


def test_second_writer_of_one_out_folder_is_refused_naming_the_first(tmp_path, capsys):
    from hfrl.sessions import FolderLock
    from hfrl.training.results import run_lock_path

    out = tmp_path / "run"
    with FolderLock(run_lock_path(out), "test"):
        assert main(["train", "tamer", *TINY_RUN, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"process {os.getpid()}" in err and not out.exists()


def test_killed_train_leaves_no_folder_that_looks_finished(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "hfrl", "train", "tamer", *TINY_RUN[:4], "--steps", "1000000",
           "--eval-every", "1", "--eval-episodes", "1", "--out", str(out), "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".run.partial-*/curve.csv")):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the run never started writing"
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait()
    assert not out.exists()  # nothing that looks finished
    assert main(["train", "tamer", *TINY_RUN, "--out", str(out)]) == 0  # the lock died with it
    assert (out / "summary.json").is_file()
    assert not list(tmp_path.glob(".run.partial-*"))  # the killed run's leftovers are gone


# ---------------------------------------------------------------------- discoverability
def test_learner_help_lists_every_algorithm_the_agent_accepts():
    from hfrl.agents.registry import get_agent_class

    from hfrl.cli import build_parser
    from hfrl.cli.train import LEARNER_CHOICES
    from hfrl.config import config_from_dict

    config_class = get_agent_class("preference").config_class
    accepted = sys.modules[config_class.__module__].LEARNER_NAMES
    assert set(LEARNER_CHOICES) == {"auto", *accepted}
    for name in LEARNER_CHOICES:
        assert config_from_dict(config_class, {"learner": name}).learner == name
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    help_text = next(a.help for a in train._actions if "--learner" in a.option_strings)
    assert all(name in help_text for name in LEARNER_CHOICES)


def test_help_config_lists_fields_with_defaults_and_docstrings(capsys):
    assert main(["train", "tamer", "--help-config"]) == 0
    text = capsys.readouterr().out
    assert "step_size: float = 0.01" in text
    assert "Ĥ model" in text  # the field's docstring
    assert main(["train", "preference", "--help-config"]) == 0
    assert "learner: str = 'auto'" in capsys.readouterr().out
