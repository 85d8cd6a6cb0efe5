"""Concurrent reading while writing, and no committed label lost to SIGKILL (issue 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers_store import make_segment

from hfrl.store import FeedbackStore
from hfrl.types import LEFT, Preference, Scalar

WRITER = Path(__file__).with_name("store_writer.py")


def test_reader_thread_while_main_thread_writes(tmp_path):
    rng = np.random.default_rng(3)
    path = tmp_path / "fb.db"
    errors: list[BaseException] = []
    seen: list[int] = []
    done = threading.Event()
    with FeedbackStore(path) as store:
        session = store.open_session("live", {})

        def reader() -> None:
            try:
                last = 0
                while not done.is_set():
                    values = [s.value for s in store.scalars(session)]
                    assert values == [float(i) for i in range(len(values))]  # a clean prefix
                    assert len(values) >= last
                    last = len(values)
                    prefs = store.preferences(session)
                    assert all(p.label == LEFT for p in prefs)
                    seen.append(last)
            except BaseException as e:
                errors.append(e)

        thread = threading.Thread(target=reader)
        thread.start()
        segs = [make_segment(rng, frames=True) for _ in range(4)]
        for i in range(300):
            session.add(Scalar(float(i), float(i), i, 0))
            if i % 50 == 0:
                session.add(Preference(segs[i % 4], segs[(i + 1) % 4], LEFT, float(i)))
        done.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert not errors, errors
        assert len(seen) >= 2  # the reader really ran alongside the writer
        assert store.counts(session)["scalars"] == 300
        assert store.counts(session)["preferences"] == 6


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
def test_sigkill_mid_stream_loses_no_committed_feedback(tmp_path, synchronous):
    path = tmp_path / "fb.db"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(path), synchronous],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    reported = 0
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            reported = int(line)
            if reported >= 150:
                break
        assert reported >= 150, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(signal.SIGKILL)
        for line in proc.stdout:  # lines already in the pipe were committed before the kill
            reported = int(line)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with FeedbackStore(path) as store:
        assert store.integrity_check() == "ok"
        session = store.open_session("stream", {})
        assert session.resumed
        values = [s.value for s in session.scalars()]
        assert len(values) >= reported
        assert values == [float(i) for i in range(len(values))]
        records = store.scalar_records(session)
        assert all(r.credit == ((int(r.scalar.value), 1.0),) for r in records)
        prefs = session.preferences()
        assert len(prefs) >= reported // 10
        for p in prefs:  # each preference's segments came back whole
            assert p.left.frames is not None and p.left.frames.shape == (8, 16, 16, 3)
            assert p.left.true_rewards[0] == p.t_wall
        assert sum(p.skipped for p in prefs) == len(prefs) // 3
