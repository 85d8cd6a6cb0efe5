"""make(): every suite id passes Gymnasium's env checker, renders headless, keeps the true reward."""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env, env_render_passive_checker
from hfrl.envs.atari import area_weights
from hfrl.envs.make import ATARI_FPS, action_kind, env_fps, make
from hfrl.envs.suites import SUITES

from hfrl.errors import HfrlError, MissingExtraError, UnknownNameError

NON_ATARI = SUITES["classic"] + SUITES["mujoco"]

# make() wraps envs on purpose; the checker warns about any wrapper.
pytestmark = pytest.mark.filterwarnings("ignore:.*different from the unwrapped:UserWarning")


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    """MuJoCo writes MUJOCO_LOG.TXT into the working directory on model warnings."""
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("env_id", NON_ATARI + SUITES["atari"])
def test_env_checker_and_headless_frame(env_id):
    env = make(env_id, seed=0)
    # MuJoCo's "human" mode needs a display, so the checker's loop over every declared
    # render mode is skipped there; rgb_array is checked explicitly below for all.
    check_env(env, skip_render_check=env_id in SUITES["mujoco"])
    env.reset(seed=1)
    env_render_passive_checker(env)
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    assert frame.shape[0] >= 100 and frame.shape[1] >= 100
    assert frame.std() > 0  # not a blank image
    env.close()


def test_atari_learner_view_and_colour_frame():
    env = make("ALE/Pong-v5", seed=0)
    assert env.observation_space.shape == (4, 84, 84)
    assert env.observation_space.dtype == np.uint8
    obs, _ = env.reset()
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    for _ in range(5):
        obs, reward, _, _, info = env.step(env.action_space.sample())
        assert info["true_reward"] == reward
    assert obs.shape == (4, 84, 84)
    assert not np.array_equal(obs[0], obs[-1]) or obs.std() > 0
    frame = env.render()
    assert frame.shape == (210, 160, 3) and frame.dtype == np.uint8
    # full colour: the channels differ somewhere
    assert np.abs(frame[..., 0].astype(int) - frame[..., 1].astype(int)).max() > 0
    env.close()


def test_atari_reward_kept_true_and_unclipped():
    """Pong under a random policy loses points: the step reward and the info match, -1 each."""
    env = make("ALE/Pong-v5", seed=3, max_episode_steps=100)
    env.reset()
    rewards, infos_true = [], []
    done = False
    while not done:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        rewards.append(reward)
        infos_true.append(info["true_reward"])
        done = terminated or truncated
    assert truncated and len(rewards) == 100  # time limit counts agent steps
    assert rewards == infos_true
    assert min(rewards) == -1.0
    assert info["true_episode_return"] == pytest.approx(sum(rewards))
    assert info["true_episode_length"] == 100


def test_atari_grey_view_matches_the_screen():
    """The newest stacked frame is the area-resized grey screen (max-pooled)."""
    env = make("ALE/Breakout-v5", seed=0)
    obs, _ = env.reset()
    ale = env.unwrapped.ale
    grey = ale.getScreenGrayscale().astype(np.float32)
    expected = np.rint(area_weights(210, 84) @ grey.astype(np.float64) @ area_weights(160, 84).T)
    assert np.abs(obs[-1].astype(int) - expected.astype(int)).max() <= 1


def test_area_weights_average_exactly():
    w = area_weights(4, 2)
    np.testing.assert_allclose(w, [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    w = area_weights(210, 84)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)


def test_true_reward_survives_reward_replacing_wrapper():
    env = gym.wrappers.TransformReward(make("CartPole-v1", seed=0), lambda r: -7.0)
    env.reset()
    total, done, steps = 0.0, False, 0
    while not done:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert reward == -7.0 and info["true_reward"] == 1.0
        total += info["true_reward"]
        steps += 1
        done = terminated or truncated
    assert info["true_episode_return"] == total == steps


def test_seed_makes_first_reset_reproducible():
    a, b = make("LunarLander-v3", seed=5), make("LunarLander-v3", seed=5)
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])
    assert a.action_space.sample() == b.action_space.sample()
    np.testing.assert_array_equal(a.reset(seed=9)[0], b.reset(seed=9)[0])
    c = make("LunarLander-v3", seed=6)
    assert not np.array_equal(make("LunarLander-v3", seed=5).reset()[0], c.reset()[0])


def test_max_episode_steps_classic():
    env = make("CartPole-v1", max_episode_steps=3, seed=0)
    env.reset()
    for _ in range(3):
        *_, terminated, truncated, _ = env.step(1)
    assert terminated or truncated


@pytest.mark.parametrize(
    ("bad", "suggestion"),
    [("CartPole-v2", "CartPole-v1"), ("ALE/Pongg-v5", "ALE/Pong-v5"), ("hopper-v5", "Hopper-v5")],
)
def test_unknown_id_suggests_close_matches(bad, suggestion):
    with pytest.raises(UnknownNameError) as err:
        make(bad)
    assert isinstance(err.value, HfrlError)
    assert "Did you mean" in str(err.value) and suggestion in str(err.value)


@pytest.mark.parametrize(
    ("env_id", "module", "extra"),
    [("LunarLander-v3", "Box2D", "box2d"), ("Hopper-v5", "mujoco", "mujoco")],
)
def test_missing_extra_names_install_command(monkeypatch, env_id, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(MissingExtraError) as err:
        make(env_id)
    assert f"pip install 'hfrl[{extra}]'" in str(err.value)
    assert env_id in str(err.value)


def test_action_kind_and_fps():
    assert action_kind(make("CartPole-v1")) == "discrete"
    assert action_kind(make("Pendulum-v1")) == "continuous"
    assert env_fps("CartPole-v1") == 50
    assert env_fps("ALE/Pong-v5") == ATARI_FPS == 15
    assert env_fps("HalfCheetah-v5") == 20  # real time: dt = 0.05 s
    with pytest.raises(UnknownNameError):
        env_fps("ALE/Nope-v5")


def test_any_ale_game_by_id():
    env = make("ALE/MsPacman-v5", seed=0)
    obs, _ = env.reset()
    assert obs.shape == (4, 84, 84)
