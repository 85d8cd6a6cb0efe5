"""Deep COACH on an Atari game (Bowling by default) against a random policy, same run.

Trains for ``--minutes`` simulated minutes of feedback at ``--fps`` agent steps per second
(15 min at 15 steps/s = 13,500 steps), then scores the greedy agent and a uniform random
policy on the same evaluation seeds (true game score), in the same run.

Trainer (``--teacher``): ``human-pd`` when the game has a scripted expert (Bowling has
one, :mod:`hfrl.envs.experts`), so ratings track the advantage of the agent's action over
its own policy as COACH assumes, with a 0.2-0.8 s delay credited by the delay window;
otherwise ``hindsight`` (:mod:`hfrl.teachers.atari_oracle`), which rates the step shown
3 s before each judgement by whether the reward since beats its running mean, credited
over [3.2 s, 3.8 s] before the rating.
Policy: Nature-CNN encoder + 256-unit head, paper settings otherwise (L = 10, m = 16,
β = 1.5 unless ``--entropy-coef``) except lr 1e-4 (``--lr``).

    python experiments/benchmarks/deep_coach_atari.py [--minutes 15] [--game Bowling]

Without a GPU the default is a bounded CPU run (``--minutes 3``); pass ``--minutes 15``
for the full budget. The greedy score of a near-uniform policy is the score of whichever
action has the largest probability, so the score of the sampled policy is printed too.

Measured on CPU (1 torch thread, shared 2-core machine, no GPU lent), Bowling, seed 0,
15 simulated minutes (13,500 steps), 3 evaluation episodes; random policy 23.7 ± 7.7:

=================  ==========================  =======  ======  ============  ======
trainer            settings                    ratings  greedy  sampled π     wall s
=================  ==========================  =======  ======  ============  ======
human-pd           defaults (lr 1e-4, β 1.5)       753     0.0  27.3 ± 6.8       296
human-pd           lr 1e-3                         769     0.0  21.3 ± 2.9       187
human-pd           lr 3e-4, β 0.5                  718     0.0  25.3 ± 3.1       182
human-pd           lr 1e-3, β 0.1                   36     0.0   0.0 ± 0.0       161
hindsight          defaults                        178     0.0  22.7 ± 7.0       173
hindsight          lr 2.5e-4, AE encoder 2000      149     0.0   0.0 ± 0.0       162
hindsight          lr 1e-3, β 0.1                  150     0.0   0.0 ± 0.0       114
=================  ==========================  =======  ======  ============  ======

(The bounded default, 3 minutes with hindsight: 34 ratings, greedy 0.0, 74 s.) No setting
beat the random policy: the sampled policies stay at the random level and the greedy one
never throws the ball (its most likely action in the ready state is not a FIRE).
With a small β the policy collapses onto a non-throwing action that the policy-dependent
trainer then stops rating (its advantage is ~0 once the agent is sure).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_common import random_score, train_once


def has_expert(env_id: str) -> bool:
    """The env has a scripted expert a policy-dependent trainer can judge by."""
    from hfrl.envs.experts import get_expert

    try:
        get_expert(env_id)
    except KeyError:
        return False
    return True


class Sampled:
    """Evaluate an agent by sampling its stochastic policy instead of taking the argmax."""

    def __init__(self, agent) -> None:
        self.agent = agent

    def act(self, obs, greedy: bool = False) -> int:
        return self.agent.act(obs, greedy=False)


def main() -> None:
    from hfrl.envs.make import make

    from hfrl.seeding import resolve_device
    from hfrl.training.evaluate import evaluate
    from hfrl.training.scalar_loop import ScalarRunConfig, build_agent

    gpu = torch.cuda.is_available()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--game", default="Bowling", help="ALE game name (ALE/<game>-v5)")
    p.add_argument("--minutes", type=float, default=15.0 if gpu else 3.0)
    p.add_argument("--fps", type=float, default=15.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=3)
    p.add_argument("--device", default="auto")
    p.add_argument("--autoencoder-frames", type=int, default=0)
    p.add_argument(
        "--teacher",
        default=None,
        help="trainer (default: human-pd when the game has a scripted expert, else hindsight)",
    )
    p.add_argument("--lr", type=float, default=1e-4, help="Adam lr (paper: 2.5e-4)")
    p.add_argument("--entropy-coef", type=float, default=1.5, help="β (paper: 1.5)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-episode-steps", type=int, default=4500, help="cap (5 min of play)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    env_id = f"ALE/{args.game}-v5"
    steps = int(args.minutes * 60 * args.fps)
    teacher = args.teacher or ("human-pd" if has_expert(env_id) else "hindsight")
    # hindsight rates the step shown `horizon` (3 s) before its judgement, then 0.2-0.8 s
    # of reaction; the expert-based trainers rate the step on screen after 0.2-0.8 s
    delay = (3.2, 3.8) if teacher.startswith("hindsight") else (0.2, 0.8)
    overrides = {
        "device": args.device,
        "lr": args.lr,
        "entropy_coef": args.entropy_coef,
        "hidden": [256],
        "credit": "window",
        "delay_min": delay[0],
        "delay_max": delay[1],
        "autoencoder_frames": args.autoencoder_frames,
        "worker": "off",
    }
    config = ScalarRunConfig(
        "deep-coach",
        env_id,
        teacher,
        seed=args.seed,
        steps=steps,
        fps=args.fps,
        eval_episodes=args.eval_episodes,
        max_episode_steps=args.max_episode_steps,
        agent_overrides=overrides,
        progress=False,
    )
    t0 = time.perf_counter()  # wall time includes building (and pretraining) the agent
    env = make(env_id, seed=args.seed, render_mode=None)
    agent = build_agent(
        "deep-coach",
        env_id,
        env.observation_space,
        env.action_space,
        seed=args.seed,
        overrides=overrides,
    )
    env.close()
    summary = train_once(config, agent)[0]
    wall = time.perf_counter() - t0
    sampled_mean, sampled_std = evaluate(
        Sampled(agent),
        env_id,
        episodes=args.eval_episodes,
        seed=args.seed + 100_000,
        max_steps=args.max_episode_steps,
    )
    rand_mean, rand_std = random_score(
        env_id, args.seed, args.eval_episodes, args.seed + 100_000, args.max_episode_steps
    )
    device = resolve_device(args.device)
    gap = summary["eval_return_mean"] - rand_mean
    print(
        f"Deep COACH on {env_id}, {teacher} trainer, {args.minutes:g} simulated min "
        f"at {args.fps:g} steps/s"
    )
    print(
        f"  env steps {summary['env_steps']}, ratings {summary['feedback_count']}, "
        f"device {device}, wall {wall:.0f} s"
    )
    print(
        f"  deep-coach greedy score : {summary['eval_return_mean']:.1f} ± "
        f"{summary['eval_return_std']:.1f} ({args.eval_episodes} episodes)"
    )
    print(
        f"  deep-coach sampled π    : {sampled_mean:.1f} ± {sampled_std:.1f} "
        "(acting by sampling its policy, as while learning)"
    )
    print(f"  random policy score     : {rand_mean:.1f} ± {rand_std:.1f} (same seeds)")
    print(f"  deep-coach − random     : {gap:+.1f}")
    if args.minutes < 15:
        print(f"  (bounded run: {args.minutes:g} of the 15 simulated minutes asked for)")


if __name__ == "__main__":
    main()
