"""Deep TAMER on Atari Bowling at the user's defaults, against a random policy in the same run.

For each seed it runs the command a user runs, with no agent options (the presets table
gives Deep TAMER's Atari settings: standardised CNN input, dueling Ĥ head, 5% exploration
while learning, replay every 5 steps, Warnell et al.'s 0.2-4 s credit window, 15 fps)::

    hfrl train deep-tamer --env ALE/Bowling-v5 --teacher human --steps 13500 \\
        --max-episode-steps 4500 --eval-episodes 3 --seed S

(15 simulated minutes of feedback at 15 steps/s; episodes capped at 5 minutes of play), then
scores a uniform random policy on the same evaluation episodes (true game score) and prints
both against the published DQN score on Bowling, 42.4 (Mnih et al. 2015). The goal: a
greedy score above 42.4 on every seed.

    python experiments/benchmarks/deep_tamer_bowling.py [--seeds 0 1 2] [--minutes 15]

The ``human`` trainer judges agreement with the scripted Bowling expert
(``hfrl.experts.bowling_action``, a hook shot read off the frame stack, about 194 on its
own: ``expert_scores.py``), as the README's table of trainers describes it.

Measured (CPU, 1 torch thread, shared 2-core machine under load 5-17, no GPU lent):

- seed 0: greedy 8.0 ± 3.7 vs random 23.7 ± 7.7 on the same episodes; 1040 ratings;
  1524 s wall (load 5-17). Seed 1: 4.7 ± 3.3 vs random 18.7 ± 2.4; 1007 ratings; 295 s
  (load 3.6). Seed 2: 0.0 ± 0.0 vs random 23.0 ± 5.1; 1024 ratings; 516 s (load 3.3).
  Gap to DQN -34.4 / -37.7 / -42.4: the goal is NOT reached at the defaults on any seed
  (below random, too). With Knox & Stone's window instead (``--set delay_max=0.8``), seed 0: 27.0
  ± 11.8 (random 23.7): still far from DQN.
- Before issue 10 (the benchmark's own hidden options: ``normalize_frames=2000``,
  ``dueling=true``, ``explore=0.05``, a trainer-matched credit window [0.2, 1.4] s, and the
  earlier ``human`` trainer that rated the mean of the last 0.5-1.1 s): seeds 0/1/2 scored
  143.0 / 181.0 / 0.0. The defaults keep the first three (they serve a person) but credit
  Warnell et al.'s [0.2, 4] s; the trainer now rates what was on screen 0.2-0.8 s before
  its key press, so about 16% of each rating's credit falls on what it judged and the rest
  on 0.8-4 s of other play; Knox & Stone's window alone does not recover the old figure
  either; presumably the old trainer's longer judged span (0.5-1.1 s of play per rating)
  with the matched window carried it (not isolated). Not solved in this session.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_common import random_score, run_user_command, uptime_load

DQN_BOWLING = 42.4
ENV_ID = "ALE/Bowling-v5"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--minutes", type=float, default=15.0, help="simulated minutes of feedback")
    p.add_argument("--teacher", default="human", help="simulated trainer (default human)")
    p.add_argument("--eval-episodes", type=int, default=3)
    p.add_argument("--max-episode-steps", type=int, default=4500, help="5 min of play")
    args = p.parse_args()
    from hfrl.presets import preset_fps

    fps = preset_fps("deep-tamer", ENV_ID) or 15.0
    steps = round(args.minutes * 60 * fps)
    print(
        f"Deep TAMER on {ENV_ID}, {args.teacher} trainer, {args.minutes:g} simulated min at "
        f"{fps:g} steps/s ({steps} steps); load before: {uptime_load()}"
    )
    rows = []
    for seed in args.seeds:
        cmd = ["train", "deep-tamer", "--env", ENV_ID, "--teacher", args.teacher]
        cmd += ["--steps", str(steps), "--max-episode-steps", str(args.max_episode_steps)]
        cmd += ["--eval-episodes", str(args.eval_episodes), "--seed", str(seed)]
        summary, wall = run_user_command(cmd)
        rand, rand_std = random_score(
            ENV_ID, seed, args.eval_episodes, seed + 100_000, args.max_episode_steps
        )
        score = float(summary["eval_return_mean"])
        rows.append((seed, score, rand))
        print(f"  command: hfrl {' '.join(cmd)}")
        print(
            f"    seed {seed}: greedy {score:.1f} ± {summary['eval_return_std']:.1f}, random "
            f"{rand:.1f} ± {rand_std:.1f}, DQN {DQN_BOWLING}; gap to DQN {score - DQN_BOWLING:+.1f}"
            f"; ratings {summary['feedback_count']}, wall {wall:.0f} s, load {uptime_load()}",
            flush=True,
        )
    scores = [s for _, s, _ in rows]
    beat = sum(s > DQN_BOWLING for s in scores)
    print(
        f"  median greedy {statistics.median(scores):.1f} (random "
        f"{statistics.median(r for *_, r in rows):.1f}); above DQN's {DQN_BOWLING} on {beat} of "
        f"{len(rows)} seeds; worst seed's gap to DQN {min(scores) - DQN_BOWLING:+.1f} "
        f"(goal: above it on every seed)"
    )


if __name__ == "__main__":
    main()
