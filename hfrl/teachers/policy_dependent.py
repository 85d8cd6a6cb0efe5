"""Policy-dependent simulated trainers: ratings that track the advantage of the agent's action.

MacGlashan et al. (2017) found that people's feedback depends on the learner's current
policy: they reward an improvement, then stop rewarding it once it is what the agent
always does, and keep punishing mistakes. COACH reads a rating as exactly that, the
advantage A^π(s, a) of the action over the agent's current behaviour. This oracle gives
such a signal with the scripted expert standing in for the trainer's judgement, taking
Q(s, a) = 1[a = a*(s)] (the expert's action is the right one)::

    A(s, a) = Q(s, a) − Σ_b π(b|s) Q(s, b) = 1[a = a*(s)] − π(a*(s)|s)

in [−1, 1], with π read from the agent's public ``action_preferences(obs)``. A correct
action earns less and less as the agent learns it (1 − π(a*)); a wrong one costs the
more, the surer the agent is of the right one (−π(a*)).

A person's baseline is not only π, though: people keep punishing an agent that settles on
a wrong action or stalls (MacGlashan et al. 2017: feedback is policy-dependent, yet
trainers punish an agent that idles), whereas the advantage of a mistake the agent has
settled on, −π(a*) ≈ 0, falls inside any margin and is never rated (Bowling: an agent
holding the ball with π(NOOP) 0.98 scores −π(a*) ≥ −0.02 a step and gets no rating).
``human-pd-atari`` therefore rates −1 a judged span in which every step was a mistake,
whatever the margin (:class:`~hfrl.teachers.scalar.ScalarTrainerConfig`'s
``rate_persistent_mistakes``); a span with any right step is judged on its mean as
before, so a near-converged agent's occasional slip is not punished beyond its advantage.
It is the Atari trainer (the deep-coach ``ALE/*`` presets row), not ``human-pd``'s rule:
in an Atari game a run of steps all unlike the expert's is what a person sees as a stall
(the game does not go on), while on the control tasks the expert's action is one of
several good ones, and punishing every settled departure from it cost the classic suite
(``hfrl bench classic``, seeds 0-2, with the rule in ``human-pd``: COACH Acrobot −108.0 →
−189.3, LunarLander 102.5 → −109.1; Deep COACH Acrobot −101.5 → −363.1).
(A per-step floor instead — a mistake costs at least 1/n, or at least twice the margin —
did that: one confident slip outweighed a span of confident right steps, and the −1 landed
on the right steps too; Deep COACH CartPole at 20 fps, seed 2: 11 instead of 500.)

Everything else — margin, sparsity, consistency, delay, fatigue, pace — is the ordinary
:class:`hfrl.teachers.scalar.ScalarTrainer`; only the oracle differs. Presets:

- ``perfect-pd``: the ``perfect`` trainer's parameters (every step, always right, 0.2–0.8 s
  delay, margin 0: it rates whenever the advantage is non-zero, a stall included).
- ``human-pd``: the ``human`` trainer's parameters (≤ 2 presses a second judged on the mean
  advantage over the last 0.3 s, 10% wrong, same delay, tiring) with a margin of 0.05
  instead of 0.2. The advantage averages to zero over the agent's own behaviour, so a
  mean beyond ±0.2 is rare and would leave the agent almost unrated; an agent that settles
  on a wrong action has π(a*) small and, judged on the mean alone, is never punished for it
  (every |A| ≤ margin).
- ``human-pd-atari``: ``human-pd`` with persistent mistakes rated (above), which closes
  that trap where it is a stall.

The trainer must see the agent it teaches: runners call :func:`attach_agent`
(``hfrl train`` does) before the first step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from hfrl.errors import HfrlError
from hfrl.teachers.oracles import Expert
from hfrl.teachers.scalar import SCALAR_PRESETS, ScalarTrainer
from hfrl.types import Step

PD_PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "perfect-pd": ("perfect", {}),
    "human-pd": ("human", {"margin": 0.05}),
    "human-pd-atari": ("human", {"margin": 0.05, "rate_persistent_mistakes": True}),
}
"""Policy-dependent preset name -> (the scalar preset it starts from, fields changed)."""


def policy_probabilities(prefs: np.ndarray, is_policy: bool) -> np.ndarray:
    """π(·|s) from an agent's ``action_preferences`` output.

    Policy agents (COACH, Deep COACH: ``preferences_are_policy``) return probabilities
    already. Value agents (TAMER's Ĥ) do not, even when their values happen to be
    non-negative and sum to 1; their greedy policy is used: uniform over the maximisers.
    """
    p = np.asarray(prefs, dtype=np.float64).ravel()
    if is_policy:
        return p
    best = p >= p.max() - 1e-12
    return best / best.sum()


class PolicyDependentOracle:
    """A(s, a) = 1[a = a*(s)] − π(a*(s)|s), the expert's action a* judged against π.

    Args:
        expert: anything with ``act(obs) -> action`` (``hfrl.envs.experts.get_expert``).
        policy: a function obs -> action preferences; usually set by :meth:`attach`.
    """

    def __init__(
        self, expert: Expert, policy: Callable[[np.ndarray], np.ndarray] | None = None
    ) -> None:
        self.expert = expert
        self.policy = policy
        self.policy_is_distribution = True
        """Whether ``policy`` returns π(·|s) (else values, whose greedy policy is used)."""

    @property
    def name(self) -> str:
        """A short description for summaries."""
        return f"policy-dependent-advantage({type(self.expert).__name__})"

    def attach(self, agent: Any) -> None:
        """Read π from ``agent.action_preferences`` from now on; the agent's class flag
        ``preferences_are_policy`` says whether they are a policy (default: values)."""
        prefs = getattr(agent, "action_preferences", None)
        if not callable(prefs):
            raise HfrlError(
                f"a policy-dependent trainer needs an agent with action_preferences(obs); "
                f"{type(agent).__name__} has none"
            )
        self.policy = prefs
        self.policy_is_distribution = bool(getattr(agent, "preferences_are_policy", False))

    def signal(self, step: Step) -> float:
        """The advantage of ``step.action`` over the agent's current behaviour, in [−1, 1]."""
        if self.policy is None:
            raise HfrlError(
                "the policy-dependent trainer has no agent to watch; call "
                "hfrl.teachers.policy_dependent.attach_agent(teacher, agent) first"
            )
        wanted = int(self.expert.act(step.obs))
        p = policy_probabilities(self.policy(step.obs), self.policy_is_distribution)
        took = 1.0 if int(np.asarray(step.action)) == wanted else 0.0
        return took - float(p[wanted])


def attach_agent(teacher: Any, agent: Any) -> None:
    """Let a teacher that judges the agent's policy watch ``agent`` (no-op for others)."""
    oracle = getattr(teacher, "oracle", None)
    attach = getattr(oracle, "attach", None)
    if callable(attach):
        attach(agent)


def make_policy_dependent_trainer(
    preset: str,
    env_id: str,
    seed: int = 0,
    overrides: dict[str, str] | None = None,
    expert: Expert | None = None,
    agent: Any = None,
) -> ScalarTrainer:
    """A :class:`ScalarTrainer` with a :class:`PolicyDependentOracle`.

    Args:
        preset: ``"perfect-pd"`` or ``"human-pd"``.
        env_id: the env (its scripted expert is used unless ``expert`` is given).
        seed: seeds the trainer's random choices.
        overrides: string overrides of the trainer's config fields (``margin="0.1"``).
        expert: the expert to judge by instead of the env's scripted one.
        agent: the agent to watch (else call :func:`attach_agent` later).
    """
    from hfrl.teachers.presets import apply_overrides

    if preset not in PD_PRESETS:
        raise HfrlError(f"unknown policy-dependent trainer {preset!r}; use {sorted(PD_PRESETS)}")
    base, changes = PD_PRESETS[preset]
    config = apply_overrides(replace(SCALAR_PRESETS[base], **changes), overrides or {})
    if expert is None:
        from hfrl.experts import get_expert

        expert = get_expert(env_id)
    oracle = PolicyDependentOracle(expert)
    if agent is not None:
        oracle.attach(agent)
    return ScalarTrainer(config, oracle, seed=seed, name=preset)


def _factory(preset: str) -> Callable[..., ScalarTrainer]:
    def build(
        env_id: str, seed: int, overrides: dict[str, str], oracle: Any = None
    ) -> ScalarTrainer:
        if oracle is not None:
            raise HfrlError(
                f"{preset} builds its own policy-dependent oracle from the env's expert; "
                "pass an expert to make_policy_dependent_trainer instead"
            )
        return make_policy_dependent_trainer(preset, env_id, seed, overrides)

    return build


PD_HELP = {
    "perfect-pd": "policy-dependent (COACH): rates every step by its advantage over the agent's policy",
    "human-pd": "policy-dependent (COACH) at a person's pace, 10% wrong, 0.2-0.8 s delay, tiring",
    "human-pd-atari": "as human-pd, and punishes a persistent mistake (a stall: Atari)",
}


def register_presets() -> None:
    """Register ``perfect-pd``, ``human-pd`` and ``human-pd-atari`` as teacher names
    (idempotent)."""
    from hfrl.teachers.presets import TEACHERS, register_teacher

    for name in PD_PRESETS:
        if name not in TEACHERS:
            register_teacher(name, "scalar", _factory(name), PD_HELP[name])
