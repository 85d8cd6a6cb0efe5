"""The presets table: matching, precedence, sources, and rows that name real settings."""

from __future__ import annotations

import dataclasses

import pytest
from hfrl.agents.registry import get_agent_class

from hfrl.errors import HfrlError
from hfrl.presets import (
    FROM_TABLE,
    FROM_USER,
    PRESETS,
    RUN_KEYS,
    preset,
    preset_fps,
    resolve_agent_config,
    resolve_fps,
)


def test_every_row_names_settings_its_agent_has():
    for row in PRESETS:
        try:
            cls = get_agent_class(row.agent)
        except HfrlError:
            pytest.fail(f"preset row for unknown agent {row.agent!r}")
        fields = {f.name for f in dataclasses.fields(cls.config_class)}
        unknown = set(row.settings) - fields - set(RUN_KEYS)
        assert not unknown, f"{row.agent} / {row.env}: unknown settings {sorted(unknown)}"
        assert row.source.strip(), f"{row.agent} / {row.env} says nowhere where it comes from"


def test_exact_env_beats_family_beats_star(monkeypatch):
    import hfrl.presets as presets

    rows = (
        presets.PresetRow("deep-tamer", "ALE/*", {"lr": 1e-4, "dueling": True}, "family"),
        presets.PresetRow("deep-tamer", "*", {"delay_max": 4.0, "lr": 1e-3}, "every env"),
        presets.PresetRow("deep-tamer", "ALE/Pong-v5", {"lr": 5e-5, "fps": 12.0}, "exact"),
    )
    monkeypatch.setattr(presets, "PRESETS", rows)
    assert preset("deep-tamer", "ALE/Pong-v5") == {
        "delay_max": 4.0,
        "lr": 5e-5,
        "dueling": True,
        "fps": 12.0,
    }
    assert preset("deep-tamer", "ALE/Bowling-v5") == {"delay_max": 4.0, "lr": 1e-4, "dueling": True}
    assert preset("deep-tamer", "CartPole-v1") == {"delay_max": 4.0, "lr": 1e-3}
    assert presets.preset_sources("deep-tamer", "ALE/Pong-v5")["dueling"] == "family"
    assert preset_fps("deep-tamer", "ALE/Pong-v5") == 12.0
    assert preset_fps("deep-tamer", "CartPole-v1") is None
    assert preset("tamer", "ALE/Pong-v5") == {}


def test_the_live_agents_defaults_serve_a_person():
    """The table gives Bowling a person's credit window (Warnell et al.), not the simulated
    trainer's matched one, and the Atari options a user would otherwise have to know."""
    bowling = preset("deep-tamer", "ALE/Bowling-v5")
    assert bowling["normalize_frames"] > 0 and bowling["dueling"] is True
    assert bowling["delay_max"] == 4.0
    for agent in ("tamer", "deep-tamer", "coach", "deep-coach"):
        assert preset_fps(agent, "CartPole-v1") is not None  # every live agent has a rate


def test_user_settings_win_and_sources_say_who_set_what():
    cls = get_agent_class("deep-coach")
    config, sources = resolve_agent_config(cls, "CartPole-v1", {"lr": 0.01, "window": 7})
    assert config.lr == 0.01 and config.window == 7
    assert (
        config.credit == "window"
        and config.entropy_coef == preset("deep-coach", "CartPole-v1")["entropy_coef"]
    )
    assert sources["lr"] == FROM_USER and sources["window"] == FROM_USER
    assert sources["credit"] == FROM_TABLE and sources["entropy_coef"] == FROM_TABLE
    assert "batch_size" not in sources  # class default, nobody set it


def test_entry_point_base_sits_between_table_and_user():
    cls = get_agent_class("deep-tamer")
    config, sources = resolve_agent_config(cls, "CartPole-v1", base={"worker": "on"})
    assert config.worker == "on" and sources["worker"] == "app"
    config, sources = resolve_agent_config(cls, "CartPole-v1", {"worker": "off"}, {"worker": "on"})
    assert config.worker == "off" and sources["worker"] == FROM_USER


