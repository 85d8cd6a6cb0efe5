"""Drawing helpers shared by the apps: crisp frame scaling, text, bar charts, flashes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import pygame

if TYPE_CHECKING:  # NumPy loads when a frame is first drawn, after the window is up
    import numpy as np

BG = (24, 26, 32)
PANEL = (36, 39, 48)
TEXT = (225, 228, 235)
DIM = (140, 146, 160)
ACCENT = (90, 160, 255)
GOOD = (70, 200, 110)
BAD = (235, 80, 80)
NEUTRAL = (230, 190, 70)


def integer_scale(src: tuple[int, int], box: tuple[int, int]) -> float:
    """The largest whole scale that fits ``src`` (w, h) in ``box`` (w, h), aspect kept.

    A frame larger than the box gets a fractional scale below 1 instead (shrunk to fit).
    """
    w, h = src
    bw, bh = box
    fit = min(bw / w, bh / h)
    return float(int(fit)) if fit >= 1 else fit


def frame_surface(frame: np.ndarray, box: tuple[int, int]) -> pygame.Surface:
    """An RGB frame (H, W, 3) uint8 as a surface scaled to fit ``box`` crisply.

    Upscaling is by a whole factor with nearest-neighbour sampling, so pixels stay sharp
    squares; the aspect ratio is always kept.
    """
    import numpy as np

    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    h, w = frame.shape[:2]
    surf = pygame.image.frombuffer(frame.tobytes(), (w, h), "RGB")
    k = integer_scale((w, h), box)
    if k == 1.0:
        return surf
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return pygame.transform.scale(surf, size)  # nearest neighbour: crisp


def font(size: int, bold: bool = False) -> pygame.font.Font:
    """The app font at ``size`` points (pygame's bundled font, so it exists everywhere).

    Fonts are cached while the font module stays up; something calling ``pygame.quit()``
    (an env's ``close``, say) ends them, and they are made afresh (opening a window
    clears the cache too, see :func:`forget_fonts`).
    """
    if not pygame.font.get_init():
        pygame.font.init()
        _font.cache_clear()
        _rendered.cache_clear()
    return _font(size, bold)


def forget_fonts() -> None:
    """Drop the cached fonts (they die with the font module; call after re-initialising it)."""
    _font.cache_clear()
    _rendered.cache_clear()


@lru_cache(maxsize=256)
def _rendered(s: str, size: int, color: tuple[int, ...], bold: bool) -> pygame.Surface:
    """A line of text drawn once (most of a window's text is the same every frame)."""
    return font(size, bold).render(s, True, color)


@lru_cache(maxsize=16)
def _font(size: int, bold: bool) -> pygame.font.Font:
    f = pygame.font.Font(None, size)
    f.set_bold(bold)
    return f


def text(
    surface: pygame.Surface,
    s: str,
    pos: tuple[int, int],
    size: int = 22,
    color: tuple[int, int, int] = TEXT,
    bold: bool = False,
    anchor: str = "topleft",
) -> pygame.Rect:
    """Draw ``s`` at ``pos`` (``anchor`` names the rect point placed there); return its rect."""
    img = _rendered(s, size, tuple(color), bold)
    rect = img.get_rect(**{anchor: pos})
    surface.blit(img, rect)
    return rect


def bar_chart(
    surface: pygame.Surface,
    rect: pygame.Rect,
    values: Sequence[float],
    labels: Sequence[str],
    highlight: int | None = None,
) -> None:
    """Horizontal bars, one per value, centred on zero when values have both signs."""
    import numpy as np

    n = len(values)
    if n == 0:
        return
    vals = np.asarray(values, dtype=np.float64)
    vals = np.where(np.isfinite(vals), vals, 0.0)
    lo, hi = min(0.0, float(vals.min())), max(0.0, float(vals.max()))
    span = hi - lo or 1.0
    label_w = 78
    value_w = 56
    bar_x = rect.x + label_w
    bar_w = max(10, rect.width - label_w - value_w)
    zero_x = bar_x + int(bar_w * (-lo / span))
    row_h = max(14, min(26, rect.height // n))
    for i, (v, lab) in enumerate(zip(vals, labels, strict=False)):
        y = rect.y + i * row_h
        chosen = i == highlight
        text(
            surface,
            lab[:10],
            (rect.x, y + row_h // 2),
            18,
            TEXT if chosen else DIM,
            anchor="midleft",
        )
        x0 = zero_x
        x1 = bar_x + int(bar_w * ((v - lo) / span))
        color = ACCENT if chosen else (88, 96, 116)
        bar = pygame.Rect(min(x0, x1), y + 3, max(2, abs(x1 - x0)), row_h - 6)
        pygame.draw.rect(surface, color, bar, border_radius=3)
        text(surface, f"{v:+.2f}", (rect.right, y + row_h // 2), 18, DIM, anchor="midright")
    pygame.draw.line(surface, DIM, (zero_x, rect.y), (zero_x, rect.y + n * row_h), 1)


def sparkline(
    surface: pygame.Surface, rect: pygame.Rect, values: Sequence[float], color: tuple[int, int, int]
) -> None:
    """A small line chart of ``values`` in ``rect`` (scaled to their range), last point dotted."""
    pygame.draw.rect(surface, PANEL, rect)
    vals = [float(v) for v in values if math.isfinite(float(v))]
    if not vals:
        return
    lo, hi = min(vals), max(vals)
    span = hi - lo or 1.0
    n = len(vals)

    def point(i: int, v: float) -> tuple[int, int]:
        x = rect.x + 2 + (rect.width - 4) * (i / (n - 1) if n > 1 else 1.0)
        frac = (v - lo) / span if hi > lo else 0.5
        y = rect.bottom - 3 - (rect.height - 6) * frac
        return round(x), round(y)

    points = [point(i, v) for i, v in enumerate(vals)]
    if n > 1:
        pygame.draw.lines(surface, color, False, points, 2)
    pygame.draw.circle(surface, color, points[-1], 3)


def flash_color(value: float) -> tuple[int, int, int]:
    """Green for praise, red for punishment, amber for zero."""
    return GOOD if value > 0 else BAD if value < 0 else NEUTRAL


def fade(
    color: tuple[int, int, int], alpha: float, bg: tuple[int, int, int] = PANEL
) -> tuple[int, int, int]:
    """``color`` blended towards ``bg`` as ``alpha`` goes from 1 to 0."""
    a = max(0.0, min(1.0, alpha))
    return tuple(int(bg[i] + (color[i] - bg[i]) * a) for i in range(3))  # type: ignore[return-value]
