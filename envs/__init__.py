"""The environment suite (installed as ``hfrl.envs``).

- ``hfrl.envs.suites``: the suites' ids and the extras they need.
- ``hfrl.envs.make``: ``make(env_id, ...)``, ``action_kind``, ``env_fps``, id checks.
- ``hfrl.envs.atari``: Atari learner preprocessing (numpy, no OpenCV).
- ``hfrl.envs.wrappers``: the true-reward info and first-reset seeding wrappers.
- ``hfrl.envs.experts``: scripted experts for the classic tasks (``get_expert``).
- ``hfrl.envs.learned_reward``: ``LearnedRewardVecEnv`` for SB3 learners.
"""
