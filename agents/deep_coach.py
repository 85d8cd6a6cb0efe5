"""Deep COACH (Arumugam et al. 2019): a neural softmax policy trained on windows of feedback.

The policy π_θ(a|s) is an MLP for vector states, or a Nature-CNN encoder plus an MLP head
for Atari frame stacks (uint8 (4, 84, 84)); the encoder can be pretrained as an
autoencoder on random-policy frames and then frozen, as in the paper.

Each step is kept with the probability π_old(a|s) the acting policy gave its action. When
a rating f arrives, the window of the last L steps it can be about is stored with it in a
buffer, and one update is made on a minibatch of m stored windows::

    e_j = Σ_k c_jk · (π_θ(a_k|s_k) / π_old(a_k|s_k)) ∇_θ log π_θ(a_k|s_k)
    θ ← θ + α · [ (1/m) Σ_j f_j e_j + β ∇_θ H(π_θ(·|s)) ]          (Adam)

with the importance ratio correcting for the policy having changed since the window was
stored. The weights c_jk (``DeepCoachConfig.credit``):

- ``"trace"`` (the paper): the eligibility trace over the window, c = λ^(age), newest step
  first, λ = 0.35; the window holds the last L steps shown at least ``delay_seconds``
  before the rating (0: the paper's window ending at the rating).
- ``"window"``: each step's share of the delay window [t_f − delay_hi, t_f − delay_lo]
  (:class:`hfrl.credit.CreditAssigner`), as COACH's default; suits a trainer whose delay
  varies over 0.2–0.8 s at ~10 steps a second, where λ^age would credit mostly steps
  the person had not reacted to yet.

The entropy bonus is averaged over the states of the minibatch.

Updates never stall acting: :meth:`DeepCoach.give` only stores the window and queues an
update; acting reads ``act_net``; with ``worker="on"`` (or ``"auto"``
once an update took longer than ``frame_seconds``) updates run in a background thread
that trains ``net`` and copies its weights into ``act_net`` after each update. ``"off"``
(and ``"auto"`` while updates stay fast) keeps CPU runs deterministic.
"""

from __future__ import annotations

import copy
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from hfrl.config import config_from_dict, config_to_dict, load_json, save_json
from hfrl.errors import HfrlError
from hfrl.types import Feedback, Scalar, Step

AGENT_FILE = "agent.json"
NET_FILE = "policy.pt"
OPTIM_FILE = "optim.pt"


