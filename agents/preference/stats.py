"""What a preference agent reports about itself, under names it promises.

:meth:`PreferenceAgent.stats() <hfrl.agents.preference.agent.PreferenceAgent.stats>` returns
a :class:`PreferenceStats`; a GUI, a progress display and the logger read its fields
instead of guessing dictionary keys. :data:`LOG_KEYS` names each field in the SB3 logger.

>>> from hfrl.agents.preference.stats import PreferenceStats
>>> PreferenceStats(env_steps=1000, labels_asked=20, labels_answered=18).labels_pending
2
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = [
    "LOG_KEYS",
    "PreferenceStats",
    "log_values",
]


@dataclass(frozen=True)
class PreferenceStats:
    """A snapshot of a preference agent's training (counts since it was created)."""

    env_steps: int = 0
    """Env steps taken (random policy, pretraining and learner)."""
    episodes: int = 0
    """Training episodes finished."""
    labels_asked: int = 0
    """Comparisons asked of the teacher or person."""
    labels_answered: int = 0
    """Answers received (skips included)."""
    labels_skipped: int = 0
    """Answers that were skips (not trained on)."""
    labels_kept: int = 0
    """Labels the reward model trains on (the capped label set)."""
    reward_fits: int = 0
    """Reward-model fits so far."""
    val_accuracy: float | None = None
    """Held-out accuracy of the last fit (None before a fit with a validation split)."""
    val_loss: float | None = None
    """Held-out Bradley–Terry loss of the last fit, mean over members."""
    train_loss: float | None = None
    """Training loss of the last fit, mean over members."""
    l2_coef: float | None = None
    """L2 coefficient after the last fit, mean over members (adapted to keep validation
    loss 1.1-1.5× training loss)."""
    learned_return: float | None = None
    """Learned return of recent training episodes, mean (what the learner is optimising)."""
    true_return: float | None = None
    """True (env) return of the same episodes, mean."""
    greedy_return: float | None = None
    """Best greedy evaluation on the true reward so far (None: never evaluated)."""

    @property
    def labels_pending(self) -> int:
        """Comparisons asked and not answered yet."""
        return max(0, self.labels_asked - self.labels_answered)

    def as_dict(self) -> dict[str, float | int | None]:
        """The fields as a plain dict (JSON-ready)."""
        return asdict(self)


LOG_KEYS: dict[str, str] = {
    "labels_asked": "reward/labels_asked",
    "labels_answered": "reward/labels_answered",
    "labels_skipped": "reward/labels_skipped",
    "reward_fits": "reward/fits",
    "val_accuracy": "reward/val_accuracy",
    "val_loss": "reward/val_loss",
    "train_loss": "reward/train_loss",
    "l2_coef": "reward/l2_coef",
    "learned_return": "reward/learned_return",
    "true_return": "reward/true_return",
    "greedy_return": "eval/greedy_return",
}
"""Field of :class:`PreferenceStats` -> its key in the SB3 logger."""


def log_values(stats: PreferenceStats) -> dict[str, float]:
    """The logger's ``{key: value}`` for ``stats`` (fields not known yet are left out)."""
    out = {}
    for name, key in LOG_KEYS.items():
        value = getattr(stats, name)
        if value is not None and math.isfinite(float(value)):
            out[key] = float(value)
    return out
