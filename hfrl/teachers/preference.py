"""Simulated preference teachers of B-Pref (Lee et al. 2021), DESIGN.md §6.

A teacher compares two segments by their true rewards, in this order:

1. **skip**: if both returns are below ``δ_skip``, the query is skipped (label None);
2. **equal**: if ``|R0 - R1| < δ_equal``, the answer is "equal" (label 0.5);
3. **myopic**: the returns that decide the label are ``R = Σ_t γ^(H-t) r_t`` (t = 1..H),
   so late steps weigh more (γ = 1: the plain sum);
4. **rationality**: left wins with probability ``softmax(β·[R0, R1])[0]``, or surely the
   larger when ``β = ∞``; an exact tie at ``β = ∞`` is answered "equal" (softmax gives
   each side ½ there, which is what an equal label trains; B-Pref picks one side);
5. **mistake**: that label is flipped with probability ``ε``.

Steps 1-2 use undiscounted sums. Both segments are first padded to the same length with
:meth:`hfrl.types.Segment.padded`: an absorbing step has true reward 0, so a segment that
ended early has the shorter true return and is compared over the same horizon.

Thresholds (exactly): ``δ_equal = equal_fraction · S`` where ``S`` is the return scale,
the mean ``|R|`` of segments of the query's length, and ``δ_skip = skip_fraction · S_skip``
where ``S_skip`` is the mean return *above the floor* (below). By default both scales are
calibrated on every segment the teacher has compared at that length, the current pair
included (so the first query has a scale); ``return_scale`` fixes both instead, e.g. from a
known episode return with :func:`scale_from_episode_return`, which is B-Pref's own rule.

The skip test measures returns from a floor, ``min(0, lowest return seen at that length)``
(or ``return_floor``): skip when ``max(R0, R1) − floor < δ_skip``. With non-negative
rewards the floor is 0 and ``S_skip = S``, which is B-Pref's "both returns below δ_skip"
exactly. B-Pref's own rule skips *every* pair on tasks whose rewards are always negative
(its threshold is then negative and every return lies below it; measured on MountainCar:
50 of 50); here, returns are shifted by the floor first, so a skip means "both clips sit
near the worst return seen", and when every clip ties (MountainCar before the goal is
ever reached, ``S_skip = 0``) nothing is skipped and the tie is answered "equal".
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from hfrl.clock import Clock
from hfrl.effort import DEFAULT_EFFORT
from hfrl.types import EQUAL, LEFT, RIGHT, Preference, Segment


@dataclass(frozen=True)
class PreferenceTeacherConfig:
    """Parameters of a B-Pref simulated teacher (defaults: the perfect ``oracle``)."""

    beta: float = math.inf
    """Rationality β: labels ~ Bernoulli(softmax(β·[R0, R1])); inf = always the better one."""
    gamma: float = 1.0
    """Myopia γ in (0, 1]: returns weigh step t of H by γ^(H-t); 1 = undiscounted."""
    eps: float = 0.0
    """Probability of flipping a left/right label (a mistake)."""
    skip_fraction: float = 0.0
    """δ_skip as a fraction of the return scale; 0 never skips."""
    equal_fraction: float = 0.0
    """δ_equal as a fraction of the return scale; 0 never answers equal."""
    seed: int = 0
    """Seed of the teacher's random generator (stochastic labels, mistakes)."""
    return_scale: float | None = None
    """Fixed return scale S (mean |segment return|) of both thresholds; None calibrates
    them on the segments seen."""
    return_floor: float | None = None
    """Return the skip test counts from; None = min(0, lowest segment return seen)."""

    def __post_init__(self) -> None:
        if not (self.beta >= 0):
            raise ValueError(f"beta must be >= 0 (inf for a rational teacher), got {self.beta}")
        if not (0.0 < self.gamma <= 1.0):
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma}")
        if not (0.0 <= self.eps <= 1.0):
            raise ValueError(f"eps must be in [0, 1], got {self.eps}")
        for name in ("skip_fraction", "equal_fraction"):
            if not (getattr(self, name) >= 0.0):
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.return_scale is not None and not (self.return_scale >= 0):
            raise ValueError(f"return_scale must be >= 0, got {self.return_scale}")


PREFERENCE_PRESETS: dict[str, PreferenceTeacherConfig] = {
    "oracle": PreferenceTeacherConfig(),
    "stoc": PreferenceTeacherConfig(beta=1.0),
    "mistake": PreferenceTeacherConfig(eps=0.1),
    "skip": PreferenceTeacherConfig(skip_fraction=0.1),
    "equal": PreferenceTeacherConfig(equal_fraction=0.1),
    "myopic": PreferenceTeacherConfig(gamma=0.9),
}
"""B-Pref's named teachers; every other parameter keeps the oracle's value."""


def scale_from_episode_return(
    episode_return: float, episode_length: int, segment_length: int
) -> float:
    """B-Pref's return scale: an episode's |return| prorated to a segment's length."""
    if episode_length <= 0:
        raise ValueError(f"episode_length must be positive, got {episode_length}")
    return abs(episode_return) * segment_length / episode_length


