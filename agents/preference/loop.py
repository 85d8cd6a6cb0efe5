"""The preference side of training, run between the SB3 learner's rollouts.

SB3's ``learn`` owns the env loop, so the rounds of Christiano et al. happen in a callback:
at the end of each rollout :class:`PreferenceCallback` goes through the phases in order —
the clips of that rollout are already in the pool (the recorder cut them while the learner
collected), so it **selects** the pairs due under the label schedule, **asks** them,
**fits the reward** on the answers that arrived, and hands control back to SB3, which
**trains the learner** on the new reward. It also ends PEBBLE's pretraining, takes the
curve's greedy evaluations and records the agent's statistics in the learner's logger.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from hfrl.agents.preference.labels import LabelSchedule, LabelSource
from hfrl.agents.preference.learners import is_off_policy
from hfrl.agents.preference.pebble import BufferStateEntropy, relabel_replay_buffer, reset_critic
from hfrl.agents.preference.stats import log_values
from stable_baselines3.common.callbacks import BaseCallback

__all__ = [
    "CurveFn",
    "PreferenceCallback",
    "episode_returns",
]

if TYPE_CHECKING:
    from hfrl.agents.preference.agent import PreferenceAgent

CurveFn = Callable[[dict[str, float]], None]
"""Called with each curve point (env_steps, episodes, feedback_count, return, ...)."""


class PreferenceCallback(BaseCallback):
    """Runs the preference phases of :meth:`PreferenceAgent.learn` between rollouts.

    Args:
        agent: The agent being trained.
        schedule: How many labels are due after how many env steps.
        source: Where answers come from.
        start_steps: The agent's env steps when this ``learn`` call began.
        start_labels: Its labels asked when this call began.
        on_curve: Called with each curve point.
        eval_points: Greedy evaluations spread over the run (0: none).
        eval_episodes: Episodes per evaluation.
        total_steps: Env steps of this call.
        eval_every_episodes: Also evaluate every this many training episodes (0: never).
    """

    def __init__(
        self,
        agent: PreferenceAgent,
        schedule: LabelSchedule,
        source: LabelSource,
        start_steps: int,
        start_labels: int,
        on_curve: CurveFn | None = None,
        eval_points: int = 0,
        eval_episodes: int = 3,
        total_steps: int = 0,
        eval_every_episodes: int = 0,
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
        """Labels asked per round after the random-policy batch."""
        self.eval_every = total_steps / eval_points if eval_points > 0 else math.inf
        self.next_eval = start_steps + self.eval_every
        self.eval_every_episodes = eval_every_episodes
        self.next_eval_episode = agent.episodes + eval_every_episodes
        self.pretrain_until: int | None = None
        """Env steps at which PEBBLE's pretraining ends (None: not pretraining)."""
        self.random_until: int | None = None
        """Off-policy learners: env steps at which the random warm-up's labels are asked."""
        self._model_steps0 = 0
        self._steps0 = 0

    # ----------------------------------------------------------------- SB3 hooks
    def _on_training_start(self) -> None:
        self._model_steps0 = self.model.num_timesteps
        self._steps0 = self.agent.env_steps

    def _on_step(self) -> bool:
        self.agent.note_episodes(self.locals.get("dones"), self.locals.get("infos"))
        return True

    def _on_rollout_end(self) -> None:
        a = self.agent
        steps = self._sync_steps()
        if self.pretrain_until is not None and a.env_steps >= self.pretrain_until:
            self._end_pretraining()
        if self.random_until is not None:
            if a.env_steps < self.random_until:
                return
            self._label_random_warm_up()
        if self.pretrain_until is None:
            pairs = a.select_queries(self._labels_due(steps))  # select
            a.ask(pairs, self.source)  # ask
            a.absorb(self.source, min_new=self._refit_after())  # fit the reward
        self._evaluate_when_due()
        self.record()  # then SB3 trains the learner on the reward as it is now

    # ----------------------------------------------------------------- phases
    def _sync_steps(self) -> int:
        a = self.agent
        a.env_steps = self._steps0 + (self.model.num_timesteps - self._model_steps0)
        return a.env_steps - self.start_steps

    def _labels_due(self, steps: int) -> int:
        """Labels to ask now: those due by the schedule, in batches, within the queue's room."""
        a = self.agent
        due = self.schedule.due(steps) - (a.labels_requested - self.start_labels)
        pending = self.source.pending()
        n = min(due, a.config.max_pending - pending) if pending else due
        if n >= self.batch or (n > 0 and steps >= self.schedule.total_steps):
            return n
        return 0

    def _refit_after(self) -> int:
        """New answers that make a refit worth its cost: a tenth of the labels kept (5 new
        labels barely move a model fitted on 400), at least 5, at most one round's batch."""
        return min(self.batch, max(5, len(self.agent.labels) // 10))

    def _label_random_warm_up(self) -> None:
        """An off-policy learner's random warm-up ended: ask its share, fit, forget its clips."""
        a = self.agent
        self.random_until = None
        a.ask(a.select_queries(self.schedule.initial), self.source)
        a.absorb(self.source)
        a.pool.clear()

    def _end_pretraining(self) -> None:
        """PEBBLE: stop the state-entropy reward, ask the first labels, fit, relabel, reset."""
        a = self.agent
        self.pretrain_until = None
        if isinstance(a.reward.explore, BufferStateEntropy):
            a.reward.explore.detach()
        a.reward.explore = None
        if a.labels_requested == self.start_labels:
            a.ask(a.select_queries(max(1, self.schedule.initial)), self.source)
        a.absorb(self.source)
        if a.reward.trained and is_off_policy(self.model) and a.config.relabel_buffer:
            relabel_replay_buffer(self.model, a.reward)  # PEBBLE: relabel, then reset the critic
            reset_critic(self.model)

    def _evaluate_when_due(self) -> None:
        a = self.agent
        due_by_steps = a.env_steps >= self.next_eval
        due_by_episodes = self.eval_every_episodes > 0 and a.episodes >= self.next_eval_episode
        while a.env_steps >= self.next_eval:
            self.next_eval += self.eval_every
        while self.eval_every_episodes > 0 and a.episodes >= self.next_eval_episode:
            self.next_eval_episode += self.eval_every_episodes
        if due_by_steps or due_by_episodes:
            self.curve_point()

    # ----------------------------------------------------------------- reporting
    def record(self) -> None:
        """Put the agent's statistics in the learner's logger (dumped with SB3's own)."""
        for key, value in log_values(self.agent.stats()).items():
            self.logger.record(key, value)

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


def episode_returns(dones: Any, infos: Any) -> list[tuple[float, float]]:
    """(learned, true) return of each episode that ended in this vectorised step."""
    if dones is None or infos is None:
        return []
    out = []
    for i in np.flatnonzero(np.asarray(dones)):
        info = infos[i]
        if "learned_episode_return" in info and "true_episode_return" in info:
            out.append((float(info["learned_episode_return"]), float(info["true_episode_return"])))
    return out
