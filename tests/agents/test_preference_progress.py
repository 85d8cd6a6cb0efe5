"""The progress display of ``hfrl train preference``: what it shows, and when it is off."""

from __future__ import annotations

import io

import pytest
from hfrl.agents.preference.stats import PreferenceStats

from hfrl.training.preference_progress import PreferenceProgress, describe, progress_wanted


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeAgent:
    """Stands for the agent: only its statistics are read."""

    def __init__(self) -> None:
        self.env_steps = 0
        self.snapshot = PreferenceStats()

    def stats(self) -> PreferenceStats:
        return self.snapshot


def test_progress_only_on_a_terminal_and_not_when_turned_off():
    assert progress_wanted(False, Tty())
    assert not progress_wanted(True, Tty())
    assert not progress_wanted(False, io.StringIO())  # piped or redirected output


def test_the_bar_shows_steps_labels_accuracy_return_and_time_left():
    from rich.console import Console

    out = Tty()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    agent = FakeAgent()
    bar = PreferenceProgress(agent, 1000, "preference (ppo) on CartPole-v1", console=console)
    agent.snapshot = PreferenceStats(
        env_steps=500,
        labels_asked=20,
        labels_answered=18,
        val_accuracy=0.875,
        true_return=42.0,
        greedy_return=120.0,
    )
    bar.close()
    text = out.getvalue()
    assert "500/1000" in text and "labels 18/20" in text and "val acc 0.88" in text
    assert "return 42.0" in text and "greedy 120.0" in text
    assert "-:--:--" in text or ":" in text.split("greedy 120.0")[-1]  # the time-left column


@pytest.mark.parametrize(
    ("stats", "shown"),
    [(PreferenceStats(), "labels 0/0"), (PreferenceStats(labels_asked=3), "labels 0/3")],
)
def test_describe_leaves_out_what_is_not_known_yet(stats, shown):
    assert describe(stats) == shown
