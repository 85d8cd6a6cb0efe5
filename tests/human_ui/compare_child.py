"""Run the compare app in its own process (demo teacher, fake agent) until it is killed.

python compare_child.py ROOT SESSION
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).parent))

from hfrl.human_ui.session import SessionPaths, open_session
from ui_fakes import compare_app

from hfrl.types import LEFT, Preference


class LongerIsBetter:
    """Prefers the clip with the larger true return (left on ties)."""

    name = "longer"

    def compare(self, left, right):
        return Preference(
            left, right, LEFT if left.true_return >= right.true_return else 0.0, 0.0, self.name
        )


def main() -> None:
    root, name = Path(sys.argv[1]), sys.argv[2]
    paths = SessionPaths(root, name)
    _, session = open_session(paths, {"app": "compare", "agent": "fake", "env_id": "CartPole-v1"})
    app = compare_app(
        session,
        paths.agent_dir,
        teacher=LongerIsBetter(),
        fps=30,
        max_seconds=600,
        autosave_seconds=0.5,
        undo_seconds=0.2,
    )
    app.demo.think_seconds = 0.05
    print("running", flush=True)
    app.run()


if __name__ == "__main__":
    main()
