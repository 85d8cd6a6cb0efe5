"""The reward a learner sees, made from a reward ensemble: the one place it is rescaled.

Bradley–Terry fixes each member's reward only up to a constant, so the reward is first
shifted so the absorbing state (after an episode ended) scores exactly 0 — otherwise a
negative "alive" reward makes ending early attractive (the survival-bias trap, DESIGN.md §5).
Then it is normalised on recent states: each member is divided by its spread, the members
are averaged, and the mean is rescaled for the learner (:meth:`LearnedReward.calibrate`).
At step time all of it is one linear map of the members' raw outputs: one network call, or
for a few rows of a vector-observation MLP (a vectorised env step) one numpy pass over the
folded weights (:class:`~hfrl.reward.folded.FoldedMLP`), which skips torch's per-call work.

>>> import numpy as np
>>> from gymnasium import spaces
>>> from hfrl.reward import LearnedReward, RewardEnsemble
>>> ens = RewardEnsemble(spaces.Box(-1, 1, (3,)), spaces.Discrete(2), device="cpu")
>>> reward = LearnedReward(ens)
>>> reward.calibrate(np.random.rand(50, 3), np.arange(50) % 2, terminal_seen=True)
>>> reward(np.zeros((4, 3), np.float32), np.zeros(4, int)).shape
(4,)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from hfrl.reward.ensemble import RewardEnsemble
from hfrl.reward.folded import FoldedMLP
from hfrl.reward.networks import EnsembleMLP

__all__ = [
    "LearnedReward",
]

ExploreFn = Callable[[np.ndarray, np.ndarray, Any], np.ndarray]
"""An exploration reward used instead of the learned one (PEBBLE's state entropy)."""
FOLDED_MAX_ROWS = 64
"""Calls with at most this many rows use the numpy :class:`FoldedMLP` (vector steps); larger
batches (relabelling a replay buffer) go through torch, which respects its thread count."""


class LearnedReward:
    """The learner's reward from ``ensemble``; a reward function for
    :class:`~hfrl.envs.learned_reward.LearnedRewardVecEnv` (obs, actions, dones).

    Before the first :meth:`calibrate` (``trained`` False) it is 0; while ``explore`` is
    set it is that reward. After: r = (mean_k((r_k − r_k(absorbing)) / s_k) − offset) / scale.
    When episodes can end (a labelled clip ended in a terminal state) ``offset`` is 0 and
    ``scale`` the root mean square, so the absorbing state keeps its zero and a near-constant
    "alive" reward stays near 1; when no clip has ended (the absorbing value never matters)
    rewards are centred and divided by their standard deviation.
    """

    def __init__(self, ensemble: RewardEnsemble) -> None:
        self.ensemble = ensemble
        self.trained = False
        """A calibration happened: rewards come from the ensemble."""
        self.explore: ExploreFn | None = None
        """Used instead of the learned reward while set (unsupervised pretraining)."""
        self.member_scale = np.ones(ensemble.n_members)
        """s_k: each member's spread of shifted rewards on the calibration states."""
        self.offset = 0.0
        self.scale = 1.0
        self.terminal_seen = False
        """A labelled clip has ended in a terminal state (sticky: once the absorbing state
        matters it keeps its zero, even when later clips all run on)."""
        self._weights: torch.Tensor | None = None
        self._bias: torch.Tensor | None = None
        self._folded: FoldedMLP | None = None
        self._version: tuple[int, ...] | None = None
        """The ensemble's weights version the folded map was made from."""

    # ----------------------------------------------------------------- calibration
    def members(self, obs: Any, actions: Any, absorbing: Any = None) -> np.ndarray:
        """Shifted, member-normalised rewards (K, N): (r_k − r_k(absorbing)) / s_k."""
        shifted = self.ensemble.predict_members(obs, actions, absorbing)
        return shifted / self.member_scale[:, None].astype(shifted.dtype)

    def calibrate(self, obs: np.ndarray, actions: np.ndarray, terminal_seen: bool) -> None:
        """Fit the member spreads, offset and scale on these states; rewards start flowing."""
        if len(obs) < 2:
            return
        shifted = self.ensemble.predict_members(obs, actions).astype(np.float64)
        self.member_scale = np.maximum(shifted.std(axis=1, ddof=1), 1e-6)
        r = (shifted / self.member_scale[:, None]).mean(axis=0)
        self.terminal_seen = self.terminal_seen or terminal_seen
        if self.terminal_seen:
            self.offset, self.scale = 0.0, float(np.sqrt(np.mean(r**2)))
        else:
            self.offset, self.scale = float(r.mean()), float(r.std())
        self.scale = max(self.scale, 1e-6)
        self.trained = True
        self.refresh()

    def refresh(self) -> None:
        """Fold shift, member spreads and calibration into one linear map of raw outputs
        (call after the ensemble's weights change without a new calibration)."""
        ens = self.ensemble
        with torch.no_grad():
            k = ens.n_members
            member = torch.as_tensor(
                1.0 / (k * self.member_scale), dtype=torch.float32, device=ens.device
            )
            base = (ens.absorbing_value() * member).sum()
            self._weights = (member / self.scale).unsqueeze(1)
            self._bias = -(base + self.offset) / self.scale
        self._version = ens.weights_version()
        self._folded = None
        if isinstance(ens.net, EnsembleMLP) and not ens.spec.image:
            c = self._weights[:, 0].cpu().numpy()
            self._folded = FoldedMLP(ens.net, ens.spec, c, float(self._bias))

    # ----------------------------------------------------------------- reward
    def __call__(self, obs: np.ndarray, actions: np.ndarray, dones: Any = None) -> np.ndarray:
        """Rewards (N,) float32 of these (obs, action) rows: one batched network call."""
        if self.explore is not None:
            return self.explore(obs, actions, dones)
        if not self.trained:
            return np.zeros(len(obs), dtype=np.float32)
        ens = self.ensemble
        if self._weights is None or self._version != ens.weights_version():
            self.refresh()  # the weights changed (a fit, loading): fold them again
        if self._folded is not None and len(obs) <= FOLDED_MAX_ROWS:
            return self._folded(obs, actions).astype(np.float32, copy=False)
        with torch.inference_mode():
            raw = ens.raw(*ens.as_tensors(obs, actions))
            r = (raw * self._weights).sum(dim=0) + self._bias
        return r.cpu().numpy().astype(np.float32)

    def returns(self, obs: np.ndarray, actions: np.ndarray) -> float:
        """The learned return of one clip or episode (the sum of :meth:`__call__`)."""
        return float(np.sum(self(obs, actions)))

    # ----------------------------------------------------------------- persistence
    def state(self) -> dict[str, Any]:
        """What :meth:`load_state` needs (plain JSON values)."""
        return {
            "trained": self.trained,
            "offset": self.offset,
            "scale": self.scale,
            "member_scale": [float(x) for x in self.member_scale],
            "terminal_seen": self.terminal_seen,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore a calibration saved with :meth:`state`."""
        self.trained = bool(state["trained"])
        self.offset, self.scale = float(state["offset"]), float(state["scale"])
        self.terminal_seen = bool(state.get("terminal_seen", False))
        member = state.get("member_scale")
        if member is not None and len(member) == self.ensemble.n_members:
            self.member_scale = np.asarray(member, dtype=np.float64)
        self._weights = None
        self._folded = None
