"""Benchmark suite files (TOML): agents × envs × teachers × seeds with budgets, validated up front.

A suite file looks like this (``experiments/suites/quick.toml`` is a complete one)::

    [suite]
    name = "quick"
    description = "one line"
    seeds = [0, 1]
    agents = ["tamer"]
    envs = ["CartPole-v1", "MountainCar-v0"]
    teachers = ["perfect", "human"]      # default teachers of every agent

    [defaults]                           # run settings of every cell
    episodes = 10                        # budget: episodes or steps
    eval_every = 2
    eval_episodes = 5

    [envs."MountainCar-v0"]              # per-env settings
    max_episode_steps = 500

    [agents.tamer]                       # per-agent settings and options
    teachers = ["human"]                 # this agent's teachers (replaces the default list)
    envs = ["CartPole-v1"]               # this agent's envs (a subset; default: all)
    set = { step_size = 0.002 }          # agent config overrides (hfrl train --set)

    [agents.tamer.per_env."MountainCar-v0"]   # settings of one agent on one env
    episodes = 20

Settings (``RUN_KEYS``) resolve from general to specific: ``[defaults]`` < ``[envs.E]`` <
``[agents.A]`` < ``[agents.A.per_env.E]``. The budget keys ``episodes`` and ``steps``
replace each other as a pair (a level that names one drops the other); ``set`` tables merge.

:func:`load_suite` checks the whole file before anything runs: TOML syntax, unknown or
misspelled keys, value types, unknown agents, envs and teachers (with close matches),
teachers of the wrong kind for an agent, and agents that cannot run on an env (each agent
is built on each of its envs, so its own checks apply: TAMER on a continuous env fails
here, not an hour into a sweep). Every error names the file and the line at fault.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfrl.bench.toml_lines import KeyLines
from hfrl.errors import HfrlError, did_you_mean, unknown_name
from hfrl.sessions import check_name, safe_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class SuiteError(HfrlError):
    """A suite file that cannot run; the message starts with ``FILE:LINE:``."""


RUN_KEYS: dict[str, tuple[type, ...]] = {
    "episodes": (int,),
    "steps": (int,),
    "labels": (int,),
    "eval_episodes": (int,),
    "eval_every": (int,),
    "max_episode_steps": (int,),
    "fps": (int, float),
    "learner": (str,),
    "device": (str,),
    "set": (dict,),
}
"""Run settings allowed at every level, with their TOML types."""

_MINIMUM = {"eval_every": 0, "fps": 1e-9}
"""Smallest allowed value of numeric settings (1 for the others)."""

SUITE_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "description": (str,),
    "seeds": (list,),
    "agents": (list,),
    "envs": (list,),
    "teachers": (list,),
}
AGENT_KEYS: dict[str, tuple[type, ...]] = {
    **RUN_KEYS,
    "teachers": (list,),
    "envs": (list,),
    "per_env": (dict,),
}
TOP_KEYS = ("suite", "defaults", "envs", "agents")
SUITE_REQUIRED = ("seeds", "agents", "envs")
BUDGET_KEYS = ("episodes", "steps")
CONTINUOUS_LEARNERS = ("SAC", "TD3", "DDPG")
DISCRETE_LEARNERS = ("DQN", "QRDQN")


@dataclass(frozen=True)
class Cell:
    """One run of a sweep: an agent trained on an env by a teacher with a seed."""

    agent: str
    """Registered agent name."""
    env: str
    """Environment id."""
    teacher: str
    """Teacher spec (a preset name, optionally ``NAME:field=value,...``)."""
    seed: int
    """Seed of the run."""
    settings: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Resolved run settings (``RUN_KEYS``; ``set`` holds the agent config overrides)."""

    @property
    def cell_id(self) -> str:
        """A file-name-safe id, unique within a suite: ``agent__env__teacher__sSEED``."""
        return "__".join((_safe(self.agent), _safe(self.env), _safe(self.teacher), f"s{self.seed}"))

    def train_args(self, out_dir: str | Path) -> list[str]:
        """Arguments of ``hfrl train`` for this cell, writing into ``out_dir``."""
        s = self.settings
        args = ["train", self.agent, "--env", self.env, "--teacher", self.teacher]
        args += ["--seed", str(self.seed), "--out", str(out_dir), "--no-progress"]
        for key in (
            "episodes",
            "steps",
            "labels",
            "eval_episodes",
            "eval_every",
            "max_episode_steps",
            "fps",
            "learner",
            "device",
        ):
            if s.get(key) is not None:
                args += [f"--{key.replace('_', '-')}", str(s[key])]
        for key, value in sorted(s.get("set", {}).items()):
            args += ["--set", f"{key}={json.dumps(value)}"]
        return args

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (stored next to the cell's results)."""
        return {
            "agent": self.agent,
            "env": self.env,
            "teacher": self.teacher,
            "seed": self.seed,
            "settings": self.settings,
        }


@dataclass(frozen=True)
class Suite:
    """A loaded, validated suite."""

    path: Path
    """The file it was read from."""
    name: str
    """``[suite] name`` (the file's stem when absent)."""
    description: str
    """``[suite] description``."""
    text: str
    """The file's text, copied next to the results."""
    cells: tuple[Cell, ...]
    """Every cell, in file order: agents, then envs, then teachers, then seeds."""


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=+-]", "-", text)


