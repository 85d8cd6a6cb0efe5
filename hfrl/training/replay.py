"""Replay a recorded live-rating session into another live agent (``hfrl replay``).

The replayed agent goes through the same live path a person's ratings take
(:class:`hfrl.live_loop.LiveLoop`): every step the person saw is recorded in the agent's step
history at the time it was shown and observed; every rating is given at its recorded time,
credited by the agent's own credit rule over the steps shown before it, in the same
interleaving of steps and ratings as the session (``after_ratings`` of each stored step).
Nothing is asked of anyone and nothing is written to the store.

What replay can and cannot answer (COACH's policy-dependence argument, MacGlashan et al. 2017):
the person reacted to the FIRST agent's behaviour: the states, the actions and the
improvement they saw. Replay answers "what would this algorithm have learned from exactly
these ratings of exactly that behaviour?" (credit assignment, learning rule, sample
efficiency on a fixed stream). It cannot answer "what would this person have taught this
algorithm?": the second agent never acts in the session, the person never sees its mistakes,
and a rating meant as "better than before" (an advantage of the first agent's policy) is read
by the second agent as whatever its rule says. Its learning curve is measured by greedy
episodes in the real env between ratings.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hfrl.errors import HfrlError

CAVEAT = (
    "Replay answers what this agent learns from exactly these ratings of the first agent's "
    "behaviour; it cannot say what the person would have taught this agent: they reacted to "
    "the first agent (COACH's policy dependence), and this agent never acted in the session."
)
"""Printed by ``hfrl replay`` and written into its summary."""


class ReplayEnv:
    """An env whose steps are the recorded ones, whatever action is asked for."""

    def __init__(self, steps: dict[str, np.ndarray]) -> None:
        self.steps = steps
        self.k = 0
        """The recorded step the next ``step`` returns."""

    def reset(self, seed: int | None = None) -> tuple[Any, dict]:
        """The recorded observation of the step about to be replayed."""
        return self.steps["obs"][self.k], {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """The recorded outcome of step ``k``; moves to the next one."""
        s, k = self.steps, self.k
        self.k += 1
        reward = float(s["reward"][k])
        info = {"true_reward": reward}
        return s["next_obs"][k], reward, bool(s["terminated"][k]), bool(s["truncated"][k]), info


class ReplayClock:
    """The replay's time: set to each recorded time as it is replayed."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        """The current replay time."""
        return self.t


@dataclass
class ReplayResult:
    """What a replay did."""

    agent: Any
    """The agent after the replay."""
    curve: list[dict[str, float]]
    """Greedy evaluations: ``ratings, env_steps, human_seconds, return``."""
    ratings: int
    """Ratings given."""
    steps: int
    """Recorded steps replayed."""


def greedy_return(
    agent: Any, env_id: str, episodes: int, seed: int, max_steps: int = 1000
) -> float:
    """Mean true return of the agent's greedy policy over ``episodes`` seeded episodes."""
    from hfrl.envs.make import make

    env = make(env_id, render_mode=None)
    total = 0.0
    try:
        for i in range(episodes):
            obs, _ = env.reset(seed=seed + i)
            for _ in range(max_steps):
                obs, r, term, trunc, _ = env.step(agent.act(obs, greedy=True))
                total += float(r)
                if term or trunc:
                    break
    finally:
        env.close()
    return total / episodes


def replay(
    store: Any,
    session: Any,
    agent_name: str,
    seed: int,
    eval_every: int = 10,
    eval_episodes: int = 3,
    overrides: dict[str, Any] | None = None,
) -> ReplayResult:
    """Replay ``session`` into a fresh ``agent_name`` built with the presets and ``seed``.

    Args:
        eval_every: a greedy evaluation every this many ratings (0: only before and after).
        eval_episodes: episodes per evaluation (seeded ``10_000 + seed + i``).

    Raises:
        HfrlError: the session is not a live-rating one, kept no shown steps, or the agent
            does not learn from live ratings.
    """
    from hfrl.agents.builder import build_agent
    from hfrl.agents.registry import get_agent_class
    from hfrl.envs.make import make
    from hfrl.live_loop import LiveLoop
    from hfrl.seeding import seed_everything
    from hfrl.store_steps import read_shown_steps

    env_id = session.meta.get("env_id")
    if not env_id:
        raise HfrlError(f"session {session.name!r} does not record its env")
    if getattr(get_agent_class(agent_name), "feedback_kind", None) != "scalar":
        raise HfrlError(
            f"hfrl replay gives live ratings to a live agent (tamer, deep-tamer, coach, "
            f"deep-coach); {agent_name!r} learns from comparisons (use hfrl train "
            "--labels-from for a comparison session)"
        )
    steps = read_shown_steps(store, session)
    if steps is None:
        raise HfrlError(
            f"session {session.name!r} did not keep the steps it showed (sessions recorded "
            "before hfrl stored them, or a comparison session); replay needs them"
        )
    ratings = [r.scalar for r in store.scalar_records(session, include_retracted=True)]
    seed_everything(seed)
    spaces = make(env_id, render_mode=None)
    agent = build_agent(
        agent_name, env_id, spaces.observation_space, spaces.action_space, seed, overrides
    )
    spaces.close()
    clock = ReplayClock()
    env = ReplayEnv(steps)
    loop = LiveLoop(agent, env, clock)
    n = len(steps["t_start"])
    t0 = float(steps["t_start"][0])
    curve: list[dict[str, float]] = []

    def evaluate(given: int) -> None:
        ret = greedy_return(agent, env_id, eval_episodes, 10_000 + seed)
        human = (ratings[given - 1].t_wall - t0) if given else 0.0
        curve.append({"ratings": given, "env_steps": env.k, "human_seconds": human, "return": ret})

    def play_until(limit: int) -> None:
        """Replay the recorded steps recorded while the session had at most ``limit`` ratings."""
        while env.k < n and steps["after_ratings"][env.k] <= limit:
            k = env.k
            loop.obs = steps["obs"][k]
            loop.episode = int(steps["episode"][k])
            loop.ep_step = int(steps["ep_step"][k])
            clock.t = float(steps["t_start"][k])
            loop.step(steps["action"][k], t_wall=float(steps["t_start"][k]))

    evaluate(0)
    for given, scalar in enumerate(ratings):
        play_until(given)
        clock.t = max(clock.t, float(scalar.t_wall))
        loop.feedback(scalar)
        if eval_every and (given + 1) % eval_every == 0:
            evaluate(given + 1)
    play_until(len(ratings) + 1)
    if not curve or curve[-1]["ratings"] != len(ratings):
        evaluate(len(ratings))
    return ReplayResult(agent, curve, len(ratings), env.k)


def write_results(out: Path, result: ReplayResult, info: dict[str, Any]) -> None:
    """``curve.csv``, ``summary.json`` and the agent under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "curve.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["ratings", "env_steps", "human_seconds", "return"])
        writer.writeheader()
        writer.writerows(result.curve)
    summary = dict(info)
    summary.update(
        {
            "ratings": result.ratings,
            "steps_replayed": result.steps,
            "eval_return_first": result.curve[0]["return"],
            "eval_return_last": result.curve[-1]["return"],
            "what_replay_answers": CAVEAT,
        }
    )
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    result.agent.save(out / "agent")
