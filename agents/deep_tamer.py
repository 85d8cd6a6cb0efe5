"""Deep TAMER (Warnell et al. 2018): a neural Ĥ(s, a) with a feedback replay buffer.

Ĥ is an MLP for vector states, or a Nature-CNN encoder plus an MLP head for Atari frame
stacks (uint8 (4, 84, 84)); the encoder can be pretrained as an autoencoder on frames
from a random policy and then frozen, as in the paper. Credit uses the paper's delay
window, uniform over [0.2 s, 4 s]. Each credited step is stored once in the feedback
buffer with its label (the credit-weighted mean of the ratings that hit it) and weight
(its total credit, at most 1). The loss is ``w·(Ĥ(s, a) − h)²`` on the taken action only;
every rating triggers one SGD step on the steps it credits, and every ``replay_every``
steps a minibatch is replayed from the buffer. Two options matter on Atari (off in the config,
on in the presets table's Atari row, :mod:`hfrl.presets`): ``normalize_frames`` standardises the CNN
input by random-policy frames so small moving objects register, and ``dueling`` centres
the action outputs so a punished action falls below the untried ones.

``give()`` is O(1) in the network (the Agent protocol's "cheap"): it takes the rating's
credited steps from the agent's step history (:class:`hfrl.agents.live_base.LiveAgent`) and
queues them, as (obs, action, weight, rating) records, as one pending update; ``observe()`` queues a replay every ``replay_every`` steps. The queued work runs
in order, in ``update()`` (``worker="off"``, and ``"auto"`` until an update takes longer
than ``frame_seconds``), or in the agent's background thread (``"on"``, and ``"auto"``
after that), which trains ``net`` under a lock and copies its weights into ``act_net``,
the network acting reads, after each step; ``update()`` then only wakes the thread (see
:class:`hfrl.agents.background.UpdateWorker`).
Inline updates keep CPU runs deterministic (same seed, same weights).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from hfrl.agents.common import greedy_choice
from hfrl.agents.deep_base import DeepAgentBase
from hfrl.agents.deep_nets import FrameDecoder, FrameEncoder, ObsNet

from hfrl.credit import Credit, ShownStep, StepHistory, UniformDelay
from hfrl.types import Scalar, Step

_Record = tuple[int, np.ndarray, int, float, float]
"""One credited step of a rating: (step key, obs, action, credit weight, rating value)."""
_Job = list[_Record] | None
"""A pending update: a rating's credited steps, or None for a replay minibatch."""
NET_FILE = "h_net.pt"
OPTIM_FILE = "h_optim.pt"
__all__ = ["DeepTamer", "DeepTamerConfig", "FeedbackBuffer", "FrameDecoder", "FrameEncoder", "HNet"]


