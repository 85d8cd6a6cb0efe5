"""PEBBLE's parts (Lee et al. 2021): relabelling an off-policy buffer, state-entropy reward.

:func:`relabel_replay_buffer` rewrites the stored rewards of a replay buffer after the
reward model changed; :class:`StateEntropyReward` is the unsupervised exploration reward
of the pretraining phase (distance to the k-th nearest recent state).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from hfrl.agents.preference.learners import is_off_policy
from stable_baselines3.common.base_class import BaseAlgorithm


def relabel_replay_buffer(model: BaseAlgorithm, reward_fn: Any, chunk: int = 4096) -> int:
    """Rewrite the stored rewards of an off-policy learner with ``reward_fn``; return rows.

    The buffer keeps observations the actions were taken in and (for Box actions) actions
    scaled to [-1, 1]; they are unscaled before scoring, as the env saw them.
    """
    if not is_off_policy(model):
        return 0
    buf = model.replay_buffer
    if buf is None or not hasattr(buf, "observations") or isinstance(buf.observations, dict):
        return 0
    n = buf.buffer_size if buf.full else buf.pos
    if n == 0:
        return 0
    from gymnasium import spaces

    obs = buf.observations[:n]
    acts = buf.actions[:n]
    flat_obs = obs.reshape(n * buf.n_envs, *obs.shape[2:])
    flat_act = acts.reshape(n * buf.n_envs, *acts.shape[2:])
    if isinstance(model.action_space, spaces.Box):
        flat_act = model.policy.unscale_action(flat_act)
    elif isinstance(model.action_space, spaces.Discrete):
        flat_act = flat_act.reshape(-1).astype(np.int64)
    out = np.empty(n * buf.n_envs, dtype=np.float32)
    for i in range(0, len(out), chunk):
        out[i : i + chunk] = reward_fn(flat_obs[i : i + chunk], flat_act[i : i + chunk], None)
    buf.rewards[:n] = out.reshape(n, buf.n_envs)
    return n * buf.n_envs


class StateEntropyReward:
    """PEBBLE's exploration reward: log(1 + distance to the k-th nearest recent state).

    Args:
        k: Which neighbour.
        capacity: Recent states kept (a ring) to measure distances against.
        device: Torch device of the distance computation.
    """

    def __init__(self, k: int = 5, capacity: int = 10_000, device: str = "cpu") -> None:
        self.k = k
        self.capacity = capacity
        self.device = torch.device(device)
        self._ring: torch.Tensor | None = None
        self._n = 0
        self._pos = 0

    @torch.no_grad()
    def __call__(self, obs: np.ndarray, actions: Any = None, dones: Any = None) -> np.ndarray:
        """Rewards (n,) for a batch of states; the states are then remembered."""
        x = torch.as_tensor(
            np.asarray(obs, dtype=np.float32).reshape(len(obs), -1), device=self.device
        )
        if self._ring is None:
            self._ring = torch.zeros((self.capacity, x.shape[1]), device=self.device)
        if self._n < self.k:
            r = torch.zeros(len(x), device=self.device)
        else:
            d = torch.cdist(x, self._ring[: self._n])
            r = torch.log1p(d.topk(self.k, dim=1, largest=False).values[:, -1])
        for row in x:
            self._ring[self._pos] = row
            self._pos = (self._pos + 1) % self.capacity
            self._n = min(self._n + 1, self.capacity)
        return r.cpu().numpy().astype(np.float32)
