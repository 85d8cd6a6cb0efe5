"""Agent registry: names (``tamer``, ``deep-tamer``, ...) to classes, imported lazily."""

from __future__ import annotations

import importlib
from typing import Any

from hfrl.errors import unknown_name

AGENTS: dict[str, str] = {}
"""Agent name -> ``"module:Class"``; modules are imported only when the agent is used."""


def register_agent(name: str, entry_point: str) -> None:
    """Register an agent class by ``"package.module:ClassName"``."""
    if name in AGENTS and AGENTS[name] != entry_point:
        raise ValueError(f"agent {name!r} is already registered as {AGENTS[name]}")
    AGENTS[name] = entry_point


def agent_names() -> list[str]:
    """All registered agent names, sorted."""
    return sorted(AGENTS)


def get_agent_class(name: str) -> type:
    """The class registered as ``name``; an unknown name gets close matches."""
    if name not in AGENTS:
        raise unknown_name("agent", name, AGENTS)
    module_path, cls_name = AGENTS[name].split(":")
    return getattr(importlib.import_module(module_path), cls_name)


def make_agent(name: str, *args: Any, **kwargs: Any) -> Any:
    """Build the agent registered as ``name``."""
    return get_agent_class(name)(*args, **kwargs)


register_agent("tamer", "hfrl.agents.tamer:Tamer")
register_agent("deep-tamer", "hfrl.agents.deep_tamer:DeepTamer")
register_agent("preference", "hfrl.agents.preference:PreferenceAgent")
register_agent("coach", "hfrl.agents.coach:Coach")
register_agent("deep-coach", "hfrl.agents.deep_coach:DeepCoach")
register_agent("tamer-rl", "hfrl.agents.tamer_rl:TamerRL")
