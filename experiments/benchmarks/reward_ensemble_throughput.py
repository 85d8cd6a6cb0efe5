"""Reward-ensemble training throughput: one batched call vs a Python loop over members.

Measures labelled pairs per second of Bradley–Terry training steps (forward, backward, Adam)
for K members, in the same run, on the same minibatches:

* batched: :class:`hfrl.reward.RewardEnsemble` (stacked weights / fused grouped CNN), the
  exact step :meth:`RewardEnsemble.fit` takes;
* loop: K separate single-member modules of the same architecture and initial weights,
  called one after the other in a Python loop, one Adam over all their parameters.

Shapes: an MLP for Pendulum-v1 (obs 3, continuous action 1) and the Nature-CNN for Atari
(uint8 (4, 84, 84) frames, 6 actions), 25-step segments. CPU always, CUDA when present.

Run: ``python experiments/benchmarks/reward_ensemble_throughput.py [--threads 1]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces
from torch.nn import functional as F

from hfrl.reward import RewardEnsemble, RewardEnsembleConfig, bradley_terry_loss
from hfrl.reward.training import TrainConfig, member_losses, retain_freed_memory

NOISE = 0.1
GOAL_RATIO = 1.2
"""'Clearly faster': batched pairs/s at least this multiple of the loop's."""


@dataclass(frozen=True)
class Case:
    """One benchmarked shape."""

    name: str
    obs_space: spaces.Box
    action_space: spaces.Space
    length: int
    n_pairs: int
    batch: int
    steps: dict[str, int]
    early_ends: bool = False
    """Segments may end early (CartPole-like); else every step is live (Pendulum, Atari)."""


CASES = [
    Case(
        "MLP Pendulum (3+1 -> 64-64)",
        spaces.Box(-8.0, 8.0, (3,), np.float32),
        spaces.Box(-2.0, 2.0, (1,), np.float32),
        length=25,
        n_pairs=512,
        batch=32,
        steps={"cpu": 30, "cuda": 100},
    ),
    Case(
        "MLP CartPole (4+2 -> 64-64), early ends",
        spaces.Box(-5.0, 5.0, (4,), np.float32),
        spaces.Discrete(2),
        length=25,
        n_pairs=512,
        batch=32,
        steps={"cpu": 30, "cuda": 100},
        early_ends=True,
    ),
    Case(
        "Nature-CNN Atari (4x84x84, 6 actions)",
        spaces.Box(0, 255, (4, 84, 84), np.uint8),
        spaces.Discrete(6),
        length=25,
        n_pairs=48,
        batch=4,
        steps={"cpu": 2, "cuda": 20},
    ),
]


