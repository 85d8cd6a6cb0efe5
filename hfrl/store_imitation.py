"""Convert comparison sessions to and from imitation's preference dataset, as plain npz arrays.

imitation (HumanCompatibleAI) keeps comparisons in ``PreferenceDataset``: two lists of
``TrajectoryWithRew`` fragments and ``preferences``, a float32 array holding the probability
that fragment 1 is preferred (1, 0, 0.5 for a tie, or a soft value in between when its
synthetic gatherer returns probabilities). A fragment carries ``obs`` with T + 1 rows (the
observation after the last action too), ``acts`` (T), ``rews`` (T, float), ``terminal``, and
all fragments of a dataset have the same length T. ``PreferenceDataset.save`` pickles the
whole object: hfrl never reads those files (unpickling runs code). This module writes and
reads the same content as plain arrays, in the layout imitation's own npz trajectory files
used (``obs`` concatenated over fragments with the extra row each, ``acts`` and ``rews``
concatenated, ``indices`` the split points, ``terminal`` per fragment), one set per side:

- ``fragments1_obs, fragments1_acts, fragments1_rews, fragments1_terminal,
  fragments1_indices`` and the same for ``fragments2_``; ``preferences`` (float32, N);
- hfrl extras, ignored by imitation: ``fragments{1,2}_length`` (real steps of each hfrl clip)
  and ``fragments{1,2}_next_obs_known`` (False: the row after the last step is a copy).

To rebuild imitation's objects (outside hfrl, where imitation is installed), split with
``np.split(obs, indices + np.arange(n) + 1)`` and ``np.split(acts, indices)`` and build
``TrajectoryWithRew(obs, acts, None, terminal, rews)`` per fragment.

Differences handled here:

- **Fixed length.** hfrl clips end early when the episode terminates. Export pads such a
  clip to the dataset's length with absorbing steps (zero observation, action and reward:
  :meth:`hfrl.types.Segment.padded`, the padding hfrl's teachers and reward models use);
  ``fragments*_length`` keeps the real length so the reverse conversion drops the padding.
- **T + 1 observations.** An hfrl clip stores the observation before each of its T steps, not
  the one after the last; export repeats the last observation (zeros after an absorbing
  pad) as row T, and says so in ``next_obs_known``. Import drops row T.
- **Skips.** imitation has no skip: skipped comparisons are left out on export (counted).
- **Soft labels.** imitation may hold a probability in (0, 1); hfrl's labels are 1, 0, 0.5.
  Import accepts them: the label stored is the nearest of 0, 0.5, 1 (p < 0.25 -> 0,
  p > 0.75 -> 1, else 0.5) and the exact probabilities are kept in the session's meta
  (``imitation.preferences``), which the export back to imitation uses, so
  imitation -> hfrl -> imitation gives the same preferences.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hfrl.errors import HfrlError
from hfrl.store_codec import write_npz
from hfrl.types import EQUAL, LEFT, RIGHT, Segment

SIDES = ("fragments1", "fragments2")
"""Key prefixes of the two sides of each comparison."""


@dataclass(frozen=True)
class ImitationDataset:
    """imitation's preference dataset as arrays: per side, fragments of equal length."""

    obs: tuple[list[np.ndarray], list[np.ndarray]]
    """Per side, one (T + 1, *obs_shape) array per fragment."""
    acts: tuple[list[np.ndarray], list[np.ndarray]]
    """Per side, one (T, *act_shape) array per fragment."""
    rews: tuple[list[np.ndarray], list[np.ndarray]]
    """Per side, one (T,) float array per fragment."""
    terminal: tuple[np.ndarray, np.ndarray]
    """Per side, (N,) bool: the fragment ends its episode."""
    preferences: np.ndarray
    """(N,) float32: probability that fragment 1 is preferred."""
    lengths: tuple[np.ndarray, np.ndarray] | None = None
    """Per side, the real (unpadded) length of each hfrl clip, when written by hfrl."""


def nearest_label(p: float) -> float:
    """The hfrl label closest to a preference probability ``p`` (ties go to 0.5)."""
    if p < 0.25:
        return RIGHT
    if p > 0.75:
        return LEFT
    return EQUAL