def test_unknown_override_is_a_clear_error():
    with pytest.raises(HfrlError, match="unknown"):
        resolve_agent_config(get_agent_class("tamer"), "CartPole-v1", {"delay_hi": 1.0})


def test_fps_explicit_then_table_then_fallback():
    assert resolve_fps("coach", "CartPole-v1", 25.0, 50.0) == 25.0
    assert resolve_fps("coach", "CartPole-v1", None, 50.0) == 10.0
    assert resolve_fps("coach", "Pendulum-v1", None, 50.0) == 50.0


def test_hfrl_train_runs_the_table_and_its_config_json_says_so(tmp_path):
    import json

    from hfrl.training.results import RunRecorder
    from hfrl.training.scalar_loop import ScalarRunConfig, run_scalar_training

    config = ScalarRunConfig(
        "coach",
        "CartPole-v1",
        "perfect-pd",
        episodes=1,
        eval_episodes=1,
        agent_overrides={"learning_rate": 0.5},
        progress=False,
    )
    summary = run_scalar_training(config, RunRecorder(tmp_path))
    written = json.loads((tmp_path / "config.json").read_text())
    assert written["fps"] == summary["fps"] == preset_fps("coach", "CartPole-v1")
    assert written["fps_source"] == "preset"
    assert written["agent_config_sources"] == {"learning_rate": FROM_USER}
    assert written["agent_config"]["learning_rate"] == 0.5
    assert summary["agent_config_sources"] == written["agent_config_sources"]


@pytest.mark.parametrize(
    "env_id", sorted({r.env for r in PRESETS if r.agent == "preference" and r.env != "*"})
)
def test_every_preference_rows_learner_builds_with_its_preset(env_id):
    """Each preference row's learner takes its tuned preset (no misspelt SB3 argument)."""
    from hfrl.agents.preference.learners import build_learner, learner_preset
    from hfrl.envs.make import make
    from stable_baselines3.common.vec_env import DummyVecEnv

    if env_id.startswith("LunarLander"):
        pytest.importorskip("Box2D")
    name = str(preset("preference", env_id)["learner"])
    kwargs = learner_preset(name, env_id)
    venv = DummyVecEnv([lambda: make(env_id, render_mode=None)] * int(kwargs.get("n_envs", 1)))
    model = build_learner(name, venv, kwargs, seed=0, device="cpu", total_steps=1000)
    assert model.n_envs == venv.num_envs
    venv.close()


ISSUE_BUDGET_CAPS = {
    "CartPole-v1": (None, 50),
    "Pendulum-v1": (20_000, 100),
    "Acrobot-v1": (None, 200),
    "MountainCar-v0": (None, 300),
    "LunarLander-v3": (None, 1000),
}
"""Issue 11's caps on a preference run (env steps, comparisons); None: no cap on steps."""


@pytest.mark.parametrize("env_id", sorted(ISSUE_BUDGET_CAPS))
def test_preference_budgets_come_from_the_table_within_the_issues_caps(env_id):
    """``hfrl train preference --env E`` without --steps/--labels runs the table's budget,
    which the slow check runs too; an explicit option wins and the sources say so."""
    import argparse

    from hfrl.presets import preset_budget
    from hfrl.training.preference_loop import run_budget

    steps, labels = preset_budget("preference", env_id)
    max_steps, max_labels = ISSUE_BUDGET_CAPS[env_id]
    assert steps is not None and labels is not None
    assert labels <= max_labels and (max_steps is None or steps <= max_steps)
    plain = argparse.Namespace(env=env_id, steps=None, labels=None)
    assert run_budget(plain) == (steps, labels, {"steps": FROM_TABLE, "labels": FROM_TABLE})
    mine = argparse.Namespace(env=env_id, steps=123, labels=None)
    assert run_budget(mine) == (123, labels, {"steps": FROM_USER, "labels": FROM_TABLE})


def test_preference_budget_without_a_row_falls_back_to_the_loops_defaults():
    import argparse

    from hfrl.training.preference_loop import DEFAULT_STEPS, run_budget

    args = argparse.Namespace(env="Taxi-v3", steps=None, labels=7)
    assert run_budget(args) == (DEFAULT_STEPS, 7, {"steps": "default", "labels": FROM_USER})
