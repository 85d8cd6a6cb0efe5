"""Fixtures for driving the apps headless."""

from __future__ import annotations

import os

import pytest

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture
def store_session(tmp_path):
    """A fresh feedback store and session; closed after the test."""
    from hfrl.store import FeedbackStore

    store = FeedbackStore(tmp_path / "feedback.sqlite", synchronous="NORMAL")
    session = store.open_session("test")
    yield store, session
    store.close()


@pytest.fixture
def new_teach_app(store_session, tmp_path):
    """Builds live-rating apps on the test session, saving to ``tmp_path/agent``.

    Call it with ``agent=``, ``env=``, ``teacher=`` and :class:`TeachConfig` fields.
    """
    from ui_fakes import teach_app

    return lambda **kw: teach_app(store_session[1], tmp_path / "agent", **kw)


@pytest.fixture
def new_compare_app(store_session, tmp_path):
    """Builds clip-comparison apps (fake preference agent) on the test session."""
    from ui_fakes import compare_app

    return lambda **kw: compare_app(store_session[1], tmp_path / "agent", **kw)
