"""Deep TAMER (Warnell et al. 2018): a neural Ĥ(s, a) with a feedback replay buffer.

Ĥ is an MLP for vector states, or a Nature-CNN encoder plus an MLP head for Atari frame
stacks (uint8 (4, 84, 84)); the encoder can be pretrained as an autoencoder on frames
from a random policy and then frozen, as in the paper. Credit uses the paper's delay
window, uniform over [0.2 s, 4 s]. Each credited step is stored once in the feedback
buffer with its label (the credit-weighted mean of the ratings that hit it) and weight
(its total credit, at most 1). The loss is ``w·(Ĥ(s, a) − h)²`` on the taken action only;
every rating triggers one SGD step on the steps it credits, and every ``replay_every``
steps a minibatch is replayed from the buffer.

``give()`` is O(1) in the network (the Agent protocol's "cheap"): it credits the recent
steps and queues the credited (obs, action, weight, rating) records as one pending
update; ``observe()`` queues a replay every ``replay_every`` steps. The queued work runs
in order, in ``update()`` (``worker="off"``, and ``"auto"`` until an update takes longer
than ``frame_seconds``), or in the agent's background thread (``"on"``, and ``"auto"``
after that), which trains ``net`` under a lock and copies its weights into ``act_net``,
the network acting reads, after each step; ``update()`` then only wakes the thread.
Inline updates keep CPU runs deterministic (same seed, same weights).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from hfrl.agents.features import obs_bounds
from hfrl.agents.tamer import check_discrete
from torch import nn

from hfrl.config import config_from_dict, config_to_dict, load_json, save_json
from hfrl.errors import HfrlError
from hfrl.types import Feedback, Scalar, Step

_Record = tuple[int, np.ndarray, int, float, float]
"""One credited step of a rating: (step key, obs, action, credit weight, rating value)."""
_Job = list[_Record] | None
"""A pending update: a rating's credited steps, or None for a replay minibatch."""


