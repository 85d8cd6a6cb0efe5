"""Converting sessions to and from imitation's preference dataset (npz arrays, no pickle)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from helpers_store import assert_segments_equal

from hfrl.cli import main
from hfrl.store import FeedbackStore
from hfrl.types import EQUAL, LEFT, RIGHT, Preference, Segment

T = 6


def imitation_like_file(path, n: int = 5) -> dict[str, np.ndarray]:
    """A dataset in imitation's layout: fixed T, T + 1 obs, soft labels, pickled infos."""
    rng = np.random.default_rng(0)
    arrays: dict[str, np.ndarray] = {}
    for prefix in ("fragments1", "fragments2"):
        arrays[f"{prefix}_obs"] = rng.normal(size=(n * (T + 1), 4)).astype(np.float32)
        arrays[f"{prefix}_acts"] = rng.integers(0, 2, size=n * T)
        arrays[f"{prefix}_rews"] = rng.normal(size=n * T).astype(np.float32)
        arrays[f"{prefix}_terminal"] = rng.random(n) < 0.3
        arrays[f"{prefix}_indices"] = np.arange(1, n) * T
        # imitation keeps info dicts as an object array: only pickle could load it
        arrays[f"{prefix}_infos"] = np.array([{"k": i} for i in range(n * T)], dtype=object)
    arrays["preferences"] = np.array([1.0, 0.0, 0.5, 0.9, 0.3], dtype=np.float32)[:n]
    np.savez(path, **arrays)  # allow_pickle=True by default: the infos are pickled
    return arrays


def test_imitation_to_hfrl_to_imitation(tmp_path, capsys):
    original = imitation_like_file(tmp_path / "prefs.npz")
    argv = ["import", str(tmp_path / "prefs.npz"), "--env", "CartPole-v1", "--as", "imi"]
    assert main([*argv, "--dir", str(tmp_path)]) == 0
    assert "2 soft labels" in capsys.readouterr().out
    with FeedbackStore(tmp_path / "feedback.sqlite") as store:
        prefs = store.preferences(store.session("imi"))
        assert [p.label for p in prefs] == [LEFT, RIGHT, EQUAL, LEFT, EQUAL]  # nearest labels
        first = prefs[0].left
        np.testing.assert_array_equal(first.obs, original["fragments1_obs"][:T])  # row T dropped
        np.testing.assert_array_equal(first.actions, original["fragments1_acts"][:T])
        assert first.terminated == bool(original["fragments1_terminal"][0])

    back = tmp_path / "back.npz"
    argv = ["export", "imi", "--format", "imitation", "--out", str(back), "--dir", str(tmp_path)]
    assert main(argv) == 0
    with np.load(back, allow_pickle=False) as d:
        assert d["preferences"].dtype == np.float32
        np.testing.assert_array_equal(d["preferences"], original["preferences"])  # soft kept
        for prefix in ("fragments1", "fragments2"):
            np.testing.assert_array_equal(d[f"{prefix}_acts"], original[f"{prefix}_acts"])
            np.testing.assert_array_equal(d[f"{prefix}_rews"], original[f"{prefix}_rews"])
            np.testing.assert_array_equal(d[f"{prefix}_indices"], original[f"{prefix}_indices"])
            np.testing.assert_array_equal(d[f"{prefix}_terminal"], original[f"{prefix}_terminal"])
            obs, want = d[f"{prefix}_obs"], original[f"{prefix}_obs"]
            assert obs.shape == want.shape  # T + 1 rows per fragment
            keep = np.ones(len(want), dtype=bool)
            keep[T :: T + 1] = False  # the row after each last step is not kept by hfrl
            np.testing.assert_array_equal(obs[keep], want[keep])
            assert not d[f"{prefix}_next_obs_known"].any()


def _clip(rng, n: int, terminated: bool) -> Segment:
    return Segment(
        obs=rng.normal(size=(n, 4)).astype(np.float32),
        actions=rng.integers(0, 2, size=n),
        true_rewards=np.ones(n),
        env_id="CartPole-v1",
        terminated=terminated,
        frames=rng.integers(0, 255, size=(n, 8, 8, 3), dtype=np.uint8),
    )


