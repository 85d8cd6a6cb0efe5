"""The parts the live-feedback agents share: the update worker, space checks, save helpers."""

from __future__ import annotations

import threading

import gymnasium as gym
import numpy as np
import pytest
import torch
from hfrl.agents.background import UpdateWorker
from hfrl.agents.common import (
    check_vector_obs,
    check_vector_or_frames,
    greedy_choice,
    load_meta,
    space_from_dict,
    space_to_dict,
)
from hfrl.agents.deep_coach import DeepCoach
from hfrl.agents.deep_nets import ObsNet
from hfrl.agents.deep_tamer import DeepTamer

from hfrl.errors import HfrlError


def _net() -> torch.nn.Module:
    return torch.nn.Linear(2, 2)


def _bump(net: torch.nn.Module, log: list) -> object:
    """A train function: logs the job and moves the weights by one."""

    def train(job: object) -> None:
        log.append(job)
        with torch.no_grad():
            net.weight += 1.0

    return train


def test_inline_worker_runs_jobs_in_order_on_run():
    net, log = _net(), []
    worker = UpdateWorker(net, _bump(net, log), "off", 1.0, "test")
    for j in range(5):
        worker.put(j)
    assert worker.pending == 5 and log == []
    worker.run()
    assert log == [0, 1, 2, 3, 4] and worker.pending == 0
    assert not worker.threaded and worker.act_net is net


def test_auto_worker_moves_to_the_thread_after_slow_limit_slow_runs():
    net, log = _net(), []
    worker = UpdateWorker(net, _bump(net, log), "auto", 0.0, "test", slow_limit=3)
    for k in range(3):
        assert not worker.threaded
        worker.put(k)
        worker.put(k)
        worker.run()  # a slow call still runs all the jobs queued before it
        assert log == [j for j in range(k + 1) for _ in range(2)]
    assert worker.threaded and worker.slow_updates == 3
    worker.put(3)
    worker.wait()
    assert log[-1] == 3 and worker.pending == 0
    worker.close()
    assert not worker.threaded and worker.act_net is net


def test_thread_skips_optional_jobs_beyond_the_backlog_but_never_required_ones():
    net, log = _net(), []
    started, release = threading.Event(), threading.Event()
    bump = _bump(net, log)

    def train(job: object) -> None:
        if job == "block":
            started.set()
            release.wait(10)
        bump(job)

    worker = UpdateWorker(
        net, train, "on", 1.0, "test", optional=lambda j: j is None, max_optional=2
    )
    worker.put("block")
    assert started.wait(10)
    for job in [None, "a", None, None, "b", None, None]:
        worker.put(job)
    release.set()
    worker.wait()
    assert log == ["block", None, "a", None, "b"] and worker.skipped == 3
    # the acting snapshot is a separate copy, refreshed after every job
    assert worker.act_net is not net
    assert torch.equal(worker.act_net.weight, net.weight)
    worker.close()


def test_thread_failure_surfaces_on_the_callers_side():
    def train(job: object) -> None:
        raise ValueError("boom")

    worker = UpdateWorker(_net(), train, "on", 1.0, "deep-test")
    worker.put(1)
    with pytest.raises(RuntimeError, match="deep-test update thread failed: boom"):
        worker.wait()
    worker.close()


def test_bad_worker_mode_is_a_user_error():
    with pytest.raises(HfrlError, match="test worker must be 'auto', 'on' or 'off'"):
        UpdateWorker(_net(), lambda job: None, "sometimes", 1.0, "test")


def test_greedy_choice_breaks_ties_at_random_only_among_the_best():
    rng = np.random.default_rng(0)
    values = np.array([1.0, 3.0, 3.0 - 1e-10, 2.0])
    picks = {greedy_choice(values, rng, 1e-9) for _ in range(50)}
    assert picks == {1, 2}
    assert greedy_choice(values, rng, 1e-12) == 1


def test_space_dict_round_trip_keeps_infinite_bounds():
    space = gym.make("CartPole-v1").observation_space
    data = space_to_dict(space)
    assert "inf" in data["high"] and data["shape"] == [4]
    back = space_from_dict(data)
    assert back == space
    frames = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    assert space_from_dict(space_to_dict(frames)) == frames


def test_space_checks_name_the_agent_to_use_instead():
    frames = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
    with pytest.raises(HfrlError, match="use deep-coach for image observations"):
        check_vector_obs("ALE/Pong-v5", frames, "coach", "deep-coach")
    with pytest.raises(HfrlError, match=r"vector states or \(C, H, W\) frame stacks"):
        check_vector_or_frames("X-v0", gym.spaces.Box(0, 1, (3, 4)), "deep-tamer")
    assert check_vector_or_frames("ALE/Pong-v5", frames, "deep-tamer") == (4, 84, 84)


def test_loading_from_an_empty_folder_says_what_is_missing(tmp_path):
    with pytest.raises(HfrlError, match="holds no saved deep-tamer agent"):
        load_meta(tmp_path, DeepTamer)


def test_both_deep_agents_keep_their_network_layout():
    """Save files name the same parameters as before the networks were shared."""
    cp = gym.make("CartPole-v1")
    keys = {"low", "span", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"}
    for cls in (DeepTamer, DeepCoach):
        agent = cls("CartPole-v1", cp.observation_space, cp.action_space)
        assert isinstance(agent.net, ObsNet)
        assert set(agent.net.state_dict()) == keys | {"head.4.weight", "head.4.bias"}
