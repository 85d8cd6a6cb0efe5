"""Which pairs of clips to ask about: oversample candidates, keep the most informative.

Christiano et al. (2017) sample many candidate pairs and ask about those on which the
reward ensemble disagrees most (``disagreement``: variance across members of
P_k(left ≻ right)). ``entropy`` is B-Pref's entropy sampling (Lee et al. 2021, its
``get_entropy``): the *mean over members* of each member's binary entropy H(P_k), so a pair
every member finds close is asked first. ``predictive-entropy`` is the entropy of the
ensemble-mean probability, H(mean_k P_k), which is high also where confident members
disagree (entropy = mean member entropy + the members' mutual information).
``uniform`` asks random pairs. While every answer so far is "equal" (Acrobot's and
MountainCar's clips all run on for the reward oracle) the ensemble knows nothing to disagree
about, so the agent first asks :func:`ending_pairs`: a clip that ended in a terminal state
against one that ran on, the pairs that teach what ending is worth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from hfrl.reward import RewardEnsemble, pad_pairs
from hfrl.types import Segment

Pair = tuple[Segment, Segment]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, highest first (ties: the earlier index)."""
    scores = np.asarray(scores, dtype=np.float64)
    k = min(k, len(scores))
    return np.argsort(-scores, kind="stable")[:k]


@torch.no_grad()
def member_preferences(ensemble: RewardEnsemble, pairs: Sequence[Pair]) -> np.ndarray:
    """Each member's P(left ≻ right) for each pair, shape (n_members, n_pairs)."""
    if not pairs:
        return np.zeros((ensemble.n_members, 0))
    obs, act, ab, mask = pad_pairs(pairs)
    probs = []
    step = max(1, (256 if ensemble.spec.image else 65536) // (2 * obs.shape[2]))
    for i in range(0, len(pairs), step):
        sl = slice(i, i + step)
        ret = ensemble.pair_returns(*ensemble.as_pair_tensors(obs[sl], act[sl], ab[sl], mask[sl]))
        probs.append(torch.sigmoid(ret[..., 0] - ret[..., 1]))
    return torch.cat(probs, dim=1).cpu().numpy()


def mean_preference(ensemble: RewardEnsemble, pairs: Sequence[Pair]) -> np.ndarray:
    """Ensemble-mean P(left ≻ right) for each pair, shape (n_pairs,)."""
    return member_preferences(ensemble, pairs).mean(axis=0)


def binary_entropy(p: np.ndarray) -> np.ndarray:
    """H(p) = −p log p − (1−p) log(1−p) in nats, elementwise."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return -(p * np.log(p) + (1 - p) * np.log1p(-p))


def pair_scores(ensemble: RewardEnsemble | None, pairs: Sequence[Pair], method: str) -> np.ndarray:
    """How informative each pair is under ``method`` (higher is asked first)."""
    n = len(pairs)
    if method == "uniform" or ensemble is None or n == 0:
        return np.zeros(n)
    if method == "disagreement":
        return np.asarray(ensemble.disagreement(list(pairs)), dtype=np.float64)
    if method == "entropy":
        return binary_entropy(member_preferences(ensemble, pairs)).mean(axis=0)
    if method == "predictive-entropy":
        return binary_entropy(mean_preference(ensemble, pairs))
    raise ValueError(f"unknown query selection {method!r}")


def select_queries(
    candidates: Sequence[Pair],
    n: int,
    method: str,
    ensemble: RewardEnsemble | None,
) -> list[Pair]:
    """The ``n`` most informative of ``candidates`` (in candidate order for ``uniform``).

    Without a trained ensemble (``None``) every method falls back to the first ``n``.
    """
    scores = pair_scores(ensemble, candidates, method)
    return [candidates[i] for i in top_k(scores, n)]


def ending_pairs(segments: Sequence[Segment], n: int, rng: np.random.Generator) -> list[Pair]:
    """Up to ``n`` pairs of a clip that ended in a terminal state and one that did not
    (each ended clip once, most recent first; the other clip drawn at random)."""
    ended = [s for s in reversed(segments) if s.terminated]
    running = [s for s in segments if not s.terminated]
    if not ended or not running or n <= 0:
        return []
    picks = rng.integers(len(running), size=min(n, len(ended)))
    return [(e, running[int(i)]) for e, i in zip(ended, picks, strict=False)]
