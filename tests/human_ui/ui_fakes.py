"""Small stand-ins for the agents, used only to drive the apps in tests."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hfrl.types import Feedback, Scalar, Step


class CountingAgent:
    """A scalar agent whose preference for an action is the sum of ratings its steps got.

    A rating credits the last step observed before it (enough to check the app's wiring).
    """

    feedback_kind: ClassVar[str] = "scalar"
    name: ClassVar[str] = "counting"

    def __init__(self, n_actions: int = 3, update_seconds: float = 0.0) -> None:
        self.h = np.zeros(n_actions)
        self.steps: list[Step] = []
        self.given: list[Scalar] = []
        self.given_at: list[float] = []
        self.updates = 0
        self.update_seconds = update_seconds
        self.threads: set[str] = set()

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        return int(np.argmax(self.h)) if self.h.any() else len(self.steps) % len(self.h)

    def observe(self, step: Step) -> None:
        self.steps.append(step)

    def give(self, feedback: Feedback) -> None:
        import time

        assert isinstance(feedback, Scalar)
        self.given.append(feedback)
        self.given_at.append(time.monotonic())
        if self.steps:
            self.h[int(self.steps[-1].action)] += feedback.value

    def update(self) -> dict[str, float]:
        import time

        self.threads.add(threading.current_thread().name)
        if self.update_seconds:
            time.sleep(self.update_seconds)
        self.updates += 1
        return {"updates": float(self.updates)}

    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        return self.h.copy()

    def save(self, directory: str | Path) -> None:
        Path(directory, "h.json").write_text(json.dumps(self.h.tolist()))

    @classmethod
    def load(cls, directory: str | Path) -> CountingAgent:
        h = json.loads(Path(directory, "h.json").read_text())
        agent = cls(len(h))
        agent.h = np.asarray(h, dtype=float)
        return agent


def fake_env(env_id: str = "MountainCar-v0", seed: int = 0) -> Any:
    import gymnasium as gym

    return gym.make(env_id, render_mode="rgb_array")
