"""Reward networks: one-member modules and their K-member batched (fused) forms.

A reward network maps ``(obs, action features)`` to a scalar, where the action features are
the one-hot (discrete) or raw (continuous) action followed by the absorbing bit.

The single-member modules (:class:`RewardMLP`, :class:`RewardCNN`) are the reference
architecture. The ensemble modules (:class:`EnsembleMLP`, :class:`EnsembleCNN`) hold K
members' weights stacked and evaluate them all in one batched call: stacked ``(K, in, out)``
matrices with ``torch.baddbmm`` for dense layers, and for the CNN a first convolution with
``K*32`` output channels (the shared input is unfolded once) followed by grouped
convolutions (``groups=K``). There is no Python loop over members in either forward pass.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

NATURE_CONVS: tuple[tuple[int, int, int], ...] = ((32, 8, 4), (64, 4, 2), (64, 3, 1))
"""Nature-CNN convolutions as (out_channels, kernel, stride) (Mnih et al. 2015)."""


def conv_out_size(size: int) -> int:
    """Spatial size after the Nature-CNN convolutions for a square input of ``size``."""
    for _, kernel, stride in NATURE_CONVS:
        size = (size - kernel) // stride + 1
    if size < 1:
        raise ValueError("image observations are too small for the Nature-CNN (need >= 36 px)")
    return size


def to_conv_input(frames: torch.Tensor) -> torch.Tensor:
    """Frames scaled to [0, 1] in channels-last memory layout.

    On the CPU, oneDNN convolutions run several times faster on channels-last tensors (the
    4-channel first layer most of all); the values and the (N, C, H, W) shape are unchanged.
    """
    return (frames.float() / 255.0).contiguous(memory_format=torch.channels_last)


class RewardMLP(nn.Module):
    """One reward member for vector observations: an MLP over [obs, action features]."""

    def __init__(self, in_dim: int, hidden: Sequence[int] = (64, 64), slope: float = 0.01):
        super().__init__()
        sizes = [in_dim, *hidden, 1]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rewards (N,) for inputs (N, in_dim)."""
        for layer in self.layers[:-1]:
            x = F.leaky_relu(layer(x), self.slope)
        return self.layers[-1](x).squeeze(-1)


