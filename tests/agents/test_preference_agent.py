"""Fast end-to-end checks of the preference agent: loop, learners, save/load/resume, CLI."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from hfrl.agents.preference import PreferenceAgent
from hfrl.agents.preference.config import PreferenceConfig
from hfrl.agents.preference.labels import QueryQueue, TeacherLabels
from hfrl.agents.registry import get_agent_class

from hfrl.errors import HfrlError
from hfrl.protocols import Agent
from hfrl.teachers.presets import make_teacher
from hfrl.types import LEFT

FAST_REWARD = {"epochs": 3, "min_steps": 10}
"""Reward fits of a few steps: these tests check wiring, not learning quality."""


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny networks: one thread is fastest, and the machine's cores are shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class SpySource(TeacherLabels):
    """A simulated teacher that records when and how much it was asked."""

    def __init__(self, agent: PreferenceAgent, teacher) -> None:
        super().__init__(teacher)
        self.agent = agent
        self.calls: list[tuple[int, int, int]] = []

    def request(self, pairs):
        model_steps = self.agent.model.num_timesteps if self.agent.model is not None else 0
        self.calls.append((self.agent.env_steps, model_steps, len(pairs)))
        super().request(pairs)


def fast_config(**kw) -> PreferenceConfig:
    """A config small enough for unit tests: 2 envs, short clips, one PPO epoch."""
    return PreferenceConfig(
        device="cpu",
        n_envs=2,
        segment_length=10,
        reward_train=FAST_REWARD,
        learner_kwargs={"n_steps": 64, "batch_size": 64, "n_epochs": 1},
        **kw,
    )


def cartpole(**kw) -> PreferenceAgent:
    return PreferenceAgent("CartPole-v1", config=fast_config(**kw), seed=3)


def test_registry_and_protocol():
    assert get_agent_class("preference") is PreferenceAgent
    agent = cartpole()
    assert isinstance(agent, Agent) and agent.feedback_kind == "preference"
    assert agent.learner_name == "ppo"
    a = agent.act(np.zeros(4, dtype=np.float32), greedy=True)
    assert a in (0, 1)
    probs = agent.action_preferences(np.zeros(4, dtype=np.float32))
    assert probs.shape == (2,) and probs.sum() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(HfrlError):
        PreferenceConfig(selection="best")


def test_random_policy_share_and_schedule_in_the_loop():
    agent = cartpole()
    src = SpySource(agent, make_teacher("oracle", "CartPole-v1", 0))
    stats = agent.learn(2048, source=src, labels=20)
    first_steps, first_model_steps, first_n = src.calls[0]
    assert first_n == 5 and first_model_steps == 0 and first_steps > 0  # 25% on random clips
    assert sum(n for *_, n in src.calls) == 20 == stats["labels"]
    assert len(src.calls) >= 3  # the rest comes in rounds as the learner trains
    later = [s for s, _, _ in src.calls[1:]]
    assert later == sorted(later) and later[-1] <= 0.75 * 2048 + 2 * 64
    assert agent.fits >= 2 and agent.reward.trained
    assert agent.labels.received == 20 and agent.env_steps >= 2048


def test_learned_reward_keeps_absorbing_zero_and_alive_positive():
    agent = cartpole()
    agent.learn(1024, make_teacher("oracle", "CartPole-v1", 0), labels=16)
    obs = np.zeros((3, 4), dtype=np.float32)
    r = agent.reward(obs, np.array([0, 1, 0]))
    assert r.shape == (3,) and np.all(np.isfinite(r))
    assert agent.ensemble.predict(obs[:1], [0], absorbing=[True])[0] == 0.0
    assert agent.reward.scale > 0 and agent.reward.terminal_seen and agent.reward.offset == 0
    # once an episode end has been labelled, later clips that all run on keep the zero
    agent.reward.calibrate(obs, np.array([0, 1, 0]), terminal_seen=False)
    assert agent.reward.offset == 0 and agent.reward.terminal_seen
    # the one-call fast path equals the shifted, member-normalised reward, rescaled
    x = np.random.default_rng(1).normal(size=(50, 4)).astype(np.float32)
    a = np.arange(50) % 2
    slow = (agent.reward.members(x, a).mean(axis=0) - agent.reward.offset) / agent.reward.scale
    np.testing.assert_allclose(agent.reward(x, a), slow, rtol=1e-4, atol=1e-5)


def test_save_load_resume(tmp_path):
    agent = cartpole()
    agent.learn(1024, make_teacher("oracle", "CartPole-v1", 0), labels=12)
    agent.save(tmp_path / "a")
    back = PreferenceAgent.load(tmp_path / "a")
    obs = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    acts = np.arange(20) % 2
    np.testing.assert_allclose(back.reward(obs, acts), agent.reward(obs, acts), rtol=1e-5)
    assert [back.act(o, greedy=True) for o in obs] == [agent.act(o, greedy=True) for o in obs]
    assert len(back.labels) == len(agent.labels) == 12
    assert (back.env_steps, back.fits) == (agent.env_steps, agent.fits)
    steps_before = back.env_steps
    back.learn(512, make_teacher("oracle", "CartPole-v1", 1), labels=6)
    assert back.labels.received == 18 and back.env_steps >= steps_before + 512
    assert back.fits > agent.fits
    with pytest.raises(HfrlError, match="no saved preference agent"):
        PreferenceAgent.load(tmp_path / "nothing")
    # saved before the member spreads were kept with the reward: recalibrated from the labels
    state_file = tmp_path / "a" / "preference_agent.json"
    state = json.loads(state_file.read_text())
    del state["reward"]["member_scale"]
    state_file.write_text(json.dumps(state))
    old = PreferenceAgent.load(tmp_path / "a")
    np.testing.assert_allclose(old.reward(obs, acts), agent.reward(obs, acts), rtol=1e-4, atol=1e-5)


def test_give_and_update_and_gui_queue():
    agent = cartpole()
    queue = QueryQueue(max_pending=4)
    agent.collect_random(200)
    assert agent.request_labels(3, queue) == 3
    assert queue.pending() == 3
    q = queue.next_query()
    pref = queue.answer(q, LEFT)
    agent.give(pref)
    stats = agent.update()
    assert agent.fits == 1 and "train_loss" in stats
    assert agent.update() == {}  # nothing new


def test_sac_buffer_relabelled_after_reward_update():
    cfg = PreferenceConfig(
        device="cpu",
        segment_length=10,
        reward_train=FAST_REWARD,
        learner_kwargs={"learning_starts": 10, "policy_kwargs": {"net_arch": [16, 16]}},
    )
    agent = PreferenceAgent("Pendulum-v1", config=cfg, seed=0)
    assert agent.learner_name == "sac"
    src = SpySource(agent, make_teacher("oracle", "Pendulum-v1", 0))
    agent.learn(400, source=src, labels=8)
    # the random-policy share is asked on SAC's own uniformly random warm-up, before training
    assert src.calls[0][2] == 2 and src.calls[0][1] == agent.model.learning_starts == 40
    buf = agent.model.replay_buffer
    n = buf.pos
    assert n > 0
    obs = buf.observations[:n, 0]
    acts = agent.model.policy.unscale_action(buf.actions[:n, 0])
    np.testing.assert_allclose(buf.rewards[:n, 0], agent.reward(obs, acts), rtol=1e-4, atol=1e-5)


def test_pretraining_runs_on_state_entropy_first():
    agent = cartpole(pretrain_steps=256)
    src = SpySource(agent, make_teacher("oracle", "CartPole-v1", 0))
    agent.learn(1024, source=src, labels=8)
    assert src.calls[0][1] >= 256  # first labels after exploring, not on random clips
    assert agent.reward.explore is None and agent.labels.received == 8


def test_atari_pong_smoke():
    cfg = PreferenceConfig(
        device="cpu",
        n_envs=2,
        segment_length=6,
        pool_size=20,
        reward_train={"epochs": 1, "min_steps": 2, "batch_size": 4},
        learner_kwargs={"n_steps": 32, "batch_size": 32, "n_epochs": 1},
    )
    agent = PreferenceAgent("ALE/Pong-v5", config=cfg, seed=0, max_episode_steps=100)
    assert agent.ensemble.spec.image
    stats = agent.learn(192, make_teacher("oracle", "ALE/Pong-v5", 0), labels=4)
    assert stats["labels"] == 4 and agent.fits >= 1
    assert agent.act(agent.env.reset()[0], greedy=True) in range(6)


def test_hopper_end_to_end():
    pytest.importorskip("mujoco")
    cfg = PreferenceConfig(
        device="cpu",
        segment_length=10,
        reward_train=FAST_REWARD,
        learner_kwargs={"learning_starts": 100, "policy_kwargs": {"net_arch": [32, 32]}},
    )
    agent = PreferenceAgent("Hopper-v5", config=cfg, seed=0)
    assert agent.learner_name == "sac"
    agent.learn(400, make_teacher("oracle", "Hopper-v5", 0), labels=8)
    mean, _ = agent.evaluate(episodes=1)
    assert np.isfinite(mean) and agent.labels.received == 8


def test_cli_writes_summary_curve_and_logs(tmp_path, monkeypatch):
    from hfrl.cli import main

    monkeypatch.chdir(tmp_path)  # where a tensorboard_log of "tb" would go
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "preference",
            "--env",
            "CartPole-v1",
            "--teacher",
            "mistake",
            "--steps",
            "1024",
            "--labels",
            "10",
            "--learner",
            "A2C",
            "--eval-episodes",
            "2",
            "--eval-every",
            "2",
            "--set",
            "segment_length=10",
            "--set",
            'reward_train={"epochs": 3, "min_steps": 10}',
            "--set",
            'learner_kwargs={"tensorboard_log": "tb", "verbose": 1}',
            "--out",
            str(out),
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["learner"] == "a2c" and summary["feedback_count"] == 10
    assert summary["human_seconds"] == pytest.approx(40.0)
    assert summary["env_steps"] >= 1024 and summary["teacher_params"]["eps"] == 0.1
    lines = (out / "curve.csv").read_text().splitlines()
    assert lines[0].startswith("env_steps,episodes,feedback_count,human_seconds,return")
    assert len(lines) >= 3
    assert (out / "agent" / "learner.json").exists()
    assert not (out / "agent" / "learner.zip").exists()
    # SB3's logger: the learner's train/... beside the reward model's reward/...
    import csv

    rows = list(csv.DictReader((out / "logs" / "progress.csv").open()))
    keys = set(rows[0])
    for key in (
        "reward/labels_asked",
        "reward/labels_answered",
        "reward/val_accuracy",
        "reward/val_loss",
        "reward/l2_coef",
        "reward/learned_return",
        "reward/true_return",
        "train/policy_loss",
    ):
        assert key in keys, key
    last = rows[-1]
    assert float(last["reward/labels_answered"]) == 10.0 == float(last["reward/labels_asked"])
    assert 0.0 <= float(last["reward/val_accuracy"]) <= 1.0
    monitor = (out / "logs" / "monitor.csv").read_text().splitlines()
    assert monitor[0].startswith("#") and monitor[1] == "r,l,t"  # SB3's monitor format
    episodes = list(csv.DictReader(monitor[1:]))
    assert len(episodes) == summary["episodes"]
    assert all(float(e["r"]) == float(e["l"]) for e in episodes)  # true CartPole returns
    with np.load(out / "logs" / "evaluations.npz") as saved:  # SB3 EvalCallback's format
        points = [line.split(",") for line in lines[1:]]  # the curve's, then the final one
        assert saved["results"].shape == (len(points), 2) == saved["ep_lengths"].shape
        np.testing.assert_allclose(saved["results"].mean(axis=1), [float(p[4]) for p in points])
        assert saved["timesteps"].tolist() == [int(p[0]) for p in points]
        assert saved["final_results"].shape == (1, 2)
        assert saved["final_results"].mean() == pytest.approx(summary["eval_return_mean"])
        np.testing.assert_array_equal(saved["ep_lengths"], saved["results"])  # CartPole: +1/step
    if importlib.util.find_spec("tensorboard") is not None:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        events = EventAccumulator(str(out / "logs"))
        events.Reload()
        tags = set(events.Tags()["scalars"])
        assert {"reward/labels_asked", "reward/val_accuracy", "train/policy_loss"} <= tags
        assert events.Scalars("reward/labels_answered")[-1].value == 10.0
    assert main(["train", "preference", "--env", "CartPole-v1", "--teacher", "perfect"]) == 2


def test_learning_in_chunks_asks_the_random_share_once():
    agent = cartpole()
    queue = QueryQueue(max_pending=50)
    agent.learn(256, source=queue, labels=8)
    asked = agent.labels_requested
    assert asked >= 2 and queue.pending() == asked  # nobody answered: training went on
    agent.learn(256, source=queue, labels=0)
    assert agent.labels_requested == asked  # no second random-policy batch


def test_labels_that_all_tie_leave_the_learners_reward_at_zero():
    """Acrobot's random clips all run on, so the oracle answers "equal" to every pair: the
    ensemble is fitted, but its reward is not turned on (normalising a constant fit would
    turn its noise into a unit-variance reward; with a learner built, the learner explores on
    state entropy meanwhile) until a label prefers one clip."""
    cfg = PreferenceConfig(device="cpu", n_envs=2, segment_length=10, reward_train=FAST_REWARD)
    agent = PreferenceAgent("Acrobot-v1", config=cfg, seed=0)
    agent.collect_random(200)
    source = TeacherLabels(make_teacher("oracle", "Acrobot-v1", 0))
    agent.ask(agent.select_queries(6), source)
    agent.absorb(source)
    assert len(agent.labels) == 6 and all(p.label == 0.5 for p in agent.labels)
    assert agent.fits == 1 and not agent.labels.decisive() and not agent.reward.trained
    clip = next(iter(agent.labels)).left
    assert not np.any(agent.reward(clip.obs, clip.actions))
    energy = TeacherLabels(make_teacher("progress", "Acrobot-v1", 0))  # ranks them by energy
    agent.ask(agent.select_queries(6), energy)
    agent.absorb(energy)
    assert agent.labels.decisive() and agent.reward.trained
    assert np.any(agent.reward(clip.obs, clip.actions))


def test_a_learner_explores_on_state_entropy_while_every_label_ties():
    agent = PreferenceAgent("Acrobot-v1", config=fast_config(), seed=0)
    agent.learn(512, make_teacher("oracle", "Acrobot-v1", 0), labels=4)
    assert agent.fits >= 1 and not agent.labels.decisive()  # no random clip reached the goal
    assert agent.reward.explore is not None and not agent.reward.trained
    clip = next(iter(agent.labels)).left
    assert np.any(agent.reward(clip.obs, clip.actions) > 0)  # distances to recent states


def test_tie_exploration_survives_a_save_and_load(tmp_path):
    agent = PreferenceAgent("Acrobot-v1", config=fast_config(), seed=0)
    agent.learn(512, make_teacher("oracle", "Acrobot-v1", 0), labels=4)
    assert agent.reward.explore is not None and not agent.labels.decisive()
    agent.save(tmp_path / "agent")
    loaded = PreferenceAgent.load(tmp_path / "agent")
    assert loaded.reward.explore is not None and not loaded.reward.trained
    loaded.learn(256, make_teacher("oracle", "Acrobot-v1", 0), labels=0)
    clip = next(iter(loaded.labels)).left
    assert np.any(loaded.reward(clip.obs, clip.actions) > 0)  # distances to recent states


def test_training_and_loading_make_no_sb3_folders_in_the_temp_dir(tmp_path, monkeypatch):
    """SB3 gives a model without a logger one that makes ``SB3-<time>`` in the temp dir on
    every ``learn``; the learners hfrl builds log to a logger with no outputs instead."""
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    agent = PreferenceAgent("CartPole-v1", config=fast_config(), seed=0)
    agent.learn(256, make_teacher("oracle", "CartPole-v1", 0), labels=2)
    agent.save(tmp_path / "agent")
    PreferenceAgent.load(tmp_path / "agent").learn(
        128, make_teacher("oracle", "CartPole-v1", 0), labels=0
    )
    assert not list(temp.glob("SB3-*"))
