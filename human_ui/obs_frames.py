"""Drawing a clip from its observations in the app, so the learner renders nothing.

Rendering a frame costs about 200 times an env step on CartPole, so a learner that renders
the clips a person might see spends most of its time drawing pictures nobody looks at.
For envs whose picture is a function of the observation (the classic-control tasks: the
observation is the physical state, or its sines and cosines), the compare app instead
draws the frames of the pairs it is about to show, from the clips' observations, on its
own env (:class:`ClipPainter`), a pair ahead, in the frames' spare time. The learner then
steps without rendering. Envs not listed in :data:`STATE_OF` keep their frames from the
learner's rendered sub-env.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from hfrl.types import Segment


def _as_state(obs: np.ndarray) -> np.ndarray:
    return np.asarray(obs, dtype=np.float64)


def _angles_state(obs: np.ndarray) -> np.ndarray:
    """Acrobot: (cos θ1, sin θ1, cos θ2, sin θ2, θ1', θ2') -> (θ1, θ2, θ1', θ2')."""
    o = np.asarray(obs, dtype=np.float64)
    return np.array([np.arctan2(o[1], o[0]), np.arctan2(o[3], o[2]), o[4], o[5]])


def _pendulum_state(obs: np.ndarray) -> np.ndarray:
    """Pendulum: (cos θ, sin θ, θ') -> (θ, θ')."""
    o = np.asarray(obs, dtype=np.float64)
    return np.array([np.arctan2(o[1], o[0]), o[2]])


STATE_OF: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "CartPole-v0": _as_state,
    "CartPole-v1": _as_state,
    "MountainCar-v0": _as_state,
    "MountainCarContinuous-v0": _as_state,
    "Acrobot-v1": _angles_state,
    "Pendulum-v1": _pendulum_state,
}
"""Env id -> the env's ``state`` from one observation (its render reads only that state;
Pendulum also draws the last action, which the painter sets)."""


def can_draw(env_id: str) -> bool:
    """Whether the app can draw ``env_id``'s clips from their observations."""
    return env_id in STATE_OF


class ObsFrames:
    """Renders one observation of ``env_id`` as its env would show it.

    Args:
        env: an env of ``env_id`` made with ``render_mode="rgb_array"``, used for drawing
            only (its ``state`` is overwritten).
        env_id: one of :data:`STATE_OF`.
    """

    def __init__(self, env: Any, env_id: str) -> None:
        self.env = env
        self.base = env.unwrapped
        self.state_of = STATE_OF[env_id]
        env.reset(seed=0)  # the renderers need a reset env

    def frame(self, obs: np.ndarray, last_action: Any = None) -> np.ndarray:
        """The RGB frame (H, W, 3) uint8 of the state ``obs`` shows."""
        self.base.state = self.state_of(obs)
        if hasattr(self.base, "last_u"):  # Pendulum draws the torque just applied
            self.base.last_u = None if last_action is None else float(np.ravel(last_action)[0])
        return np.asarray(self.env.render(), dtype=np.uint8)

    def clip(self, seg: Segment) -> Segment:
        """``seg`` with its frames drawn (the same clip: uid and data unchanged)."""
        frames = [
            self.frame(o, None if t == 0 else seg.actions[t - 1]) for t, o in enumerate(seg.obs)
        ]
        return dataclasses.replace(seg, frames=np.stack(frames))


class ClipPainter:
    """Draws the frames of queued pairs a few frames' spare time at a time.

    :meth:`start` takes a query (left and right clips without frames); :meth:`work`
    renders its frames within a time budget and returns the queries now complete (same
    id, clips with frames). :meth:`finish` completes one at once.
    """

    def __init__(self, frames: ObsFrames) -> None:
        self.frames = frames
        self._jobs: deque[tuple[Any, list[np.ndarray], list[np.ndarray]]] = deque()

    def __len__(self) -> int:
        """Queries being painted."""
        return len(self._jobs)

    def start(self, query: Any) -> None:
        """Paint ``query`` next (after those started before)."""
        self._jobs.append((query, [], []))

    def queries(self) -> list[Any]:
        """The queries being painted (to give them back to the queue on close)."""
        return [job[0] for job in self._jobs]

    def clear(self) -> None:
        """Forget every query being painted."""
        self._jobs.clear()

    def _step(self) -> Any:
        """Draw one frame of the first job; return its query once both clips are drawn."""
        query, left, right = self._jobs[0]
        for seg, done in ((query.left, left), (query.right, right)):
            t = len(done)
            if t < len(seg):
                done.append(self.frames.frame(seg.obs[t], None if t == 0 else seg.actions[t - 1]))
                return None
        self._jobs.popleft()
        return dataclasses.replace(
            query,
            left=dataclasses.replace(query.left, frames=np.stack(left)),
            right=dataclasses.replace(query.right, frames=np.stack(right)),
        )

    def work(self, seconds: float) -> list[Any]:
        """Draw frames for about ``seconds``; the queries completed meanwhile."""
        end = time.perf_counter() + seconds
        out = []
        while self._jobs and time.perf_counter() < end:
            done = self._step()
            if done is not None:
                out.append(done)
        return out

    def finish(self) -> Any:
        """Complete the first query now (a person is waiting); None if there is none."""
        while self._jobs:
            done = self._step()
            if done is not None:
                return done
        return None
