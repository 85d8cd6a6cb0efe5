"""Christiano-style preference learning with any Stable-Baselines3 learner (DESIGN.md §5).

The loop of :meth:`PreferenceAgent.learn`:

1. a uniformly random policy plays first; a share of the label budget (25%) is asked on
   its clips, and the reward ensemble is fitted on those answers;
2. the SB3 learner trains on the learned reward through
   :class:`~hfrl.envs.learned_reward.LearnedRewardVecEnv` (one batched reward call per
   vectorised step; rewards shifted so the absorbing state scores 0, then normalised);
3. a :class:`~hfrl.agents.preference.segments.SegmentRecorder` under that wrapper cuts the
   learner's rollouts into clips; at the end of each rollout the labels due under the
   schedule (rate ∝ c/(T+c)) are requested: candidate pairs are oversampled 10× and the
   most informative asked (ensemble disagreement by default);
4. answers arrive through a :class:`~hfrl.agents.preference.labels.LabelSource` (a
   simulated teacher at once, or a person through a :class:`QueryQueue` without blocking);
   each batch refits the ensemble (bagging, validation split, adaptive L2) on the capped
   label set, and an off-policy learner's replay buffer is relabelled (PEBBLE).

Optionally the learner first explores on a state-entropy reward (PEBBLE pretraining).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
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
    learner_preset,
    resolve_learner_name,
)
from hfrl.agents.preference.pebble import StateEntropyReward, relabel_replay_buffer
from hfrl.agents.preference.queries import select_queries
from hfrl.agents.preference.segments import SegmentPool, SegmentRecorder
from hfrl.envs.learned_reward import LearnedRewardVecEnv
from hfrl.envs.suites import is_atari
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv

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
from hfrl.types import Feedback, Preference, Step

STATE_FILE = "preference_agent.json"
LABELS_FILE = "labels.npz"
REWARD_DIR = "reward"

CurveFn = Callable[[dict[str, float]], None]
"""Called with each curve point (env_steps, episodes, feedback_count, return, ...)."""


class PreferenceAgent:
    """Learns a reward from clip comparisons and trains an SB3 learner on it.

    Args:
        env_id: Environment id (any :func:`hfrl.envs.make.make` id).
        observation_space: Unused (the env gives it); accepted for the common agent signature.
        action_space: Unused, likewise.
        config: How to learn (defaults: PPO or SAC, 3 members, disagreement queries).
        seed: Seeds the envs, learner, reward ensemble and query sampling.
        max_episode_steps: Optional time limit on training episodes.
    """

    feedback_kind: ClassVar[str] = "preference"
    config_class: ClassVar[type] = PreferenceConfig
    name = "preference"

    def __init__(
        self,
        env_id: str,
        observation_space: Any = None,
        action_space: Any = None,
        config: PreferenceConfig | None = None,
        seed: int = 0,
        max_episode_steps: int | None = None,
    ) -> None:
        from hfrl.envs.make import env_fps

        del observation_space, action_space
        self.env_id = env_id
        self.config = config or PreferenceConfig()
        self.seed = seed
        self.max_episode_steps = max_episode_steps
        self.rng = np.random.default_rng(seed)
        self.device = resolve_device(self.config.device)
        cfg = self.config
        self.segment_length = cfg.segment_length or default_segment_length(env_id, env_fps(env_id))
        image = is_atari(env_id)
        self.pool = SegmentPool(cfg.pool_size or (100 if image else 1000))
        self.labels = LabelSet(cfg.label_buffer)
        self.venv = self._make_venv()
        self.recorder = SegmentRecorder(
            self.venv, self.segment_length, env_id, self.pool.add, cfg.keep_frames
        )
        self.observation_space = self.venv.observation_space
        self.action_space = self.venv.action_space
        from gymnasium import spaces

        continuous = isinstance(self.action_space, spaces.Box)
        self.learner_name = resolve_learner_name(cfg.learner, continuous)
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
        self.env = LearnedRewardVecEnv(self.recorder, self.reward)
        self.model: BaseAlgorithm | None = None
        self.learner_args: dict[str, Any] | None = None
        """Constructor arguments of the learner (saved as JSON with it)."""
        self.env_steps = 0
        """Env steps taken so far (random policy, pretraining and learner)."""
        self.episodes = 0
        """Training episodes finished so far."""
        self.labels_requested = 0
        """Comparisons asked for so far."""
        self.fits = 0
        """Reward-ensemble fits so far."""
        self.last_fit: dict[str, Any] = {}
        self._unfitted = 0

    # ----------------------------------------------------------------- construction
    def _learner_kwargs(self) -> dict[str, Any]:
        kwargs = learner_preset(self.learner_name, self.env_id)
        kwargs.update(self.config.learner_kwargs)
        return kwargs

    @property
    def n_envs(self) -> int:
        """Parallel envs the learner steps."""
        return self.config.n_envs or int(self._learner_kwargs().get("n_envs", 1))

    def _make_venv(self) -> DummyVecEnv:
        from hfrl.envs.make import make

        render = "rgb_array" if self.config.keep_frames else None
        limit, seed, env_id = self.max_episode_steps, self.seed, self.env_id

        def factory(i: int) -> Callable[[], Any]:
            return lambda: make(env_id, seed=seed + i, render_mode=render, max_episode_steps=limit)

        from gymnasium import spaces

        probe = make(env_id, render_mode=None)
        continuous = isinstance(probe.action_space, spaces.Box)
        probe.close()
        learner = resolve_learner_name(self.config.learner, continuous)
        n = self.config.n_envs or int(
            {**learner_preset(learner, self.env_id), **self.config.learner_kwargs}.get("n_envs", 1)
        )
        venv = DummyVecEnv([factory(i) for i in range(n)])
        venv.action_space.seed(seed)
        return venv

    def _ensure_model(self, total_steps: int | None = None) -> BaseAlgorithm:
        if self.model is None:
            self.learner_args = learner_args(self.learner_name, self._learner_kwargs(), total_steps)
            self.model = build_from_args(
                self.learner_name, self.env, self.learner_args, self.seed, self.device
            )
        return self.model

    # ----------------------------------------------------------------- Agent protocol
    def act(self, obs: np.ndarray, greedy: bool = False) -> int | np.ndarray:
        """The learner's action for one observation (its mode when ``greedy``)."""
        action, _ = self._ensure_model().predict(np.asarray(obs), deterministic=greedy)
        if np.ndim(action) == 0:
            return int(action)
        return np.asarray(action)

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

    # ----------------------------------------------------------------- reward
    def fit_reward(self) -> dict[str, Any]:
        """Fit the ensemble on the label set; relabel an off-policy buffer; return stats."""
        if len(self.labels) == 0:
            raise HfrlError("no labels to fit the reward on; collect some comparisons first")
        data = PreferenceDataset.from_pairs(list(self.labels))
        warm = {"epochs": 20, "min_steps": 100} if self.fits else {}
        train = TrainConfig(**{"seed": self.seed + self.fits, **warm, **self.config.reward_train})
        stats = self.ensemble.fit(data, train)
        self._calibrate()
        self.reward.trained = True
        self.reward.refresh()
        self.fits += 1
        self._unfitted = 0
        if self.model is not None and self.config.relabel_buffer and is_off_policy(self.model):
            chunk = 256 if self.ensemble.spec.image else 4096
            stats["relabelled"] = relabel_replay_buffer(self.model, self.reward, chunk)
        self.last_fit = stats
        return stats

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

    def request_labels(self, n: int, source: LabelSource) -> int:
        """Pick ``n`` pairs from the clip pool (oversampled, by the selection rule); ask them."""
        if n <= 0 or len(self.pool) < 2:
            return 0
        cands = self.pool.sample_pairs(n * self.config.oversample, self.rng)
        ens = self.ensemble if self.reward.trained else None
        pairs = select_queries(cands, n, self.config.selection, ens)
        source.request(pairs)
        self.labels_requested += len(pairs)
        return len(pairs)

    def absorb(self, source: LabelSource, min_new: int = 1) -> int:
        """Take the answers that arrived; refit when at least ``min_new`` are waiting."""
        new = source.poll()
        if new:
            self.labels.add(new)
            self._unfitted += len(new)
        if self._unfitted >= min_new and len(self.labels) > 0:
            self.fit_reward()
        return len(new)

    # ----------------------------------------------------------------- driver
    def collect_random(self, steps: int) -> int:
        """Play a uniformly random policy for about ``steps`` env steps, recording clips."""
        space = self.venv.action_space
        self.env.reset()
        n = self.n_envs
        done_steps = 0
        while done_steps < steps:
            actions = np.stack([space.sample() for _ in range(n)])
            _, _, dones, _ = self.env.step(actions)
            done_steps += n
            self.episodes += int(np.sum(dones))
        self.env_steps += done_steps
        if self.model is not None:
            self.model._last_obs = None  # the learner must reset the env it did not see
        return done_steps

    def learn(
        self,
        total_steps: int,
        teacher: PreferenceTeacher | None = None,
        labels: int = 100,
        source: LabelSource | None = None,
        on_curve: CurveFn | None = None,
        eval_points: int = 0,
        eval_episodes: int = 3,
        eval_every_episodes: int = 0,
    ) -> dict[str, Any]:
        """Train for ``total_steps`` env steps asking about ``labels`` comparisons.

        Args:
            total_steps: Env steps of this call (random policy and pretraining included).
            teacher: Simulated teacher (ignored when ``source`` is given).
            labels: Comparisons to ask in this call.
            source: Where answers come from, e.g. a :class:`QueryQueue` a GUI answers.
            on_curve: Called with each curve point.
            eval_points: Greedy evaluations on the true reward spread over the run (0: none).
            eval_episodes: Episodes per evaluation.
            eval_every_episodes: Also evaluate every this many training episodes (0: never).

        Returns:
            Statistics: env_steps, episodes, labels, fits, seconds, learner steps per second.
        """
        if total_steps < 1:
            raise HfrlError(f"total_steps must be at least 1, got {total_steps}")
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
            max(1, round(cfg.label_horizon * total_steps)),
            cfg.random_policy_share if fresh else 0.0,
            cfg.schedule_c,
        )
        model = self._ensure_model(total_steps)
        random_until = None
        if fresh and schedule.initial > 0 and not cfg.pretrain_steps:
            steps = cfg.random_policy_steps or min(
                self.segment_length * 2 * schedule.initial, total_steps // 10
            )
            steps = max(self.n_envs, steps)
            if is_off_policy(model):
                # the learner's own warm-up acts uniformly at random: its clips are the
                # random-policy share, and its transitions stay in the replay buffer
                model.learning_starts = max(model.learning_starts, steps)
                random_until = self.env_steps + steps
            else:
                self.collect_random(steps)
                self.request_labels(schedule.initial, source)
                self.absorb(source)
                self.pool.clear()
        callback = _PreferenceCallback(
            self,
            schedule,
            source,
            start_steps,
            start_labels,
            on_curve,
            eval_points,
            eval_episodes,
            total_steps,
        )
        callback.eval_every_episodes = eval_every_episodes
        callback.next_eval_episode = self.episodes + eval_every_episodes
        callback.random_until = random_until
        learner_steps = total_steps - (self.env_steps - start_steps)
        t_learn = time.perf_counter()
        if cfg.pretrain_steps and fresh:
            self.reward.explore = StateEntropyReward(cfg.entropy_k, device=self.device)
            callback.pretrain_until = self.env_steps + min(cfg.pretrain_steps, learner_steps)
        if learner_steps > 0:
            model.learn(learner_steps, callback=callback, reset_num_timesteps=False)
        learn_seconds = time.perf_counter() - t_learn
        callback.finish()
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

    def evaluate(self, episodes: int = 10, seed: int = 10_000) -> tuple[float, float]:
        """Mean and std of the greedy return on the true reward."""
        from hfrl.training.evaluate import evaluate

        return evaluate(
            self, self.env_id, episodes=episodes, seed=seed, max_steps=self.max_episode_steps
        )

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
    def load(cls, directory: str | Path, device: str | None = None) -> PreferenceAgent:
        """Rebuild an agent written by :meth:`save`; :meth:`learn` continues from it."""
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
            state["env_id"],
            config=config,
            seed=int(state["seed"]),
            max_episode_steps=state.get("max_episode_steps"),
        )
        agent.ensemble = RewardEnsemble.load(directory / REWARD_DIR, device=agent.device)
        agent.reward.ensemble = agent.ensemble
        agent.reward.load_state(state["reward"])
        agent.labels = LabelSet.load(directory / LABELS_FILE)
        if agent.reward.trained and "member_scale" not in state["reward"] and len(agent.labels):
            agent._calibrate()  # saved before the member spreads were kept with the reward
        legacy_args = learner_args(agent.learner_name, agent._learner_kwargs(), None)
        agent.model, agent.learner_args = load_learner(
            directory, agent.env, agent.seed, agent.device, agent.learner_name, legacy_args
        )
        for key in ("env_steps", "episodes", "labels_requested", "fits"):
            setattr(agent, key, int(state[key]))
        return agent


