"""Saving and loading the preference agent's SB3 learner without running any code.

SB3's own ``save``/``load`` keeps the learner's attributes in a zip whose ``data`` JSON may
hold serialized Python objects (``:serialized:`` entries) that ``load`` turns back into
objects, running whatever code they name: a session folder from someone else could run code. Here the learner is saved as

- ``learner.json``: the algorithm's short name (one of :data:`LEARNERS`), its constructor
  arguments (plain JSON values only) and its step counters;
- ``learner_policy.pt``: the policy's ``state_dict`` (tensors only);
- ``learner_optimizers.pt``: optimizer states and SAC's entropy coefficient (tensors and
  numbers only).

Loading rebuilds the learner from the known name and arguments, then reads both ``.pt``
files with ``torch.load(weights_only=True)``; the optimizers are restored only if their
file loads that way. A session saved before this format (only ``learner.zip``) gives up its
policy weights from the zip's ``policy.pth`` member, read the same way; the zip's ``data``
is never read.
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path
from typing import Any

import torch
from hfrl.agents.preference.learners import build_from_args, learner_class, learner_name_of
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.utils import get_device

from hfrl.config import load_json, save_json
from hfrl.errors import HfrlError

__all__ = [
    "LEARNER_STATE_FILE",
    "OPTIMIZER_FILE",
    "POLICY_FILE",
    "load_learner",
    "save_learner",
]

LEARNER_STATE_FILE = "learner.json"
POLICY_FILE = "learner_policy.pt"
OPTIMIZER_FILE = "learner_optimizers.pt"
LEGACY_ZIP = "learner.zip"
"""What SB3's ``save`` wrote in sessions saved before; only its ``policy.pth`` is read."""


def is_plain_json(value: Any) -> bool:
    """True for JSON values only: None, bool, int, finite float, str, lists and str-keyed dicts."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(is_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain_json(v) for k, v in value.items())
    return False


def _attr(model: BaseAlgorithm, dotted: str) -> Any:
    obj: Any = model
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def save_learner(model: BaseAlgorithm, directory: Path, args: dict[str, Any] | None) -> None:
    """Write ``model`` into ``directory`` as JSON plus weights-only tensors.

    ``args`` are the constructor arguments it was built from; ``None`` (or arguments that
    are not plain JSON, e.g. a model a user built in Python) records that loading needs
    the user's own model to put the weights into.
    """
    state_names, var_names = model._get_torch_save_params()
    info: dict[str, Any] = {
        "name": learner_name_of(model),
        "args": args if args is not None and is_plain_json(args) else None,
        "num_timesteps": int(model.num_timesteps),
        "n_updates": int(getattr(model, "_n_updates", 0)),
        "episode_num": int(getattr(model, "_episode_num", 0)),
    }
    if isinstance(model, OffPolicyAlgorithm):
        info["learning_starts"] = int(model.learning_starts)
    save_json(directory / LEARNER_STATE_FILE, info)
    torch.save(
        {k: v.detach().cpu() for k, v in model.policy.state_dict().items()},
        directory / POLICY_FILE,
    )
    optim: dict[str, Any] = {n: _attr(model, n).state_dict() for n in state_names if n != "policy"}
    for n in var_names:
        optim[f"var:{n}"] = _attr(model, n).detach().cpu()
    torch.save(optim, directory / OPTIMIZER_FILE)


def read_weights(source: Path | bytes, what: str, device: Any = "cpu") -> dict[str, Any]:
    """``torch.load(weights_only=True)`` of a file or bytes; a refusal is an :class:`HfrlError`."""
    try:
        data = torch.load(
            io.BytesIO(source) if isinstance(source, bytes) else source,
            map_location=device,
            weights_only=True,
        )
    except Exception as err:  # UnpicklingError, RuntimeError, EOFError...: all refused
        raise HfrlError(
            f"{what} is not a weights-only tensor file ({type(err).__name__}); refusing to load "
            "it (it may hold code). Delete the session's agent folder to start it afresh."
        ) from None
    if not isinstance(data, dict):
        raise HfrlError(f"{what} does not hold a state dict; delete it to start afresh")
    return data


def _legacy_members(path: Path) -> dict[str, bytes]:
    """The ``*.pth`` members of an SB3 zip, as bytes (the ``data`` JSON is not read)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return {
                name[: -len(".pth")]: zf.read(name)
                for name in zf.namelist()
                if name.endswith(".pth") and "/" not in name
            }
    except (zipfile.BadZipFile, OSError) as err:
        raise HfrlError(f"{path} is not a readable learner zip ({err}); delete it") from None


