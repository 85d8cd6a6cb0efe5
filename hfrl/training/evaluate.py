"""Greedy evaluation on the true reward: :mod:`hfrl.envs.evaluation`, re-exported here for
the loops and scripts that import it from ``hfrl.training``."""

from hfrl.envs.evaluation import evaluate, run_episode

__all__ = ["evaluate", "run_episode"]
