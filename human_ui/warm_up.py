"""The stand-in that drives the teach app while the real agent loads.

It acts at random, learns nothing and keeps no step history, so the live loop keeps one
(over the delay window the presets table gives the agent on this env) and stores each
rating with its credit at once; the app gives the stored ratings to the agent when it
attaches (:func:`hfrl.live_resume.replay_missed`). Importing this module loads no agent.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from hfrl.presets import preset


class WarmUpPolicy:
    """Random actions, no learning: what the teach app runs before its agent is ready."""

    feedback_kind = "scalar"
    warm_up = True

    def __init__(self, action_space: Any, agent_name: str, env_id: str, seed: int = 0) -> None:
        self.action_space = action_space
        self.name = agent_name
        self.rng = np.random.default_rng(seed)
        rows = preset(agent_name, env_id)
        self.config = SimpleNamespace(
            delay_min=rows.get("delay_min"), delay_max=rows.get("delay_max")
        )

    def act(self, obs: Any, greedy: bool = False) -> int:
        """A random action."""
        del obs, greedy
        return int(self.rng.integers(int(self.action_space.n)))

    def observe(self, step: Any) -> None:
        """Nothing to learn."""

    def action_preferences(self, obs: Any) -> None:
        """None: no preferences to show yet."""
        return None

    def give(self, feedback: Any, credit: Any = None) -> None:
        """Nothing: the rating is in the store and reaches the agent when it attaches."""

    def update(self) -> dict[str, float]:
        """No learning."""
        return {}
