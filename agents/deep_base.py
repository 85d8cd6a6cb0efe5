"""What Deep TAMER and Deep COACH share: spaces, device, network, pretraining, worker.

:class:`DeepAgentBase` checks the spaces, seeds the agent, builds its :class:`ObsNet`
and Adam optimiser on the chosen device, optionally pretrains the CNN encoder as an
autoencoder (frozen afterwards when the config says so), and runs the agent's update jobs
through an :class:`UpdateWorker`. A subclass adds its own state, trains one job in
``_train_job`` and picks the network's save file names.
"""

from __future__ import annotations

import dataclasses
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from hfrl.agents.background import UpdateWorker, check_worker_mode
from hfrl.agents.common import check_vector_or_frames
from hfrl.agents.deep_nets import ObsNet, pretrain_encoder, random_frames
from hfrl.agents.features import obs_bounds
from hfrl.agents.live_base import LiveAgent
from torch import nn

from hfrl.errors import HfrlError


class DeepAgentBase(LiveAgent):
    """Base of the deep live agents (see the module docstring).

    Args:
        env_id: environment id.
        observation_space: Box of vector states or of uint8 frame stacks (C, H, W).
        action_space: Discrete.
        config: the subclass's config; it has ``hidden``, ``lr``, ``device``,
            ``autoencoder_frames``, ``autoencoder_epochs``, ``freeze_encoder``, ``worker``
            and ``frame_seconds`` (and optionally ``dueling``, see :class:`ObsNet`, and
            ``normalize_frames``, see :meth:`fit_frame_input`).
        seed: seed of the agent's generator and of torch's initialisation.
        slow_limit: ``worker="auto"`` moves to the thread after this many slow updates.
        optional: update jobs the thread may skip when behind (see :class:`UpdateWorker`).
        max_optional: at most this many optional jobs per wake-up of the thread.
    """

    name: ClassVar[str]
    config_class: ClassVar[type]
    net_file: ClassVar[str]
    """File of the network's weights."""
    optim_file: ClassVar[str]
    """File of the optimiser's state."""
    slow_limit: ClassVar[int] = 1
    """``worker="auto"`` moves to the thread after this many slow updates."""

    def _setup(self) -> None:
        """The network, its optimiser (and pretraining), the update worker, then
        :meth:`_init_state` (called by :class:`LiveAgent`'s constructor)."""
        from hfrl.seeding import resolve_device

        env_id, observation_space, seed = self.env_id, self.observation_space, self.seed
        c = self.config
        check_worker_mode(c.worker, self.name)
        self.obs_shape = check_vector_or_frames(env_id, observation_space, self.name)
        self.image = len(self.obs_shape) == 3
        self.low: np.ndarray | None = None
        self.high: np.ndarray | None = None
        if not self.image:
            self.low, self.high = obs_bounds(env_id, observation_space)
        self.device = torch.device(resolve_device(c.device))
        torch.manual_seed(seed)
        self.net = ObsNet(
            self.obs_shape,
            self.n_actions,
            c.hidden,
            self.low,
            self.high,
            dueling=bool(getattr(c, "dueling", False)),
        )
        self.net.to(self.device)
        self.pretrained = False
        self.optim = torch.optim.Adam(self._trainable(), lr=c.lr)
        self._last_loss = float("nan")
        norm_frames = int(getattr(c, "normalize_frames", 0))
        if norm_frames > 0 and self.image:
            self.fit_frame_input(norm_frames)
        if c.autoencoder_frames > 0 and self.image:
            self.pretrain_autoencoder(c.autoencoder_frames, c.autoencoder_epochs)
        self.worker = UpdateWorker(
            self.net,
            self._train_job,
            c.worker,
            c.frame_seconds,
            self.name,
            slow_limit=self.slow_limit,
            optional=self._optional_job,
            max_optional=getattr(c, "max_replay_backlog", None),
        )
        self._init_state()

    def _init_state(self) -> None:
        """The subclass's own state (buffers), made after the network and the worker."""

    def _optional_job(self, job: Any) -> bool:
        """Whether the worker thread may skip ``job`` when it falls behind (none by default)."""
        return False

    @abstractmethod
    def _train_job(self, job: Any) -> None:
        """Run one queued update (called with the worker's lock held)."""

    # ------------------------------------------------------------------ model
    def _trainable(self) -> list[nn.Parameter]:
        if self.pretrained and self.config.freeze_encoder and self.net.encoder is not None:
            return list(self.net.head.parameters())
        return list(self.net.parameters())

    def _tensor(self, obs: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(obs), device=self.device)

    def _outputs(self, obs: np.ndarray) -> torch.Tensor:
        """The acting network's outputs for one observation, shape (n_actions,)."""
        with self.worker.acting() as net, torch.no_grad():
            return net(self._tensor(obs)[None])[0].float()

    def _sgd_step(self, loss: torch.Tensor) -> None:
        """One optimiser step on ``loss``; counts the update and keeps the loss."""
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        self.updates += 1
        self._last_loss = float(loss.detach())

    def fit_frame_input(self, frames: int) -> None:
        """Standardise the CNN's input by ``frames`` random-policy frame stacks
        (:meth:`FrameEncoder.fit_input`)."""
        if self.net.encoder is None:
            raise HfrlError("frame input normalisation needs image observations")
        data = random_frames(self.env_id, frames, self.seed + 11, self.rng, self.n_actions)
        self.net.encoder.fit_input(data)

    def pretrain_autoencoder(self, frames: int, epochs: int = 3, batch: int = 32) -> float:
        """Pretrain the CNN encoder to reconstruct random-policy frame stacks; final MSE."""
        if self.net.encoder is None:
            raise HfrlError("autoencoder pretraining needs image observations")
        data = random_frames(self.env_id, frames, self.seed + 7, self.rng, self.n_actions)
        loss = pretrain_encoder(self.net.encoder, data, epochs, batch, self.rng, self.device)
        self.pretrained = True
        self.optim = torch.optim.Adam(self._trainable(), lr=self.config.lr)
        return loss

    # ------------------------------------------------------------------ worker
    @property
    def act_net(self) -> nn.Module:
        """The network acting reads (a snapshot of ``net`` while updates are threaded)."""
        return self.worker.act_net

    @property
    def threaded(self) -> bool:
        """Updates run in the background thread."""
        return self.worker.threaded

    @property
    def pending(self) -> int:
        """Queued updates not yet run."""
        return self.worker.pending

    @property
    def updates_done(self) -> bool:
        """Every queued update has run and reached the acting network (nothing pending)."""
        return self.worker.idle

    @property
    def slow_updates(self) -> int:
        """Inline updates that took longer than a display frame (``worker="auto"``)."""
        return self.worker.slow_updates

    def wait_for_updates(self) -> None:
        """Run (inline) or wait for (worker) every queued update."""
        self.worker.wait()

    def close(self) -> None:
        """Finish queued updates and stop the worker thread."""
        self.worker.close()

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path) -> None:
        """The live-agent save (:meth:`LiveAgent.save`), once queued updates are done."""
        self.wait_for_updates()
        with self.worker.lock:
            super().save(directory)

    def _meta(self) -> dict[str, Any]:
        return {"pretrained": self.pretrained}

    def _save_state(self, directory: Path) -> None:
        """Weights-only files of the network and the optimiser (worker lock held)."""
        torch.save(self.net.state_dict(), directory / self.net_file)
        torch.save(self.optim.state_dict(), directory / self.optim_file)

    @classmethod
    def _build_from_meta(cls, meta: dict[str, Any], config: Any, **options: Any) -> Any:
        """A fresh agent for a save (no pretraining or input fitting: the saved weights hold
        them); ``device=`` overrides the saved device."""
        skip: dict[str, Any] = {"autoencoder_frames": 0}
        if hasattr(config, "normalize_frames"):
            skip["normalize_frames"] = 0
        if options.get("device") is not None:
            skip["device"] = options["device"]
        return super()._build_from_meta(meta, dataclasses.replace(config, **skip))

    def _load_state(self, directory: Path, meta: dict[str, Any]) -> None:
        """Restore what :meth:`_save_state` wrote (the optimiser over the trainable part)."""
        self.pretrained = bool(meta.get("pretrained", False))
        self.net.load_state_dict(
            torch.load(directory / self.net_file, weights_only=True, map_location=self.device)
        )
        self.optim = torch.optim.Adam(self._trainable(), lr=self.config.lr)
        self.optim.load_state_dict(
            torch.load(directory / self.optim_file, weights_only=True, map_location=self.device)
        )
        self.worker.publish()

    @classmethod
    def load(cls, directory: str | Path, device: str | None = None) -> Any:  # type: ignore[override]
        """Rebuild a saved agent on ``device`` (the saved one by default); it continues."""
        return super().load(directory, device=device)
