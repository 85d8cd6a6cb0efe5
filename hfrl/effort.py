"""The human-effort cost model: how many seconds of a person's time feedback costs.

Live rating costs the time a person spends watching the agent (every frame shown at the
display rate), whatever the number of key presses. A clip comparison costs a few seconds of
watching and deciding: Christiano et al. (2017) report that their contractors took about
3-5 seconds per comparison, so the default is 4 s. These numbers are explicit so benchmarks
can compare algorithms at equal human effort, and can be changed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EffortModel:
    """Seconds of human time per unit of feedback."""

    seconds_per_comparison: float = 4.0
    """Watching two clips and pressing a key (Christiano et al. 2017: 3-5 s)."""
    seconds_per_key_press: float = 0.0
    """Extra cost of a live key press beyond watching (watching time dominates)."""

    def live_seconds(self, env_steps: int, fps: float, key_presses: int = 0) -> float:
        """Human seconds for live rating: watching ``env_steps`` frames at ``fps``."""
        return env_steps / fps + key_presses * self.seconds_per_key_press

    def comparison_seconds(self, comparisons: int) -> float:
        """Human seconds for ``comparisons`` clip comparisons (skips cost the same)."""
        return comparisons * self.seconds_per_comparison


DEFAULT_EFFORT = EffortModel()
