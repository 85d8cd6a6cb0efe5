"""Simulated teachers (DESIGN.md §6): B-Pref preference teachers and scalar trainers."""

from hfrl.teachers.oracles import ExpertAgreementOracle, ScalarOracle
from hfrl.teachers.preference import (
    PREFERENCE_PRESETS,
    BPrefTeacher,
    PreferenceTeacherConfig,
    scale_from_episode_return,
)
from hfrl.teachers.presets import (
    make_teacher,
    register_teacher,
    teacher_kind,
    teacher_names,
    teacher_params,
)
from hfrl.teachers.scalar import SCALAR_PRESETS, FeedbackQueue, ScalarTrainer, ScalarTrainerConfig

__all__ = [
    "PREFERENCE_PRESETS",
    "SCALAR_PRESETS",
    "BPrefTeacher",
    "ExpertAgreementOracle",
    "FeedbackQueue",
    "PreferenceTeacherConfig",
    "ScalarOracle",
    "ScalarTrainer",
    "ScalarTrainerConfig",
    "make_teacher",
    "register_teacher",
    "scale_from_episode_return",
    "teacher_kind",
    "teacher_names",
    "teacher_params",
]
