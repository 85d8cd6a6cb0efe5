"""Christiano-style preference learning with any Stable-Baselines3 learner (DESIGN.md §5).

:meth:`PreferenceAgent.learn` in phases, as each round of Christiano et al. (2017) runs:

1. **collect clips**: a :class:`~hfrl.agents.preference.segments.SegmentRecorder` cuts the
   rollouts into clips (first of a uniformly random policy, which gets 25% of the labels);
2. **select queries**: candidate pairs from the pool, oversampled 10×, the most informative
   kept (ensemble disagreement by default; :mod:`~hfrl.agents.preference.queries`);
3. **ask**: a :class:`~hfrl.agents.preference.labels.LabelSource` (a simulated teacher at
   once, or a person through a :class:`QueryQueue` without blocking), as many as the label
   schedule (rate ∝ c/(T+c)) makes due;
4. **fit the reward** on the answers: the ensemble (bagging, validation split, adaptive L2),
   the learner's reward rescaled by :class:`hfrl.reward.LearnedReward`, an off-policy
   buffer relabelled (PEBBLE);
5. **train the learner**: SB3's ``learn`` on :class:`~hfrl.envs.learned_reward.LearnedRewardVecEnv`;
   phases 1-4 run between its rollouts (:class:`~hfrl.agents.preference.loop.PreferenceCallback`).

Bring your own parts: a VecEnv (any SB3 wrappers, ``SubprocVecEnv``, Gymnasium's
``VectorEnv``), an SB3 model built on it, SB3 callbacks and logger.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from hfrl.agents.preference.config import PreferenceConfig, default_segment_length
from hfrl.agents.preference.labels import LabelSchedule, LabelSet, LabelSource, TeacherLabels
from hfrl.agents.preference.learner_io import load_learner, save_learner
from hfrl.agents.preference.learners import (
    build_from_args,
    is_off_policy,
    learner_args,
    learner_class,
    learner_name_of,
    learner_preset,
    resolve_learner_name,
)
from hfrl.agents.preference.loop import CurveFn, PreferenceCallback, episode_returns
from hfrl.agents.preference.pebble import (
    BufferStateEntropy,
    pretraining_reward,
    relabel_replay_buffer,
)
from hfrl.agents.preference.queries import ending_pairs, mean_preference, select_queries
from hfrl.agents.preference.segments import SegmentPool, SegmentRecorder
from hfrl.agents.preference.stats import PreferenceStats
from hfrl.envs.gym_vector import as_vec_env
from hfrl.envs.learned_reward import LearnedRewardVecEnv
from hfrl.envs.suites import is_atari
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv

from hfrl.config import config_from_dict, config_to_dict, load_json, save_json
from hfrl.errors import HfrlError
from hfrl.protocols import PreferenceTeacher
from hfrl.reward import (
    LearnedReward,
    PreferenceDataset,
    RewardEnsemble,
    RewardEnsembleConfig,
    TrainConfig,
)
from hfrl.seeding import resolve_device
from hfrl.types import Feedback, Preference, Segment, Step

STATE_FILE = "preference_agent.json"
LABELS_FILE = "labels.npz"
REWARD_DIR = "reward"
RECENT_EPISODES = 20
"""Training episodes whose learned and true returns :meth:`PreferenceAgent.stats` averages."""

__all__ = ["CurveFn", "PreferenceAgent"]


def _env_id_of(venv: VecEnv) -> str | None:
    """The Gymnasium id a vectorised env was made from, if it says."""
    spec = getattr(venv, "spec", None)
    if spec is None:
        try:
            spec = venv.get_attr("spec", indices=[0])[0]
        except (AttributeError, IndexError, TypeError, ValueError):
            spec = None
    return getattr(spec, "id", None)


class PreferenceAgent:
    """Learns a reward from clip comparisons and trains an SB3 learner on it.

    Args:
        env_id: An env id (the agent makes its vectorised envs); or your own vectorised env
            in its place (same as ``venv=``).
        observation_space: Unused (the env gives it); accepted for the common agent signature.
        action_space: Unused, likewise.
        config: How to learn; None: the presets table's settings for the env
            (:func:`hfrl.presets.resolve_agent_config`).
        seed: Seeds the envs, learner, reward ensemble and query sampling.
        max_episode_steps: Optional time limit on training episodes (envs made by the agent).
        venv: Your own vectorised env: an SB3 ``VecEnv`` (any wrappers, ``SubprocVecEnv``;
            ``VecNormalize`` and ``VecFrameStack`` are refused under the learned reward) or a
            ``gymnasium.vector.VectorEnv``; ``env_id`` then names it where it has no spec.
        model: Your own SB3 model (PPO, A2C, SAC, TD3, DDPG or DQN) built on ``venv``; the
            agent moves it onto the learned-reward wrapper. None: built from the config.
        monitor_file: Envs made by the agent write SB3's ``monitor.csv`` (true returns of
            the training episodes) to this file.

    >>> from stable_baselines3 import PPO
    >>> from stable_baselines3.common.env_util import make_vec_env
    >>> venv = make_vec_env("CartPole-v1", n_envs=2)
    >>> agent = PreferenceAgent(venv, model=PPO("MlpPolicy", venv, n_steps=64, device="cpu"))
    >>> agent.learner_name
    'ppo'
    """

    feedback_kind: ClassVar[str] = "preference"
    config_class: ClassVar[type] = PreferenceConfig
    name = "preference"

    def __init__(
        self,
        env_id: str | VecEnv | Any = None,
        observation_space: Any = None,
        action_space: Any = None,
        config: PreferenceConfig | None = None,
        seed: int = 0,
        max_episode_steps: int | None = None,
        *,
        venv: VecEnv | Any = None,
        model: BaseAlgorithm | None = None,
        monitor_file: str | Path | None = None,
    ) -> None:
        from gymnasium import spaces

        del observation_space, action_space
        if env_id is not None and not isinstance(env_id, str):
            env_id, venv = None, env_id  # PreferenceAgent(my_venv, ...)
        if venv is not None:
            venv = as_vec_env(venv)
            env_id = env_id or _env_id_of(venv) or "custom"
        elif env_id is None:
            raise HfrlError("PreferenceAgent needs an env id or a vectorised env (venv=...)")
        user_env = venv is not None
        self.env_id = str(env_id)
        if config is None:
            from hfrl.presets import resolve_agent_config

            config = resolve_agent_config(type(self), env_id)[0] if not user_env else None
        self.config = config or PreferenceConfig()
        self.seed = seed
        self.max_episode_steps = max_episode_steps
        self.rng = np.random.default_rng(seed)
        self.device = resolve_device(self.config.device)
        cfg = self.config
        self.segment_length = cfg.segment_length or default_segment_length(env_id, _fps(env_id))
        self.pool = SegmentPool(cfg.pool_size or (100 if is_atari(env_id) else 1000))
        self.labels = LabelSet(cfg.label_buffer)
        self.venv: VecEnv = venv if venv is not None else self._make_venv(monitor_file)
        self.recorder = SegmentRecorder(
            self.venv, self.segment_length, env_id, self.pool.add, cfg.keep_frames, cfg.frame_envs
        )
        self.observation_space = self.venv.observation_space
        self.action_space = self.venv.action_space
        continuous = isinstance(self.action_space, spaces.Box)
        self.learner_name = (
            learner_name_of(model)
            if model is not None
            else resolve_learner_name(cfg.learner, continuous)
        )
        learner_class(self.learner_name)  # fail early on a bad name
        self.ensemble = RewardEnsemble(
            self.observation_space,
            self.action_space,
            RewardEnsembleConfig(
                n_members=cfg.ensemble_members, hidden_sizes=tuple(cfg.reward_hidden), seed=seed
            ),
            device=self.device,
        )
        self.reward = LearnedReward(self.ensemble)
        """The reward the learner sees (shifted, rescaled; see :class:`LearnedReward`)."""
        self.env = LearnedRewardVecEnv(self.recorder, self.reward)
        """What the learner steps: the env, its clip recorder, the learned reward."""
        self.model: BaseAlgorithm | None = None
        self.learner_args: dict[str, Any] | None = None
        """Constructor arguments of the learner (saved as JSON with it; None: yours)."""
        self.logger: Any = None
        """The SB3 logger the learner and the reward metrics write to (None: SB3's own)."""
        if model is not None:
            self._adopt(model)
        self.env_steps = 0
        """Env steps taken so far (random policy, pretraining and learner)."""
        self.episodes = 0
        """Training episodes finished so far."""
        self.labels_requested = 0
        """Comparisons asked for so far."""
        self.fits = 0
        """Reward-ensemble fits so far."""
        self.last_fit: dict[str, Any] = {}
        self.best_greedy: float | None = None
        """Best greedy evaluation on the true reward so far."""
        self.last_evaluation: tuple[list[float], list[int]] = ([], [])
        """Returns and lengths of the episodes of the last :meth:`evaluate`."""
        self._recent: deque[tuple[float, float]] = deque(maxlen=RECENT_EPISODES)
        self._unfitted = 0
        self._tie_exploration = False
        """The learner explores on state entropy because every label so far is "equal"."""

    # ----------------------------------------------------------------- construction
    def _learner_kwargs(self) -> dict[str, Any]:
        kwargs = learner_preset(self.learner_name, self.env_id)
        kwargs.update(self.config.learner_kwargs)
        return kwargs

    @property
    def n_envs(self) -> int:
        """Parallel envs the learner steps."""
        return self.venv.num_envs

    def _make_venv(self, monitor_file: str | Path | None = None) -> VecEnv:
        from gymnasium import spaces
        from hfrl.envs.make import make

        render = "rgb_array" if self.config.keep_frames else None
        limit, seed, env_id = self.max_episode_steps, self.seed, self.env_id

        def factory(i: int) -> Callable[[], Any]:
            return lambda: make(env_id, seed=seed + i, render_mode=render, max_episode_steps=limit)

        probe = make(env_id, render_mode=None)
        continuous = isinstance(probe.action_space, spaces.Box)
        probe.close()
        learner = resolve_learner_name(self.config.learner, continuous)
        n = self.config.n_envs or int(
            {**learner_preset(learner, self.env_id), **self.config.learner_kwargs}.get("n_envs", 1)
        )
        venv = DummyVecEnv([factory(i) for i in range(n)])
        venv.action_space.seed(seed)
        if monitor_file is None:
            return venv
        from stable_baselines3.common.vec_env import VecMonitor

        Path(monitor_file).parent.mkdir(parents=True, exist_ok=True)
        return VecMonitor(venv, filename=str(monitor_file))

    def _adopt(self, model: BaseAlgorithm) -> None:
        """Move a user's model onto the learned-reward wrapper."""
        if model.n_envs != self.venv.num_envs:
            raise HfrlError(
                f"the model steps {model.n_envs} envs, the env given has {self.venv.num_envs}; "
                "build the model on the same vectorised env"
            )
        model.set_env(self.env)
        self.model = model
        if self.logger is not None:
            model.set_logger(self.logger)

    def _ensure_model(self, total_steps: int | None = None) -> BaseAlgorithm:
        if self.model is None:
            self.learner_args = learner_args(self.learner_name, self._learner_kwargs(), total_steps)
            self.model = build_from_args(
                self.learner_name, self.env, self.learner_args, self.seed, self.device
            )
            if self.logger is not None:
                self.model.set_logger(self.logger)
        return self.model

    def set_logger(self, logger: Any) -> None:
        """Log the learner's ``train/...`` and the reward model's ``reward/...`` to ``logger``
        (an SB3 :class:`~stable_baselines3.common.logger.Logger`).

        >>> from stable_baselines3.common.logger import configure
        >>> agent = PreferenceAgent("CartPole-v1")  # doctest: +SKIP
        >>> agent.set_logger(configure("runs/x", ["stdout", "csv"]))  # doctest: +SKIP
        """
        self.logger = logger
        if self.model is not None:
            self.model.set_logger(logger)

    # ----------------------------------------------------------------- Agent protocol
    def act(self, obs: np.ndarray, greedy: bool = False) -> int | np.ndarray:
        """The learner's action for one observation (its mode when ``greedy``)."""
        action, _ = self._ensure_model().predict(np.asarray(obs), deterministic=greedy)
        if np.ndim(action) == 0:
            return int(action)
        return np.asarray(action)

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: Any = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, Any]:
        """SB3's ``predict`` (for ``evaluate_policy`` and friends): the learner's own."""
        return self._ensure_model().predict(observation, state, episode_start, deterministic)

    def observe(self, step: Step) -> None:
        """Nothing to do: clips are cut from the learner's own rollouts."""
        del step

    def give(self, feedback: Feedback) -> None:
        """Add one comparison to the label set; :meth:`update` refits the reward."""
        if not isinstance(feedback, Preference):
            raise HfrlError(
                "the preference agent learns from clip comparisons (Preference), not ratings"
            )
        self.labels.add([feedback])
        self._unfitted += 1

    def update(self) -> dict[str, float]:
        """Refit the reward ensemble if labels arrived since the last fit."""
        if self._unfitted == 0 or len(self.labels) == 0:
            return {}
        return self.fit_reward()

    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """Action probabilities (discrete policies), Q-values (DQN) or the mean action."""
        import torch

        model = self._ensure_model()
        obs_t, _ = model.policy.obs_to_tensor(np.asarray(obs))
        with torch.no_grad():
            if hasattr(model.policy, "q_net"):
                return model.policy.q_net(obs_t)[0].cpu().numpy()
            if hasattr(model.policy, "get_distribution"):
                dist = model.policy.get_distribution(obs_t).distribution
                if hasattr(dist, "probs"):
                    return dist.probs[0].cpu().numpy()
        return np.atleast_1d(np.asarray(self.act(obs, greedy=True), dtype=np.float32))

    # ----------------------------------------------------------------- what it reports
    def stats(self) -> PreferenceStats:
        """Where training stands, under the names :class:`PreferenceStats` promises."""
        fit = self.last_fit

        def mean(key: str) -> float | None:
            values = [float(v) for v in np.atleast_1d(fit.get(key, [])) if v is not None]
            finite = [v for v in values if np.isfinite(v)]
            return float(np.mean(finite)) if finite else None

        recent = list(self._recent)
        val_acc = fit.get("val_accuracy")
        return PreferenceStats(
            env_steps=int(self.env_steps),
            episodes=int(self.episodes),
            labels_asked=int(self.labels_requested),
            labels_answered=int(self.labels.received),
            labels_skipped=int(self.labels.skipped),
            labels_kept=len(self.labels),
            reward_fits=int(self.fits),
            val_accuracy=None if val_acc is None else float(val_acc),
            val_loss=mean("val_loss"),
            train_loss=mean("train_loss"),
            l2_coef=mean("l2"),
            learned_return=float(np.mean([r[0] for r in recent])) if recent else None,
            true_return=float(np.mean([r[1] for r in recent])) if recent else None,
            greedy_return=self.best_greedy,
        )

    def preference_probability(self, left: Segment, right: Segment) -> float | None:
        """The reward model's P(left ≻ right), mean over members; None before the first fit."""
        if not self.reward.trained:
            return None
        return float(mean_preference(self.ensemble, [(left, right)])[0])

    def note_episodes(self, dones: Any, infos: Any) -> None:
        """Count the episodes that ended in a vectorised step; keep their returns."""
        if dones is None:
            return
        self.episodes += int(np.sum(dones))
        self._recent.extend(episode_returns(dones, infos))

    # ----------------------------------------------------------------- the phases
    def collect_random(self, steps: int) -> int:
        """Collect clips: a uniformly random policy for about ``steps`` env steps."""
        space = self.venv.action_space
        self.env.reset()
        n = self.n_envs
        done_steps = 0
        while done_steps < steps:
            actions = np.stack([space.sample() for _ in range(n)])
            _, _, dones, infos = self.env.step(actions)
            done_steps += n
            self.note_episodes(dones, infos)
        self.env_steps += done_steps
        if self.model is not None:
            self.model._last_obs = None  # the learner must reset the env it did not see
        return done_steps

    def select_queries(self, n: int) -> list[tuple[Segment, Segment]]:
        """Select queries: ``n`` pairs from the clip pool, oversampled, by the selection rule."""
        if n <= 0 or len(self.pool) < 2:
            return []
        first: list[tuple[Segment, Segment]] = []
        if self.fits and not self.labels.decisive():  # every answer "equal" so far
            first = ending_pairs(self.pool.segments(), max(1, n // 2), self.rng)
        cands = self.pool.sample_pairs((n - len(first)) * self.config.oversample, self.rng)
        ens = self.ensemble if self.fits else None  # fitted, even if only on ties
        return first + select_queries(cands, n - len(first), self.config.selection, ens)

    def ask(self, pairs: Sequence[tuple[Segment, Segment]], source: LabelSource) -> int:
        """Ask: hand ``pairs`` to the label source (it answers now or later)."""
        if not pairs:
            return 0
        source.request(list(pairs))
        self.labels_requested += len(pairs)
        return len(pairs)

    def request_labels(self, n: int, source: LabelSource) -> int:
        """Select ``n`` queries and ask them; return how many were asked."""
        return self.ask(self.select_queries(n), source)

    def absorb(self, source: LabelSource, min_new: int = 1) -> int:
        """Take the answers that arrived; fit the reward when at least ``min_new`` wait."""
        new = source.poll()
        if new:
            self.labels.add(new)
            self._unfitted += len(new)
        if self._unfitted >= min_new and len(self.labels) > 0:
            self.fit_reward()
        return len(new)

    def fit_reward(self) -> dict[str, Any]:
        """Fit the reward: the ensemble on the label set, the learner's reward recalibrated,
        an off-policy buffer relabelled; return the fit's statistics."""
        if len(self.labels) == 0:
            raise HfrlError("no labels to fit the reward on; collect some comparisons first")
        data = PreferenceDataset.from_pairs(list(self.labels))
        cfg = self.config
        warm = {"epochs": cfg.refit_epochs, "min_steps": cfg.refit_min_steps} if self.fits else {}
        train = TrainConfig(**{"seed": self.seed + self.fits, **warm, **self.config.reward_train})
        stats = self.ensemble.fit(data, train)
        if self.labels.decisive():
            self._stop_tie_exploration()
            self._calibrate()
            self.reward.trained = True
            self.reward.refresh()
        else:
            self._start_tie_exploration()
        self.fits += 1
        self._unfitted = 0
        if self.model is not None and self.config.relabel_buffer and is_off_policy(self.model):
            chunk = 256 if self.ensemble.spec.image else 4096
            stats["relabelled"] = relabel_replay_buffer(self.model, self.reward, chunk)
        self.last_fit = stats
        return stats

    def _start_tie_exploration(self) -> None:
        """Explore on PEBBLE's state entropy while every label so far is "equal".

        Acrobot's and MountainCar's clips under the reward oracle all tie: the fit is then a
        constant plus noise that normalising would blow up to a unit-variance reward. Until a
        label prefers a clip the learner explores instead, so some clip reaches the goal and
        gets asked.
        """
        if self.model is None or self.reward.explore is not None:
            return
        self.reward.explore = pretraining_reward(self.model, self.config.entropy_k, self.device)
        self._tie_exploration = True

    def _stop_tie_exploration(self) -> None:
        """End the state-entropy reward started while every label was "equal"."""
        if not self._tie_exploration:
            return
        if isinstance(self.reward.explore, BufferStateEntropy):
            self.reward.explore.detach()
        self.reward.explore = None
        self._tie_exploration = False

    def _calibrate(self, max_states: int = 5000) -> None:
        """Rescale the learner's reward on the states of the most recent labelled clips."""
        prefs = list(self.labels)
        terminal = any(p.left.terminated or p.right.terminated for p in prefs)
        obs, acts, count = [], [], 0
        for pref in reversed(prefs):
            for seg in (pref.left, pref.right):
                obs.append(seg.obs)
                acts.append(seg.actions)
                count += len(seg)
            if count >= max_states:
                break
        if obs:
            self.reward.calibrate(np.concatenate(obs), np.concatenate(acts), terminal)

    # ----------------------------------------------------------------- driver
    def learn(
        self,
        total_timesteps: int,
        teacher: PreferenceTeacher | None = None,
        labels: int = 100,
        source: LabelSource | None = None,
        on_curve: CurveFn | None = None,
        eval_points: int = 0,
        eval_episodes: int = 3,
        eval_every_episodes: int = 0,
        *,
        callback: Any = None,
        progress_bar: bool = False,
    ) -> dict[str, Any]:
        """Train for ``total_timesteps`` env steps asking about ``labels`` comparisons.

        Args:
            total_timesteps: Env steps of this call (random policy and pretraining included).
            teacher: Simulated teacher (ignored when ``source`` is given).
            labels: Comparisons to ask in this call.
            source: Where answers come from, e.g. a :class:`QueryQueue` a GUI answers.
            on_curve: Called with each curve point.
            eval_points: Greedy evaluations on the true reward spread over the run (0: none).
            eval_episodes: Episodes per evaluation.
            eval_every_episodes: Also evaluate every this many training episodes (0: never).
            callback: SB3 callback(s) run with the learner's (``BaseCallback``, a list, or a
                function of ``(locals, globals)``).
            progress_bar: SB3's progress bar over the learner's steps.

        Returns:
            Statistics: env_steps, episodes, labels, fits, seconds, learner steps per second.

        >>> from hfrl.teachers.presets import make_teacher
        >>> agent = PreferenceAgent("CartPole-v1")  # doctest: +SKIP
        >>> agent.learn(20_000, make_teacher("oracle", "CartPole-v1", 0), labels=50)  # doctest: +SKIP
        """
        if total_timesteps < 1:
            raise HfrlError(f"total_timesteps must be at least 1, got {total_timesteps}")
        if source is None:
            if teacher is None:
                raise HfrlError("learn() needs a teacher or a label source")
            source = TeacherLabels(teacher)
        cfg = self.config
        t0 = time.perf_counter()
        start_steps, start_labels = self.env_steps, self.labels_requested
        fresh = self.labels_requested == 0 and len(self.labels) == 0 and self.fits == 0
        schedule = LabelSchedule(
            labels,
            max(1, round(cfg.label_horizon * total_timesteps)),
            cfg.random_policy_share if fresh else 0.0,
            cfg.schedule_c,
        )
        model = self._ensure_model(total_timesteps)
        loop = PreferenceCallback(
            self,
            schedule,
            source,
            start_steps,
            start_labels,
            on_curve,
            eval_points,
            eval_episodes,
            total_timesteps,
            eval_every_episodes,
        )
        if fresh and schedule.initial > 0 and not cfg.pretrain_steps:
            loop.random_until = self._random_policy_round(schedule, source, total_timesteps)
        learner_steps = total_timesteps - (self.env_steps - start_steps)
        if cfg.pretrain_steps and fresh:
            self.reward.explore = pretraining_reward(model, cfg.entropy_k, self.device)
            loop.pretrain_until = self.env_steps + min(cfg.pretrain_steps, learner_steps)
        t_learn = time.perf_counter()
        if learner_steps > 0:  # train the learner; the loop runs the other phases between rollouts
            callbacks = [loop, *(callback if isinstance(callback, list) else [callback])]
            model.learn(
                learner_steps,
                callback=[c for c in callbacks if c is not None],
                reset_num_timesteps=False,
                progress_bar=progress_bar,
            )
        learn_seconds = time.perf_counter() - t_learn
        loop.finish()
        return {
            "env_steps": self.env_steps - start_steps,
            "learner_steps": max(0, learner_steps),
            "episodes": self.episodes,
            "labels": self.labels_requested - start_labels,
            "labels_kept": len(self.labels),
            "fits": self.fits,
            "seconds": time.perf_counter() - t0,
            "learner_steps_per_second": max(0, learner_steps) / max(learn_seconds, 1e-9),
            "last_fit": {
                k: v for k, v in self.last_fit.items() if k in ("val_accuracy", "train_loss")
            },
        }

    def _random_policy_round(
        self, schedule: LabelSchedule, source: LabelSource, total_timesteps: int
    ) -> int | None:
        """The first round on a uniformly random policy's clips (25% of the labels).

        On-policy learners: collect clips, select, ask, fit now. Off-policy learners' own
        warm-up acts uniformly at random: its clips are the random-policy share and its
        transitions stay in the replay buffer; returns the env steps at which to ask them.
        """
        steps = self.config.random_policy_steps or min(
            self.segment_length * 2 * schedule.initial, total_timesteps // 10
        )
        steps = max(self.n_envs, steps)
        model = self._ensure_model(total_timesteps)
        if is_off_policy(model):
            model.learning_starts = max(model.learning_starts, steps)
            return self.env_steps + steps
        self.collect_random(steps)
        self.ask(self.select_queries(schedule.initial), source)
        self.absorb(source)
        self.pool.clear()
        return None

    def evaluate(self, episodes: int = 10, seed: int = 10_000) -> tuple[float, float]:
        """Mean and std of the greedy return on the true reward (best kept in :meth:`stats`)."""
        from hfrl.envs.evaluation import evaluate_episodes

        returns, lengths = evaluate_episodes(
            self, self.env_id, episodes=episodes, seed=seed, max_steps=self.max_episode_steps
        )
        self.last_evaluation = (returns, lengths)
        mean, std = float(np.mean(returns)), float(np.std(returns))
        self.best_greedy = mean if self.best_greedy is None else max(self.best_greedy, mean)
        return mean, std

    # ----------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> None:
        """Write config and counters (JSON), the learner (JSON + weights), reward, labels.

        Nothing written is a pickle: the learner is saved by
        :func:`~hfrl.agents.preference.learner_io.save_learner`, not SB3's ``save``.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_json(
            directory / STATE_FILE,
            {
                "env_id": self.env_id,
                "seed": self.seed,
                "max_episode_steps": self.max_episode_steps,
                "config": config_to_dict(self.config),
                "learner": self.learner_name,
                "env_steps": self.env_steps,
                "episodes": self.episodes,
                "labels_requested": self.labels_requested,
                "fits": self.fits,
                "reward": self.reward.state(),
            },
        )
        save_learner(self._ensure_model(), directory, self.learner_args)
        self.ensemble.save(directory / REWARD_DIR)
        self.labels.save(directory / LABELS_FILE)

    @classmethod
    def load(
        cls,
        directory: str | Path,
        device: str | None = None,
        *,
        env: Any = None,
        model: BaseAlgorithm | None = None,
    ) -> PreferenceAgent:
        """Rebuild an agent written by :meth:`save`; :meth:`learn` continues from it.

        Nothing in ``directory`` is unpickled or imported (see
        :mod:`~hfrl.agents.preference.learner_io`). Pass ``env`` and ``model`` again if the
        agent was built on your own (the weights are loaded into ``model``).

        >>> agent = PreferenceAgent.load("runs/x/agent")  # doctest: +SKIP
        """
        directory = Path(directory)
        if not (directory / STATE_FILE).exists():
            raise HfrlError(
                f"{directory} holds no saved preference agent (no {STATE_FILE}); "
                "save one with PreferenceAgent.save(dir)."
            )
        state = load_json(directory / STATE_FILE)
        learner_class(str(state.get("learner", "")))  # a known name, or a one-line refusal
        config = config_from_dict(PreferenceConfig, state["config"])
        if device is not None:
            config = dataclasses.replace(config, device=device)
        agent = cls(
            str(state["env_id"]),
            config=config,
            seed=int(state["seed"]),
            max_episode_steps=state.get("max_episode_steps"),
            venv=env,
            model=model,
        )
        agent.ensemble = RewardEnsemble.load(directory / REWARD_DIR, device=agent.device)
        agent.reward.ensemble = agent.ensemble
        agent.reward.load_state(state["reward"])
        agent.labels = LabelSet.load(directory / LABELS_FILE)
        if agent.reward.trained and "member_scale" not in state["reward"] and len(agent.labels):
            agent._calibrate()  # saved before the member spreads were kept with the reward
        legacy_args = learner_args(agent.learner_name, agent._learner_kwargs(), None)
        agent.model, agent.learner_args = load_learner(
            directory, agent.env, agent.seed, agent.device, agent.learner_name, legacy_args, model
        )
        for key in ("env_steps", "episodes", "labels_requested", "fits"):
            setattr(agent, key, int(state[key]))
        if agent.fits and not agent.labels.decisive():
            agent._start_tie_exploration()  # saved while every label was "equal"
        return agent


def _fps(env_id: str) -> float:
    """The env's display rate (30 for an env hfrl does not know)."""
    from hfrl.envs.make import env_fps

    try:
        return float(env_fps(env_id))
    except (HfrlError, KeyError, ValueError):
        return 30.0
