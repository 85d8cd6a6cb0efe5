"""The ``>>>`` examples in the preference API's docstrings run and show what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "hfrl.agents.preference",
    "hfrl.agents.preference.agent",
    "hfrl.agents.preference.config",
    "hfrl.agents.preference.labels",
    "hfrl.agents.preference.learners",
    "hfrl.agents.preference.segments",
    "hfrl.agents.preference.stats",
    "hfrl.reward.learned",
    "hfrl.envs.learned_reward",
    "hfrl.envs.gym_vector",
    "hfrl.training.preference_progress",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    import torch

    torch.set_num_threads(1)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} shows no example"
    assert result.failed == 0