@dataclass(frozen=True)
class DeepCoachConfig:
    """Settings of a :class:`DeepCoach` agent (defaults from Arumugam et al. 2019)."""

    window: int = 10
    """L: steps in the window stored with each rating."""
    trace_lambda: float = 0.35
    """λ of the eligibility trace over a window (``credit="trace"``)."""
    batch_size: int = 16
    """m: stored windows per update (fewer while the buffer holds fewer)."""
    entropy_coef: float = 1.5
    """β: weight of the entropy bonus."""
    lr: float = 2.5e-4
    """Adam learning rate α."""
    credit: str = "trace"
    """Weights of a window's steps: ``"trace"`` (λ^age, the paper) or ``"window"`` (the
    delay window's credit)."""
    delay_seconds: float = 0.0
    """Trace credit: a rating's window ends with the last step shown at least this long
    before it (0: the paper's window of the latest L steps)."""
    delay_lo: float = 0.2
    """Window credit: shortest trainer reaction delay credited (seconds)."""
    delay_hi: float = 0.8
    """Window credit: longest trainer reaction delay credited (seconds)."""
    buffer_windows: int = 500
    """Capacity of the feedback buffer, in windows (oldest dropped first)."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden layer sizes of the MLP (vector states) or of the head after the CNN encoder."""
    autoencoder_frames: int = 0
    """Frames (CNN only): pretrain the encoder as an autoencoder on this many random-policy
    frames before learning (0: no pretraining)."""
    autoencoder_epochs: int = 3
    """Passes over the pretraining frames."""
    freeze_encoder: bool = True
    """Keep a pretrained encoder fixed while the policy learns (Arumugam et al.)."""
    worker: str = "auto"
    """``"on"``: updates in a background thread; ``"off"``: in the caller's thread;
    ``"auto"``: move to the thread once an update takes longer than ``frame_seconds``."""
    frame_seconds: float = 1 / 15
    """One display frame, the time an inline update may take (``worker="auto"``)."""
    device: str = "auto"
    """Torch device: ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.window < 1 or self.batch_size < 1 or self.buffer_windows < 1:
            raise HfrlError("deep-coach window, batch_size and buffer_windows must be >= 1")
        if not 0.0 <= self.trace_lambda <= 1.0:
            raise HfrlError(f"deep-coach trace_lambda must lie in [0, 1], got {self.trace_lambda}")
        if self.credit not in ("trace", "window"):
            raise HfrlError(f"deep-coach credit must be 'trace' or 'window', got {self.credit!r}")
        if self.worker not in ("auto", "on", "off"):
            raise HfrlError(f"deep-coach worker must be 'auto', 'on' or 'off', got {self.worker!r}")
        if self.lr <= 0 or self.entropy_coef < 0 or self.delay_seconds < 0:
            raise HfrlError("deep-coach needs lr > 0, entropy_coef >= 0 and delay_seconds >= 0")
        if not 0.0 <= self.delay_lo < self.delay_hi:
            raise HfrlError("deep-coach needs 0 <= delay_lo < delay_hi")


class PolicyNet(nn.Module):
    """Logits of π(·|s): an MLP over scaled vector states, or a CNN encoder plus an MLP."""

    def __init__(
        self,
        obs_shape: tuple[int, ...],
        n_actions: int,
        hidden: tuple[int, ...],
        low: np.ndarray | None,
        high: np.ndarray | None,
    ) -> None:
        from hfrl.agents.deep_tamer import FrameEncoder

        super().__init__()
        self.encoder: nn.Module | None = None
        if len(obs_shape) == 3:
            self.encoder = FrameEncoder(obs_shape[0], obs_shape[1])
            in_dim = self.encoder.out_dim
        else:
            assert low is not None and high is not None
            in_dim = int(np.prod(obs_shape))
            self.register_buffer("low", torch.as_tensor(low, dtype=torch.float32))
            self.register_buffer("span", torch.as_tensor(high - low, dtype=torch.float32))
        sizes = [in_dim, *hidden, n_actions]
        layers: list[nn.Module] = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.head = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.encoder is not None:
            return self.head(self.encoder(x))
        return self.head(2.0 * (x.float().flatten(1) - self.low) / self.span - 1.0)


@dataclass
class _Window:
    """One stored rating: its window of steps and their weights."""

    obs: np.ndarray
    actions: np.ndarray
    p_old: np.ndarray
    weights: np.ndarray
    value: float


class DeepCoach:
    """Deep COACH agent (``hfrl train deep-coach``), an :class:`hfrl.protocols.Agent`.

    Args:
        env_id: environment id.
        observation_space: Box of vector states or of uint8 frame stacks (C, H, W).
        action_space: Discrete.
        config: agent settings.
        seed: seed of the agent's generator and of torch's initialisation.
    """

    feedback_kind: ClassVar[str] = "scalar"
    name: ClassVar[str] = "deep-coach"
    config_class: ClassVar[type] = DeepCoachConfig

    def __init__(
        self,
        env_id: str,
        observation_space: Any,
        action_space: Any,
        config: DeepCoachConfig | None = None,
        seed: int = 0,
    ) -> None:
        from hfrl.agents.features import obs_bounds
        from hfrl.agents.tamer import check_discrete

        from hfrl.credit import CreditAssigner, UniformDelay
        from hfrl.seeding import resolve_device

        self.config = c = config or DeepCoachConfig()
        self.env_id = env_id
        self.seed = seed
        self.n_actions = check_discrete(env_id, observation_space, action_space, self.name)
        self.obs_shape = tuple(observation_space.shape)
        if len(self.obs_shape) not in (1, 3):
            raise HfrlError(
                f"deep-coach needs vector states or (C, H, W) frame stacks; {env_id} gives "
                f"{self.obs_shape}"
            )
        self.image = len(self.obs_shape) == 3
        self.low = self.high = None
        if not self.image:
            self.low, self.high = obs_bounds(env_id, observation_space)
        self.device = torch.device(resolve_device(c.device))
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        self.net = PolicyNet(self.obs_shape, self.n_actions, c.hidden, self.low, self.high)
        self.net.to(self.device)
        self.act_net = self.net
        self.pretrained = False
        self.optim = torch.optim.Adam(self._trainable(), lr=c.lr)
        self.buffer: deque[_Window] = deque(maxlen=c.buffer_windows)
        # steps a rating can still reach: the last L, and every step inside the longest delay
        self._recent: deque[tuple[np.ndarray, int, float, float, int]] = deque()
        self._keep_seconds = max(c.delay_hi, c.delay_seconds) + 1.0
        self._assigner = CreditAssigner(UniformDelay(c.delay_lo, c.delay_hi))
        self._cached: tuple[Any, np.ndarray] | None = None
        self.steps_seen = 0
        self.feedback_count = 0
        self.updates = 0
        self._last_loss = float("nan")
        self._last_entropy = float("nan")
        self._lock = threading.Lock()  # guards net, optimiser and buffer
        self._snapshot_lock = threading.Lock()  # guards act_net while it is copied
        self._jobs: queue.Queue[bool] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.slow_updates = 0
        self._pending = 0  # ratings whose update has not run yet (inline mode)
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

    def pretrain_autoencoder(self, frames: int, epochs: int = 3, batch: int = 32) -> float:
        """Pretrain the CNN encoder to reconstruct random-policy frame stacks; final MSE."""
        from hfrl.agents.deep_tamer import FrameDecoder
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
                loss = ((decoder(encoder(x)) - x.float() / 255.0) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                loss_v = float(loss.detach())
        self.pretrained = True
        self.optim = torch.optim.Adam(self._trainable(), lr=self.config.lr)
        return loss_v

    # ------------------------------------------------------------------ acting
    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """π(·|s) from the acting snapshot, shape (n_actions,)."""
        with self._snapshot_lock, torch.no_grad():
            logits = self.act_net(self._tensor(obs)[None])[0].float()
            p = torch.softmax(logits, 0).cpu().numpy().astype(np.float64)
        self._cached = (obs, p)
        return p

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """Sample from π(·|s); if ``greedy``, its most likely action (random tie-break)."""
        p = self.action_preferences(obs)
        if greedy:
            best = np.flatnonzero(p >= p.max() - 1e-9)
            return int(best[0] if len(best) == 1 else self.rng.choice(best))
        return int(self.rng.choice(self.n_actions, p=p / p.sum()))

    # ------------------------------------------------------------------ learning
    def observe(self, step: Step) -> None:
        """Keep the step with π_old of its action (the probability it was acted with)."""
        if self._cached is not None and self._cached[0] is step.obs:
            p = self._cached[1]
        else:
            p = self.action_preferences(step.obs)
        a = int(step.action)
        key = self.steps_seen
        self._recent.append(
            (np.array(step.obs, copy=True), a, float(p[a]), float(step.t_wall), key)
        )
        self._assigner.record(key, float(step.t_wall))
        self.steps_seen += 1
        horizon = float(step.t_wall) - self._keep_seconds
        while len(self._recent) > self.config.window and self._recent[0][3] < horizon:
            self._recent.popleft()

    def _window_for(self, t_f: float) -> tuple[list[int], np.ndarray] | None:
        """Indices into ``_recent`` of the rated window and their weights c_k."""
        c = self.config
        if c.credit == "window":
            credit = dict(self._assigner.credit(t_f))
            idx = [i for i, s in enumerate(self._recent) if s[4] in credit][-c.window :]
            if not idx:
                return None
            return idx, np.asarray([credit[self._recent[i][4]] for i in idx])
        shown = [i for i, s in enumerate(self._recent) if s[3] <= t_f - c.delay_seconds + 1e-9]
        idx = shown[-c.window :]
        if not idx:
            return None
        ages = np.arange(len(idx) - 1, -1, -1, dtype=np.float64)
        return idx, c.trace_lambda**ages

    def give(self, feedback: Feedback) -> None:
        """Store the rated window with the rating and queue one minibatch update (cheap: the
        update runs in :meth:`update` or in the worker thread)."""
        if not isinstance(feedback, Scalar):
            raise HfrlError(f"deep-coach learns from scalar ratings, not {type(feedback).__name__}")
        self.feedback_count += 1
        found = self._window_for(float(feedback.t_wall))
        if found is None:
            return
        idx, weights = found
        steps = [self._recent[i] for i in idx]
        window = _Window(
            obs=np.stack([s[0] for s in steps]),
            actions=np.asarray([s[1] for s in steps], dtype=np.int64),
            p_old=np.asarray([s[2] for s in steps], dtype=np.float32),
            weights=weights.astype(np.float32),
            value=float(feedback.value),
        )
        with self._lock:
            self.buffer.append(window)
        if self._thread is not None:
            self._jobs.put(True)
        else:
            self._pending += 1

    def update(self) -> dict[str, float]:
        """Run the updates queued by ratings (inline, or already in the worker); statistics."""
        self._raise_worker_error()
        while self._pending and self._thread is None:
            self._pending -= 1
            self._run_inline()
        return {
            "feedback": float(self.feedback_count),
            "updates": float(self.updates),
            "loss": self._last_loss,
            "entropy": self._last_entropy,
            "buffer": float(len(self.buffer)),
            "threaded": float(self._thread is not None),
        }

    def _run_inline(self) -> None:
        started = time.perf_counter()
        self._train()
        if (
            self.config.worker == "auto"
            and time.perf_counter() - started > self.config.frame_seconds
        ):
            self.slow_updates += 1
            if self.slow_updates >= 3:
                self._start_worker()
                for _ in range(self._pending):
                    self._jobs.put(True)
                self._pending = 0

    def loss(self, windows: list[_Window]) -> tuple[torch.Tensor, torch.Tensor]:
        """The Deep COACH objective to minimise on ``windows``, and the mean entropy.

        ``−(1/m) Σ_j f_j Σ_k c_jk π_θ(a_k|s_k)/π_old(a_k|s_k) − β H``: its gradient is
        minus the update direction of the module docstring (the ratio's gradient is
        ratio · ∇ log π).
        """
        obs = self._tensor(np.concatenate([w.obs for w in windows]))
        actions = torch.as_tensor(np.concatenate([w.actions for w in windows]), device=self.device)
        p_old = torch.as_tensor(np.concatenate([w.p_old for w in windows]), device=self.device)
        coef = np.concatenate([w.value * w.weights for w in windows]).astype(np.float32)
        logp_all = torch.log_softmax(self.net(obs), dim=1)
        logp = logp_all.gather(1, actions[:, None])[:, 0]
        ratio = torch.exp(logp) / p_old.clamp_min(1e-6)
        objective = (torch.as_tensor(coef, device=self.device) * ratio).sum() / len(windows)
        entropy = -(logp_all.exp() * logp_all).sum(1).mean()
        return -(objective + self.config.entropy_coef * entropy), entropy

    def _train(self) -> None:
        with self._lock:
            n = len(self.buffer)
            if n == 0:
                return
            m = min(self.config.batch_size, n)
            # the newest window always takes part; the rest are drawn without replacement
            picks = [n - 1, *(self.rng.choice(n - 1, size=m - 1, replace=False) if m > 1 else [])]
            windows = [self.buffer[int(i)] for i in picks]
            loss, entropy = self.loss(windows)
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()
            self.updates += 1
            self._last_loss = float(loss.detach())
            self._last_entropy = float(entropy.detach())
            if self.act_net is not self.net:
                with self._snapshot_lock:
                    self.act_net.load_state_dict(self.net.state_dict())

    def _start_worker(self) -> None:
        if self._thread is not None:
            return
        with self._lock, self._snapshot_lock:
            self.act_net = copy.deepcopy(self.net)
            self.act_net.requires_grad_(False)
        self._thread = threading.Thread(target=self._work, name="deep-coach-updates", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if not job:  # stop sentinel
                    return
                if self._error is None:
                    self._train()
            except BaseException as err:  # surfaced to the caller by update()
                self._error = err
            finally:
                self._jobs.task_done()

    def _raise_worker_error(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            raise RuntimeError(f"deep-coach update thread failed: {err}") from err

    @property
    def threaded(self) -> bool:
        """Updates run in the background thread."""
        return self._thread is not None

    def wait_for_updates(self) -> None:
        """Block until every queued update has run."""
        while self._pending and self._thread is None:
            self._pending -= 1
            self._run_inline()
        if self._thread is not None:
            self._jobs.join()
        self._raise_worker_error()

    def close(self) -> None:
        """Finish queued updates and stop the worker thread."""
        if self._thread is not None:
            self._jobs.join()
            self._jobs.put(False)
            self._thread.join()
            self._thread = None
            with self._snapshot_lock:
                self.act_net = self.net

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """Write ``agent.json`` and weights-only ``policy.pt`` / ``optim.pt``."""
        self.wait_for_updates()
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        from hfrl.agents.coach import space_to_dict

        space = _box(self.obs_shape, self.low, self.high, self.image)
        save_json(
            d / AGENT_FILE,
            {
                "agent": self.name,
                "config": config_to_dict(self.config),
                "env_id": self.env_id,
                "seed": self.seed,
                "observation_space": space_to_dict(space),
                "n_actions": self.n_actions,
                "pretrained": self.pretrained,
                "steps_seen": self.steps_seen,
                "feedback_count": self.feedback_count,
                "updates": self.updates,
            },
        )
        with self._lock:
            torch.save(self.net.state_dict(), d / NET_FILE)
            torch.save(self.optim.state_dict(), d / OPTIM_FILE)

    @classmethod
    def load(cls, directory: str | Path, device: str | None = None) -> DeepCoach:
        """Rebuild a saved agent; it keeps learning from where it stopped."""
        import dataclasses

        import gymnasium as gym
        from hfrl.agents.coach import space_from_dict

        d = Path(directory)
        if not (d / AGENT_FILE).exists():
            raise HfrlError(f"{d} holds no saved {cls.name} agent ({AGENT_FILE} is missing)")
        meta = load_json(d / AGENT_FILE)
        config = config_from_dict(cls.config_class, meta["config"])
        config = dataclasses.replace(config, autoencoder_frames=0)
        if device is not None:
            config = dataclasses.replace(config, device=device)
        agent = cls(
            meta["env_id"],
            space_from_dict(meta["observation_space"]),
            gym.spaces.Discrete(meta["n_actions"]),
            config,
            meta["seed"],
        )
        agent.pretrained = bool(meta["pretrained"])
        agent.net.load_state_dict(
            torch.load(d / NET_FILE, weights_only=True, map_location=agent.device)
        )
        agent.optim = torch.optim.Adam(agent._trainable(), lr=config.lr)
        agent.optim.load_state_dict(
            torch.load(d / OPTIM_FILE, weights_only=True, map_location=agent.device)
        )
        agent.steps_seen = int(meta["steps_seen"])
        agent.feedback_count = int(meta["feedback_count"])
        agent.updates = int(meta["updates"])
        return agent


def _box(shape: tuple[int, ...], low: Any, high: Any, image: bool) -> Any:
    """The observation Box the agent was built for (feature ranges for vector states)."""
    import gymnasium as gym

    if image:
        return gym.spaces.Box(0, 255, shape=shape, dtype=np.uint8)
    return gym.spaces.Box(
        np.asarray(low, dtype=np.float32), np.asarray(high, dtype=np.float32), dtype=np.float32
    )
