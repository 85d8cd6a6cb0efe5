"""Networks of the deep live agents (Deep TAMER's Ĥ, Deep COACH's policy).

Both read an observation through :class:`ObsNet`: an MLP over vector states scaled to
[-1, 1] by their feature ranges, or a Nature-CNN :class:`FrameEncoder` of uint8 frame
stacks (C, 84, 84) followed by an MLP head. The encoder can be pretrained as an
autoencoder (with a :class:`FrameDecoder`) on random-policy frames, as both papers do.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers of ``sizes`` with ReLUs between them (none after the last)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class FrameEncoder(nn.Module):
    """Nature-CNN encoder of uint8 frame stacks (C, 84, 84).

    Its input is ``(x - mean) / scale``: by default ``mean = 0`` and ``scale = 255``;
    :meth:`fit_input` sets ``mean`` to the per-pixel mean of sample frames and ``scale``
    to the RMS of their deviations from it, so the static screen reads as 0 and what moves
    (a ball, a player) stands out at unit scale instead of a few hundredths of the
    [0, 1] range. Both are buffers, saved with the weights.
    """

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(channels, size, size))
        self.register_buffer("scale", torch.tensor(255.0))
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

    def fit_input(self, frames: np.ndarray) -> None:
        """Standardise the input by the per-pixel mean of ``frames`` (N, C, H, W) and the
        RMS of their deviations from it (floored at 1 grey level)."""
        data = torch.as_tensor(np.asarray(frames), dtype=torch.float32)
        mean = data.mean(dim=0)
        rms = float(((data - mean) ** 2).mean().sqrt())
        self.mean.copy_(mean.to(self.mean.device))
        self.scale.fill_(max(rms, 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs((x.float() - self.mean) / self.scale).flatten(1)


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


class ObsNet(nn.Module):
    """One output per action: an MLP over scaled vector states, or a CNN encoder plus an
    MLP head for frame stacks.

    Args:
        obs_shape: (D,) for vector states, (C, H, W) for frame stacks.
        n_actions: outputs.
        hidden: hidden layer sizes of the MLP (the head, after an encoder).
        low: lower ends of the vector feature ranges (None for frames).
        high: upper ends of the vector feature ranges (None for frames).
        dueling: split the last layer into a state value ``V(s)`` and mean-centred action
            offsets: ``out(s, a) = V(s) + A(s, a) - mean_b A(s, b)``. Training one action's
            output then moves the others the opposite way (by ``1/n`` of the step), instead
            of dragging them along through the shared layers.
    """

    def __init__(
        self,
        obs_shape: tuple[int, ...],
        n_actions: int,
        hidden: tuple[int, ...],
        low: np.ndarray | None,
        high: np.ndarray | None,
        dueling: bool = False,
    ) -> None:
        super().__init__()
        self.dueling = dueling
        self.image = len(obs_shape) == 3
        if self.image:
            self.encoder: FrameEncoder | None = FrameEncoder(obs_shape[0], obs_shape[1])
            in_dim = self.encoder.out_dim
        else:
            self.encoder = None
            in_dim = int(np.prod(obs_shape))
            assert low is not None and high is not None
            self.register_buffer("low", torch.as_tensor(low, dtype=torch.float32))
            self.register_buffer("span", torch.as_tensor(high - low, dtype=torch.float32))
        self.head = mlp([in_dim, *hidden, n_actions + (1 if dueling else 0)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.encoder is not None:
            out = self.head(self.encoder(x))
        else:
            out = self.head(2.0 * (x.float().flatten(1) - self.low) / self.span - 1.0)
        if not self.dueling:
            return out
        value, offsets = out[:, :1], out[:, 1:]
        return value + offsets - offsets.mean(dim=1, keepdim=True)


def random_frames(
    env_id: str, frames: int, seed: int, rng: np.random.Generator, n_actions: int
) -> np.ndarray:
    """``frames`` observations of a uniformly random policy (env seeded with ``seed``)."""
    from hfrl.envs.make import make

    env = make(env_id, seed=seed, render_mode=None)
    obs, _ = env.reset()
    data = np.zeros((frames, *np.shape(obs)), dtype=np.uint8)
    for i in range(frames):
        data[i] = obs
        obs, _, term, trunc, _ = env.step(int(rng.integers(n_actions)))
        if term or trunc:
            obs, _ = env.reset()
    env.close()
    return data


def pretrain_encoder(
    encoder: FrameEncoder,
    data: np.ndarray,
    epochs: int,
    batch: int,
    rng: np.random.Generator,
    device: torch.device,
) -> float:
    """Train ``encoder`` with a :class:`FrameDecoder` to reconstruct ``data``; final MSE."""
    decoder = FrameDecoder(data.shape[1], encoder.out_shape).to(device)
    opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
    loss_v = float("nan")
    n = len(data)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(n), max(1, n // batch)):
            x = torch.as_tensor(data[idx], device=device)
            loss = ((decoder(encoder(x)) - x.float() / 255.0) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_v = float(loss.detach())
    return loss_v
