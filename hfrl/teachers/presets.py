"""Named simulated teachers, as a user passes them with ``--teacher NAME``.

Preference teachers (B-Pref): ``oracle stoc mistake skip equal myopic``, and ``progress``
(env return plus a potential-based progress term, for tasks whose rewards tie; B-Pref's
noise through overrides, ``progress:eps=0.1``). Scalar trainers:
``perfect human``. A name may carry overrides of its config fields,
``NAME:field=value,field=value`` (``mistake:eps=0.2``, ``human:consistency=0.8``), for
any custom teacher. Other modules add names with :func:`register_teacher`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from hfrl.errors import HfrlError, unknown_name
from hfrl.protocols import PreferenceTeacher, ScalarTeacher
from hfrl.teachers.bowling_effects import BowlingEffectOracle
from hfrl.teachers.oracles import ExpertAgreementOracle, ScalarOracle
from hfrl.teachers.preference import PREFERENCE_PRESETS, BPrefTeacher
from hfrl.teachers.progress import PROGRESS_PRESETS, ProgressTeacher, potential_for
from hfrl.teachers.scalar import SCALAR_PRESETS, ScalarTrainer

TeacherKind = Literal["scalar", "preference"]

EFFECT_ORACLES: dict[str, Callable[[], ScalarOracle]] = {"ALE/Bowling-v5": BowlingEffectOracle}
"""Env id -> a new oracle scoring what each step visibly leads to (``judge="effects"``)."""

TeacherFactory = Callable[..., ScalarTeacher | PreferenceTeacher]
"""``factory(env_id, seed, overrides, oracle) -> teacher``; ``overrides`` maps config field
names to strings from the command line, ``oracle`` is None or a scalar oracle to use."""


@dataclass(frozen=True)
class TeacherEntry:
    """One named teacher."""

    kind: TeacherKind
    """``"scalar"`` (live ratings) or ``"preference"`` (clip comparisons)."""
    factory: TeacherFactory
    """Builds the teacher."""
    help: str = ""
    """One line for listings."""


TEACHERS: dict[str, TeacherEntry] = {}
"""Name -> entry; extend with :func:`register_teacher`."""


def register_teacher(name: str, kind: TeacherKind, factory: TeacherFactory, help: str = "") -> None:
    """Add a named teacher (COACH's policy-dependent trainer, for example)."""
    if kind not in ("scalar", "preference"):
        raise ValueError(f"kind must be 'scalar' or 'preference', got {kind!r}")
    if name in TEACHERS and TEACHERS[name].factory is not factory:
        raise ValueError(f"teacher {name!r} is already registered")
    TEACHERS[name] = TeacherEntry(kind, factory, help)


def teacher_names() -> list[str]:
    """Every registered teacher name, sorted."""
    return sorted(TEACHERS)


def parse_teacher_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``"NAME:field=value,..."`` into the name and the raw overrides."""
    name, _, rest = spec.partition(":")
    overrides: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise HfrlError(
                f"bad teacher override {item!r} in {spec!r}; write NAME:field=value,field=value"
            )
        overrides[key.strip()] = value.strip()
    return name.strip(), overrides


TeacherResolver = Callable[[str], TeacherEntry]
"""``resolver(argument) -> entry`` for a teacher family named ``PREFIX:ARGUMENT``."""

RESOLVERS: dict[str, TeacherResolver] = {}
"""Prefix -> resolver, for teachers named after a file or a session (``fitted:alice``,
``recorded:SESSION``); extend with :func:`register_resolver`."""


def register_resolver(prefix: str, resolver: TeacherResolver) -> None:
    """Let ``PREFIX:ARGUMENT`` name a teacher that ``resolver(ARGUMENT)`` builds."""
    RESOLVERS[prefix] = resolver


def _entry(spec: str) -> tuple[str, TeacherEntry, dict[str, str]]:
    prefix, sep, argument = spec.partition(":")
    if sep and prefix.strip() in RESOLVERS:
        return spec, RESOLVERS[prefix.strip()](argument.strip()), {}
    name, overrides = parse_teacher_spec(spec)
    if name not in TEACHERS:
        raise unknown_name("teacher", name, TEACHERS)
    return name, TEACHERS[name], overrides


def teacher_kind(name: str) -> TeacherKind:
    """``"scalar"`` or ``"preference"`` for a teacher name (overrides allowed)."""
    return _entry(name)[1].kind


def make_teacher(
    name: str, env_id: str, seed: int, *, oracle: ScalarOracle | None = None
) -> ScalarTeacher | PreferenceTeacher:
    """Build the simulated teacher called ``name`` for ``env_id``.

    Args:
        name: a registered name, optionally with overrides (``"mistake:eps=0.2"``).
        env_id: the environment; scalar trainers consult its scripted expert
            (``hfrl.envs.experts.get_expert``) unless ``oracle`` is given.
        seed: seeds the teacher's random choices.
        oracle: a scalar oracle to use instead of the env's expert (for Atari, say).
    """
    _, entry, overrides = _entry(name)
    return entry.factory(env_id, seed, overrides, oracle)


def teacher_params(teacher: Any) -> dict[str, Any]:
    """The teacher's name, kind and parameters, JSON-ready (for summary.json)."""
    if hasattr(teacher, "params"):
        params = dict(teacher.params())
    else:
        params = {"name": getattr(teacher, "name", type(teacher).__name__)}
    return {k: ("inf" if isinstance(v, float) and math.isinf(v) else v) for k, v in params.items()}


def apply_overrides(config: Any, overrides: dict[str, str]) -> Any:
    """A copy of a config dataclass with string overrides parsed by each field's default type."""
    if not overrides:
        return config
    fields = {f.name: f for f in dataclasses.fields(config)}
    changes: dict[str, Any] = {}
    for key, raw in overrides.items():
        if key not in fields:
            raise HfrlError(
                f"unknown teacher parameter {key!r}; valid parameters: {', '.join(sorted(fields))}"
            )
        changes[key] = _parse_value(key, raw, getattr(config, key))
    try:
        return dataclasses.replace(config, **changes)
    except ValueError as e:
        raise HfrlError(f"bad teacher parameters {overrides}: {e}") from e


def _parse_value(key: str, raw: str, current: Any) -> Any:
    if raw.lower() == "none":
        return None
    try:
        if isinstance(current, bool):
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1")
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, str):
            return raw
        return float(raw)  # floats, and fields whose default is None
    except ValueError as e:
        raise HfrlError(f"teacher parameter {key}={raw!r} is not a valid value") from e


