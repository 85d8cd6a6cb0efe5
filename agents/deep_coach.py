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
- ``"window"``: each step's share of the delay window [t_f − delay_max, t_f − delay_min],
  as COACH's default; suits a trainer whose delay varies over 0.2–0.8 s, where λ^age
  would credit mostly steps the person had not reacted to yet. The window holds every
  step the delay window reaches, so it keeps the rated step and the whole credit mass at
  any display rate (about 0.6·fps steps; L does not cut it).

Both read the steps from the agent's one step history
(:class:`hfrl.agents.live_base.LiveAgent`, :class:`hfrl.credit.StepHistory`).

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
from hfrl.agents.common import AGENT_FILE, greedy_choice
from hfrl.agents.deep_base import DeepAgentBase
from hfrl.agents.deep_nets import ObsNet

from hfrl.credit import Credit, StepHistory, TraceRule, UniformDelay
from hfrl.errors import HfrlError
from hfrl.types import Scalar, Step

NET_FILE = "policy.pt"
OPTIM_FILE = "optim.pt"
WINDOWS_FILE = "windows.npz"
__all__ = ["AGENT_FILE", "DeepCoach", "DeepCoachConfig", "PolicyNet"]


@dataclass(frozen=True)
class DeepCoachConfig:
    """Settings of a :class:`DeepCoach` agent (defaults from Arumugam et al. 2019)."""

    window: int = 10
    """L: steps in the window stored with each rating under trace credit (window credit
    stores every step the delay window reaches)."""
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
    normalize_frames: int = 0
    """Frames (CNN only): standardise the CNN's input by the per-pixel mean and the RMS
    deviation of this many random-policy frames before learning (0: plain ``x / 255``),
    as Deep TAMER's option (small moving objects such as Bowling's ball then register)."""
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

    Built as every live agent (:class:`hfrl.agents.live_base.LiveAgent`): observations are
    vector states or uint8 frame stacks (C, H, W), actions Discrete; ``seed`` also seeds
    torch's initialisation.
    """

    name: ClassVar[str] = "deep-coach"
    config_class: ClassVar[type] = DeepCoachConfig
    preferences_are_policy: ClassVar[bool] = True
    net_file: ClassVar[str] = NET_FILE
    optim_file: ClassVar[str] = OPTIM_FILE

    slow_limit: ClassVar[int] = 3

    def _init_state(self) -> None:
        """The windows buffer."""
        self.buffer: deque[_Window] = deque(maxlen=self.config.buffer_windows)
        self._cached: tuple[Any, np.ndarray] | None = None
        self._last_entropy = float("nan")

    def _make_history(self) -> StepHistory:
        """The delay window's credit, or the paper's λ^age over the last L steps."""
        c = self.config
        delay = UniformDelay(c.delay_min, c.delay_max)
        if c.credit == "window":
            return StepHistory(delay)
        return StepHistory(delay, trace=TraceRule(c.window, c.trace_lambda, c.delay_seconds))

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
    def _payload(self, step: Step) -> dict[str, Any]:
        """A copy of the observation, the action and π_old(a|s), the probability it was
        acted with."""
        if self._cached is not None and self._cached[0] is step.obs:
            p = self._cached[1]
        else:
            p = self.action_preferences(step.obs)
        a = int(step.action)
        return {"obs": np.array(step.obs, copy=True), "action": a, "p_old": float(p[a])}

    def _learn(self, feedback: Scalar, credit: Credit) -> None:
        """Queue the rated window with its rating (cheap: storing it and the minibatch update
        run in :meth:`update` or in the worker thread)."""
        if not credit:
            return
        window = _Window(
            obs=credit.stack("obs"),
            actions=credit.stack("action").astype(np.int64),
            p_old=credit.stack("p_old").astype(np.float32),
            weights=credit.weights.astype(np.float32),
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
    def _save_state(self, directory: Path) -> None:
        """``policy.pt``, ``optim.pt`` and the windows buffer ``windows.npz``."""
        super()._save_state(directory)
        np.savez_compressed(directory / WINDOWS_FILE, **windows_state(list(self.buffer)))

    def _load_state(self, directory: Path, meta: dict[str, Any]) -> None:
        super()._load_state(directory, meta)
        if (directory / WINDOWS_FILE).exists():
            with np.load(directory / WINDOWS_FILE, allow_pickle=False) as z:
                self.buffer.extend(windows_from_state({k: z[k] for k in z.files}))


def windows_state(windows: list[_Window]) -> dict[str, np.ndarray]:
    """Stored windows as flat arrays (their steps concatenated, with each window's length)."""
    if not windows:
        return {"lengths": np.zeros(0, dtype=np.int64)}
    return {
        "lengths": np.asarray([len(w.actions) for w in windows], dtype=np.int64),
        "values": np.asarray([w.value for w in windows], dtype=np.float64),
        "obs": np.concatenate([w.obs for w in windows]),
        "actions": np.concatenate([w.actions for w in windows]),
        "p_old": np.concatenate([w.p_old for w in windows]),
        "weights": np.concatenate([w.weights for w in windows]),
    }


def windows_from_state(state: dict[str, np.ndarray]) -> list[_Window]:
    """Inverse of :func:`windows_state`."""
    out = []
    start = 0
    for i, n in enumerate(state["lengths"].tolist()):
        sl = slice(start, start + n)
        out.append(
            _Window(
                obs=state["obs"][sl].copy(),
                actions=state["actions"][sl].copy(),
                p_old=state["p_old"][sl].copy(),
                weights=state["weights"][sl].copy(),
                value=float(state["values"][i]),
            )
        )
        start += n
    return out
