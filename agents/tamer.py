"""TAMER (Knox & Stone 2009): learn a model Ĥ(s, a) of the trainer's ratings, act greedily.

Ĥ is linear over Gaussian RBF features (:mod:`hfrl.agents.features`, Knox's 40-per-dimension
grid of width 0.08 on MountainCar) or a small MLP. Each step's wall-time interval is
recorded in a :class:`hfrl.credit.CreditAssigner`; a rating at time t_f credits the recent
steps by the share of their interval inside the delay window (uniform over [0.2 s, 0.8 s] by
default, as in Knox's reference code). The label of a credited step is the credit-weighted
mean of the ratings that hit it, and the step is moved toward that label with a step size
scaled by its credit.

TAMER+RL action biasing (Knox & Stone 2010) is an option: a linear Q-learner over the same
features learns from the environment's reward (the MDP reward TAMER+RL assumes, taken from
``Step.true_reward``), and the agent acts by argmax_a Q(s, a) + β·Ĥ(s, a), with β annealed
geometrically per episode.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from hfrl.agents.common import (
    TAMER_ENVS,
    check_discrete,
    check_vector_obs,
    greedy_choice,
    load_meta,
    restore_counters,
    save_meta,
)
from hfrl.agents.features import RBFConfig, RBFFeatures, obs_bounds

from hfrl.errors import HfrlError
from hfrl.types import Feedback, Scalar, Step

__all__ = ["TAMER_ENVS", "Tamer", "TamerConfig", "check_discrete"]


@dataclass(frozen=True)
class TamerConfig:
    """Settings of a :class:`Tamer` agent."""

    model: str = "linear"
    """Ĥ model: ``"linear"`` over RBF features, or ``"mlp"``."""
    step_size: float = 1e-2
    """Linear model: step size per feature on unnormalised RBFs, scaled by each step's credit.
    Knox used 1e-3; with credit-scaled updates 1e-2 learns faster from sparse human-paced
    ratings (MountainCar human trainer) and is as good with the perfect one."""
    rbf_centres: int = 0
    """RBF centres per dimension; 0 picks 40 for 2-D states (Knox) and 8 for wider ones."""
    rbf_width: float = 0.08
    """RBF standard deviation as a fraction of each dimension's range (Knox: 0.08)."""
    rbf_pairwise: bool | None = None
    """RBF grids over dimension pairs instead of one full grid; None: for > 2-D states."""
    hidden: tuple[int, ...] = (64, 64)
    """MLP model: hidden layer sizes."""
    mlp_lr: float = 1e-2
    """MLP model: Adam learning rate of the SGD step taken at each rating."""
    delay_min: float = 0.2
    """Shortest trainer reaction delay credited (seconds)."""
    delay_max: float = 0.8
    """Longest trainer reaction delay credited (seconds)."""
    epsilon: float = 0.0
    """Random-action probability while learning (TAMER itself is greedy: 0)."""
    rl_bias: bool = False
    """TAMER+RL action biasing: act by argmax Q + β·Ĥ with Q learnt from the env reward."""
    rl_beta: float = 10.0
    """Initial weight β of Ĥ in action biasing."""
    rl_beta_decay: float = 0.9
    """β is multiplied by this at the end of every episode."""
    rl_step_size: float = 1e-3
    """Step size per feature of the Q-learner."""
    rl_gamma: float = 0.99
    """Discount of the Q-learner."""
    obs_low: tuple[float, ...] = ()
    """Override of the feature ranges' lower ends (empty: per-env defaults)."""
    obs_high: tuple[float, ...] = ()
    """Override of the feature ranges' upper ends (empty: per-env defaults)."""


@dataclass
class _Pending:
    """A recent step kept for credit: its features, action and accumulated label."""

    obs: np.ndarray
    phi: np.ndarray | None
    action: int
    num: float = 0.0
    den: float = 0.0


