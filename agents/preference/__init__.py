"""Preference learning (Christiano et al. 2017) with any Stable-Baselines3 learner.

The parts, in the order one round of :meth:`PreferenceAgent.learn` uses them:

- :mod:`~hfrl.agents.preference.segments`: collect clips from the learner's rollouts;
- :mod:`~hfrl.agents.preference.queries`: select the pairs worth asking;
- :mod:`~hfrl.agents.preference.labels`: ask them (a teacher or a person) and keep the answers;
- :mod:`hfrl.reward`: fit the reward ensemble on the answers;
- :mod:`~hfrl.agents.preference.learners`: train the SB3 learner on the learned reward
  (:mod:`~hfrl.agents.preference.pebble` for PEBBLE's pretraining and relabelling).

>>> from hfrl.agents.preference import PreferenceAgent, PreferenceConfig
>>> agent = PreferenceAgent("CartPole-v1", config=PreferenceConfig(device="cpu"))
>>> agent.learner_name
'ppo'
"""

from hfrl.agents.preference.agent import PreferenceAgent, default_segment_length
from hfrl.agents.preference.config import LEARNER_NAMES, SELECTIONS, PreferenceConfig
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

__all__ = [
    "LEARNERS",
    "LEARNER_NAMES",
    "SELECTIONS",
    "LabelSchedule",
    "LabelSet",
    "LabelSource",
    "PreferenceAgent",
    "PreferenceConfig",
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
