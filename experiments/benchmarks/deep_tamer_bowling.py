"""Deep TAMER on Atari Bowling at the user's defaults, against a random policy in the same run.

For each seed it runs the command a user runs, with no options beyond the budget (the
presets table gives Deep TAMER's Atari settings: standardised CNN input, dueling Ĥ head, 5%
exploration while learning, replay every 5 steps, Warnell et al.'s 0.2-4 s credit window,
15 fps, and the simulated trainer ``human-atari``)::

    hfrl train deep-tamer --env ALE/Bowling-v5 --steps 13500 \\
        --max-episode-steps 4500 --eval-episodes 3 --seed S

(15 simulated minutes of feedback at 15 steps/s; episodes capped at 5 minutes of play), then
scores a uniform random policy on the same evaluation episodes (true game score) and prints
both against the published DQN score on Bowling, 42.4 (Mnih et al. 2015). The goal: a
greedy score above 42.4 on every seed.

    python experiments/benchmarks/deep_tamer_bowling.py [--seeds 0 1 2] [--minutes 15]

The trainer judges agreement with the scripted Bowling expert
(``hfrl.experts.bowling_action``: down to the bottom of the lane, throw, hook UP once the
ball reaches a column; 214 on one episode here, ``expert_scores.py``).
``human-atari`` (:mod:`hfrl.teachers.scalar`) is the ``human`` trainer judging the last 3.2 s
of play, pressed 0.2-0.8 s after it (Knox & Stone's reaction window), so every moment it
rates lies 0.2-4 s before the press (Warnell et al.'s window): 84% of a rating's credit falls
on what it judged (``human``, judging 0.3 s: 7.9%; measured with the agent's
:class:`~hfrl.credit.StepHistory` at 15 fps). On Bowling it judges what the play visibly
leads to (:mod:`hfrl.teachers.bowling_effects`: the throw, a ball rolling straight past the
hook point, the curve; the wind-up, the pins, the ball's return and everything after the
curve is set are not judged, since no key changes them); ``--teacher
human-atari:judge=actions`` judges agreement with the scripted expert on every step instead.

Measured (CPU, 1 torch thread, shared 2-core machine, no GPU lent; random baseline on the
same evaluation episodes, DQN 42.4):

- ``human-atari`` judging effects (the defaults now; 2026-12-02 00:00-00:09 UTC, one
  thread, two runs at a time, load ~2, 132-159 s a seed), seeds 0-5: greedy 33.7 / 79.0 /
  62.3 / 26.0 / 135.3 / 42.7 (361 / 615 / 579 / 501 / 588 / 626 ratings): above DQN on 4 of
  6 seeds (median 52.5), above random on seeds 0-2 (random 23.7 / 18.7 / 23.0); gaps to DQN
  -8.7 / +36.6 / +19.9 / -16.4 / +92.9 / +0.3. The goal (every seed) is NOT reached: seeds 0
  and 3 fall short, but no seed of 0-5 ends stalling or guttering the ball (lowest 26.0).
  Seeds 6-11 (2026-12-02 02:40 UTC, load ~2, 102-121 s a seed): 13.7 / 106.0 / 0.0 / 47.3 /
  16.7 / 53.0, above DQN on 3 of 6 (seed 8 scores 0); over seeds 0-11, 7 of 12 (median 45.0). Judging
  actions on the same seeds (the defaults before): 11.3 / 38.0 / 105.7 / 59.3 / 10.0 / 17.3,
  above DQN on 2 of 6 (median 27.7). Why judging actions taught less (measured with the
  emulator state cloned, one action changed at each step of an expert throw): only the throw,
  a direction pressed before the hook point and the hook change the outcome, and one step of
  UP does not curve the ball (the stick must be held for two steps); agreement still scores
  every other step ±1 and punishes a harmless NOOP after the hook (the expert's rule keeps
  pressing UP to the pins), so a hook followed by waiting scored like no hook.
  Earlier forms of the effect oracle, each on seeds 0-5: (a) the straight roll judged by the
  key until the pins, and the wind-up not judged: 61.7 / 134.3 / 2.0 / 77.3 / 91.0 / 9.0 (4
  of 6); seed 2 had learned the hook (training returns 15 / 76 / 64 / 22 / 28 / 3) and then
  found a hole: a down-curve set from the bottom of the lane does not show (the ball runs
  straight on), and UP pressed past the hook point still scored +1, so it gutters every ball
  at the end; (b) closing that hole (a ball still straight 12 columns past the hook point
  scores -1 whatever is pressed), wind-up still not judged: 0.0 / 53.7 / 50.3 / 92.0 / 0.0 /
  82.0 (4 of 6), seeds 0 and 4 stalling with the ball in hand: in training 5% exploration
  throws after ~8 s of standing, the ratings judging the stall spill onto the throw (the
  buffer's in-hand FIRE labels -1.0, NOOP -0.72), and with the wind-up at 0 nothing rated
  the throw up; scoring the wind-up +1 (the defaults now) ends that; (c) the straight roll
  not judged until 2 columns past the hook point, then -1: 3.0 / 23.3 / 133.7 / 44.3 / 61.0 /
  17.3 (3 of 6). Probes on the defaults now, none kept: ``--set lr=2e-4`` 49.7 / 82.7 / 1.0
  on seeds 0-2 (seed 2 gutters at the end; 436-443 s a seed beside the CI run); ``--set
  explore=0.1`` 38.3 on seed 0; ``--teacher human-atari:margin=0.3`` (at least 65% of the
  span judged alike) 65.0 / 12.3 / 15.0; ``--teacher
  human-atari:judge_seconds=2.4,delay_max=3.2`` 33.7 on seed 0; (2026-12-02, load ~2)
  ``--set buffer_size=15000`` (the whole session's steps; the default 5000 holds the last
  ~5.5 minutes) 1.0 on seed 0; ``--set replay_every=1`` (5x the replay updates, ~350 s a
  seed) 49.7 / 4.3 on seeds 0 / 3: it lifts seed 0 and sinks seed 3. Probes with form (a), none
  kept: seed 2 with a feedback buffer of 15000
  steps (every credited step of the run; default 5000): 0.0 (seed 0: 63.3); ``lr=5e-5``:
  24.0; ``margin=0.5``: 0.0; exploration held for 4 steps (Dabney et al. 2021's temporally
  extended ε-greedy, so that an explored direction curves the ball): 60.7 / 0.0 / 17.3 on
  seeds 0-2. The CNN encoder pretrained as an autoencoder on 2000 random-policy frames and
  frozen (Warnell et al.; ``--set autoencoder_frames=2000``, judging actions): 0.0 / 0.0 on
  seeds 0 / 1.
- ``human-atari`` judging actions, seeds 0 / 1 / 2: greedy 7.7 ± 1.2 / 28.0 ± 13.4 /
  88.7 ± 25.8 vs random 23.7 / 18.7 / 23.0; 712 / 618 / 656 ratings; 359 / 375 / 754 s
  wall (load 4.2-8.7). Above random on 2 of 3 seeds, above DQN on 1 of 3 (seed 2); gap to
  DQN -34.7 / -14.4 / +46.3: the goal is NOT reached on seeds 0 and 1.
- ``human`` (``--teacher human``; the defaults before this change), seeds 0 / 1 / 2: 8.0 ±
  3.7 / 4.7 ± 3.3 / 0.0 ± 0.0; 1040 / 1007 / 1024 ratings (load 3-17). With Knox & Stone's
  window instead (``--set delay_max=0.8``), seed 0: 27.0 ± 11.8.
- Why greedy collapses (``human``, seed 2, the saved agent acting greedily): with the ball in
  hand at the bottom of the lane (the expert throws) it presses NOOP on every step, so the
  game never goes on: score 0. Ĥ there: NOOP -0.40, FIRE -0.67; the stored labels of that
  state were FIRE -0.36 (19 samples) and NOOP -0.48 (135), so the data favoured FIRE but the
  net presumably carried NOOP's +0.09 over from the ~2000 rolling-ball samples (where NOOP is right).
  With ``human-atari`` every seed throws.
- Why seed 0 stays low with ``human-atari``: it throws but does not hook (past the curve
  column it presses NOOP 316 times and DOWN-FIRE 130, UP 30); a 3.2 s judgement mostly covers
  the roll before the curve column, where NOOP is right, so NOOP past the column keeps a
  stored label of +0.72 and UP -0.16. Seed 2 learned the hook (UP 178 of 510 there).
- Probes on seed 0 (2026-12-01, load 2.3-6.4, same command with ``--teacher``), none of
  which made the defaults: judging a shorter span, ``human-atari:judge_seconds=1.5,
  delay_max=2.3`` (pressed 0.2-0.8 s after it, as before): 0.0 (768 ratings, 412 s);
  ``judge_seconds=2.4,delay_max=3.2``: 37.3 ± 4.6 (804 ratings; greedy presses UP 246 of
  504 steps past the column, but also 210 of the 958 where the expert waits, so it often
  hooks too soon; greedy over 1500 steps);
  scoring a right wait (NOOP where NOOP is right) 0 instead of +1 (a probe, not kept): 5.0
  ± 7.1, the greedy agent stalls with the ball in hand (NOOP on 1384 of 1385 steps where
  the expert steps DOWN). Seed 0 at a 2.4 s span stays below DQN's 42.4, so no span tried
  meets the goal on seed 0, and 3-seed runs of the probes were not made (CPU time).
- Why a shorter span is not the lever (a label simulation: Bowling's per-throw timeline at
  15 fps, the trainer's judgement, Deep TAMER's uniform 0.2-4 s credit, 5% exploration):
  for an agent that never hooks, the mean label of NOOP past the column is +0.78 at a 3.2
  s span, +0.11 at 2.4 s, +0.08 at 1.5 s and +0.03 at 1.0 s, never negative: each rating's
  credit spreads over 3.8 s, so the stretches before and after the column, where NOOP is
  right, keep it positive; and an explored UP there gets the same label as NOOP (within
  ±0.1 at every span), because the ratings crediting it judged its neighbours. What the
  agent can learn is which of its behaviours over whole throws drew better ratings, not
  which action in a state did.
- Before issue 10 (the benchmark's own hidden options, a trainer-matched credit window
  [0.2, 1.4] s, and the earlier ``human`` trainer that rated the mean of the last 0.5-1.1 s):
  143.0 / 181.0 / 0.0.
- Re-measured on a fresh machine of the same kind (2026-12-01 20:15-20:40 UTC, one thread,
  load 0.1-2.0, ~120 s a seed): the defaults then (judging actions) gave 11.3 ± 4.7 /
  38.0 ± 23.2 / 105.7 ± 24.2
  (random 23.7 / 18.7 / 23.0; 685 / 567 / 740 ratings): above DQN on seed 2 only, gaps
  -31.1 / -4.4 / +63.3. Probes on seeds 0 / 1, none kept: rating only a clear judgement
  (``--teacher human-atari:margin=0.8``, at least 90% agreement or disagreement): 0.0 / 2.7,
  ``margin=0.5`` (75%): 85.7 / 0.0;
  ``--set lr=3e-4``: 0.0 / 45.3; ``--set explore=0.1``: 83.3 / 3.0; ``--set
  replay_every=1``: 0.0 / 28.3. Each setting lifts one seed and sinks the other: the outcome
  is bimodal (the greedy agent ends up throwing and hooking, or stalling with the ball in
  hand, 0.0), and no setting tried lifts both failing seeds above 42.4.
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
    p.add_argument(
        "--teacher", default=None, help="simulated trainer (default: the presets table's)"
    )
    p.add_argument("--eval-episodes", type=int, default=3)
    p.add_argument("--max-episode-steps", type=int, default=4500, help="5 min of play")
    args = p.parse_args()
    from hfrl.presets import preset_fps, preset_teacher

    fps = preset_fps("deep-tamer", ENV_ID) or 15.0
    steps = round(args.minutes * 60 * fps)
    teacher = args.teacher or preset_teacher("deep-tamer", ENV_ID)
    print(
        f"Deep TAMER on {ENV_ID}, {teacher} trainer, {args.minutes:g} simulated min at "
        f"{fps:g} steps/s ({steps} steps); load before: {uptime_load()}"
    )
    rows = []
    for seed in args.seeds:
        cmd = ["train", "deep-tamer", "--env", ENV_ID]
        if args.teacher:
            cmd += ["--teacher", args.teacher]
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
