"""``make``: one call that returns a Gymnasium env ready for hfrl.

What it adds on top of ``gymnasium.make``:

- the id is checked first: a typo gets close matches from the suites and the Gymnasium
  registry; an env whose optional dependency is missing names the extra to install;
- every ALE game works by id (``ALE/<Game>-v5``);
- Atari envs get the standard learner preprocessing (``hfrl.envs.atari``): obs
  (4, 84, 84) uint8, while ``env.render()`` returns the full-colour frame;
- ``info["true_reward"]`` on every step and ``info["true_episode_return"]`` at episode end
  (``hfrl.envs.wrappers.TrueRewardInfo``), never clipped;
- headless MuJoCo rendering (``MUJOCO_GL=egl`` when unset and there is no display).
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any, Literal

import gymnasium as gym
from hfrl.envs.suites import SUITES, is_atari

from hfrl.errors import missing_extra, unknown_name

ATARI_FPS = 15
"""Display rate of a preprocessed Atari env: the console runs at 60 Hz, one step is 4 frames."""

_EXTRA_MODULES: dict[str, tuple[str, str]] = {
    "gymnasium.envs.box2d": ("box2d", "Box2D"),
    "gymnasium.envs.mujoco": ("mujoco", "mujoco"),
}
"""Entry-point prefix -> (hfrl extra, module the env imports)."""


def _headless_gl() -> None:
    """Pick EGL for MuJoCo rendering when nothing is chosen and there is no display."""
    if "MUJOCO_GL" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["MUJOCO_GL"] = "egl"


_headless_gl()


@functools.cache
def _register_ale() -> None:
    import ale_py

    gym.register_envs(ale_py)


def known_ids() -> list[str]:
    """Every id ``make`` accepts: the suites' ids and the Gymnasium registry (ALE included)."""
    _register_ale()
    ids = set(gym.registry)
    for suite_ids in SUITES.values():
        ids.update(suite_ids)
    return sorted(ids)


def required_extra(env_id: str) -> str | None:
    """The hfrl extra an id needs (``box2d``, ``mujoco``), or None."""
    if env_id not in gym.registry:  # Gymnasium's own ids need no ALE import (slow)
        _register_ale()
    spec = gym.registry.get(env_id)
    entry = spec.entry_point if spec is not None and isinstance(spec.entry_point, str) else ""
    for prefix, (extra, _module) in _EXTRA_MODULES.items():
        if entry.startswith(prefix):
            return extra
    return None


def extra_installed(extra: str) -> bool:
    """True when the optional dependency behind ``extra`` imports."""
    module = next(m for e, m in _EXTRA_MODULES.values() if e == extra)
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def check_id(env_id: str) -> None:
    """Raise a helpful HfrlError if ``env_id`` is unknown or its extra is missing."""
    if env_id not in gym.registry:  # Gymnasium's own ids need no ALE import (slow)
        _register_ale()
    if env_id not in gym.registry:
        raise unknown_name("env id", env_id, known_ids(), "hfrl envs")
    extra = required_extra(env_id)
    if extra is not None and not extra_installed(extra):
        raise missing_extra(env_id, extra)


def make(
    env_id: str,
    *,
    seed: int | None = None,
    render_mode: str | None = "rgb_array",
    atari_preprocessing: bool = True,
    max_episode_steps: int | None = None,
    **kwargs: Any,
) -> gym.Env:
    """Build an env ready for the suite.

    Args:
        env_id: A Gymnasium id, e.g. ``CartPole-v1`` or ``ALE/Pong-v5``.
        seed: If given, the first ``reset()`` without a seed uses it, and the action and
            observation spaces are seeded with it.
        render_mode: ``"rgb_array"`` (frames for display and clips), ``"human"`` or None.
        atari_preprocessing: For ALE ids, apply the learner preprocessing (frame skip 4
            with max-pool, no-op reset, grey 84×84, stack of 4). If False the plain v5 env
            is returned (frame skip 4, RGB obs).
        max_episode_steps: Time limit in agent steps (for Atari: preprocessed steps).
        **kwargs: Passed to ``gymnasium.make`` (the env's constructor).

    Returns:
        The env. ``info["true_reward"]`` is set on every step; ``info["true_episode_return"]``
        and ``info["true_episode_length"]`` on the step that ends an episode.

    Raises:
        UnknownNameError: Unknown id (with close matches).
        MissingExtraError: Box2D or MuJoCo not installed (names the pip command).
    """
    from hfrl.envs.wrappers import SeedOnFirstReset, TrueRewardInfo

    check_id(env_id)
    if is_atari(env_id) and atari_preprocessing:
        env = _make_atari(env_id, render_mode, max_episode_steps, kwargs)
    else:
        env = _gym_make(
            env_id, render_mode=render_mode, max_episode_steps=max_episode_steps, **kwargs
        )
    env = TrueRewardInfo(env)
    if seed is not None:
        env = SeedOnFirstReset(env, seed)
    return env


def _gym_make(env_id: str, **kwargs: Any) -> gym.Env:
    try:
        return gym.make(env_id, **kwargs)
    except gym.error.DependencyNotInstalled as err:
        extra = required_extra(env_id)
        if extra is None:
            raise
        raise missing_extra(env_id, extra) from err


def _make_atari(
    env_id: str, render_mode: str | None, max_episode_steps: int | None, kwargs: dict[str, Any]
) -> gym.Env:
    from gymnasium.wrappers import FrameStackObservation, TimeLimit
    from hfrl.envs.atari import AtariPreprocess

    base = _gym_make(env_id, render_mode=render_mode, frameskip=1, obs_type="grayscale", **kwargs)
    env: gym.Env = FrameStackObservation(AtariPreprocess(base), 4)
    if max_episode_steps is not None:
        env = TimeLimit(env, max_episode_steps)
    return env


def action_kind(env: gym.Env) -> Literal["discrete", "continuous"]:
    """``"discrete"`` for a Discrete action space, ``"continuous"`` for a Box one."""
    space = env.action_space
    if isinstance(space, gym.spaces.Discrete):
        return "discrete"
    if isinstance(space, gym.spaces.Box):
        return "continuous"
    raise TypeError(f"hfrl supports Discrete and Box action spaces, not {space}")


@functools.cache
def env_fps(env_id: str) -> int:
    """Frames per second to show an env at, so a person sees it in real time.

    Preprocessed Atari: 15 (60 Hz console, 4 frames per step). Otherwise the env's
    ``metadata["render_fps"]`` (e.g. CartPole 50, MountainCar 30, Hopper 125), or 30 when
    the env does not say.
    """
    if is_atari(env_id):
        check_id(env_id)
        return ATARI_FPS
    env = make(env_id, render_mode=None)
    try:
        fps = env.metadata.get("render_fps") or env.unwrapped.metadata.get("render_fps")
    finally:
        env.close()
    return round(float(fps)) if fps else 30
