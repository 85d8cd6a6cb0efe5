"""Names that become paths, and locks that keep one writer per folder.

Every name a user gives that turns into a file or folder (``--session NAME``, a suite's
``name``) goes through :func:`check_name`: one path component of letters, digits and
``. _ - + =``, not starting with a dot, at most :data:`MAX_NAME_LENGTH` characters. So
``../x``, ``/abs``, ``a/b``, ``.`` and ``..`` are refused before anything is written.

:class:`FolderLock` is an exclusive ``fcntl.flock`` on a lock file that also records the
holder's pid and command line, so a second writer is refused with a message naming the
first. The lock dies with its holder (the kernel releases it), so a killed process never
leaves a stale lock behind. A child process that inherits the lock's file descriptor holds
it too, for as long as it lives.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from hfrl.errors import HfrlError

MAX_NAME_LENGTH = 128
"""Longest name accepted (well under every file system's component limit)."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9_+=-][A-Za-z0-9._+=-]*")
"""One path component of safe characters that does not start with a dot."""


def check_name(name: str, what: str = "session name") -> str:
    """Return ``name`` if it is safe as one folder name, else raise a clear error.

    Args:
        name: the user's name.
        what: what the name is for, in the message (``"--session name"``).

    Raises:
        HfrlError: the name is empty, too long, has a path separator, starts with a dot
            (``.``, ``..``, hidden files) or holds characters outside ``A-Z a-z 0-9 . _ - + =``.
    """
    if not isinstance(name, str) or not name:
        raise HfrlError(f"{what} must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise HfrlError(f"{what} {name[:20]!r}... is longer than {MAX_NAME_LENGTH} characters")
    if not NAME_PATTERN.fullmatch(name):
        raise HfrlError(
            f"{what} {name!r} is not a plain folder name: use letters, digits and . _ - + = "
            "only, with no '/' and no leading '.' (e.g. alice-cartpole-1)."
        )
    return name


def safe_name(text: str) -> str:
    """``text`` with every character outside the safe set replaced by ``-`` (never empty)."""
    cleaned = re.sub(r"[^A-Za-z0-9._+=-]", "-", text).lstrip(".")
    return cleaned[:MAX_NAME_LENGTH] or "-"


class LockedError(HfrlError):
    """The folder is locked by another live process."""


class FolderLock:
    """An exclusive lock on ``path`` (a lock file), held until :meth:`release` or exit.

    Args:
        path: the lock file (its folder is created).
        what: what is being locked, for the message (``"session 'alice'"``).
        hint: what to do instead, appended to the message.

    Raises:
        LockedError: another process holds the lock; the message names its pid and command.
        HfrlError: the lock file cannot be made (a read-only folder, a file in the way).
    """

    def __init__(self, path: str | Path, what: str, hint: str = "") -> None:
        self.path = Path(path)
        self.what = what
        self.fd: int | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise HfrlError(
                f"cannot lock {what} at {self.path}: {err.strerror or err}; check that the "
                "folder is writable and is not a file."
            ) from err
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            who = (
                f"process {holder.get('pid')} ({holder.get('command', '?')})"
                if holder
                else "another process"
            )
            raise LockedError(
                f"{what} is in use by {who}; only one process may write to it at a time. "
                + (hint or "Wait for it to finish or stop it first.")
            )
        self.fd = fd
        _write_holder(fd)

    def record(self, **info: Any) -> None:
        """Add facts about the holder (a child's pid, say) to what a refused writer is told."""
        if self.fd is not None:
            _write_holder(self.fd, info)

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self.fd is not None:
            fd, self.fd = self.fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:  # pragma: no cover - best effort
        self.release()


def is_locked(path: str | Path) -> dict[str, Any] | None:
    """The holder of the lock file ``path`` if a live process holds it, else None."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
        return _read_holder(fd) or {"pid": None}
    finally:
        os.close(fd)


def session_lock(session_dir: str | Path, name: str) -> FolderLock:
    """The lock of one app session (``session_dir/session.lock``): one writer at a time."""
    return FolderLock(
        Path(session_dir) / "session.lock",
        f"session {name!r}",
        "Close the other window (or wait for it to end), or pick another --session name.",
    )


PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal a process gets when its parent dies (Linux)."""


def die_with_parent(parent_pid: int) -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux only).

    If the parent is already gone (it died before this call), exit at once. Returns
    whether the request was made (False off Linux, where a killed parent's children live on).
    """
    import signal

    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent_pid:  # the parent died before the request was made
        os._exit(1)
    return True


def fsync_tree(root: Path) -> None:
    """Flush every file under ``root``, and ``root``'s own entries, to disk."""
    for path in sorted(Path(root).rglob("*"), reverse=True):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fsync_dir(root)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (renames into it) to disk, where the OS allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _write_holder(fd: int, extra: dict[str, Any] | None = None) -> None:
    info = {"pid": os.getpid(), "command": " ".join(sys.argv)[:200], "since": time.time()}
    info.update(extra or {})
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
    except OSError:
        pass


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        data = os.pread(fd, 4096, 0)
        return dict(json.loads(data.decode())) if data else {}
    except (OSError, ValueError):
        return {}
