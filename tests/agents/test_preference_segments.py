"""The clips SegmentRecorder cuts and the tallies LearnedRewardVecEnv keeps, pinned on a
scripted env whose observations say where they are (step in the episode, steps taken)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.wrappers import TimeLimit
from hfrl.agents.preference.segments import SegmentRecorder
from hfrl.envs.learned_reward import LearnedRewardVecEnv
from stable_baselines3.common.vec_env import DummyVecEnv

from hfrl.types import Segment


class Counter(gym.Env):
    """obs = [t (step in the episode), g (steps taken in all), index]; reward 0.5·t after the
    step. Episodes terminate after ``lengths`` steps in turn (never when empty). With
    ``true_in_info`` the reward is -1 and ``info["true_reward"]`` is 10·t."""

    observation_space = spaces.Box(-np.inf, np.inf, (3,), np.float32)
    action_space = spaces.Discrete(3)

    def __init__(self, index: int, lengths: tuple[int, ...] = (), true_in_info: bool = False):
        self.index, self.lengths, self.true_in_info = index, lengths, true_in_info
        self.t = self.g = 0
        self.episode = -1

    def _obs(self) -> np.ndarray:
        return np.array([self.t, self.g, self.index], dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        self.t = 0
        self.episode += 1
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        self.g += 1
        ends = bool(self.lengths) and self.t >= self.lengths[self.episode % len(self.lengths)]
        if self.true_in_info:
            return self._obs(), -1.0, ends, False, {"true_reward": 10.0 * self.t}
        return self._obs(), 0.5 * self.t, ends, False, {}


def counter_venv() -> DummyVecEnv:
    """env 0 terminates after 6, 3, 9 steps; env 1 is cut at 5 steps (true reward in the
    info); env 2 is cut at 3 steps, fewer than a clip."""
    return DummyVecEnv(
        [
            lambda: Counter(0, lengths=(6, 3, 9)),
            lambda: TimeLimit(Counter(1, true_in_info=True), max_episode_steps=5),
            lambda: TimeLimit(Counter(2), max_episode_steps=3),
        ]
    )


def scripted_actions(k: int) -> np.ndarray:
    """Vector step k's actions: (k + env index) mod 3."""
    return (k + np.arange(3)) % 3


# (env, episode, start_step, t of the obs acted in, terminated), in the order emitted;
# episode ids are handed out at reset (0, 1, 2) and then at each episode end, env order
PINNED = [
    (0, 0, 0, [0, 1, 2, 3], False),
    (1, 1, 0, [0, 1, 2, 3], False),
    (1, 1, 1, [1, 2, 3, 4], False),  # cut at 5 steps: the last 4, overlapping
    (0, 0, 4, [4, 5], True),  # terminated tail, shorter than a clip
    (0, 5, 0, [0, 1, 2], True),
    (1, 4, 0, [0, 1, 2, 3], False),
    (1, 4, 1, [1, 2, 3, 4], False),
    (0, 7, 0, [0, 1, 2, 3], False),
    (1, 9, 0, [0, 1, 2, 3], False),
    (1, 9, 1, [1, 2, 3, 4], False),
    (0, 7, 4, [4, 5, 6, 7], False),
    (0, 7, 8, [8], True),
    (1, 11, 0, [0, 1, 2, 3], False),
    (1, 11, 1, [1, 2, 3, 4], False),
]


def _recorded(steps: int) -> tuple[SegmentRecorder, list[Segment]]:
    """A clip recorder (4-step clips) over the counter envs after ``steps`` scripted steps."""
    clips: list[Segment] = []
    rec = SegmentRecorder(counter_venv(), 4, "Counter", clips.append)
    rec.reset()
    for k in range(steps):
        rec.step(scripted_actions(k))
    return rec, clips


def test_recorder_clips_are_pinned_on_a_scripted_run():
    rec, clips = _recorded(20)
    got = [
        (int(c.obs[0, 2]), c.episode, c.start_step, c.obs[:, 0].astype(int).tolist(), c.terminated)
        for c in clips
    ]
    assert got == PINNED
    assert rec.emitted == len(PINNED)
    for c in clips:
        env = int(c.obs[0, 2])
        assert c.env_id == "Counter" and c.frames is None
        assert c.obs.dtype == np.float32 and c.obs.shape == (len(c), 3)
        assert c.actions.dtype == np.int64 and c.actions.shape == (len(c),)
        assert c.true_rewards.dtype == np.float64
        np.testing.assert_array_equal(c.obs[:, 2], env)
        np.testing.assert_array_equal(c.actions, (c.obs[:, 1] + env) % 3)  # the actions sent
        t_after = c.obs[:, 0] + 1
        np.testing.assert_array_equal(c.true_rewards, 10 * t_after if env == 1 else t_after / 2)
        # the obs of a clip are those acted in: consecutive, never SB3's terminal observation
        np.testing.assert_array_equal(np.diff(c.obs[:, 1]), 1)
        assert c.obs[0, 0] == c.start_step


def test_recorder_clips_do_not_alias_its_buffers():
    rec, clips = _recorded(12)
    first = [(c.obs.copy(), c.actions.copy(), c.true_rewards.copy()) for c in clips]
    for k in range(12, 60):
        rec.step(scripted_actions(k))
    for c, (obs, actions, rewards) in zip(clips, first, strict=False):
        np.testing.assert_array_equal(c.obs, obs)
        np.testing.assert_array_equal(c.actions, actions)
        np.testing.assert_array_equal(c.true_rewards, rewards)


