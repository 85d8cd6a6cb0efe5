"""What a recorded session's arrays mean: the env, its wrappers and spaces, the teacher.

An exported session (``hfrl export``) carries this description so that someone without the
original run can interpret it: which Gymnasium env and version produced the observations,
through which wrappers (frame skip, frame stack, preprocessing), in which observation and
action spaces, shown at which display rate, with clips of which length, labelled by whom.

The description is computed from the env id the session recorded (the apps build their env
with :func:`hfrl.envs.make.make` and its defaults, so rebuilding it gives the same chain),
plus what the session's meta says. This module sits in the top layer: it imports the envs.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

DESCRIPTION_KEY = "description"
"""Key of the description in an imported session's meta (kept so re-export is stable)."""


def space_description(space: Any) -> dict[str, Any]:
    """A Gymnasium space as JSON: type, shape, dtype, and bounds or number of actions."""
    import gymnasium as gym

    if isinstance(space, gym.spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, gym.spaces.Box):
        low, high = np.asarray(space.low), np.asarray(space.high)
        out: dict[str, Any] = {
            "type": "Box",
            "shape": list(space.shape),
            "dtype": np.dtype(space.dtype).str,
        }
        if low.size <= 64:  # small boxes: the bounds themselves (inf as strings)
            out["low"] = [_json_float(v) for v in low.ravel().tolist()]
            out["high"] = [_json_float(v) for v in high.ravel().tolist()]
        else:  # images: the bounds are the same everywhere
            out["low"] = _json_float(float(low.min()))
            out["high"] = _json_float(float(high.max()))
        return out
    if isinstance(space, gym.spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "nvec": np.asarray(space.nvec).tolist()}
    return {"type": type(space).__name__, "repr": repr(space)}


def _json_float(v: float) -> float | str:
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


def wrapper_chain(env: Any) -> list[dict[str, Any]]:
    """The wrappers of ``env`` from the outside in, each with its constructor kwargs."""
    chain = []
    while hasattr(env, "env"):
        kwargs = getattr(env, "_saved_kwargs", None) or {}
        chain.append({"name": type(env).__name__, "kwargs": _jsonable(kwargs)})
        env = env.env
    chain.append({"name": type(env).__name__, "kwargs": {}})
    return chain


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        if isinstance(value, dict):
            return {str(k): _jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [_jsonable(v) for v in value]
        return repr(value)


def frame_skip_and_stack(env: Any) -> tuple[int, int | None]:
    """Frames per agent step and frames per observation (None: no frame stack)."""
    skip, stack = 1, None
    layer = env
    while layer is not None:
        if isinstance(getattr(layer, "frame_skip", None), int):
            skip *= int(layer.frame_skip)
        if isinstance(getattr(layer, "stack_size", None), int):
            stack = int(layer.stack_size)
        layer = getattr(layer, "env", None)
    base_skip = getattr(env.unwrapped, "_frameskip", 1)
    if isinstance(base_skip, int) and base_skip > 1:
        skip *= base_skip
    return skip, stack


def describe_env(env_id: str) -> dict[str, Any]:
    """The env as the apps build it: id, Gymnasium spec, wrappers, frame skip/stack, spaces.

    Raises:
        HfrlError: unknown env id, or a missing extra (Box2D, MuJoCo).
    """
    from hfrl.envs.make import env_fps, make

    env = make(env_id, render_mode=None)
    try:
        spec = None
        if env.spec is not None:
            try:
                spec = json.loads(env.spec.to_json())
            except Exception:  # a spec with kwargs JSON cannot hold
                spec = {"id": env.spec.id, "repr": repr(env.spec)}
        skip, stack = frame_skip_and_stack(env)
        return {
            "id": env_id,
            "spec": spec,
            "wrappers": wrapper_chain(env),
            "frame_skip": skip,
            "frame_stack": stack,
            "observation_space": space_description(env.observation_space),
            "action_space": space_description(env.action_space),
            "native_fps": env_fps(env_id),
        }
    finally:
        env.close()


def describe_teacher(meta: dict[str, Any], sources: list[str]) -> dict[str, Any]:
    """Who gave the feedback: the meta's record, else what the feedback rows' sources say.

    Sessions made by the apps record ``meta["teacher"]`` (a simulated teacher's parameters,
    or ``{"kind": "person"}``). Older sessions do not; their rows' ``source`` names the
    simulated teacher, and ``"human"`` (the default source, also the name of the ``human``
    simulated trainer) is reported as possibly a person.
    """
    recorded = meta.get("teacher")
    if isinstance(recorded, dict):
        return recorded
    if isinstance(recorded, str):
        return {"kind": "simulated", "name": recorded}
    names = sorted(set(sources))
    if not names:
        return {"kind": "unknown", "note": "no feedback rows"}
    if names == ["human"]:
        return {
            "kind": "person",
            "note": "not recorded by the session; rows say 'human' (a person, or the "
            "simulated 'human' trainer)",
        }
    return {"kind": "simulated", "sources": names, "note": "from the rows' sources"}


def describe_session(
    meta: dict[str, Any], sources: list[str], clip_lengths: list[int]
) -> dict[str, Any]:
    """The description an export carries, from the session's meta and its rows.

    An imported session keeps the description it came with (under
    :data:`DESCRIPTION_KEY`); it is returned as it is, so export → import → export is stable.
    """
    kept = meta.get(DESCRIPTION_KEY)
    if isinstance(kept, dict):
        return kept
    env_id = meta.get("env_id")
    env = describe_env(env_id) if isinstance(env_id, str) else None
    fps = meta.get("fps")
    if fps is None and env is not None:
        fps = float(min(30 if meta.get("app") == "teach" else 60, env["native_fps"]))
    return {
        "app": meta.get("app"),
        "agent": meta.get("agent"),
        "seed": meta.get("seed"),
        "env": env,
        "display_fps": fps,
        "clip_length": max(clip_lengths) if clip_lengths else meta.get("clip_length"),
        "teacher": describe_teacher(meta, sources),
        "credit_window": meta.get("credit_window"),
    }
