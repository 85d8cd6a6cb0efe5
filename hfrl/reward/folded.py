"""The learner's reward for a few rows at a time, in numpy: an ensemble MLP folded into one.

A vectorised env step scores a handful of (obs, action) rows. For a small MLP ensemble the
arithmetic takes microseconds and torch's per-call work (tensor wrapping, dispatch,
autograd bookkeeping) dominates, so :class:`FoldedMLP` keeps numpy copies of the weights and
folds everything after the hidden layers into one dot product: the members' output layers,
the absorbing-state shift, the member spreads and the calibration of
:class:`~hfrl.reward.learned.LearnedReward` (all linear). The first layer's members are
concatenated into one matrix; a discrete action selects rows of it instead of a one-hot
product. Rows are live (not absorbing): the absorbing bit's weights never enter.
"""

from __future__ import annotations

import numpy as np
import torch

from hfrl.reward.networks import EnsembleMLP
from hfrl.reward.spec import InputSpec

__all__ = ["FoldedMLP"]


class FoldedMLP:
    """Rewards (N,) of live rows: ``sum_k c_k · r_k(s, a) + bias`` from an ensemble MLP.

    Args:
        net: The ensemble whose weights are copied (a snapshot: rebuild after they change).
        spec: The input layout (vector observations; discrete or continuous actions).
        member_weights: c_k, one per member.
        bias: Added to every reward.
    """

    def __init__(
        self, net: EnsembleMLP, spec: InputSpec, member_weights: np.ndarray, bias: float
    ) -> None:
        with torch.no_grad():
            weights = [w.detach().cpu().numpy().astype(np.float32) for w in net.weights]
            biases = [b.detach().cpu().numpy().astype(np.float32)[:, 0] for b in net.biases]
        k = len(member_weights)
        first, first_b = weights[0], biases[0]  # (K, in, H), (K, H)
        width = first.shape[2]
        cat = np.ascontiguousarray(first.transpose(1, 0, 2).reshape(first.shape[1], k * width))
        self.obs_dim = spec.obs_dim
        self.discrete = spec.discrete
        self.w_obs = np.ascontiguousarray(cat[: self.obs_dim])
        self.w_act = np.ascontiguousarray(cat[self.obs_dim : self.obs_dim + spec.action_dim])
        self.b_first = first_b.reshape(k * width)
        self.members = k
        self.width = width
        self.hidden = [
            (np.ascontiguousarray(w), b[:, None, :])
            for w, b in zip(weights[1:-1], biases[1:-1], strict=True)
        ]
        c = np.asarray(member_weights, dtype=np.float32)
        out_w, out_b = weights[-1][:, :, 0], biases[-1][:, 0]  # (K, H_last), (K,)
        self.out = np.ascontiguousarray(out_w * c[:, None])  # (K, H_last)
        self.bias = np.float32(float(np.dot(c, out_b)) + bias)
        self.slope = np.float32(net.slope)

    def _leaky(self, h: np.ndarray) -> np.ndarray:
        return np.maximum(h, h * self.slope, out=h)

    def __call__(self, obs: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Rewards (N,) float32 of rows (N, *obs_shape) and their actions."""
        n = len(obs)
        x = np.asarray(obs, dtype=np.float32).reshape(n, self.obs_dim)
        h = x @ self.w_obs
        h += self.b_first
        if self.discrete:
            h += np.take(self.w_act, np.asarray(actions).reshape(n), axis=0, mode="clip")
        else:
            h += np.asarray(actions, dtype=np.float32).reshape(n, -1) @ self.w_act
        h = self._leaky(h)
        if not self.hidden:  # one hidden layer: the members' units side by side
            return h @ self.out.reshape(-1) + self.bias
        h = h.reshape(n, self.members, self.width).transpose(1, 0, 2)  # (K, N, H)
        for w, b in self.hidden:
            h = np.matmul(h, w)
            h += b
            h = self._leaky(h)
        return np.einsum("knh,kh->n", h, self.out) + self.bias
