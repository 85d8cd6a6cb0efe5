"""Run ``hfrl ARGS`` (the real command) in this process; write what the compare run recorded.

python startup_child.py OUT.json compare --env ... --max-labels N

The compare app's result (start-up events, frames spent waiting, the panel's final
training-steps figure) is written to OUT.json as plain JSON.
"""

from __future__ import annotations

import json
import sys

import hfrl.human_ui.launch as launch

from hfrl.cli import main


def run() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    captured = {}
    original = launch.run_compare

    def capture(args):
        captured["result"] = original(args)
        return captured["result"]

    launch.run_compare = capture
    code = main(argv)
    r = captured.get("result")
    if r is not None:
        record = {
            "events": r.events,
            "learner_loaded_at_first_pair": r.learner_loaded_at_first_pair,
            "waiting_frames": r.waiting_frames,
            "labels": r.labels,
            "random_pairs": r.random_pairs,
            "steps_shown": r.steps_shown,
            "verdicts": len(r.verdicts),
        }
        with open(out, "w") as f:
            json.dump(record, f)
    return code


if __name__ == "__main__":
    sys.exit(run())
