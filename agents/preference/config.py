"""Configuration of the preference agent (Christiano et al. 2017; DESIGN.md §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hfrl.envs.suites import is_atari

from hfrl.errors import HfrlError, unknown_name

__all__ = [
    "LEARNER_NAMES",
    "SELECTIONS",
    "PreferenceConfig",
    "default_segment_length",
]

LEARNER_NAMES = ("ppo", "a2c", "sac", "td3", "ddpg", "dqn")
"""The SB3 algorithms the agent builds by name (``auto`` picks SAC or PPO)."""
SELECTIONS = ("disagreement", "uniform", "entropy", "predictive-entropy")
"""Query-selection rules (:mod:`hfrl.agents.preference.queries`): variance of the members'
P(left ≻ right), random pairs, B-Pref's mean of member entropies, entropy of the mean P."""


@dataclass(frozen=True)
class PreferenceConfig:
    """How a :class:`hfrl.agents.preference.PreferenceAgent` learns; every field has a default.

    >>> PreferenceConfig(learner="sac", learner_kwargs={"verbose": 1}).learner
    'sac'
    """

    learner: str = "auto"
    """SB3 algorithm: ``ppo``, ``a2c``, ``sac``, ``td3``, ``ddpg``, ``dqn``, or ``auto``
    (SAC for continuous actions, PPO otherwise). Another algorithm: pass your own model."""
    learner_kwargs: dict[str, Any] = field(default_factory=dict)
    """Overrides of the learner's tuned preset (SB3 constructor arguments; ``"lin_1e-3"``
    strings give linear schedules)."""
    n_envs: int = 0
    """Parallel envs the learner steps (0: the preset's number)."""
    segment_length: int = 0
    """Steps per clip (0: 25 for Atari, else about 1.5 s of the env's display rate, 10-50)."""
    oversample: int = 10
    """Candidate pairs sampled per query asked (Christiano: 10×)."""
    selection: str = "disagreement"
    """Query selection: ``disagreement``, ``uniform``, ``entropy`` (B-Pref: mean of the
    members' entropies) or ``predictive-entropy`` (entropy of the ensemble-mean P)."""
    random_policy_share: float = 0.25
    """Share of the label budget asked first, on clips of a uniformly random policy."""
    random_policy_steps: int = 0
    """Env steps of the random policy before learning (0: 2 clip lengths per label, at most 10% of the run)."""
    schedule_c: float = 0.1
    """Label rate ∝ c/(T+c); c as a fraction of the training steps."""
    label_horizon: float = 0.75
    """All labels are asked by this fraction of the training steps (later ones would not be
    learned from)."""
    query_rounds: int = 12
    """Labels after the random-policy batch are asked in about this many rounds."""
    label_buffer: int = 3000
    """Most recent labels kept for reward training (older ones are dropped)."""
    pool_size: int = 0
    """Recent clips kept as query candidates (0: 1000 for vectors, 100 for frames)."""
    ensemble_members: int = 3
    """Reward models in the ensemble."""
    reward_hidden: tuple[int, ...] = (64, 64)
    """Hidden widths of the reward MLP (vector observations)."""
    reward_train: dict[str, Any] = field(default_factory=dict)
    """Overrides of :class:`hfrl.reward.TrainConfig` (epochs, lr, answer_noise, ...)."""
    refit_epochs: int = 5
    """Epochs of each fit after the first (which trains :class:`~hfrl.reward.TrainConfig`'s
    50), at least ``refit_min_steps`` minibatch steps: a refit starts from the last weights
    and only has to take in the new labels, so its cost need not grow with the label set."""
    refit_min_steps: int = 100
    """Fewest minibatch steps of a refit (all of a small label set's refits take this many)."""
    relabel_buffer: bool = True
    """Off-policy learners: rewrite the replay buffer's rewards after each reward update."""
    pretrain_steps: int = 0
    """Unsupervised exploration before the first labels (PEBBLE): learner steps on a
    state-entropy reward; 0 turns it off."""
    entropy_k: int = 5
    """k of the k-nearest-neighbour state-entropy estimate used in pretraining."""
    keep_frames: bool = False
    """Render and keep RGB frames in clips (for a person comparing them in the GUI)."""
    frame_envs: int = 0
    """With ``keep_frames``: render only the first this many sub-envs, and query only their
    clips (0: all). A GUI needs few clips; rendering every sub-env slows the learner."""
    max_pending: int = 20
    """Most queries waiting for a person at once (a GUI label source)."""
    device: str = "auto"
    """Torch device of the learner and the reward ensemble."""

    def __post_init__(self) -> None:
        if str(self.learner).strip().lower() not in ("auto", *LEARNER_NAMES):
            raise unknown_name("learner", str(self.learner), ("auto", *LEARNER_NAMES))
        if self.selection not in SELECTIONS:
            raise HfrlError(
                f"unknown query selection {self.selection!r}; use one of {', '.join(SELECTIONS)}"
            )
        if not 0.0 <= self.random_policy_share < 1.0:
            raise HfrlError(
                f"random_policy_share must be in [0, 1), got {self.random_policy_share}"
            )
        if self.oversample < 1 or self.query_rounds < 1 or self.ensemble_members < 1:
            raise HfrlError("oversample, query_rounds and ensemble_members must be at least 1")
        if not 0.0 < self.label_horizon <= 1.0:
            raise HfrlError(f"label_horizon must be in (0, 1], got {self.label_horizon}")
        if self.schedule_c <= 0:
            raise HfrlError(f"schedule_c must be positive, got {self.schedule_c}")
        if self.refit_epochs < 1 or self.refit_min_steps < 0:
            raise HfrlError("refit_epochs must be at least 1 and refit_min_steps at least 0")
        if self.label_buffer < 1:
            raise HfrlError(f"label_buffer must be at least 1, got {self.label_buffer}")
        if min(self.n_envs, self.segment_length, self.pool_size, self.pretrain_steps) < 0:
            raise HfrlError("n_envs, segment_length, pool_size and pretrain_steps must be >= 0")
        if self.frame_envs < 0:
            raise HfrlError(f"frame_envs must be >= 0, got {self.frame_envs}")


def default_segment_length(env_id: str, fps: float) -> int:
    """25 steps for Atari (Christiano), else about 1.5 s at ``fps``, kept within 10-50."""
    if is_atari(env_id):
        return 25
    return int(min(50, max(10, round(1.5 * fps))))
