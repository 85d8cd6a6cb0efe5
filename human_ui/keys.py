"""Key bindings of the two apps, and scripted key events for demo mode and tests.

A key press is read from the typed character first (so ``?`` and ``Z`` work whatever the
keyboard layout) and from the key code second (arrows, space, Esc, backspace). Scripted
presses are ordinary pygame ``KEYDOWN`` events posted to the queue, so a simulated teacher
and a test go through exactly the same handling as a person.
"""

from __future__ import annotations

from enum import Enum

import pygame


class TeachKey(Enum):
    """What a key does in the live-rating app."""

    PLUS_ONE = "+1"
    MINUS_ONE = "-1"
    PLUS_TEN = "+10"
    MINUS_TEN = "-10"
    PAUSE = "pause"
    FASTER = "faster"
    SLOWER = "slower"
    RESET = "reset"
    SAVE = "save"
    QUIT = "quit"


class CompareKey(Enum):
    """What a key does in the clip-comparison app."""

    LEFT = "left"
    RIGHT = "right"
    EQUAL = "equal"
    SKIP = "skip"
    UNDO = "undo"
    QUIT = "quit"


RATING_VALUES: dict[TeachKey, float] = {
    TeachKey.PLUS_ONE: 1.0,
    TeachKey.MINUS_ONE: -1.0,
    TeachKey.PLUS_TEN: 10.0,
    TeachKey.MINUS_TEN: -10.0,
}
"""The rating each rating key gives (Knox's keys: ``/`` +1, ``z`` -1, ``?`` +10, ``Z`` -10)."""

_TEACH_CHARS: dict[str, TeachKey] = {
    "/": TeachKey.PLUS_ONE,
    "z": TeachKey.MINUS_ONE,
    "?": TeachKey.PLUS_TEN,
    "Z": TeachKey.MINUS_TEN,
    " ": TeachKey.PAUSE,
    "+": TeachKey.FASTER,
    "=": TeachKey.FASTER,  # '+' without shift on most layouts
    "-": TeachKey.SLOWER,
    "r": TeachKey.RESET,
    "s": TeachKey.SAVE,
}
_TEACH_CODES: dict[int, TeachKey] = {
    pygame.K_UP: TeachKey.PLUS_ONE,
    pygame.K_DOWN: TeachKey.MINUS_ONE,
    pygame.K_SPACE: TeachKey.PAUSE,
    pygame.K_KP_PLUS: TeachKey.FASTER,
    pygame.K_KP_MINUS: TeachKey.SLOWER,
    pygame.K_ESCAPE: TeachKey.QUIT,
}

_COMPARE_CHARS: dict[str, CompareKey] = {
    "=": CompareKey.EQUAL,
    "s": CompareKey.SKIP,
}
_COMPARE_CODES: dict[int, CompareKey] = {
    pygame.K_LEFT: CompareKey.LEFT,
    pygame.K_RIGHT: CompareKey.RIGHT,
    pygame.K_DOWN: CompareKey.EQUAL,
    pygame.K_UP: CompareKey.SKIP,
    pygame.K_BACKSPACE: CompareKey.UNDO,
    pygame.K_ESCAPE: CompareKey.QUIT,
}

TEACH_HELP = "/ +1   z -1   ? +10   Z -10   up/down +-1   space pause   +/- speed   r reset   s save   Esc quit"
"""One-line key help shown at the bottom of the live-rating window."""
COMPARE_HELP = "<- left better   -> right better   = or down: equal   up or s: skip   backspace undo   Esc quit"
"""One-line key help shown at the bottom of the comparison window."""


def teach_key(event: pygame.event.Event) -> TeachKey | None:
    """The live-rating command of a ``KEYDOWN`` event, or None for a key with no meaning."""
    char = getattr(event, "unicode", "") or ""
    if char in _TEACH_CHARS:
        return _TEACH_CHARS[char]
    return _TEACH_CODES.get(getattr(event, "key", None))


def compare_key(event: pygame.event.Event) -> CompareKey | None:
    """The comparison command of a ``KEYDOWN`` event, or None for a key with no meaning."""
    code = getattr(event, "key", None)
    if code in _COMPARE_CODES:
        return _COMPARE_CODES[code]
    return _COMPARE_CHARS.get(getattr(event, "unicode", "") or "")


def key_name(event: pygame.event.Event) -> str:
    """A printable name for the key of an event, for the 'unknown key' notice."""
    char = getattr(event, "unicode", "") or ""
    if char.isprintable() and char.strip():
        return char
    return pygame.key.name(getattr(event, "key", 0)) or "?"


_CHAR_CODES: dict[str, int] = {
    "/": pygame.K_SLASH,
    "?": pygame.K_SLASH,
    "z": pygame.K_z,
    "Z": pygame.K_z,
    " ": pygame.K_SPACE,
    "+": pygame.K_PLUS,
    "=": pygame.K_EQUALS,
    "-": pygame.K_MINUS,
}
_NAMED_CODES: dict[str, int] = {
    "up": pygame.K_UP,
    "down": pygame.K_DOWN,
    "left": pygame.K_LEFT,
    "right": pygame.K_RIGHT,
    "space": pygame.K_SPACE,
    "escape": pygame.K_ESCAPE,
    "backspace": pygame.K_BACKSPACE,
}


def key_event(key: str, **extra: object) -> pygame.event.Event:
    """Build the ``KEYDOWN`` event a keyboard would send for ``key``.

    Args:
        key: one character (``"/"``, ``"Z"``, ``"s"``) or a named key (``"up"``, ``"left"``,
            ``"escape"``, ``"backspace"``, ``"space"``).
        extra: extra attributes for the event (e.g. ``scripted=True``).
    """
    if key in _NAMED_CODES:
        code, char = _NAMED_CODES[key], " " if key == "space" else ""
    elif len(key) == 1:
        code = _CHAR_CODES.get(key, pygame.key.key_code(key.lower()) if key.isalnum() else 0)
        char = key
    else:
        raise ValueError(
            f"unknown key name {key!r}; use one character or one of {sorted(_NAMED_CODES)}"
        )
    mod = pygame.KMOD_SHIFT if char and (char.isupper() or char in "?+") else pygame.KMOD_NONE
    return pygame.event.Event(pygame.KEYDOWN, key=code, unicode=char, mod=mod, **extra)


def rating_key(value: float) -> str:
    """The key a person would press to give rating ``value`` (sign and strength only)."""
    if value > 0:
        return "?" if value >= 5 else "/"
    return "Z" if value <= -5 else "z"
