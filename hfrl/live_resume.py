"""Resume a live session after a crash: give the agent every stored rating it missed.

The feedback store has every rating the moment it was given, with its credited steps
(``(step index, weight)`` pairs) and the shown steps themselves (``shown_steps``, written
before each rating: :mod:`hfrl.store_steps`). The agent is saved now and then (autosave);
each save lists the store rows it had learnt from (``ui_state["learnt_rows"]``). A process
killed between two autosaves therefore lost only learning, never labels: on resume,
:func:`replay_missed` rebuilds each missed rating's :class:`~hfrl.credit.Credit` from the
store (steps, weights, and Knox's labels accumulated over every rating in order, as the
live path accumulated them) and gives it to the loaded agent, oldest first.

For the agents whose learning is a function of their ratings' credited steps (TAMER, Deep
TAMER, COACH with window credit), the agent after the replay is the one that would have
learnt from every stored rating. Deep COACH's π_old of a replayed step is read from the
policy at replay time (the acting probability is not stored), and COACH's trace form,
whose update uses its running trace rather than the credited steps, applies the missed
ratings to the trace it was saved with: for those two the replay is close, not exact.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from hfrl.credit import Credit, CreditedStep
from hfrl.store_steps import read_shown_steps
from hfrl.types import Step


def stored_steps(store: Any, session: Any) -> dict[int, Step]:
    """The session's shown steps as :class:`~hfrl.types.Step` objects, by step index."""
    arrays = read_shown_steps(store, session)
    if arrays is None:
        return {}
    out = {}
    for i, index in enumerate(arrays["index"].tolist()):
        out[int(index)] = Step(
            obs=arrays["obs"][i],
            action=_action(arrays["action"][i]),
            next_obs=arrays["next_obs"][i],
            true_reward=float(arrays["reward"][i]),
            terminated=bool(arrays["terminated"][i]),
            truncated=bool(arrays["truncated"][i]),
            t_wall=float(arrays["t_start"][i]),
            episode=int(arrays["episode"][i]),
            step=int(arrays["ep_step"][i]),
        )
    return out


def _action(a: Any) -> Any:
    """A stored action as the env gave it: a Python int for a discrete one."""
    return a.item() if getattr(a, "ndim", 1) == 0 else a


def replay_missed(agent: Any, store: Any, session: Any, learnt_rows: set[int]) -> list[int]:
    """Give ``agent`` every stored rating of ``session`` whose row is not in ``learnt_rows``.

    Args:
        agent: a live agent (``give(feedback, credit)`` and ``_payload(step)``).
        store: the feedback store.
        session: the session.
        learnt_rows: row ids the agent's save says it learnt from (empty: a fresh agent).

    Returns:
        The row ids given, oldest first (undone ratings are skipped, as they were live
        only if undone before the agent got them; a rating without credit is skipped).
    """
    steps = stored_steps(store, session)
    payloads: dict[int, dict[str, Any]] = {}
    rating_sum: dict[int, float] = defaultdict(float)
    rating_weight: dict[int, float] = defaultdict(float)
    given = []
    for record in store.scalar_records(session, include_retracted=False):
        if not record.credit:
            continue
        value = float(record.scalar.value)
        credited = []
        for index, weight in record.credit:
            rating_sum[index] += weight * value
            rating_weight[index] += weight
            if index not in steps:
                continue  # a step the store lacks (a session from before shown_steps)
            if index not in payloads:
                payloads[index] = agent._payload(steps[index])
            label = rating_sum[index] / rating_weight[index]
            credited.append(
                CreditedStep(index, float(weight), label, steps[index].episode, payloads[index])
            )
        if record.id in learnt_rows or not credited:
            continue
        agent.give(record.scalar, Credit(record.scalar.t_wall, value, credited))
        agent.update()
        given.append(int(record.id))
    wait = getattr(agent, "wait_for_updates", None)
    if callable(wait):
        wait()
    return given


def shown_extent(store: Any, session: Any) -> tuple[int, int, float]:
    """The highest step index, episode and start time among the session's stored shown
    steps ((-1, -1, -inf) when there are none), without reading their arrays."""
    from hfrl.store_steps import has_table

    if not has_table(store):
        return -1, -1, float("-inf")
    row = (
        store._conn()
        .execute(
            "SELECT max(idx), max(episode), max(t_start) FROM shown_steps WHERE session_id = ?",
            (session.id,),
        )
        .fetchone()
    )
    if row is None or row[0] is None:
        return -1, -1, float("-inf")
    return int(row[0]), int(row[1]), float(row[2])


def learnt_rows_of(ui_state: dict[str, Any]) -> set[int]:
    """The store rows a saved agent learnt from (``ui_state["learnt_rows"]`` ranges)."""
    rows = ui_state.get("learnt_rows") or ()
    return {r for first, last in rows for r in range(int(first), int(last) + 1)}


__all__ = ["learnt_rows_of", "replay_missed", "shown_extent", "stored_steps"]
