"""User-facing errors: each says what went wrong and what to do about it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class HfrlError(Exception):
    """An error caused by the user's input or setup; the CLI prints it without a traceback."""


class UnknownNameError(HfrlError, KeyError):
    """A name (env id, agent, teacher, suite) that is not known, with close matches."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MissingExtraError(HfrlError, ImportError):
    """An optional dependency is not installed; the message names the pip command."""


class StoreError(HfrlError):
    """A feedback store that cannot be opened safely (not a database, newer schema, ...)."""


def did_you_mean(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ' Did you mean: a, b?' for close matches of ``name``, or ''."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    if not close:
        return ""
    return " Did you mean: " + ", ".join(lowered[c] for c in close) + "?"


def unknown_name(
    kind: str, name: str, choices: Iterable[str], list_command: str = "hfrl --help"
) -> UnknownNameError:
    """Build the standard 'unknown X' error with close matches and where to see them all."""
    choices = sorted(choices)
    hint = did_you_mean(name, choices)
    listing = (
        ", ".join(choices) if len(choices) <= 12 else f"{len(choices)} known; see `{list_command}`"
    )
    return UnknownNameError(f"unknown {kind} {name!r}.{hint} Known {kind}s: {listing}.")


def missing_extra(what: str, extra: str) -> MissingExtraError:
    """Build the error for a missing optional dependency, naming the install command."""
    return MissingExtraError(
        f"{what} needs the optional '{extra}' extra. Install it with: pip install 'hfrl[{extra}]'"
    )
