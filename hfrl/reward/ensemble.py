"""The reward-model ensemble of preference learning (DESIGN.md §4, §5).

K members (default 3) share one architecture (MLP for vectors, Nature-CNN for frames) and
are evaluated in one batched call. Predictions are shifted so the absorbing state scores
exactly 0; what the learner sees (normalised, one call per step) is
:class:`hfrl.reward.learned.LearnedReward`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from hfrl.config import config_from_dict, config_to_dict, save_json
from hfrl.errors import HfrlError
from hfrl.reward.networks import EnsembleCNN, EnsembleMLP, RewardCNN, RewardMLP
from hfrl.reward.spec import InputSpec
from hfrl.reward.training import PreferenceDataset, TrainConfig, fit_ensemble, pad_pairs
from hfrl.seeding import resolve_device
from hfrl.types import Segment

CONFIG_FILE = "reward_ensemble.json"
WEIGHTS_FILE = "reward_ensemble.pt"


@dataclass(frozen=True)
class RewardEnsembleConfig:
    """Architecture of a reward ensemble."""

    n_members: int = 3
    """Number of ensemble members K."""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """Hidden layer widths of the MLP used for vector observations."""
    cnn_hidden: int = 512
    """Width of the dense layer after the Nature-CNN trunk (image observations)."""
    leaky_slope: float = 0.01
    """Negative slope of the LeakyReLU activations."""
    seed: int = 0
    """Seed for the members' initial weights."""


