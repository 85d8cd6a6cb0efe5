"""Fixtures for driving the apps headless."""

from __future__ import annotations

import os

import pytest

os.environ["SDL_VIDEODRIVER"] = "dummy"


@pytest.fixture
def store_session(tmp_path):
    """A fresh feedback store and session; closed after the test."""
    from hfrl.store import FeedbackStore

    store = FeedbackStore(tmp_path / "feedback.sqlite", synchronous="NORMAL")
    session = store.open_session("test")
    yield store, session
    store.close()
