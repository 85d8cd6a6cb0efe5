"""Fitting simulated teachers to sessions: known parameters are recovered (issue 15).

Tolerances (stated in the report):
- preference teacher, 600 comparisons: ε within 0.04, equal and skip fractions within 0.03,
  β within a factor 2 (β = ∞ fitted as ≥ 10);
- scalar trainer judging every step, 5 simulated minutes at 30 fps: delay bounds within
  0.1 s, consistency within 0.05, rating probability within 0.05, fatigue τ within 35%;
- paced (human-like) trainer: pace within 0.05 s and consistency within 0.06 (its delay
  window is only identified through the mean of the judged window, so it is not checked).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from hfrl.cli import main
from hfrl.store import FeedbackStore
from hfrl.teachers import make_teacher, teacher_kind
from hfrl.teachers.fitting import ShownSteps, fit_preference_teacher, fit_scalar_trainer
from hfrl.teachers.preference import BPrefTeacher, PreferenceTeacherConfig
from hfrl.teachers.scalar import SCALAR_PRESETS, ScalarTrainer, ScalarTrainerConfig
from hfrl.types import Segment, Step


@pytest.fixture(autouse=True)
def teachers_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HFRL_TEACHERS_DIR", str(tmp_path / "teachers"))
    return tmp_path / "teachers"


def _clips(rng: np.random.Generator, n: int, length: int = 10) -> list[Segment]:
    out = []
    for _ in range(n):
        mean = rng.uniform(0.0, 0.1) if rng.random() < 0.35 else rng.uniform(0.0, 2.0)
        out.append(
            Segment(
                obs=rng.normal(size=(length, 3)).astype(np.float32),
                actions=rng.integers(0, 2, size=length),
                true_rewards=rng.uniform(0.0, 2 * mean, size=length),
                env_id="CartPole-v1",
            )
        )
    return out


def simulated_comparisons(config: PreferenceTeacherConfig, n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    teacher = BPrefTeacher(dataclasses.replace(config, seed=seed), name="sim")
    clips = _clips(rng, 2 * n)
    return [teacher.compare(clips[2 * k], clips[2 * k + 1]) for k in range(n)]


@pytest.mark.parametrize(
    "config",
    [
        PreferenceTeacherConfig(eps=0.1, equal_fraction=0.1, skip_fraction=0.15),
        PreferenceTeacherConfig(beta=0.5),
        PreferenceTeacherConfig(beta=2.0, eps=0.05, equal_fraction=0.05),
    ],
)
def test_preference_fit_recovers_known_parameters(config):
    report = fit_preference_teacher(simulated_comparisons(config))
    p = report.params
    assert abs(p["eps"] - config.eps) <= 0.04, p
    assert abs(p["equal_fraction"] - config.equal_fraction) <= 0.03, p
    assert abs(p["skip_fraction"] - config.skip_fraction) <= 0.03, p
    if math.isinf(config.beta):
        assert p["beta"] >= 10, p
    else:
        assert config.beta / 2 <= p["beta"] <= config.beta * 2, p
    assert (
        report.explained["log_likelihood_per_label"]
        > report.explained["coin_flip_log_likelihood_per_label"]
    )


def simulate_live(
    config: ScalarTrainerConfig, seconds: float = 300.0, fps: float = 30.0, seed: int = 0
):
    """A trainer watching CartPole played in phases of the expert's and the opposite action."""
    from hfrl.envs.experts import get_expert
    from hfrl.envs.make import make

    from hfrl.teachers.oracles import ExpertAgreementOracle

    env = make("CartPole-v1", seed=seed, render_mode=None)
    expert = get_expert("CartPole-v1")
    trainer = ScalarTrainer(config, ExpertAgreementOracle(expert), seed=seed)
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    good, switch, t, g, ep = True, 1.0, 0.0, 0, 0
    starts, signal, presses = [], [], []
    while t < seconds:
        if t >= switch:
            good, switch = not good, t + rng.uniform(0.5, 2.0)
        want = int(expert.act(obs))
        action = want if good else 1 - want
        nxt, r, term, trunc, _ = env.step(action)
        rating = trainer.rate(Step(obs, action, nxt, r, term, trunc, t, ep, g))
        if rating is not None:
            presses.append((rating.t_wall, rating.value))
        starts.append(t)
        signal.append(1.0 if good else -1.0)
        obs, g, t = nxt, g + 1, t + 1.0 / fps
        if term or trunc:
            obs, _ = env.reset()
            ep += 1
    env.close()
    t_start = np.array(starts)
    steps = ShownSteps(t_start, t_start + 1.0 / fps, np.array(signal))
    presses_a = np.array(presses)
    return steps, presses_a[:, 0], presses_a[:, 1]


