"""TAMER+RL learning quality on MountainCar-v0 with the simulated ``human`` trainer (slow tier).

Issue 16's check: sequential setting, ratings during the first 5 episodes only; the best
combination (the presets table's default for MountainCar: action biasing after TAMER's rated
episodes, Q started at 10·Ĥ, Ĥ's greedy policy until the combination's env returns match;
only the setting is named) reaches a greedy return of -140 in fewer episodes than both TAMER
alone (ratings stop after episode 5) and SARSA(λ) alone on the env reward, within 30 episodes
(fixed seeds 0-2, median). "Reaches" means reached and held: the first episode from which
every later greedy curve point (3 episodes at fixed start states, one point per training
episode) is at or above -140 to the end of the 30; not held at the end counts as 31.

Measured (experiments/results/tamer_rl/table.md, candidates.md): the default holds -140 from
episodes 23, 2, - (median 23); TAMER alone with Ĥ frozen after 5 episodes -, 2, - (its frozen
Ĥ gives -160 and -156 on seeds 0 and 2) and SARSA(λ) alone 29, -, -: medians 31 and 31. The
default is TAMER itself for the 5 rated episodes and keeps Ĥ's greedy policy until the
learner matches it, so it is never later than TAMER alone on seeds 0-8 (candidates.md and the
issue-16 note); it is earlier only where the learner overtakes a frozen Ĥ below -140 (seed 0).
Cost: 9 runs, about 2 min on the shared 2-core machine.
"""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from live_cli import PARALLEL, SEEDS, run_hfrl

pytestmark = pytest.mark.slow

EPISODES = 30
THRESHOLD = -140.0


def held_from(curve: list[float], threshold: float) -> int:
    """First episode (1-based) from which every later greedy point reaches ``threshold``;
    ``len(curve) + 1`` if the last one does not."""
    first = len(curve) + 1
    for i in range(len(curve) - 1, -1, -1):
        if curve[i] < threshold:
            break
        first = i + 1
    return first


def _episodes_to_threshold(tmp_path, name: str, flags: list[str]) -> float:
    """Median over seeds 0-2 of the episode from which the greedy return holds -140.

    Each seed runs the user's command, ``hfrl train tamer-rl --env MountainCar-v0 --teacher
    human --episodes 30 --eval-every 1 --seed S`` plus the issue's experiment flags; every
    setting of the agent comes from the presets table.
    """

    def first_hit(seed: int) -> int:
        out = tmp_path / f"{name}-s{seed}"
        args = ["train", "tamer-rl", "--env", "MountainCar-v0", "--teacher", "human"]
        args += ["--episodes", str(EPISODES), "--eval-every", "1", "--seed", str(seed)]
        run_hfrl([*args, *flags, "--out", str(out), "--no-progress"], tmp_path)
        rows = list(csv.DictReader((out / "curve.csv").open()))[:-1]  # the last: final eval
        curve = [float(r["return"]) for r in rows if r["return"] != ""]
        assert len(curve) == EPISODES
        return held_from(curve, THRESHOLD)

    with ThreadPoolExecutor(PARALLEL) as pool:
        hits = list(pool.map(first_hit, SEEDS))
    return float(np.median(hits))


def test_tamer_rl_mountaincar_human_sequential(tmp_path):
    # The condition (ratings in the first 5 episodes only) as command-line flags; the
    # combination, β and the learners' settings are the user's defaults from the presets table.
    sequential = ["--human-episodes", "5"]  # the sequential setting, K = 5
    best = _episodes_to_threshold(tmp_path, "best", sequential)
    tamer = _episodes_to_threshold(tmp_path, "tamer", [*sequential, "--combination", "tamer"])
    rl = _episodes_to_threshold(tmp_path, "rl", ["--combination", "rl"])
    assert best <= EPISODES
    assert best < rl
    assert best < tamer


def test_held_from_counts_only_a_threshold_kept_to_the_end():
    assert held_from([-200, -130, -150, -120, -110], -140) == 4
    assert held_from([-100, -100], -140) == 1
    assert held_from([-100, -150], -140) == 3
