"""Shared test set-up: headless pygame, quiet torch threads, a tmp feedback dir."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The tests' networks are small: one intra-op thread is fastest and never oversubscribes
    CI's 2 cores (2 threads made the preference tests 25x slower under load)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
