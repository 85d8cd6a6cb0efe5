"""Gymnasium's own vector envs (``gymnasium.vector.VectorEnv``) as SB3 ``VecEnv``\\ s.

CleanRL-style code builds ``gymnasium.vector.SyncVectorEnv`` / ``AsyncVectorEnv``; SB3 and
hfrl's wrappers expect SB3's ``VecEnv`` contract: ``step`` returns (obs, rewards, dones,
infos as a list of dicts), an episode that ends is reset in the same step, and its last
observation is in ``info["terminal_observation"]`` (``info["TimeLimit.truncated"]`` for a
time limit). :class:`GymnasiumVecEnv` gives that contract for every autoreset mode
(same-step: from ``final_obs``; next-step or disabled: by resetting the ended envs with
``reset_mask`` at once).

>>> import gymnasium as gym
>>> from hfrl.envs.gym_vector import as_vec_env
>>> venv = as_vec_env(gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync"))
>>> venv.reset().shape
(2, 4)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn

from hfrl.errors import HfrlError

__all__ = [
    "GymnasiumVecEnv",
    "as_vec_env",
]


def _split_infos(info: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """Gymnasium's vector info (key -> array, ``_key`` -> mask) as one dict per env."""
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, value in info.items():
        if key.startswith("_") or key in ("final_obs", "final_info"):
            continue
        mask = info.get(f"_{key}")
        if isinstance(value, dict):
            nested = _split_infos(value, n)
            for i in range(n):
                if (mask is None or mask[i]) and nested[i]:
                    out[i][key] = nested[i]
            continue
        for i in range(n):
            if mask is None or mask[i]:
                out[i][key] = value[i]
    return out


class GymnasiumVecEnv(VecEnv):
    """An SB3 ``VecEnv`` over a ``gymnasium.vector.VectorEnv``; see the module docstring.

    Args:
        venv: The Gymnasium vector env (any autoreset mode).
    """

    def __init__(self, venv: gym.vector.VectorEnv) -> None:
        self.venv = venv
        with warnings.catch_warnings():  # SB3 warns when the sub-envs render nothing
            warnings.simplefilter("ignore", UserWarning)
            super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self.spec = getattr(venv, "spec", None)
        self.render_mode = getattr(venv, "render_mode", None)
        self.same_step = venv.metadata.get("autoreset_mode") == AutoresetMode.SAME_STEP
        self._actions: np.ndarray | None = None

    def reset(self) -> VecEnvObs:
        """Reset every env (with the seeds of :meth:`seed`, if given)."""
        seeds = None if all(s is None for s in self._seeds) else list(self._seeds)
        obs, info = self.venv.reset(seed=seeds)
        self.reset_infos = _split_infos(info, self.num_envs)
        self._reset_seeds()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Keep the actions for :meth:`step_wait`."""
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Step every env; ended ones are reset in this step, as SB3 expects."""
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        dones = np.logical_or(terminated, truncated)
        infos = _split_infos(info, self.num_envs)
        if dones.any():
            if self.same_step:
                final_obs = info["final_obs"]
                final_infos = _split_infos(info.get("final_info", {}), self.num_envs)
                for i in np.flatnonzero(dones):
                    infos[i].update(final_infos[i])
                    infos[i]["terminal_observation"] = final_obs[i]
            else:
                terminal = obs.copy() if isinstance(obs, np.ndarray) else obs
                obs, reset_info = self.venv.reset(options={"reset_mask": dones})
                resets = _split_infos(reset_info, self.num_envs)
                for i in np.flatnonzero(dones):
                    infos[i]["terminal_observation"] = terminal[i]
                    self.reset_infos[i] = resets[i]
            for i in np.flatnonzero(dones):
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, np.asarray(rewards, dtype=np.float32), dones, infos

    def close(self) -> None:
        """Close the Gymnasium vector env."""
        self.venv.close()

    def _pick(self, values: Sequence[Any], indices: Any) -> list[Any]:
        return [values[i] for i in self._get_indices(indices)]

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """An attribute of each sub-env (``VectorEnv.get_attr``)."""
        return self._pick(self.venv.get_attr(attr_name), indices)

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        """Set an attribute on every sub-env (only all of them at once)."""
        if indices is not None and list(self._get_indices(indices)) != list(range(self.num_envs)):
            raise HfrlError("a Gymnasium vector env sets attributes on all its envs at once")
        self.venv.set_attr(attr_name, value)

    def env_method(
        self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
    ) -> list[Any]:
        """Call a method of each sub-env (``VectorEnv.call``)."""
        return self._pick(self.venv.call(method_name, *method_args, **method_kwargs), indices)

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        """Whether each sub-env is wrapped by ``wrapper_class`` (False where it cannot be told)."""
        try:
            envs = self.venv.envs  # SyncVectorEnv
        except AttributeError:
            return [False] * len(list(self._get_indices(indices)))

        def wrapped(env: Any) -> bool:
            while isinstance(env, gym.Wrapper):
                if isinstance(env, wrapper_class):
                    return True
                env = env.env
            return False

        return self._pick([wrapped(e) for e in envs], indices)

    def get_images(self) -> Sequence[np.ndarray | None]:
        """Each sub-env's rendered frame."""
        return list(self.venv.call("render"))


def as_vec_env(venv: Any) -> VecEnv:
    """``venv`` as an SB3 ``VecEnv``: SB3's own unchanged, Gymnasium's adapted.

    Raises:
        HfrlError: anything else (a single ``gymnasium.Env`` is named as such).
    """
    if isinstance(venv, VecEnv):
        return venv
    if isinstance(venv, gym.vector.VectorEnv):
        return GymnasiumVecEnv(venv)
    if isinstance(venv, gym.Env):
        raise HfrlError(
            "expected a vectorised env, got a single gymnasium.Env: wrap it, e.g. "
            "DummyVecEnv([lambda: env]) or gymnasium.make_vec(env_id, num_envs=N)"
        )
    raise HfrlError(
        f"expected an SB3 VecEnv or a gymnasium.vector.VectorEnv, got {type(venv).__name__}"
    )
