"""Helpers the live-feedback agents (TAMER, Deep TAMER, COACH, Deep COACH) share.

Space checks with errors that say which agent to use instead, the greedy choice with a
random tie-break, observation spaces as JSON, and the ``agent.json`` every agent saves
(name, config, env id, seed, then the agent's own fields).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hfrl.config import config_from_dict, config_to_dict, load_json, save_json
from hfrl.errors import HfrlError

AGENT_FILE = "agent.json"
"""The metadata file of a saved agent."""

TAMER_ENVS = ("CartPole-v1", "MountainCar-v0", "Acrobot-v1", "LunarLander-v3")
"""Environments TAMER is tested on (discrete actions, low-dimensional vector states)."""


def check_discrete(env_id: str, observation_space: Any, action_space: Any, agent: str) -> int:
    """Number of actions, or an HfrlError for spaces a TAMER-style agent cannot handle."""
    n = getattr(action_space, "n", None)
    if n is None:
        raise HfrlError(
            f"{agent} needs a discrete action space, but {env_id} has {action_space}. "
            f"Supported envs: {', '.join(TAMER_ENVS)}"
            + (" and any Atari game (ALE/<Game>-v5)" if agent == "deep-tamer" else "")
            + "."
        )
    return int(n)


def check_vector_obs(env_id: str, observation_space: Any, agent: str, deep_agent: str) -> None:
    """HfrlError unless the observations are vectors (``deep_agent`` is named for images)."""
    shape = tuple(getattr(observation_space, "shape", ()) or ())
    if len(shape) != 1:
        raise HfrlError(
            f"{agent} needs a low-dimensional vector observation, but {env_id} gives shape "
            f"{shape}; use {deep_agent} for image observations (Atari)."
        )


def check_vector_or_frames(env_id: str, observation_space: Any, agent: str) -> tuple[int, ...]:
    """The observation shape: a vector (D,) or a frame stack (C, H, W); HfrlError otherwise."""
    shape = tuple(observation_space.shape)
    if len(shape) not in (1, 3):
        raise HfrlError(
            f"{agent} needs vector states or (C, H, W) frame stacks; {env_id} gives {shape}"
        )
    return shape


def greedy_choice(values: np.ndarray, rng: np.random.Generator, tol: float) -> int:
    """Index of the largest value; values within ``tol`` of it tie and are drawn from ``rng``."""
    best = np.flatnonzero(values >= values.max() - tol)
    return int(best[0] if len(best) == 1 else rng.choice(best))


# ---------------------------------------------------------------------- spaces as JSON
def space_to_dict(space: Any) -> dict[str, Any]:
    """A gymnasium Box as JSON: shape, dtype and bounds (a scalar when uniform)."""

    def bound(a: np.ndarray) -> Any:
        a = np.asarray(a, dtype=np.float64)
        flat = a.ravel()
        if flat.size and np.all(flat == flat[0]):
            return _finite_or_str(flat[0])
        return [_finite_or_str(x) for x in flat]

    return {
        "shape": list(space.shape),
        "dtype": str(space.dtype),
        "low": bound(space.low),
        "high": bound(space.high),
    }


def space_from_dict(data: dict[str, Any]) -> Any:
    """Inverse of :func:`space_to_dict`."""
    import gymnasium as gym

    shape = tuple(data["shape"])
    dtype = np.dtype(data["dtype"])

    def bound(v: Any) -> np.ndarray:
        vals = np.asarray([float(x) for x in v] if isinstance(v, list) else float(v))
        return np.broadcast_to(vals.reshape(shape) if vals.ndim else vals, shape).astype(dtype)

    return gym.spaces.Box(bound(data["low"]), bound(data["high"]), shape=shape, dtype=dtype)


def _finite_or_str(x: float) -> float | str:
    """JSON has no infinities: write them as "inf"/"-inf" (float() reads them back)."""
    return float(x) if np.isfinite(x) else ("inf" if x > 0 else "-inf")


# ---------------------------------------------------------------------- agent.json
def save_meta(directory: str | Path, agent: Any, **fields: Any) -> Path:
    """Write ``agent.json`` (name, config, env id, seed, then ``fields``); the directory."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    save_json(
        d / AGENT_FILE,
        {
            "agent": agent.name,
            "config": config_to_dict(agent.config),
            "env_id": agent.env_id,
            "seed": agent.seed,
            **fields,
        },
    )
    return d


def load_meta(directory: str | Path, cls: Any) -> tuple[Path, dict[str, Any], Any]:
    """The directory, ``agent.json`` and the config of a saved ``cls`` agent."""
    d = Path(directory)
    if not (d / AGENT_FILE).exists():
        raise HfrlError(f"{d} holds no saved {cls.name} agent ({AGENT_FILE} is missing)")
    meta = load_json(d / AGENT_FILE)
    return d, meta, config_from_dict(cls.config_class, meta["config"])
