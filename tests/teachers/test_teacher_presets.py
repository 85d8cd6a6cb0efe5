"""The teacher table: every name builds, kinds, params for summaries, errors and overrides."""

from __future__ import annotations

import json
import math
import sys
import types

import pytest

from hfrl.errors import HfrlError, UnknownNameError
from hfrl.protocols import PreferenceTeacher, ScalarTeacher
from hfrl.teachers import presets
from hfrl.teachers.preference import BPrefTeacher
from hfrl.teachers.presets import (
    make_teacher,
    parse_teacher_spec,
    register_teacher,
    teacher_kind,
    teacher_names,
    teacher_params,
)
from hfrl.teachers.scalar import HUMAN, ScalarTrainer

PREFERENCE = ["oracle", "stoc", "mistake", "skip", "equal", "myopic"]
SCALAR = ["perfect", "human"]


class FakeExpert:
    def act(self, obs):
        return 0


@pytest.fixture
def fake_experts(monkeypatch):
    """Stand in for hfrl.experts (the scripted experts) with a one-expert table."""
    seen = []

    def get_expert(env_id):
        seen.append(env_id)
        return FakeExpert()

    module = types.ModuleType("hfrl.experts")
    module.get_expert = get_expert
    monkeypatch.setitem(sys.modules, "hfrl.experts", module)
    return seen


def test_all_names_listed():
    assert set(PREFERENCE + SCALAR) <= set(teacher_names())


@pytest.mark.parametrize("name", PREFERENCE)
def test_preference_presets(name):
    t = make_teacher(name, "CartPole-v1", seed=4)
    assert isinstance(t, BPrefTeacher) and isinstance(t, PreferenceTeacher)
    assert teacher_kind(name) == "preference"
    assert t.name == name and t.config.seed == 4
    params = json.loads(json.dumps(teacher_params(t)))
    assert params["kind"] == "preference" and params["name"] == name
    expected = {
        "oracle": {},
        "stoc": {"beta": 1.0},
        "mistake": {"eps": 0.1},
        "skip": {"skip_fraction": 0.1},
        "equal": {"equal_fraction": 0.1},
        "myopic": {"gamma": 0.9},
    }[name]
    defaults = {
        "beta": "inf",
        "gamma": 1.0,
        "eps": 0.0,
        "skip_fraction": 0.0,
        "equal_fraction": 0.0,
    }
    for key, value in {**defaults, **expected}.items():
        assert params[key] == value, (name, key)


@pytest.mark.parametrize("name", SCALAR)
def test_scalar_presets_use_the_env_expert(name, fake_experts):
    t = make_teacher(name, "MountainCar-v0", seed=2)
    assert isinstance(t, ScalarTrainer) and isinstance(t, ScalarTeacher)
    assert teacher_kind(name) == "scalar" and t.name == name and t.seed == 2
    assert fake_experts == ["MountainCar-v0"]
    params = json.loads(json.dumps(teacher_params(t)))
    assert params["kind"] == "scalar"
    if name == "perfect":
        assert params["rate_probability"] == 1.0 and params["consistency"] == 1.0
        assert params["min_interval"] == 0.0 and params["fatigue_tau"] is None
    else:
        assert params["consistency"] == 0.9 and params["min_interval"] == 0.5
        assert params["fatigue_tau"] > 0
    assert (params["delay_min"], params["delay_max"]) == (0.2, 0.8)


def test_scalar_oracle_can_be_given(fake_experts):
    class Oracle:
        name = "mine"

        def signal(self, step):
            return 1.0

    t = make_teacher("human", "ALE/Bowling-v5", seed=0, oracle=Oracle())
    assert fake_experts == [] and teacher_params(t)["oracle"] == "mine"


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownNameError) as e:
        make_teacher("mistak", "CartPole-v1", seed=0)
    assert "Did you mean: mistake" in str(e.value)
    with pytest.raises(UnknownNameError):
        teacher_kind("humn")


def test_overrides_make_custom_teachers(fake_experts):
    t = make_teacher("mistake:eps=0.25,beta=2", "CartPole-v1", seed=0)
    assert t.config.eps == 0.25 and t.config.beta == 2.0
    assert math.isinf(make_teacher("oracle:beta=inf", "CartPole-v1", 0).config.beta)
    h = make_teacher("human:consistency=0.7,fatigue_tau=none,delay=gamma", "CartPole-v1", 0)
    assert h.config.consistency == 0.7 and h.config.fatigue_tau is None
    assert h.config.delay == "gamma" and h.config.margin == HUMAN.margin
    assert teacher_kind("human:consistency=0.7") == "scalar"
    assert parse_teacher_spec("skip: skip_fraction = 0.2 ,") == ("skip", {"skip_fraction": "0.2"})


@pytest.mark.parametrize(
    "spec, words",
    [
        ("mistake:epsilon=0.1", "valid parameters"),
        ("mistake:eps=lots", "not a valid value"),
        ("mistake:eps=2", "eps must be in [0, 1]"),
        ("mistake:eps", "NAME:field=value"),
    ],
)
def test_bad_overrides_are_clear(spec, words):
    with pytest.raises(HfrlError) as e:
        make_teacher(spec, "CartPole-v1", seed=0)
    assert words in str(e.value)


def test_table_is_extensible(monkeypatch):
    monkeypatch.setattr(presets, "TEACHERS", dict(presets.TEACHERS))

    def factory(env_id, seed, overrides, oracle=None):
        return BPrefTeacher(name="policy-dependent")

    register_teacher("policy-dependent", "scalar", factory, "COACH's trainer")
    assert teacher_kind("policy-dependent") == "scalar"
    assert make_teacher("policy-dependent", "CartPole-v1", 0).name == "policy-dependent"
    with pytest.raises(ValueError):
        register_teacher("human", "scalar", factory)
    with pytest.raises(ValueError):
        register_teacher("x", "other", factory)  # type: ignore[arg-type]


def test_teacher_params_for_any_object():
    class Plain:
        name = "plain"

    assert teacher_params(Plain()) == {"name": "plain"}
