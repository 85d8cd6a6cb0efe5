"""Start a live-rating session for AGENT as ``hfrl teach`` does for a person (window first,
the agent built behind it), press a rating on the first frames, run until the agent is
attached; write what was loaded at each point to OUT.json.

python teach_startup_child.py OUT.json ROOT AGENT
"""

from __future__ import annotations

import json
import os
import sys

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pygame
from hfrl.human_ui.keys import key_event
from hfrl.human_ui.launch import session_paths, teach_session
from hfrl.human_ui.teach import TeachConfig


def main() -> None:
    out, root, agent = sys.argv[1:4]
    paths = session_paths(root, "T", "teach", agent, "CartPole-v1")
    record: dict[str, object] = {}
    config = TeachConfig(fps=30, max_frames=3000, autosave_seconds=1e9)

    def hook(app) -> None:
        if app.result.frames == 1:
            pygame.event.post(key_event("/"))
        if not getattr(app.agent, "warm_up", False):  # attached: done
            record["agent"] = type(app.agent).__name__
            record["frames_before_agent"] = app.result.frames
            app._quit = True

    with teach_session(agent, "CartPole-v1", paths, config, window_first=True) as started:
        app = started.app
        record["torch_when_app_built"] = "torch" in sys.modules
        record["warm_up"] = bool(getattr(app.agent, "warm_up", False))
        app.run(hook)
        record["ratings_stored"] = app.session.counts()["scalars"]
    with open(out, "w") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main()
