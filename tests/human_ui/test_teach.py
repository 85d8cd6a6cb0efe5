"""Drive the live-rating app headless with posted key presses, as a person would."""

from __future__ import annotations

import time

import numpy as np
import pygame
import pytest
from hfrl.human_ui.keys import key_event
from hfrl.human_ui.teach import TeachApp
from ui_fakes import CountingAgent, make_env, teach_app

from hfrl.errors import HfrlError
from hfrl.types import Scalar


def press_at(schedule: dict[int, str]):
    """A before_frame hook posting ``schedule[frame]`` keys at those frames."""

    def hook(app: TeachApp) -> None:
        key = schedule.get(app.result.frames)
        if key is not None:
            pygame.event.post(key_event(key, posted_at=time.monotonic()))

    return hook


def test_keys_become_stored_scalars_given_to_the_agent(store_session, new_teach_app, tmp_path):
    store, session = store_session
    app = new_teach_app(fps=60, max_frames=130)
    agent = app.agent
    keys = {60: "/", 70: "z", 80: "?", 90: "Z", 100: "up", 110: "down"}
    t_start = time.monotonic()
    result = app.run(press_at(keys))
    t_end = time.monotonic()

    records = store.scalar_records(session)
    assert [r.scalar.value for r in records] == [1.0, -1.0, 10.0, -10.0, 1.0, -1.0]
    times = [r.scalar.t_wall for r in records]
    assert times == sorted(times) and t_start <= times[0] and times[-1] <= t_end
    # the step stamped is the global step counter at the press: frame k has made k steps
    assert [r.scalar.step for r in records] == list(keys)
    assert all(r.scalar.source == "human" and r.scalar.episode == 0 for r in records)
    # credit: steps shown 0.2-0.8 s (the default window) before the press, weights in (0, 1]
    for r in records:
        assert r.credit, "every press after 0.8 s of play credits some steps"
        steps = [s for s, _ in r.credit]
        assert max(steps) < r.scalar.step and all(0 < w <= 1 for _, w in r.credit)
        assert sum(w for _, w in r.credit) == pytest.approx(1.0, abs=0.05)
    # the agent got exactly the stored ratings, each handed over (latency measured per press;
    # how long it takes is the UI benchmark's business, not an assertion here)
    assert [s.value for s in agent.given] == [r.scalar.value for r in records]
    assert len(result.latency_ms) == len(records)
    assert result.ratings == 6 and result.ended_by == "max_frames"
    # it learnt from them, in the update thread, and was saved on the way out
    assert agent.threads == {"hfrl-learner"} and agent.updates > 0
    assert (tmp_path / "agent" / "h.json").exists()


def test_the_store_records_exactly_the_credit_the_agent_learns_from(store_session, new_teach_app):
    """One credit component: each stored rating's credited steps are the very Credit
    object the agent learnt from (a real TAMER agent, its own step history)."""
    import gymnasium as gym
    from hfrl.agents.tamer import Tamer

    store, session = store_session
    env = make_env()
    agent = Tamer("MountainCar-v0", env.observation_space, gym.spaces.Discrete(3))
    learnt = []
    learn = agent._learn
    agent._learn = lambda feedback, credit: (learnt.append(credit), learn(feedback, credit))
    app = new_teach_app(agent=agent, env=env, fps=60, max_frames=120)
    rated = []
    rate = app.loop.rate
    app.loop.rate = lambda *a, **k: rated.append(rate(*a, **k)) or rated[-1]
    app.run(press_at({60: "/", 80: "z", 100: "/"}))
    records = store.scalar_records(session)
    assert len(records) == len(learnt) == len(rated) == 3
    for r, credit, (scalar, returned) in zip(records, learnt, rated, strict=True):
        assert credit is returned  # the same object went to the store and to the agent
        assert r.scalar.t_wall == scalar.t_wall == credit.t_f
        assert list(r.credit) == [(k, pytest.approx(w)) for k, w in credit]
        assert credit and sum(w for _, w in credit) == pytest.approx(1.0, abs=0.05)
    assert agent.updates == 3 and np.abs(agent.weights).sum() > 0


