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
- ``"window"``: each step's share of the delay window [t_f − delay_max, t_f − delay_min]
  (:class:`hfrl.credit.CreditAssigner`), as COACH's default; suits a trainer whose delay
  varies over 0.2–0.8 s at ~10 steps a second, where λ^age would credit mostly steps
  the person had not reacted to yet.

The entropy bonus is averaged over the states of the minibatch.

Updates never stall acting: :meth:`DeepCoach.give` only stores the window and queues an
update; acting reads ``act_net``; with ``worker="on"`` (or ``"auto"``
once three updates took longer than ``frame_seconds``) updates run in a background thread
(:class:`hfrl.agents.background.UpdateWorker`) that trains ``net`` and copies its weights
into ``act_net`` after each update. ``"off"`` (and ``"auto"`` while updates stay fast)
keeps CPU runs deterministic.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from hfrl.agents.background import check_worker_mode
from hfrl.agents.common import (
    AGENT_FILE,
    box_space,
    greedy_choice,
    restore_counters,
    save_meta,
    space_from_dict,
    space_to_dict,
)
from hfrl.agents.deep_base import DeepAgentBase
from hfrl.agents.deep_nets import ObsNet

from hfrl.errors import HfrlError
from hfrl.types import Feedback, Scalar, Step

NET_FILE = "policy.pt"
OPTIM_FILE = "optim.pt"
__all__ = ["AGENT_FILE", "DeepCoach", "DeepCoachConfig", "PolicyNet"]


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
    delay_min: float = 0.2
    """Window credit: shortest trainer reaction delay credited (seconds)."""
    delay_max: float = 0.8
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
    ``"auto"``: move to the thread once three ``update()`` calls have each taken longer
    than ``frame_seconds``."""
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
        check_worker_mode(self.worker, "deep-coach")
        if self.lr <= 0 or self.entropy_coef < 0 or self.delay_seconds < 0:
            raise HfrlError("deep-coach needs lr > 0, entropy_coef >= 0 and delay_seconds >= 0")
        if not 0.0 <= self.delay_min < self.delay_max:
            raise HfrlError("deep-coach needs 0 <= delay_min < delay_max")


PolicyNet = ObsNet
"""Logits of π(·|s): an MLP over scaled vector states, or a CNN encoder plus an MLP."""


@dataclass
class _Window:
    """One stored rating: its window of steps and their weights."""

    obs: np.ndarray
    actions: np.ndarray
    p_old: np.ndarray
    weights: np.ndarray
    value: float


class DeepCoach(DeepAgentBase):
    """Deep COACH agent (``hfrl train deep-coach``), an :class:`hfrl.protocols.Agent`.

    Args:
        env_id: environment id.
        observation_space: Box of vector states or of uint8 frame stacks (C, H, W).
        action_space: Discrete.
        config: agent settings.
        seed: seed of the agent's generator and of torch's initialisation.
    """

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
        from hfrl.credit import CreditAssigner, UniformDelay

        c = config or DeepCoachConfig()
        super().__init__(env_id, observation_space, action_space, c, seed, slow_limit=3)
        self.buffer: deque[_Window] = deque(maxlen=c.buffer_windows)
        # steps a rating can still reach: the last L, and every step inside the longest delay
        self._recent: deque[tuple[np.ndarray, int, float, float, int]] = deque()
        self._keep_seconds = max(c.delay_max, c.delay_seconds) + 1.0
        self._assigner = CreditAssigner(UniformDelay(c.delay_min, c.delay_max))
        self._cached: tuple[Any, np.ndarray] | None = None
        self._last_entropy = float("nan")

    # ------------------------------------------------------------------ acting
    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """π(·|s) from the acting snapshot, shape (n_actions,)."""
        with torch.no_grad():
            p = torch.softmax(self._outputs(obs), 0).cpu().numpy().astype(np.float64)
        self._cached = (obs, p)
        return p

    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """Sample from π(·|s); if ``greedy``, its most likely action (random tie-break)."""
        p = self.action_preferences(obs)
        if greedy:
            return greedy_choice(p, self.rng, 1e-9)
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
        """Queue the rated window with its rating (cheap: storing it and the minibatch update
        run in :meth:`update` or in the worker thread)."""
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
        self.worker.put(window)  # stored by the update itself: give() never waits for training

    def update(self) -> dict[str, float]:
        """Run the updates queued by ratings (inline, or already in the worker); statistics."""
        self.worker.run()
        return {
            "feedback": float(self.feedback_count),
            "updates": float(self.updates),
            "loss": self._last_loss,
            "entropy": self._last_entropy,
            "buffer": float(len(self.buffer)),
            "threaded": float(self.threaded),
        }

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

    def _train_job(self, window: _Window) -> None:
        """Store ``window``, then one minibatch update on the stored windows (it among them)."""
        self.buffer.append(window)
        n = len(self.buffer)
        m = min(self.config.batch_size, n)
        # the newest window always takes part; the rest are drawn without replacement
        picks = [n - 1, *(self.rng.choice(n - 1, size=m - 1, replace=False) if m > 1 else [])]
        windows = [self.buffer[int(i)] for i in picks]
        loss, entropy = self.loss(windows)
        self._sgd_step(loss)
        self._last_entropy = float(entropy.detach())

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """Write ``agent.json`` and weights-only ``policy.pt`` / ``optim.pt``."""
        self.wait_for_updates()
        with self.worker.lock:
            d = save_meta(
                directory,
                self,
                observation_space=space_to_dict(box_space(self.obs_shape, self.low, self.high)),
                n_actions=self.n_actions,
                pretrained=self.pretrained,
                steps_seen=self.steps_seen,
                feedback_count=self.feedback_count,
                updates=self.updates,
            )
            self._save_net(d, NET_FILE, OPTIM_FILE)

    @classmethod
    def load(cls, directory: str | Path, device: str | None = None) -> DeepCoach:
        """Rebuild a saved agent; it keeps learning from where it stopped."""
        agent, meta, d = cls._rebuild(
            directory, device, lambda meta: space_from_dict(meta["observation_space"])
        )
        agent._load_net(d, NET_FILE, OPTIM_FILE, bool(meta["pretrained"]))
        restore_counters(agent, meta, ("steps_seen", "feedback_count", "updates"))
        return agent
