"""One table of defaults per (agent, env): display rate, credit window, learning rates, ...

Every entry point reads it: ``hfrl train``, ``hfrl teach``, ``hfrl bench``, the benchmark
scripts and the tests. A row names an agent (its registered name), an env (an exact id, a
family pattern such as ``ALE/*``, or ``*``), the settings it sets and where they come
from. Settings are the agent's config fields plus the run-level keys of :data:`RUN_KEYS`
(``fps``: the display rate a person, or the simulated trainer, watches at).

For one (agent, env) the matching rows are merged from the least to the most specific
(``*``, then a family pattern, then the exact id); an explicit option (``--set``,
``--fps``) always wins over the table. :func:`resolve_agent_config` returns the config and,
for every field that differs from the class default, whether the table or the user set it;
``hfrl train`` writes that into the run's summary (``agent_config_sources``).

The defaults serve a person: a value that only helps because of how a simulated trainer
behaves does not belong here (see each row's ``source``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hfrl.config import config_from_dict
from hfrl.errors import HfrlError

RUN_KEYS = ("fps", "teacher", "steps", "labels")
"""Settings of a row that belong to the run, not to the agent's config: the display rate,
the simulated teacher ``hfrl train`` uses when ``--teacher`` is not given, and a preference
run's budget (env steps and comparisons) when ``--steps`` or ``--labels`` is not given."""

FROM_TABLE = "preset"
"""Source of a setting that the presets table gave."""
FROM_USER = "user"
"""Source of a setting that an explicit option gave."""
FROM_DEFAULT = "default"
"""Source of a run setting that neither an option nor the table gave (the caller's fallback)."""


@dataclass(frozen=True)
class PresetRow:
    """Defaults of one agent on one env (or family of envs)."""

    agent: str
    """Registered agent name (``tamer``, ``deep-coach``, ``preference``, ...)."""
    env: str
    """Exact env id, a family pattern (``ALE/*``), or ``*`` for every env."""
    settings: Mapping[str, Any]
    """Agent config fields and run keys (:data:`RUN_KEYS`) this row sets."""
    source: str
    """Where the values come from (a paper, a measured pilot, a slow check)."""
    notes: Mapping[str, str] = field(default_factory=dict)
    """Optional: why one setting has its value."""

    @property
    def specificity(self) -> int:
        """0 for ``*``, 1 for a family pattern, 2 for an exact env id."""
        if self.env == "*":
            return 0
        return 1 if any(ch in self.env for ch in "*?[") else 2

    def matches(self, agent: str, env_id: str) -> bool:
        """Whether this row applies to ``agent`` on ``env_id``."""
        return self.agent == agent and fnmatch.fnmatchcase(env_id, self.env)


KNOX_WINDOW = {"delay_min": 0.2, "delay_max": 0.8}
"""Knox & Stone's TAMER reaction window (uniform over 0.2-0.8 s)."""
WARNELL_WINDOW = {"delay_min": 0.2, "delay_max": 4.0}
"""Warnell et al.'s Deep TAMER window (uniform over 0.2-4 s)."""