class RewardEnsemble:
    """K reward members evaluated together; see the module docstring.

    Args:
        observation_space: Gymnasium Box space of observations (vector, or uint8 frames).
        action_space: Gymnasium Discrete or Box action space.
        config: Architecture.
        device: "auto" (CUDA when present), "cpu", "cuda", ...
    """

    def __init__(
        self,
        observation_space: Any = None,
        action_space: Any = None,
        config: RewardEnsembleConfig = RewardEnsembleConfig(),
        device: str = "auto",
        *,
        spec: InputSpec | None = None,
    ):
        if spec is None:
            if observation_space is None or action_space is None:
                raise HfrlError("RewardEnsemble needs an observation space and an action space.")
            spec = InputSpec.from_spaces(observation_space, action_space)
        if config.n_members < 1:
            raise HfrlError(f"a reward ensemble needs at least one member, got {config.n_members}")
        self.spec = spec
        self.config = config
        self.device = torch.device(resolve_device(device))
        self.net = self._build().to(self.device)
        k = config.n_members
        self.l2 = torch.full((k,), TrainConfig().l2_init, device=self.device)
        """Per-member L2 coefficient, adapted by :meth:`fit` and kept between fits."""
        self._params = list(self.net.parameters())
        self._absorbing: tuple[tuple[int, ...], torch.Tensor] | None = None
        """Cached (weights version, :meth:`absorbing_raw`) for prediction."""

    # ----------------------------------------------------------------- construction
    def _build(self) -> EnsembleMLP | EnsembleCNN:
        cfg, spec = self.config, self.spec
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            if spec.image:
                c, h, w = spec.frame_shape
                if h != w:
                    raise HfrlError(f"the Nature-CNN needs square frames, got {h}x{w}")
                extra = spec.action_dim + 1
                cnns = [
                    RewardCNN(c, h, extra, cfg.cnn_hidden, cfg.leaky_slope)
                    for _ in range(cfg.n_members)
                ]
                return EnsembleCNN(cnns)
            in_dim = spec.obs_dim + spec.action_dim + 1
            mlps = [
                RewardMLP(in_dim, cfg.hidden_sizes, cfg.leaky_slope) for _ in range(cfg.n_members)
            ]
            return EnsembleMLP(mlps)

    @property
    def n_members(self) -> int:
        """Number of members K."""
        return self.config.n_members

    def members(self) -> list[RewardMLP | RewardCNN]:
        """Plain single-member modules holding copies of each member's weights."""
        return [self.net.member(k) for k in range(self.n_members)]

    # ----------------------------------------------------------------- encoding
    def as_tensors(
        self, obs: Any, actions: Any, absorbing: Any = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Move (N, ...) arrays to the device: obs, actions, absorbing (bool)."""
        obs_t = torch.as_tensor(np.asarray(obs), device=self.device)
        n = obs_t.shape[0]
        dtype = torch.long if self.spec.discrete else torch.float32
        act_t = torch.as_tensor(np.asarray(actions), device=self.device).to(dtype)
        if absorbing is None:
            abs_t = torch.zeros(n, dtype=torch.bool, device=self.device)
        else:
            abs_t = torch.as_tensor(np.asarray(absorbing), device=self.device).to(torch.bool)
        if act_t.shape[0] != n or abs_t.shape != (n,):
            raise HfrlError(
                f"obs, actions and absorbing disagree on length: {tuple(obs_t.shape)}, "
                f"{tuple(act_t.shape)}, {tuple(abs_t.shape)}"
            )
        return obs_t, act_t, abs_t

    def raw(
        self, obs: torch.Tensor, actions: torch.Tensor, absorbing: torch.Tensor
    ) -> torch.Tensor:
        """Unshifted, unnormalised rewards (K, N) of all members in one call (differentiable).

        Absorbing rows are encoded as the canonical absorbing input (zero observation and
        action, absorbing bit 1), whatever obs and actions they carry.
        """
        spec = self.spec
        live = (~absorbing).to(torch.float32).unsqueeze(1)
        if spec.discrete:
            act = F.one_hot(actions.reshape(-1).clamp(0, spec.n_actions - 1), spec.n_actions)
            act = act.to(torch.float32)
        else:
            act = actions.reshape(actions.shape[0], -1).to(torch.float32)
        extra = torch.cat([act * live, 1.0 - live], dim=1)
        if spec.image:
            frames = obs.permute(0, 3, 1, 2) if spec.channels_last else obs
            frames = frames.to(torch.float32) * live.view(-1, 1, 1, 1)
            return self.net(frames, extra)
        x = obs.reshape(obs.shape[0], -1).to(torch.float32) * live
        return self.net(torch.cat([x, extra], dim=1))

    def absorbing_raw(self) -> torch.Tensor:
        """Unshifted reward (K,) of each member at the absorbing state."""
        spec = self.spec
        obs = torch.zeros((1, *spec.obs_shape), device=self.device)
        act_shape = (1,) if spec.discrete else (1, *spec.action_shape)
        act = torch.zeros(
            act_shape, device=self.device, dtype=torch.long if spec.discrete else None
        )
        return self.raw(obs, act, torch.ones(1, dtype=torch.bool, device=self.device))[:, 0]

    def weights_version(self) -> tuple[int, ...]:
        """Changes whenever a weight changes in place (an optimiser step, loading weights)."""
        return tuple(p._version for p in self._params)

    @torch.no_grad()
    def absorbing_value(self) -> torch.Tensor:
        """:meth:`absorbing_raw` for prediction, computed once per set of weights."""
        version = self.weights_version()
        if self._absorbing is None or self._absorbing[0] != version:
            self._absorbing = (version, self.absorbing_raw())
        return self._absorbing[1]

    def _chunk(self) -> int:
        return 256 if self.spec.image else 65536

    # ----------------------------------------------------------------- prediction
    @torch.no_grad()
    def predict_members(self, obs: Any, actions: Any, absorbing: Any = None) -> np.ndarray:
        """Rewards (K, N) per member, shifted: r_k(s, a) − r_k(absorbing), 0 on absorbing rows."""
        obs_t, act_t, abs_t = self.as_tensors(obs, actions, absorbing)
        base = self.absorbing_value().unsqueeze(1)
        outs = []
        for i in range(0, obs_t.shape[0], self._chunk()):
            sl = slice(i, i + self._chunk())
            r = self.raw(obs_t[sl], act_t[sl], abs_t[sl]) - base
            outs.append(r.masked_fill(abs_t[sl].unsqueeze(0), 0.0))
        if not outs:
            return np.zeros((self.n_members, 0), dtype=np.float32)
        return torch.cat(outs, dim=1).cpu().numpy()

    def predict(self, obs: Any, actions: Any, absorbing: Any = None) -> np.ndarray:
        """Rewards (N,): the mean over members of :meth:`predict_members`."""
        return self.predict_members(obs, actions, absorbing).mean(axis=0)

    def segment_returns(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        absorbing: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Summed raw rewards (K, B) of padded segments (B, L, ...) (differentiable).

        ``mask`` (B, L) weighs steps (0 for padding after a truncated end); absorbing steps
        count, since their reward is what ending early is worth. The network runs once per
        live step plus once for the absorbing state (all absorbing steps share one input), so
        padding costs nothing.
        """
        b, length = absorbing.shape
        flat_abs = absorbing.reshape(-1)
        weight = (
            torch.ones(b * length, device=self.device)
            if mask is None
            else mask.reshape(-1).to(torch.float32)
        )
        live = (~flat_abs & (weight > 0)).nonzero().squeeze(1)
        # One extra row, flagged absorbing, scores the absorbing state (raw() zeroes it).
        rows = torch.cat([live, live.new_zeros(1)])
        row_abs = torch.zeros(len(rows), dtype=torch.bool, device=self.device)
        row_abs[-1] = True
        r = self.raw(obs.flatten(0, 1)[rows], actions.flatten(0, 1)[rows], row_abs)
        r_live, r_abs = r[:, :-1] * weight[live], r[:, -1:]
        returns = r.new_zeros(self.n_members, b).index_add(1, live // length, r_live)
        n_abs = (flat_abs.to(torch.float32) * weight).view(b, length).sum(dim=1)
        return returns + r_abs * n_abs

    @torch.no_grad()
    def disagreement(self, pairs: Sequence[tuple[Segment, Segment]]) -> np.ndarray:
        """Variance across members of P(left ≻ right), shape (n_pairs,), for query selection."""
        if not pairs:
            return np.zeros(0)
        obs, act, ab, mask = pad_pairs(pairs)
        probs = []
        step = max(1, self._chunk() // (2 * obs.shape[2]))
        for i in range(0, len(pairs), step):
            sl = slice(i, i + step)
            tensors = self.as_pair_tensors(obs[sl], act[sl], ab[sl], mask[sl])
            ret = self.pair_returns(*tensors)
            probs.append(torch.sigmoid(ret[..., 0] - ret[..., 1]))
        return torch.cat(probs, dim=1).var(dim=0, unbiased=False).cpu().numpy()

    def as_pair_tensors(
        self, obs: np.ndarray, actions: np.ndarray, absorbing: np.ndarray, mask: np.ndarray
    ) -> tuple[torch.Tensor, ...]:
        """Move padded pair arrays (P, 2, L, ...) to the device."""
        dtype = torch.long if self.spec.discrete else torch.float32
        return (
            torch.as_tensor(obs, device=self.device),
            torch.as_tensor(actions, device=self.device).to(dtype),
            torch.as_tensor(absorbing, device=self.device).to(torch.bool),
            torch.as_tensor(mask, device=self.device).to(torch.float32),
        )

    def pair_returns(
        self, obs: torch.Tensor, actions: torch.Tensor, absorbing: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """Raw segment returns (K, P, 2) for pairs of padded segments (P, 2, L, ...)."""
        p = absorbing.shape[0]
        ret = self.segment_returns(
            obs.flatten(0, 1), actions.flatten(0, 1), absorbing.flatten(0, 1), mask.flatten(0, 1)
        )
        return ret.view(self.n_members, p, 2)

    # ----------------------------------------------------------------- training
    def fit(self, dataset: PreferenceDataset, config: TrainConfig | None = None) -> dict:
        """Train on labelled pairs (Bradley–Terry, bagging, adaptive L2).

        Returns training statistics (see :func:`hfrl.reward.training.fit_ensemble`).
        """
        config = config or TrainConfig()
        self._absorbing = None
        stats = fit_ensemble(self, dataset, config)
        self._absorbing = None
        return stats

    # ----------------------------------------------------------------- persistence
    def state_dict(self) -> dict[str, torch.Tensor]:
        """All tensors: network weights and L2 coefficients."""
        state = {f"net.{k}": v for k, v in self.net.state_dict().items()}
        state["l2"] = self.l2
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        """Load tensors saved by :meth:`state_dict` (an older file's ``scale`` is ignored)."""
        net = {k[4:]: v for k, v in state.items() if k.startswith("net.")}
        self.net.load_state_dict(net)
        self._absorbing = None
        self.l2 = state["l2"].to(self.device)

    def save(self, directory: str | Path) -> Path:
        """Write config JSON and weights-only ``.pt`` into ``directory``; return it."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_json(
            directory / CONFIG_FILE,
            {"spec": asdict(self.spec), "config": config_to_dict(self.config)},
        )
        torch.save(
            {k: v.detach().cpu() for k, v in self.state_dict().items()}, directory / WEIGHTS_FILE
        )
        return directory

    @classmethod
    def load(cls, directory: str | Path, device: str = "auto") -> RewardEnsemble:
        """Rebuild an ensemble written by :meth:`save`."""
        directory = Path(directory)
        cfg_path, w_path = directory / CONFIG_FILE, directory / WEIGHTS_FILE
        if not cfg_path.exists() or not w_path.exists():
            raise HfrlError(
                f"{directory} holds no saved reward ensemble (expected {CONFIG_FILE} and "
                f"{WEIGHTS_FILE}); save one with RewardEnsemble.save(dir)."
            )
        data = json.loads(cfg_path.read_text())
        ens = cls(
            config=config_from_dict(RewardEnsembleConfig, data["config"]),
            device=device,
            spec=InputSpec.from_dict(data["spec"]),
        )
        ens.load_state_dict(torch.load(w_path, map_location=ens.device, weights_only=True))
        return ens
