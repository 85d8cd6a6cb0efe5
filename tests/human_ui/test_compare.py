"""Drive the clip-comparison app headless with posted key presses; kill it and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pygame
from hfrl.human_ui.compare import CompareApp
from hfrl.human_ui.keys import key_event
from hfrl.human_ui.session import SessionPaths, open_session
from hfrl.human_ui.worker import load_ui_state, saved_agent_dir
from ui_fakes import FakePreferenceAgent, compare_app

HERE = Path(__file__).parent


def answer_each_pair(keys: list[str]):
    """A before_frame hook: press the next key once a pair has been on screen a few frames."""
    state = {"i": 0, "seen": None, "frames": 0}

    def hook(app: CompareApp) -> None:
        if app.current is None or state["i"] >= len(keys):
            return
        if app.current is not state["seen"]:
            state["seen"], state["frames"] = app.current, 0
        state["frames"] += 1
        if state["frames"] == 3:
            pygame.event.post(key_event(keys[state["i"]], posted_at=time.monotonic()))
            state["i"] += 1

    return hook


def test_keys_become_stored_preferences_given_to_the_agent(
    store_session, new_compare_app, tmp_path
):
    store, session = store_session
    app = new_compare_app(fps=60, max_frames=150, undo_seconds=0.2)
    agent = app.agent
    keys = ["left", "right", "=", "down", "s", "up", "left"]
    t0 = time.monotonic()
    result = app.run(answer_each_pair(keys))
    t1 = time.monotonic()

    records = store.preference_records(session, include_retracted=True)
    assert [r.preference.label for r in records] == [1.0, 0.0, 0.5, 0.5, None, None, 1.0]
    assert not any(r.retracted for r in records)
    times = [r.preference.t_wall for r in records]
    assert times == sorted(times) and t0 <= times[0] and times[-1] <= t1
    assert max(result.latency_ms) < 1000 / 30  # committed within a frame of the press
    # the agent received the same pairs with the same labels, in order (the last on close)
    stored = [(r.preference.left.uid, r.preference.right.uid, r.preference.label) for r in records]
    assert agent.labels == stored
    # its segments, frames included, are in the store
    assert records[0].preference.left.frames is not None
    # it trained in the background the whole time, and the progress line shows it
    assert agent.updates > 10
    p = app.progress()
    assert (p["labels"] == 7 and p["steps"] == agent.env_steps - 64 * 0) or p["steps"] > 0
    assert p["accuracy"] is not None and 0.5 < p["accuracy"] <= 1
    assert load_ui_state(tmp_path / "agent")["last_label_row"] == records[-1].id


def test_backspace_undoes_the_last_label_and_shows_the_pair_again(store_session, new_compare_app):
    store, session = store_session
    app = new_compare_app(fps=60, max_frames=80, undo_seconds=30)
    agent = app.agent
    shown: list = []

    def hook(app: CompareApp) -> None:
        f = app.result.frames
        if app.current is not None and (not shown or shown[-1] is not app.current):
            shown.append(app.current)
        if f == 20:
            pygame.event.post(key_event("left"))
        if f == 25:
            pygame.event.post(key_event("backspace"))
        if f == 30:
            pygame.event.post(key_event("right"))
        if f == 35:
            pygame.event.post(key_event("x"))

    result = app.run(hook)
    records = store.preference_records(session, include_retracted=True)
    assert [(r.preference.label, r.retracted) for r in records] == [(1.0, True), (0.0, False)]
    assert records[0].preference.left.uid == records[1].preference.left.uid  # same pair again
    assert shown[2] is shown[0]  # label, undo: the first pair is back on screen
    # the agent only ever saw the label that stood
    assert [x[2] for x in agent.labels] == [0.0]
    assert result.labels == 1 and result.undone == 1
    assert session.counts()["preferences"] == 1


def test_window_never_freezes_while_learning_is_slow(store_session, new_compare_app):
    _, session = store_session
    agent = FakePreferenceAgent()
    agent.update_seconds = 0.2  # far longer than a frame
    app = new_compare_app(agent=agent, fps=30, max_frames=45, undo_seconds=0.0)
    result = app.run(answer_each_pair(["left", "right", "left"]))
    import numpy as np

    assert np.percentile(result.frame_ms, 95) < 1000 / 30
    assert session.counts()["preferences"] >= 2


def test_demo_teacher_and_screenshot(store_session, new_compare_app, tmp_path):
    from compare_child import LongerIsBetter

    _, session = store_session
    app = new_compare_app(teacher=LongerIsBetter(), fps=60, max_frames=90, undo_seconds=0.1)
    app.demo.think_seconds = 0.1
    app.run()
    prefs = session.preferences()
    assert len(prefs) >= 3 and {p.source for p in prefs} == {"longer"}
    for p in prefs:
        assert p.label == (1.0 if p.left.true_return >= p.right.true_return else 0.0)
    path = app.screenshot(tmp_path / "compare.png")
    img = pygame.surfarray.array3d(pygame.image.load(str(path)))
    assert img.shape[0] > 900 and img.std() > 20


def test_sigkill_mid_session_then_resume_restores_every_label(tmp_path):
    root, name = tmp_path / "root", "killed"
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "dummy",
        "PYTHONPATH": str(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "compare_child.py"), str(root), name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    paths = SessionPaths(root, name)
    try:
        deadline = time.monotonic() + 40
        n = 0
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if paths.store.exists() and saved_agent_dir(paths.agent_dir) is not None:
                from hfrl.store import FeedbackStore

                with FeedbackStore(paths.store, synchronous="NORMAL") as s:
                    sessions = s.sessions()
                    n = sessions[0].counts()["preferences"] if sessions else 0
                if n >= 8:
                    break
        assert n >= 8, proc.stderr.read().decode() if proc.poll() is not None else "too slow"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    store, session = open_session(
        paths, {"app": "compare", "agent": "fake", "env_id": "CartPole-v1"}
    )
    try:
        assert session.resumed
        stored = [
            (r.preference.left.uid, r.preference.right.uid, r.preference.label)
            for r in store.preference_records(session)
        ]
        assert len(stored) >= 8
        saved = saved_agent_dir(paths.agent_dir)
        agent = FakePreferenceAgent.load(saved)
        after = load_ui_state(saved).get("last_label_row", 0)
        assert len(agent.labels) <= len(stored)
        app = compare_app(session, paths.agent_dir, agent=agent, max_frames=2)
        app.restore_labels(after)
        # every label committed before the kill is with the agent again, once, in order
        assert agent.labels == stored
        assert app.progress()["labels"] == len(stored)
    finally:
        store.close()