PRESETS: tuple[PresetRow, ...] = (
    # ------------------------------------------------------------------ TAMER
    PresetRow(
        "tamer",
        "*",
        {**KNOX_WINDOW},
        "Knox & Stone 2009 (reference code): delay window uniform over [0.2, 0.8] s",
    ),
    PresetRow(
        "tamer",
        "CartPole-v1",
        {"fps": 3.0},
        "tests/slow/test_tamer_quality.py (human trainer, 30 episodes: 500 on seeds 0-2 at "
        "3 fps; at 4 fps seeds 1 and 2 stay under 30): a rating then covers about two steps "
        "(CartPole's own 50 fps would smear it over ~30 steps whose right action differs)",
    ),
    PresetRow(
        "tamer",
        "MountainCar-v0",
        {"fps": 30.0},
        "MountainCar's own rate (suites classic/quick, slow check at 30 fps)",
    ),
    PresetRow("tamer", "Acrobot-v1", {"fps": 5.0}, "suite classic and slow check (5 fps)"),
    PresetRow("tamer", "LunarLander-v3", {"fps": 10.0}, "suite classic (10 fps)"),
    # ------------------------------------------------------------------ Deep TAMER
    PresetRow(
        "deep-tamer",
        "*",
        {**WARNELL_WINDOW, "worker": "off"},
        "Warnell et al. 2018: delay window uniform over [0.2, 4] s; worker off: a run on the "
        "simulated clock updates inline (nobody waits, and learning must not depend on the "
        "machine's speed); the teach app passes worker='on' (its base wins over the table)",
    ),
    PresetRow(
        "deep-tamer",
        "CartPole-v1",
        {"fps": 3.0, **KNOX_WINDOW},
        "tests/slow/test_tamer_quality.py (human trainer, 50 episodes: 500 on seeds 0-2 at 3 "
        "fps, TAMER's rate; at 4 fps 56/35/59); on a low-dimensional task a person reacts "
        "within Knox & Stone's 0.2-0.8 s, and Warnell's 4 s would smear each rating over 12 "
        "steps",
    ),
    PresetRow(
        "deep-tamer",
        "MountainCar-v0",
        {"fps": 30.0, "explore": 0.05, **KNOX_WINDOW},
        "suite classic (pilot: greedy-only stays near -190 on seed 0, -165 with 5% explore)",
    ),
    PresetRow(
        "deep-tamer",
        "Acrobot-v1",
        {"fps": 5.0, "explore": 0.05, **KNOX_WINDOW},
        "suite classic (pilot: -230 greedy-only, -137 with 5% explore on seed 0)",
    ),
    PresetRow(
        "deep-tamer",
        "LunarLander-v3",
        {"fps": 10.0, "explore": 0.05, **KNOX_WINDOW},
        "suite classic (10 fps, 5% explore)",
    ),
    PresetRow(
        "deep-tamer",
        "ALE/*",
        {
            "fps": 15.0,
            "lr": 1e-4,
            "hidden": (256,),
            "normalize_frames": 2000,
            "dueling": True,
            "explore": 0.05,
            "replay_every": 5,
            "teacher": "human-atari",
        },
        "experiments/benchmarks/deep_tamer_bowling.py (Bowling: standardised CNN input, "
        "dueling head, 5% explore, replay every 5; 15 fps = the console's 60 Hz / 4 frames); "
        "credit window: Warnell et al.'s [0.2, 4] s, not the benchmark's trainer-matched 1.4 s; "
        "simulated trainer human-atari (judges what 3.2 s of play visibly led to, rated moments "
        "0.2-4 s before the press, as Warnell et al.'s window describes people)",
    ),
    # ------------------------------------------------------------------ COACH
    PresetRow(
        "coach",
        "*",
        {**KNOX_WINDOW},
        "MacGlashan et al. 2017 / Knox & Stone: a person's delay varies over 0.2-0.8 s",
    ),
    PresetRow(
        "coach",
        "CartPole-v1",
        {"fps": 10.0},
        "tests/slow/test_coach_quality.py and suites classic/quick (10 fps, a comfortable "
        "rate for a person on CartPole)",
    ),
    PresetRow("coach", "MountainCar-v0", {"fps": 30.0}, "MountainCar's own rate (slow check)"),
    PresetRow("coach", "Acrobot-v1", {"fps": 5.0}, "suite classic (5 fps)"),
    PresetRow("coach", "LunarLander-v3", {"fps": 10.0}, "suite classic (10 fps)"),
    # ------------------------------------------------------------------ Deep COACH
    PresetRow(
        "deep-coach",
        "*",
        {"credit": "window", **KNOX_WINDOW, "worker": "off"},
        "DESIGN.md §5: window credit is the suite's default (a person's 0.2-0.8 s delay "
        "defeats a fixed offset); Arumugam et al.'s trace form stays an option; worker off "
        "on the simulated clock (the teach app passes worker='on'), as for deep-tamer",
    ),
    PresetRow(
        "deep-coach",
        "CartPole-v1",
        {"fps": 10.0, "lr": 6e-3, "entropy_coef": 0.1},
        "tests/slow/test_coach_quality.py (human-pd, 60 episodes, seeds 0-2: 500 at 10 fps, "
        "20 fps and the env's own 50 fps; lr 3e-3 gave 328 at 50 fps, where 60 episodes are "
        "only ~30 simulated seconds and 34 ratings) and suite classic (β 0.1)",
    ),
    PresetRow(
        "deep-coach",
        "MountainCar-v0",
        {"fps": 30.0, "lr": 3e-3, "entropy_coef": 0.1},
        "suite classic (settings of the CartPole check)",
    ),
    PresetRow(
        "deep-coach",
        "Acrobot-v1",
        {"fps": 15.0, "lr": 3e-3, "entropy_coef": 0.1},
        "suite classic (pilot: at 5 fps the trainer tires over 66 simulated min and stops)",
    ),
    PresetRow(
        "deep-coach",
        "LunarLander-v3",
        {"fps": 10.0, "lr": 3e-3, "entropy_coef": 0.1},
        "suite classic (10 fps)",
    ),
    PresetRow(
        "deep-coach",
        "ALE/*",
        {
            "fps": 15.0,
            "lr": 1e-4,
            "hidden": (256,),
            "normalize_frames": 2000,
            "entropy_coef": 0.1,
            "teacher": "human-pd-atari",
        },
        "experiments/benchmarks/deep_coach_atari.py (lr 1e-4, head [256], 15 fps; the CNN input "
        "standardised by 2000 random-policy frames, as Deep TAMER's, so Bowling's ball shows; "
        "entropy β 0.1 as on the control tasks: at the paper's 1.5 the policy stayed near "
        "uniform, sampled score = random's, and greedy followed noise); simulated trainer "
        "human-pd-atari (punishes a stall: seed 2 held the ball with human-pd)",
    ),
    # ------------------------------------------------------------------ TAMER+RL
    PresetRow(
        "tamer-rl",
        "*",
        {**KNOX_WINDOW},
        "Knox & Stone 2010/2012: Ĥ is TAMER's, with its 0.2-0.8 s delay window; β per "
        "combination: hfrl.agents.tamer_rl.BETA_DEFAULTS",
    ),
    PresetRow(
        "tamer-rl",
        "MountainCar-v0",
        {
            "fps": 30.0,
            "combination": "action-biasing",
            "rl_start": "after-ratings",
            "q_init_from_h": 10.0,
            "beta_schedule": "until-matched",
        },
        "experiments/results/tamer_rl/candidates.md (human trainer, seeds 0-5, -140 reached "
        "and held): action biasing (β 10, x0.98) after TAMER's rated episodes, Q started at "
        "10·Ĥ, Ĥ's greedy policy until the combination's env returns match; never later than "
        "TAMER alone on seeds 0-8; tests/slow/test_tamer_rl_quality.py",
    ),
    PresetRow(
        "tamer-rl",
        "CartPole-v1",
        {"fps": 3.0, "initial_q": 100.0, "gamma": 0.99},
        "fps as TAMER's CartPole row (a rating covers about two steps); SARSA(λ) starts "
        "optimistic, Q = 1 / (1 - γ) (pilot, RL alone, seed 0: 500 by episode 7; from Q = 0 "
        "on +1 per step it keeps one action and falls within 10 steps)",
    ),
    # ------------------------------------------------------------------ preferences
    # The learner's hyper-parameters per env are learners.learner_preset (rl-zoo's, trimmed);
    # these rows name the learner each task is checked with (tests/slow/test_preference_quality.py).
    PresetRow(
        "preference",
        "CartPole-v1",
        {"learner": "ppo", "steps": 100_000, "labels": 50},
        "slow check: 50 labels, 100k steps (rl-zoo's CartPole budget), 500 on seeds 0-5; "
        "at 50k, 4 of 6",
    ),
    PresetRow(
        "preference",
        "Pendulum-v1",
        {"learner": "sac", "steps": 10_000, "labels": 100},
        "slow check: 100 labels, 10k steps: -129 / -139 (seeds 0-1); PPO needs ~20x the steps",
    ),
    PresetRow(
        "preference",
        "MountainCar-v0",
        {"learner": "dqn", "steps": 100_000, "labels": 300},
        "rl-zoo's DQN (learners.learner_preset); PPO did not learn in 150k steps, not even on "
        "the progress teacher's own shaped reward in 50k; slow check: progress teacher",
    ),
    PresetRow(
        "preference",
        "Acrobot-v1",
        {"learner": "ppo", "steps": 100_000, "labels": 200},
        "slow check: 200 labels, 100k steps: -82.5 / -79.4 / -81.5 (seeds 0-2; while every "
        "label ties the learner explores on state entropy, PreferenceAgent.fit_reward)",
    ),
    PresetRow(
        "preference",
        "LunarLander-v3",
        {"learner": "ppo", "steps": 1_000_000, "labels": 1000},
        "rl-zoo's PPO (learners.learner_preset: 16 envs, n_steps 1024, γ 0.999); "
        "experiments/benchmarks/preference_goals.py lunarlander, 1000 labels, 1M steps: "
        "122.8 / -196.7 / 221.1 on one machine, -91.0 / -15.4 / -78.1 on another (seeds 0-2; "
        "the goal of 100 is not reached robustly; PPO on the true reward 256.4, seed 0); rl-zoo's "
        "DQN at 1e5 steps reached 171 at 60k, then -108 (seed 0)",
    ),
    # ------------------------------------------------- default simulated teachers
    *(
        PresetRow(agent, "*", {"teacher": teacher}, why)
        for agent, teacher, why in (
            ("tamer", "human", "the human-like trainer (Knox & Stone's 0.2-0.8 s window)"),
            ("deep-tamer", "human", "the human-like trainer (Knox & Stone's 0.2-0.8 s window)"),
            ("tamer-rl", "human", "the human-like trainer (Knox & Stone's 0.2-0.8 s window)"),
            ("coach", "human-pd", "COACH reads ratings as advantages: policy-dependent trainer"),
            (
                "deep-coach",
                "human-pd",
                "COACH reads ratings as advantages: policy-dependent trainer",
            ),
            (
                "preference",
                "oracle",
                "B-Pref's reward oracle, the benchmark default (Lee et al. 2021)",
            ),
        )
    ),
)
"""The table. Other engineers add rows (preference learners, tuned values)."""


