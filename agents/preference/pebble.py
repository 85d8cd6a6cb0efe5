"""PEBBLE's parts (Lee et al. 2021): state-entropy pretraining, relabelling, critic reset.

As published (B-Pref's ``train_PEBBLE.py``), for an off-policy learner:

1. **unsupervised pretraining**: the learner's updates use an intrinsic reward, the
   distance from each sampled state to its k-th nearest neighbour among *all* states of the
   replay buffer, computed when the minibatch is sampled (at update time, not at collection)
   and divided by a running standard deviation of those distances
   (:class:`BufferStateEntropy`, installed on the learner's replay buffer);
2. after pretraining the reward model is fitted on the first labels, the whole buffer is
   **relabelled** with the learned reward (:func:`relabel_replay_buffer`) and the **critic is
   reset** (:func:`reset_critic`): its values were learned for the intrinsic reward;
3. the buffer is relabelled again after every reward update.

On-policy learners (PPO, A2C) have no replay buffer: :class:`StateEntropyReward` scores
states at collection against a ring of recent states instead (log(1 + distance)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from hfrl.agents.preference.learners import is_off_policy
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.running_mean_std import RunningMeanStd


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


@torch.no_grad()
def knn_distance(
    batch: torch.Tensor, states: torch.Tensor, k: int, chunk: int = 4096
) -> torch.Tensor:
    """Distance from each row of ``batch`` to its k-th nearest row of ``states`` (n_batch,).

    ``batch`` rows are themselves in ``states`` (B-Pref's convention), so the k-th
    neighbour is the (k+1)-th smallest distance; ``states`` is scanned in chunks.
    """
    kth = min(k + 1, len(states))
    best = None
    for i in range(0, len(states), chunk):
        d = torch.cdist(batch, states[i : i + chunk])
        if best is not None:
            d = torch.cat([best, d], dim=1)
        best = d.topk(min(kth, d.shape[1]), dim=1, largest=False).values
    assert best is not None
    return best[:, -1]


class BufferStateEntropy:
    """PEBBLE's intrinsic reward over an off-policy learner's replay buffer.

    While attached, every minibatch the learner samples gets rewards
    ``d_k(s) / std(d_k)``: ``d_k(s)`` the distance of its state to the k-th nearest state in
    the whole buffer, ``std`` a running standard deviation of all distances so far. At
    collection (``__call__``) the reward is 0; the buffer's stored rewards are replaced by
    the learned reward when pretraining ends (:func:`relabel_replay_buffer`).

    Args:
        model: The off-policy SB3 learner whose buffer is sampled.
        k: Which neighbour (B-Pref: 5).
        device: Torch device of the distance computation.
    """

    def __init__(self, model: BaseAlgorithm, k: int = 5, device: str = "cpu") -> None:
        if not is_off_policy(model):
            raise ValueError("BufferStateEntropy needs an off-policy learner (a replay buffer)")
        self.model = model
        self.k = k
        self.device = torch.device(device)
        self.stats = RunningMeanStd(shape=())
        self._sample: Any = None

    def __call__(self, obs: np.ndarray, actions: Any = None, dones: Any = None) -> np.ndarray:
        """Collection-time reward: 0 (the intrinsic reward is computed when sampled)."""
        return np.zeros(len(obs), dtype=np.float32)

    def attach(self) -> None:
        """Score the learner's minibatches with the state entropy from now on."""
        buf = self.model.replay_buffer
        if self._sample is not None or buf is None:
            return
        self._sample = buf.sample

        def sample(batch_size: int, env: Any = None) -> Any:
            batch = self._sample(batch_size, env=env)
            return batch._replace(rewards=self.rewards(batch.observations))

        buf.sample = sample  # type: ignore[method-assign]

    def detach(self) -> None:
        """Give the learner back its buffer's own rewards."""
        if self._sample is not None:
            del self.model.replay_buffer.sample  # the instance attribute; the method remains
            self._sample = None

    def states(self) -> torch.Tensor:
        """Every state in the buffer, flattened to (n, obs_dim), on the device."""
        buf = self.model.replay_buffer
        n = buf.buffer_size if buf.full else buf.pos
        obs = buf.observations[:n].reshape(n * buf.n_envs, -1)
        return torch.as_tensor(obs, dtype=torch.float32, device=self.device)

    @torch.no_grad()
    def rewards(self, observations: torch.Tensor) -> torch.Tensor:
        """Normalised k-NN distances (batch, 1) for a sampled minibatch of states."""
        batch = observations.reshape(len(observations), -1).to(self.device, torch.float32)
        dist = knn_distance(batch, self.states(), self.k)
        self.stats.update(dist.cpu().numpy().astype(np.float64))
        scale = float(np.sqrt(self.stats.var)) + 1e-8
        return (dist / scale).reshape(-1, 1).to(observations.device)


def reset_critic(model: BaseAlgorithm) -> bool:
    """Re-initialise an off-policy learner's critic (and target) and its optimiser.

    SAC, TD3 and DDPG: ``critic`` and ``critic_target``; DQN: ``q_net`` and
    ``q_net_target``. The actor is kept. Returns False for a learner with neither.
    """
    policy = model.policy
    names = (("critic", "critic_target"), ("q_net", "q_net_target"))
    for online_name, target_name in names:
        online = getattr(policy, online_name, None)
        target = getattr(policy, target_name, None)
        if online is None or target is None:
            continue
        for module in online.modules():
            if module is not online and hasattr(module, "reset_parameters"):
                module.reset_parameters()
        target.load_state_dict(online.state_dict())
        optimizer = getattr(online, "optimizer", None) or getattr(policy, "optimizer", None)
        if optimizer is not None:
            optimizer.state.clear()
        return True
    return False


def pretraining_reward(
    model: BaseAlgorithm, k: int, device: str
) -> BufferStateEntropy | StateEntropyReward:
    """PEBBLE's exploration reward for ``model``: over its replay buffer (attached now) when
    it has one, else at collection against recent states."""
    if is_off_policy(model):
        reward = BufferStateEntropy(model, k, device=device)
        reward.attach()
        return reward
    return StateEntropyReward(k, device=device)
