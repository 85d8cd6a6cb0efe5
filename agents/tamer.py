"""TAMER (Knox & Stone 2009): learn a model Ĥ(s, a) of the trainer's ratings, act greedily.

Ĥ is linear over Gaussian RBF features (:mod:`hfrl.agents.features`, Knox's 40-per-dimension
grid of width 0.08 on MountainCar) or a small MLP. Each shown step goes into the agent's
:class:`hfrl.credit.StepHistory` (:class:`hfrl.agents.live_base.LiveAgent`); a rating at
time t_f credits the recent steps by the share of their interval inside the delay window
(uniform over [0.2 s, 0.8 s] by default, as in Knox's reference code). The label of a
credited step is the credit-weighted mean of the ratings that hit it, and the step is moved
toward that label with a step size scaled by its credit.

TAMER+RL (Knox & Stone 2010, 2012) is :mod:`hfrl.agents.tamer_rl`, over this agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from hfrl.agents.common import TAMER_ENVS, check_discrete, check_vector_obs, greedy_choice
from hfrl.agents.features import RBFConfig, RBFFeatures, obs_bounds
from hfrl.agents.live_base import LiveAgent

from hfrl.credit import Credit
from hfrl.errors import HfrlError
from hfrl.types import Scalar, Step

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
    obs_low: tuple[float, ...] = ()
    """Override of the feature ranges' lower ends (empty: per-env defaults)."""
    obs_high: tuple[float, ...] = ()
    """Override of the feature ranges' upper ends (empty: per-env defaults)."""

    field_ranges: ClassVar[dict[str, str]] = {
        "step_size": "> 0",
        "rbf_centres": ">= 0",
        "rbf_width": "> 0",
        "hidden": ">= 1",
        "mlp_lr": "> 0",
        "delay_min": ">= 0",
        "delay_max": "> 0",
        "epsilon": "[0, 1]",
    }
    """Allowed values, checked by :func:`hfrl.config.config_from_dict` (``--set``, suites)."""


class Tamer(LiveAgent):
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
        super().__init__(env_id, observation_space, action_space, config, seed)
        check_vector_obs(env_id, observation_space, self.name, "deep-tamer")
        if self.config.model not in ("linear", "mlp"):
            raise HfrlError(f"tamer model must be 'linear' or 'mlp', got {self.config.model!r}")
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
        self.net: Any = None
        self.optim: Any = None
        if self.config.model == "mlp":
            self._build_mlp(len(low))
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

    # ----------------------------------------------------------------- Agent protocol
    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·)."""
        return self.h_values(obs)

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """argmax_a Ĥ(s, a), ties broken at random (a random action with ``epsilon``)."""
        if not greedy and self.config.epsilon > 0 and self.rng.random() < self.config.epsilon:
            return int(self.rng.integers(self.n_actions))
        return greedy_choice(self.action_preferences(obs), self.rng, 1e-12)

    def _payload(self, step: Step) -> dict[str, Any]:
        """The observation, action and (linear model) its RBF features."""
        obs = np.asarray(step.obs, dtype=np.float64)
        out: dict[str, Any] = {"obs": obs, "action": int(step.action)}
        if self.net is None:
            out["phi"] = self.features(obs)
        return out

    def _learn(self, feedback: Scalar, credit: Credit) -> None:
        """Move Ĥ of each credited step toward its label, by a step scaled by its credit."""
        if not credit:
            return
        if self.net is not None:
            self._mlp_step(credit)
        else:
            errs = []
            for s in credit.steps:
                a, phi = s.payload["action"], s.payload["phi"]
                err = s.label - self.weights[a] @ phi
                self.weights[a] += self.config.step_size * s.weight * err * phi
                errs.append(err)
            self._last_error = float(np.mean(np.abs(errs)))
        self.updates += 1

    def _mlp_step(self, credit: Credit) -> None:
        import torch

        x = torch.as_tensor(np.stack([self._mlp_input(o) for o in credit.stack("obs")]))
        a = torch.as_tensor(credit.stack("action"))
        y = torch.as_tensor(credit.labels, dtype=torch.float64)
        w = torch.as_tensor(credit.weights, dtype=torch.float64)
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
    def _meta(self) -> dict[str, Any]:
        return {"obs_low": self.low.tolist(), "obs_high": self.high.tolist()}

    def _save_state(self, directory: Path) -> None:
        """The weights: ``weights.npz`` (linear) or ``h_net.pt`` / ``h_optim.pt`` (MLP)."""
        np.savez(directory / "weights.npz", h=self.weights)
        if self.net is not None:
            import torch

            torch.save(self.net.state_dict(), directory / "h_net.pt")
            torch.save(self.optim.state_dict(), directory / "h_optim.pt")

    def _load_state(self, directory: Path, meta: dict[str, Any]) -> None:
        with np.load(directory / "weights.npz", allow_pickle=False) as w:
            self.weights = w["h"].copy()
        if self.net is not None:
            import torch

            self.net.load_state_dict(torch.load(directory / "h_net.pt", weights_only=True))
            self.optim.load_state_dict(torch.load(directory / "h_optim.pt", weights_only=True))
