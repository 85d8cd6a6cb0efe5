"""``LearnedRewardVecEnv``: an SB3 VecEnv wrapper that swaps in a learned reward.

Each ``step_wait`` scores the whole batch with ONE call to ``reward_fn`` on the
observations the actions were taken in (kept from the previous reset/step, so SB3's
auto-reset, which returns the next episode's first obs after ``done``, does not shift
them). A reward function takes ``(obs, actions, dones)`` or, for models of (s, a, s′),
``(obs, actions, next_obs, dones)``, where ``next_obs`` of an ended episode is its last
observation. The env's own reward goes to ``info["true_reward"]``; ``info["episode"]``
(what fills SB3's ``ep_info_buffer``) reports the true return.

Place it right on the env: ``Monitor``/``VecMonitor`` *under* it (one above would count
the learned reward), ``VecFrameStack``/``VecNormalize`` *above* it (under it the reward
function would score stacked or normalised observations: refused with the fix named).

>>> import numpy as np
>>> from stable_baselines3.common.vec_env import DummyVecEnv
>>> from hfrl.envs.learned_reward import LearnedRewardVecEnv
>>> from hfrl.envs.make import make
>>> venv = DummyVecEnv([lambda: make("CartPole-v1")])
>>> wrapped = LearnedRewardVecEnv(venv, lambda obs, actions, dones: -obs[:, 2] ** 2)
>>> _ = wrapped.reset()
>>> wrapped.step(np.array([0]))[1].shape
(1,)
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium import spaces
from hfrl.envs.gym_vector import as_vec_env
from stable_baselines3.common.vec_env import VecEnvWrapper, VecFrameStack, VecNormalize
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn

from hfrl.errors import HfrlError

__all__ = [
    "DeclaresNextObs",
    "LearnedRewardVecEnv",
    "RewardFn",
    "TransitionRewardFn",
    "check_observation_space",
    "check_wrapper_stack",
    "takes_next_obs",
]

RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(obs (n_envs, *obs_shape), actions (n_envs, ...), dones (n_envs,)) -> rewards (n_envs,)."""
TransitionRewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(obs, actions, next_obs, dones) -> rewards (n_envs,): a reward model of (s, a, s′)."""


@runtime_checkable
class DeclaresNextObs(Protocol):
    """A reward function that says which signature it has: ``takes_next_obs`` True for
    (obs, actions, next_obs, dones), False for (obs, actions, dones)."""

    takes_next_obs: bool


def takes_next_obs(reward_fn: Callable[..., Any]) -> bool:
    """Whether ``reward_fn`` wants ``next_obs``: its ``takes_next_obs`` attribute if it
    declares one, else its arity (4 positional parameters: yes; 3: no).

    Raises:
        HfrlError: a function of another arity (the two signatures are named).
    """
    if isinstance(reward_fn, DeclaresNextObs):
        return bool(reward_fn.takes_next_obs)
    try:
        params = list(inspect.signature(reward_fn).parameters.values())
    except (TypeError, ValueError):
        return False  # a builtin without a signature: the classic three arguments
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) == 4:
        return True
    if len(positional) == 3:
        return False
    raise HfrlError(
        f"reward_fn takes {len(positional)} positional arguments; it must take "
        "(obs, actions, dones) or (obs, actions, next_obs, dones)"
    )


_BELOW_NOT_ALLOWED = {
    VecFrameStack: "stacked observations instead of the env's own",
    VecNormalize: "normalised observations (and VecNormalize would not see the learned reward)",
}


def check_wrapper_stack(venv: Any) -> None:
    """Refuse a ``VecFrameStack`` or ``VecNormalize`` under the learned-reward wrapper."""
    v = venv
    while isinstance(v, VecEnvWrapper):
        for cls, what in _BELOW_NOT_ALLOWED.items():
            if isinstance(v, cls):
                name = cls.__name__
                raise HfrlError(
                    f"LearnedRewardVecEnv is placed above {name}, so the reward function would "
                    f"score {what}. Put {name} on top instead: "
                    f"{name}(LearnedRewardVecEnv(venv, reward_fn), ...)"
                    " (or pass check_stack=False if your reward model wants that input)"
                )
        v = v.venv


def check_observation_space(space: spaces.Space) -> None:
    """Refuse observation spaces that are not one array per env (Dict, Tuple, ...)."""
    if isinstance(space, (spaces.Dict, spaces.Tuple)):
        keys = list(space.spaces.keys()) if isinstance(space, spaces.Dict) else len(space.spaces)
        raise HfrlError(
            f"LearnedRewardVecEnv needs array observations, got a {type(space).__name__} space "
            f"({keys}); flatten them first, e.g. gymnasium.wrappers.FlattenObservation on each env"
        )
    if not isinstance(
        space, (spaces.Box, spaces.Discrete, spaces.MultiBinary, spaces.MultiDiscrete)
    ):
        raise HfrlError(
            f"LearnedRewardVecEnv cannot score a {type(space).__name__} observation space"
        )


class LearnedRewardVecEnv(VecEnvWrapper):
    """Replace a VecEnv's rewards by ``reward_fn``'s, one batched call per step.

    Args:
        venv: An SB3 ``VecEnv`` (``SubprocVecEnv`` too) or a ``gymnasium.vector.VectorEnv``
            (adapted by :func:`hfrl.envs.gym_vector.as_vec_env`), with array observations.
        reward_fn: Scores the batch: ``RewardFn`` or ``TransitionRewardFn`` (see
            :func:`takes_next_obs`). Rescaling is the reward's own job
            (:class:`hfrl.reward.LearnedReward`), not this wrapper's.
        next_obs: Force the signature (True: pass ``next_obs``); None reads it from
            ``reward_fn``.
        check_stack: Refuse ``VecFrameStack``/``VecNormalize`` under this wrapper.

    Raises:
        HfrlError: Dict/Tuple observations, a wrong wrapper order, a reward function of
            neither signature.
    """

    def __init__(
        self,
        venv: Any,
        reward_fn: RewardFn | TransitionRewardFn,
        *,
        next_obs: bool | None = None,
        check_stack: bool = True,
    ) -> None:
        venv = as_vec_env(venv)
        check_observation_space(venv.observation_space)
        if check_stack:
            check_wrapper_stack(venv)
        super().__init__(venv)
        self.reward_fn = reward_fn
        self.takes_next_obs = takes_next_obs(reward_fn) if next_obs is None else bool(next_obs)
        """``reward_fn`` is called with (obs, actions, next_obs, dones)."""
        self._last_obs: np.ndarray | None = None
        self._actions: np.ndarray | None = None
        n = self.num_envs
        # per-env tallies as Python floats/ints: a step touches each once in the loop that
        # fills the infos anyway, where numpy would add a few array calls per step
        self._true_returns = [0.0] * n
        self._learned_returns = [0.0] * n
        self._steps = 0
        """Vectorised steps taken; an episode's length is ``_steps - _starts[i]``."""
        self._starts = [0] * n
        self._t_start = time.time()

    def reset(self) -> VecEnvObs:
        """Reset all envs and remember the first observations."""
        obs = self.venv.reset()
        self._last_obs = np.array(obs, copy=True)
        n = self.num_envs
        self._true_returns = [0.0] * n
        self._learned_returns = [0.0] * n
        self._starts = [self._steps] * n
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions and pass them on."""
        self._actions = np.asarray(actions).copy()
        self.venv.step_async(actions)

    def _next_obs(self, obs: np.ndarray, dones: np.ndarray, infos: list[dict]) -> np.ndarray:
        """The observations each action led to (an ended episode's last one, not the reset)."""
        out = np.array(obs, copy=True)
        for i in np.flatnonzero(dones):
            terminal = infos[i].get("terminal_observation")
            if terminal is not None:
                out[i] = terminal
        return out

    def step_wait(self) -> VecEnvStepReturn:
        """Step, score the batch in one call, and keep the true reward in the infos."""
        last_obs, actions = self._last_obs, self._actions
        if last_obs is None or actions is None:
            raise RuntimeError("call reset() before step() on LearnedRewardVecEnv")
        obs, true_rewards, dones, infos = self.venv.step_wait()
        dones = np.asarray(dones, dtype=bool)
        if self.takes_next_obs:
            scored = self.reward_fn(last_obs, actions, self._next_obs(obs, dones, infos), dones)
        else:
            scored = self.reward_fn(last_obs, actions, dones)
        learned = np.asarray(scored, dtype=np.float32).reshape(-1)
        if learned.shape != (self.num_envs,):
            raise ValueError(
                f"reward_fn returned shape {learned.shape}; expected ({self.num_envs},)"
            )
        true_list = np.asarray(true_rewards).tolist()  # float() below, as float64 would
        learned_list = learned.tolist()
        true_returns, learned_returns = self._true_returns, self._learned_returns
        # infos are fresh dicts each step: filled in place (plain floats, one conversion each)
        for i, info in enumerate(infos):
            r = info["true_reward"] = float(info.get("true_reward", true_list[i]))
            info["learned_reward"] = learned_r = learned_list[i]
            true_returns[i] += r
            learned_returns[i] += learned_r
        self._steps += 1
        self._last_obs = np.array(obs, copy=True)
        if True in dones.tolist():
            self._end_episodes(dones, infos)
        return obs, learned, dones, infos

    def _end_episodes(self, dones: np.ndarray, infos: list[dict]) -> None:
        """Write the ended episodes' true and learned returns into their infos; restart them."""
        for i in np.flatnonzero(dones).tolist():
            info = infos[i]
            true_return = self._true_returns[i]
            info.setdefault("true_episode_return", true_return)
            info["learned_episode_return"] = self._learned_returns[i]
            info.setdefault(
                "episode",
                {
                    "r": true_return,
                    "l": self._steps - self._starts[i],
                    "t": round(time.time() - self._t_start, 6),
                },
            )
            self._true_returns[i] = 0.0
            self._learned_returns[i] = 0.0
            self._starts[i] = self._steps
