"""Sessions of the apps: where the feedback store and the agent's saves live, and resuming.

A session named NAME keeps its labels in the shared feedback store
``ROOT/feedback.sqlite`` (session NAME) and the agent in ``ROOT/NAME/agent/``. Opening a
session that exists resumes it: the agent is loaded from its last save and the labels are
read back from the store.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hfrl.human_ui.worker import saved_agent_dir

from hfrl.errors import HfrlError

DEFAULT_ROOT = Path("runs") / "sessions"
"""Default folder of the apps' feedback store and agent saves."""


@dataclass(frozen=True)
class SessionPaths:
    """Files of one app session."""

    root: Path
    """Folder holding the shared store and one folder per session."""
    name: str
    """Session name."""

    @property
    def store(self) -> Path:
        """The SQLite feedback store shared by all sessions under ``root``."""
        return self.root / "feedback.sqlite"

    @property
    def agent_dir(self) -> Path:
        """Where the agent is saved."""
        return self.root / self.name / "agent"

    @property
    def screenshot_dir(self) -> Path:
        """Where screenshots taken during the session go."""
        return self.root / self.name / "screenshots"


def default_session_name(app: str, agent: str, env_id: str) -> str:
    """A fresh session name like ``teach-tamer-MountainCar-v0-20250101-120000``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return f"{app}-{agent}-{env_id.replace('/', '_')}-{stamp}"


def open_session(paths: SessionPaths, meta: dict[str, Any]) -> tuple[Any, Any]:
    """Open (or resume) the session in the feedback store; check it is the same kind of run.

    Returns:
        The store and its session handle.

    Raises:
        HfrlError: the session exists but was made for another app, agent or env.
    """
    from hfrl.store import FeedbackStore

    store = FeedbackStore(paths.store)
    session = store.open_session(paths.name, meta)
    if session.resumed:
        clash = {
            k: (session.meta.get(k), v)
            for k, v in meta.items()
            if k in ("app", "agent", "env_id") and session.meta.get(k) not in (None, v)
        }
        if clash:
            store.close()
            what = ", ".join(f"{k}={old!r} (asked for {new!r})" for k, (old, new) in clash.items())
            raise HfrlError(
                f"session {paths.name!r} in {paths.store} was made with {what}; pick another "
                "--session name or the same settings to resume it."
            )
    return store, session


def app_config(cls: Any, env_id: str = "") -> Any:
    """The config an app builds ``cls`` with: the presets table's row for ``env_id``, with
    learning in the agent's own thread where it can.

    Deep TAMER and Deep COACH take ``worker="on"``: their SGD steps then run in their
    background thread, never under the app's agent lock, so acting is never held up by
    learning. Agents without a config get None.
    """
    from hfrl.presets import resolve_agent_config

    config_class = getattr(cls, "config_class", None)
    if config_class is None or not dataclasses.is_dataclass(config_class):
        return None
    fields = {f.name for f in dataclasses.fields(config_class)}
    base = {"worker": "on"} if "worker" in fields else {}
    return resolve_agent_config(cls, env_id, base=base)[0]


def build_agent(name: str, env: Any, env_id: str, seed: int) -> Any:
    """Build the registered agent ``name`` for ``env`` from the arguments its class takes.

    Agent classes differ in their constructors; each gets, by parameter name, whichever of
    ``env_id``, ``observation_space``, ``action_space``, ``seed``, ``env`` it asks for, and
    ``config`` from :func:`app_config` where that gives one.
    """
    from hfrl.agents.registry import get_agent_class

    cls = get_agent_class(name)
    offer = {
        "env_id": env_id,
        "observation_space": env.observation_space,
        "action_space": env.action_space,
        "seed": seed,
        "env": env,
    }
    config = app_config(cls, env_id)
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
        raise HfrlError(f"agent {name!r} needs {missing}, which the apps cannot provide")
    return cls(**kwargs)


def load_or_build_agent(
    name: str, env: Any, env_id: str, seed: int, agent_dir: Path
) -> tuple[Any, bool]:
    """Load the agent saved at ``agent_dir`` if there is one, else build a fresh one.

    Returns:
        The agent and whether it was loaded from a save.
    """
    from hfrl.agents.registry import get_agent_class

    saved = saved_agent_dir(agent_dir)
    if saved is None:
        return build_agent(name, env, env_id, seed), False
    try:
        return get_agent_class(name).load(saved), True
    except HfrlError:
        raise
    except Exception as err:
        raise HfrlError(
            f"could not load the {name} agent saved in {saved}: {err}. Remove that folder to "
            "start the agent afresh (the labels in the store are kept)."
        ) from err
