"""Cutting clips out of a learner's rollouts, and the pool of recent clips to query from.

:class:`SegmentRecorder` is an SB3 ``VecEnvWrapper`` placed right on the env (under the
learned-reward wrapper), so it sees the true reward and the actions actually sent to the
env, whatever SB3 algorithm steps it. Each episode is cut into consecutive clips of
``length`` steps:

- a clip that reaches ``length`` steps is emitted;
- an episode that *terminates* emits its tail, possibly shorter than ``length``: the reward
  model and the teacher pad it with absorbing steps (DESIGN.md §5), so ending early counts;
- an episode cut by a *time limit* emits its last ``length`` steps (overlapping the previous
  clip) when it has that many, else nothing: a truncated clip cannot be padded.

Display frames are rendered only when ``keep_frames`` is set (a GUI asks for them), and
then only for the first ``frame_envs`` sub-envs (0: all): a person sees a few clips a
minute, while rendering every sub-env every step would slow the learner several-fold. With
``keep_frames`` only clips that have their frames are emitted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn

from hfrl.types import Segment

__all__ = [
    "SegmentPool",
    "SegmentRecorder",
]


class SegmentRecorder(VecEnvWrapper):
    """Record clips of ``length`` steps from every sub-env and hand them to ``sink``.

    The steps live in ring buffers of ``length`` rows shared by all sub-envs (every sub-env
    takes one step per vectorised step, so one cursor serves them all): a step costs one
    array write each for the observations, actions and true rewards, and per-env Python work
    happens only on the steps that end an episode or complete a clip.

    Args:
        venv: The vectorised env (true reward in its rewards or ``info["true_reward"]``).
        length: Clip length in steps.
        env_id: Written into each :class:`~hfrl.types.Segment`.
        sink: Called with each finished clip (e.g. :meth:`SegmentPool.add`).
        keep_frames: Render RGB frames with each step (slow; for a person to watch).
        frame_envs: With ``keep_frames``, render only sub-envs ``0 .. frame_envs-1`` (0: all).
    """

    def __init__(
        self,
        venv: VecEnv,
        length: int,
        env_id: str,
        sink: Callable[[Segment], None],
        keep_frames: bool = False,
        frame_envs: int = 0,
    ) -> None:
        super().__init__(venv)
        if length < 1:
            raise ValueError(f"clip length must be at least 1, got {length}")
        if frame_envs < 0:
            raise ValueError(f"frame_envs must be >= 0, got {frame_envs}")
        self.frame_envs = min(frame_envs or self.num_envs, self.num_envs)
        """Sub-envs whose steps are rendered when ``keep_frames`` is on."""
        self.length = length
        self.env_id = env_id
        self.sink = sink
        self.keep_frames = keep_frames
        self.enabled = True
        """Set False to step without recording."""
        n = self.num_envs
        self._steps = 0
        """Steps recorded so far (all sub-envs together step once): the ring cursor."""
        self._start = np.zeros(n, dtype=np.int64)
        """``_steps`` when each sub-env's episode began."""
        self._cut = np.zeros(n, dtype=np.int64)
        """``_steps`` at each sub-env's last emitted clip (or episode start)."""
        self._next_full = length
        """The first ``_steps`` at which some sub-env completes a clip: ``min(_cut) + length``."""
        self._obs: np.ndarray | None = None
        """Ring (length, n_envs, *obs_shape); row ``_steps % length`` holds the pending obs."""
        self._act: np.ndarray | None = None
        """Ring (length, n_envs, *action_shape); row ``_steps % length`` the pending actions."""
        self._rew = np.zeros((length, n), dtype=np.float64)
        """Ring of true rewards."""
        self._has_actions = False
        self._frame_traces: list[deque[np.ndarray]] = [deque(maxlen=length) for _ in range(n)]
        self._episodes = np.zeros(n, dtype=np.int64)
        self._episode_counter = 0
        self._frames: list[np.ndarray | None] | None = None
        self.emitted = 0
        """Clips emitted so far."""

    def reset(self) -> VecEnvObs:
        """Reset every env; clips in progress are dropped."""
        obs = self.venv.reset()
        self._start[:] = self._steps
        self._cut[:] = self._steps
        self._next_full = self._steps + self.length
        for i, frames in enumerate(self._frame_traces):
            frames.clear()
            self._episodes[i] = self._new_episode()
        self._put_obs(obs)
        self._frames = self._render() if self.keep_frames else None
        return obs

    def _new_episode(self) -> int:
        self._episode_counter += 1
        return self._episode_counter - 1

    @staticmethod
    def _ring(ring: np.ndarray | None, value: np.ndarray, length: int) -> np.ndarray:
        """``ring`` if it holds rows like ``value``; else a new ring (old rows kept, dtype
        promoted) for a first call or another dtype."""
        if ring is not None and ring.dtype == value.dtype and ring.shape[1:] == value.shape:
            return ring
        if ring is not None and ring.shape[1:] != value.shape:
            raise ValueError(f"SegmentRecorder: rows of shape {value.shape} after {ring.shape[1:]}")
        dtype = value.dtype if ring is None else np.result_type(ring, value)
        new = np.zeros((length, *value.shape), dtype=dtype)
        if ring is not None:
            new[:] = ring
        return new

    def _put_obs(self, obs: VecEnvObs) -> None:
        """Keep the observations the next actions are taken in (row ``_steps % length``)."""
        obs = np.asarray(obs)
        ring = self._obs
        if ring is None or ring.dtype != obs.dtype or ring.shape[1:] != obs.shape:
            ring = self._obs = self._ring(ring, obs, self.length)
        ring[self._steps % self.length] = obs

    def _render(self) -> list[np.ndarray | None] | None:
        k = self.frame_envs
        if k >= self.num_envs:
            frames = list(self.venv.get_images())
        else:
            frames = list(self.venv.env_method("render", indices=list(range(k))))
            frames += [None] * (self.num_envs - k)
        if not frames or all(f is None for f in frames):
            return None
        return [None if f is None else np.asarray(f, dtype=np.uint8) for f in frames]

    def step_async(self, actions: np.ndarray) -> None:
        """Remember the actions sent to the env."""
        a = np.asarray(actions)
        ring = self._act
        if ring is None or ring.dtype != a.dtype or ring.shape[1:] != a.shape:
            ring = self._act = self._ring(ring, a, self.length)
        ring[self._steps % self.length] = a
        self._has_actions = True
        self.venv.step_async(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Step, write the transitions into the rings and emit finished clips."""
        obs, rewards, dones, infos = self.venv.step_wait()
        if self.enabled and self._has_actions and self._obs is not None:
            self._record(rewards, dones, infos)
        self._put_obs(obs)
        if self.keep_frames:
            self._frames = self._render()
        return obs, rewards, dones, infos

    def _record(self, rewards: np.ndarray, dones: np.ndarray, infos: list[dict]) -> None:
        """Write one step of every sub-env; emit the clips it ends."""
        length, steps = self.length, self._steps
        self._rew[steps % length] = [
            info.get("true_reward", r)
            for info, r in zip(infos, np.asarray(rewards).tolist(), strict=True)
        ]
        frames = self._frames
        if frames is not None:
            for trace, frame in zip(self._frame_traces, frames, strict=True):
                if frame is not None:
                    trace.append(frame)
        self._steps = steps = steps + 1
        ended = np.asarray(dones, dtype=bool)
        if steps < self._next_full and True not in ended.tolist():
            return
        full = self._cut == steps - length
        for i in np.flatnonzero(ended | full).tolist():
            if ended[i]:
                if not infos[i].get("TimeLimit.truncated", False):
                    self._emit(i, steps - int(self._cut[i]), terminated=True)
                elif steps - int(self._start[i]) >= length:
                    self._emit(i, length, terminated=False)
                self._start[i] = self._cut[i] = steps
                self._frame_traces[i].clear()
                self._episodes[i] = self._new_episode()
            else:
                self._emit(i, length, terminated=False)
        self._next_full = int(self._cut.min()) + length

    def _emit(self, i: int, n: int, terminated: bool) -> None:
        """Hand env ``i``'s last ``n`` steps to the sink as a clip."""
        self._cut[i] = self._steps
        frames = None
        if self.keep_frames:
            trace = self._frame_traces[i]
            if len(trace) < n:  # a sub-env that is not rendered: no clip to show
                return
            frames = np.stack(list(trace)[-n:])
        rows = np.arange(self._steps - n, self._steps) % self.length
        assert self._obs is not None and self._act is not None
        seg = Segment(
            obs=self._obs[rows, i],
            actions=self._act[rows, i],
            true_rewards=self._rew[rows, i],
            env_id=self.env_id,
            episode=int(self._episodes[i]),
            start_step=self._steps - int(self._start[i]) - n,
            terminated=terminated,
            frames=frames,
        )
        self.emitted += 1
        self.sink(seg)


class SegmentPool:
    """The most recent ``capacity`` clips, from which query candidates are drawn.

    >>> pool = SegmentPool(capacity=100)
    >>> len(pool), pool.sample_pairs(5, np.random.default_rng(0))
    (0, [])
    """

    def __init__(self, capacity: int = 1000) -> None:
        if capacity < 2:
            raise ValueError(f"a segment pool needs room for 2 clips, got {capacity}")
        self.capacity = capacity
        self._segments: deque[Segment] = deque(maxlen=capacity)

    def add(self, segment: Segment) -> None:
        """Keep a clip (the oldest one goes when full)."""
        self._segments.append(segment)

    def clear(self) -> None:
        """Forget every clip."""
        self._segments.clear()

    def __len__(self) -> int:
        return len(self._segments)

    def segments(self) -> list[Segment]:
        """The clips, oldest first."""
        return list(self._segments)

    def sample_pairs(self, n: int, rng: np.random.Generator) -> list[tuple[Segment, Segment]]:
        """``n`` random pairs of two different clips (fewer if the pool is small), no repeats."""
        segs = self.segments()
        m = len(segs)
        if m < 2 or n < 1:
            return []
        n = min(n, m * (m - 1) // 2)
        seen: set[tuple[int, int]] = set()
        pairs: list[tuple[Segment, Segment]] = []
        tries = 0
        while len(pairs) < n and tries < 20 * n:
            tries += 1
            a, b = (int(x) for x in rng.choice(m, 2, replace=False))
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            seen.add(key)
            pairs.append((segs[a], segs[b]))
        return pairs
