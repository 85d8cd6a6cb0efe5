"""What a live-feedback run (TAMER, COACH, Deep TAMER, ...) logs, in the formats SB3 tools read.

One :class:`LiveRunLog` per ``hfrl train`` run of a live agent writes, under ``OUT/logs/``
(:data:`hfrl.training.logs.LOG_DIR`), the same files as the preference run:

- ``progress.csv`` (and TensorBoard events when the extra is installed): one row per
  training episode with ``feedback/...`` (ratings so far and this episode, steps the
  ratings credited this episode and so far, mean credit weight), ``agent/...`` (what
  ``agent.update()`` last returned: Ĥ or policy statistics), ``rollout/...`` (the training
  episode's true return and length, SB3's 100-episode means) and ``eval/mean_reward`` on
  the rows where the curve has a greedy point;
- ``monitor.csv``: the training episodes (SB3's ``Monitor`` around the training env);
- ``evaluations.npz``: the curve's greedy evaluations as ``EvalCallback`` saves them
  (see :meth:`LiveRunLog.close` for the final evaluation).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hfrl.training.logs import LOG_DIR, monitored, run_logger, save_evaluations

EVALUATIONS_FILE = "evaluations.npz"
"""Name of the greedy evaluations file in the logs folder (SB3's ``EvalCallback`` name)."""


class _StepCounter:
    """Forwards ``act`` to an agent and counts the calls (one per env step of an episode)."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.steps = 0

    def act(self, obs: Any, greedy: bool = False) -> Any:
        self.steps += 1
        return self.agent.act(obs, greedy=greedy)


def greedy_episodes(
    agent: Any,
    env_id: str,
    episodes: int,
    seed: int,
    max_steps: int | None = None,
) -> tuple[list[float], list[int]]:
    """Returns and lengths of ``episodes`` greedy episodes, seeded as
    :func:`hfrl.envs.evaluation.evaluate` seeds them (so their mean is its mean)."""
    from hfrl.envs.evaluation import run_episode
    from hfrl.envs.make import make

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    env = make(env_id, seed=seed, render_mode=None, max_episode_steps=max_steps)
    returns: list[float] = []
    lengths: list[int] = []
    try:
        for i in range(episodes):
            counter = _StepCounter(agent)
            returns.append(run_episode(counter, env, seed + i, max_steps))
            lengths.append(counter.steps)
    finally:
        env.close()
    return returns, lengths


def numeric_stats(stats: Any) -> dict[str, float]:
    """The numbers of an ``agent.update()`` result (anything else is left out)."""
    if not isinstance(stats, Mapping):
        return {}
    out: dict[str, float] = {}
    for key, value in stats.items():
        if isinstance(value, (int, float, np.number)) and not isinstance(value, str):
            out[str(key)] = float(value)
    return out


class LiveRunLog:
    """Per-episode metrics of one live-feedback run (see the module docstring).

    Args:
        out_dir: the run's output folder; files go to ``out_dir/logs``.
        stdout: also print each row (SB3's table).
        tensorboard: write TensorBoard events (None: when the package is installed).
    """

    def __init__(
        self, out_dir: str | Path, stdout: bool = False, tensorboard: bool | None = None
    ) -> None:
        self.folder = Path(out_dir) / LOG_DIR
        self.logger = run_logger(self.folder, stdout=stdout, tensorboard=tensorboard)
        self.ratings = 0
        """Ratings given to the agent so far."""
        self.credited_steps = 0
        """Distinct steps credited by at least one rating so far."""
        self._seen: set[int] = set()
        self._episode_ratings = 0
        self._episode_steps: set[int] = set()
        self._episode_weights: list[float] = []
        self._returns: deque[float] = deque(maxlen=100)
        self._lengths: deque[int] = deque(maxlen=100)
        self.eval_timesteps: list[int] = []
        self.eval_results: list[list[float]] = []
        self.eval_lengths: list[list[int]] = []
        self._final: tuple[int, list[float], list[int]] | None = None

    def monitor(self, env: Any) -> Any:
        """``env`` wrapped in SB3's ``Monitor`` writing ``logs/monitor.csv``."""
        return monitored(env, self.folder)

    def rated(self, credit: Any) -> None:
        """A rating was given with ``credit`` (a sequence of ``(step index, weight)`` pairs,
        or None when the agent credits it itself)."""
        self.ratings += 1
        self._episode_ratings += 1
        for index, weight in credit or ():
            self._episode_steps.add(int(index))
            self._episode_weights.append(float(weight))
            if int(index) not in self._seen:
                self._seen.add(int(index))
                self.credited_steps += 1

    def episode(
        self,
        *,
        env_steps: int,
        episodes: int,
        ep_return: float,
        ep_length: int,
        agent_stats: Any = None,
        human_seconds: float | None = None,
        greedy: tuple[list[float], list[int]] | None = None,
    ) -> None:
        """One row of ``progress.csv`` at the end of a training episode.

        Args:
            env_steps: env steps so far (the row's step).
            episodes: training episodes so far.
            ep_return: the episode's true return.
            ep_length: its length in steps.
            agent_stats: what ``agent.update()`` last returned.
            human_seconds: the trainer's effort so far.
            greedy: returns and lengths of the curve's greedy point here, if any.
        """
        self._returns.append(float(ep_return))
        self._lengths.append(int(ep_length))
        log = self.logger.record
        log("time/episodes", episodes)
        log("time/total_timesteps", env_steps)
        log("rollout/ep_return", float(ep_return))
        log("rollout/ep_len", int(ep_length))
        log("rollout/ep_rew_mean", float(np.mean(self._returns)))
        log("rollout/ep_len_mean", float(np.mean(self._lengths)))
        log("feedback/ratings", self.ratings)
        log("feedback/ratings_episode", self._episode_ratings)
        log("feedback/credited_steps_episode", len(self._episode_steps))
        log("feedback/credited_steps", self.credited_steps)
        weights = self._episode_weights
        log("feedback/mean_credit_weight", float(np.mean(weights)) if weights else math.nan)
        if human_seconds is not None:
            log("feedback/human_seconds", float(human_seconds))
        for key, value in numeric_stats(agent_stats).items():
            log(f"agent/{key}", value)
        if greedy is not None:
            returns, lengths = greedy
            log("eval/mean_reward", float(np.mean(returns)))
            log("eval/mean_ep_length", float(np.mean(lengths)))
            self.eval_timesteps.append(int(env_steps))
            self.eval_results.append([float(r) for r in returns])
            self.eval_lengths.append([int(n) for n in lengths])
        self.logger.dump(step=int(env_steps))
        self._episode_ratings = 0
        self._episode_steps = set()
        self._episode_weights = []

    def final(self, env_steps: int, returns: list[float], lengths: list[int]) -> None:
        """The final greedy evaluation: ``eval/mean_reward`` at the run's last step."""
        self.logger.record("feedback/ratings", self.ratings)
        self.logger.record("feedback/credited_steps", self.credited_steps)
        self.logger.record("eval/mean_reward", float(np.mean(returns)))
        self.logger.record("eval/mean_ep_length", float(np.mean(lengths)))
        self.logger.dump(step=int(env_steps))
        self._final = (int(env_steps), [float(r) for r in returns], [int(n) for n in lengths])

    def close(self) -> Path | None:
        """Close the logger and write ``evaluations.npz``; its path (None: no evaluation).

        ``timesteps``/``results``/``ep_lengths`` hold the curve's greedy points during
        training (``--eval-every``), equal episode counts as ``EvalCallback`` has; the final
        evaluation is one more row when its episode count is the same, and the only row when
        there were none. It is always also under ``final_timesteps``/``final_results``/
        ``final_ep_lengths``.
        """
        self.logger.close()
        timesteps, results, lengths = (
            list(self.eval_timesteps),
            list(self.eval_results),
            list(self.eval_lengths),
        )
        final = self._final
        if final is not None and (not results or len(final[1]) == len(results[0])):
            timesteps.append(final[0])
            results.append(final[1])
            lengths.append(final[2])
        if not timesteps:
            return None
        return save_evaluations(
            self.folder / EVALUATIONS_FILE, timesteps, results, lengths, final=final
        )