def pairs_to_dataset(
    pairs: list[tuple[Segment, Segment]], preferences: list[float]
) -> ImitationDataset:
    """hfrl clip pairs and their labels (no skips) as imitation's fixed-length fragments."""
    if len(pairs) != len(preferences):
        raise HfrlError("one preference per pair is needed")
    if not pairs:
        raise HfrlError("no labelled comparisons to convert (skips have no imitation form)")
    length = max(max(len(a), len(b)) for a, b in pairs)
    for a, b in pairs:
        for seg in (a, b):
            if len(seg) < length and not seg.terminated:
                raise HfrlError(
                    f"clip {seg.uid} has {len(seg)} steps and did not end its episode, so it "
                    f"cannot be padded to the dataset's fixed length {length}"
                )
    out: dict[str, Any] = {"obs": ([], []), "acts": ([], []), "rews": ([], [])}
    terminal: tuple[list[bool], list[bool]] = ([], [])
    lengths: tuple[list[int], list[int]] = ([], [])
    for pair in pairs:
        for side, seg in enumerate(pair):
            padded = seg.padded(length)
            obs = np.asarray(padded.obs)
            out["obs"][side].append(np.concatenate([obs, obs[-1:]], axis=0))
            out["acts"][side].append(np.asarray(padded.actions))
            out["rews"][side].append(np.asarray(padded.true_rewards, dtype=np.float32))
            terminal[side].append(bool(seg.terminated))
            lengths[side].append(len(seg))
    return ImitationDataset(
        obs=out["obs"],
        acts=out["acts"],
        rews=out["rews"],
        terminal=(np.array(terminal[0]), np.array(terminal[1])),
        preferences=np.asarray(preferences, dtype=np.float32),
        lengths=(np.array(lengths[0], dtype=np.int64), np.array(lengths[1], dtype=np.int64)),
    )


def write_dataset(path: str | Path, data: ImitationDataset) -> Path:
    """Write ``data`` as one npz file in imitation's layout (no pickle, fixed bytes)."""
    arrays: dict[str, np.ndarray] = {}
    for side, prefix in enumerate(SIDES):
        acts = data.acts[side]
        arrays[f"{prefix}_obs"] = np.concatenate(data.obs[side], axis=0)
        arrays[f"{prefix}_acts"] = np.concatenate(acts, axis=0)
        arrays[f"{prefix}_rews"] = np.concatenate(data.rews[side], axis=0)
        arrays[f"{prefix}_terminal"] = np.asarray(data.terminal[side], dtype=bool)
        arrays[f"{prefix}_indices"] = np.cumsum([len(a) for a in acts[:-1]], dtype=np.int64)
        if data.lengths is not None:
            arrays[f"{prefix}_length"] = np.asarray(data.lengths[side], dtype=np.int64)
            arrays[f"{prefix}_next_obs_known"] = np.zeros(len(acts), dtype=bool)
    arrays["preferences"] = np.asarray(data.preferences, dtype=np.float32)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_npz(path, arrays)
    return path


def read_dataset(path: str | Path) -> ImitationDataset:
    """Read an imitation-layout npz (``allow_pickle=False``); one-line HfrlError if unsound.

    Keys this module does not use (``infos``, which imitation may hold as objects) are never
    loaded, so they cannot require pickle.
    """
    path = Path(path)
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as e:
        raise HfrlError(f"cannot import {path}: not a readable npz file ({e})") from e
    with data:
        needed = ["preferences"] + [
            f"{p}_{k}" for p in SIDES for k in ("obs", "acts", "rews", "terminal", "indices")
        ]
        missing = [k for k in needed if k not in data.files]
        if missing:
            raise HfrlError(
                f"cannot import {path}: not an imitation preference dataset in npz layout "
                f"(missing {', '.join(missing[:4])}); pickled PreferenceDataset files are not "
                "read (unpickling runs code): convert them with imitation installed"
            )
        try:
            arrays = {k: data[k] for k in data.files if k != "infos" and not k.endswith("_infos")}
        except ValueError as e:
            raise HfrlError(f"cannot import {path}: arrays that need pickle ({e})") from e
    prefs = arrays["preferences"]
    n = len(prefs)
    if prefs.ndim != 1 or prefs.dtype.kind != "f" or not np.all((prefs >= 0) & (prefs <= 1)):
        raise HfrlError(f"cannot import {path}: preferences must be N floats in [0, 1]")
    sides: dict[str, Any] = {"obs": [], "acts": [], "rews": [], "terminal": [], "lengths": []}
    for prefix in SIDES:
        indices = arrays[f"{prefix}_indices"]
        if indices.shape != (max(0, n - 1),) or indices.dtype.kind not in "iu":
            raise HfrlError(f"cannot import {path}: {prefix}_indices must hold N - 1 split points")
        acts = np.split(arrays[f"{prefix}_acts"], indices)
        obs = np.split(arrays[f"{prefix}_obs"], indices + np.arange(len(indices)) + 1)
        rews = np.split(arrays[f"{prefix}_rews"], indices)
        terminal = arrays[f"{prefix}_terminal"]
        if len(obs) != n or terminal.shape != (n,):
            raise HfrlError(f"cannot import {path}: {prefix} does not hold N fragments")
        for k in range(n):
            if len(obs[k]) != len(acts[k]) + 1 or len(rews[k]) != len(acts[k]) or not len(acts[k]):
                raise HfrlError(
                    f"cannot import {path}: {prefix} fragment {k} needs T + 1 observations, "
                    f"T actions and T rewards (got {len(obs[k])}, {len(acts[k])}, {len(rews[k])})"
                )
        lengths = arrays.get(f"{prefix}_length")
        if lengths is not None and (
            lengths.shape != (n,) or np.any(lengths < 1) or np.any(lengths > [len(a) for a in acts])
        ):
            raise HfrlError(f"cannot import {path}: {prefix}_length disagrees with the fragments")
        sides["obs"].append(obs)
        sides["acts"].append(acts)
        sides["rews"].append(rews)
        sides["terminal"].append(terminal.astype(bool))
        sides["lengths"].append(lengths)
    both = sides["lengths"][0] is not None and sides["lengths"][1] is not None
    return ImitationDataset(
        obs=tuple(sides["obs"]),  # type: ignore[arg-type]
        acts=tuple(sides["acts"]),  # type: ignore[arg-type]
        rews=tuple(sides["rews"]),  # type: ignore[arg-type]
        terminal=tuple(sides["terminal"]),  # type: ignore[arg-type]
        preferences=prefs.astype(np.float32),
        lengths=tuple(sides["lengths"]) if both else None,  # type: ignore[arg-type]
    )


