"""The RL learner of the preference agent: any Stable-Baselines3 algorithm, with tuned presets.

``learner_class("ppo")`` resolves a name from :data:`LEARNERS` (nothing else is imported);
:func:`learner_preset` gives hyper-parameters tuned for the suite's tasks (rl-zoo's,
trimmed to small budgets); :func:`build_from_args` builds one from plain JSON arguments.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from hfrl.agents.preference.config import LEARNER_NAMES
from hfrl.envs.suites import is_atari
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

from hfrl.errors import HfrlError, missing_extra, unknown_name

__all__ = [
    "LEARNERS",
    "build_from_args",
    "build_learner",
    "is_off_policy",
    "learner_args",
    "learner_class",
    "learner_name_of",
    "learner_preset",
    "resolve_learner_name",
]

LEARNERS: dict[str, type[BaseAlgorithm]] = {
    "ppo": PPO,
    "a2c": A2C,
    "sac": SAC,
    "td3": TD3,
    "ddpg": DDPG,
    "dqn": DQN,
}
"""The SB3 algorithms a preference agent can build and load, by short name (no others:
a name read from a saved file never imports a module)."""
assert tuple(LEARNERS) == LEARNER_NAMES


def resolve_learner_name(name: str, continuous: bool) -> str:
    """``auto`` -> ``sac`` for continuous actions, else ``ppo``; other names lower-cased."""
    name = name.strip().lower()
    if name == "auto":
        return "sac" if continuous else "ppo"
    return name


def learner_class(name: str) -> type[BaseAlgorithm]:
    """The SB3 algorithm class for a short name of :data:`LEARNERS`.

    >>> learner_class("PPO").__name__
    'PPO'
    """
    cls = LEARNERS.get(str(name).strip().lower())
    if cls is None:
        raise unknown_name("learner", str(name), LEARNERS)
    return cls


def learner_name_of(model: BaseAlgorithm) -> str:
    """The short name of a model's algorithm (its nearest known base class)."""
    for cls in type(model).__mro__:
        for name, known in LEARNERS.items():
            if cls is known:
                return name
    raise HfrlError(
        f"{type(model).__name__} is not one of the SB3 algorithms the preference agent "
        f"supports ({', '.join(LEARNERS)}); pass a model of one of them"
    )


def learner_preset(name: str, env_id: str) -> dict[str, Any]:
    """Tuned SB3 arguments (plus ``n_envs``) for ``name`` on ``env_id``; {} if none apply."""
    atari = is_atari(env_id)
    if name == "ppo":
        if atari:
            return {
                "policy": "CnnPolicy",
                "n_envs": 8,
                "n_steps": 128,
                "n_epochs": 4,
                "batch_size": 256,
                "learning_rate": "lin_2.5e-4",
                "clip_range": 0.1,
                "ent_coef": 0.01,
                "vf_coef": 0.5,
            }
        if env_id == "CartPole-v1":
            return {
                "n_envs": 8,
                "n_steps": 32,
                "batch_size": 256,
                "gae_lambda": 0.8,
                "gamma": 0.98,
                "n_epochs": 20,
                "ent_coef": 0.0,
                "learning_rate": "lin_1e-3",
                "clip_range": 0.2,
                "policy_kwargs": {"net_arch": [64, 64]},
            }
        if env_id == "Pendulum-v1":
            return {
                "n_envs": 4,
                "n_steps": 1024,
                "gae_lambda": 0.95,
                "gamma": 0.9,
                "n_epochs": 10,
                "ent_coef": 0.0,
                "learning_rate": 1e-3,
                "clip_range": 0.2,
                "use_sde": True,
                "sde_sample_freq": 4,
            }
        if env_id == "LunarLander-v3":
            return {  # rl-zoo's ppo.yml LunarLander (tuned at 1e6 steps)
                "n_envs": 16,
                "n_steps": 1024,
                "batch_size": 64,
                "gae_lambda": 0.98,
                "gamma": 0.999,
                "n_epochs": 4,
                "ent_coef": 0.01,
            }
        return {"n_envs": 8, "n_steps": 128, "batch_size": 256, "n_epochs": 10}
    if name == "a2c":
        return {"policy": "CnnPolicy", "n_envs": 16, "ent_coef": 0.01} if atari else {"n_envs": 8}
    if name in ("sac", "td3", "ddpg"):
        if env_id == "Pendulum-v1":
            return {
                "n_envs": 1,
                "learning_rate": 1e-3,
                "learning_starts": 500,
                "policy_kwargs": {"net_arch": [64, 64]},
            }
        return {"n_envs": 1, "learning_starts": 1000}
    if name == "dqn" and atari:
        return {"policy": "CnnPolicy", "n_envs": 1, "buffer_size": 100_000}
    if name == "dqn" and env_id == "MountainCar-v0":
        return {
            "n_envs": 1,
            "learning_rate": 4e-3,
            "batch_size": 128,
            "buffer_size": 10_000,
            "learning_starts": 1000,
            "gamma": 0.98,
            "target_update_interval": 600,
            "train_freq": 16,
            "gradient_steps": 8,
            "exploration_fraction": 0.2,
            "exploration_final_eps": 0.07,
            "policy_kwargs": {"net_arch": [256, 256]},
        }
    if name == "dqn" and env_id == "LunarLander-v3":
        return {  # rl-zoo's dqn.yml LunarLander (tuned at 1e5 steps)
            "n_envs": 1,
            "learning_rate": 6.3e-4,
            "batch_size": 128,
            "buffer_size": 50_000,
            "learning_starts": 0,
            "gamma": 0.99,
            "target_update_interval": 250,
            "train_freq": 4,
            "gradient_steps": -1,
            "exploration_fraction": 0.12,
            "exploration_final_eps": 0.1,
            "policy_kwargs": {"net_arch": [256, 256]},
        }
    return {"n_envs": 1} if name == "dqn" else {}