def suites_dir() -> Path:
    """The built-in suites: ``experiments/suites``, installed as the package ``hfrl.suites``."""
    import hfrl.suites

    return Path(hfrl.suites.__file__).resolve().parent


def suite_names() -> list[str]:
    """The built-in suite names (files in :func:`suites_dir`)."""
    d = suites_dir()
    return sorted(p.stem for p in d.glob("*.toml")) if d.is_dir() else []


def resolve_suite_path(name_or_path: str) -> Path:
    """A suite file from a path, or from a built-in name (``quick``, ``classic``, ...)."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix == ".toml" or "/" in name_or_path:
        raise SuiteError(f"suite file {name_or_path} does not exist")
    builtin = suites_dir() / f"{name_or_path}.toml"
    if builtin.is_file():
        return builtin
    raise unknown_name("suite", name_or_path, suite_names())


class _Checker:
    """Validation state: the file, its key lines and error helpers."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.keys = KeyLines(text)

    def error(
        self, key_path: tuple[str, ...], message: str, value: str | None = None
    ) -> SuiteError:
        line = self.keys.line_of(key_path, value)
        where = f"{self.path}:{line}" if line else f"{self.path}"
        return SuiteError(f"{where}: {message}")

    def table_name(self, key_path: tuple[str, ...]) -> str:
        return "[" + ".".join(_quote(k) for k in key_path) + "]" if key_path else "the top level"

    def check_keys(
        self,
        data: dict[str, Any],
        allowed: dict[str, tuple[type, ...]] | tuple[str, ...],
        where: tuple[str, ...],
    ) -> None:
        for key in data:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                raise self.error(
                    (*where, key),
                    f"unknown key {key!r} in {self.table_name(where)}.{hint} Allowed keys: {', '.join(allowed)}.",
                )

    def check_types(
        self, data: dict[str, Any], schema: dict[str, tuple[type, ...]], where: tuple[str, ...]
    ) -> None:
        for key, value in data.items():
            types = schema[key]
            if isinstance(value, bool) or not isinstance(value, types):
                names = " or ".join(
                    "table"
                    if t is dict
                    else "array"
                    if t is list
                    else "string"
                    if t is str
                    else t.__name__
                    for t in types
                )
                raise self.error(
                    (*where, key), f"{'.'.join((*where, key))} must be a {names}, got {value!r}"
                )
            if key in RUN_KEYS and isinstance(value, int | float):
                low = _MINIMUM.get(key, 1)
                if not math.isfinite(value):
                    raise self.error(
                        (*where, key),
                        f"{'.'.join((*where, key))} must be a finite number, got {value}",
                    )
                if value < low:
                    raise self.error(
                        (*where, key),
                        f"{'.'.join((*where, key))} must be at least {low:g}, got {value}",
                    )
        if all(k in data for k in BUDGET_KEYS):
            later = max(BUDGET_KEYS, key=lambda k: self.keys.line_of((*where, k)) or 0)
            raise self.error(
                (*where, later),
                f"{self.table_name(where)} sets both episodes and steps; a budget is one of them",
            )

    def string_list(
        self, data: dict[str, Any], key: str, where: tuple[str, ...], required: bool = True
    ) -> list[str]:
        if key not in data:
            if required:
                raise self.error(where, f"missing key {key!r} in {self.table_name(where)}")
            return []
        value = data[key]
        if not value or not all(isinstance(v, str) and v for v in value):
            raise self.error(
                (*where, key),
                f"{'.'.join((*where, key))} must be a non-empty array of strings, got {value!r}",
            )
        seen = set()
        for v in value:
            if v in seen:
                raise self.error(
                    (*where, key), f"{v!r} is listed twice in {'.'.join((*where, key))}", v
                )
            seen.add(v)
        return list(value)


