"""Which pairs of clips to ask about: oversample candidates, keep the most informative.

Christiano et al. (2017) sample many candidate pairs and ask about those on which the
reward ensemble disagrees most (variance across members of P(left ≻ right)). ``entropy``
asks where the ensemble-mean P is closest to ½ (B-Pref); ``uniform`` asks random pairs.
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
def mean_preference(ensemble: RewardEnsemble, pairs: Sequence[Pair]) -> np.ndarray:
    """Ensemble-mean P(left ≻ right) for each pair, shape (n_pairs,)."""
    if not pairs:
        return np.zeros(0)
    obs, act, ab, mask = pad_pairs(pairs)
    probs = []
    step = max(1, (256 if ensemble.spec.image else 65536) // (2 * obs.shape[2]))
    for i in range(0, len(pairs), step):
        sl = slice(i, i + step)
        ret = ensemble.pair_returns(*ensemble.as_pair_tensors(obs[sl], act[sl], ab[sl], mask[sl]))
        probs.append(torch.sigmoid(ret[..., 0] - ret[..., 1]).mean(dim=0))
    return torch.cat(probs).cpu().numpy()


def pair_scores(ensemble: RewardEnsemble | None, pairs: Sequence[Pair], method: str) -> np.ndarray:
    """How informative each pair is under ``method`` (higher is asked first)."""
    n = len(pairs)
    if method == "uniform" or ensemble is None or n == 0:
        return np.zeros(n)
    if method == "disagreement":
        return np.asarray(ensemble.disagreement(list(pairs)), dtype=np.float64)
    if method == "entropy":
        p = np.clip(mean_preference(ensemble, pairs), 1e-7, 1 - 1e-7)
        return -(p * np.log(p) + (1 - p) * np.log(1 - p))
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
