"""What a rating changed: the agent's action preferences for the rated step, before and after.

The teach app makes a :class:`RatingEffect` when a key press is rated, for the step the
live loop's credit weighs most. The worker thread fills ``before`` just before the agent
gets the rating and ``after`` once it has learnt from it (at once for TAMER/COACH, which
learn inside ``give``; for the deep agents when their queued update has run, which the
app polls for cheaply each frame). :func:`draw_effect` shows both as bars, the old values
as a ghost behind the new ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pygame
from hfrl.human_ui import draw


@dataclass
class RatingEffect:
    """One rating's effect on the agent's preferences at its most-credited step."""

    value: float
    """The rating."""
    step: int
    """Global index of the most-credited step."""
    weight: float
    """Its credit weight."""
    obs: np.ndarray
    """Its observation."""
    action: int | None
    """The action taken there."""
    before: np.ndarray | None = None
    """Preferences just before the agent got the rating (worker thread)."""
    after: np.ndarray | None = None
    """Preferences once the agent has learnt from it."""
    updates_before: int = 0
    """The agent's update count just before ``give`` (a deep agent's update comes later)."""
    given: bool = False
    """The rating has been handed to the agent."""
    shown_at: float = field(default_factory=time.monotonic)
    """When the panel started showing it (reset when ``after`` arrives)."""


def most_credited(value: float, credit: Any) -> RatingEffect | None:
    """The effect record for the heaviest credited step (the middle one of equal weights,
    as a uniform delay window gives), or None when no credited step carries its
    observation (nothing to show)."""
    steps = [s for s in getattr(credit, "steps", ()) if "obs" in (s.payload or {})]
    if not steps:
        return None
    heaviest = max(s.weight for s in steps)
    ties = sorted((s for s in steps if s.weight >= heaviest * (1 - 1e-6)), key=lambda s: s.index)
    top = ties[len(ties) // 2]
    action = top.payload.get("action")
    return RatingEffect(
        value=float(value),
        step=int(top.index),
        weight=float(top.weight),
        obs=np.array(top.payload["obs"], copy=True),
        action=None if action is None else int(action),
    )


def preferences(agent: Any, obs: np.ndarray) -> np.ndarray:
    """The agent's action preferences for ``obs`` as a flat float array (caller holds the lock)."""
    return np.asarray(agent.action_preferences(obs), dtype=np.float64).ravel().copy()


def update_has_run(agent: Any, effect: RatingEffect) -> bool:
    """Whether the agent has learnt from the rating: at once for agents that learn inside
    ``give``; for agents with queued updates (``updates_done``), once the queue is empty,
    nothing is running and an update has run since the rating."""
    if not effect.given:
        return False
    done = getattr(agent, "updates_done", None)
    if done is None:
        return True
    return bool(done) and int(getattr(agent, "updates", 0)) > effect.updates_before


def draw_effect(
    surface: pygame.Surface, rect: pygame.Rect, effect: RatingEffect, names: list[str]
) -> None:
    """A heading and one row per action: the old value as a ghost bar, the new one solid."""
    draw.text(
        surface,
        f"your {effect.value:+g} on step {effect.step} (credit {effect.weight:.2f})",
        (rect.x, rect.y),
        19,
        draw.flash_color(effect.value),
    )
    top = rect.y + 22
    if effect.before is None or len(effect.before) != len(names):
        return
    after = effect.after
    vals = np.concatenate([effect.before, after if after is not None else effect.before])
    vals = np.where(np.isfinite(vals), vals, 0.0)
    lo, hi = min(0.0, float(vals.min())), max(0.0, float(vals.max()))
    span = hi - lo or 1.0
    label_w, value_w = 64, 96
    bar_x, bar_w = rect.x + label_w, max(10, rect.width - label_w - value_w)
    zero_x = bar_x + int(bar_w * (-lo / span))
    row_h = max(14, min(24, (rect.bottom - top) // max(1, len(names))))

    def x_of(v: float) -> int:
        return bar_x + int(bar_w * ((v - lo) / span))

    for i, lab in enumerate(names):
        y = top + i * row_h
        old = float(effect.before[i])
        draw.text(surface, lab[:8], (rect.x, y + row_h // 2), 17, draw.DIM, anchor="midleft")
        ghost = pygame.Rect(
            min(zero_x, x_of(old)), y + 2, max(2, abs(x_of(old) - zero_x)), row_h - 4
        )
        pygame.draw.rect(surface, (70, 74, 88), ghost, border_radius=3)
        if after is None:
            label = f"{old:+.2f} -> ..."
        else:
            new = float(after[i])
            color = draw.GOOD if new > old else draw.BAD if new < old else draw.ACCENT
            bar = pygame.Rect(
                min(zero_x, x_of(new)), y + 6, max(2, abs(x_of(new) - zero_x)), row_h - 12
            )
            pygame.draw.rect(surface, color, bar, border_radius=2)
            label = f"{old:+.2f}>{new:+.2f}"
        draw.text(surface, label, (rect.right, y + row_h // 2), 16, draw.DIM, anchor="midright")
    pygame.draw.line(surface, draw.DIM, (zero_x, top), (zero_x, top + len(names) * row_h), 1)
