"""Run logs in the formats SB3 tools read: progress.csv, TensorBoard events, monitor, evaluations."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hfrl.envs import make

from hfrl.training.logs import (
    log_formats,
    monitored,
    run_logger,
    save_evaluations,
    tensorboard_available,
)


def test_logger_writes_the_recorded_metrics_to_progress_csv(tmp_path):
    logger = run_logger(tmp_path / "logs", tensorboard=False)
    logger.record("feedback/ratings", 3)
    logger.record("reward/val_accuracy", 0.75)
    logger.dump(step=100)
    logger.record("feedback/ratings", 5)
    logger.record("reward/val_accuracy", 0.8)
    logger.dump(step=200)
    logger.close()
    rows = list(csv.DictReader((tmp_path / "logs" / "progress.csv").open()))
    assert [float(r["feedback/ratings"]) for r in rows] == [3.0, 5.0]
    assert [float(r["reward/val_accuracy"]) for r in rows] == [0.75, 0.8]


def test_tensorboard_is_on_when_installed():
    assert ("tensorboard" in log_formats()) == tensorboard_available()
    assert "tensorboard" not in log_formats(tensorboard=False)
    assert log_formats(stdout=True)[-1] == "stdout"


@pytest.mark.skipif(not tensorboard_available(), reason="the tensorboard extra is not installed")
def test_tensorboard_events_read_back(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logger = run_logger(tmp_path / "logs", tensorboard=True)
    for step in (1, 2):
        logger.record("feedback/ratings", float(step))
        logger.dump(step=step)
    logger.close()
    events = EventAccumulator(str(tmp_path / "logs"))
    events.Reload()
    values = [e.value for e in events.Scalars("feedback/ratings")]
    assert values == [1.0, 2.0]


def test_monitor_and_evaluations_are_what_sb3_reads(tmp_path):
    env = monitored(make("CartPole-v1", seed=0), tmp_path)
    env.reset(seed=0)
    done, steps = False, 0
    while not done:
        _, _, term, trunc, _ = env.step(env.action_space.sample())
        done, steps = term or trunc, steps + 1
    env.close()
    lines = (tmp_path / "monitor.csv").read_text().splitlines()
    assert lines[0].startswith("#{")  # SB3's JSON header line
    rows = list(csv.DictReader(lines[1:]))
    assert [int(r["l"]) for r in rows] == [steps]
    assert float(rows[0]["r"]) == steps  # CartPole: +1 per step

    path = save_evaluations(
        tmp_path / "evaluations.npz", [100, 200], [[1, 2], [3, 4]], [[5, 6], [7, 8]]
    )
    with np.load(path, allow_pickle=False) as data:
        assert data["timesteps"].tolist() == [100, 200]
        assert data["results"].mean(axis=1).tolist() == [1.5, 3.5]
        assert data["ep_lengths"].shape == (2, 2)
