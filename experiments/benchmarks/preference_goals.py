"""Issue 11's larger goals, each printed against its figure (the heavier preference runs).

- ``lunarlander``: LunarLander-v3 at the presets' defaults (PPO with rl-zoo's LunarLander
  settings, 16 envs), oracle, at most 1000 labels, 1M steps by default (rl-zoo's budget);
  goal: greedy return >= 100. Prints the steps and the wall time; ``--true-reward`` also
  trains the same PPO on the env's reward at the same steps. Needs the ``box2d`` extra.
- ``hopper``: Hopper-v5, preference SAC with at most 700 labels against the same SAC on the
  true reward at the same steps (Christiano et al. matched RL on MuJoCo with about 700
  labels); goal: the preference return at least that of SAC on the true reward. Needs the
  ``mujoco`` extra. The default budget (``--steps 100000``) is a reduced CPU budget; the
  published comparisons ran 1-2M steps (on a GPU when one is lent, pass ``--steps 1000000``).
- Pong: ``preference_pong.py`` (GPU).

Measured: ``hopper --steps 30000 --labels 700`` (seed 0, one thread, 2026-12-01 14:58 UTC,
load 2.0, the slow test tier beside it): preference SAC 237.8 in 676 s, SAC on the true
reward 122.9 in 459 s: met at this reduced budget (both far from converged). At the
script's default budget, ``hopper`` (100000 steps, 700 labels, seed 0, one thread, the two
runs side by side, 2026-12-02 00:00-00:24 UTC, load ~2): preference SAC 293.1 in 1369 s,
SAC on the true reward 574.3 in 1437 s: NOT met (gap 281.2); the true-reward SAC pulls ahead
between 30k and 100k steps.

Measured: ``lunarlander`` (1000 labels, 1,008,048 env steps, 10 greedy episodes, one thread,
2026-12-01 16:45-17:16 UTC, load 1.9-4.4 with other engineers' jobs beside it): seed 0
122.8 (wall 515 s, CPU 312 s), seed 1 -196.7 (411 s, CPU 294 s), seed 2 221.1 (484 s, CPU
314 s): met on seeds 0 and 2, not on seed 1 (gap 296.7; median 122.8). Seed 1's curve: greedy
never above -112; its episodes run to the 1000-step limit with a learned return of ~1000 (the
learned reward is positive per step against the absorbing state's zero, so staying aloft pays
more than landing; seed 0's episodes also average ~900 steps). The same PPO on the true
reward, 1,015,808 steps: 256.4 on seed 0 (wall 336 s, CPU 263 s, load 4.3), 270.8 on seed 1
(318 s, CPU 310 s, load 3.0): seed 1's gap is the preferences'. rl-zoo's DQN (learner_preset's
``dqn`` entry, ``--set learner=dqn``) at 1e5 steps, seed 0: 95.4 on the true reward (CPU
418 s); with preferences 171.5 at 60k steps, then -107.6 at 100k (CPU 520 s).

Seed 1, variants tried (2026-12-01 19:45-20:12 UTC, a fresh machine of the same kind, one
thread, load 0.6-1.8, ~145 CPU s a run; none kept). Here the defaults give -15.4 ± 20.8 on
seed 1 (the machine above gave -196.7: same code and seed, other CPU kernels), still aloft
for 1000 steps with a learned reward of +0.78 a step against the absorbing state's 0; of
the labelled clips that ended, 4 landed and 562 crashed, so the absorbing state's learned
value is set by crashes (a crash clip holds it for every step after the crash, the crash
step itself once). Ending "neutral" instead (absorbing steps score the batch's mean live
reward while training; rewards centred): -58.4 (seed 0: 37.5); the crash step then carries
the penalty (-6 to -8), but hovering states still score above the mean. Labels spread evenly
over the run (``schedule_c`` 1.0): -20.3 (14 landings among 443 ended clips); both: -92.8.
Clips of 100 / 200 steps: -7.9 / -21.4. The final state held to the horizon (absorbing steps
score the clip's last live step; the learner gets that reward, discounted, for the steps
left to 1000): -311.3 (seed 0: -931.2; it crashes). PEBBLE's unsupervised pretraining first
(``pretrain_steps`` 100000, state entropy): 37.0, still aloft, no landing among 653 ended
labelled clips. Twice the steps (``--steps 2000000``, the same 1000 labels; 2026-12-01
22:36 UTC, load 2.8, wall 441 s, CPU 352 s): -85.7. What seed 1 lacks is landings in its
labels: the learner never lands, so the model never learns that landing beats hovering.

Re-measured on that fresh machine's kind (2026-12-02 02:04-02:16 UTC, one thread, load 0.4-2,
~150 s a run), with the user's command ``hfrl train preference --env LunarLander-v3 --seed S
--eval-episodes 10`` (steps and labels from the table): **-91.0 / -15.4 / -78.1** on seeds
0-2, NOT met on any seed (gaps 191.0 / 115.4 / 178.1). So the 122.8 and 221.1 above were one
machine's luck: the same code and seeds on two machines give 2 of 6 runs at 100 or more.
PEBBLE pretraining first: ``--set pretrain_steps=200000``, seed 1: -147.6;
``pretrain_steps=300000``: 110.2 on seed 1, but -48.1 / -159.0 on seeds 0 / 2.

    python experiments/benchmarks/preference_goals.py lunarlander [--steps 1000000] [--labels 1000] [--true-reward]
    python experiments/benchmarks/preference_goals.py hopper [--steps 100000] [--labels 700]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from preference_common import run_preference, run_true_reward

from hfrl.presets import preset, preset_budget

LUNAR_GOAL = 100.0
"""LunarLander-v3: 200 is solved; the issue asks for 100 with at most 1000 labels."""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("case", choices=("lunarlander", "hopper"))
    p.add_argument("--steps", type=int)
    p.add_argument("--labels", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-episodes", type=int, default=10)
    p.add_argument(
        "--true-reward",
        action="store_true",
        help="lunarlander: also train the same learner on the true reward at the same steps",
    )
    args = p.parse_args()
    load = os.getloadavg()[0]
    if args.case == "lunarlander":
        table_steps, table_labels = preset_budget("preference", "LunarLander-v3")
        steps, labels = args.steps or table_steps, args.labels or table_labels
        if labels > 1000:
            p.error("the goal is for at most 1000 labels")
        r = run_preference(
            "LunarLander-v3", steps, labels, args.seed, eval_episodes=args.eval_episodes
        )
        gap = LUNAR_GOAL - r.greedy_return
        print(
            f"LunarLander-v3, {labels} labels, {r.env_steps} steps, seed {args.seed}: return "
            f"{r.greedy_return:.1f}, wall {r.wall_seconds:.0f} s (CPU {r.cpu_seconds:.0f} s, "
            f"load {os.getloadavg()[0]:.1f}); goal >= {LUNAR_GOAL:.0f}: "
            + ("MET" if gap <= 0 else f"NOT MET (gap {gap:.1f})"),
            flush=True,
        )
        if args.true_reward:
            learner = str(preset("preference", "LunarLander-v3").get("learner", "auto"))
            t = run_true_reward("LunarLander-v3", steps, args.seed, learner, args.eval_episodes)
            print(
                f"  {learner} on the true reward, {t.env_steps} steps: return "
                f"{t.greedy_return:.1f}, wall {t.wall_seconds:.0f} s (CPU {t.cpu_seconds:.0f} s, "
                f"load {os.getloadavg()[0]:.1f})"
            )
        return 0
    steps, labels = args.steps or 100_000, args.labels or 700
    if labels > 700:
        p.error("the goal is for at most 700 labels")
    pref = run_preference(
        "Hopper-v5", steps, labels, args.seed, learner="sac", eval_episodes=args.eval_episodes
    )
    true = run_true_reward("Hopper-v5", steps, args.seed, "sac", args.eval_episodes)
    gap = true.greedy_return - pref.greedy_return
    print(
        f"Hopper-v5, {steps} steps, seed {args.seed}, load {load:.1f}: preference SAC "
        f"({labels} labels) {pref.greedy_return:.1f} in {pref.wall_seconds:.0f} s; SAC on the "
        f"true reward {true.greedy_return:.1f} in {true.wall_seconds:.0f} s; goal preference >= "
        f"true reward: " + ("MET" if gap <= 0 else f"NOT MET (gap {gap:.1f})")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