def _restore_optimizers(model: BaseAlgorithm, optim: dict[str, Any]) -> bool:
    """Load optimizer states and variables into ``model``; False (nothing changed) on mismatch."""
    state_names, var_names = model._get_torch_save_params()
    targets = [n for n in state_names if n != "policy"]
    if any(n not in optim for n in targets):
        return False
    try:
        for n in targets:
            _attr(model, n).load_state_dict(optim[n])
        with torch.no_grad():
            for n in var_names:
                if f"var:{n}" in optim:
                    _attr(model, n).copy_(optim[f"var:{n}"])
    except (KeyError, ValueError, RuntimeError, TypeError):
        return False
    return True


def load_learner(
    directory: Path,
    venv: Any,
    seed: int,
    device: str,
    name: str,
    args: dict[str, Any] | None,
    model: BaseAlgorithm | None = None,
) -> tuple[BaseAlgorithm, dict[str, Any] | None]:
    """Rebuild the learner saved in ``directory`` on ``venv`` without unpickling anything.

    Args:
        directory: The agent's folder.
        venv: The env the learner steps.
        seed: Seed of a rebuilt learner.
        device: Its torch device.
        name: The learner the agent expects (checked against the saved one).
        args: Constructor arguments to use for a session saved before ``learner.json``.
        model: The user's own model to load the weights into (needed when the saved
            learner was built in Python rather than from arguments).

    Returns:
        The learner and the constructor arguments it was rebuilt from (None: ``model``).

    Raises:
        HfrlError: unknown learner name, weights that do not load weights-only, a saved
            learner that needs ``model``, or weights that do not fit it.
    """
    state_file, zip_file = directory / LEARNER_STATE_FILE, directory / LEGACY_ZIP
    optim: dict[str, Any] | None = None
    if state_file.exists():
        info = load_json(state_file)
        if not isinstance(info, dict):
            raise HfrlError(f"{state_file} is not a learner description; delete it")
        saved = str(info.get("name", ""))
        learner_class(saved)  # a known name, or a one-line refusal
        if saved != name:
            raise HfrlError(f"{state_file} holds a {saved!r} learner, the agent expects {name!r}")
        args = info.get("args")
        if args is not None and not (isinstance(args, dict) and is_plain_json(args)):
            raise HfrlError(f"{state_file}: learner arguments must be a JSON object")
        weights = read_weights(directory / POLICY_FILE, str(directory / POLICY_FILE), device)
        if (directory / OPTIMIZER_FILE).exists():
            try:
                optim = read_weights(directory / OPTIMIZER_FILE, OPTIMIZER_FILE, device)
            except HfrlError:
                optim = None  # fresh optimizers rather than unpickling anything
    elif zip_file.exists():
        info = {}
        members = _legacy_members(zip_file)
        if "policy" not in members:
            raise HfrlError(f"{zip_file} holds no policy.pth; delete it to start afresh")
        weights = read_weights(members.pop("policy"), f"{zip_file}:policy.pth", device)
        optim = {}
        for member, data in members.items():
            try:
                optim[member] = read_weights(data, member, device)
            except HfrlError:
                continue
        pytorch_vars = optim.pop("pytorch_variables", {})
        optim.update({f"var:{k}": v for k, v in pytorch_vars.items()})
    else:
        raise HfrlError(f"{directory} holds no saved learner ({LEARNER_STATE_FILE}); save again")

    if model is None:
        if args is None:
            raise HfrlError(
                f"the learner saved in {directory} was a model built in Python; load with "
                "PreferenceAgent.load(dir, model=YourModel(...)) to put its weights in it"
            )
        model = build_from_args(name, venv, args, seed, device)
    elif learner_name_of(model) != name:
        raise HfrlError(f"the saved learner is {name!r}, the model given is {type(model).__name__}")
    try:
        model.policy.load_state_dict(
            {k: v.to(get_device(device)) for k, v in weights.items() if torch.is_tensor(v)}
        )
    except RuntimeError as err:
        first = str(err).splitlines()[0]
        raise HfrlError(f"the saved learner's weights do not fit its policy: {first}") from None
    if optim:
        _restore_optimizers(model, optim)
    model.num_timesteps = int(info.get("num_timesteps", 0))
    model._n_updates = int(info.get("n_updates", 0))
    model._episode_num = int(info.get("episode_num", 0))
    if isinstance(model, OffPolicyAlgorithm) and "learning_starts" in info:
        model.learning_starts = int(info["learning_starts"])
    return model, args