def test_control_keys_pause_speed_reset_save_and_unknown(store_session, new_teach_app, tmp_path):
    _, session = store_session
    app = new_teach_app(fps=30, max_frames=60)
    seen: dict[str, object] = {}

    def hook(app: TeachApp) -> None:
        f = app.result.frames
        if f == 5:
            pygame.event.post(key_event("space"))
        if f == 15:
            seen["paused_steps"] = app.result.env_steps
            seen["paused"] = app.paused
            pygame.event.post(key_event(" "))
        if f == 16:
            pygame.event.post(key_event("+"))
        if f == 17:
            seen["faster"] = app.fps
            pygame.event.post(key_event("-"))
            pygame.event.post(key_event("-"))
        if f == 18:
            seen["slower"] = app.fps
            pygame.event.post(key_event("+"))
            pygame.event.post(key_event("r"))
        if f == 19:
            seen["episode"] = app.episode
            pygame.event.post(key_event("q"))
            pygame.event.post(key_event("s"))
        if f == 20:
            seen["notice"] = app.notice[0] if app.notice else ""
        if f == 40:
            pygame.event.post(key_event("escape"))

    result = app.run(hook)
    assert seen["paused"] is True and seen["paused_steps"] == 5  # no steps while paused
    assert seen["faster"] == 45 and seen["slower"] == 20
    assert seen["episode"] == 1 and app.ep_step < 25
    assert "saving" in str(seen["notice"]) or "'q'" in str(seen["notice"])
    assert result.ended_by == "quit" and result.frames == 41
    assert result.ratings == 0 and session.counts()["scalars"] == 0  # unknown key: nothing stored
    assert (tmp_path / "agent" / "h.json").exists()


def test_unknown_key_is_shown_not_stored(store_session, new_teach_app):
    _, session = store_session
    app = new_teach_app(fps=60, max_frames=8)
    notices = []
    app.run(
        lambda a: (
            pygame.event.post(key_event("q")) if a.result.frames == 2 else notices.append(a.notice)
        )
    )
    assert any(n and "'q' does nothing" in n[0] for n in notices)
    assert session.counts()["scalars"] == 0


def test_window_close_saves_and_keeps_every_rating(store_session, new_teach_app, tmp_path):
    _, session = store_session
    app = new_teach_app(fps=60, max_frames=200)
    agent = app.agent

    def hook(app: TeachApp) -> None:
        if app.result.frames == 3:
            pygame.event.post(key_event("/"))
            pygame.event.post(pygame.event.Event(pygame.QUIT))  # closed in the same frame

    result = app.run(hook)
    assert result.ended_by == "quit" and result.frames == 4
    assert session.counts()["scalars"] == 1 and len(agent.given) == 1
    assert CountingAgent.load(tmp_path / "agent").h.sum() == agent.h.sum()


def test_slow_learning_never_freezes_the_window_nor_loses_ratings(store_session, new_teach_app):
    _, session = store_session
    agent = CountingAgent(3, update_seconds=0.06)  # two frames' worth of work per update
    app = new_teach_app(agent=agent, fps=30, max_frames=45)
    result = app.run(press_at({f: "/" for f in range(5, 40, 3)}))
    # learning held the agent and the env waited, while the window kept drawing every frame
    # (frame times are measured by experiments/benchmarks/ui_frame_times.py, not asserted here)
    assert result.stalled_frames > 0 and result.frames == 45
    assert session.counts()["scalars"] == 12 == len(agent.given)


def test_env_without_frames_gets_a_clear_error(new_teach_app):
    env = make_env("CartPole-v1", render_mode=None)
    app = new_teach_app(agent=CountingAgent(2), env=env, max_frames=3)
    with pytest.raises(HfrlError, match="no colour frame"):
        app.run()


class EveryFifthStep:
    """A simulated teacher: +1 for action 2, -1 otherwise, on every 5th step, at once."""

    name = "fifth"

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def rate(self, step):
        if step.step % 5:
            return None
        value = 1.0 if step.action == 2 else -1.0
        self.stamps.append(step.t_wall)
        return Scalar(value, step.t_wall, step.step, step.episode, self.name)


def test_demo_teacher_presses_keys_in_the_same_window(store_session, new_teach_app):
    _, session = store_session
    app = new_teach_app(teacher=(teacher := EveryFifthStep()), fps=60, max_frames=120)
    agent = app.agent
    result = app.run()
    rows = session.scalars()
    assert len(rows) >= 15 and result.ratings == len(rows)
    assert {r.source for r in rows} == {"fifth"}
    # each press is made when its rating arrives, never before: within a frame after
    for row, stamp in zip(rows, teacher.stamps, strict=False):
        assert stamp <= row.t_wall < stamp + 0.25
    # the teacher rewarded action 2 and punished the others: the agent now prefers 2
    assert int(np.argmax(agent.h)) == 2 and agent.h[2] > 0


