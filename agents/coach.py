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
  :class:`hfrl.credit.CreditAssigner` as TAMER). When a person's delay varies over
  0.2–0.8 s this puts the update where the rated step can be; a fixed d cannot.

Each update costs O(|A|·dim) and runs inside :meth:`Coach.give`, so acting never stalls;
:meth:`Coach.update` only reports statistics.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from hfrl.agents.common import (
    AGENT_FILE,
    check_discrete,
    check_vector_obs,
    greedy_choice,
    load_meta,
    save_meta,
    space_from_dict,
    space_to_dict,
)

from hfrl.errors import HfrlError
from hfrl.types import Feedback, Scalar, Step

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
    """The paper's eligibility traces, fed each step once the human delay has passed.

    Args:
        policy: the policy whose ∇ log π enters the traces (taken at entry time).
        lambdas: one trace per λ.
        delay_steps: d in steps, or None to use ``delay_seconds`` of wall time.
        delay_seconds: the delay in seconds when ``delay_steps`` is None.
        reset_each_episode: zero the traces when a new episode's first step enters.
    """

    def __init__(
        self,
        policy: SoftmaxPolicy,
        lambdas: tuple[float, ...],
        delay_steps: int | None,
        delay_seconds: float,
        reset_each_episode: bool = True,
    ) -> None:
        self.policy = policy
        self.traces: dict[float, np.ndarray] = {lam: np.zeros_like(policy.theta) for lam in lambdas}
        self.delay_steps = delay_steps
        self.delay_seconds = delay_seconds
        self.reset_each_episode = reset_each_episode
        self._queue: list[tuple[np.ndarray, int, float, int]] = []
        self._episode: int | None = None

    def push(self, phi: np.ndarray, action: int, t_wall: float, episode: int) -> None:
        """Queue a step that starts being shown at ``t_wall``."""
        self._queue.append((phi, int(action), float(t_wall), int(episode)))
        self.advance(t_wall)

    def advance(self, now: float) -> None:
        """Move every queued step the person has had time to react to into the traces.

        With ``delay_steps = d`` the newest d steps stay queued, so after step t the traces
        hold steps up to t − d; otherwise a step enters once ``delay_seconds`` have passed.
        """
        n_due = 0
        for _, _, t_wall, _ in self._queue:
            if self.delay_steps is not None:
                due = len(self._queue) - n_due > self.delay_steps
            else:
                due = t_wall <= now - self.delay_seconds + 1e-9
            if not due:
                break
            n_due += 1
        for phi, action, _, episode in self._queue[:n_due]:
            if self.reset_each_episode and episode != self._episode:
                for e in self.traces.values():
                    e[:] = 0.0
            self._episode = episode
            g = self.policy.grad_log_pi(phi, action)
            for lam, e in self.traces.items():
                e *= lam
                e += g
        del self._queue[:n_due]


class WindowCredit:
    """Per-rating traces from the delay window: e = Σ_i w_i ∇ log π(a_i|s_i)."""

    def __init__(self, policy: SoftmaxPolicy, delay_min: float, delay_max: float) -> None:
        from hfrl.credit import CreditAssigner, UniformDelay

        self.policy = policy
        self.assigner = CreditAssigner(UniformDelay(delay_min, delay_max))
        self.horizon = delay_max + self.assigner.slack + 1.0
        self._steps: OrderedDict[int, tuple[np.ndarray, int, float]] = OrderedDict()
        self._next_key = 0

    def push(self, phi: np.ndarray, action: int, t_wall: float) -> None:
        """Record a step that starts being shown at ``t_wall``."""
        key = self._next_key
        self._next_key += 1
        self.assigner.record(key, t_wall)
        self._steps[key] = (phi, int(action), float(t_wall))
        while self._steps:
            first = next(iter(self._steps.values()))
            if first[2] >= t_wall - self.horizon:
                break
            self._steps.popitem(last=False)

    def trace(self, t_f: float) -> np.ndarray:
        """The credit-weighted trace of a rating given at ``t_f`` (zeros if none credited)."""
        e = np.zeros_like(self.policy.theta)
        for key, w in self.assigner.credit(t_f):
            if key in self._steps:
                phi, action, _ = self._steps[key]
                e += w * self.policy.grad_log_pi(phi, action)
        return e