def test_hfrl_to_imitation_pads_early_ends_and_comes_back_exact(tmp_path, capsys):
    rng = np.random.default_rng(1)
    clips = [_clip(rng, 8, False), _clip(rng, 3, True), _clip(rng, 8, False), _clip(rng, 5, True)]
    with FeedbackStore(tmp_path / "feedback.sqlite") as store:
        s = store.open_session("cmp", {"app": "compare", "env_id": "CartPole-v1"})
        s.add(Preference(clips[0], clips[1], LEFT, 1.0))
        s.add(Preference(clips[2], clips[3], None, 2.0))  # a skip: imitation has none
        s.add(Preference(clips[3], clips[2], RIGHT, 3.0))
    out = tmp_path / "imi.npz"
    argv = ["export", "cmp", "--format", "imitation", "--out", str(out), "--dir", str(tmp_path)]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "1 skips left out" in said and "fragments of 8 steps" in said
    with np.load(out, allow_pickle=False) as d:
        np.testing.assert_array_equal(d["preferences"], [1.0, 0.0])
        assert d["fragments1_obs"].shape == (2 * 9, 4) and d["fragments1_acts"].shape == (16,)
        np.testing.assert_array_equal(d["fragments2_length"], [3, 8])
        rews = np.split(d["fragments2_rews"], d["fragments2_indices"])[0]
        np.testing.assert_array_equal(rews, [1, 1, 1, 0, 0, 0, 0, 0])  # absorbing pad: reward 0
        obs = np.split(d["fragments2_obs"], d["fragments2_indices"] + np.arange(1) + 1)[0]
        assert obs.shape == (9, 4) and not obs[3:].any()  # zero absorbing observations
        np.testing.assert_array_equal(d["fragments1_terminal"], [False, True])
    argv = ["import", str(out), "--env", "CartPole-v1", "--as", "again", "--dir", str(tmp_path)]
    assert main(argv) == 0
    with FeedbackStore(tmp_path / "feedback.sqlite") as store:
        got = store.preferences(store.session("again"))
    assert [p.label for p in got] == [LEFT, RIGHT]
    for pref, (a, b) in zip(got, [(clips[0], clips[1]), (clips[3], clips[2])], strict=True):
        for have, want in ((pref.left, a), (pref.right, b)):
            want = Segment(
                want.obs,
                want.actions,
                want.true_rewards,
                want.env_id,
                terminated=want.terminated,
                uid=have.uid,
            )
            assert_segments_equal(have, want)  # real length back, no padding, frames not carried


def test_pickled_or_foreign_files_are_refused(tmp_path, capsys):
    pickled = tmp_path / "dataset.npz"
    pickled.write_bytes(pickle.dumps({"preferences": [1.0]}))
    assert main(["import", str(pickled), "--env", "CartPole-v1", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a readable npz file" in err and len(err.splitlines()) == 1
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    assert main(["import", str(other), "--env", "CartPole-v1", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "pickled PreferenceDataset files are not read" in err
    bad = tmp_path / "bad.npz"
    arrays = imitation_like_file(tmp_path / "ok.npz")
    arrays["preferences"] = np.array([1.5, 0, 0, 0, 0], dtype=np.float32)
    np.savez(bad, **{k: v for k, v in arrays.items() if not k.endswith("infos")})
    assert main(["import", str(bad), "--env", "CartPole-v1", "--dir", str(tmp_path)]) == 2
    assert "floats in [0, 1]" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "ok.npz"), "--dir", str(tmp_path)]) == 2
    assert "--env ENV_ID" in capsys.readouterr().err
    assert not (tmp_path / "feedback.sqlite").exists()


@pytest.mark.parametrize("p", [0.0, 0.2, 0.25, 0.5, 0.75, 0.8, 1.0])
def test_nearest_label(p):
    from hfrl.store_imitation import nearest_label

    assert nearest_label(p) == (RIGHT if p < 0.25 else LEFT if p > 0.75 else EQUAL)