@dataclass(frozen=True)
class DeepTamerConfig:
    """Settings of a :class:`DeepTamer` agent."""

    hidden: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of the MLP (vector states) or of the head after the CNN encoder."""
    lr: float = 1e-3
    """Adam learning rate."""
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


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class FrameEncoder(nn.Module):
    """Nature-CNN encoder of uint8 frame stacks (C, 84, 84), scaled by 1/255."""

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(channels, 32, 8, 4),
            nn.ReLU(),
            nn.Conv2d(32, 64, 4, 2),
            nn.ReLU(),
            nn.Conv2d(64, 64, 3, 1),
            nn.ReLU(),
        )
        with torch.no_grad():
            self.out_shape = tuple(self.convs(torch.zeros(1, channels, size, size)).shape[1:])
        self.out_dim = int(np.prod(self.out_shape))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs(x.float() / 255.0).flatten(1)


class FrameDecoder(nn.Module):
    """Mirror of :class:`FrameEncoder` for autoencoder pretraining (outputs in [0, 1])."""

    def __init__(self, channels: int, enc_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.enc_shape = enc_shape
        self.deconvs = nn.Sequential(
            nn.ConvTranspose2d(64, 64, 3, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, 2),
            nn.ReLU(),
            nn.ConvTranspose2d(32, channels, 8, 4),
            nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.deconvs(z.view(-1, *self.enc_shape))


class HNet(nn.Module):
    """Ĥ(s, ·): an MLP over scaled vector states, or a CNN encoder plus an MLP head."""

    def __init__(
        self,
        obs_shape: tuple[int, ...],
        n_actions: int,
        hidden: tuple[int, ...],
        low: np.ndarray | None,
        high: np.ndarray | None,
    ) -> None:
        super().__init__()
        self.image = len(obs_shape) == 3
        if self.image:
            self.encoder: nn.Module | None = FrameEncoder(obs_shape[0], obs_shape[1])
            in_dim = self.encoder.out_dim  # type: ignore[union-attr]
        else:
            self.encoder = None
            in_dim = int(np.prod(obs_shape))
            assert low is not None and high is not None
            self.register_buffer("low", torch.as_tensor(low, dtype=torch.float32))
            self.register_buffer("span", torch.as_tensor(high - low, dtype=torch.float32))
        self.head = _mlp([in_dim, *hidden, n_actions])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.encoder is not None:
            return self.head(self.encoder(x))
        z = 2.0 * (x.float().flatten(1) - self.low) / self.span - 1.0
        return self.head(z)


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
        """Arrays to save (the filled part, oldest first)."""
        order = (np.arange(self.size) + (self.next - self.size)) % self.capacity
        return {
            "obs": self.obs[order],
            "actions": self.actions[order],
            "wh": self.wh[order],
            "w": self.w[order],
        }

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """Refill from :meth:`state` (as fresh steps with negative keys)."""
        n = min(len(state["actions"]), self.capacity)
        for i in range(n):
            j = len(state["actions"]) - n + i
            slot = self.add(-(i + 2), state["obs"][j], int(state["actions"][j]), 0.0, 0.0)
            self.wh[slot] = state["wh"][j]
            self.w[slot] = state["w"][j]


class DeepTamer:
    """Deep TAMER agent (implements :class:`hfrl.protocols.Agent`).

    Args:
        env_id: environment id.
        observation_space: Box of vector states or of uint8 frame stacks (C, H, W).
        action_space: Discrete.
        config: agent settings.
        seed: seed of the agent's generator and of torch's initialisation.
    """

    feedback_kind: ClassVar[str] = "scalar"
    name: ClassVar[str] = "deep-tamer"
    config_class: ClassVar[type] = DeepTamerConfig

    def __init__(
        self,
        env_id: str,
        observation_space: Any,
        action_space: Any,
        config: DeepTamerConfig | None = None,
        seed: int = 0,
    ) -> None:
        from hfrl.credit import CreditAssigner, UniformDelay
        from hfrl.seeding import resolve_device

        self.config = c = config or DeepTamerConfig()
        if c.worker not in ("auto", "on", "off"):
            raise HfrlError(f"deep-tamer worker must be 'auto', 'on' or 'off', got {c.worker!r}")
        self.env_id = env_id
        self.seed = seed
        self.n_actions = check_discrete(env_id, observation_space, action_space, self.name)
        self.obs_shape = tuple(observation_space.shape)
        if len(self.obs_shape) not in (1, 3):
            raise HfrlError(
                f"deep-tamer needs vector states or (C, H, W) frame stacks; {env_id} gives "
                f"{self.obs_shape}"
            )
        self.image = len(self.obs_shape) == 3
        self.low = self.high = None
        if not self.image:
            self.low, self.high = obs_bounds(env_id, observation_space)
        self.device = torch.device(resolve_device(c.device))
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        self.net = HNet(self.obs_shape, self.n_actions, c.hidden, self.low, self.high)
        self.net.to(self.device)
        self.act_net = self.net
        self.pretrained = False
        self.optim = torch.optim.Adam(self._trainable(), lr=c.lr)
        dtype = np.uint8 if self.image else np.float32
        self.buffer = FeedbackBuffer(c.buffer_size, self.obs_shape, np.dtype(dtype))
        self.credit = CreditAssigner(UniformDelay(c.delay_min, c.delay_max))
        self._recent: OrderedDict[int, tuple[np.ndarray, int, float]] = OrderedDict()
        self.steps_seen = 0
        self.feedback_count = 0
        self.updates = 0
        self.pretrained = False
        self._last_loss = float("nan")
        self._lock = threading.Lock()  # guards net, optimiser and buffer (held while training)
        self._snapshot_lock = threading.Lock()  # guards act_net while it is copied
        self._cv = threading.Condition()  # guards the pending queue and the worker's state
        self._pending: deque[_Job] = deque()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.slow_updates = 0
        self.skipped_replays = 0
        if c.autoencoder_frames > 0 and self.image:
            self.pretrain_autoencoder(c.autoencoder_frames, c.autoencoder_epochs)
        if c.worker == "on":
            self._start_worker()

    # ------------------------------------------------------------------ model
    def _trainable(self) -> list[nn.Parameter]:
        if self.pretrained and self.config.freeze_encoder and self.net.encoder is not None:
            return list(self.net.head.parameters())
        return list(self.net.parameters())

    def _tensor(self, obs: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(obs), device=self.device)

    def h_values(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·) from the acting snapshot, shape (n_actions,)."""
        with self._snapshot_lock, torch.no_grad():
            return self.act_net(self._tensor(obs)[None])[0].float().cpu().numpy()

    def pretrain_autoencoder(self, frames: int, epochs: int = 3, batch: int = 32) -> float:
        """Pretrain the CNN encoder to reconstruct random-policy frame stacks; final MSE."""
        from hfrl.envs.make import make

        if self.net.encoder is None:
            raise HfrlError("autoencoder pretraining needs image observations")
        env = make(self.env_id, seed=self.seed + 7, render_mode=None)
        data = np.zeros((frames, *self.obs_shape), dtype=np.uint8)
        obs, _ = env.reset()
        for i in range(frames):
            data[i] = obs
            obs, _, term, trunc, _ = env.step(int(self.rng.integers(self.n_actions)))
            if term or trunc:
                obs, _ = env.reset()
        env.close()
        encoder = self.net.encoder
        decoder = FrameDecoder(self.obs_shape[0], encoder.out_shape).to(self.device)  # type: ignore[union-attr, arg-type]
        opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
        loss_v = float("nan")
        for _ in range(epochs):
            for idx in np.array_split(self.rng.permutation(frames), max(1, frames // batch)):
                x = self._tensor(data[idx])
                recon = decoder(encoder(x))
                loss = ((recon - x.float() / 255.0) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                loss_v = float(loss.detach())
        self.pretrained = True
        self.optim = torch.optim.Adam(self._trainable(), lr=self.config.lr)
        return loss_v

    # ------------------------------------------------------------------ Agent protocol
    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·)."""
        return self.h_values(obs)

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """argmax_a Ĥ(s, a), ties broken at random (a random action with ``explore``)."""
        explore = self.config.explore
        if not greedy and explore > 0 and self.rng.random() < explore:
            return int(self.rng.integers(self.n_actions))
        h = self.h_values(obs)
        best = np.flatnonzero(h >= h.max() - 1e-9)
        return int(best[0] if len(best) == 1 else self.rng.choice(best))

    def observe(self, step: Step) -> None:
        """Remember the step (observation, action, start time) for credit; maybe queue a replay."""
        key = self.steps_seen
        self.steps_seen += 1
        self._recent[key] = (np.array(step.obs, copy=True), int(step.action), float(step.t_wall))
        self.credit.record(key, float(step.t_wall))
        horizon = float(step.t_wall) - self.config.delay_max - 1.0
        while len(self._recent) > 2:
            _, (_, _, t0) = next(iter(self._recent.items()))
            if t0 >= horizon:
                break
            self._recent.popitem(last=False)
        if self.steps_seen % self.config.replay_every == 0:
            self._enqueue(None)

    def give(self, feedback: Feedback) -> None:
        """Credit the recent steps and queue them as one pending update (no training here).

        The records reach the feedback buffer, and the SGD step on them runs, in
        :meth:`update` or the worker thread.
        """
        if not isinstance(feedback, Scalar):
            raise HfrlError(f"deep-tamer learns from scalar ratings, not {type(feedback).__name__}")
        self.feedback_count += 1
        value = float(feedback.value)
        records: list[_Record] = []
        for key, w in self.credit.credit(float(feedback.t_wall)):
            if w < self.config.min_credit or key not in self._recent:
                continue
            obs, action, _ = self._recent[key]
            records.append((key, obs, action, w, value))
        if records:
            self._enqueue(records)

    def update(self) -> dict[str, float]:
        """Run the queued updates (inline), or wake the worker thread; report statistics."""
        self._raise_worker_error()
        if self._thread is not None:
            with self._cv:
                self._cv.notify_all()
        else:
            started = time.perf_counter()
            ran = self._run_pending(max_replays=None)
            if (
                ran
                and self.config.worker == "auto"
                and time.perf_counter() - started > self.config.frame_seconds
            ):
                self.slow_updates += 1
                self._start_worker()
        with self._cv:
            pending = len(self._pending)
        return {
            "feedback": float(self.feedback_count),
            "updates": float(self.updates),
            "loss": self._last_loss,
            "buffer": float(self.buffer.size),
            "pending": float(pending),
            "threaded": float(self._thread is not None),
        }

    # ------------------------------------------------------------------ updates
    def _enqueue(self, job: _Job) -> None:
        """Queue a rating's records (or None: a replay); wake the worker if there is one."""
        with self._cv:
            self._pending.append(job)
            if self._thread is not None:
                self._cv.notify_all()

    def _run_pending(self, max_replays: int | None) -> int:
        """Run the queued jobs in order; replays beyond ``max_replays`` are skipped."""
        with self._cv:
            jobs = list(self._pending)
            self._pending.clear()
        replays = 0
        for job in jobs:
            if job is None:
                if max_replays is not None and replays >= max_replays:
                    self.skipped_replays += 1
                    continue
                replays += 1
            self._train(job)
        return len(jobs)

    def _train(self, job: _Job) -> None:
        """One SGD step: on a rating's credited steps (stored first), or a replay minibatch."""
        with self._lock:
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
            loss = (w * (pred - y) ** 2).mean()
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()
            self.updates += 1
            self._last_loss = float(loss.detach())
            if self.act_net is not self.net:
                with self._snapshot_lock:
                    self.act_net.load_state_dict(self.net.state_dict())

    def _start_worker(self) -> None:
        if self._thread is not None:
            return
        import copy

        with self._lock, self._snapshot_lock:
            self.act_net = copy.deepcopy(self.net)
            self.act_net.requires_grad_(False)
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="deep-tamer-updates", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._stopping:
                    self._cv.wait()
                if not self._pending:  # stopping, nothing left
                    return
                self._busy = True
            try:
                if self._error is None:
                    # A backlog of replays is coalesced: the worker keeps up with the
                    # ratings, and acting never waits for it anyway.
                    self._run_pending(max_replays=self.config.max_replay_backlog)
                else:
                    with self._cv:
                        self._pending.clear()
            except BaseException as err:  # surfaced to the caller by update()
                self._error = err
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise RuntimeError(f"deep-tamer update thread failed: {err}") from err

    @property
    def threaded(self) -> bool:
        """Updates run in the background thread."""
        return self._thread is not None

    @property
    def pending(self) -> int:
        """Queued updates (ratings and replays) not yet run."""
        with self._cv:
            return len(self._pending)

    def wait_for_updates(self) -> None:
        """Run (inline) or wait for (worker) every queued update."""
        if self._thread is None:
            self._run_pending(max_replays=None)
        else:
            with self._cv:
                self._cv.notify_all()
                while (self._pending or self._busy) and self._error is None:
                    self._cv.wait(0.5)
        self._raise_worker_error()

    def close(self) -> None:
        """Finish queued updates and stop the worker thread."""
        if self._thread is not None:
            self.wait_for_updates()
            with self._cv:
                self._stopping = True
                self._cv.notify_all()
            self._thread.join()
            self._thread = None
            with self._snapshot_lock:
                self.act_net = self.net

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """Write ``agent.json``, ``h_net.pt``, ``h_optim.pt`` and ``buffer.npz``."""
        self.wait_for_updates()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        with self._lock:
            save_json(
                d / "agent.json",
                {
                    "agent": self.name,
                    "config": config_to_dict(self.config),
                    "env_id": self.env_id,
                    "seed": self.seed,
                    "obs_shape": list(self.obs_shape),
                    "obs_low": None if self.low is None else self.low.tolist(),
                    "obs_high": None if self.high is None else self.high.tolist(),
                    "n_actions": self.n_actions,
                    "steps_seen": self.steps_seen,
                    "feedback_count": self.feedback_count,
                    "updates": self.updates,
                    "pretrained": self.pretrained,
                },
            )
            torch.save(self.net.state_dict(), d / "h_net.pt")
            torch.save(self.optim.state_dict(), d / "h_optim.pt")
            np.savez_compressed(d / "buffer.npz", **self.buffer.state())

    @classmethod
    def load(cls, directory: str | Path, device: str | None = None) -> DeepTamer:
        """Rebuild a saved agent (weights, optimiser, feedback buffer); it keeps learning."""
        import dataclasses

        import gymnasium as gym

        d = Path(directory)
        meta = load_json(d / "agent.json")
        config = config_from_dict(cls.config_class, meta["config"])
        config = dataclasses.replace(config, autoencoder_frames=0)
        if device is not None:
            config = dataclasses.replace(config, device=device)
        shape = tuple(meta["obs_shape"])
        if meta["obs_low"] is None:
            space = gym.spaces.Box(0, 255, shape, dtype=np.uint8)
        else:
            space = gym.spaces.Box(
                np.asarray(meta["obs_low"], dtype=np.float32),
                np.asarray(meta["obs_high"], dtype=np.float32),
            )
        agent = cls(
            meta["env_id"], space, gym.spaces.Discrete(meta["n_actions"]), config, meta["seed"]
        )
        if meta["obs_low"] is not None:
            agent.low = np.asarray(meta["obs_low"], dtype=np.float64)
            agent.high = np.asarray(meta["obs_high"], dtype=np.float64)
        agent.pretrained = bool(meta["pretrained"])
        agent.optim = torch.optim.Adam(agent._trainable(), lr=config.lr)
        agent.net.load_state_dict(
            torch.load(d / "h_net.pt", weights_only=True, map_location=agent.device)
        )
        agent.optim.load_state_dict(
            torch.load(d / "h_optim.pt", weights_only=True, map_location=agent.device)
        )
        if agent.act_net is not agent.net:
            agent.act_net.load_state_dict(agent.net.state_dict())
        with np.load(d / "buffer.npz", allow_pickle=False) as z:
            agent.buffer.restore({k: z[k] for k in z.files})
        for k in ("steps_seen", "feedback_count", "updates"):
            setattr(agent, k, int(meta[k]))
        return agent
