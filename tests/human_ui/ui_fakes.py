"""Small stand-ins for the agents, used only to drive the apps in tests."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FakeStats:
    """The typed statistics record a preference agent reports (the names the app reads)."""

    env_steps: int
    labels: int
    fits: int
    val_accuracy: float | None


class FakePreferenceAgent:
    """A preference agent stand-in: random-policy clips into a query queue, labels kept.

    ``update()`` polls the queue's answers, keeps it filled with fresh pairs and counts
    fake training steps; ``give`` takes labels directly (resume). Saves as JSON.

    Its tiny "reward model" prefers the clip with the larger true return, more sharply the
    more labels it holds: P(left ≻ right) = sigmoid(0.3 · labels · (R_left − R_right)),
    None before the first label. Every prediction is logged in ``predictions``.
    """

    feedback_kind: ClassVar[str] = "preference"
    name: ClassVar[str] = "fake-preference"

    def __init__(
        self,
        env_id: str = "CartPole-v1",
        seed: int = 0,
        seg_len: int = 15,
        queue: Any = None,
        frames: bool = True,
    ) -> None:
        from hfrl.agents.preference.labels import QueryQueue

        self.env_id = env_id
        self.queries = queue or QueryQueue(max_pending=6)
        self.rng = np.random.default_rng(seed)
        self.env = fake_env(env_id)
        self.env.reset(seed=seed)
        self.seg_len = seg_len
        self.frames = frames
        """Clips carry display frames (False: the app draws them, as for a real learner)."""
        self.taken: Any = lambda: 0
        """Queries the app holds (set to ``app.taken`` to keep 3 unseen, as the real
        agent's chunked learning does)."""
        self.labels: list[tuple[str, str, float | None]] = []
        self.env_steps = 0
        self.updates = 0
        self.update_seconds = 0.0
        self.predictions: list[tuple[str, str, int, float | None]] = []

    def _segment(self) -> Any:
        from hfrl.types import Segment

        obs, acts, rews, frames = [], [], [], []
        o, _ = self.env.reset(seed=int(self.rng.integers(1 << 30)))
        terminated = False
        for _ in range(self.seg_len):
            a = int(self.rng.integers(2))
            frames.append(self.env.render()[::4, ::4])
            obs.append(o)
            acts.append(a)
            o, r, terminated, truncated, _ = self.env.step(a)
            rews.append(r)
            if terminated or truncated:
                break
        return Segment(
            np.array(obs),
            np.array(acts),
            np.array(rews, dtype=float),
            self.env_id,
            terminated=terminated,
            frames=np.array(frames) if self.frames else None,
        )

    def update(self) -> dict[str, float]:
        import time

        for pref in self.queries.poll():
            self.give(pref)
        if self.queries.pending() - self.taken() < 3:
            self.queries.request([(self._segment(), self._segment())])
        if self.update_seconds:
            time.sleep(self.update_seconds)
        self.env_steps += 64
        self.updates += 1
        return {"updates": float(self.updates)}

    def stats(self) -> FakeStats:
        acc = 0.5 + 0.01 * min(len(self.labels), 40) if self.labels else None
        return FakeStats(self.env_steps, len(self.labels), self.updates, acc)

    def preference_probability(self, left: Any, right: Any) -> float | None:
        k = len(self.labels)
        if k == 0:
            p = None
        else:
            z = 0.3 * k * (left.true_return - right.true_return)
            p = 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))
        self.predictions.append((left.uid, right.uid, k, p))
        return p

    def give(self, feedback: Feedback) -> None:
        self.labels.append((feedback.left.uid, feedback.right.uid, feedback.label))

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        return 0

    def observe(self, step: Step) -> None:
        pass

    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        return np.zeros(2)

    def save(self, directory: str | Path) -> None:
        Path(directory, "fake.json").write_text(
            json.dumps({"labels": self.labels, "env_steps": self.env_steps})
        )

    @classmethod
    def load(cls, directory: str | Path) -> FakePreferenceAgent:
        data = json.loads(Path(directory, "fake.json").read_text())
        agent = cls()
        agent.labels = [tuple(x) for x in data["labels"]]
        agent.env_steps = data["env_steps"]
        return agent


def make_env(env_id: str = "MountainCar-v0", render_mode: str | None = "rgb_array") -> Any:
    """A suite env drawing frames, seeded 0."""
    from hfrl.envs.make import make

    return make(env_id, seed=0, render_mode=render_mode)


def teach_app(
    session: Any,
    agent_dir: str | Path,
    agent: Any = None,
    env: Any = None,
    teacher: Any = None,
    **config: Any,
) -> Any:
    """A live-rating app on MountainCar-v0 (a :class:`CountingAgent` unless given)."""
    from hfrl.human_ui.teach import TeachApp, TeachConfig

    return TeachApp(
        agent if agent is not None else CountingAgent(3),
        env if env is not None else make_env(),
        "MountainCar-v0",
        session,
        Path(agent_dir),
        TeachConfig(**config),
        teacher=teacher,
    )


def compare_app(
    session: Any, agent_dir: str | Path, agent: Any = None, teacher: Any = None, **config: Any
) -> Any:
    """A clip-comparison app on CartPole-v1 (a :class:`FakePreferenceAgent` unless given)."""
    from hfrl.human_ui.compare import CompareApp, CompareConfig

    agent = agent if agent is not None else FakePreferenceAgent()
    return CompareApp(
        agent,
        agent.queries,
        "CartPole-v1",
        session,
        Path(agent_dir),
        CompareConfig(**config),
        teacher=teacher,
    )