class _PreferenceCallback(BaseCallback):
    """Runs the preference side of the loop between the learner's rollouts."""

    def __init__(
        self,
        agent: PreferenceAgent,
        schedule: LabelSchedule,
        source: LabelSource,
        start_steps: int,
        start_labels: int,
        on_curve: CurveFn | None,
        eval_points: int,
        eval_episodes: int,
        total_steps: int,
    ) -> None:
        super().__init__()
        self.agent = agent
        self.schedule = schedule
        self.source = source
        self.start_steps = start_steps
        self.start_labels = start_labels
        self.on_curve = on_curve
        self.eval_episodes = eval_episodes
        rest = schedule.budget - schedule.initial
        self.batch = max(1, math.ceil(rest / agent.config.query_rounds)) if rest > 0 else 1
        self.eval_every = total_steps / eval_points if eval_points > 0 else math.inf
        self.next_eval = start_steps + self.eval_every
        self.pretrain_until: int | None = None
        self.random_until: int | None = None
        self.eval_every_episodes = 0
        self.next_eval_episode = 0
        """Off-policy learners: env steps at which the random warm-up's labels are asked."""
        self._model_steps0 = 0
        self._steps0 = 0

    def _on_training_start(self) -> None:
        self._model_steps0 = self.model.num_timesteps
        self._steps0 = self.agent.env_steps

    def _sync_steps(self) -> int:
        a = self.agent
        a.env_steps = self._steps0 + (self.model.num_timesteps - self._model_steps0)
        return a.env_steps - self.start_steps

    def _on_step(self) -> bool:
        dones = self.locals.get("dones")
        if dones is not None:
            self.agent.episodes += int(np.sum(dones))
        return True

    def _on_rollout_end(self) -> None:
        a = self.agent
        steps = self._sync_steps()
        if self.pretrain_until is not None and a.env_steps >= self.pretrain_until:
            self._end_pretraining()
        if self.random_until is not None:
            if a.env_steps < self.random_until:
                return
            self.random_until = None
            a.request_labels(self.schedule.initial, self.source)
            a.absorb(self.source)
            a.pool.clear()
        if self.pretrain_until is None:
            asked = a.labels_requested - self.start_labels
            due = self.schedule.due(steps) - asked
            pending = self.source.pending()
            room = a.config.max_pending - pending
            n = min(due, room) if pending else due
            if n >= self.batch or (n > 0 and steps >= self.schedule.total_steps):
                a.request_labels(n, self.source)
            a.absorb(self.source, min_new=min(self.batch, 5))
        due_by_steps = a.env_steps >= self.next_eval
        due_by_episodes = self.eval_every_episodes > 0 and a.episodes >= self.next_eval_episode
        while a.env_steps >= self.next_eval:
            self.next_eval += self.eval_every
        while self.eval_every_episodes > 0 and a.episodes >= self.next_eval_episode:
            self.next_eval_episode += self.eval_every_episodes
        if due_by_steps or due_by_episodes:
            self.curve_point()

    def _end_pretraining(self) -> None:
        a = self.agent
        self.pretrain_until = None
        a.reward.explore = None
        if a.labels_requested == self.start_labels:
            a.request_labels(max(1, self.schedule.initial), self.source)
        a.absorb(self.source)
        if a.reward.trained and is_off_policy(self.model) and a.config.relabel_buffer:
            relabel_replay_buffer(self.model, a.reward)

    def curve_point(self) -> dict[str, float]:
        """Evaluate greedily and report one curve point."""
        from hfrl.effort import DEFAULT_EFFORT

        a = self.agent
        ret, _ = a.evaluate(self.eval_episodes, seed=a.seed + 10_000)
        point = {
            "env_steps": a.env_steps,
            "episodes": a.episodes,
            "feedback_count": a.labels.received,
            "human_seconds": DEFAULT_EFFORT.comparison_seconds(a.labels.received),
            "return": ret,
        }
        if self.on_curve is not None:
            self.on_curve(point)
        return point

    def finish(self) -> None:
        """End pretraining if still on, and learn from the answers that arrived."""
        if self.pretrain_until is not None:
            self._end_pretraining()
        self.agent.absorb(self.source)