@dataclass(frozen=True)
class DeepTamerConfig:
    """Settings of a :class:`DeepTamer` agent."""

    hidden: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of the MLP (vector states) or of the head after the CNN encoder."""
    lr: float = 1e-3
    """Adam learning rate."""
    dueling: bool = False
    """Ĥ(s, a) = V(s) + A(s, a) − mean_b A(s, b) (see :class:`ObsNet`): a rating of the
    taken action moves the untaken ones the other way, so an action rated down falls
    below the rest instead of taking them down with it through the shared layers."""
    delay_min: float = 0.2
    """Shortest trainer delay credited, seconds (Warnell et al.: 0.2)."""
    delay_max: float = 4.0
    """Longest trainer delay credited, seconds (Warnell et al.: 4)."""
    buffer_size: int = 5000
    """Capacity of the feedback replay buffer, in credited steps."""
    batch_size: int = 32
    """Minibatch size of replay updates."""
    replay_every: int = 10
    """b: replay a minibatch from the buffer every this many env steps."""
    min_credit: float = 1e-3
    """Credited steps whose total weight stays below this are not stored."""
    autoencoder_frames: int = 0
    """Frames (CNN only): pretrain the encoder as an autoencoder on this many random-policy
    frames before learning (0: no pretraining)."""
    normalize_frames: int = 0
    """Frames (CNN only): standardise the CNN's input by the per-pixel mean and the RMS
    deviation of this many random-policy frames before learning (0: plain ``x / 255``).
    Without it the static screen swamps small moving objects (Bowling's ball)."""
    autoencoder_epochs: int = 3
    """Passes over the pretraining frames."""
    freeze_encoder: bool = True
    """Keep a pretrained encoder fixed while learning Ĥ (Warnell et al.)."""
    explore: float = 0.0
    """Probability of a uniformly random action when acting to learn (not greedy). 0 is
    Warnell et al.'s pure greedy agent; a little exploration breaks the deadlock where
    every action tried in a state was rated down below an untried one."""
    worker: str = "auto"
    """Where queued updates run. ``"on"``: in a background thread; ``"off"``: in
    ``update()``, in the caller's thread (deterministic); ``"auto"``: in ``update()`` until
    one ``update()`` takes longer than ``frame_seconds``, then in the thread."""
    max_replay_backlog: int = 2
    """Worker thread only: at most this many queued replays run per wake-up, the rest are
    skipped (rating updates are never skipped)."""
    frame_seconds: float = 1 / 15
    """One display frame, the time budget an inline update may take (``worker="auto"``)."""
    device: str = "auto"
    """Torch device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``."""

    field_ranges: ClassVar[dict[str, str]] = {
        "hidden": ">= 1",
        "lr": "> 0",
        "delay_min": ">= 0",
        "delay_max": "> 0",
        "buffer_size": ">= 1",
        "batch_size": ">= 1",
        "replay_every": ">= 1",
        "min_credit": ">= 0",
        "autoencoder_frames": ">= 0",
        "normalize_frames": ">= 0",
        "autoencoder_epochs": ">= 0",
        "explore": "[0, 1]",
        "max_replay_backlog": ">= 1",
        "frame_seconds": "> 0",
    }
    """Allowed values, checked by :func:`hfrl.config.config_from_dict` (``--set``, suites)."""


HNet = ObsNet
"""Ĥ(s, ·): an MLP over scaled vector states, or a CNN encoder plus an MLP head."""


class FeedbackBuffer:
    """Credited steps (obs, action, label sum, weight) in a ring; a step is stored once."""

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype) -> None:
        self.capacity = capacity
        self.obs = np.zeros((capacity, *obs_shape), dtype=obs_dtype)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.wh = np.zeros(capacity)
        self.w = np.zeros(capacity)
        self.slot_of: dict[int, int] = {}
        self.key_at = np.full(capacity, -1, dtype=np.int64)
        self.next = 0
        self.size = 0

    def add(self, key: int, obs: np.ndarray, action: int, weight: float, value: float) -> int:
        """Add ``weight * value`` to step ``key``'s label, storing the step if new; its slot."""
        slot = self.slot_of.get(key)
        if slot is None:
            slot = self.next
            old = int(self.key_at[slot])
            if old >= 0:
                self.slot_of.pop(old, None)
            self.obs[slot] = obs
            self.actions[slot] = action
            self.wh[slot] = self.w[slot] = 0.0
            self.key_at[slot] = key
            self.slot_of[key] = slot
            self.next = (self.next + 1) % self.capacity
            self.size = min(self.size + 1, self.capacity)
        self.wh[slot] += weight * value
        self.w[slot] += weight
        return slot

    def batch(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(obs, actions, labels, weights) of ``slots``; weights capped at 1."""
        w = self.w[slots]
        labels = self.wh[slots] / np.maximum(w, 1e-12)
        return self.obs[slots], self.actions[slots], labels, np.minimum(w, 1.0)

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to save: the filled slots as they lie in the ring, and its write position."""
        n = self.size
        return {
            "obs": self.obs[:n],
            "actions": self.actions[:n],
            "wh": self.wh[:n],
            "w": self.w[:n],
            "keys": self.key_at[:n],
            "next": np.asarray([self.next], dtype=np.int64),
        }

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """Refill from :meth:`state`: the same slots, step keys and write position, so
        replays after a load draw what they would have drawn."""
        n = min(len(state["actions"]), self.capacity)
        self.obs[:n] = state["obs"][:n]
        self.actions[:n] = state["actions"][:n]
        self.wh[:n] = state["wh"][:n]
        self.w[:n] = state["w"][:n]
        self.key_at[:] = -1
        old_format = "next" not in state  # oldest first, no step keys
        self.key_at[:n] = -(np.arange(n) + 2) if old_format else state["keys"][:n]
        self.slot_of = {int(k): i for i, k in enumerate(self.key_at[:n].tolist())}
        self.size = n
        self.next = (n if old_format else int(state["next"][0])) % self.capacity


class DeepTamer(DeepAgentBase):
    """Deep TAMER agent (implements :class:`hfrl.protocols.Agent`).

    Built as every live agent (:class:`hfrl.agents.live_base.LiveAgent`): observations are
    vector states or uint8 frame stacks (C, H, W), actions Discrete; ``seed`` also seeds
    torch's initialisation.
    """

    name: ClassVar[str] = "deep-tamer"
    config_class: ClassVar[type] = DeepTamerConfig
    net_file: ClassVar[str] = NET_FILE
    optim_file: ClassVar[str] = OPTIM_FILE

    def _init_state(self) -> None:
        """The feedback buffer (uint8 frames or float32 vectors)."""
        dtype = np.uint8 if self.image else np.float32
        self.buffer = FeedbackBuffer(self.config.buffer_size, self.obs_shape, np.dtype(dtype))

    def _optional_job(self, job: _Job) -> bool:
        """Replays (not ratings) are the jobs the worker thread may skip when behind."""
        return job is None

    def _make_history(self) -> StepHistory:
        """The delay window (Warnell et al.: 0.2-4 s); steps under ``min_credit`` left out."""
        c = self.config
        return StepHistory(UniformDelay(c.delay_min, c.delay_max), min_weight=c.min_credit)

    @property
    def skipped_replays(self) -> int:
        """Replays the worker thread skipped to keep up (``max_replay_backlog``)."""
        return self.worker.skipped

    # ------------------------------------------------------------------ Agent protocol
    def h_values(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·) from the acting snapshot, shape (n_actions,)."""
        return self._outputs(obs).cpu().numpy()

    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·)."""
        return self.h_values(obs)

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """argmax_a Ĥ(s, a), ties broken at random (a random action with ``explore``)."""
        explore = self.config.explore
        if not greedy and explore > 0 and self.rng.random() < explore:
            return int(self.rng.integers(self.n_actions))
        return greedy_choice(self.h_values(obs), self.rng, 1e-9)

    def _payload(self, step: Step) -> dict[str, Any]:
        """A copy of the observation, and the action."""
        return {"obs": np.array(step.obs, copy=True), "action": int(step.action)}

    def _on_observe(self, step: Step, shown: ShownStep) -> None:
        """Queue a replay every ``replay_every`` steps."""
        if self.steps_seen % self.config.replay_every == 0:
            self.worker.put(None)

    def _learn(self, feedback: Scalar, credit: Credit) -> None:
        """Queue the credited steps as one pending update (no training here).

        The records reach the feedback buffer, and the SGD step on them runs, in
        :meth:`update` or the worker thread.
        """
        value = float(feedback.value)
        records: list[_Record] = [
            (s.index, s.payload["obs"], int(s.payload["action"]), s.weight, value)
            for s in credit.steps
        ]
        if records:
            self.worker.put(records)

    def update(self) -> dict[str, float]:
        """Run the queued updates (inline), or wake the worker thread; report statistics."""
        self.worker.run()
        return {
            "feedback": float(self.feedback_count),
            "updates": float(self.updates),
            "loss": self._last_loss,
            "buffer": float(self.buffer.size),
            "pending": float(self.pending),
            "threaded": float(self.threaded),
        }

    def _train_job(self, job: _Job) -> None:
        """One SGD step: on a rating's credited steps (stored first), or a replay minibatch."""
        if job is None:
            if self.buffer.size == 0:
                return
            n = min(self.config.batch_size, self.buffer.size)
            slots = self.rng.choice(self.buffer.size, size=n, replace=False)
        else:
            stored = [self.buffer.add(k, o, a, w, v) for k, o, a, w, v in job]
            slots = np.asarray(list(dict.fromkeys(stored)))
        obs, actions, labels, weights = self.buffer.batch(slots)
        x = self._tensor(obs)
        a = torch.as_tensor(actions, device=self.device)
        y = torch.as_tensor(labels, dtype=torch.float32, device=self.device)
        w = torch.as_tensor(weights, dtype=torch.float32, device=self.device)
        pred = self.net(x).gather(1, a[:, None])[:, 0]
        self._sgd_step((w * (pred - y) ** 2).mean())

    # ------------------------------------------------------------------ persistence
    def _save_state(self, directory: Path) -> None:
        """``h_net.pt``, ``h_optim.pt`` and the feedback buffer ``buffer.npz``."""
        super()._save_state(directory)
        np.savez_compressed(directory / "buffer.npz", **self.buffer.state())

    def _load_state(self, directory: Path, meta: dict[str, Any]) -> None:
        super()._load_state(directory, meta)
        with np.load(directory / "buffer.npz", allow_pickle=False) as z:
            self.buffer.restore({k: z[k] for k in z.files})
