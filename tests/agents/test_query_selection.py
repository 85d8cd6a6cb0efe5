"""Query selection: B-Pref's entropy is the mean of the members' entropies (not the entropy
of the ensemble-mean probability, which is ``predictive-entropy``)."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces
from hfrl.agents.preference import PreferenceConfig, queries
from hfrl.agents.preference.queries import binary_entropy, member_preferences, pair_scores

from hfrl.errors import HfrlError
from hfrl.reward import RewardEnsemble, RewardEnsembleConfig
from hfrl.types import Segment


def seg(value: float, n: int = 4) -> Segment:
    return Segment(
        obs=np.full((n, 2), value, np.float32),
        actions=np.zeros(n, np.int64),
        true_rewards=np.zeros(n),
        env_id="Test-v0",
    )


def test_entropy_is_the_mean_of_member_entropies(monkeypatch):
    # members' P(left > right) for three pairs: confident and split, unsure, fairly unsure
    probs = np.array([[0.9, 0.5, 0.6], [0.1, 0.5, 0.6]])
    monkeypatch.setattr(queries, "member_preferences", lambda ens, pairs: probs)
    pairs = [(seg(0), seg(1))] * 3
    ent = pair_scores(object(), pairs, "entropy")
    np.testing.assert_allclose(ent, binary_entropy(probs).mean(axis=0))
    assert list(np.argsort(-ent)) == [1, 2, 0]  # the split pair is asked last
    pred = pair_scores(object(), pairs, "predictive-entropy")
    np.testing.assert_allclose(pred, binary_entropy(probs.mean(axis=0)))
    assert pred[0] == pytest.approx(pred[1]) and pred[0] > pred[2]


def test_member_preferences_match_each_members_returns():
    ens = RewardEnsemble(
        spaces.Box(-1, 1, (2,), np.float32),
        spaces.Discrete(2),
        RewardEnsembleConfig(n_members=3, seed=0),
        device="cpu",
    )
    pairs = [(seg(0.1 * i), seg(-0.1 * i, 3 if i % 2 else 4)) for i in range(1, 6)]
    p = member_preferences(ens, pairs)
    assert p.shape == (3, 5)
    assert not np.allclose(p[0], p[1])  # members differ
    np.testing.assert_allclose(p.var(axis=0), ens.disagreement(pairs), rtol=1e-5, atol=1e-9)
    assert binary_entropy(np.array([0.5]))[0] == pytest.approx(np.log(2))


def test_selection_names():
    assert PreferenceConfig(selection="predictive-entropy").selection == "predictive-entropy"
    with pytest.raises(HfrlError, match="predictive-entropy"):
        PreferenceConfig(selection="max-entropy")