def test_tamer_learns_the_rewarded_action(store_session, new_teach_app):
    """A person who rewards 'push right' and punishes the rest, 0.5 s after seeing it."""
    from hfrl.agents.tamer import Tamer

    _, session = store_session
    env = make_env()
    agent = Tamer("MountainCar-v0", env.observation_space, env.action_space, seed=0)
    app = new_teach_app(agent=agent, env=env, fps=60, max_frames=300)
    shown: list[tuple[float, int | None]] = []

    def person(app: TeachApp) -> None:
        now = time.monotonic()
        shown.append((now, app.last_action))
        if app.result.frames % 6 == 0:
            seen = [a for t, a in shown if t <= now - 0.5]
            if seen and seen[-1] is not None:
                pygame.event.post(key_event("/" if seen[-1] == 2 else "z"))

    app.run(person)
    actions = [a for _, a in shown if a is not None]
    assert session.counts()["scalars"] >= 30
    assert np.mean(np.asarray(actions[-100:]) == 2) > np.mean(np.asarray(actions[:100]) == 2)
    assert np.mean(np.asarray(actions[-100:]) == 2) > 0.8
    prefs = agent.action_preferences(app.obs)
    assert int(np.argmax(prefs)) == 2


def test_resume_loads_the_agent_and_counts_earlier_ratings(store_session, tmp_path):
    from hfrl.human_ui.session import SessionPaths, load_or_build_agent, open_session

    store, _session = store_session
    store.close()
    paths = SessionPaths(tmp_path / "root", "s1")
    env = make_env()
    meta = {"app": "teach", "agent": "tamer", "env_id": "MountainCar-v0"}
    store1, s1 = open_session(paths, meta)
    agent, loaded = load_or_build_agent("tamer", env, "MountainCar-v0", 0, paths.agent_dir)
    assert not loaded and not s1.resumed
    teach_app(s1, paths.agent_dir, agent=agent, env=env, fps=60, max_frames=80).run(
        press_at({f: "z" for f in range(30, 80, 5)})
    )
    store1.close()
    store2, s2 = open_session(paths, meta)
    again, loaded = load_or_build_agent("tamer", env, "MountainCar-v0", 0, paths.agent_dir)
    obs, _ = env.reset(seed=3)
    assert loaded and s2.resumed and s2.counts()["scalars"] == 10
    np.testing.assert_allclose(again.action_preferences(obs), agent.action_preferences(obs))
    app = teach_app(s2, paths.agent_dir, agent=again, env=env, max_frames=1)
    assert app.prior_ratings == 10
    store2.close()
    with pytest.raises(HfrlError, match="was made with"):
        open_session(paths, {**meta, "agent": "coach"})


def test_screenshot_is_written(new_teach_app, tmp_path):
    app = new_teach_app(fps=60, max_frames=5)
    app.run(press_at({2: "/"}))
    path = app.screenshot(tmp_path / "shots" / "teach.png")
    img = pygame.surfarray.array3d(pygame.image.load(str(path)))
    assert img.shape[0] >= 600 and img.std() > 20


@pytest.mark.parametrize("name", ["deep-tamer", "deep-coach"])
def test_deep_agents_learn_in_their_own_thread_in_the_app(name, store_session, new_teach_app):
    """The app builds them with worker='on': no SGD step runs under the app's agent lock."""
    from hfrl.human_ui.session import build_agent

    _, session = store_session
    env = make_env("CartPole-v1")
    agent = build_agent(name, env, "CartPole-v1", seed=0)
    assert agent.config.worker == "on" and agent.threaded
    app = new_teach_app(agent=agent, env=env, fps=60, max_frames=60)
    keys = press_at({f: "/" if f % 2 else "z" for f in range(30, 60, 3)})
    threaded = []
    result = app.run(lambda a: (threaded.append(agent.threaded), keys(a)))
    assert all(threaded) and agent.updates > 0  # SGD steps ran, in the agent's thread
    assert result.ratings == 10 == session.counts()["scalars"] == agent.feedback_count
    assert not agent.threaded  # the app stopped the agent's thread on the way out
    assert (app.agent_dir / "agent.json").exists()


