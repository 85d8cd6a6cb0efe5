"""The environment suites hfrl is tested on, and the lookup of ids with close matches."""

from __future__ import annotations

SUITES: dict[str, tuple[str, ...]] = {
    "classic": ("CartPole-v1", "MountainCar-v0", "Acrobot-v1", "Pendulum-v1", "LunarLander-v3"),
    "mujoco": ("Hopper-v5", "HalfCheetah-v5", "Walker2d-v5", "Swimmer-v5", "Reacher-v5"),
    "atari": (
        "ALE/Bowling-v5",
        "ALE/Pong-v5",
        "ALE/Breakout-v5",
        "ALE/Enduro-v5",
        "ALE/BeamRider-v5",
        "ALE/Seaquest-v5",
        "ALE/Qbert-v5",
        "ALE/SpaceInvaders-v5",
    ),
}
"""Suite name -> env ids. Any ALE game works by id (``ALE/<Game>-v5``), listed or not."""

EXTRAS: dict[str, str] = {"LunarLander-v3": "box2d", **{e: "mujoco" for e in SUITES["mujoco"]}}
"""Env id -> the optional extra it needs."""


def suite_of(env_id: str) -> str | None:
    """The suite an id belongs to (``atari`` for any ``ALE/`` id), or None."""
    if env_id.startswith("ALE/"):
        return "atari"
    for name, ids in SUITES.items():
        if env_id in ids:
            return name
    return None


def is_atari(env_id: str) -> bool:
    """True for ALE ids."""
    return env_id.startswith("ALE/")