class RewardCNN(nn.Module):
    """One reward member for image observations: Nature-CNN trunk, then an MLP head.

    The action features (one-hot or raw action, absorbing bit) join the flattened conv
    features before the hidden dense layer. Frames are uint8 (C, H, W), scaled by 1/255.
    """

    def __init__(
        self,
        in_channels: int,
        image_size: int,
        extra_dim: int,
        hidden: int = 512,
        slope: float = 0.01,
    ):
        super().__init__()
        convs, c = [], in_channels
        for out, kernel, stride in NATURE_CONVS:
            convs.append(nn.Conv2d(c, out, kernel, stride))
            c = out
        self.convs = nn.ModuleList(convs)
        flat = c * conv_out_size(image_size) ** 2
        self.fc = nn.Linear(flat + extra_dim, hidden)
        self.out = nn.Linear(hidden, 1)
        self.slope = slope
        self.image_size = image_size
        self.extra_dim = extra_dim

    def forward(self, frames: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        """Rewards (N,) for frames (N, C, H, W) uint8/float and extra features (N, E)."""
        x = to_conv_input(frames)
        for conv in self.convs:
            x = F.leaky_relu(conv(x), self.slope)
        x = torch.cat([x.flatten(1), extra], dim=1)
        x = F.leaky_relu(self.fc(x), self.slope)
        return self.out(x).squeeze(-1)


def _stack(tensors: list[torch.Tensor]) -> nn.Parameter:
    return nn.Parameter(torch.stack([t.detach().clone() for t in tensors]))


class EnsembleMLP(nn.Module):
    """K :class:`RewardMLP` members with stacked weights, evaluated in one batched call.

    ``weights[i]`` has shape (K, in, out) and ``biases[i]`` (K, 1, out); hidden layers are
    one ``baddbmm`` each, the width-1 output layer one multiply-and-sum.
    """

    def __init__(self, members: Sequence[RewardMLP]):
        super().__init__()
        self.n_members = len(members)
        self.slope = members[0].slope
        n_layers = len(members[0].layers)
        self.weights = nn.ParameterList(
            _stack([m.layers[i].weight.t() for m in members]) for i in range(n_layers)
        )
        self.biases = nn.ParameterList(
            _stack([m.layers[i].bias.unsqueeze(0) for m in members]) for i in range(n_layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rewards (K, N) for a shared input (N, in) or per-member inputs (K, N, in)."""
        if x.dim() == 2:  # shared input: a stride-0 view, no copy
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        h = x
        last = len(self.weights) - 1
        # Indexed, not sliced: slicing a ParameterList builds a new module (~0.1 ms a call).
        for i in range(last):
            # In place: baddbmm's backward does not need its output, leaky_relu's uses it.
            h = F.leaky_relu(torch.baddbmm(self.biases[i], h, self.weights[i]), self.slope, True)
        # The last layer has one output: a multiply-and-sum beats a width-1 batched matmul.
        w, b = self.weights[last], self.biases[last]
        return (h * w.transpose(1, 2)).sum(dim=2) + b[:, :, 0]

    def weight_sq_norms(self) -> torch.Tensor:
        """Sum of squared weights (biases excluded) of each member, shape (K,)."""
        return sum(w.pow(2).sum(dim=(1, 2)) for w in self.weights)

    def member(self, k: int) -> RewardMLP:
        """A plain :class:`RewardMLP` holding a copy of member ``k``'s weights."""
        sizes = [self.weights[0].shape[1]] + [w.shape[2] for w in self.weights]
        m = RewardMLP(sizes[0], sizes[1:-1], self.slope)
        with torch.no_grad():
            for layer, w, b in zip(m.layers, self.weights, self.biases, strict=True):
                layer.weight.copy_(w[k].t())
                layer.bias.copy_(b[k, 0])
        return m.to(self.weights[0].device)


class EnsembleCNN(nn.Module):
    """K :class:`RewardCNN` members fused into one network.

    The first convolution has K*32 output channels over the shared frames, so the frames
    are scaled and unfolded once for all members; the next convolutions are grouped
    (``groups=K``); the dense head uses stacked (K, in, out) weights with ``baddbmm``.
    """

    def __init__(self, members: Sequence[RewardCNN]):
        super().__init__()
        self.n_members = len(members)
        self.slope = members[0].slope
        self.conv_w = nn.ParameterList(
            nn.Parameter(torch.cat([m.convs[i].weight.detach().clone() for m in members]))
            for i in range(len(NATURE_CONVS))
        )
        self.conv_b = nn.ParameterList(
            nn.Parameter(torch.cat([m.convs[i].bias.detach().clone() for m in members]))
            for i in range(len(NATURE_CONVS))
        )
        self.strides = [stride for _, _, stride in NATURE_CONVS]
        self.fc_w = _stack([m.fc.weight.t() for m in members])  # (K, F+E, H)
        self.fc_b = _stack([m.fc.bias.unsqueeze(0) for m in members])  # (K, 1, H)
        self.out_w = _stack([m.out.weight.t() for m in members])  # (K, H, 1)
        self.out_b = _stack([m.out.bias.unsqueeze(0) for m in members])  # (K, 1, 1)
        self.image_size = members[0].image_size
        self.extra_dim = members[0].extra_dim
        self.hidden = members[0].fc.out_features
        if any(m.fc.weight.shape != members[0].fc.weight.shape for m in members):
            raise ValueError("all ensemble members must share one architecture")

    def forward(self, frames: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
        """Rewards (K, N) for shared frames (N, C, H, W) and extra features (N, E)."""
        k, n = self.n_members, frames.shape[0]
        x = to_conv_input(frames)
        for i, (w, b, s) in enumerate(zip(self.conv_w, self.conv_b, self.strides, strict=True)):
            x = F.leaky_relu(F.conv2d(x, w, b, stride=s, groups=1 if i == 0 else k), self.slope)
        x = x.reshape(n, k, -1).transpose(0, 1)  # (K, N, F): member k's channels are a block
        x = torch.cat([x, extra.unsqueeze(0).expand(k, -1, -1)], dim=2)
        h = F.leaky_relu(torch.baddbmm(self.fc_b, x, self.fc_w), self.slope)
        return torch.baddbmm(self.out_b, h, self.out_w).squeeze(-1)

    def weight_sq_norms(self) -> torch.Tensor:
        """Sum of squared weights (biases excluded) of each member, shape (K,)."""
        k = self.n_members
        total = self.fc_w.pow(2).sum(dim=(1, 2)) + self.out_w.pow(2).sum(dim=(1, 2))
        for w in self.conv_w:
            total = total + w.pow(2).view(k, -1).sum(dim=1)
        return total

    def member(self, k: int) -> RewardCNN:
        """A plain :class:`RewardCNN` holding a copy of member ``k``'s weights."""
        per = [w.shape[0] // self.n_members for w in self.conv_w]
        in_channels = self.conv_w[0].shape[1]
        m = RewardCNN(in_channels, self.image_size, self.extra_dim, self.hidden, self.slope)
        with torch.no_grad():
            for conv, w, b, p in zip(m.convs, self.conv_w, self.conv_b, per, strict=True):
                conv.weight.copy_(w[k * p : (k + 1) * p])
                conv.bias.copy_(b[k * p : (k + 1) * p])
            m.fc.weight.copy_(self.fc_w[k].t())
            m.fc.bias.copy_(self.fc_b[k, 0])
            m.out.weight.copy_(self.out_w[k].t())
            m.out.bias.copy_(self.out_b[k, 0])
        return m.to(self.fc_w.device)