def _schedule(value: Any) -> Any:
    """``"lin_1e-3"`` -> a linear schedule from 1e-3 to 0; other values unchanged."""
    if isinstance(value, str) and value.startswith("lin_"):
        start = float(value[4:])
        return lambda progress: progress * start
    return value


def build_learner(
    name: str,
    venv: Any,
    kwargs: dict[str, Any],
    seed: int,
    device: str,
    total_steps: int | None = None,
) -> BaseAlgorithm:
    """Construct the SB3 learner on ``venv`` with ``kwargs`` (a preset plus overrides)."""
    return build_from_args(name, venv, learner_args(name, kwargs, total_steps), seed, device)


def learner_args(name: str, kwargs: dict[str, Any], total_steps: int | None) -> dict[str, Any]:
    """The constructor arguments of a learner: ``kwargs`` without ``n_envs``, ``policy``
    filled in and an off-policy buffer sized to the run (as saved with the learner)."""
    args = {k: v for k, v in kwargs.items() if k != "n_envs"}
    args.setdefault("policy", "MlpPolicy")
    off_policy = issubclass(learner_class(name), OffPolicyAlgorithm)
    if off_policy and total_steps and "buffer_size" not in args:
        args["buffer_size"] = max(1000, min(1_000_000, int(total_steps)))
    return args


def build_from_args(
    name: str, venv: Any, args: dict[str, Any], seed: int, device: str
) -> BaseAlgorithm:
    """Construct learner ``name`` on ``venv`` from :func:`learner_args`' arguments."""
    cls = learner_class(name)
    kwargs = {k: _schedule(v) for k, v in args.items()}
    policy = kwargs.pop("policy", "MlpPolicy")
    kwargs.setdefault("verbose", 0)
    if kwargs.get("tensorboard_log") and importlib.util.find_spec("tensorboard") is None:
        raise missing_extra("tensorboard_log", "tensorboard")
    try:
        model = cls(policy, venv, seed=seed, device=device, **kwargs)
    except (TypeError, ValueError, AssertionError, KeyError) as err:
        raise HfrlError(f"cannot build learner {name!r} with {args}: {err}") from err
    if not kwargs.get("tensorboard_log") and not kwargs["verbose"]:
        # SB3's own logger would make an empty folder in the temp dir on every learn();
        # one with no outputs keeps the values and writes nothing.
        model.set_logger(Logger(folder=None, output_formats=[]))
    return model


def is_off_policy(model: BaseAlgorithm) -> bool:
    """True for replay-buffer learners (SAC, TD3, DDPG, DQN)."""
    return isinstance(model, OffPolicyAlgorithm)