def matching_rows(agent: str, env_id: str) -> list[PresetRow]:
    """The rows that apply to ``agent`` on ``env_id``, least specific first."""
    rows = [r for r in PRESETS if r.matches(agent, env_id)]
    return sorted(rows, key=lambda r: r.specificity)


def preset(agent: str, env_id: str) -> dict[str, Any]:
    """The table's settings for ``agent`` on ``env_id`` (config fields and run keys)."""
    out: dict[str, Any] = {}
    for row in matching_rows(agent, env_id):
        out.update(row.settings)
    return out


def preset_sources(agent: str, env_id: str) -> dict[str, str]:
    """For each setting of :func:`preset`, the ``source`` of the row that gave it."""
    out: dict[str, str] = {}
    for row in matching_rows(agent, env_id):
        out.update({k: row.source for k in row.settings})
    return out


def preset_fps(agent: str, env_id: str) -> float | None:
    """The display rate the table gives ``agent`` on ``env_id``, or None."""
    fps = preset(agent, env_id).get("fps")
    return None if fps is None else float(fps)


def preset_teacher(agent: str, env_id: str) -> str | None:
    """The simulated teacher ``hfrl train`` uses for ``agent`` on ``env_id`` by default."""
    teacher = preset(agent, env_id).get("teacher")
    return None if teacher is None else str(teacher)


