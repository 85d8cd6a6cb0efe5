"""Atari preprocessing for the learner, done in numpy (no OpenCV needed).

The standard pipeline (Mnih et al. 2015; Machado et al. 2018 for v5): no-op reset, frame
skip 4 with a max-pool over the last two frames, grey 84×84 by area averaging. Stack 4 of
these with ``gymnasium.wrappers.FrameStackObservation`` to get (4, 84, 84) uint8. The base
env keeps ``render_mode="rgb_array"``, so ``env.render()`` still returns the full-colour
210×160 screen for a person to watch.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.spaces import Box


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """Matrix (n_out, n_in) averaging input cells over each output cell's span (INTER_AREA)."""
    scale = n_in / n_out
    weights = np.zeros((n_out, n_in), dtype=np.float32)
    for i in range(n_out):
        lo, hi = i * scale, (i + 1) * scale
        for j in range(int(np.floor(lo)), min(int(np.ceil(hi)), n_in)):
            overlap = min(hi, j + 1) - max(lo, j)
            if overlap > 0:
                weights[i, j] = overlap / scale
    return weights


def area_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """``area_weights`` as (indices, weights), each (n_out, taps): the non-zero cells per row.

    Resizing with gathered taps avoids BLAS, whose threads stall on a busy machine.
    """
    weights = area_weights(n_in, n_out)
    taps = int((weights > 0).sum(axis=1).max())
    idx = np.zeros((n_out, taps), dtype=np.intp)
    w = np.zeros((n_out, taps), dtype=np.float32)
    for i in range(n_out):
        cols = np.flatnonzero(weights[i])
        idx[i, : len(cols)] = cols
        w[i, : len(cols)] = weights[i, cols]
    return idx, w


def area_resize(image: np.ndarray, rows: tuple, cols: tuple) -> np.ndarray:
    """Resize a 2-D image with precomputed ``area_taps`` for rows and columns; uint8 out."""
    row_idx, row_w = rows
    col_idx, col_w = cols
    tall = (image[row_idx].astype(np.float32) * row_w[:, :, None]).sum(axis=1)
    small = (tall[:, col_idx] * col_w[None, :, :]).sum(axis=2)
    return np.clip(np.rint(small), 0, 255).astype(np.uint8)


class AtariPreprocess(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """No-op reset, frame skip with max-pool, grey resize; obs (size, size) uint8.

    The base env must have ``frameskip=1``. Rewards over the skipped frames are summed,
    never clipped (evaluation wants the real score).
    """

    def __init__(
        self, env: gym.Env, *, noop_max: int = 30, frame_skip: int = 4, size: int = 84
    ) -> None:
        """Wrap an ALE env built with ``frameskip=1``.

        Args:
            env: The base ALE env.
            noop_max: At most this many no-op actions after each reset (random count).
            frame_skip: Frames per agent step.
            size: Side of the square grey observation.
        """
        gym.utils.RecordConstructorArgs.__init__(
            self, noop_max=noop_max, frame_skip=frame_skip, size=size
        )
        super().__init__(env)
        if getattr(env.unwrapped, "_frameskip", 1) != 1:
            raise ValueError("AtariPreprocess needs a base env made with frameskip=1")
        self.noop_max = noop_max
        self.frame_skip = frame_skip
        height, width = env.unwrapped.ale.getScreenDims()
        self._rows = area_taps(height, size)
        self._cols = area_taps(width, size)
        self._buf = np.zeros((2, height, width), dtype=np.uint8)
        self.observation_space = Box(0, 255, (size, size), dtype=np.uint8)

    @property
    def ale(self) -> Any:
        """The emulator interface."""
        return self.env.unwrapped.ale

    def _obs(self) -> np.ndarray:
        return area_resize(np.maximum(self._buf[0], self._buf[1]), self._rows, self._cols)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Reset, then take a random number (0..noop_max) of no-op actions."""
        _, info = self.env.reset(seed=seed, options=options)
        noops = int(self.env.unwrapped.np_random.integers(0, self.noop_max + 1))
        for _ in range(noops):
            _, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:
                _, info = self.env.reset()
        self.ale.getScreenGrayscale(self._buf[0])
        self._buf[1].fill(0)
        return self._obs(), info

    def step(self, action):
        """Repeat ``action`` for ``frame_skip`` frames; max-pool the last two screens."""
        total = 0.0
        terminated = truncated = False
        info: dict = {}
        for t in range(self.frame_skip):
            _, reward, terminated, truncated, info = self.env.step(action)
            total += float(reward)
            if terminated or truncated:
                break
            if t == self.frame_skip - 2:
                self.ale.getScreenGrayscale(self._buf[1])
            elif t == self.frame_skip - 1:
                self.ale.getScreenGrayscale(self._buf[0])
        if terminated or truncated:
            self.ale.getScreenGrayscale(self._buf[0])
        return self._obs(), total, terminated, truncated, info