def test_headless_demo_on_a_simulated_clock_is_fast_and_reproducible(tmp_path, monkeypatch):
    """``simulated_clock``: max_seconds counts simulated seconds, frames do not wait, and
    the same seed gives the same ratings and the same agent."""
    from hfrl.human_ui.launch import teach_session
    from hfrl.human_ui.session import SessionPaths
    from hfrl.human_ui.teach import TeachConfig

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    runs = []
    for name in ("a", "b"):
        config = TeachConfig(fps=30, max_seconds=20, simulated_clock=True, autosave_seconds=1e9)
        with teach_session(
            "tamer", "MountainCar-v0", SessionPaths(tmp_path, name), config, "human"
        ) as s:
            result = s.app.run()
            records = s.app.session.store.scalar_records(s.app.session)
            runs.append((result, records, s.app.agent.weights.copy()))
    (ra, rec_a, w_a), (rb, rec_b, w_b) = runs
    assert ra.frames == rb.frames == 600 and ra.ended_by == "max_frames"  # 20 s at 30 fps
    assert len(rec_a) == len(rec_b) > 5
    assert [(r.scalar.t_wall, r.scalar.value, r.credit) for r in rec_a] == [
        (r.scalar.t_wall, r.scalar.value, r.credit) for r in rec_b
    ]
    assert all(0 < r.scalar.t_wall <= 20.0 + 1e-9 for r in rec_a)  # simulated seconds
    np.testing.assert_array_equal(w_a, w_b)
    assert np.abs(w_a).sum() > 0


def test_the_panel_shows_the_rated_steps_preferences_before_and_after(
    store_session, new_teach_app, tmp_path
):
    """A key press on TAMER (MountainCar): the panel's before/after bars for the
    most-credited step are the agent's Ĥ there just before and just after ``give``."""
    import gymnasium as gym
    from hfrl.agents.tamer import Tamer

    store, session = store_session
    env = make_env()
    agent = Tamer("MountainCar-v0", env.observation_space, gym.spaces.Discrete(3))
    app = new_teach_app(agent=agent, env=env, fps=60, max_frames=75, effect_seconds=60.0)
    measured: dict[str, np.ndarray] = {}
    give = agent.give

    def measured_give(feedback, credit=None):
        obs = app.effect.obs  # made by the app's rate() before the worker gives it
        measured["before"] = np.array(agent.action_preferences(obs), dtype=np.float64)
        give(feedback, credit)
        measured["after"] = np.array(agent.action_preferences(obs), dtype=np.float64)

    agent.give = measured_give
    shot = tmp_path / "teach_effect.png"
    seen: dict[str, object] = {}

    def hook(app: TeachApp) -> None:
        if app.result.frames == 60:
            pygame.event.post(key_event("/", posted_at=time.monotonic()))
        effect = app.effect
        if "drawn" not in seen and effect is not None and effect.after is not None:
            seen["drawn"] = app.result.frames  # drawn at the end of the previous frame
        if app.result.frames == 58:
            pygame.image.save(app.screen, str(tmp_path / "no_effect.png"))
        if app.result.frames == 72:
            pygame.image.save(app.screen, str(shot))

    app.run(hook)
    effect = app.effect
    assert effect is not None and "drawn" in seen
    records = store.scalar_records(session)
    assert len(records) == 1 and records[0].scalar.value == 1.0
    heaviest = max(w for _, w in records[0].credit)
    credited = dict(records[0].credit)
    assert effect.step in credited and credited[effect.step] == pytest.approx(heaviest)
    assert effect.weight == pytest.approx(heaviest)
    assert effect.value == 1.0
    np.testing.assert_array_equal(effect.before, measured["before"])
    np.testing.assert_array_equal(effect.after, measured["after"])
    # the rating moved Ĥ of the credited action up there (a first rating on zero weights)
    a = effect.action
    assert a is not None and effect.after[a] > effect.before[a]
    # the panel drew it: a screenshot with the effect has a solid "went up" bar (the
    # colour of a rise) that one taken before the rating lacks
    from hfrl.human_ui import draw

    def rise_pixels(path) -> int:
        panel = pygame.surfarray.array3d(pygame.image.load(str(path)))[app.frame_size[0] :]
        return int(np.all(panel == np.array(draw.GOOD), axis=-1).sum())

    assert shot.stat().st_size > 5000
    assert rise_pixels(shot) > rise_pixels(tmp_path / "no_effect.png") + 300


