"""Resuming compare gives back every stored label the saved agent did not learn from, by
the set of rows saved with it, not by one high-water mark (issue 12 item 5)."""

from __future__ import annotations

import numpy as np
from ui_fakes import FakePreferenceAgent, compare_app

from hfrl.types import Preference, Segment


def _segment(rng, episode: int) -> Segment:
    return Segment(
        obs=rng.normal(size=(4, 4)).astype(np.float32),
        actions=rng.integers(0, 2, size=4),
        true_rewards=np.ones(4),
        env_id="CartPole-v1",
        episode=episode,
        start_step=0,
    )


def test_restore_gives_back_exactly_the_rows_the_agent_did_not_learn(store_session, tmp_path):
    store, session = store_session
    rng = np.random.default_rng(0)
    rows = [
        session.add(Preference(_segment(rng, 2 * i), _segment(rng, 2 * i + 1), 1.0, float(i), "h"))
        for i in range(5)
    ]
    learned = {rows[0], rows[1], rows[3], rows[4]}  # row 3 arrived below the newest learnt
    agent = FakePreferenceAgent()
    app = compare_app(session, tmp_path / "agent", agent=agent, max_frames=1)
    assert app.restore_labels(after=rows[-1], learned=learned) == 1
    records = {r.id: r.preference for r in store.preference_records(session)}
    assert agent.labels == [(records[rows[2]].left.uid, records[rows[2]].right.uid, 1.0)]
    from hfrl.human_ui.worker import rows_in

    state = app.worker.ui_state()
    assert rows_in(state["label_rows"]) == set(rows)  # now it has them all


def test_restore_without_a_saved_row_set_uses_the_newest_row(store_session, tmp_path):
    _, session = store_session
    rng = np.random.default_rng(1)
    rows = [
        session.add(Preference(_segment(rng, 2 * i), _segment(rng, 2 * i + 1), 0.0, float(i), "h"))
        for i in range(3)
    ]
    agent = FakePreferenceAgent()
    app = compare_app(session, tmp_path / "agent", agent=agent, max_frames=1)
    assert app.restore_labels(after=rows[0]) == 2  # an older save: rows above its mark
