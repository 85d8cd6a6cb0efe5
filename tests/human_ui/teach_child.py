"""Run ``hfrl teach tamer`` (the perfect trainer pressing the keys) until it is killed.

python teach_child.py ROOT SESSION AUTOSAVE_SECONDS
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def main() -> None:
    from hfrl.human_ui.launch import teach_session
    from hfrl.human_ui.session import SessionPaths
    from hfrl.human_ui.teach import TeachConfig

    root, name, autosave = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    config = TeachConfig(fps=60, autosave_seconds=autosave, max_seconds=600)
    with teach_session("tamer", "MountainCar-v0", SessionPaths(root, name), config, "perfect") as s:
        s.app.run()


if __name__ == "__main__":
    main()