class Tamer:
    """TAMER agent: linear (RBF) or MLP model of the trainer's ratings, greedy policy.

    Args:
        env_id: environment id (picks the feature ranges).
        observation_space: a Box of vector observations.
        action_space: a Discrete space.
        config: agent settings.
        seed: seed of the agent's own random generator (tie-breaks, init).
    """

    feedback_kind: ClassVar[str] = "scalar"
    name: ClassVar[str] = "tamer"
    config_class: ClassVar[type] = TamerConfig

    def __init__(
        self,
        env_id: str,
        observation_space: Any,
        action_space: Any,
        config: TamerConfig | None = None,
        seed: int = 0,
    ) -> None:
        from hfrl.credit import CreditAssigner, UniformDelay

        self.config = config or TamerConfig()
        self.env_id = env_id
        self.seed = seed
        self.n_actions = check_discrete(env_id, observation_space, action_space, self.name)
        check_vector_obs(env_id, observation_space, self.name, "deep-tamer")
        if self.config.model not in ("linear", "mlp"):
            raise HfrlError(f"tamer model must be 'linear' or 'mlp', got {self.config.model!r}")
        self.rng = np.random.default_rng(seed)
        low, high = obs_bounds(env_id, observation_space)
        if self.config.obs_low:
            low = np.asarray(self.config.obs_low, dtype=np.float64)
        if self.config.obs_high:
            high = np.asarray(self.config.obs_high, dtype=np.float64)
        self.low, self.high = low, high
        self.features = RBFFeatures(
            low,
            high,
            RBFConfig(self.config.rbf_centres, self.config.rbf_width, self.config.rbf_pairwise),
        )
        self.weights = np.zeros((self.n_actions, self.features.dim))
        self.q_weights = np.zeros((self.n_actions, self.features.dim))
        self.net: Any = None
        self.optim: Any = None
        if self.config.model == "mlp":
            self._build_mlp(len(low))
        self.credit = CreditAssigner(UniformDelay(self.config.delay_min, self.config.delay_max))
        self._pending: OrderedDict[int, _Pending] = OrderedDict()
        self._pending_t: OrderedDict[int, float] = OrderedDict()
        self.steps_seen = 0
        self.episodes_seen = 0
        self.feedback_count = 0
        self.updates = 0
        self._last_error = 0.0

    # ----------------------------------------------------------------- model
    def _build_mlp(self, in_dim: int) -> None:
        import torch
        from torch import nn

        torch.manual_seed(self.seed)
        layers: list[nn.Module] = []
        size = in_dim
        for h in self.config.hidden:
            layers += [nn.Linear(size, h), nn.Tanh()]
            size = h
        layers.append(nn.Linear(size, self.n_actions))
        self.net = nn.Sequential(*layers).double()
        self.optim = torch.optim.Adam(self.net.parameters(), lr=self.config.mlp_lr)

    def _mlp_input(self, obs: np.ndarray) -> np.ndarray:
        return 2.0 * self.features.scale(obs) - 1.0

    def h_values(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·) for one observation, shape (n_actions,)."""
        if self.net is not None:
            import torch

            with torch.no_grad():
                x = torch.as_tensor(self._mlp_input(obs))[None]
                return self.net(x)[0].numpy().copy()
        return self.weights @ self.features(obs)

    @property
    def beta(self) -> float:
        """Current weight of Ĥ in TAMER+RL action biasing."""
        return self.config.rl_beta * self.config.rl_beta_decay**self.episodes_seen

    # ----------------------------------------------------------------- Agent protocol
    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·) (plus Q(s, ·) / β-weighting when TAMER+RL biasing is on)."""
        h = self.h_values(obs)
        if not self.config.rl_bias:
            return h
        return self.q_weights @ self.features(obs) + self.beta * h

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """argmax_a of :meth:`action_preferences`, ties broken at random."""
        if not greedy and self.config.epsilon > 0 and self.rng.random() < self.config.epsilon:
            return int(self.rng.integers(self.n_actions))
        return greedy_choice(self.action_preferences(obs), self.rng, 1e-12)

    def observe(self, step: Step) -> None:
        """Remember the step for credit; with TAMER+RL, also a Q-learning update."""
        key = self.steps_seen
        self.steps_seen += 1
        obs = np.asarray(step.obs, dtype=np.float64)
        phi = self.features(obs) if self.net is None else None
        self._pending[key] = _Pending(obs=obs, phi=phi, action=int(step.action))
        self._pending_t[key] = float(step.t_wall)
        self.credit.record(key, float(step.t_wall))
        self._forget_before(float(step.t_wall) - self.config.delay_max - 1.0)
        if self.config.rl_bias:
            self._q_update(step, phi if phi is not None else self.features(obs))
        if step.done:
            self.episodes_seen += 1

    def _q_update(self, step: Step, phi: np.ndarray) -> None:
        a = int(step.action)
        target = float(step.true_reward)
        if not step.terminated:
            target += self.config.rl_gamma * float(
                np.max(self.q_weights @ self.features(step.next_obs))
            )
        err = target - self.q_weights[a] @ phi
        self.q_weights[a] += self.config.rl_step_size * err * phi

    def _forget_before(self, t: float) -> None:
        while len(self._pending_t) > 2:
            key, t0 = next(iter(self._pending_t.items()))
            if t0 >= t:
                break
            self._pending_t.popitem(last=False)
            self._pending.pop(key, None)

    def give(self, feedback: Feedback) -> None:
        """Credit the recent steps with a rating and move Ĥ toward their labels."""
        if not isinstance(feedback, Scalar):
            raise HfrlError(f"tamer learns from scalar ratings, not {type(feedback).__name__}")
        self.feedback_count += 1
        hits = [(k, w) for k, w in self.credit.credit(float(feedback.t_wall)) if w > 0]
        hits = [(k, w) for k, w in hits if k in self._pending]
        if not hits:
            return
        for k, w in hits:
            p = self._pending[k]
            p.num += w * float(feedback.value)
            p.den += w
        if self.net is not None:
            self._mlp_step(hits)
        else:
            errs = []
            for k, w in hits:
                p = self._pending[k]
                assert p.phi is not None
                err = p.num / p.den - self.weights[p.action] @ p.phi
                self.weights[p.action] += self.config.step_size * w * err * p.phi
                errs.append(err)
            self._last_error = float(np.mean(np.abs(errs)))
        self.updates += 1

    def _mlp_step(self, hits: list[tuple[int, float]]) -> None:
        import torch

        ps = [self._pending[k] for k, _ in hits]
        x = torch.as_tensor(np.stack([self._mlp_input(p.obs) for p in ps]))
        a = torch.as_tensor([p.action for p in ps])
        y = torch.as_tensor([p.num / p.den for p in ps], dtype=torch.float64)
        w = torch.as_tensor([wt for _, wt in hits], dtype=torch.float64)
        pred = self.net(x).gather(1, a[:, None])[:, 0]
        loss = (w * (pred - y) ** 2).sum() / w.sum()
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        self._last_error = float(loss.detach()) ** 0.5

    def update(self) -> dict[str, float]:
        """TAMER learns inside :meth:`give`; report statistics."""
        return {
            "feedback": float(self.feedback_count),
            "updates": float(self.updates),
            "abs_error": self._last_error,
        }

    # ----------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> None:
        """Write ``agent.json`` (config and state) and the weights (``.npz`` or ``.pt``)."""
        d = save_meta(
            directory,
            self,
            obs_low=self.low.tolist(),
            obs_high=self.high.tolist(),
            n_actions=self.n_actions,
            steps_seen=self.steps_seen,
            episodes_seen=self.episodes_seen,
            feedback_count=self.feedback_count,
            updates=self.updates,
        )
        np.savez(d / "weights.npz", h=self.weights, q=self.q_weights)
        if self.net is not None:
            import torch

            torch.save(self.net.state_dict(), d / "h_net.pt")
            torch.save(self.optim.state_dict(), d / "h_optim.pt")

    @classmethod
    def load(cls, directory: str | Path) -> Tamer:
        """Rebuild a saved agent; it keeps learning from where it stopped."""
        import gymnasium as gym

        d, meta, config = load_meta(directory, cls)
        low = np.asarray(meta["obs_low"], dtype=np.float64)
        high = np.asarray(meta["obs_high"], dtype=np.float64)
        config = replace(config, obs_low=tuple(low.tolist()), obs_high=tuple(high.tolist()))
        space = gym.spaces.Box(low.astype(np.float32), high.astype(np.float32))
        agent = cls(
            meta["env_id"], space, gym.spaces.Discrete(meta["n_actions"]), config, meta["seed"]
        )
        with np.load(d / "weights.npz", allow_pickle=False) as w:
            agent.weights = w["h"].copy()
            agent.q_weights = w["q"].copy()
        if agent.net is not None:
            import torch

            agent.net.load_state_dict(torch.load(d / "h_net.pt", weights_only=True))
            agent.optim.load_state_dict(torch.load(d / "h_optim.pt", weights_only=True))
        restore_counters(agent, meta, ("steps_seen", "episodes_seen", "feedback_count", "updates"))
        return agent
