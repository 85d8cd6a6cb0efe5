"""Training a reward ensemble from preferences (Christiano et al. 2017; DESIGN.md §5).

Pairs of segments are padded to one length (absorbing steps after a terminal end), labels are
1.0 / 0.0 / 0.5 (skips excluded). The loss is the Bradley–Terry cross-entropy on summed
predicted rewards with a uniform-answer noise term, P = (1−ε)·σ(R_left − R_right) + ε/2,
against a soft target (0.5 for "equal"). Each member trains on its own bootstrap resample of
the training labels (as per-member counts on shared minibatches, so all members still run in
one batched call); a validation split drives the L2 coefficient so validation loss stays
1.1–1.5× training loss.
"""

from __future__ import annotations

import ctypes
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from hfrl.errors import HfrlError
from hfrl.types import Preference, Segment

if TYPE_CHECKING:
    from hfrl.reward.ensemble import RewardEnsemble


@dataclass(frozen=True)
class TrainConfig:
    """How :meth:`RewardEnsemble.fit` trains."""

    epochs: int = 50
    """Passes over the training labels."""
    min_steps: int = 200
    """At least this many minibatch steps (more epochs when there are few labels)."""
    batch_size: int = 32
    """Labelled pairs per minibatch."""
    lr: float = 1e-3
    """Adam learning rate."""
    answer_noise: float = 0.1
    """Probability ε that the teacher answers uniformly at random (Christiano: 10%)."""
    val_fraction: float = 0.2
    """Share of labels held out for validation (0 disables validation and L2 adaptation)."""
    bagging: bool = True
    """Each member trains on its own bootstrap resample of the training labels."""
    l2_init: float = 1e-4
    """Initial L2 coefficient on the sum of squared weights (per member; kept between fits)."""
    l2_ratio: tuple[float, float] = (1.1, 1.5)
    """Target band for validation loss / training loss; L2 moves to keep the ratio inside."""
    l2_factor: float = 1.1
    """Multiplicative step of the L2 coefficient after each epoch outside the band."""
    l2_bounds: tuple[float, float] = (1e-8, 10.0)
    """Smallest and largest L2 coefficient."""
    cpu_malloc_pad_mb: int = 64
    """On Linux/glibc CPU training, keep this much freed heap memory instead of returning it
    to the OS after every step (``mallopt(M_TOP_PAD)``, process-wide, set once). Each step
    allocates and frees tens of MB of activations; glibc's default trims them away and the
    next step page-faults them back, which costs the batched ensemble (larger temporaries)
    up to a third of its speed. 0 leaves the allocator alone."""
    seed: int = 0
    """Seed for the split, the bootstrap and the minibatch order."""


_MALLOC_PAD_SET: list[int] = []


def retain_freed_memory(megabytes: int) -> bool:
    """Ask glibc to keep ``megabytes`` of freed heap memory (M_TOP_PAD); once per process.

    Returns True when the setting is in effect (False on other platforms or for 0).
    """
    if megabytes <= 0 or not sys.platform.startswith("linux"):
        return False
    if _MALLOC_PAD_SET:
        return _MALLOC_PAD_SET[0] > 0
    ok = 0
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_top_pad = -2
        ok = int(libc.mallopt(m_top_pad, int(megabytes) << 20))
    except (OSError, AttributeError):  # not glibc
        ok = 0
    _MALLOC_PAD_SET.append(ok)
    return ok > 0


