"""``hfrl train`` of a live agent logs as an SB3 run does: progress.csv, TensorBoard events,
monitor.csv and evaluations.npz under OUT/logs, with the feedback and agent metrics."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from hfrl.cli import main
from hfrl.training.logs import tensorboard_available


def _train(out, agent, *extra):
    args = ["train", agent, "--env", "CartPole-v1", "--teacher", "perfect", "--no-progress"]
    assert main([*args, "--out", str(out), *extra]) == 0
    summary = json.loads((out / "summary.json").read_text())
    progress = list(csv.DictReader((out / "logs" / "progress.csv").open()))
    curve = list(csv.DictReader((out / "curve.csv").open()))
    return summary, progress, curve


def _num(row, key):
    return float(row[key]) if row.get(key) not in (None, "") else math.nan


@pytest.fixture(scope="module")
def tamer_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("live_logs") / "tamer"
    extra = [
        "--episodes",
        "4",
        "--eval-every",
        "2",
        "--eval-episodes",
        "3",
        "--max-episode-steps",
        "100",
    ]
    return (out, *_train(out, "tamer", *extra))


def test_progress_csv_has_the_feedback_and_agent_metrics(tamer_run):
    out, summary, progress, curve = tamer_run
    episodes = [r for r in progress if r["time/episodes"]]
    assert len(episodes) == summary["episodes"] == 4
    # the summary names the agent where it is, not the hidden folder the run was written in
    assert summary["agent_dir"] == str(out / "agent") and (out / "agent" / "agent.json").is_file()
    assert _num(progress[-1], "feedback/ratings") == summary["feedback_count"] > 0
    ratings = [_num(r, "feedback/ratings") for r in episodes]
    assert ratings == sorted(ratings)
    per_episode = [_num(r, "feedback/ratings_episode") for r in episodes]
    assert sum(per_episode) == ratings[-1]
    for row, point in zip(episodes, curve, strict=False):
        steps = _num(row, "time/total_timesteps")
        assert steps == float(point["env_steps"])
        assert 0 < _num(row, "feedback/credited_steps") <= steps
        # this episode's ratings credit its steps (the first ones, the last episode's end too)
        assert (
            0 < _num(row, "feedback/credited_steps_episode") <= _num(row, "feedback/credited_steps")
        )
        assert 0 < _num(row, "feedback/mean_credit_weight") <= 1
        assert _num(row, "rollout/ep_return") == float(point["train_return"])
        assert _num(row, "agent/updates") > 0 and math.isfinite(_num(row, "agent/abs_error"))
    returns = [_num(r, "rollout/ep_return") for r in episodes]
    assert _num(episodes[-1], "rollout/ep_rew_mean") == pytest.approx(np.mean(returns))


def test_eval_rows_and_evaluations_npz_match_the_curves_greedy_points(tamer_run):
    out, summary, progress, curve = tamer_run
    greedy = [(int(p["env_steps"]), float(p["return"])) for p in curve if p["return"]]
    assert len(greedy) == 3  # episodes 2 and 4, then the final evaluation
    logged = [_num(r, "eval/mean_reward") for r in progress if r["eval/mean_reward"]]
    assert logged == pytest.approx([m for _, m in greedy])
    with np.load(out / "logs" / "evaluations.npz") as saved:
        assert saved["timesteps"].tolist() == [s for s, _ in greedy]
        assert saved["results"].shape == saved["ep_lengths"].shape == (3, 3)
        assert saved["results"].mean(axis=1) == pytest.approx([m for _, m in greedy])
        assert saved["final_results"].mean() == pytest.approx(summary["eval_return_mean"])
        # CartPole pays 1 per step: each greedy return is its episode's length
        np.testing.assert_array_equal(saved["results"], saved["ep_lengths"])


def test_monitor_csv_has_one_row_per_training_episode(tamer_run):
    out, summary, _, curve = tamer_run
    lines = (out / "logs" / "monitor.csv").read_text().splitlines()
    header = json.loads(lines[0].removeprefix("#"))  # SB3's first line: a JSON comment
    assert header["env_id"] == "CartPole-v1"
    monitor = list(csv.DictReader(lines[1:]))
    assert len(monitor) == summary["episodes"]
    assert [float(r["r"]) for r in monitor] == [float(p["train_return"]) for p in curve[:4]]
    assert sum(int(r["l"]) for r in monitor) == summary["env_steps"]


@pytest.mark.skipif(not tensorboard_available(), reason="the tensorboard extra is not installed")
def test_tensorboard_events_read_back(tamer_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out, summary, _, _ = tamer_run
    events = EventAccumulator(str(out / "logs"))
    events.Reload()
    ratings = events.Scalars("feedback/ratings")
    assert ratings[-1].value == summary["feedback_count"]
    assert len(events.Scalars("eval/mean_reward")) == 3
    assert len(events.Scalars("agent/abs_error")) == summary["episodes"]


def test_coach_logs_its_policy_and_keeps_a_longer_final_evaluation_apart(tmp_path):
    out = tmp_path / "coach"
    extra = ["--episodes", "2", "--eval-every", "1", "--eval-episodes", "2"]
    summary, progress, _ = _train(out, "coach", *extra)
    episodes = [r for r in progress if r["time/episodes"]]
    assert all(_num(r, "agent/theta_norm") >= 0 for r in episodes)
    assert _num(progress[-1], "feedback/ratings") == summary["feedback_count"]
    with np.load(out / "logs" / "evaluations.npz") as saved:
        # the curve's points have 3 greedy episodes, the final evaluation 2: kept apart
        assert saved["results"].shape == (2, 3)
        assert saved["final_results"].shape == (1, 2)
        assert saved["final_results"].mean() == pytest.approx(summary["eval_return_mean"])
