"""COACH: a softmax policy over linear features that reads live ratings as the advantage.

MacGlashan et al. (2017), "Interactive Learning from Policy-Dependent Human Feedback".
The policy is π(a|s) = softmax_a(θ_a · φ(s)) over TAMER's Gaussian RBF features
(:mod:`hfrl.agents.features`). A rating f is read as the advantage of what the agent just
did and moves θ along the eligibility trace e::

    θ ← θ + α f e

Two ways to build e (``CoachConfig.credit``):

- ``"trace"`` (the paper's real-time COACH): every step enters the trace once the human
  delay d has passed, ``e ← λ e + ∇_θ log π(a_{t−d} | s_{t−d})``. d is ``delay_steps``
  steps, or derived from wall time: a step enters ``delay_seconds`` after it was shown
  (so d follows the display rate). With ``value_lambdas`` a rating's value picks which
  trace — which λ — it applies to (the paper's per-feedback-value trace sets).
- ``"window"`` (default): the trace of a rating at t_f is the credit-weighted sum
  ``e = Σ_i w_i ∇_θ log π(a_i | s_i)``, w_i the share of step i's display interval inside
  the delay window [t_f − delay_max, t_f − delay_min] (the same
  :class:`hfrl.credit.StepHistory` as TAMER). When a person's delay varies over
  0.2–0.8 s this puts the update where the rated step can be; a fixed d cannot.

Both forms read the steps from the agent's one step history
(:class:`hfrl.agents.live_base.LiveAgent`): the trace takes them from it with
:meth:`~hfrl.credit.StepHistory.due` once the delay has passed. With the trace, the
:class:`~hfrl.credit.Credit` a rating returns (what a live loop stores) lists the steps of
the current episode's trace still in the history with their weights λ^age; the update
uses the running trace, which is that sum carried back to the episode's start.

Each update costs O(|A|·dim) and runs inside :meth:`Coach.give`, so acting never stalls;
:meth:`Coach.update` only reports statistics.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from hfrl.agents.common import (
    AGENT_FILE,
    check_vector_obs,
    greedy_choice,
    space_from_dict,
    space_to_dict,
)
from hfrl.agents.live_base import LiveAgent

from hfrl.credit import Credit, CreditedStep, ShownStep, StepHistory, UniformDelay
from hfrl.errors import HfrlError
from hfrl.types import Scalar, Step

__all__ = ["AGENT_FILE", "Coach", "CoachConfig", "space_from_dict", "space_to_dict"]
WEIGHTS_FILE = "weights.pt"
CREDIT_MODES = ("window", "trace")


@dataclass(frozen=True)
class CoachConfig:
    """Settings of a :class:`Coach` agent (defaults tuned on CartPole-v1 and MountainCar-v0)."""

    learning_rate: float = 1.0
    """α in θ ← θ + α f e. With ``normalize`` a full-credit rating of the taken action moves
    its logit in that state by about α·f·(1 − π(a|s)), whatever the feature map. With
    ``credit="trace"`` the trace sums about 1/(1 − λ) steps, so α ≈ 0.2 suits λ = 0.8."""
    normalize: bool = True
    """Divide each step's ∇ log π by ‖φ(s)‖² (a normalised step size, as in NLMS), so one
    α suits feature maps of any width or density."""
    credit: str = "window"
    """How a rating's trace is built: ``"window"`` (delay-window credit) or ``"trace"``
    (the paper's eligibility trace with a delay offset d)."""
    delay_min: float = 0.2
    """Window credit: shortest trainer reaction delay credited (seconds)."""
    delay_max: float = 0.8
    """Window credit: longest trainer reaction delay credited (seconds)."""
    trace_lambda: float = 0.8
    """Trace credit: λ of the trace used by ratings with no entry in ``value_lambdas``."""
    delay_seconds: float = 0.2
    """Trace credit: a step enters the trace this long after it was shown (d derived from
    wall time, hence from the display rate). Ignored when ``delay_steps`` is set."""
    delay_steps: int | None = None
    """Trace credit: the delay offset d in steps (overrides ``delay_seconds``)."""
    value_lambdas: tuple[tuple[float, float], ...] = ()
    """Trace credit, per-feedback-value trace sets: (rating value, λ) pairs. A rating whose
    value is listed uses the trace of that λ; others use ``trace_lambda``."""
    reset_traces_each_episode: bool = True
    """Trace credit: zero the traces when the first step of a new episode enters them."""
    rbf_centres: int = 0
    """RBF centres per dimension; 0 picks TAMER's default (40 for 2-D states, 8 above)."""
    rbf_width: float = 0.08
    """RBF standard deviation as a fraction of each dimension's range."""
    rbf_pairwise: bool | None = None
    """RBF grids over dimension pairs instead of one full grid; None: for > 2-D states."""

    def __post_init__(self) -> None:
        pairs = tuple((float(v), float(lam)) for v, lam in self.value_lambdas)
        object.__setattr__(self, "value_lambdas", pairs)  # JSON lists -> tuples
        if self.learning_rate <= 0:
            raise HfrlError(f"coach learning_rate must be positive, got {self.learning_rate}")
        if self.credit not in CREDIT_MODES:
            raise HfrlError(f"coach credit must be one of {CREDIT_MODES}, got {self.credit!r}")
        for lam in (self.trace_lambda, *(lam for _, lam in pairs)):
            if not 0.0 <= lam <= 1.0:
                raise HfrlError(f"coach trace λ must lie in [0, 1], got {lam}")
        if self.delay_seconds < 0 or (self.delay_steps is not None and self.delay_steps < 0):
            raise HfrlError("coach delay_seconds and delay_steps must be >= 0")
        if not 0.0 <= self.delay_min < self.delay_max:
            raise HfrlError(
                f"coach needs 0 <= delay_min < delay_max, got {self.delay_min}, {self.delay_max}"
            )


class SoftmaxPolicy:
    """π(a|s) = softmax(θ φ(s)) with θ of shape (n_actions, n_features)."""

    def __init__(self, n_features: int, n_actions: int, normalize: bool = False) -> None:
        self.theta = np.zeros((n_actions, n_features))
        self.normalize = normalize

    def probs(self, phi: np.ndarray) -> np.ndarray:
        """π(·|s) for the feature vector ``phi``."""
        logits = self.theta @ phi
        z = np.exp(logits - logits.max())
        return z / z.sum()

    def grad_log_pi(self, phi: np.ndarray, action: int) -> np.ndarray:
        """∇_θ log π(a|s) = (onehot(a) − π(·|s)) ⊗ φ(s), divided by ‖φ‖² if normalising."""
        coef = -self.probs(phi)
        coef[action] += 1.0
        if self.normalize:
            coef /= max(float(phi @ phi), 1e-12)
        return np.outer(coef, phi)


class DelayedTraces:
    """The paper's eligibility traces, one per λ, fed each step once the human delay passed.

    The steps come from the agent's step history (:meth:`hfrl.credit.StepHistory.due`);
    this class only folds them in: ``e ← λ e + ∇_θ log π(a|s)``, zeroed when a new
    episode's first step enters (``reset_each_episode``). ``episode`` is the episode of the
    newest step in the traces; it is saved with them.
    """

    def __init__(
        self, policy: SoftmaxPolicy, lambdas: tuple[float, ...], reset_each_episode: bool = True
    ) -> None:
        self.policy = policy
        self.traces: dict[float, np.ndarray] = {lam: np.zeros_like(policy.theta) for lam in lambdas}
        self.reset_each_episode = reset_each_episode
        self.episode: int | None = None

    def add(self, steps: list[ShownStep]) -> None:
        """Fold ``steps`` (oldest first) into every trace."""
        for s in steps:
            if self.reset_each_episode and s.episode != self.episode:
                for e in self.traces.values():
                    e[:] = 0.0
            self.episode = s.episode
            g = self.policy.grad_log_pi(s.payload["phi"], int(s.payload["action"]))
            for lam, e in self.traces.items():
                e *= lam
                e += g


class Coach(LiveAgent):
    """COACH agent (``hfrl train coach``), an :class:`hfrl.protocols.Agent`.

    Args:
        env_id: environment id (picks the feature ranges).
        observation_space: a Box of vector observations.
        action_space: a Discrete space.
        config: agent settings.
        seed: seed of the agent's own random generator (action sampling, tie-breaks).
        features: a feature map to use instead of the RBF grid (tests): any callable
            obs -> 1-D array with a ``dim`` attribute.
    """

    name: ClassVar[str] = "coach"
    config_class: ClassVar[type] = CoachConfig
    preferences_are_policy: ClassVar[bool] = True

    def __init__(
        self,
        env_id: str,
        observation_space: Any,
        action_space: Any,
        config: CoachConfig | None = None,
        seed: int = 0,
        *,
        features: Any = None,
    ) -> None:
        from hfrl.agents.features import RBFConfig, make_rbf

        super().__init__(env_id, observation_space, action_space, config, seed)
        if features is None:
            check_vector_obs(env_id, observation_space, self.name, "deep-coach")
        cfg = self.config
        self.features = features or make_rbf(
            env_id, observation_space, RBFConfig(cfg.rbf_centres, cfg.rbf_width, cfg.rbf_pairwise)
        )
        self.policy = SoftmaxPolicy(int(self.features.dim), self.n_actions, cfg.normalize)
        lambdas = tuple(sorted({cfg.trace_lambda, *(lam for _, lam in cfg.value_lambdas)}))
        self.traces = DelayedTraces(self.policy, lambdas, cfg.reset_traces_each_episode)
        self._value_lambda = dict(cfg.value_lambdas)
        self._last_trace_norm = 0.0
        self._trace_lock = threading.RLock()  # traces: fed by credit() (UI), read by _learn

    def _make_history(self) -> StepHistory:
        """Window credit over the delay window; the trace form takes steps with ``due``."""
        c = self.config
        return StepHistory(UniformDelay(c.delay_min, c.delay_max), feeds=c.credit == "trace")

    # ----------------------------------------------------------------- acting
    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """π(·|s): the policy's action probabilities."""
        return self.policy.probs(self.features(np.asarray(obs)))

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """Sample from π(·|s); if ``greedy``, its most likely action (random tie-break)."""
        p = self.action_preferences(obs)
        if greedy:
            return greedy_choice(p, self.rng, 1e-12)
        return int(self.rng.choice(self.n_actions, p=p))

    # ----------------------------------------------------------------- learning
    def _payload(self, step: Step) -> dict[str, Any]:
        """The features φ(s) and the action."""
        return {"phi": self.features(np.asarray(step.obs)), "action": int(step.action)}

    def _feed(self, now: float) -> None:
        """Trace credit: fold the steps whose delay has passed by ``now`` into the traces."""
        c = self.config
        with self._trace_lock:
            self.traces.add(self.history.due(now, c.delay_seconds, c.delay_steps))

    def _on_observe(self, step: Step, shown: ShownStep) -> None:
        if self.config.credit == "trace":
            self._feed(float(step.t_wall))

    def _lambda_of(self, value: float) -> float:
        return self._value_lambda.get(value, self.config.trace_lambda)

    def credit(self, feedback: Scalar) -> Credit:
        """Window: the delay window's credit. Trace: the steps of the current trace still
        in the history, weighted λ^age (the trace itself reaches back to the episode's start)."""
        if self.config.credit == "window":
            return super().credit(feedback)
        t_f, f = float(feedback.t_wall), float(feedback.value)
        if self.config.delay_steps is None:
            self._feed(t_f)
        episode = self.traces.episode
        fed = [
            s for s in self.history.steps() if s.index <= self.history.fed and s.episode == episode
        ]
        lam = self._lambda_of(f)
        n = len(fed)
        steps = [
            CreditedStep(s.index, float(lam ** (n - 1 - i)), f, s.episode, s.payload)
            for i, s in enumerate(fed)
        ]
        return Credit(t_f, f, steps)

    def _learn(self, feedback: Scalar, credit: Credit) -> None:
        """Apply one rating: θ ← θ + α f e."""
        f = float(feedback.value)
        if self.config.credit == "window":
            e = np.zeros_like(self.policy.theta)
            for s in credit.steps:
                e += s.weight * self.policy.grad_log_pi(s.payload["phi"], int(s.payload["action"]))
        else:
            with self._trace_lock:
                e = self.traces.traces[self._lambda_of(f)].copy()
        self.policy.theta += self.config.learning_rate * f * e
        self._last_trace_norm = float(np.linalg.norm(e))
        self.updates += 1

    def update(self) -> dict[str, float]:
        """Nothing is deferred (each rating is applied in :meth:`give`); report statistics."""
        return {
            "feedback": float(self.feedback_count),
            "theta_norm": float(np.linalg.norm(self.policy.theta)),
            "trace_norm": self._last_trace_norm,
        }

    # ----------------------------------------------------------------- persistence
    def _meta(self) -> dict[str, Any]:
        return {"trace_episode": self.traces.episode}

    def _save_state(self, directory: Path) -> None:
        """Weights-only ``weights.pt``: θ and every trace."""
        state = {"theta": torch.from_numpy(self.policy.theta.copy())}
        for i, e in enumerate(self.traces.traces.values()):
            state[f"trace{i}"] = torch.from_numpy(e.copy())
        torch.save(state, directory / WEIGHTS_FILE)

    def _load_state(self, directory: Path, meta: dict[str, Any]) -> None:
        state = torch.load(directory / WEIGHTS_FILE, weights_only=True)
        self.policy.theta[:] = state["theta"].numpy()
        for i, e in enumerate(self.traces.traces.values()):
            e[:] = state[f"trace{i}"].numpy()
        episode = meta.get("trace_episode")
        self.traces.episode = None if episode is None else int(episode)
