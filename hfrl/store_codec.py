"""Segment arrays to and from compressed bytes for the feedback store (no pickle).

A segment's arrays (obs, actions, true_rewards and frames when present) are written with
``np.savez_compressed(..., allow_pickle=False)`` into one BLOB and read back with
``np.load(..., allow_pickle=False)``, so dtypes, shapes and values round-trip exactly and
object arrays are refused instead of being pickled.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from hfrl.errors import StoreError
from hfrl.types import Segment

ARRAY_FIELDS = ("obs", "actions", "true_rewards", "frames")
"""Names of the array fields of :class:`hfrl.types.Segment`, in storage order."""


@dataclass(frozen=True)
class SegmentHeader:
    """The non-array fields of a segment, as kept in the store's columns."""

    uid: str
    """Identity of the segment (``Segment.uid``)."""
    env_id: str
    """Environment the clip comes from."""
    episode: int
    """Episode index."""
    start_step: int
    """Step index within the episode of the first step."""
    terminated: bool
    """The episode reached a terminal state right after the last step."""
    length: int
    """Number of real (unpadded) steps."""


def encode_arrays(segment: Segment) -> bytes:
    """Compress the arrays of ``segment`` into one npz BLOB.

    Raises:
        StoreError: an array has an object dtype (it could only be saved by pickling).
    """
    arrays: dict[str, np.ndarray] = {}
    for name in ARRAY_FIELDS:
        value = getattr(segment, name)
        if value is None:
            continue
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise StoreError(
                f"segment {segment.uid}: field {name!r} has an object dtype, which the store "
                "cannot save without pickle; convert it to a numeric array first."
            )
        arrays[name] = array
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def decode_arrays(blob: bytes, frames: bool = True) -> dict[str, np.ndarray]:
    """Read the arrays written by :func:`encode_arrays` (``frames`` absent when none).

    With ``frames=False`` the frames are not decompressed at all (npz members load lazily).
    """
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {name: data[name] for name in data.files if frames or name != "frames"}


def header_of(segment: Segment) -> SegmentHeader:
    """The column values of ``segment``."""
    return SegmentHeader(
        uid=segment.uid,
        env_id=segment.env_id,
        episode=int(segment.episode),
        start_step=int(segment.start_step),
        terminated=bool(segment.terminated),
        length=len(segment),
    )


def build_segment(header: SegmentHeader, blob: bytes, frames: bool = True) -> Segment:
    """Rebuild a :class:`Segment` from its columns and its BLOB (frames left out if asked)."""
    arrays = decode_arrays(blob, frames)
    return Segment(
        obs=arrays["obs"],
        actions=arrays["actions"],
        true_rewards=arrays["true_rewards"],
        env_id=header.env_id,
        episode=header.episode,
        start_step=header.start_step,
        terminated=header.terminated,
        frames=arrays.get("frames"),
        uid=header.uid,
    )


def write_npz(target: str | Path | IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as a compressed ``.npz`` whose bytes depend on the arrays only.

    ``np.savez_compressed`` stamps each member with the current time, so two exports of the
    same data differ; here every member gets the same fixed timestamp and the members keep
    the order given. ``np.load(..., allow_pickle=False)`` reads the file; object arrays are
    refused (they would need pickle).
    """
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in arrays.items():
            array = np.asanyarray(value)
            if array.dtype.hasobject:
                raise StoreError(
                    f"array {name!r} has an object dtype; it cannot be saved without pickle"
                )
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
