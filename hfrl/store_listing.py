"""One line per session of a feedback store: what ``hfrl sessions`` prints.

Counts come straight from SQL (no segment is decompressed), so listing a store of long
Atari sessions stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfrl.store import FeedbackStore


@dataclass(frozen=True)
class SessionSummary:
    """What a store holds for one session."""

    name: str
    """Session name."""
    app: str
    """``teach``, ``compare``, ``import`` ... (from the session's meta; ``-`` if none)."""
    agent: str
    """Agent the session taught."""
    env_id: str
    """Environment id."""
    ratings: int
    """Live scalar ratings (undone ones left out)."""
    labels: int
    """Comparisons answered left, right or equal (undone ones left out)."""
    skips: int
    """Comparisons skipped."""
    undos: int
    """Ratings and comparisons undone."""
    start: float
    """Unix time the session was created."""
    end: float | None
    """Unix time of its last stored feedback (None: no feedback yet)."""
    size_bytes: int
    """Bytes of its rows and of the segments it uses (a shared segment counts in each)."""


def session_summaries(store: FeedbackStore) -> list[SessionSummary]:
    """A summary of every session in ``store``, oldest first."""
    conn = store._conn()
    out = []
    for s in store.sessions():
        sid = s.id
        r_live, r_undone, r_end, r_bytes = conn.execute(
            "SELECT coalesce(sum(retracted = 0), 0), coalesce(sum(retracted), 0), max(created), "
            "coalesce(sum(48 + length(source) + coalesce(length(credit), 0)), 0) "
            "FROM scalars WHERE session_id = ?",
            (sid,),
        ).fetchone()
        labels, skips, p_undone, p_end, p_bytes = conn.execute(
            "SELECT coalesce(sum(retracted = 0 AND label IS NOT NULL), 0), "
            "coalesce(sum(retracted = 0 AND label IS NULL), 0), coalesce(sum(retracted), 0), "
            "max(created), coalesce(sum(56 + length(source)), 0) "
            "FROM preferences WHERE session_id = ?",
            (sid,),
        ).fetchone()
        (seg_bytes,) = conn.execute(
            "SELECT coalesce(sum(length(data)), 0) FROM segments WHERE id IN ("
            "SELECT left_id FROM preferences WHERE session_id = ? UNION "
            "SELECT right_id FROM preferences WHERE session_id = ?)",
            (sid, sid),
        ).fetchone()
        ends = [t for t in (r_end, p_end) if t is not None]
        meta = s.meta
        app = str(meta.get("app", "-"))
        if "imported" in meta:
            app = f"{app} (imported)"
        out.append(
            SessionSummary(
                name=s.name,
                app=app,
                agent=str(meta.get("agent", "-")),
                env_id=str(meta.get("env_id", "-")),
                ratings=int(r_live),
                labels=int(labels),
                skips=int(skips),
                undos=int(r_undone + p_undone),
                start=float(s.created),
                end=max(ends) if ends else None,
                size_bytes=int(r_bytes + p_bytes + seg_bytes),
            )
        )
    return out


def human_size(n: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
