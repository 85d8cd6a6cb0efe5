"""Small builders shared by the feedback-store tests."""

from __future__ import annotations

import numpy as np

from hfrl.types import Segment


def make_segment(
    rng: np.random.Generator,
    length: int = 6,
    frames: bool = False,
    continuous: bool = False,
    terminated: bool = False,
) -> Segment:
    """A random segment with odd dtypes, so a lossy round trip would show."""
    actions = (
        rng.normal(size=(length, 2)).astype(np.float32)
        if continuous
        else rng.integers(0, 3, size=length, dtype=np.int16)
    )
    return Segment(
        obs=rng.normal(size=(length, 4)).astype(np.float32),
        actions=actions,
        true_rewards=rng.normal(size=length),
        env_id="Pendulum-v1" if continuous else "CartPole-v1",
        episode=int(rng.integers(0, 100)),
        start_step=int(rng.integers(0, 500)),
        terminated=terminated,
        frames=rng.integers(0, 256, size=(length, 12, 10, 3), dtype=np.uint8) if frames else None,
    )


def assert_segments_equal(a: Segment, b: Segment) -> None:
    """Equal values, dtypes, shapes and flags."""
    for name in ("obs", "actions", "true_rewards", "frames"):
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        assert x.dtype == y.dtype, name
        assert x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    for name in ("env_id", "episode", "start_step", "terminated", "uid"):
        assert getattr(a, name) == getattr(b, name), name