def preset_budget(agent: str, env_id: str) -> tuple[int | None, int | None]:
    """The env steps and comparisons the table gives a preference run, or None each."""
    row = preset(agent, env_id)
    steps, labels = row.get("steps"), row.get("labels")
    return (None if steps is None else int(steps), None if labels is None else int(labels))


def resolve_run_setting(
    agent: str, env_id: str, key: str, explicit: Any, fallback: Any
) -> tuple[Any, str]:
    """A run setting (one of :data:`RUN_KEYS`): the explicit value, else the table's, else
    ``fallback``; and where it came from (:data:`FROM_USER`, :data:`FROM_TABLE` or
    :data:`FROM_DEFAULT`)."""
    if explicit is not None:
        return explicit, FROM_USER
    listed = preset(agent, env_id).get(key)
    if listed is not None:
        return listed, FROM_TABLE
    return fallback, FROM_DEFAULT


def resolve_fps(agent: str, env_id: str, explicit: float | None, fallback: float) -> float:
    """The display rate: an explicit one, else the table's, else ``fallback``."""
    fps, _ = resolve_run_setting(agent, env_id, "fps", explicit or None, fallback)
    return float(fps)


def agent_settings(agent: str, env_id: str, config_class: type) -> dict[str, Any]:
    """The table's settings for the config fields ``config_class`` has."""
    fields = {f.name for f in dataclasses.fields(config_class)}  # type: ignore[arg-type]
    return {k: v for k, v in preset(agent, env_id).items() if k in fields}


def resolve_agent_config(
    cls: Any,
    env_id: str,
    overrides: Mapping[str, Any] | None = None,
    base: Mapping[str, Any] | None = None,
) -> tuple[Any, dict[str, str]]:
    """The config ``cls`` runs with on ``env_id``, and where each non-default value came from.

    Args:
        cls: the agent class (``name`` and ``config_class`` attributes; a class with no
            ``config_class`` takes no settings and gets None).
        env_id: the environment.
        overrides: the user's explicit settings (``--set``); they win over the table.
        base: settings an entry point adds below the user's (the app's ``worker="on"``).

    Returns:
        The config and ``{field: "preset" | "user"}`` for every field whose value differs
        from the class default (``base`` values count as the entry point's: ``"app"``).

    Raises:
        HfrlError: an unknown field in ``overrides``, or settings for an agent that has none.
    """
    overrides = dict(overrides or {})
    config_class = getattr(cls, "config_class", None)
    if config_class is None:
        if overrides:
            raise HfrlError(f"agent {getattr(cls, 'name', cls)} takes no --set options")
        return None, {}
    table = agent_settings(str(cls.name), env_id, config_class)
    merged: dict[str, Any] = {**table, **dict(base or {}), **overrides}
    config = config_from_dict(config_class, merged)
    default = config_class()
    sources: dict[str, str] = {}
    for f in dataclasses.fields(config_class):
        if getattr(config, f.name) == getattr(default, f.name):
            continue
        if f.name in overrides:
            sources[f.name] = FROM_USER
        elif base and f.name in base:
            sources[f.name] = "app"
        elif f.name in table:
            sources[f.name] = FROM_TABLE
    return config, sources