def myopic_return(rewards: np.ndarray, gamma: float) -> float:
    """``Σ_t γ^(H-t) r_t`` over t = 1..H: the last step has weight 1."""
    rewards = np.asarray(rewards, dtype=np.float64)
    if gamma == 1.0:
        return float(rewards.sum())
    weights = gamma ** np.arange(len(rewards) - 1, -1, -1, dtype=np.float64)
    return float(np.dot(weights, rewards))


class BPrefTeacher:
    """A simulated preference teacher (implements :class:`hfrl.protocols.PreferenceTeacher`).

    Args:
        config: the teacher's parameters (see :data:`PREFERENCE_PRESETS`).
        name: its name in logs and feedback records.
        clock: stamps each answer; without one, simulated time advances by the effort
            model's seconds per comparison for each query (a person answering in turn).
    """

    def __init__(
        self,
        config: PreferenceTeacherConfig | None = None,
        name: str = "custom",
        clock: Clock | None = None,
    ) -> None:
        self.config = config if config is not None else PreferenceTeacherConfig()
        self.name = name
        self.clock = clock
        self.rng = np.random.default_rng(self.config.seed)
        self._abs_sum: dict[int, float] = defaultdict(float)
        self._sum: dict[int, float] = defaultdict(float)
        self._count: dict[int, int] = defaultdict(int)
        self._min: dict[int, float] = {}
        self.queries = 0

    def compare(self, left: Segment, right: Segment) -> Preference:
        """Answer one query: LEFT, RIGHT, EQUAL, or None for a skip."""
        length = max(len(left), len(right))
        r0 = left.padded(length).true_rewards
        r1 = right.padded(length).true_rewards
        return self._answer(left, right, self.label(r0, r1))

    def _answer(self, left: Segment, right: Segment, label: float | None) -> Preference:
        """Stamp a label as this teacher's :class:`Preference` (one more query answered)."""
        self.queries += 1
        if self.clock is not None:
            t = self.clock.now()
        else:
            t = self.queries * DEFAULT_EFFORT.seconds_per_comparison
        return Preference(left=left, right=right, label=label, t_wall=t, source=self.name)

    def label(self, rewards_left: np.ndarray, rewards_right: np.ndarray) -> float | None:
        """The label for two reward sequences of the same length (the B-Pref rules)."""
        r_left = np.asarray(rewards_left, dtype=np.float64)
        r_right = np.asarray(rewards_right, dtype=np.float64)
        if r_left.shape != r_right.shape or r_left.ndim != 1:
            raise ValueError(
                f"reward sequences must be 1-D and of equal length, got {r_left.shape}, {r_right.shape}"
            )
        cfg = self.config
        sum0, sum1 = float(r_left.sum()), float(r_right.sum())
        scale, floor = self._calibrate(len(r_left), sum0, sum1)
        if cfg.skip_fraction > 0 and max(sum0, sum1) - floor < cfg.skip_fraction * self._skip_scale(
            len(r_left), floor
        ):
            return None
        if cfg.equal_fraction > 0 and abs(sum0 - sum1) < cfg.equal_fraction * scale:
            return EQUAL
        m0, m1 = myopic_return(r_left, cfg.gamma), myopic_return(r_right, cfg.gamma)
        if math.isinf(cfg.beta):
            if m0 == m1:
                return EQUAL
            label = LEFT if m0 > m1 else RIGHT
        else:
            p_left = _sigmoid(cfg.beta * (m0 - m1))
            label = LEFT if self.rng.random() < p_left else RIGHT
        if cfg.eps > 0 and self.rng.random() < cfg.eps:
            label = RIGHT if label == LEFT else LEFT
        return label

    def thresholds(self, length: int) -> tuple[float, float]:
        """Current ``(δ_skip, δ_equal)`` for segments of ``length`` steps."""
        floor = self.config.return_floor
        if floor is None:
            floor = min(0.0, self._min.get(length, 0.0))
        skip_scale = self._skip_scale(length, floor)
        return self.config.skip_fraction * skip_scale, self.config.equal_fraction * self._scale(
            length
        )

    def params(self) -> dict[str, object]:
        """The teacher's parameters for summaries (JSON-ready)."""
        out: dict[str, object] = {"name": self.name, "kind": "preference"}
        for f in dataclasses.fields(self.config):
            value = getattr(self.config, f.name)
            out[f.name] = "inf" if isinstance(value, float) and math.isinf(value) else value
        return out

    def _calibrate(self, length: int, sum0: float, sum1: float) -> tuple[float, float]:
        for r in (sum0, sum1):
            self._abs_sum[length] += abs(r)
            self._sum[length] += r
            self._count[length] += 1
            self._min[length] = min(self._min.get(length, r), r)
        floor = self.config.return_floor
        if floor is None:
            floor = min(0.0, self._min[length])
        return self._scale(length), floor

    def _skip_scale(self, length: int, floor: float) -> float:
        """Mean return above ``floor`` of the segments seen at ``length`` (or the fixed scale)."""
        if self.config.return_scale is not None:
            return self.config.return_scale
        n = self._count.get(length, 0)
        return max(0.0, self._sum[length] / n - floor) if n else 0.0

    def _scale(self, length: int) -> float:
        if self.config.return_scale is not None:
            return self.config.return_scale
        n = self._count.get(length, 0)
        return self._abs_sum[length] / n if n else 0.0


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
