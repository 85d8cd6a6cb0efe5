"""Small Gymnasium wrappers ``make`` applies to every env."""

from __future__ import annotations

import gymnasium as gym


class TrueRewardInfo(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Keep the environment's own reward aside in ``info``.

    Every step's info gets ``true_reward``; the step that ends an episode also gets
    ``true_episode_return`` and ``true_episode_length``. Wrappers added on top may replace
    the reward; teachers and evaluation read these keys instead. If an inner wrapper already
    set ``true_reward``, that (innermost) value is kept.
    """

    def __init__(self, env: gym.Env) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        super().__init__(env)
        self._return = 0.0
        self._length = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Reset and start a new episode's tally."""
        self._return = 0.0
        self._length = 0
        return self.env.reset(seed=seed, options=options)

    def step(self, action):
        """Step and record the true reward (and the return at episode end)."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        true_reward = float(info.get("true_reward", reward))
        info = dict(info)
        info["true_reward"] = true_reward
        self._return += true_reward
        self._length += 1
        if terminated or truncated:
            info["true_episode_return"] = self._return
            info["true_episode_length"] = self._length
        return obs, reward, terminated, truncated, info


class SeedOnFirstReset(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Use ``seed`` for the first reset that is not given one; seed the spaces too.

    So ``make(env_id, seed=0)`` followed by ``env.reset()`` is reproducible, while an
    explicit ``reset(seed=...)`` always wins.
    """

    def __init__(self, env: gym.Env, seed: int) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, seed=seed)
        super().__init__(env)
        self._pending: int | None = seed
        env.action_space.seed(seed)
        env.observation_space.seed(seed)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Reset, using the pending seed once if none is given."""
        if seed is None:
            seed = self._pending
        self._pending = None
        return self.env.reset(seed=seed, options=options)