def _quote(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def load_suite(name_or_path: str | Path, *, deep: bool = True) -> Suite:
    """Read and validate a suite file; return its cells.

    Args:
        name_or_path: a path, or a built-in suite name (``quick``, ``classic``, ...).
        deep: also check the names and combinations against the installed agents, envs and
            teachers (builds each env once and each scalar agent on each of its envs).

    Raises:
        SuiteError: the first problem found, as ``FILE:LINE: message``.
    """
    path = resolve_suite_path(str(name_or_path))
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise SuiteError(
            f"{path}:{line}: not a UTF-8 text file (byte {err.start}); save the suite as UTF-8"
        ) from err
    except OSError as err:
        raise SuiteError(f"{path}: cannot read the suite file: {err.strerror or err}") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise SuiteError(f"{path}:{m.group(1) if m else '?'}: not valid TOML: {err}") from err
    ck = _Checker(path, text)
    ck.check_keys(data, TOP_KEYS, ())
    for key in TOP_KEYS:
        if key in data and not isinstance(data[key], dict):
            raise ck.error((key,), f"{key} must be a table ([{key}]), got {data[key]!r}")
    if "suite" not in data:
        raise SuiteError(f"{path}:1: missing table [suite] (with seeds, agents, envs, teachers)")
    suite = data["suite"]
    ck.check_keys(suite, SUITE_KEYS, ("suite",))
    for key in SUITE_REQUIRED:
        if key not in suite:
            raise ck.error(("suite",), f"missing key {key!r} in [suite]")
    ck.check_types(suite, SUITE_KEYS, ("suite",))
    seeds = suite["seeds"]
    if not seeds or not all(
        isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**32 for s in seeds
    ):
        raise ck.error(
            ("suite", "seeds"),
            f"suite.seeds must be a non-empty array of integers in [0, 2**32), got {seeds!r}",
        )
    if len(set(seeds)) != len(seeds):
        raise ck.error(("suite", "seeds"), "suite.seeds lists a seed twice")
    if "name" in suite:
        try:
            check_name(suite["name"], "suite.name")
        except HfrlError as err:
            raise ck.error(("suite", "name"), str(err)) from err
    agents = ck.string_list(suite, "agents", ("suite",))
    envs = ck.string_list(suite, "envs", ("suite",))
    default_teachers = ck.string_list(suite, "teachers", ("suite",), required=False)
    classes, spaces = _check_names(ck, agents, envs) if deep else ({}, {})

    defaults = data.get("defaults", {})
    ck.check_keys(defaults, RUN_KEYS, ("defaults",))
    ck.check_types(defaults, RUN_KEYS, ("defaults",))
    env_tables = data.get("envs", {})
    for env, table in env_tables.items():
        where = ("envs", env)
        if not isinstance(table, dict):
            raise ck.error(where, f"envs.{env} must be a table of settings")
        if env not in envs:
            raise ck.error(
                where,
                f"[envs.{_quote(env)}] configures an env that is not in suite.envs.{did_you_mean(env, envs)}",
            )
        ck.check_keys(table, RUN_KEYS, where)
        ck.check_types(table, RUN_KEYS, where)
    agent_tables = data.get("agents", {})
    for agent, table in agent_tables.items():
        where = ("agents", agent)
        if not isinstance(table, dict):
            raise ck.error(where, f"agents.{agent} must be a table of settings")
        if agent not in agents:
            raise ck.error(
                where,
                f"[agents.{_quote(agent)}] configures an agent that is not in suite.agents.{did_you_mean(agent, agents)}",
            )
        ck.check_keys(table, AGENT_KEYS, where)
        ck.check_types(table, AGENT_KEYS, where)
        for env in ck.string_list(table, "envs", where, required=False):
            if env not in envs:
                raise ck.error(
                    (*where, "envs"),
                    f"agents.{agent}.envs names {env!r}, which is not in suite.envs.{did_you_mean(env, envs)}",
                    env,
                )
        ck.string_list(table, "teachers", where, required=False)
        for env, sub in table.get("per_env", {}).items():
            sub_where = (*where, "per_env", env)
            if not isinstance(sub, dict):
                raise ck.error(
                    sub_where, f"agents.{agent}.per_env.{env} must be a table of settings"
                )
            if env not in (table.get("envs") or envs):
                raise ck.error(
                    sub_where,
                    f"[agents.{agent}.per_env.{_quote(env)}] configures an env this agent does not run on",
                )
            ck.check_keys(sub, RUN_KEYS, sub_where)
            ck.check_types(sub, RUN_KEYS, sub_where)

    cells: list[Cell] = []
    for agent in agents:
        table = agent_tables.get(agent, {})
        teachers = table.get("teachers") or default_teachers
        if not teachers:
            raise ck.error(
                ("agents", agent) if agent in agent_tables else ("suite",),
                f"no teachers for agent {agent!r}: set suite.teachers or agents.{agent}.teachers",
            )
        for env in table.get("envs") or envs:
            levels = [
                (("defaults",), defaults),
                (("envs", env), env_tables.get(env, {})),
                (("agents", agent), table),
                (("agents", agent, "per_env", env), table.get("per_env", {}).get(env, {})),
            ]
            settings, origin = _resolve(levels)
            if not any(k in settings for k in BUDGET_KEYS):
                raise ck.error(
                    ("agents", agent)
                    if agent in agent_tables
                    else ("defaults",)
                    if "defaults" in data
                    else ("suite",),
                    f"no budget for agent {agent!r} on {env}: set episodes or steps in [defaults], [envs.ENV] or [agents.{agent}]",
                )
            for teacher in teachers:
                for seed in seeds:
                    cells.append(Cell(agent, env, teacher, seed, {**settings, "_origin": origin}))
    ids: dict[str, Cell] = {}
    for cell in cells:
        if cell.cell_id in ids:
            raise ck.error(
                ("suite", "teachers"),
                f"two cells share the id {cell.cell_id!r} (teacher specs too alike)",
            )
        ids[cell.cell_id] = cell
    if deep:
        _deep_check(ck, cells, agent_tables, classes, spaces)
    clean = tuple(
        dataclasses.replace(c, settings={k: v for k, v in c.settings.items() if k != "_origin"})
        for c in cells
    )
    return Suite(
        path=path,
        name=str(suite.get("name") or safe_name(path.stem)),
        description=str(suite.get("description", "")),
        text=text,
        cells=clean,
    )


def _resolve(
    levels: list[tuple[tuple[str, ...], dict[str, Any]]],
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """Merge the setting levels; return the settings and where each one (and each ``set`` key) came from."""
    settings: dict[str, Any] = {}
    origin: dict[str, tuple[str, ...]] = {}
    overrides: dict[str, Any] = {}
    for where, table in levels:
        if any(k in table for k in BUDGET_KEYS):
            for k in BUDGET_KEYS:
                settings.pop(k, None)
        for key, value in table.items():
            if key == "set":
                for sk, sv in value.items():
                    overrides[sk] = sv
                    origin[f"set.{sk}"] = (*where, "set", sk)
            elif key in RUN_KEYS:
                settings[key] = value
                origin[key] = (*where, key)
    if overrides:
        settings["set"] = overrides
    return settings, origin


def _check_names(
    ck: _Checker, agents: list[str], envs: list[str]
) -> tuple[dict[str, type], dict[str, tuple[Any, Any]]]:
    """Check the agent names and env ids; return the agent classes and the envs' spaces."""
    from hfrl.agents.registry import agent_names, get_agent_class

    classes: dict[str, type] = {}
    for agent in agents:
        if agent not in agent_names():
            raise ck.error(
                ("suite", "agents"), str(unknown_name("agent", agent, agent_names())), agent
            )
        try:
            classes[agent] = get_agent_class(agent)
        except ImportError as err:
            raise ck.error(
                ("suite", "agents"),
                f"agent {agent!r} is registered but cannot be imported: {err}",
                agent,
            ) from err
    spaces: dict[str, tuple[Any, Any]] = {}
    for env in envs:
        try:
            spaces[env] = _env_spaces(env)
        except HfrlError as err:
            raise ck.error(("suite", "envs"), str(err), env) from err
    return classes, spaces


def _deep_check(
    ck: _Checker,
    cells: list[Cell],
    agent_tables: dict[str, Any],
    classes: dict[str, type],
    spaces: dict[str, tuple[Any, Any]],
) -> None:
    """Check teachers and every agent × env × teacher combination against what is installed."""
    from hfrl.teachers import make_teacher
    from hfrl.teachers.presets import teacher_kind

    kinds: dict[str, str] = {}
    checked: set[tuple[str, ...]] = set()
    for cell in cells:
        origin = cell.settings["_origin"]
        teacher_where = (
            ("agents", cell.agent, "teachers")
            if "teachers" in agent_tables.get(cell.agent, {})
            else ("suite", "teachers")
        )
        if cell.teacher not in kinds:
            try:
                kinds[cell.teacher] = teacher_kind(cell.teacher)
            except HfrlError as err:
                raise ck.error(teacher_where, str(err), cell.teacher) from err
        cls = classes[cell.agent]
        agent_kind = getattr(cls, "feedback_kind", None)
        foreign = {"scalar": ("labels", "learner"), "preference": ("episodes", "fps")}
        for key in foreign.get(agent_kind, ()):
            if key in cell.settings and key in origin:
                table = ck.table_name(origin[key][:-1])
                raise ck.error(
                    origin[key],
                    f"{key} in {table} applies to "
                    f"{'preference' if agent_kind == 'scalar' else 'live-feedback'} agents "
                    f"only, but agent {cell.agent!r} gets it; move it to the [agents.NAME] "
                    "tables of the agents that use it",
                )
        if kinds[cell.teacher] != agent_kind:
            raise ck.error(
                teacher_where,
                f"teacher {cell.teacher!r} gives {kinds[cell.teacher]} feedback, but agent {cell.agent!r} learns from {agent_kind} feedback; give it {'a scalar trainer (perfect, human)' if agent_kind == 'scalar' else 'a preference teacher (oracle, stoc, mistake, skip, equal, myopic)'} in agents.{cell.agent}.teachers",
                cell.teacher,
            )
        key = (
            cell.agent,
            cell.env,
            cell.teacher,
            json.dumps(cell.settings.get("set", {}), sort_keys=True),
        )
        if key in checked:
            continue
        checked.add(key)
        agent_where = (
            ("agents", cell.agent, "envs")
            if "envs" in agent_tables.get(cell.agent, {})
            else ("suite", "agents")
        )
        agent_value = cell.env if agent_where[-1] == "envs" else cell.agent
        _check_agent_config(ck, cls, cell, origin)
        _check_agent_on_env(ck, cls, cell, spaces[cell.env], agent_where, agent_value, origin)
        try:
            make_teacher(cell.teacher, cell.env, seed=0)
        except HfrlError as err:
            raise ck.error(
                teacher_where,
                f"teacher {cell.teacher!r} cannot rate {cell.env}: {err}",
                cell.teacher,
            ) from err


def _env_spaces(env_id: str) -> tuple[Any, Any]:
    from hfrl.envs.make import make

    env = make(env_id, render_mode=None)
    try:
        return env.observation_space, env.action_space
    finally:
        env.close()


def _check_agent_config(
    ck: _Checker, cls: type, cell: Cell, origin: dict[str, tuple[str, ...]]
) -> None:
    overrides = cell.settings.get("set", {})
    config_class = getattr(cls, "config_class", None)
    if config_class is None:
        if overrides:
            first = next(iter(overrides))
            raise ck.error(
                origin[f"set.{first}"],
                f"agent {cell.agent!r} takes no options, but set.{first} is given",
            )
        return
    fields = {f.name for f in dataclasses.fields(config_class)}
    for key in overrides:
        if key not in fields:
            raise ck.error(
                origin[f"set.{key}"],
                f"agent {cell.agent!r} has no option {key!r}.{did_you_mean(key, fields)} Options: {', '.join(sorted(fields))}.",
            )
    from hfrl.presets import resolve_agent_config

    try:  # types, finite numbers, ranges and the config class's own checks
        resolve_agent_config(cls, cell.env, overrides)
    except HfrlError as err:
        text = str(err)
        key = next((k for k in overrides if f".{k} " in text or f"{k!r}" in text), None)
        key = key or next(iter(overrides), None)
        where = origin[f"set.{key}"] if key else ("agents", cell.agent)
        raise ck.error(where, f"agent {cell.agent!r} on {cell.env}: {text}") from err


def _check_agent_on_env(
    ck: _Checker,
    cls: type,
    cell: Cell,
    spaces: tuple[Any, Any],
    where: tuple[str, ...],
    value: str,
    origin: dict[str, tuple[str, ...]],
) -> None:
    """Build a scalar agent on the env (its own checks run); check a learner's action kind."""
    import gymnasium as gym

    obs_space, action_space = spaces
    if getattr(cls, "feedback_kind", None) == "scalar":
        from hfrl.training.scalar_loop import build_agent

        try:
            build_agent(
                cell.agent,
                cell.env,
                obs_space,
                action_space,
                seed=0,
                overrides=cell.settings.get("set", {}),
            )
        except (HfrlError, ValueError, TypeError) as err:
            raise ck.error(
                where, f"agent {cell.agent!r} cannot run on {cell.env}: {err}", value
            ) from err
        return
    learner = str(cell.settings.get("learner", "")).upper()
    continuous = isinstance(action_space, gym.spaces.Box)
    if learner in CONTINUOUS_LEARNERS and not continuous:
        raise ck.error(
            origin["learner"],
            f"learner {learner} needs a continuous action space, but {cell.env} has {action_space}",
        )
    if learner in DISCRETE_LEARNERS and continuous:
        raise ck.error(
            origin["learner"],
            f"learner {learner} needs a discrete action space, but {cell.env} has {action_space}",
        )
