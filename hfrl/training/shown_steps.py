"""A live-rating session's shown steps, as the scalar-trainer fit and replay read them.

The teach app and ``hfrl train`` record, for every rating, the steps it credited; to fit a
trainer (or replay a person) the steps *shown* are needed too: their display intervals,
observations and actions. The live loop keeps them in the store (:mod:`hfrl.store_steps`) for sessions it writes to.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hfrl.errors import HfrlError


def shown_steps(store: Any, session: Any) -> dict[str, np.ndarray]:
    """``index, t_start, t_end, episode, obs, action`` arrays of the steps a session showed.

    Raises:
        HfrlError: the session did not record its shown steps.
    """
    from hfrl.store_steps import read_shown_steps

    data = read_shown_steps(store, session)
    if data is None:
        raise HfrlError(
            f"session {session.name!r} did not record the steps it showed (their times, "
            "observations and actions), which fitting a live trainer and replay need; sessions "
            "recorded by this hfrl's teach app and `hfrl train` keep them"
        )
    return data


def fit_live_session(store: Any, session: Any) -> tuple[Any, Any]:
    """Fit the scalar trainer to a live session: the report and the fitted config."""
    from hfrl.envs.experts import get_expert
    from hfrl.teachers.fitting import ShownSteps, fit_scalar_trainer, scalar_config

    env_id = session.meta.get("env_id")
    if not env_id:
        raise HfrlError(f"session {session.name!r} does not record its env")
    data = shown_steps(store, session)
    expert = get_expert(env_id)
    signal = np.array(
        [
            1.0 if np.array_equal(expert.act(o), a) else -1.0
            for o, a in zip(data["obs"], data["action"], strict=True)
        ]
    )
    steps = ShownSteps(data["t_start"].astype(float), data["t_end"].astype(float), signal)
    ratings = store.scalars(session)
    times = np.array([r.t_wall for r in ratings], dtype=float)
    values = np.array([r.value for r in ratings], dtype=float)
    report = fit_scalar_trainer(steps, times, values)
    return report, scalar_config(report)