def _preference_factory(preset: str) -> TeacherFactory:
    def build(
        env_id: str, seed: int, overrides: dict[str, str], oracle: ScalarOracle | None = None
    ) -> BPrefTeacher:
        config = dataclasses.replace(PREFERENCE_PRESETS[preset], seed=seed)
        config = apply_overrides(config, overrides)
        return BPrefTeacher(config, name=preset)

    return build


def _progress_factory(preset: str) -> TeacherFactory:
    def build(
        env_id: str, seed: int, overrides: dict[str, str], oracle: ScalarOracle | None = None
    ) -> ProgressTeacher:
        config = dataclasses.replace(PROGRESS_PRESETS[preset], seed=seed)
        config = apply_overrides(config, overrides)
        return ProgressTeacher(potential_for(env_id), config, name=preset)

    return build


def default_oracle(env_id: str, judge: str = "actions") -> ScalarOracle:
    """The oracle a simulated scalar trainer judges ``env_id`` by: agreement with the env's
    scripted expert (``judge="actions"``) or the env's effect oracle (``"effects"``; with
    ``"auto"``, the effect oracle where the env has one)."""
    if judge == "auto":
        judge = "effects" if env_id in EFFECT_ORACLES else "actions"
    if judge == "effects":
        if env_id not in EFFECT_ORACLES:
            raise HfrlError(
                f"no effect oracle for {env_id}; effects are judged on {', '.join(EFFECT_ORACLES)}"
                " (use judge=actions)"
            )
        return EFFECT_ORACLES[env_id]()
    from hfrl.experts import get_expert

    return ExpertAgreementOracle(get_expert(env_id))


def _scalar_factory(preset: str) -> TeacherFactory:
    def build(
        env_id: str, seed: int, overrides: dict[str, str], oracle: ScalarOracle | None = None
    ) -> ScalarTrainer:
        config = apply_overrides(SCALAR_PRESETS[preset], overrides)
        if oracle is None:
            oracle = default_oracle(env_id, config.judge)
        return ScalarTrainer(config, oracle, seed=seed, name=preset)

    return build


_PREFERENCE_HELP = {
    "oracle": "B-Pref perfect teacher: always prefers the higher true return",
    "stoc": "B-Pref stochastic teacher: Bradley-Terry choice with beta=1",
    "mistake": "B-Pref teacher that flips 10% of its answers",
    "skip": "B-Pref teacher that skips pairs whose returns are both low (10% of scale)",
    "equal": "B-Pref teacher that answers equal within 10% of the return scale",
    "myopic": "B-Pref teacher that weighs late steps more (gamma=0.9)",
    "progress": "env return plus progress (potential-based: MountainCar/Acrobot energy)",
}
_SCALAR_HELP = {
    "perfect": "rates every step from the expert, always right, 0.2-0.8 s delay",
    "human": "rates at a person's pace (<=2/s), 10% wrong, 0.2-0.8 s delay, slowly tiring",
    "human-atari": "as human, judging what the last 3.2 s of play led to (Bowling: the throw and "
    "the curve): rated moments 0.2-4 s before the press",
}

for _name in PREFERENCE_PRESETS:
    register_teacher(_name, "preference", _preference_factory(_name), _PREFERENCE_HELP[_name])
for _name in PROGRESS_PRESETS:
    register_teacher(_name, "preference", _progress_factory(_name), _PREFERENCE_HELP[_name])
for _name in SCALAR_PRESETS:
    register_teacher(_name, "scalar", _scalar_factory(_name), _SCALAR_HELP[_name])

# COACH's policy-dependent trainers (perfect-pd, human-pd) live in their own module.
from hfrl.teachers.policy_dependent import register_presets as _register_pd  # noqa: E402

_register_pd()

# Teachers named after saved data: fitted:NAME (hfrl fit-teacher), recorded:SESSION.
from hfrl.teachers.fitted import register_resolver as _register_fitted  # noqa: E402
from hfrl.teachers.recorded import register_resolver as _register_recorded  # noqa: E402

_register_fitted()
_register_recorded()
