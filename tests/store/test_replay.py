"""``hfrl replay``: a recorded live session replayed through the live path (issue 15).

The session is made by the teach app (headless) with TAMER on CartPole-v1 and the
``perfect`` demo trainer, until the store holds 40 ratings (the event, not a time budget).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from hfrl.cli import main
from hfrl.store import FeedbackStore
from hfrl.store_steps import read_shown_steps

SEED = 3


@pytest.fixture(scope="module")
def teach_session(tmp_path_factory) -> Path:
    from hfrl.human_ui.launch import teach_session as open_teach
    from hfrl.human_ui.session import SessionPaths
    from hfrl.human_ui.teach import TeachConfig

    root = tmp_path_factory.mktemp("teach")

    def stop(app) -> None:
        if app.session.counts()["scalars"] >= 40:
            app._quit = True

    config = TeachConfig(fps=100, max_seconds=300)
    with open_teach("tamer", "CartPole-v1", SessionPaths(root, "T"), config, "perfect", SEED) as s:
        s.app.run(stop)
    return root


def _weights(folder: Path) -> dict[str, np.ndarray]:
    """Every array of an agent's weight files (npz, or torch weights read weights-only)."""
    import torch

    out: dict[str, np.ndarray] = {}
    for path in sorted(folder.glob("weights*")):
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as d:
                out.update({f"{path.name}:{k}": d[k] for k in d.files})
        else:
            state = torch.load(path, weights_only=True)
            flat = state.items() if isinstance(state, dict) else enumerate(state)
            for k, v in flat:
                if isinstance(v, dict):
                    out.update(
                        {
                            f"{path.name}:{k}.{j}": np.asarray(w)
                            for j, w in v.items()
                            if hasattr(w, "shape")
                        }
                    )
                elif hasattr(v, "shape"):
                    out[f"{path.name}:{k}"] = np.asarray(v)
    assert out, f"no weights in {folder}"
    return out


def test_the_store_keeps_the_shown_steps_of_every_rating(teach_session):
    with FeedbackStore(teach_session / "feedback.sqlite") as store:
        session = store.session("T")
        steps = read_shown_steps(store, session)
        records = store.scalar_records(session)
    assert steps is not None and steps["obs"].shape[1:] == (4,)
    shown = set(steps["index"].tolist())
    credited = {k for r in records for k, _ in (r.credit or ())}
    assert credited and credited <= shown  # every credited step is on disk with its rating
    assert np.all(np.diff(steps["t_start"]) > 0)
    assert np.all(np.diff(steps["after_ratings"]) >= 0)


def test_replaying_tamer_into_tamer_reproduces_the_original_weights(
    teach_session, tmp_path, capsys
):
    out = tmp_path / "replay"
    argv = ["replay", "T", "--agent", "tamer", "--out", str(out), "--dir", str(teach_session)]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "cannot say what the person would have taught this agent" in said
    original = _weights(teach_session / "T" / "agent")
    replayed = _weights(out / "agent")
    assert original.keys() == replayed.keys()
    for name in original:
        np.testing.assert_array_equal(replayed[name], original[name])
    assert max(np.abs(v).max() for v in original.values()) > 0  # the agent did learn something
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == SEED and summary["ratings"] >= 40
    assert "policy dependence" in summary["what_replay_answers"]
    curve = (out / "curve.csv").read_text().splitlines()
    assert curve[0] == "ratings,env_steps,human_seconds,return" and len(curve) >= 5


def test_replay_into_another_agent_is_deterministic(teach_session, tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"coach{k}"
        argv = ["replay", "T", "--agent", "coach", "--seed", "7", "--out", str(out)]
        assert main([*argv, "--eval-every", "20", "--dir", str(teach_session)]) == 0
        outs.append(out)
    a, b = _weights(outs[0] / "agent"), _weights(outs[1] / "agent")
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert (outs[0] / "curve.csv").read_text() == (outs[1] / "curve.csv").read_text()


def test_replay_refuses_what_it_cannot_replay(teach_session, tmp_path, capsys):
    assert main(["replay", "T", "--agent", "preference", "--dir", str(teach_session)]) == 2
    assert "learns from comparisons" in capsys.readouterr().err
    with FeedbackStore(tmp_path / "feedback.sqlite") as store:
        store.open_session("old", {"app": "teach", "env_id": "CartPole-v1"})
    assert main(["replay", "old", "--agent", "tamer", "--dir", str(tmp_path)]) == 2
    assert "did not keep the steps it showed" in capsys.readouterr().err
