"""The environment suite (installed as ``hfrl.envs``).

``hfrl.envs.make(env_id, ...)`` is the one call that returns a Gymnasium env ready for hfrl
(Atari preprocessing, ``info["true_reward"]``, helpful errors for typos and missing extras):

>>> from hfrl.envs import make
>>> env = make("CartPole-v1", seed=0)
>>> env.observation_space.shape
(4,)

Modules:

- ``hfrl.envs.suites``: the suites' ids and the extras they need.
- ``hfrl.envs.make``: the module behind :func:`make`, with ``action_kind``, ``env_fps``, id
  checks (import those from it: ``from hfrl.envs.make import env_fps``).
- ``hfrl.envs.atari``: Atari learner preprocessing (numpy, no OpenCV).
- ``hfrl.envs.wrappers``: the true-reward info and first-reset seeding wrappers.
- ``hfrl.envs.experts``: scripted experts for the classic tasks (``get_expert``).
- ``hfrl.envs.learned_reward``: ``LearnedRewardVecEnv`` for SB3 learners.
"""

from hfrl.envs.make import action_kind, env_fps, known_ids
from hfrl.envs.make import make as _make_module_function

make = _make_module_function
"""``hfrl.envs.make(env_id, ...)``: the function (the module of the same name stays importable)."""

__all__ = ["action_kind", "env_fps", "known_ids", "make"]
