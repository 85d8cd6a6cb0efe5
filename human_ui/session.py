"""Sessions of the apps: where the feedback store and the agent's saves live, and resuming.

A session named NAME keeps its labels in the shared feedback store
``ROOT/feedback.sqlite`` (session NAME) and the agent in ``ROOT/NAME/agent/``. Opening a
session that exists resumes it: the agent is loaded from its last save and the labels are
read back from the store.
"""

from __future__ import annotations

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


APP_SETTINGS = {"worker": "on"}
"""What the apps add below the user's settings: Deep TAMER's and Deep COACH's SGD steps
run in their own background thread, never under the app's agent lock, so acting is never
held up by learning."""


def build_agent(name: str, env: Any, env_id: str, seed: int) -> Any:
    """Build the registered agent ``name`` for ``env`` with the one builder
    (:func:`hfrl.agents.builder.build_agent`: presets table, then :data:`APP_SETTINGS`)."""
    from hfrl.agents.builder import build_agent as build

    return build(
        name, env_id, env.observation_space, env.action_space, seed, base=APP_SETTINGS, env=env
    )


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
