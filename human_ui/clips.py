"""Clips worth a person's time: random-policy clips from the env alone, and the pair rule.

:class:`RandomClips` plays a uniformly random policy in an env drawing frames and cuts its
episodes into clips the way the preference agent's recorder does (consecutive clips of
``length`` steps; a terminated episode's tail; a time-limited episode's last ``length``
steps). It needs only the env, so the compare app shows its first pairs while torch and
the learner are still loading (Christiano et al.'s first comparisons come from a random
policy too).

The pair rule (:func:`pair_problem`, applied to every pair before it is queued by
:class:`ScreenedQueries`) turns away, and says why:

1. **the same clip twice** (same id, or the same observations and actions);
2. **two clips whose frames are all equal** (a person sees the same film twice);
3. **two episode openings where nothing happens**: both clips start at an episode's first
   step and both run their full length without the episode ending (resets look alike: two
   upright poles, two cars at rest);
4. **two near-identical clips**: they end the same way at the same step and, step by step,
   their observations differ on average by less than ``tol`` (5%) of the observations'
   typical spread (a running standard deviation over every clip the rule has seen).

What the rule cannot know is the reward: two clips a person tells apart may still earn the
same return (CartPole pays 1 per step alive), so some pairs remain "equal" to a teacher who
judges returns; ``experiments/benchmarks/compare_pairs.py`` reports that share.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
from hfrl.agents.preference.labels import QueryQueue

from hfrl.types import Segment

NEAR_TOLERANCE = 0.05
"""Mean per-step observation gap, in units of the running spread, below which two clips
that end alike count as the same clip."""
MAX_SCALE_DIMS = 256
"""Observations with more values than this (images) get one spread for all values."""


def clip_length(env_id: str) -> int:
    """Steps per clip for ``env_id``: the preference agent's default (importing no SB3)."""
    from hfrl.agents.preference.config import default_segment_length
    from hfrl.envs.make import env_fps

    return default_segment_length(env_id, env_fps(env_id))


class ObsSpread:
    """Running standard deviation of observation values (per value, or one for images)."""

    def __init__(self) -> None:
        self.n = 0
        self._mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None

    @staticmethod
    def _rows(obs: np.ndarray) -> np.ndarray:
        flat = np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)
        return flat.reshape(-1, 1) if flat.shape[1] > MAX_SCALE_DIMS else flat

    def add(self, obs: np.ndarray) -> None:
        """Take in a clip's observations (Chan et al.'s parallel update of mean and M2)."""
        rows = self._rows(obs)
        n_b = len(rows)
        mean_b, m2_b = rows.mean(axis=0), ((rows - rows.mean(axis=0)) ** 2).sum(axis=0)
        if self._mean is None or self._mean.shape != mean_b.shape:
            self.n, self._mean, self._m2 = n_b, mean_b, m2_b
            return
        n = self.n + n_b
        delta = mean_b - self._mean
        self._mean = self._mean + delta * n_b / n
        self._m2 = self._m2 + m2_b + delta**2 * self.n * n_b / n
        self.n = n

    def std(self, width: int) -> np.ndarray:
        """Spread per value (floored so constant values do not blow distances up)."""
        if self._m2 is None or self.n < 2:
            return np.ones(1 if width > MAX_SCALE_DIMS else width)
        return np.maximum(np.sqrt(self._m2 / (self.n - 1)), 1e-3)


def clip_gap(left: Segment, right: Segment, spread: ObsSpread) -> float:
    """Mean per-step gap between two equally long clips' observations, in spreads."""
    a = np.asarray(left.obs, dtype=np.float64).reshape(len(left), -1)
    b = np.asarray(right.obs, dtype=np.float64).reshape(len(right), -1)
    if a.shape != b.shape:
        return float("inf")
    return float(np.mean(np.abs(a - b) / spread.std(a.shape[1])))


def same_frames(left: Segment, right: Segment) -> bool:
    """Both clips carry frames and every frame of one equals the other's."""
    fa, fb = left.frames, right.frames
    if fa is None or fb is None or np.shape(fa) != np.shape(fb):
        return False
    return bool(np.array_equal(fa, fb))


def pair_problem(
    left: Segment, right: Segment, spread: ObsSpread | None = None, tol: float = NEAR_TOLERANCE
) -> str | None:
    """Why this pair is not worth a person's comparison (rules 1-4 above), else None."""
    if left is right or left.uid == right.uid:
        return "the same clip twice"
    if (
        np.shape(left.obs) == np.shape(right.obs)
        and np.array_equal(left.obs, right.obs)
        and np.array_equal(left.actions, right.actions)
    ):
        return "the same clip twice"
    if same_frames(left, right):
        return "two clips whose frames are all equal"
    ran_on = not left.terminated and not right.terminated
    if left.start_step == 0 and right.start_step == 0 and ran_on:
        return "two episode openings where nothing happens"
    if (
        spread is not None
        and len(left) == len(right)
        and left.terminated == right.terminated
        and clip_gap(left, right, spread) < tol
    ):
        return "two near-identical clips"
    return None


