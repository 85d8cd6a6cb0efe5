"""The one agent builder every entry point uses (``hfrl train``, ``hfrl teach``, ``hfrl bench``).

:func:`build_agent` looks the name up in the registry, takes its config from the presets
table (:mod:`hfrl.presets`) with the entry point's own settings (``base``, e.g. the app's
``worker="on"``) and then the user's (``overrides``, ``--set``) on top, and calls the class
with whichever of ``env_id``, ``observation_space``, ``action_space``, ``config``, ``seed``
and ``env`` its constructor takes. :func:`agent_config` returns the config and the sources of
its values for the run's records.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from hfrl.agents.registry import get_agent_class

from hfrl.errors import HfrlError
from hfrl.presets import resolve_agent_config


def agent_config(
    name: str,
    env_id: str,
    overrides: Mapping[str, Any] | None = None,
    base: Mapping[str, Any] | None = None,
) -> tuple[Any, dict[str, str]]:
    """The config agent ``name`` runs with on ``env_id`` and where each value came from."""
    cls = get_agent_class(name)
    fields = _config_fields(cls)
    base = {k: v for k, v in (base or {}).items() if k in fields}  # only what it has
    return resolve_agent_config(cls, env_id, overrides, base)


def build_agent(
    name: str,
    env_id: str,
    observation_space: Any,
    action_space: Any,
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    base: Mapping[str, Any] | None = None,
    env: Any = None,
) -> Any:
    """Build the registered agent ``name`` for an env's spaces (see the module docstring).

    Raises:
        HfrlError: unknown agent or setting, or a constructor argument nobody can provide.
    """
    cls = get_agent_class(name)
    config, _ = agent_config(name, env_id, overrides, base)
    offer: dict[str, Any] = {
        "env_id": env_id,
        "observation_space": observation_space,
        "action_space": action_space,
        "seed": seed,
    }
    if env is not None:
        offer["env"] = env
    if config is not None:
        offer["config"] = config
    params = inspect.signature(cls).parameters
    kwargs = {k: v for k, v in offer.items() if k in params}
    missing = [
        p.name
        for p in params.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name not in kwargs
    ]
    if missing:
        raise HfrlError(f"agent {name!r} needs {missing}, which this entry point cannot provide")
    return cls(**kwargs)


def _config_fields(cls: Any) -> set[str]:
    import dataclasses

    config_class = getattr(cls, "config_class", None)
    if config_class is None or not dataclasses.is_dataclass(config_class):
        return set()
    return {f.name for f in dataclasses.fields(config_class)}
