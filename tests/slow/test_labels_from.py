"""A recorded comparison session trains a preference agent again, without asking anyone.

``hfrl compare`` runs headless on CartPole-v1 with the ``oracle`` demo teacher until 40
comparisons are stored (``--max-labels``: the event, not a time budget). The live reference is
the same teacher answering live during ``hfrl train preference --teacher oracle --labels 40``;
``hfrl train preference --labels-from`` then trains a fresh agent, same seed, steps and user
defaults, from the recorded session. It must reach the live run's return band: at least 60% of
the live greedy return, and well above a random policy (~22).

The live in-app learner is not the reference: how many env steps it takes while a person (or
the demo) answers depends on the machine's speed.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hfrl.cli import main
from hfrl.store import FeedbackStore

LABELS = 40
STEPS = 15_000


@pytest.mark.slow
def test_labels_from_a_compare_session_reaches_the_live_band(tmp_path):
    argv = ["compare", "--env", "CartPole-v1", "--teacher", "oracle", "--session", "C"]
    argv += ["--max-labels", str(LABELS), "--max-seconds", "600", "--dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "hfrl", *argv], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    with FeedbackStore(tmp_path / "feedback.sqlite") as store:
        counts = store.session("C").counts()
    answered = counts["preferences"] + counts["skips"]
    assert answered >= LABELS

    runs = {}
    for name, extra in (
        ("live", ["--teacher", "oracle", "--labels", str(answered)]),
        ("recorded", ["--labels-from", "C", "--dir", str(tmp_path)]),
    ):
        out = tmp_path / name
        args = ["train", "preference", "--env", "CartPole-v1", *extra, "--steps", str(STEPS)]
        assert main([*args, "--out", str(out), "--no-progress"]) == 0
        runs[name] = json.loads((out / "summary.json").read_text())
    recorded = runs["recorded"]
    assert recorded["teacher_params"]["recorded_session"] == "C"
    assert recorded["feedback_count"] == answered
    live, again = runs["live"]["eval_return_mean"], recorded["eval_return_mean"]
    print(f"greedy return: live {live:.1f}, from the recorded session {again:.1f}")
    assert again >= 0.6 * live, (again, live)
    assert again > 60, again
