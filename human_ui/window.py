"""Opening the pygame window, and telling a real screen from a headless one."""

from __future__ import annotations

import os
import sys
import time

import pygame
from hfrl.human_ui import draw

HEADLESS_DRIVERS = frozenset({"dummy", "offscreen"})
"""SDL video drivers that draw into memory only: nobody can see the window or type in it."""
_opened: list[float] = []
"""When the open window first showed (``time.monotonic()``); empty when none is open."""


def opened_at() -> float | None:
    """When the window now open first showed, or None."""
    return _opened[0] if _opened else None


def display_available() -> bool:
    """Whether a person could see a window: a display server, or a non-Linux desktop."""
    if os.environ.get("SDL_VIDEODRIVER", "").lower() in HEADLESS_DRIVERS:
        return False
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def open_window(size: tuple[int, int], title: str) -> tuple[pygame.Surface, bool]:
    """Open the app window; fall back to an in-memory (dummy) display when none can open.

    Returns:
        The screen surface and whether it is headless (nobody can see it).
    """
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # the apps make no sound
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    current = pygame.display.get_surface() if pygame.display.get_init() else None
    if current is not None and current.get_size() == tuple(size):  # opened by the launcher
        pygame.display.set_caption(title)
        return current, pygame.display.get_driver() in HEADLESS_DRIVERS or not display_available()
    headless = not display_available()
    if headless:
        os.environ["SDL_VIDEODRIVER"] = os.environ.get("SDL_VIDEODRIVER") or "dummy"
    try:
        pygame.display.init()
        screen = pygame.display.set_mode(size)
    except pygame.error as err:
        print(
            f"hfrl: could not open a window ({err}); drawing off-screen instead.",
            file=sys.stderr,
        )
        pygame.display.quit()
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        pygame.display.init()
        screen = pygame.display.set_mode(size)
        headless = True
    headless = headless or pygame.display.get_driver() in HEADLESS_DRIVERS
    _opened[:] = [time.monotonic()]
    pygame.display.set_caption(title)
    pygame.font.init()
    draw.forget_fonts()  # fonts made before a pygame.quit() elsewhere are dead
    pygame.key.set_repeat()  # one rating per press, however long it is held
    return screen, headless


def show_starting(size: tuple[int, int], title: str, message: str) -> pygame.Surface:
    """Open the app window at once and say what is happening (the app takes it over)."""
    screen, _ = open_window(size, title)
    screen.fill(draw.BG)
    w, h = screen.get_size()
    draw.text(screen, title.split(" - ")[0], (w // 2, h // 2 - 30), 34, draw.TEXT, True, "center")
    draw.text(screen, message, (w // 2, h // 2 + 12), 22, draw.DIM, anchor="center")
    pygame.event.pump()
    pygame.display.flip()
    return screen


def close_window() -> None:
    """Close the window and release the display (safe to call twice)."""
    _opened.clear()
    if pygame.display.get_init():
        pygame.display.quit()
