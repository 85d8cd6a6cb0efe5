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


class _EpisodeTrace:
    """The last ``length`` steps of one env's current episode."""

    def __init__(self, length: int) -> None:
        self.obs: deque[np.ndarray] = deque(maxlen=length)
        self.actions: deque[np.ndarray] = deque(maxlen=length)
        self.rewards: deque[float] = deque(maxlen=length)
        self.frames: deque[np.ndarray] = deque(maxlen=length)
        self.t = 0
        """Steps taken in the episode."""
        self.since_cut = 0
        """Steps since the last emitted clip."""

    def clear(self) -> None:
        for d in (self.obs, self.actions, self.rewards, self.frames):
            d.clear()
        self.t = 0
        self.since_cut = 0


class SegmentRecorder(VecEnvWrapper):
    """Record clips of ``length`` steps from every sub-env and hand them to ``sink``.

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
        self._traces = [_EpisodeTrace(length) for _ in range(self.num_envs)]
        self._episodes = np.zeros(self.num_envs, dtype=np.int64)
        self._episode_counter = 0
        self._last_obs: np.ndarray | None = None
        self._frames: list[np.ndarray] | None = None
        self._actions: np.ndarray | None = None
        self.emitted = 0
        """Clips emitted so far."""

    def reset(self) -> VecEnvObs:
        """Reset every env; clips in progress are dropped."""
        obs = self.venv.reset()
        self._last_obs = np.asarray(obs).copy()
        for i, tr in enumerate(self._traces):
            tr.clear()
            self._episodes[i] = self._new_episode()
        self._frames = self._render() if self.keep_frames else None
        return obs

    def _new_episode(self) -> int:
        self._episode_counter += 1
        return self._episode_counter - 1

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
        self._actions = np.asarray(actions).copy()
        self.venv.step_async(actions)

    def step_wait(self) -> VecEnvStepReturn:
        """Step, append each env's transition to its trace and emit finished clips."""
        obs, rewards, dones, infos = self.venv.step_wait()
        if self.enabled and self._last_obs is not None and self._actions is not None:
            for i in range(self.num_envs):
                self._record(i, rewards[i], bool(dones[i]), infos[i])
        self._last_obs = np.asarray(obs).copy()
        if self.keep_frames:
            self._frames = self._render()
        return obs, rewards, dones, infos

    def _record(self, i: int, reward: float, done: bool, info: dict) -> None:
        tr = self._traces[i]
        tr.obs.append(self._last_obs[i])
        tr.actions.append(self._actions[i])
        tr.rewards.append(float(info.get("true_reward", reward)))
        if self._frames is not None and self._frames[i] is not None:
            tr.frames.append(self._frames[i])
        tr.t += 1
        tr.since_cut += 1
        if done:
            if not info.get("TimeLimit.truncated", False):
                self._emit(i, tr.since_cut, terminated=True)
            elif tr.t >= self.length:
                self._emit(i, self.length, terminated=False)
            tr.clear()
            self._episodes[i] = self._new_episode()
        elif tr.since_cut == self.length:
            self._emit(i, self.length, terminated=False)

    def _emit(self, i: int, n: int, terminated: bool) -> None:
        tr = self._traces[i]
        obs = np.stack(list(tr.obs)[-n:])
        actions = np.stack([np.asarray(a) for a in list(tr.actions)[-n:]])
        frames = None
        if self.keep_frames:
            if len(tr.frames) < n:  # a sub-env that is not rendered: no clip to show
                tr.since_cut = 0
                return
            frames = np.stack(list(tr.frames)[-n:])
        seg = Segment(
            obs=obs,
            actions=actions,
            true_rewards=np.asarray(list(tr.rewards)[-n:], dtype=np.float64),
            env_id=self.env_id,
            episode=int(self._episodes[i]),
            start_step=tr.t - n,
            terminated=terminated,
            frames=frames,
        )
        tr.since_cut = 0
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