class Coach:
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

    feedback_kind: ClassVar[str] = "scalar"
    name: ClassVar[str] = "coach"
    config_class: ClassVar[type] = CoachConfig

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

        self.config = config or CoachConfig()
        self.env_id = env_id
        self.seed = seed
        self.observation_space = observation_space
        self.n_actions = check_discrete(env_id, observation_space, action_space, self.name)
        if features is None:
            check_vector_obs(env_id, observation_space, self.name, "deep-coach")
        cfg = self.config
        self.features = features or make_rbf(
            env_id, observation_space, RBFConfig(cfg.rbf_centres, cfg.rbf_width, cfg.rbf_pairwise)
        )
        self.policy = SoftmaxPolicy(int(self.features.dim), self.n_actions, cfg.normalize)
        lambdas = tuple(sorted({cfg.trace_lambda, *(lam for _, lam in cfg.value_lambdas)}))
        self.traces = DelayedTraces(
            self.policy, lambdas, cfg.delay_steps, cfg.delay_seconds, cfg.reset_traces_each_episode
        )
        self.window = WindowCredit(self.policy, cfg.delay_min, cfg.delay_max)
        self._value_lambda = dict(cfg.value_lambdas)
        self.rng = np.random.default_rng(seed)
        self.steps_seen = 0
        self.feedback_count = 0
        self._last_trace_norm = 0.0

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
    def observe(self, step: Step) -> None:
        """Record the step shown at ``step.t_wall`` for credit (window) or the traces."""
        phi = self.features(np.asarray(step.obs))
        if self.config.credit == "window":
            self.window.push(phi, int(step.action), step.t_wall)
        else:
            self.traces.push(phi, int(step.action), step.t_wall, step.episode)
        self.steps_seen += 1

    def give(self, feedback: Feedback) -> None:
        """Apply one rating: θ ← θ + α f e."""
        if not isinstance(feedback, Scalar):
            raise HfrlError("coach learns from scalar ratings, not preferences")
        f = float(feedback.value)
        if self.config.credit == "window":
            e = self.window.trace(feedback.t_wall)
        else:
            if self.config.delay_steps is None:
                self.traces.advance(feedback.t_wall)
            e = self.traces.traces[self._value_lambda.get(f, self.config.trace_lambda)]
        self.policy.theta += self.config.learning_rate * f * e
        self._last_trace_norm = float(np.linalg.norm(e))
        self.feedback_count += 1

    def update(self) -> dict[str, float]:
        """Nothing is deferred (each rating is applied in :meth:`give`); report statistics."""
        return {
            "feedback": float(self.feedback_count),
            "theta_norm": float(np.linalg.norm(self.policy.theta)),
            "trace_norm": self._last_trace_norm,
        }

    # ----------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> None:
        """Write ``agent.json`` (config, spaces, counters) and weights-only ``weights.pt``."""
        d = save_meta(
            directory,
            self,
            observation_space=space_to_dict(self.observation_space),
            n_actions=self.n_actions,
            steps_seen=self.steps_seen,
            feedback_count=self.feedback_count,
        )
        state = {"theta": torch.from_numpy(self.policy.theta.copy())}
        for i, e in enumerate(self.traces.traces.values()):
            state[f"trace{i}"] = torch.from_numpy(e.copy())
        torch.save(state, d / WEIGHTS_FILE)

    @classmethod
    def load(cls, directory: str | Path) -> Coach:
        """Rebuild a saved agent; it keeps learning from where it stopped."""
        import gymnasium as gym

        d, meta, config = load_meta(directory, cls)
        agent = cls(
            meta["env_id"],
            space_from_dict(meta["observation_space"]),
            gym.spaces.Discrete(meta["n_actions"]),
            config,
            meta["seed"],
        )
        state = torch.load(d / WEIGHTS_FILE, weights_only=True)
        agent.policy.theta[:] = state["theta"].numpy()
        for i, e in enumerate(agent.traces.traces.values()):
            e[:] = state[f"trace{i}"].numpy()
        agent.steps_seen = int(meta["steps_seen"])
        agent.feedback_count = int(meta["feedback_count"])
        return agent
