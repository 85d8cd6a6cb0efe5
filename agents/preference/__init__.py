"""Preference learning (Christiano et al. 2017) with any Stable-Baselines3 learner.

The parts, in the order one round of :meth:`PreferenceAgent.learn` uses them:

- :mod:`~hfrl.agents.preference.segments`: collect clips from the learner's rollouts;
- :mod:`~hfrl.agents.preference.queries`: select the pairs worth asking;
- :mod:`~hfrl.agents.preference.labels`: ask them (a teacher or a person) and keep the answers;
- :mod:`hfrl.reward`: fit the reward ensemble on the answers;
- :mod:`~hfrl.agents.preference.learners`: train the SB3 learner on the learned reward
  (:mod:`~hfrl.agents.preference.pebble` for PEBBLE's pretraining and relabelling).

Names are imported on first use (PEP 562): ``config`` and ``labels`` load without torch or
SB3, so a GUI can show clips before the learner is imported.

>>> from hfrl.agents.preference import PreferenceAgent, PreferenceConfig
>>> agent = PreferenceAgent("CartPole-v1", config=PreferenceConfig(device="cpu"))
>>> agent.learner_name
'ppo'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "PreferenceAgent": "agent",
    "LEARNER_NAMES": "config",
    "SELECTIONS": "config",
    "PreferenceConfig": "config",
    "PreferenceStats": "stats",
    "default_segment_length": "config",
    "LabelSchedule": "labels",
    "LabelSet": "labels",
    "LabelSource": "labels",
    "Query": "labels",
    "QueryQueue": "labels",
    "TeacherLabels": "labels",
    "LEARNERS": "learners",
    "learner_class": "learners",
    "learner_preset": "learners",
    "StateEntropyReward": "pebble",
    "relabel_replay_buffer": "pebble",
    "select_queries": "queries",
    "SegmentPool": "segments",
    "SegmentRecorder": "segments",
}
"""Exported name -> the submodule defining it."""

__all__ = [
    "LEARNERS",
    "LEARNER_NAMES",
    "SELECTIONS",
    "LabelSchedule",
    "LabelSet",
    "LabelSource",
    "PreferenceAgent",
    "PreferenceConfig",
    "PreferenceStats",
    "Query",
    "QueryQueue",
    "SegmentPool",
    "SegmentRecorder",
    "StateEntropyReward",
    "TeacherLabels",
    "default_segment_length",
    "learner_class",
    "learner_preset",
    "relabel_replay_buffer",
    "select_queries",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


if TYPE_CHECKING:
    from hfrl.agents.preference.agent import PreferenceAgent
    from hfrl.agents.preference.config import (
        LEARNER_NAMES,
        SELECTIONS,
        PreferenceConfig,
        default_segment_length,
    )
    from hfrl.agents.preference.labels import (
        LabelSchedule,
        LabelSet,
        LabelSource,
        Query,
        QueryQueue,
        TeacherLabels,
    )
    from hfrl.agents.preference.learners import LEARNERS, learner_class, learner_preset
    from hfrl.agents.preference.pebble import StateEntropyReward, relabel_replay_buffer
    from hfrl.agents.preference.queries import select_queries
    from hfrl.agents.preference.segments import SegmentPool, SegmentRecorder
    from hfrl.agents.preference.stats import PreferenceStats