def test_scalar_fit_recovers_a_per_step_trainer():
    truth = ScalarTrainerConfig(
        rate_probability=0.6, consistency=0.85, delay_min=0.3, delay_max=0.9, fatigue_tau=300.0
    )
    report = fit_scalar_trainer(*simulate_live(truth))
    p = report.params
    assert abs(p["delay_min"] - truth.delay_min) <= 0.1, p
    assert abs(p["delay_max"] - truth.delay_max) <= 0.1, p
    assert abs(p["consistency"] - truth.consistency) <= 0.05, p
    assert abs(p["rate_probability"] - truth.rate_probability) <= 0.05, p
    assert p["fatigue_tau"] is not None and abs(p["fatigue_tau"] / truth.fatigue_tau - 1) <= 0.35, p
    assert p["min_interval"] == 0.0


def test_scalar_fit_recovers_the_pace_of_a_human_like_trainer():
    truth = dataclasses.replace(SCALAR_PRESETS["human"], consistency=0.8, fatigue_tau=None)
    report = fit_scalar_trainer(*simulate_live(truth))
    p = report.params
    assert abs(p["min_interval"] - truth.min_interval) <= 0.05, p
    assert abs(p["consistency"] - truth.consistency) <= 0.06, p
    assert p["fatigue_tau"] is None, p


def test_fit_teacher_cli_saves_a_teacher_usable_by_name(tmp_path, capsys, teachers_dir):
    truth = PreferenceTeacherConfig(eps=0.1, equal_fraction=0.1)
    with FeedbackStore(tmp_path / "feedback.sqlite") as store:
        session = store.open_session("cmp", {"app": "compare", "env_id": "CartPole-v1"})
        for pref in simulated_comparisons(truth, n=300):
            session.add(pref)
    assert main(["fit-teacher", "cmp", "--out", "alice", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "how well it explains the session" in out and "fitted:alice" in out
    saved = json.loads((teachers_dir / "alice.json").read_text())
    assert saved["kind"] == "preference" and saved["format"] == "hfrl-fitted-teacher"
    assert abs(saved["config"]["eps"] - 0.1) <= 0.05
    assert teacher_kind("fitted:alice") == "preference"
    teacher = make_teacher("fitted:alice", "CartPole-v1", 3)
    assert isinstance(teacher, BPrefTeacher) and teacher.config.seed == 3
    # refused: an existing name without --force, a bad name, an unknown fitted teacher
    assert main(["fit-teacher", "cmp", "--out", "alice", "--dir", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["fit-teacher", "cmp", "--out", "../x", "--dir", str(tmp_path)]) == 2
    assert "plain folder name" in capsys.readouterr().err
    from hfrl.errors import HfrlError

    with pytest.raises(HfrlError, match="no fitted teacher 'bob'"):
        make_teacher("fitted:bob", "CartPole-v1", 0)


def test_a_fitted_scalar_teacher_runs_in_bench(tmp_path, teachers_dir):
    from hfrl.teachers.fitted import save_fitted
    from hfrl.teachers.fitting import scalar_config

    truth = ScalarTrainerConfig(
        rate_probability=0.6, consistency=0.85, delay_min=0.3, delay_max=0.9
    )
    report = fit_scalar_trainer(*simulate_live(truth, seconds=60))
    save_fitted("sim", "scalar", scalar_config(report), {}, {"name": "simulated"})
    suite = tmp_path / "tiny.toml"
    suite.write_text(
        '[suite]\nname = "tiny"\nseeds = [0]\nagents = ["tamer"]\nenvs = ["CartPole-v1"]\n'
        'teachers = ["fitted:sim"]\n\n[defaults]\nepisodes = 2\neval_every = 1\neval_episodes = 1\n'
    )
    out = tmp_path / "bench"
    assert main(["bench", str(suite), "--out", str(out), "--no-progress"]) == 0
    cells = [p for p in (out / "cells").iterdir() if not p.name.startswith(".")]
    assert len(cells) == 1
    summary = json.loads((cells[0] / "summary.json").read_text())
    assert summary["teacher"] == "fitted:sim" and summary["feedback_count"] > 0
