"""Window sizes the launcher needs before anything else loads (this module imports nothing).

The compare command opens its window first (DESIGN.md §7); knowing the window's size must
not import pygame's drawing code, NumPy or the app.
"""

from __future__ import annotations

FOOTER_H = 30
"""Height of the footer line (notices, or the key help)."""
CLIP_BOX = (480, 400)
"""Largest size each clip is drawn at."""
GAP = 24
HEADER_H = 64
PROGRESS_H = 64
LEARNED_H = 34
"""Height of the strip saying what the model learned (agreement, greedy-return curve)."""


def compare_window_size() -> tuple[int, int]:
    """Size of the comparison window (the launcher opens it before building the app)."""
    return (
        2 * CLIP_BOX[0] + 3 * GAP,
        HEADER_H + CLIP_BOX[1] + PROGRESS_H + LEARNED_H + FOOTER_H + 40,
    )
