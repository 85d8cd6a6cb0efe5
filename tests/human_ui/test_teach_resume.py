"""Resume after a crash (issue 12 item 6): ``hfrl teach`` killed with SIGKILL before and
after an autosave; the resumed session's agent has learnt from every stored rating, and
step numbers, episodes and rating times stay unique and ordered across the runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # two subprocess runs of the app (~15 s quiet)

CHILD = Path(__file__).with_name("teach_child.py")
ENV = "MountainCar-v0"


def _count(root: Path, name: str) -> int:
    from hfrl.store import FeedbackStore

    path = root / "feedback.sqlite"
    if not path.exists():
        return 0
    store = FeedbackStore(path, synchronous="NORMAL")
    try:
        found = [s for s in store.sessions() if s.name == name]
        return store.counts(found[0])["scalars"] if found else 0
    finally:
        store.close()


def _learnt_in_save(root: Path, name: str) -> int:
    from hfrl.human_ui.worker import load_ui_state, saved_agent_dir

    from hfrl.live_resume import learnt_rows_of

    saved = saved_agent_dir(root / name / "agent")
    return len(learnt_rows_of(load_ui_state(saved))) if saved is not None else 0


def _wait(what, until, proc, timeout: float = 240.0) -> None:
    """Wait for an event of the child (a rating stored, a save written), not for a time."""
    deadline = time.monotonic() + timeout
    while not until():
        assert proc.poll() is None, f"the teach process ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


def _run_and_kill(root: Path, name: str, autosave: float, after_save: bool) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(root), name, str(autosave)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if after_save:
            _wait("autosave", lambda: _learnt_in_save(root, name) >= 5, proc)
            saved = _count(root, name)
            _wait("ratings after the save", lambda: _count(root, name) >= saved + 10, proc)
        else:
            _wait("ratings", lambda: _count(root, name) >= 15, proc)
            assert not (root / name / "agent").exists(), "no save before the first autosave"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _resumed_app(root: Path, name: str):
    """Open the session again as ``hfrl teach`` does (load the save, build the app)."""
    from hfrl.human_ui.launch import teach_session
    from hfrl.human_ui.session import SessionPaths
    from hfrl.human_ui.teach import TeachConfig

    return teach_session(
        "tamer", ENV, SessionPaths(root, name), TeachConfig(fps=60, max_frames=90), "perfect"
    )


@pytest.mark.parametrize("after_save", [False, True], ids=["before-autosave", "after-autosave"])
def test_resume_after_sigkill_learns_every_stored_rating(tmp_path, after_save, monkeypatch):
    from hfrl.agents.tamer import Tamer
    from hfrl.envs.make import make

    from hfrl.live_resume import replay_missed

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    root, name = tmp_path / "sessions", "crash"
    _run_and_kill(root, name, autosave=0.3 if after_save else 1e9, after_save=after_save)
    with _resumed_app(root, name) as started:
        app = started.app
        assert started.resumed and started.loaded == after_save
        store, session = app.session.store, app.session
        stored = store.scalar_records(session)
        assert len(stored) >= 15
        assert app._learnt_rows == {r.id for r in stored}  # saved ones + the missed ones
        if after_save:
            assert 0 < len(app.caught_up) < len(stored)  # only what the crash lost
        else:
            assert len(app.caught_up) == len(stored)
        # the agent equals one given every stored rating (replayed from the store)
        env = make(ENV, seed=0)
        reference = Tamer(ENV, env.observation_space, env.action_space)
        replay_missed(reference, store, session, set())
        np.testing.assert_allclose(app.agent.weights, reference.weights, rtol=1e-9, atol=1e-12)
        assert np.abs(reference.weights).sum() > 0
        first_run = stored
        app.run()  # a second run of the session: 90 frames, the trainer keeps rating
        records = store.scalar_records(session)
    later = records[len(first_run) :]
    assert later, "the resumed run stored ratings"
    times = [r.scalar.t_wall for r in records]
    assert times == sorted(times) and len(set(times)) == len(times)
    last_step = max(k for r in first_run for k, _ in r.credit or ())
    assert all(k > last_step for r in later for k, _ in r.credit or ())  # new numbers
    assert min(r.scalar.episode for r in later) > max(r.scalar.episode for r in first_run)
    from hfrl.store import FeedbackStore
    from hfrl.store_steps import read_shown_steps

    again = FeedbackStore(root / "feedback.sqlite", synchronous="NORMAL")
    try:
        shown = read_shown_steps(again, next(s for s in again.sessions() if s.name == name))
        assert shown is not None
        assert len(set(shown["index"].tolist())) == len(shown["index"])  # unique step numbers
        assert np.all(np.diff(shown["t_start"]) >= 0)  # ordered in time across the runs
    finally:
        again.close()