def test_recorder_pauses_and_a_reset_drops_clips_in_progress():
    clips: list[Segment] = []
    rec = SegmentRecorder(counter_venv(), 4, "Counter", clips.append)
    rec.reset()
    rec.enabled = False
    for k in range(10):
        rec.step(scripted_actions(k))
    assert not clips and rec.emitted == 0
    rec.enabled = True
    rec.reset()  # episodes 3, 4, 5 (0-2 at the first reset; none counted while paused)
    for k in range(3):
        rec.step(scripted_actions(k))  # env 2 is cut at 3 steps: episode 6
    assert not clips
    rec.reset()  # 3 steps into envs 0 and 1: dropped; episodes 7, 8, 9
    for k in range(4):
        rec.step(scripted_actions(k))
    got = [(int(c.obs[0, 2]), c.episode, c.start_step, len(c), c.terminated) for c in clips]
    # env 0 is on its 5th episode by now, which terminates after 3 steps
    assert got == [(0, 7, 0, 3, True), (1, 8, 0, 4, False)]


def test_recorder_keeps_the_dtype_of_the_actions_sent():
    clips: list[Segment] = []
    rec = SegmentRecorder(counter_venv(), 4, "Counter", clips.append)
    rec.reset()
    for k in range(4):
        rec.step(scripted_actions(k).astype(np.int32))
    assert clips and all(c.actions.dtype == np.int32 for c in clips)


class StepReward:
    """Learned reward t + action of the obs acted in (or, with next_obs, of the next obs)."""

    def __init__(self, next_obs: bool) -> None:
        self.takes_next_obs = next_obs

    def __call__(self, obs, actions, *rest):
        if self.takes_next_obs:
            return rest[0][:, 0] * 100
        return obs[:, 0] + actions


def test_learned_reward_tallies_are_pinned_on_a_scripted_run():
    env = LearnedRewardVecEnv(counter_venv(), StepReward(next_obs=False))
    env.reset()
    ended = []
    for k in range(10):
        _, rewards, dones, infos = env.step(scripted_actions(k))
        np.testing.assert_array_equal(rewards, [info["learned_reward"] for info in infos])
        ended += [(k, i, infos[i]) for i in np.flatnonzero(dones)]
    got = [
        (k, i, info["episode"]["r"], info["episode"]["l"], info["learned_episode_return"])
        for k, i, info in ended
    ]
    # (vector step, env, true return, length, learned return Σ t + action over the steps)
    assert got == [
        (2, 2, 0.5 * (1 + 2 + 3), 3, (0 + 1 + 2) + (2 + 0 + 1)),
        (4, 1, 10.0 * (1 + 2 + 3 + 4 + 5), 5, (0 + 1 + 2 + 3 + 4) + (1 + 2 + 0 + 1 + 2)),
        (5, 0, 0.5 * (1 + 2 + 3 + 4 + 5 + 6), 6, (0 + 1 + 2 + 3 + 4 + 5) + (0 + 1 + 2) * 2),
        (5, 2, 0.5 * (1 + 2 + 3), 3, (0 + 1 + 2) + (2 + 0 + 1)),
        (8, 0, 0.5 * (1 + 2 + 3), 3, (0 + 1 + 2) + (0 + 1 + 2)),
        (8, 2, 0.5 * (1 + 2 + 3), 3, (0 + 1 + 2) + (2 + 0 + 1)),
        (9, 1, 10.0 * (1 + 2 + 3 + 4 + 5), 5, (0 + 1 + 2 + 3 + 4) + (0 + 1 + 2 + 0 + 1)),
    ]
    for _, _, info in ended:
        assert info["true_episode_return"] == info["episode"]["r"]
        assert isinstance(info["episode"]["l"], int) and isinstance(info["episode"]["r"], float)


def test_learned_reward_reset_restarts_the_tallies_and_sees_terminal_obs():
    env = LearnedRewardVecEnv(counter_venv(), StepReward(next_obs=True))
    env.reset()
    for k in range(2):
        env.step(scripted_actions(k))
    env.reset()  # two steps into every episode: forgotten
    for k in range(3):
        _, rewards, dones, infos = env.step(scripted_actions(k))
    assert dones.tolist() == [True, False, True]  # env 0's 2nd episode lasts 3 steps too
    # next_obs of an ended episode is its last obs (t = 3), not the next episode's first
    assert rewards.tolist() == [300.0, 300.0, 300.0]
    for i in (0, 2):
        assert infos[i]["episode"]["l"] == 3 and infos[i]["learned_episode_return"] == 600.0


def test_recorder_under_the_learned_reward_sees_true_rewards():
    clips: list[Segment] = []
    env = LearnedRewardVecEnv(
        SegmentRecorder(counter_venv(), 4, "Counter", clips.append), StepReward(False)
    )
    env.reset()
    for k in range(20):
        env.step(scripted_actions(k))
    assert [(int(c.obs[0, 2]), c.episode, c.start_step) for c in clips] == [p[:3] for p in PINNED]
    assert all(np.all(c.true_rewards > 0) for c in clips)


@pytest.mark.parametrize("length", [1, 2])
def test_short_clips_cover_every_step(length):
    clips: list[Segment] = []
    rec = SegmentRecorder(
        DummyVecEnv([lambda: Counter(0, lengths=(5,))]), length, "C", clips.append
    )
    rec.reset()
    for k in range(10):
        rec.step(np.array([k % 3]))
    steps = np.concatenate([c.obs[:, 1] for c in clips])
    np.testing.assert_array_equal(steps, np.arange(10))  # each step once, in order
    assert [c.terminated for c in clips if c.obs[-1, 0] == 4] == [True, True]
