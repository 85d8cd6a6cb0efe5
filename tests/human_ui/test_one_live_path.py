"""One live path (issue 10): the teach app driven by scripted key presses and ``hfrl train``
fed the same ratings at the same simulated times record the same credited steps and end
with the same agent weights (TAMER and Deep TAMER).

Both sides run the agent's actions from one scripted sequence (so the two envs see the same
trajectory whatever the threads' timing) and a :class:`~hfrl.clock.SimClock` at 30 fps: the
app's clock ticks once per frame, as the headless loop's ticks once per step.
"""

from __future__ import annotations

import itertools

import numpy as np
import pygame
import pytest
import torch
from hfrl.agents.builder import build_agent
from hfrl.envs.make import make
from hfrl.human_ui.keys import key_event
from hfrl.human_ui.teach import TeachApp, TeachConfig

from hfrl.clock import SimClock
from hfrl.training.results import RunRecorder
from hfrl.training.scalar_loop import ScalarRunConfig, run_scalar_training
from hfrl.types import Scalar

ENV = "MountainCar-v0"
FPS = 30.0
FRAMES = 150
KEYS = {40: "/", 55: "z", 70: "/", 85: "/", 100: "z", 115: "/", 130: "z", 145: "/"}
"""Frame -> key: rewards and punishments from 1.3 s on (the window reaches back 0.8 s)."""
SETTINGS = {
    "tamer": {},
    "deep-tamer": {"worker": "off", "device": "cpu", "replay_every": 10**9},
}
"""Deep TAMER: inline updates, rating updates only (replays are scheduled by observe, which
the app defers to its worker thread, so their order among the rating updates is timing)."""


def _agent(name: str, env) -> object:
    torch.manual_seed(0)
    agent = build_agent(
        name, ENV, env.observation_space, env.action_space, 0, SETTINGS[name], env=env
    )
    scripted = itertools.cycle([2] * 9 + [0] * 7 + [1] * 3)  # pumping-ish, not learnt
    act = agent.act
    agent.act = lambda obs, greedy=False: act(obs, greedy=True) if greedy else next(scripted)
    return agent


def _weights(agent) -> list[np.ndarray]:
    if hasattr(agent, "weights"):
        return [agent.weights.copy()]
    return [p.detach().numpy().copy() for p in agent.net.parameters()]


class _ScheduledTrainer:
    """Gives the app's ratings, at the app's times, to the headless loop."""

    name = "scheduled"

    def __init__(self, ratings: list[Scalar]) -> None:
        self._left = list(ratings)

    def rate(self, step) -> Scalar | None:
        return self._left.pop(0) if self._left else None


class _ScriptedApp(TeachApp):
    def _budget_left(self) -> float:
        return 30.0  # a script waits for the agent turn: no stalled frames, whatever the load


@pytest.mark.parametrize("name", list(SETTINGS))
def test_app_and_hfrl_train_credit_the_same_steps_and_learn_the_same(name, store_session, tmp_path):
    store, session = store_session
    env = make(ENV, seed=0, render_mode="rgb_array")
    app_agent = _agent(name, env)
    clock = SimClock(FPS)
    app = _ScriptedApp(
        app_agent,
        env,
        ENV,
        session,
        tmp_path / "agent",
        TeachConfig(fps=240, max_frames=FRAMES, autosave_seconds=1e9),
        clock=clock,
    )

    def before_frame(a: TeachApp) -> None:
        clock.tick()
        key = KEYS.get(a.result.frames + 1)
        if key is not None:
            pygame.event.post(key_event(key))

    result = app.run(before_frame)
    assert result.stalled_frames == 0 and result.env_steps == FRAMES
    records = store.scalar_records(session)
    assert len(records) == len(KEYS)

    # hfrl train's loop, fed the same ratings at the same simulated times
    sim_agent = _agent(name, make(ENV, seed=0))
    credits = []
    credit_of = sim_agent.credit
    sim_agent.credit = lambda scalar: credits.append(credit_of(scalar)) or credits[-1]
    ratings = [Scalar(r.scalar.value, r.scalar.t_wall, r.scalar.step, 0) for r in records]
    config = ScalarRunConfig(
        name, ENV, "scheduled", seed=0, steps=FRAMES, fps=FPS, eval_episodes=1, progress=False
    )
    run_scalar_training(
        config, RunRecorder(tmp_path / "train"), agent=sim_agent, teacher=_ScheduledTrainer(ratings)
    )
    assert len(credits) == len(records)
    for stored, credit in zip(records, credits, strict=True):
        assert [k for k, _ in stored.credit] == [k for k, _ in credit]  # the same steps ...
        assert [w for _, w in stored.credit] == pytest.approx([w for _, w in credit], abs=1e-12)
        assert len(credit) > 0
    for a, b in zip(_weights(app_agent), _weights(sim_agent), strict=True):  # ... same weights
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert np.abs(_weights(sim_agent)[0]).sum() > 0  # and they did learn
