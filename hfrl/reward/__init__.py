"""Reward models learned from preferences: the batched ensemble, its training, and the
reward a learner sees (:class:`LearnedReward`)."""

from hfrl.reward.ensemble import RewardEnsemble, RewardEnsembleConfig
from hfrl.reward.learned import LearnedReward
from hfrl.reward.networks import EnsembleCNN, EnsembleMLP, RewardCNN, RewardMLP
from hfrl.reward.spec import InputSpec
from hfrl.reward.training import (
    PreferenceDataset,
    TrainConfig,
    bradley_terry_loss,
    pad_pairs,
    pad_segment,
)

__all__ = [
    "EnsembleCNN",
    "EnsembleMLP",
    "InputSpec",
    "LearnedReward",
    "PreferenceDataset",
    "RewardCNN",
    "RewardEnsemble",
    "RewardEnsembleConfig",
    "RewardMLP",
    "TrainConfig",
    "bradley_terry_loss",
    "pad_pairs",
    "pad_segment",
]
