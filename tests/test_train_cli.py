"""`hfrl train` end to end at a tiny budget: files written, fields present, errors clear."""

from __future__ import annotations

import csv
import json

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
