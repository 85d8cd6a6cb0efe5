"""The ``--dir`` option shared by the session commands, and opening the store it names."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

STORE_FILE = "feedback.sqlite"
"""File name of the feedback store inside a sessions folder (as the apps write it)."""


def add_dir_argument(parser: argparse.ArgumentParser) -> None:
    """``--dir DIR``: the folder of the apps' feedback store (default runs/sessions)."""
    parser.add_argument(
        "--dir",
        default=None,
        metavar="DIR",
        help="folder of the feedback store (default runs/sessions, where the apps write)",
    )


def store_path(root: str | None) -> Path:
    """``ROOT/feedback.sqlite`` (ROOT default: the apps' ``runs/sessions``)."""
    from hfrl.human_ui.session import DEFAULT_ROOT

    return (DEFAULT_ROOT if root is None else Path(root)) / STORE_FILE


def open_existing_store(root: str | None) -> Any:
    """Open the store under ``root``; a clear error (not a new empty store) if there is none."""
    from hfrl.errors import HfrlError
    from hfrl.store import FeedbackStore

    path = store_path(root)
    if not path.is_file():
        hint = "" if root is not None else " (pass --dir DIR for another folder)"
        raise HfrlError(f"no feedback store at {path}{hint}; the apps create one when they run")
    return FeedbackStore(path, synchronous="NORMAL")


def find_session(store: Any, name: str) -> Any:
    """The session ``name``; a one-line error listing the sessions there are."""
    from hfrl.errors import HfrlError

    names = [s.name for s in store.sessions()]
    if name not in names:
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        raise HfrlError(
            f"no session {name!r} in {store.path}; sessions there: {shown or 'none'} "
            "(list them with `hfrl sessions`)"
        )
    return store.session(name)
