"""What a reward model reads: observation and action layout taken from Gymnasium spaces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hfrl.errors import HfrlError


@dataclass(frozen=True)
class InputSpec:
    """The observation and action layout a reward ensemble is built for (JSON-friendly)."""

    obs_shape: tuple[int, ...]
    """Shape of one observation as the environment gives it."""
    image: bool = False
    """Observations are uint8 frames read by the Nature-CNN (else: a vector for the MLP)."""
    channels_last: bool = False
    """Image observations come as (H, W, C) and are transposed to (C, H, W)."""
    n_actions: int | None = None
    """Number of discrete actions (one-hot encoded), or None for a continuous action."""
    action_shape: tuple[int, ...] = ()
    """Shape of a continuous action (fed raw); () for discrete actions."""

    @classmethod
    def from_spaces(cls, observation_space: Any, action_space: Any) -> InputSpec:
        """Build the spec from Gymnasium spaces (Box observations; Discrete or Box actions)."""
        from gymnasium import spaces

        if not isinstance(observation_space, spaces.Box):
            raise HfrlError(
                f"reward models need a Box observation space, got {observation_space}; "
                "flatten dict/tuple observations with gymnasium.wrappers.FlattenObservation."
            )
        shape = tuple(int(s) for s in observation_space.shape)
        image = len(shape) == 3 and observation_space.dtype == np.uint8
        channels_last = image and shape[-1] < shape[0]
        if isinstance(action_space, spaces.Discrete):
            return cls(shape, image, channels_last, int(action_space.n), ())
        if isinstance(action_space, spaces.Box):
            act_shape = tuple(int(s) for s in action_space.shape)
            return cls(shape, image, channels_last, None, act_shape)
        raise HfrlError(f"reward models support Discrete or Box action spaces, got {action_space}.")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InputSpec:
        """Rebuild a spec saved with ``dataclasses.asdict`` / JSON."""
        return cls(
            obs_shape=tuple(data["obs_shape"]),
            image=bool(data["image"]),
            channels_last=bool(data["channels_last"]),
            n_actions=data["n_actions"],
            action_shape=tuple(data["action_shape"]),
        )

    @property
    def discrete(self) -> bool:
        """Actions are discrete (one-hot encoded)."""
        return self.n_actions is not None

    @property
    def action_dim(self) -> int:
        """Width of the action features (one-hot size or flattened continuous action)."""
        if self.n_actions is not None:
            return self.n_actions
        return int(np.prod(self.action_shape, dtype=np.int64))

    @property
    def obs_dim(self) -> int:
        """Width of a flattened vector observation."""
        return int(np.prod(self.obs_shape, dtype=np.int64))

    @property
    def frame_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of image observations as the CNN reads them."""
        if self.channels_last:
            h, w, c = self.obs_shape
            return (c, h, w)
        c, h, w = self.obs_shape
        return (c, h, w)
