"""Fast checks of the preference agent's parts: schedule, label sources, clips, queries."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hfrl.agents.preference.labels import (
    LabelSchedule,
    LabelSet,
    QueryQueue,
    TeacherLabels,
)
from hfrl.agents.preference.learners import learner_class
from hfrl.agents.preference.pebble import StateEntropyReward
from hfrl.agents.preference.queries import ending_pairs, pair_scores, select_queries, top_k
from hfrl.agents.preference.segments import SegmentPool, SegmentRecorder

from hfrl.errors import HfrlError
from hfrl.teachers.presets import make_teacher
from hfrl.types import LEFT, RIGHT, Preference, Segment


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny networks: one thread is fastest, and the machine's cores are shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def seg(ret: float, n: int = 5, terminated: bool = False, dim: int = 3) -> Segment:
    rng = np.random.default_rng(int(abs(ret) * 100) + n)
    return Segment(
        obs=rng.normal(size=(n, dim)).astype(np.float32),
        actions=rng.integers(0, 2, n),
        true_rewards=np.full(n, ret / n),
        env_id="CartPole-v1",
        terminated=terminated,
    )


# --------------------------------------------------------------------------- schedule
def test_schedule_random_share_first_then_decaying_rate_to_budget():
    s = LabelSchedule(budget=100, total_steps=10_000, random_share=0.25, c_fraction=0.1)
    assert s.initial == 25
    assert s.due(0) == 25
    dues = [s.due(t) for t in range(0, 10_001, 500)]
    assert dues == sorted(dues)
    assert s.due(10_000) == 100 and s.due(50_000) == 100
    # labels per step fall like c/(T+c): 10x fewer at T = 9c than at T = 0 (c = 1000)
    assert s.rate(9000) == pytest.approx(s.rate(0) / 10)
    # the first tenth of the run gets far more than a tenth of the remaining labels
    assert s.due(1000) - s.initial > 0.25 * 75


def test_schedule_without_budget_or_share():
    assert LabelSchedule(0, 1000).due(500) == 0
    s = LabelSchedule(10, 1000, random_share=0.0)
    assert s.initial == 0 and s.due(0) == 0 and s.due(1000) == 10


# --------------------------------------------------------------------------- sources
def test_teacher_labels_answer_at_once():
    src = TeacherLabels(make_teacher("oracle", "CartPole-v1", 0))
    src.request([(seg(5.0), seg(1.0)), (seg(1.0, terminated=True), seg(4.0))])
    assert src.pending() == 0
    answers = src.poll()
    assert [p.label for p in answers] == [LEFT, RIGHT]
    assert src.poll() == []


def test_query_queue_gui_thread_answers_without_blocking_training():
    q = QueryQueue(max_pending=3)
    assert q.poll() == [] and q.next_query() is None  # nothing blocks
    answered: list[Preference] = []

    def gui() -> None:
        for _ in range(2):
            query = q.next_query(timeout=5.0)
            assert query is not None
            answered.append(q.answer(query, LEFT if query.id == 0 else None))

    t = threading.Thread(target=gui)
    t.start()
    time.sleep(0.05)
    q.request([(seg(1.0), seg(2.0)), (seg(3.0), seg(4.0))])
    t.join(timeout=5)
    assert not t.is_alive()
    got = q.poll()
    assert [p.label for p in got] == [LEFT, None] and got[1].skipped
    assert q.pending() == 0
    with pytest.raises(HfrlError):
        q.answer(0, LEFT)  # already answered


def test_query_queue_drops_oldest_beyond_max_pending():
    q = QueryQueue(max_pending=2)
    pairs = [(seg(float(i + 1)), seg(float(i + 2))) for i in range(5)]
    q.request(pairs)
    assert q.pending() == 2 and q.dropped == 3
    first = q.next_query()
    assert first is not None and first.left is pairs[3][0]
    q.put_back(first)
    assert q.next_query().id == first.id


def test_label_set_caps_and_round_trips(tmp_path):
    ls = LabelSet(capacity=3)
    prefs = [
        Preference(seg(float(i + 1)), seg(1.0, 3, True), LEFT, float(i), "oracle") for i in range(4)
    ]
    prefs.append(Preference(seg(1.0), seg(2.0), None, 9.0, "oracle"))
    assert ls.add(prefs) == 5
    assert len(ls) == 3 and ls.received == 5 and ls.skipped == 1
    ls.save(tmp_path / "labels.npz")
    back = LabelSet.load(tmp_path / "labels.npz")
    assert len(back) == 3 and back.received == 5 and back.skipped == 1
    for a, b in zip(ls, back, strict=True):
        assert a.label == b.label and a.left.uid == b.left.uid
        np.testing.assert_array_equal(a.left.obs, b.left.obs)
        assert b.right.terminated and len(b.right) == 3
        assert b.left.true_return == pytest.approx(a.left.true_return)


# --------------------------------------------------------------------------- clips
def _recorded(env_id: str, length: int, steps: int, max_episode_steps: int | None = None):
    from hfrl.envs.make import make
    from stable_baselines3.common.vec_env import DummyVecEnv

    clips: list[Segment] = []
    venv = DummyVecEnv(
        [
            lambda i=i: make(env_id, seed=i, render_mode=None, max_episode_steps=max_episode_steps)
            for i in range(2)
        ]
    )
    rec = SegmentRecorder(venv, length, env_id, clips.append)
    rec.reset()
    venv.action_space.seed(0)
    for _ in range(steps):
        rec.step(np.array([venv.action_space.sample() for _ in range(2)]))
    return clips


def test_recorder_cuts_full_clips_and_terminated_tails():
    clips = _recorded("CartPole-v1", 8, 200)
    assert clips
    for c in clips:
        assert len(c) == 8 or c.terminated
        assert 1 <= len(c) <= 8
        np.testing.assert_array_equal(c.true_rewards, np.ones(len(c)))
    assert any(c.terminated and len(c) < 8 for c in clips)
    assert any(not c.terminated and len(c) == 8 for c in clips)
    full = next(c for c in clips if c.start_step == 8)
    first = next(c for c in clips if c.episode == full.episode and c.start_step == 0)
    assert len(first) == 8  # consecutive clips of one episode


def test_recorder_truncated_episode_gives_last_full_clip():
    clips = _recorded("Pendulum-v1", 8, 60, max_episode_steps=20)
    by_ep: dict[int, list[Segment]] = {}
    for c in clips:
        by_ep.setdefault(c.episode, []).append(c)
    ep = by_ep[min(by_ep)]
    assert [c.start_step for c in ep] == [0, 8, 12]  # last 8 of 20 steps, overlapping
    assert all(len(c) == 8 and not c.terminated for c in ep)


def test_pool_samples_distinct_pairs_and_forgets_oldest():
    pool = SegmentPool(capacity=4)
    segs = [seg(float(i + 1)) for i in range(6)]
    for s in segs:
        pool.add(s)
    assert pool.segments() == segs[2:]
    pairs = pool.sample_pairs(100, np.random.default_rng(0))
    assert len(pairs) == 6  # all C(4, 2)
    assert all(a is not b for a, b in pairs)
    assert len({frozenset((a.uid, b.uid)) for a, b in pairs}) == 6


# --------------------------------------------------------------------------- queries
def test_top_k_highest_first():
    assert list(top_k(np.array([0.1, 0.5, 0.3, 0.5]), 3)) == [1, 3, 2]


def _trained_ensemble():
    import gymnasium as gym

    from hfrl.reward import PreferenceDataset, RewardEnsemble, RewardEnsembleConfig, TrainConfig

    obs_space = gym.spaces.Box(-5, 5, (3,))
    ens = RewardEnsemble(obs_space, gym.spaces.Discrete(2), RewardEnsembleConfig(seed=1), "cpu")
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(30):
        a, b = seg(float(rng.uniform(0, 5))), seg(float(rng.uniform(0, 5)))
        pairs.append((a, b, LEFT if a.true_return > b.true_return else RIGHT))
    ens.fit(PreferenceDataset.from_pairs(pairs), TrainConfig(epochs=5, min_steps=20))
    return ens


def test_selection_picks_the_highest_disagreement_pairs():
    ens = _trained_ensemble()
    rng = np.random.default_rng(3)
    cands = [
        (seg(float(rng.uniform(0, 5)), 5), seg(float(rng.uniform(0, 5)), 3, True))
        for _ in range(40)
    ]
    var = ens.disagreement(cands)
    chosen = select_queries(cands, 4, "disagreement", ens)
    best = [cands[i] for i in np.argsort(-var)[:4]]
    assert all(c is b for c, b in zip(chosen, best, strict=True))
    idx = [next(i for i, c in enumerate(cands) if c is p) for p in chosen]
    assert min(var[idx]) >= np.sort(var)[-4] and idx != [0, 1, 2, 3]
    # entropy favours P close to 1/2; uniform keeps candidate order
    ent = pair_scores(ens, cands, "entropy")
    assert select_queries(cands, 3, "entropy", ens) == [cands[i] for i in np.argsort(-ent)[:3]]
    assert select_queries(cands, 3, "uniform", ens) == cands[:3]
    assert select_queries(cands, 3, "disagreement", None) == cands[:3]


# --------------------------------------------------------------------------- learners
def test_learner_names_and_state_entropy():
    from stable_baselines3 import PPO, SAC

    assert learner_class("ppo") is PPO and learner_class(" SAC") is SAC
    with pytest.raises(HfrlError, match="unknown learner"):
        learner_class("stable_baselines3:SAC")  # no module paths: nothing is imported by name
    with pytest.raises(HfrlError, match="Did you mean"):
        learner_class("ppo2")
    ent = StateEntropyReward(k=1)
    ent(np.zeros((4, 2)))
    r = ent(np.array([[0.0, 0.0], [3.0, 4.0]]))
    assert r[0] == pytest.approx(0.0) and r[1] == pytest.approx(np.log1p(5.0))


def test_recorder_keeps_display_frames_only_when_asked():
    from hfrl.envs.make import make
    from stable_baselines3.common.vec_env import DummyVecEnv

    clips: list[Segment] = []
    venv = DummyVecEnv([lambda: make("CartPole-v1", seed=0, render_mode="rgb_array")])
    rec = SegmentRecorder(venv, 5, "CartPole-v1", clips.append, keep_frames=True)
    rec.reset()
    for _ in range(12):
        rec.step(np.array([0]))
    assert clips and all(c.frames is not None for c in clips)
    f = clips[0].frames
    assert f.shape[0] == len(clips[0]) and f.shape[-1] == 3 and f.dtype == np.uint8
    assert _recorded("CartPole-v1", 5, 12)[0].frames is None


def test_recorder_renders_only_the_first_frame_envs():
    import gymnasium as gym
    from hfrl.envs.make import make
    from stable_baselines3.common.vec_env import DummyVecEnv

    renders = [0, 0, 0]

    class Counted(gym.Wrapper):
        def __init__(self, env, i):
            super().__init__(env)
            self.i = i

        def render(self):
            renders[self.i] += 1
            return self.env.render()

    def factory(i):
        return lambda: Counted(make("CartPole-v1", seed=i, render_mode="rgb_array"), i)

    clips: list[Segment] = []
    venv = DummyVecEnv([factory(i) for i in range(3)])
    rec = SegmentRecorder(venv, 5, "CartPole-v1", clips.append, keep_frames=True, frame_envs=1)
    rec.reset()
    for _ in range(20):
        rec.step(np.zeros(3, dtype=int))
    assert renders[0] == 21 and renders[1] == renders[2] == 0  # reset + 20 steps, env 0 only
    assert clips and all(c.frames is not None and len(c.frames) == len(c) for c in clips)
    everyone = SegmentRecorder(
        DummyVecEnv([factory(i) for i in range(3)]), 5, "CartPole-v1", lambda c: None, True
    )
    assert everyone.frame_envs == 3


def test_refits_wait_for_a_tenth_of_the_labels_kept_within_a_round():
    from types import SimpleNamespace

    from hfrl.agents.preference.config import PreferenceConfig
    from hfrl.agents.preference.loop import PreferenceCallback

    agent = SimpleNamespace(config=PreferenceConfig(), episodes=0, labels=[])
    loop = PreferenceCallback(agent, LabelSchedule(500, 10_000), TeacherLabels(None), 0, 0)
    assert loop.batch == 32  # (500 - 125) labels in 12 rounds
    for kept, after in ((0, 5), (60, 6), (200, 20), (400, 32)):
        agent.labels = [None] * kept
        assert loop._refit_after() == after


def test_ending_pairs_put_each_ended_clip_against_one_that_ran_on():
    clips = [seg(-5.0), seg(-3.0, 3, terminated=True), seg(-4.0), seg(-2.0, 2, terminated=True)]
    pairs = ending_pairs(clips, 5, np.random.default_rng(0))
    assert [p[0] for p in pairs] == [clips[3], clips[1]]  # most recent first, each once
    assert all(not right.terminated for _, right in pairs)
    assert len(ending_pairs(clips, 1, np.random.default_rng(0))) == 1
    assert ending_pairs([seg(-5.0), seg(-4.0)], 3, np.random.default_rng(0)) == []
