"""TAMER+RL (Knox & Stone, AAMAS 2010 and 2012): a person's ratings and the env reward together.

A :class:`~hfrl.agents.tamer.Tamer` learns Ĥ(s, a) from the ratings; a linear SARSA(λ)
learner (:mod:`hfrl.agents.sarsa`) over the same RBF features learns Q from the
environment's reward (``Step.true_reward``, the MDP reward TAMER+RL assumes). One setting,
``combination``, picks how Ĥ enters the RL learner (:mod:`hfrl.agents.tamer_rl_rules`):
reward shaping, Q augmentation, action biasing or control sharing, or a baseline (``tamer``:
Ĥ alone; ``rl``: SARSA(λ) alone). β, Ĥ's weight, is annealed per RL episode: β0 · decay^e.

Two settings (``setting``):

* ``sequential`` (Knox & Stone 2010): ratings train Ĥ during the first ``human_episodes``
  K episodes only; then Ĥ is frozen (later ratings are ignored, ``accepts_ratings`` turns
  False). By default (``rl_start="first-step"``) the combination acts and SARSA(λ) learns
  on-policy from the env reward from the first step, so Q is learnt on the behaviour Ĥ
  steers; ``rl_start="after-ratings"`` is the papers' order: TAMER acts during the K rated
  episodes and SARSA(λ) starts at episode K.
* ``simultaneous`` (Knox & Stone 2012): the combination acts from the first step and the
  ratings keep training Ĥ while RL learns (in the first K episodes only when K > 0).

Three settings protect and reuse what Ĥ knows when RL starts (issue 16's measurements on
MountainCar-v0 are in ``experiments/results/tamer_rl/candidates.md``):

* ``q_init_from_h`` c: when Ĥ freezes, Q's weights gain c·Ĥ's (Knox & Stone 2010's
  Q-value initialisation from Ĥ), so SARSA(λ) starts its RL phase preferring Ĥ's actions.
* ``beta_schedule="until-matched"``: the combination acts and learns from the env reward,
  but the greedy policy stays Ĥ's until the combination's env returns match those of the
  episodes TAMER acted in, and goes back to Ĥ's when they fall behind.
* ``value_step_size``: a shared value baseline, Q(s, a) = V(s) + A_a(s), so an untried
  action loses the optimistic start with its tried neighbours (measured: worse on
  MountainCar; off by default).

β0 and its decay per combination are in :data:`BETA_DEFAULTS`. The papers' forms are kept
(control sharing's β is a probability, min(β, 1)); their numeric values for β were not
found by this implementation, so the defaults are this suite's, chosen on MountainCar-v0
with the simulated ``human`` trainer (``experiments/results/tamer_rl/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from hfrl.agents.common import check_vector_obs
from hfrl.agents.live_base import LiveAgent
from hfrl.agents.sarsa import LinearSarsa, SarsaConfig
from hfrl.agents.tamer import Tamer, TamerConfig
from hfrl.agents.tamer_rl_rules import (
    annealed_beta,
    check_combination,
    choose_action,
    selection_values,
    td_error,
    uses_ratings,
    uses_rl,
)

from hfrl.credit import Credit
from hfrl.errors import HfrlError
from hfrl.types import Scalar, Step

__all__ = ["BETA_DEFAULTS", "SETTINGS", "TamerRL", "TamerRLConfig"]

SETTINGS = ("sequential", "simultaneous")
"""When the ratings train Ĥ: before RL acts (sequential) or while it learns (simultaneous)."""

RL_STARTS = ("first-step", "after-ratings")
"""When SARSA(λ) starts in the sequential setting (see ``TamerRLConfig.rl_start``)."""

BETA_SCHEDULES = ("per-episode", "until-matched")
"""How Ĥ's weight changes (see ``TamerRLConfig.beta_schedule``): ``until-matched`` gives the
greedy policy an unbounded β (Ĥ's argmax) until the env reward shows the learner has caught up."""

SEQUENTIAL_RATING_EPISODES = 5
"""K when the sequential setting does not name it (the issue's 5 rated episodes)."""

BETA_DEFAULTS: dict[str, tuple[float, float]] = {
    # Ĥ in [-1, 1] added to MountainCar's -1 per step: comparable magnitudes.
    "reward-shaping": (1.0, 0.9),
    # Ĥ's action gaps (about 1) against Q's: the optimistic zero start opens gaps of about
    # 10 between tried and untried actions within an episode or two; β0 = 10 keeps Ĥ
    # steering, and 0.98 per episode keeps it above 5 over a 30-episode run.
    "q-augmentation": (10.0, 0.98),
    "action-biasing": (10.0, 0.98),
    # A probability: follow argmax Ĥ on every decision at first, then less and less.
    "control-sharing": (1.0, 0.9),
    "tamer": (1.0, 1.0),
    "rl": (0.0, 1.0),
}
"""Combination -> (β0, decay of β per RL episode) when ``beta``/``beta_decay`` are unset."""


@dataclass(frozen=True)
class TamerRLConfig:
    """Settings of a :class:`TamerRL` agent."""

    combination: str = "action-biasing"
    """How Ĥ enters RL: ``reward-shaping``, ``q-augmentation``, ``action-biasing``,
    ``control-sharing``; baselines ``tamer`` (Ĥ alone) and ``rl`` (SARSA(λ) alone)."""
    setting: str = "simultaneous"
    """``simultaneous``: the combination acts throughout while ratings keep coming (what a
    person teaching live gets); ``sequential``: ratings for the first ``human_episodes``
    while TAMER acts, then RL with Ĥ frozen."""
    human_episodes: int | None = None
    """K: episodes in which ratings train Ĥ; None: 5 when sequential, 0 (all) when
    simultaneous."""
    rl_start: str = "first-step"
    """Sequential setting only. ``first-step``: the combination acts and SARSA(λ) learns
    from the env reward from the first step, while the ratings of the first K episodes train
    Ĥ (then Ĥ is frozen); ``after-ratings``: TAMER acts during the K rated episodes and
    SARSA(λ) starts at episode K with Ĥ frozen (Knox & Stone 2010's order)."""
    beta: float | None = None
    """β0, Ĥ's initial weight; None: the combination's default (:data:`BETA_DEFAULTS`)."""
    beta_decay: float | None = None
    """β is multiplied by this after every RL episode; None: the combination's default."""
    step_size: float = 0.01
    """SARSA(λ): α per feature on unnormalised RBFs."""
    trace_decay: float = 0.9
    """SARSA(λ): λ."""
    gamma: float = 1.0
    """SARSA(λ): discount."""
    epsilon: float = 0.0
    """SARSA(λ): ε-greedy exploration while learning (not in greedy evaluation)."""
    trace: str = "accumulating"
    """SARSA(λ): ``accumulating`` or ``replacing`` traces."""
    initial_q: float = 0.0
    """SARSA(λ): Q before learning (0: optimistic on MountainCar's -1 per step)."""
    value_step_size: float = 0.0
    """Shared value baseline: Q(s, a) = V(s) + A_a(s) with V = u·φ learnt by the same TD
    error at this step size (its own trace, shared by the actions); 0: no baseline, plain
    Q = w_a·φ. V moves every action's value at a visited state, so an untried action no
    longer keeps the optimistic start its tried neighbours lost."""
    q_init_from_h: float = 0.0
    """c: when Ĥ freezes (the last rated episode ends, sequential setting) Q's weights gain
    c · Ĥ's, so Q(s, a) starts its RL phase at Q(s, a) + c · Ĥ(s, a) (Knox & Stone 2010's
    Q-value initialisation from Ĥ); 0: off."""
    beta_schedule: str = "per-episode"
    """``per-episode``: the combination acts from the RL start with β0 · decay^e.
    ``until-matched``: the combination acts and learns as under ``per-episode``, but the
    greedy policy stays Ĥ's (TAMER's rule) until each of the combination's last
    ``match_window`` env returns is at least the mean return of the last ``match_window``
    episodes TAMER acted in (the rated ones, with ``rl_start="after-ratings"``); the test is
    re-made after every episode, so Ĥ takes the greedy policy back when the learner falls
    behind. With no episode of TAMER's to compare with, the combination's greedy policy is
    used once it has ``match_window`` episodes."""
    match_window: int = 4
    """``until-matched``: the combination's episodes that must each match (and TAMER's
    episodes averaged, up to this many). MountainCar pilots (seeds 0-8): 4 and 7 gave the
    same held episodes; 5 let one unready takeover through on seed 5."""
    h_step_size: float = 1e-2
    """Ĥ: TAMER's step size per feature (:class:`~hfrl.agents.tamer.TamerConfig`)."""
    delay_min: float = 0.2
    """Ĥ: shortest trainer reaction delay credited (seconds)."""
    delay_max: float = 0.8
    """Ĥ: longest trainer reaction delay credited (seconds)."""
    rbf_centres: int = 0
    """RBF centres per dimension, shared by Ĥ and Q; 0: 40 for 2-D states, 8 for wider."""
    rbf_width: float = 0.08
    """RBF standard deviation as a fraction of each dimension's range (Knox: 0.08)."""

    def __post_init__(self) -> None:
        check_combination(self.combination)
        if self.setting not in SETTINGS:
            raise HfrlError(f"setting must be one of {', '.join(SETTINGS)}, got {self.setting!r}")
        k = self.rating_episodes
        if k < 0 or (self.setting == "sequential" and k < 1):
            raise HfrlError(
                "human_episodes must be >= 1 in the sequential setting (>= 0 in simultaneous)"
            )
        if self.rl_start not in RL_STARTS:
            raise HfrlError(
                f"rl_start must be one of {', '.join(RL_STARTS)}, got {self.rl_start!r}"
            )
        if self.beta is not None and self.beta < 0:
            raise HfrlError(f"beta must be >= 0, got {self.beta}")
        if self.beta_decay is not None and not (0.0 <= self.beta_decay <= 1.0):
            raise HfrlError(f"beta_decay must lie in [0, 1], got {self.beta_decay}")
        if self.beta_schedule not in BETA_SCHEDULES:
            raise HfrlError(
                f"beta_schedule must be one of {', '.join(BETA_SCHEDULES)}, "
                f"got {self.beta_schedule!r}"
            )
        if self.match_window < 1:
            raise HfrlError(f"match_window must be >= 1, got {self.match_window}")
        if self.value_step_size < 0:
            raise HfrlError(f"value_step_size must be >= 0, got {self.value_step_size}")
        self.sarsa_config()  # validates the learner's settings

    def sarsa_config(self) -> SarsaConfig:
        """The SARSA(λ) learner's settings."""
        return SarsaConfig(
            self.step_size, self.trace_decay, self.gamma, self.epsilon, self.trace, self.initial_q
        )

    def tamer_config(self) -> TamerConfig:
        """The Ĥ learner's settings (linear TAMER over the shared RBFs)."""
        return TamerConfig(
            step_size=self.h_step_size,
            delay_min=self.delay_min,
            delay_max=self.delay_max,
            rbf_centres=self.rbf_centres,
            rbf_width=self.rbf_width,
        )

    @property
    def rating_episodes(self) -> int:
        """K in effect (see ``human_episodes``)."""
        if self.human_episodes is not None:
            return self.human_episodes
        return SEQUENTIAL_RATING_EPISODES if self.setting == "sequential" else 0

    @property
    def beta0(self) -> float:
        """β0 in effect."""
        return BETA_DEFAULTS[self.combination][0] if self.beta is None else self.beta

    @property
    def decay(self) -> float:
        """Decay of β per RL episode in effect."""
        return BETA_DEFAULTS[self.combination][1] if self.beta_decay is None else self.beta_decay


_OWN_COUNTERS = ("ratings_used", "ratings_ignored")


class TamerRL(LiveAgent):
    """TAMER+RL agent: Ĥ from ratings, SARSA(λ) from the env reward, combined by one rule.

    Args:
        env_id: environment id (picks the feature ranges).
        observation_space: a Box of vector observations.
        action_space: a Discrete space.
        config: agent settings.
        seed: seed of the agent's own random generator (tie-breaks, exploration).
    """

    name: ClassVar[str] = "tamer-rl"
    config_class: ClassVar[type] = TamerRLConfig

    def __init__(
        self,
        env_id: str,
        observation_space: Any,
        action_space: Any,
        config: TamerRLConfig | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(env_id, observation_space, action_space, config, seed)
        check_vector_obs(env_id, observation_space, self.name, "deep-tamer")
        self.tamer = Tamer(
            env_id, observation_space, action_space, self.config.tamer_config(), seed
        )
        self.features = self.tamer.features
        self.sarsa = LinearSarsa(self.n_actions, self.features.dim, self.config.sarsa_config())
        cfg = self.config
        self.value: LinearSarsa | None = None  # the shared baseline V(s), one "action"
        if cfg.value_step_size > 0:
            value_cfg = SarsaConfig(
                cfg.value_step_size, cfg.trace_decay, cfg.gamma, 0.0, cfg.trace, cfg.initial_q
            )
            self.value = LinearSarsa(1, self.features.dim, value_cfg)
            self.sarsa.weights[:, -1] = 0.0  # the start value is V's: the actions' differ by 0
        self._q_from_h_done = False
        self._episode_return = 0.0
        self._returns: dict[str, list[float]] = {"h": [], "rl": []}  # until-matched
        self._next: tuple[np.ndarray, int] | None = None  # SARSA's a' for the next act()
        self._ratings_until = float("inf")  # last t_wall a rating may have, once K ended
        self._last_delta = 0.0
        self._phi_cache: dict[bytes, np.ndarray] = {}
        self.ratings_used = 0
        self.ratings_ignored = 0

    # ----------------------------------------------------------------- phases
    @property
    def combination(self) -> str:
        """The combination rule in use."""
        return self.config.combination

    @property
    def accepts_ratings(self) -> bool:
        """Whether a rating given now still trains Ĥ (False once Ĥ is frozen, or for ``rl``)."""
        k = self.config.rating_episodes
        return uses_ratings(self.combination) and (k == 0 or self.episodes_seen < k)

    @property
    def rl_start_episode(self) -> int:
        """The episode from which the combination acts and SARSA(λ) learns: K when the
        sequential setting starts RL after the ratings, else 0."""
        cfg = self.config
        late = cfg.setting == "sequential" and cfg.rl_start == "after-ratings"
        return cfg.rating_episodes if late else 0

    def policy_at(self, episode: int) -> str:
        """The rule acting in ``episode``: TAMER's greedy policy before RL starts, the
        combination from then on."""
        training = episode < self.rl_start_episode
        return "tamer" if training and uses_ratings(self.combination) else self.combination

    def greedy_policy_at(self, episode: int) -> str:
        """The rule of the greedy (evaluation) action: TAMER's before RL starts and, under
        ``until-matched``, until the combination's env return matches Ĥ's."""
        return "tamer" if self._matching and not self.matched else self.policy_at(episode)

    def beta_at(self, episode: int) -> float:
        """β in ``episode``: β0 · decay^(episodes since the combination started acting)."""
        return annealed_beta(self.config.beta0, self.config.decay, episode - self.rl_start_episode)

    def learns_q_in(self, episode: int) -> bool:
        """Whether SARSA(λ) learns in ``episode``: once the combination acts. Not while TAMER
        acts (``rl_start="after-ratings"``): Q learnt on TAMER's behaviour from an optimistic
        zero start values the actions TAMER did not take above the ones it took, and the
        learner then pushes against Ĥ (measured on MountainCar: -200 for 25 episodes)."""
        return uses_rl(self.combination) and self.policy_at(episode) != "tamer"

    @property
    def policy(self) -> str:
        """The rule acting now (see :meth:`policy_at`)."""
        return self.policy_at(self.episodes_seen)

    @property
    def beta(self) -> float:
        """Current weight β of Ĥ."""
        return self.beta_at(self.episodes_seen)

    # ----------------------------------------------------------------- values
    def _phi(self, obs: np.ndarray) -> np.ndarray:
        """RBF features of ``obs``; the last few are cached (a step's obs is featurised when
        acting, recording and updating)."""
        x = np.asarray(obs, dtype=np.float64)
        key = x.tobytes()
        phi = self._phi_cache.get(key)
        if phi is None:
            phi = self.features(x)
            if len(self._phi_cache) >= 4:
                self._phi_cache.pop(next(iter(self._phi_cache)))
            self._phi_cache[key] = phi
        return phi

    def _values(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        phi = self._phi(obs)
        q = self.sarsa.values(phi)
        if self.value is not None:
            q = q + self.value.values(phi)[0]
        return phi, q, self.tamer.weights @ phi

    def h_values(self, obs: np.ndarray) -> np.ndarray:
        """Ĥ(s, ·)."""
        return self._values(obs)[2]

    def q_values(self, obs: np.ndarray) -> np.ndarray:
        """Q(s, ·) of the SARSA(λ) learner."""
        return self._values(obs)[1]

    def action_preferences(self, obs: np.ndarray) -> np.ndarray:
        """The values the acting rule takes the argmax of (Ĥ while TAMER acts, Q + β·Ĥ, ...;
        control sharing: Ĥ while β >= 1, then Q)."""
        _, q, h = self._values(obs)
        if self.policy == "control-sharing":
            return h if self.beta >= 1.0 else q
        return selection_values(self.policy, q, h, self.beta)

    def _choose(self, q: np.ndarray, h: np.ndarray, episode: int, greedy: bool) -> int:
        policy = self.greedy_policy_at(episode) if greedy else self.policy_at(episode)
        eps = 0.0 if greedy or policy == "tamer" else self.config.epsilon
        return choose_action(policy, q, h, self.beta_at(episode), eps, self.rng)

    # ----------------------------------------------------------------- Agent protocol
    def act(self, obs: np.ndarray, greedy: bool = False) -> int:
        """The acting rule's action; while learning, the a' SARSA already chose for ``obs``."""
        if not greedy and self._next is not None and np.array_equal(self._next[0], obs):
            action = self._next[1]
            self._next = None
            return action
        _, q, h = self._values(obs)
        return self._choose(q, h, self.episodes_seen, greedy)

    def _payload(self, step: Step) -> dict[str, Any]:
        """What Ĥ learns from a credited step: its observation, action and features."""
        return {
            "obs": np.asarray(step.obs, np.float64),
            "action": int(step.action),
            "phi": self._phi(step.obs),
        }

    def _on_observe(self, step: Step, shown: Any) -> None:
        """One SARSA(λ) update on the env reward; the end of the rated episodes."""
        episode = self.episodes_seen - int(step.done)  # the counters have already moved
        cfg = self.config
        if cfg.q_init_from_h and not self._q_from_h_done and self._h_frozen_in(episode):
            self._q_from_h_done = True  # once, with every late rating of episode K-1 in Ĥ
            self.sarsa.weights += cfg.q_init_from_h * self.tamer.weights
        if self.learns_q_in(episode):
            self._sarsa_update(step, episode)
        elif self.value is not None and uses_rl(self.combination):
            self._value_update(step)  # TAMER acts: the baseline learns its value
        self._episode_return += float(step.true_reward)
        if step.done:
            self.sarsa.end_episode()
            if self.value is not None:
                self.value.end_episode()
            self._next = None
            self._end_episode_return(episode)
            if self.episodes_seen == cfg.rating_episodes:  # the last rated one ended
                self._ratings_until = float(step.t_wall) + cfg.delay_max + 1e-9

    def _h_frozen_in(self, episode: int) -> bool:
        """Whether Ĥ is frozen in ``episode`` (sequential setting, from episode K on)."""
        return self.config.setting == "sequential" and episode >= self.config.rating_episodes

    def _end_episode_return(self, episode: int) -> None:
        """``until-matched``: the episode's env return joins its side (Ĥ's or the
        combination's) of the comparison."""
        ret, self._episode_return = self._episode_return, 0.0
        if self._matching:
            side = self._returns["h" if self.policy_at(episode) == "tamer" else "rl"]
            side.append(ret)
            del side[: -self.config.match_window]  # only the window is compared

    @property
    def _matching(self) -> bool:
        """Whether the ``until-matched`` schedule is in use (for a combination with Ĥ and RL)."""
        c = self.combination
        return self.config.beta_schedule == "until-matched" and uses_rl(c) and uses_ratings(c)

    @property
    def matched(self) -> bool:
        """``until-matched``: whether each of the combination's last ``match_window`` env
        returns reaches the mean of TAMER's last ``match_window`` (True under ``per-episode``)."""
        if not self._matching:
            return True
        m = self.config.match_window
        h, rl = self._returns["h"][-m:], self._returns["rl"][-m:]
        return len(rl) == m and (not h or min(rl) >= float(np.mean(h)))

    @staticmethod
    def _local(phi: np.ndarray) -> np.ndarray:
        """φ without the constant feature (the last): with a baseline, the per-action values
        only learn local (RBF) differences; the global level is V's."""
        out = phi.copy()
        out[-1] = 0.0
        return out

    def _value_update(self, step: Step) -> None:
        """TD(λ) on the baseline alone, δ = r + γV(s') − V(s), while TAMER acts."""
        assert self.value is not None
        phi = self._phi(step.obs)
        v_next = 0.0 if step.terminated else float(self.value.values(self._phi(step.next_obs))[0])
        delta = self.value.td_error(
            float(step.true_reward), float(self.value.values(phi)[0]), v_next, step.terminated
        )
        self.value.step(phi, 0, delta)

    def _sarsa_update(self, step: Step, episode: int) -> None:
        phi, q, h = self._values(step.obs)
        a = int(step.action)
        a_next, q_next, h_next = 0, 0.0, 0.0
        if not step.terminated:  # bootstrap, also from a time-limit cut
            _, qn, hn = self._values(step.next_obs)
            a_next = self._choose(qn, hn, episode, greedy=False)
            q_next, h_next = float(qn[a_next]), float(hn[a_next])
            if not step.truncated:
                self._next = (np.array(step.next_obs, copy=True), a_next)
        delta = td_error(
            self.combination,
            float(step.true_reward),
            float(q[a]),
            float(h[a]),
            q_next,
            h_next,
            self.beta_at(episode),
            self.config.gamma,
            bool(step.terminated),
        )
        if self.value is not None:
            self.sarsa.step(self._local(phi), a, delta)
            self.value.step(phi, 0, delta)
        else:
            self.sarsa.step(phi, a, delta)
        self._last_delta = delta
        self.updates += 1

    def _learn(self, feedback: Scalar, credit: Credit) -> None:
        """Train Ĥ with a rating while ratings are accepted; count it as ignored otherwise.

        A rating may arrive just after the last rated episode ended (the trainer's delay):
        it still credits that episode's last steps, up to ``delay_max`` later.
        """
        if not uses_ratings(self.combination) or float(feedback.t_wall) > self._ratings_until:
            self.ratings_ignored += 1
            return
        self.tamer._learn(feedback, credit)
        self.ratings_used += 1

    def update(self) -> dict[str, float]:
        """Learning happens in :meth:`observe` and :meth:`give`; report statistics."""
        return {
            "feedback": float(self.feedback_count),
            "ratings_used": float(self.ratings_used),
            "ratings_ignored": float(self.ratings_ignored),
            "beta": self.beta,
            "td_error": self._last_delta,
        }

    # ----------------------------------------------------------------- persistence
    def _meta(self) -> dict[str, Any]:
        return {
            **{k: getattr(self, k) for k in _OWN_COUNTERS},
            "ratings_until": None if self._ratings_until == float("inf") else self._ratings_until,
            "next_action": None if self._next is None else self._next[1],
            "q_from_h_done": self._q_from_h_done,
            "episode_return": self._episode_return,
            "returns": self._returns,
        }

    def _save_state(self, directory: Path) -> None:
        """``tamer_rl.npz``: Ĥ's weights, Q's weights and traces, SARSA's pending a'."""
        arrays = {"h": self.tamer.weights, "q": self.sarsa.weights, "traces": self.sarsa.traces}
        if self._next is not None:
            arrays["next_obs"] = self._next[0]
        if self.value is not None:
            arrays["v"], arrays["v_traces"] = self.value.weights, self.value.traces
        np.savez(directory / "tamer_rl.npz", **arrays)

    def _load_state(self, directory: Path, meta: dict[str, Any]) -> None:
        with np.load(directory / "tamer_rl.npz", allow_pickle=False) as z:
            self.tamer.weights = z["h"].copy()
            self.sarsa.weights = z["q"].copy()
            self.sarsa.traces = z["traces"].copy()
            if meta["next_action"] is not None:
                self._next = (z["next_obs"].copy(), int(meta["next_action"]))
            if self.value is not None:
                self.value.weights, self.value.traces = z["v"].copy(), z["v_traces"].copy()
        self._q_from_h_done = bool(meta.get("q_from_h_done", False))
        self._episode_return = float(meta.get("episode_return", 0.0))
        saved = meta.get("returns") or {}
        self._returns = {k: [float(x) for x in saved.get(k, [])] for k in ("h", "rl")}
        if meta["ratings_until"] is not None:
            self._ratings_until = float(meta["ratings_until"])
        for k in _OWN_COUNTERS:
            setattr(self, k, int(meta[k]))