class ScreenedQueries(QueryQueue):
    """The app's query queue: pairs breaking the pair rule are turned away, and counted.

    The agent asks pairs through :meth:`request` as with any :class:`QueryQueue`; a pair
    :func:`pair_problem` objects to never reaches the screen. ``turned_away`` counts them by
    reason.
    """

    def __init__(self, max_pending: int = 20, tol: float = NEAR_TOLERANCE, **kw: Any) -> None:
        super().__init__(max_pending, **kw)
        self.spread = ObsSpread()
        self.tol = tol
        self.turned_away: dict[str, int] = {}
        self.accepted = 0

    def request(self, pairs: Sequence[tuple[Segment, Segment]]) -> None:
        """Queue the pairs worth comparing; count the others by reason."""
        keep = []
        for left, right in pairs:
            for seg in (left, right):
                self.spread.add(seg.obs)
            why = pair_problem(left, right, self.spread, self.tol)
            if why is None:
                keep.append((left, right))
            else:
                self.turned_away[why] = self.turned_away.get(why, 0) + 1
        self.accepted += len(keep)
        if keep:
            super().request(keep)

    def discard(self, query: Any, why: str) -> None:
        """Drop a query taken from the queue unanswered (it breaks the rule: ``why``)."""
        with self._lock:
            self._shown.pop(query.id, None)
        self.turned_away[why] = self.turned_away.get(why, 0) + 1
        self.accepted -= 1


class RandomClips:
    """Clips of a uniformly random policy, cut like the preference agent's recorder cuts.

    Args:
        env: an env made with ``render_mode="rgb_array"``.
        env_id: written into each clip.
        length: steps per clip.
        seed: seeds the env's first reset and the action sampling.
    """

    def __init__(self, env: Any, env_id: str, length: int, seed: int = 0) -> None:
        self.env = env
        self.env_id = env_id
        self.length = length
        self.env.action_space.seed(seed)
        self._seed: int | None = seed
        self._obs: Any = None
        self._trace: deque[tuple[Any, Any, float, np.ndarray]] = deque(maxlen=length)
        self._t = 0
        self._since_cut = 0
        self._episode = -1
        self.steps = 0
        """Env steps played so far."""
        self.ready: deque[Segment] = deque()
        """Clips cut and not taken yet."""

    def _reset(self) -> None:
        self._obs, _ = self.env.reset(seed=self._seed)
        self._seed = None
        self._trace.clear()
        self._t = self._since_cut = 0
        self._episode += 1
        self._frame = np.asarray(self.env.render(), dtype=np.uint8)

    def step(self) -> None:
        """Play one random step; a clip it completes goes to :attr:`ready`."""
        if self._obs is None:
            self._reset()
        action = self.env.action_space.sample()
        obs, reward, terminated, truncated, _ = self.env.step(action)
        self._trace.append((self._obs, action, float(reward), self._frame))
        self.steps += 1
        self._t += 1
        self._since_cut += 1
        self._obs = obs
        if terminated:
            self._cut(self._since_cut, terminated=True)
        elif truncated:
            if self._t >= self.length:
                self._cut(self.length, terminated=False)
        elif self._since_cut == self.length:
            self._cut(self.length, terminated=False)
        if terminated or truncated:
            self._obs = None
        else:
            self._frame = np.asarray(self.env.render(), dtype=np.uint8)

    def _cut(self, n: int, terminated: bool) -> None:
        steps = list(self._trace)[-n:]
        self.ready.append(
            Segment(
                obs=np.stack([np.asarray(s[0]) for s in steps]),
                actions=np.stack([np.asarray(s[1]) for s in steps]),
                true_rewards=np.array([s[2] for s in steps], dtype=np.float64),
                env_id=self.env_id,
                episode=self._episode,
                start_step=self._t - n,
                terminated=terminated,
                frames=np.stack([s[3] for s in steps]),
            )
        )
        self._since_cut = 0

    def next_clip(self, max_steps: int = 100_000) -> Segment:
        """Play until a clip is ready and return it."""
        for _ in range(max_steps):
            if self.ready:
                break
            self.step()
        return self.ready.popleft()


class RandomPairs:
    """Pairs of random-policy clips that pass the pair rule, queued for the person.

    Each new clip is paired with the newest earlier clip it makes a fair pair with; a clip
    that pairs with none waits for the next ones (at most ``keep`` clips wait).
    """

    def __init__(self, clips: RandomClips, queries: ScreenedQueries, keep: int = 8) -> None:
        self.clips = clips
        self.queries = queries
        self.waiting: deque[Segment] = deque(maxlen=keep)
        self.pairs = 0
        """Pairs queued so far."""

    def add_clip(self, seg: Segment) -> bool:
        """Pair ``seg`` with a waiting clip if the rule allows; queue the pair; True if so."""
        q = self.queries
        q.spread.add(seg.obs)
        for other in reversed(self.waiting):
            why = pair_problem(other, seg, q.spread, q.tol)
            if why is not None:
                q.turned_away[why] = q.turned_away.get(why, 0) + 1
            else:
                self.waiting.remove(other)
                before = q.accepted
                q.request([(other, seg)])
                if q.accepted > before:
                    self.pairs += 1
                    return True
        self.waiting.append(seg)
        return False

    def make_pair(self, max_clips: int = 50) -> bool:
        """Cut clips until one more pair is queued (True), or ``max_clips`` were tried."""
        return any(self.add_clip(self.clips.next_clip()) for _ in range(max_clips))

    def work(self, seconds: float) -> bool:
        """Play random steps for about ``seconds`` (a frame's spare time); True if a pair was queued."""
        import time

        end = time.perf_counter() + seconds
        queued = False
        while time.perf_counter() < end:
            self.clips.step()
            while self.clips.ready:
                queued = self.add_clip(self.clips.ready.popleft()) or queued
        return queued