def test_a_deep_agents_after_values_come_once_its_update_has_run(store_session, new_teach_app):
    """Deep TAMER learns in its own thread: the panel's 'after' is read (by a frame's poll)
    only once the queued update from the rating has run, and it differs from 'before'."""
    from hfrl.human_ui.session import build_agent

    env = make_env("CartPole-v1")
    agent = build_agent("deep-tamer", env, "CartPole-v1", seed=0)
    assert agent.threaded
    app = new_teach_app(agent=agent, env=env, fps=60, max_frames=900, effect_seconds=60.0)
    measured: dict[str, np.ndarray] = {}
    give = agent.give

    def measured_give(feedback, credit=None):
        measured["before"] = np.array(agent.action_preferences(app.effect.obs), np.float64)
        measured["updates"] = agent.updates
        give(feedback, credit)

    agent.give = measured_give
    seen: dict[str, int] = {}

    def hook(app: TeachApp) -> None:
        if app.result.frames == 40:
            pygame.event.post(key_event("/", posted_at=time.monotonic()))
        effect = app.effect
        if "after_at" not in seen and effect is not None and effect.after is not None:
            seen["after_at"] = app.result.frames
            seen["updates"] = agent.updates
            pygame.event.post(key_event("escape"))

    result = app.run(hook)
    effect = app.effect
    assert result.ended_by != "max_frames" and "after_at" in seen, "the update never showed"
    assert effect is not None and effect.after is not None
    np.testing.assert_array_equal(effect.before, measured["before"])
    assert seen["updates"] > measured["updates"]  # an SGD step ran before 'after' was read
    assert not np.array_equal(effect.after, effect.before)


def test_ratings_given_while_the_agent_loads_are_stored_then_given_to_it(
    store_session, new_teach_app
):
    """A loading start: the env steps with a warm-up policy from the first frame, a key
    press is in the store before the agent's module is even imported, and the agent gets
    it (with its stored credit) when it attaches; later presses reach it directly."""
    import threading

    import gymnasium as gym
    from hfrl.human_ui.startup import AgentLoader
    from hfrl.human_ui.warm_up import WarmUpPolicy

    store, session = store_session
    env = make_env()
    events: list[str] = []
    release = threading.Event()

    def build():
        release.wait(60)
        events.append("agent module imported")
        from hfrl.agents.tamer import Tamer

        return Tamer("MountainCar-v0", env.observation_space, gym.spaces.Discrete(3))

    loader = AgentLoader(build, seed=0, sb3=False)
    warm = WarmUpPolicy(env.action_space, "tamer", "MountainCar-v0", seed=0)
    app = new_teach_app(agent=warm, env=env, fps=60, max_frames=3000)
    app.loader = loader
    seen: dict[str, int] = {}

    def hook(app: TeachApp) -> None:
        f = app.result.frames
        if f == 40:
            pygame.event.post(key_event("/", posted_at=time.monotonic()))
        if f == 41:
            if len(store.scalar_records(session)) == 1:
                events.append("rating stored")
            seen["steps_before"] = app.result.env_steps
            release.set()
        if app.attached and "attached_at" not in seen:
            seen["attached_at"] = f
            seen["attach_step"] = app.global_step
        if seen.get("attached_at") == f - 5:
            pygame.event.post(key_event("z", posted_at=time.monotonic()))
        if seen.get("attached_at") == f - 10:
            pygame.event.post(key_event("escape"))

    result = app.run(hook)
    agent = app.agent
    assert events == ["rating stored", "agent module imported"]
    assert seen["steps_before"] == 41  # the env stepped while the agent loaded
    assert result.ended_by != "max_frames" and app.attached
    records = store.scalar_records(session)
    assert [r.scalar.value for r in records] == [1.0, -1.0]
    assert records[0].credit  # credited over the steps shown while loading
    # a press just after the agent attached credits steps shown while it loaded too
    assert min(k for k, _ in records[1].credit) < seen["attach_step"]
    assert agent.feedback_count == 2 and agent.updates == 2  # both ratings, once each
    assert np.abs(agent.weights).sum() > 0
    assert (app.agent_dir / "agent.json").exists()