# --------------------------------------------------------------------------- padding
def pad_segment(
    segment: Segment, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arrays (obs, actions, absorbing, mask) of exactly ``length`` steps.

    A segment that ended in a terminal state is extended with absorbing steps (mask 1: what
    ending early is worth counts). A shorter segment cut by truncation is extended with
    masked-out steps (mask 0), so only its real steps count, as for the teacher.
    """
    n = len(segment)
    if segment.terminated or n == length:
        p = segment.padded(length)
        return p.obs, p.actions, p.absorbing, np.ones(length, dtype=np.float32)
    if n > length:
        raise ValueError(f"segment of {n} steps is longer than the padded length {length}")
    pad = length - n

    def extend(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a)
        return np.concatenate([a, np.zeros((pad, *a.shape[1:]), dtype=a.dtype)])

    mask = np.zeros(length, dtype=np.float32)
    mask[:n] = 1.0
    return extend(segment.obs), extend(segment.actions), np.zeros(length, dtype=bool), mask


def pad_pairs(
    pairs: Sequence[tuple[Segment, Segment]], length: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stack pairs into arrays (P, 2, L, ...): obs, actions, absorbing, mask."""
    if length is None:
        length = max(max(len(a), len(b)) for a, b in pairs)
    cols: list[list[np.ndarray]] = [[], [], [], []]
    for left, right in pairs:
        pl, pr = pad_segment(left, length), pad_segment(right, length)
        for c, x, y in zip(cols, pl, pr, strict=True):
            c.append(np.stack([x, y]))
    obs, act, ab, mask = (np.stack(c) for c in cols)
    return obs, act, ab, mask


# --------------------------------------------------------------------------- dataset
class PreferenceDataset:
    """Labelled segment pairs padded to a common length.

    Arrays: ``obs`` (N, 2, L, *obs_shape), ``actions`` (N, 2, L, ...), ``absorbing`` (N, 2, L)
    bool, ``mask`` (N, 2, L) float32, ``labels`` (N,) float32 in {1.0, 0.5, 0.0}; index 0 of
    the second axis is the left segment. Skipped comparisons are excluded and counted in
    ``n_skipped``.
    """

    def __init__(
        self,
        obs: np.ndarray,
        actions: np.ndarray,
        absorbing: np.ndarray,
        mask: np.ndarray,
        labels: np.ndarray,
        n_skipped: int = 0,
    ):
        n = len(labels)
        for name, a in (
            ("obs", obs),
            ("actions", actions),
            ("absorbing", absorbing),
            ("mask", mask),
        ):
            if a.shape[:2] != (n, 2):
                raise ValueError(
                    f"PreferenceDataset {name} must start with ({n}, 2), got {a.shape}"
                )
        self.obs, self.actions, self.absorbing, self.mask = obs, actions, absorbing, mask
        self.labels = np.asarray(labels, dtype=np.float32)
        self.n_skipped = n_skipped

    @classmethod
    def from_pairs(
        cls,
        pairs: Iterable[tuple[Segment, Segment, float | None] | Preference],
        length: int | None = None,
    ) -> PreferenceDataset:
        """Build from (left, right, label) triples or :class:`Preference` records.

        A label of None (a skip) is excluded. ``length`` defaults to the longest segment.
        """
        kept: list[tuple[Segment, Segment]] = []
        labels: list[float] = []
        skipped = 0
        for item in pairs:
            if isinstance(item, Preference):
                left, right, label = item.left, item.right, item.label
            else:
                left, right, label = item
            if label is None:
                skipped += 1
                continue
            if label not in (0.0, 0.5, 1.0):
                raise HfrlError(f"preference labels must be 1.0, 0.0 or 0.5, got {label!r}")
            kept.append((left, right))
            labels.append(float(label))
        if not kept:
            raise HfrlError(
                "no labelled pairs to train on (all were skipped or none were given); "
                "collect some preferences first."
            )
        obs, act, ab, mask = pad_pairs(kept, length)
        return cls(obs, act, ab, mask, np.asarray(labels, dtype=np.float32), skipped)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def length(self) -> int:
        """Padded segment length L."""
        return self.absorbing.shape[2]

    def subset(self, indices: np.ndarray) -> PreferenceDataset:
        """The pairs at ``indices``."""
        return PreferenceDataset(
            self.obs[indices],
            self.actions[indices],
            self.absorbing[indices],
            self.mask[indices],
            self.labels[indices],
        )

    def real_steps(
        self, max_steps: int | None = None, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Observations and actions of the real (not absorbing, not masked) steps."""
        real = (~self.absorbing) & (self.mask > 0)
        obs, act = self.obs[real], self.actions[real]
        if max_steps is not None and len(obs) > max_steps:
            idx = np.sort(np.random.default_rng(seed).choice(len(obs), max_steps, replace=False))
            obs, act = obs[idx], act[idx]
        return obs, act


# --------------------------------------------------------------------------- loss
def bradley_terry_loss(
    diff: torch.Tensor, labels: torch.Tensor, answer_noise: float = 0.1
) -> torch.Tensor:
    """Cross-entropy of soft ``labels`` under P(left) = (1−ε)·σ(diff) + ε/2, elementwise.

    Computed in log space (stable for large |diff|); ``labels`` broadcast against ``diff``.
    """
    log_keep = math.log1p(-answer_noise)
    log_half = math.log(answer_noise / 2) if answer_noise > 0 else -math.inf
    half = torch.full_like(diff, log_half)
    log_left = torch.logaddexp(log_keep + torch.nn.functional.logsigmoid(diff), half)
    log_right = torch.logaddexp(log_keep + torch.nn.functional.logsigmoid(-diff), half)
    return -(labels * log_left + (1.0 - labels) * log_right)


def member_losses(
    ensemble: RewardEnsemble,
    tensors: Sequence[torch.Tensor],
    labels: torch.Tensor,
    weights: torch.Tensor | None,
    answer_noise: float,
) -> torch.Tensor:
    """Per-member (weighted) mean Bradley–Terry loss (K,) of one minibatch of pairs."""
    ret = ensemble.pair_returns(*tensors)  # (K, B, 2)
    loss = bradley_terry_loss(ret[..., 0] - ret[..., 1], labels.unsqueeze(0), answer_noise)
    if weights is None:
        return loss.mean(dim=1)
    return (loss * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


# --------------------------------------------------------------------------- fitting
def fit_ensemble(ensemble: RewardEnsemble, dataset: PreferenceDataset, config: TrainConfig) -> dict:
    """Train ``ensemble`` in place on ``dataset``; return statistics.

    Returns a dict with ``train_loss`` and ``val_loss`` (per member, last epoch),
    ``val_accuracy`` (ensemble-mean ranking vs labels on non-equal validation pairs, or None),
    ``l2`` (per member), ``epochs``, ``steps``, ``n_train``, ``n_val``, ``n_skipped``,
    ``seconds``.
    """
    if len(dataset) == 0:
        raise HfrlError("the preference dataset is empty; collect some labels first.")
    t0 = time.perf_counter()
    if ensemble.device.type == "cpu":
        retain_freed_memory(config.cpu_malloc_pad_mb)
    rng = np.random.default_rng(config.seed)
    k, dev = ensemble.n_members, ensemble.device
    n = len(dataset)
    perm = rng.permutation(n)
    n_val = round(n * config.val_fraction) if n >= 5 else 0
    val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    n_train = len(train_idx)
    if config.bagging:
        counts = np.stack(
            [np.bincount(rng.integers(0, n_train, n_train), minlength=n_train) for _ in range(k)]
        )
    else:
        counts = np.ones((k, n_train))
    counts_t = torch.as_tensor(counts, dtype=torch.float32, device=dev)

    data = ensemble.as_pair_tensors(dataset.obs, dataset.actions, dataset.absorbing, dataset.mask)
    labels = torch.as_tensor(dataset.labels, device=dev)
    train_pos = torch.as_tensor(train_idx, device=dev)

    net = ensemble.net
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    lo_ratio, hi_ratio = config.l2_ratio
    l2 = ensemble.l2.clone()
    batch = max(1, min(config.batch_size, n_train))
    per_epoch = math.ceil(n_train / batch)
    epochs = max(config.epochs, math.ceil(config.min_steps / per_epoch))
    steps = 0
    train_loss = torch.zeros(k, device=dev)
    val_loss = torch.full((k,), float("nan"), device=dev)
    for _ in range(epochs):
        order = torch.as_tensor(rng.permutation(n_train), device=dev)
        total = torch.zeros(k, device=dev)
        weight_sum = torch.zeros(k, device=dev)
        for start in range(0, n_train, batch):
            pos = order[start : start + batch]
            idx = train_pos[pos]
            w = counts_t[:, pos]
            losses = member_losses(
                ensemble, [t[idx] for t in data], labels[idx], w, config.answer_noise
            )
            penalty = l2 * net.weight_sq_norms()
            opt.zero_grad(set_to_none=True)
            (losses + penalty).sum().backward()
            opt.step()
            steps += 1
            with torch.no_grad():
                bw = w.sum(dim=1)
                total += losses.detach() * bw
                weight_sum += bw
        train_loss = total / weight_sum.clamp_min(1.0)
        if n_val:
            val_loss = _evaluate(ensemble, data, labels, val_idx, config.answer_noise)[0]
            ratio = val_loss / train_loss.clamp_min(1e-8)
            l2 = torch.where(ratio > hi_ratio, l2 * config.l2_factor, l2)
            l2 = torch.where(ratio < lo_ratio, l2 / config.l2_factor, l2)
            l2 = l2.clamp(*config.l2_bounds)
    net.eval()
    ensemble.l2 = l2
    val_acc = None
    if n_val:
        val_loss, val_acc = _evaluate(ensemble, data, labels, val_idx, config.answer_noise)
    return {
        "train_loss": train_loss.tolist(),
        "val_loss": val_loss.tolist(),
        "val_accuracy": val_acc,
        "l2": l2.tolist(),
        "epochs": epochs,
        "steps": steps,
        "n_train": n_train,
        "n_val": n_val,
        "n_skipped": dataset.n_skipped,
        "seconds": time.perf_counter() - t0,
    }


@torch.no_grad()
def _evaluate(
    ensemble: RewardEnsemble,
    data: Sequence[torch.Tensor],
    labels: torch.Tensor,
    indices: np.ndarray,
    answer_noise: float,
) -> tuple[torch.Tensor, float | None]:
    """Per-member loss (K,) and ensemble-mean ranking accuracy on non-equal pairs."""
    chunk = 64 if ensemble.spec.image else 4096
    losses, diffs = [], []
    for start in range(0, len(indices), chunk):
        idx = torch.as_tensor(indices[start : start + chunk], device=ensemble.device)
        ret = ensemble.pair_returns(*[t[idx] for t in data])
        d = ret[..., 0] - ret[..., 1]
        losses.append(bradley_terry_loss(d, labels[idx].unsqueeze(0), answer_noise))
        diffs.append(d.mean(dim=0))
    loss = torch.cat(losses, dim=1).mean(dim=1)
    diff = torch.cat(diffs)
    lab = labels[torch.as_tensor(indices, device=ensemble.device)]
    decided = lab != 0.5
    if not bool(decided.any()):
        return loss, None
    correct = (diff[decided] > 0) == (lab[decided] > 0.5)
    return loss, float(correct.float().mean())
