"""The base of every live-rating agent (TAMER, Deep TAMER, COACH, Deep COACH).

:class:`LiveAgent` owns what they share (DESIGN.md §4):

- the constructor contract ``cls(env_id, observation_space, action_space, config, seed)``,
  the discrete-action check, the seeded generator and the counters;
- the step history, one :class:`hfrl.credit.StepHistory`: :meth:`LiveAgent.record` puts a
  shown step in it with the agent's payload (``_payload``), :meth:`LiveAgent.credit` turns
  a rating into its :class:`~hfrl.credit.Credit`, and :meth:`LiveAgent.give` learns from
  that very object (``_learn``), so what a live loop stores is what the agent learns from;
- SB3's ``predict`` contract (batched observations in, ``(actions, None)`` out), so
  ``stable_baselines3.common.evaluation.evaluate_policy`` runs on any live agent, and the
  class flag :attr:`LiveAgent.preferences_are_policy`;
- save/load as a template: ``agent.json`` (config, spaces, counters, the generator's
  state, the subclass's ``_meta``), ``history.npz`` (the step history, so a rating after a load still reaches the
  steps shown before it), then the subclass's ``_save_state`` / ``_load_state`` hooks.
  Nothing is unpickled: JSON, ``np.load(allow_pickle=False)`` and weights-only torch files.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import deque
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from hfrl.agents.common import (
    check_discrete,
    load_meta,
    save_meta,
    space_from_dict,
    space_to_dict,
)

from hfrl.credit import Credit, ShownStep, StepHistory, UniformDelay
from hfrl.errors import HfrlError
from hfrl.types import Feedback, Scalar, Step

HISTORY_FILE = "history.npz"
"""The saved step history of a live agent."""
COUNTERS = ("steps_seen", "episodes_seen", "feedback_count", "updates")
"""The counters every live agent keeps and saves."""


class LiveAgent(ABC):
    """Base of the live-rating agents (see the module docstring).

    Args:
        env_id: environment id.
        observation_space: the env's observation space (a gymnasium Box).
        action_space: a Discrete space.
        config: the subclass's config (its ``config_class`` defaults when None).
        seed: seed of the agent's generator.
    """

    feedback_kind: ClassVar[str] = "scalar"
    name: ClassVar[str]
    config_class: ClassVar[type]
    preferences_are_policy: ClassVar[bool] = False
    """Whether :meth:`action_preferences` is a policy π(·|s) (COACH) rather than values (Ĥ)."""

    def __init__(
        self,
        env_id: str,
        observation_space: Any,
        action_space: Any,
        config: Any = None,
        seed: int = 0,
    ) -> None:
        self.config = config if config is not None else self.config_class()
        self.env_id = env_id
        self.seed = int(seed)
        self.observation_space = observation_space
        self.n_actions = check_discrete(env_id, observation_space, action_space, self.name)
        self.rng = np.random.default_rng(seed)
        self.steps_seen = 0
        self.episodes_seen = 0
        self.feedback_count = 0
        self.updates = 0
        self.history = self._make_history()
        self._recorded: deque[tuple[Step, ShownStep]] = deque(maxlen=8)
        self._record_lock = threading.Lock()
        self._setup()

    def _setup(self) -> None:  # noqa: B027 - optional hook
        """The subclass's models and state, built at the end of the constructor."""

    # ------------------------------------------------------------------ hooks
    def _make_history(self) -> StepHistory:
        """The step history; window credit over ``config.delay_min``..``delay_max``."""
        c = self.config
        return StepHistory(UniformDelay(c.delay_min, c.delay_max))

    @abstractmethod
    def _payload(self, step: Step) -> dict[str, Any]:
        """What the agent keeps of a shown step to learn from it later."""

    def _on_observe(self, step: Step, shown: ShownStep) -> None:  # noqa: B027 - optional hook
        """Learning work when a step has been observed (after the counters moved)."""

    @abstractmethod
    def _learn(self, feedback: Scalar, credit: Credit) -> None:
        """Learn from one rating and the steps it credits."""

    @abstractmethod
    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """Per-action preferences in state ``obs``: Ĥ(s, ·), or π(·|s) for policy agents."""

    @abstractmethod
    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """The action to take in ``obs`` (the greedy one if ``greedy``)."""

    # ------------------------------------------------------------------ the live path
    def record(self, step: Step) -> ShownStep:
        """Put ``step`` in the step history at ``step.t_wall`` (once; idempotent per step).

        A live loop calls it when the step starts being shown, so a rating that arrives
        before :meth:`observe` still credits it; :meth:`observe` records it otherwise.
        """
        with self._record_lock:  # the apps record on the UI thread, observe on a worker
            for seen, shown in self._recorded:
                if seen is step:
                    return shown
            shown = self.history.record(float(step.t_wall), self._payload(step), int(step.episode))
            self._recorded.append((step, shown))
            return shown

    def observe(self, step: Step) -> None:
        """One step the agent took: record it (if not yet), count it, then ``_on_observe``."""
        shown = self.record(step)
        self.steps_seen += 1
        if step.done:
            self.episodes_seen += 1
        self._on_observe(step, shown)

    def credit(self, feedback: Scalar) -> Credit:
        """The credited steps of a rating (its value accumulates into their labels)."""
        return self.history.credit(float(feedback.t_wall), float(feedback.value))

    def give(self, feedback: Feedback, credit: Credit | None = None) -> None:
        """Learn from a rating; ``credit`` is its :meth:`credit` if a live loop computed it."""
        if not isinstance(feedback, Scalar):
            raise HfrlError(
                f"{self.name} learns from scalar ratings, not {type(feedback).__name__}"
            )
        self.feedback_count += 1
        self._learn(feedback, credit if credit is not None else self.credit(feedback))

    def update(self) -> dict[str, float]:
        """Deferred learning (none by default); statistics."""
        return {"feedback": float(self.feedback_count), "updates": float(self.updates)}

    # ------------------------------------------------------------------ SB3 contract
    def predict(
        self,
        observation: Any,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, None]:
        """Actions for a batch of observations (SB3's ``predict``): ``(actions, None)``.

        An unbatched observation (the space's own shape) gives a 0-d action array.
        """
        obs = np.asarray(observation)
        shape = tuple(getattr(self.observation_space, "shape", ()) or ())
        batched = obs.shape != shape
        batch = obs if batched else obs[None]
        actions = np.asarray([self.act(o, greedy=deterministic) for o in batch], dtype=np.int64)
        return (actions if batched else actions[0]), None

    # ------------------------------------------------------------------ persistence
    def _meta(self) -> dict[str, Any]:
        """Extra ``agent.json`` fields of the subclass."""
        return {}

    def _save_state(self, directory: Path) -> None:  # noqa: B027 - optional hook
        """Write the subclass's own files (weights, traces, buffers)."""

    def _load_state(self, directory: Path, meta: dict[str, Any]) -> None:  # noqa: B027
        """Read back what :meth:`_save_state` wrote."""

    def save(self, directory: str | Path) -> None:
        """Write ``agent.json``, ``history.npz`` and the subclass's files."""
        d = save_meta(
            directory,
            self,
            observation_space=space_to_dict(self.observation_space),
            n_actions=self.n_actions,
            **{k: getattr(self, k) for k in COUNTERS},
            rng_state=self.rng.bit_generator.state,
            **self._meta(),
        )
        np.savez_compressed(d / HISTORY_FILE, **self.history.state())
        self._save_state(d)

    @classmethod
    def _build_from_meta(cls, meta: dict[str, Any], config: Any, **options: Any) -> LiveAgent:
        """A fresh agent for a save's metadata (subclasses adjust the config first)."""
        import gymnasium as gym

        return cls(
            meta["env_id"],
            space_from_dict(meta["observation_space"]),
            gym.spaces.Discrete(int(meta["n_actions"])),
            config,
            int(meta["seed"]),
        )

    @classmethod
    def load(cls, directory: str | Path, **options: Any) -> Any:
        """Rebuild a saved agent; it continues exactly where it stopped."""
        d, meta, config = load_meta(directory, cls)
        agent = cls._build_from_meta(meta, config, **options)
        for k in COUNTERS:
            setattr(agent, k, int(meta.get(k, 0)))
        if isinstance(meta.get("rng_state"), dict):  # the same later tie-breaks and samples
            agent.rng.bit_generator.state = meta["rng_state"]
        if (d / HISTORY_FILE).exists():
            with np.load(d / HISTORY_FILE, allow_pickle=False) as z:
                agent.history.restore({k: z[k] for k in z.files})
        agent._load_state(d, meta)
        return agent
