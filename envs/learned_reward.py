"""``LearnedRewardVecEnv``: an SB3 VecEnv wrapper that swaps in a learned reward.

Each ``step_wait`` scores the whole batch with ONE call to ``reward_fn`` on the
observations the actions were taken in (kept from the previous reset/step, so SB3's
auto-reset, which returns the next episode's first obs after ``done``, does not shift
them). The env's own reward goes to ``info["true_reward"]``; episode statistics stay true:
``info["episode"]`` (what fills SB3's ``ep_info_buffer``) reports the true return. Put
``Monitor``/``VecMonitor`` *under* this wrapper; a ``VecMonitor`` above it would count
the learned reward instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn

RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(obs (n_envs, *obs_shape), actions (n_envs, ...), dones (n_envs,)) -> rewards (n_envs,)."""


class LearnedRewardVecEnv(VecEnvWrapper):
    """Replace a VecEnv's rewards by ``reward_fn``'s, one batched call per step.

    Args:
        venv: The vectorised env (SB3 ``VecEnv``) with array observations.
        reward_fn: Scores the batch; see ``RewardFn``. Rescaling is the reward's own job
            (:class:`hfrl.reward.LearnedReward`), not this wrapper's.
    """

    def __init__(
        self,
        venv: VecEnv,
        reward_fn: RewardFn,
    ) -> None:
        super().__init__(venv)
        self.reward_fn = reward_fn
        self._last_obs: np.ndarray | None = None
        self._actions: np.ndarray | None = None
        self._true_returns = np.zeros(self.num_envs, dtype=np.float64)
        self._learned_returns = np.zeros(self.num_envs, dtype=np.float64)
        self._lengths = np.zeros(self.num_envs, dtype=np.int64)
        self._t_start = time.time()

    def reset(self) -> VecEnvObs:
        """Reset all envs and remember the first observations."""
        obs = self.venv.reset()
        self._last_obs = np.asarray(obs).copy()
        self._true_returns[:] = 0.0
        self._learned_returns[:] = 0.0
        self._lengths[:] = 0
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions and pass them on."""
        self._actions = np.asarray(actions).copy()
        self.venv.step_async(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Step, score the batch in one call, and keep the true reward in the infos."""
        if self._last_obs is None or self._actions is None:
            raise RuntimeError("call reset() before step() on LearnedRewardVecEnv")
        obs, true_rewards, dones, infos = self.venv.step_wait()
        dones = np.asarray(dones, dtype=bool)
        learned = np.asarray(
            self.reward_fn(self._last_obs, self._actions, dones), dtype=np.float32
        ).reshape(-1)
        if learned.shape != (self.num_envs,):
            raise ValueError(
                f"reward_fn returned shape {learned.shape}; expected ({self.num_envs},)"
            )
        new_infos = []
        for i, info in enumerate(infos):
            info = dict(info)
            true_r = float(info.get("true_reward", true_rewards[i]))
            info["true_reward"] = true_r
            info["learned_reward"] = float(learned[i])
            self._true_returns[i] += true_r
            self._learned_returns[i] += float(learned[i])
            self._lengths[i] += 1
            if dones[i]:
                info.setdefault("true_episode_return", float(self._true_returns[i]))
                info["learned_episode_return"] = float(self._learned_returns[i])
                info.setdefault(
                    "episode",
                    {
                        "r": float(self._true_returns[i]),
                        "l": int(self._lengths[i]),
                        "t": round(time.time() - self._t_start, 6),
                    },
                )
                self._true_returns[i] = 0.0
                self._learned_returns[i] = 0.0
                self._lengths[i] = 0
            new_infos.append(info)
        self._last_obs = np.asarray(obs).copy()
        return obs, learned, dones, new_infos
