"""A preference agent's folder from someone else runs no code when loaded (issue 12, item 1).

Each test plants a pickle payload (an object whose unpickling creates a marker file) where
SB3's ``load`` or a plain ``torch.load`` would run it, loads the agent, and checks the marker
was never created. The first test shows the payload does run under SB3's own ``load``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hfrl.agents.preference import PreferenceAgent
from hfrl.agents.preference.config import PreferenceConfig

from hfrl.errors import HfrlError
from hfrl.teachers.presets import make_teacher


class Payload:
    """Unpickling this creates ``marker``: the stand-in for someone else's code."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(autouse=True)
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def _trained(tmp_path_factory) -> tuple[Path, PreferenceAgent]:
    """One small trained agent, saved once; tests copy its folder."""
    directory = tmp_path_factory.mktemp("saved") / "agent"
    torch.set_num_threads(1)
    cfg = PreferenceConfig(
        device="cpu",
        n_envs=2,
        segment_length=10,
        keep_frames=True,
        reward_train={"epochs": 2, "min_steps": 5},
        learner_kwargs={"n_steps": 32, "batch_size": 64, "n_epochs": 1},
    )
    agent = PreferenceAgent("CartPole-v1", config=cfg, seed=1)
    agent.learn(256, make_teacher("oracle", "CartPole-v1", 0), labels=4)
    agent.save(directory)
    return directory, agent


@pytest.fixture
def saved(_trained, tmp_path):
    """A copy of the trained agent's folder at ``tmp_path / "a"``, and the agent."""
    directory, agent = _trained
    shutil.copytree(directory, tmp_path / "a")
    return agent


def _make_legacy(directory: Path, agent: PreferenceAgent, marker: Path) -> Path:
    """Turn a saved agent into one saved before learner.json: an SB3 zip with a payload."""
    for name in ("learner.json", "learner_policy.pt", "learner_optimizers.pt"):
        (directory / name).unlink()
    clean = directory / "clean.zip"
    agent.model.save(clean)
    bad = directory / "learner.zip"
    with zipfile.ZipFile(clean) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.namelist():
            data = src.read(item)
            if item == "data":
                fields = json.loads(data)
                blob = base64.b64encode(pickle.dumps(Payload(marker))).decode()
                fields["policy_class"] = {":type:": "<class 'type'>", ":serialized:": blob}
                data = json.dumps(fields).encode()
            dst.writestr(item, data)
    clean.unlink()
    return bad


def _policy_weights(agent: PreferenceAgent) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in agent.model.policy.state_dict().items()}


def test_legacy_zip_payload_runs_under_sb3_load_but_not_ours(saved, tmp_path):
    agent = saved
    marker = tmp_path / "pwned"
    bad = _make_legacy(tmp_path / "a", agent, marker)
    # the planted payload is real: SB3's own load runs it
    from stable_baselines3 import PPO

    with contextlib.suppress(Exception):
        PPO.load(bad, device="cpu")
    assert marker.exists()
    marker.unlink()

    back = PreferenceAgent.load(tmp_path / "a")
    assert not marker.exists()
    for key, value in _policy_weights(agent).items():  # weights read from policy.pth
        torch.testing.assert_close(back.model.policy.state_dict()[key], value)
    obs = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    assert [back.act(o, greedy=True) for o in obs] == [agent.act(o, greedy=True) for o in obs]
    back.learn(128, make_teacher("oracle", "CartPole-v1", 1), labels=2)
    assert not marker.exists()


def test_a_payload_in_the_weights_is_refused(saved, tmp_path):
    agent = saved
    marker = tmp_path / "pwned"
    torch.save({"policy": Payload(marker)}, tmp_path / "a" / "learner_policy.pt")
    with pytest.raises(HfrlError, match="not a weights-only tensor file"):
        PreferenceAgent.load(tmp_path / "a")
    assert not marker.exists()
    # a legacy zip whose policy.pth is the payload: refused too
    _make_legacy(tmp_path / "a", agent, marker)
    bad = tmp_path / "a" / "learner.zip"
    members = {}
    with zipfile.ZipFile(bad) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    evil = tmp_path / "evil.pth"
    torch.save(Payload(marker), evil)
    members["policy.pth"] = evil.read_bytes()
    with zipfile.ZipFile(bad, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(HfrlError, match="refusing to load"):
        PreferenceAgent.load(tmp_path / "a")
    assert not marker.exists()


def test_a_payload_in_the_optimizer_file_is_skipped(saved, tmp_path):
    agent = saved
    marker = tmp_path / "pwned"
    torch.save({"policy.optimizer": Payload(marker)}, tmp_path / "a" / "learner_optimizers.pt")
    back = PreferenceAgent.load(tmp_path / "a")  # weights loaded, fresh optimizer
    assert not marker.exists()
    for key, value in _policy_weights(agent).items():
        torch.testing.assert_close(back.model.policy.state_dict()[key], value)


@pytest.mark.parametrize("where", ["preference_agent.json", "learner.json"])
def test_a_module_path_as_learner_name_is_refused(saved, tmp_path, where):
    path = tmp_path / "a" / where
    state = json.loads(path.read_text())
    state["learner" if where == "preference_agent.json" else "name"] = "os:system"
    path.write_text(json.dumps(state))
    with pytest.raises(HfrlError, match="unknown learner 'os:system'"):
        PreferenceAgent.load(tmp_path / "a")


def test_saved_files_load_weights_only(saved, tmp_path):
    d = tmp_path / "a"
    assert not (d / "learner.zip").exists()
    for path in [*d.glob("*.pt"), *d.glob("reward/*.pt")]:
        assert isinstance(torch.load(path, weights_only=True), dict), path
    info = json.loads((d / "learner.json").read_text())
    assert info["name"] == "ppo" and info["args"]["n_steps"] == 32


def test_compare_session_resume_runs_no_payload(saved, tmp_path, monkeypatch):
    """The reported case: resuming a planted ``hfrl compare --session NAME --dir DIR``."""
    from hfrl.human_ui.launch import compare_session
    from hfrl.human_ui.session import SessionPaths

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    paths = SessionPaths(tmp_path, "S")
    with compare_session("CartPole-v1", paths, teacher="oracle", seed=1) as first:
        assert not first.resumed
    agent = saved
    shutil.rmtree(paths.agent_dir, ignore_errors=True)
    shutil.copytree(tmp_path / "a", paths.agent_dir)
    marker = tmp_path / "pwned"
    _make_legacy(paths.agent_dir, agent, marker)
    with compare_session("CartPole-v1", paths, teacher="oracle", seed=1) as launched:
        assert launched.resumed and launched.loaded
        assert not marker.exists()
        obs = np.zeros(4, dtype=np.float32)
        assert launched.app.agent.act(obs, greedy=True) == agent.act(obs, greedy=True)
    assert not marker.exists()