def make_data(case: Case, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Random padded pairs (P, 2, L, ...) and random labels; early ends pad with absorbing."""
    rng = np.random.default_rng(seed)
    shape = (case.n_pairs, 2, case.length)
    if case.obs_space.dtype == np.uint8:
        obs = rng.integers(0, 256, (*shape, *case.obs_space.shape), dtype=np.uint8)
    else:
        obs = rng.normal(size=(*shape, *case.obs_space.shape)).astype(np.float32)
    if isinstance(case.action_space, spaces.Discrete):
        act = rng.integers(0, case.action_space.n, shape)
    else:
        act = rng.normal(size=(*shape, *case.action_space.shape)).astype(np.float32)
    low = case.length // 2 if case.early_ends else case.length
    ends = rng.integers(low, case.length + 1, shape[:2])
    absorbing = np.arange(case.length)[None, None, :] >= ends[..., None]
    mask = np.ones(shape, dtype=np.float32)
    labels = rng.choice([0.0, 0.5, 1.0], case.n_pairs).astype(np.float32)
    return obs, act, absorbing, mask, labels


def batched_step(ens: RewardEnsemble, opt: torch.optim.Optimizer) -> Callable:
    """The training step of :func:`hfrl.reward.training.fit_ensemble` (all members at once)."""

    def step(tensors, labels, weights):
        losses = member_losses(ens, tensors, labels, weights, NOISE)
        penalty = ens.l2 * ens.net.weight_sq_norms()
        opt.zero_grad(set_to_none=True)
        (losses + penalty).sum().backward()
        opt.step()

    return step


def loop_step(ens: RewardEnsemble, members: list[torch.nn.Module], opt) -> Callable:
    """The same step with K separate modules called one after another."""
    spec = ens.spec

    def step(tensors, labels, weights):
        obs, act, absorbing, mask = (t.flatten(0, 2) for t in tensors)
        live = (~absorbing).to(torch.float32).unsqueeze(1)
        if spec.discrete:
            a = F.one_hot(act.reshape(-1), spec.n_actions).to(torch.float32)
        else:
            a = act.reshape(act.shape[0], -1)
        extra = torch.cat([a * live, 1.0 - live], dim=1)
        if spec.image:
            inputs = (obs.to(torch.float32) * live.view(-1, 1, 1, 1), extra)
        else:
            inputs = (torch.cat([obs.reshape(obs.shape[0], -1) * live, extra], dim=1),)
        total = 0.0
        for k, member in enumerate(members):
            r = (member(*inputs) * mask).view(labels.shape[0], 2, -1).sum(dim=2)
            loss = bradley_terry_loss(r[:, 0] - r[:, 1], labels, NOISE)
            loss = (loss * weights[k]).sum() / weights[k].sum().clamp_min(1.0)
            sq = sum(p.pow(2).sum() for n, p in member.named_parameters() if "bias" not in n)
            total = total + loss + ens.l2[k] * sq
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()

    return step


def measure(
    case: Case, device: str, k: int, rounds: int = 5, cpu_time: bool = False, seed: int = 0
) -> tuple[float, float]:
    """Median pairs per second (batched, loop) on ``device`` over interleaved rounds."""
    data = make_data(case, seed)
    cfg = RewardEnsembleConfig(n_members=k, seed=seed)
    ens = RewardEnsemble(case.obs_space, case.action_space, cfg, device)
    members = [m.to(ens.device) for m in ens.members()]
    tensors = ens.as_pair_tensors(*data[:4])
    labels = torch.as_tensor(data[4], device=ens.device)
    steps = case.steps[device]
    rng = np.random.default_rng(seed)
    n_batches = steps * rounds + 2
    batches = [
        torch.as_tensor(rng.choice(case.n_pairs, case.batch, replace=False), device=ens.device)
        for _ in range(n_batches)
    ]
    weights = [
        torch.as_tensor(rng.poisson(1.0, (k, case.batch)), dtype=torch.float32, device=ens.device)
        for _ in range(n_batches)
    ]
    runs = {
        "batched": batched_step(ens, torch.optim.Adam(ens.net.parameters(), lr=1e-3)),
        "loop": loop_step(
            ens, members, torch.optim.Adam([p for m in members for p in m.parameters()], lr=1e-3)
        ),
    }

    def run(step: Callable, i: int) -> None:
        step([t[batches[i]] for t in tensors], labels[batches[i]], weights[i])

    for step in runs.values():  # warm-up
        run(step, 0)
        run(step, 1)
    # Interleaved rounds on the same minibatches; the median round is reported, so a burst
    # of load from other processes hits both forms alike.
    clock = time.process_time if cpu_time else time.perf_counter
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for r in range(rounds):
        for name, step in runs.items():
            if device == "cuda":
                torch.cuda.synchronize()
            t0 = clock()
            for i in range(2 + r * steps, 2 + (r + 1) * steps):
                run(step, i)
            if device == "cuda":
                torch.cuda.synchronize()
            seconds[name].append(clock() - t0)
    rates = {name: steps * case.batch / float(np.median(s)) for name, s in seconds.items()}
    return rates["batched"], rates["loop"]


def main() -> None:
    """Print the throughput table and the batched/loop ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3, help="ensemble size K")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--only", default="", help="run only shapes whose name contains this")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time CPU seconds of this process instead of wall-clock (for a loaded machine)",
    )
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="leave glibc's allocator as it is (fit() normally keeps freed memory; see "
        "TrainConfig.cpu_malloc_pad_mb)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    pad = 0 if args.default_malloc else TrainConfig().cpu_malloc_pad_mb
    malloc = f"malloc pad {pad} MB" if retain_freed_memory(pad) else "default malloc"
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    clock = "CPU time" if args.cpu_time else "wall-clock"
    print(
        f"K={args.members}, CPU threads={args.threads}, torch {torch.__version__}, {clock}, {malloc}"
    )
    if "cuda" in devices:
        print(f"GPU: {torch.cuda.get_device_name()}")
    header = f"{'shape':42s} {'device':6s} {'batch':>5s} {'batched pairs/s':>16s} {'loop pairs/s':>13s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    worst = float("inf")
    for case in CASES:
        if args.only.lower() not in case.name.lower():
            continue
        for device in devices:
            batched, loop = measure(case, device, args.members, args.rounds, args.cpu_time)
            ratio = batched / loop
            worst = min(worst, ratio)
            print(
                f"{case.name:42s} {device:6s} {case.batch:5d} {batched:16.1f} {loop:13.1f} {ratio:6.2f}"
            )
    verdict = "met" if worst >= GOAL_RATIO else "NOT met"
    print(
        f"goal: batched clearly faster than the loop everywhere (ratio >= {GOAL_RATIO:.1f}); "
        f"worst ratio {worst:.2f} -> {verdict} (gap {worst - GOAL_RATIO:+.2f})"
    )


if __name__ == "__main__":
    main()