def dataset_to_pairs(data: ImitationDataset, env_id: str) -> list[tuple[Segment, Segment]]:
    """imitation fragments as hfrl clips: row T of obs dropped, hfrl padding dropped."""
    pairs = []
    for k in range(len(data.preferences)):
        pair = []
        for side in range(2):
            n = len(data.acts[side][k])
            if data.lengths is not None:
                n = int(data.lengths[side][k])
            pair.append(
                Segment(
                    obs=np.asarray(data.obs[side][k][:n]),
                    actions=np.asarray(data.acts[side][k][:n]),
                    true_rewards=np.asarray(data.rews[side][k][:n], dtype=np.float64),
                    env_id=env_id,
                    terminated=bool(data.terminal[side][k]),
                )
            )
        pairs.append((pair[0], pair[1]))
    return pairs


def dataset_to_session_files(
    data: ImitationDataset, env_id: str, name: str, source: str = "imitation"
) -> Any:
    """The dataset as :class:`hfrl.store_import.SessionFiles`, ready for ``write_session``."""
    from hfrl.store_import import PreferenceRow, SessionFiles

    pairs = dataset_to_pairs(data, env_id)
    now = time.time()
    segments: list[Segment] = []
    rows = []
    for k, (a, b) in enumerate(pairs):
        segments += [a, b]
        p = float(data.preferences[k])
        rows.append(PreferenceRow(2 * k, 2 * k + 1, nearest_label(p), float(k), source, False, now))
    soft = [float(p) for p in data.preferences]
    meta = {
        "app": "import",
        "agent": "-",
        "env_id": env_id,
        "imitation": {"preferences": soft, "fragment_length": len(data.acts[0][0])},
    }
    description = {
        "app": "import",
        "env": {"id": env_id},
        "clip_length": max(len(s) for s in segments),
        "teacher": {"kind": "unknown", "note": "converted from an imitation preference dataset"},
    }
    return SessionFiles(name, now, meta, description, [], rows, segments, {})


def session_preferences(
    store: Any, session: Any
) -> tuple[list[tuple[Segment, Segment]], list[float], int]:
    """A session's labelled pairs and their preference probabilities; and the skips left out.

    A session converted from imitation gives back its exact soft preferences.
    """
    records = store.preference_records(session, include_retracted=False, frames=False)
    labelled = [r for r in records if r.preference.label is not None]
    skips = len(records) - len(labelled)
    pairs = [(r.preference.left, r.preference.right) for r in labelled]
    prefs = [float(r.preference.label) for r in labelled]
    soft = (session.meta.get("imitation") or {}).get("preferences")
    if (
        isinstance(soft, list)
        and len(soft) == len(prefs)
        and skips == 0
        and all(nearest_label(p) == q for p, q in zip(soft, prefs, strict=True))
    ):
        prefs = [float(p) for p in soft]
    return pairs, prefs, skips
