"""Reward over-optimisation in control (after Gao, Schulman & Hilton 2022).

For each env and each label budget N, a reward ensemble is fitted once on N oracle-labelled
clip pairs and then FROZEN; a fresh learner (hfrl's PPO preset for the env) trains on it for
long. Through training the benchmark records, on greedy evaluation episodes, the learned
("proxy") return, the true ("gold") return, and the policy's distance from its initial policy:
KL(π_t ‖ π_0) averaged over the states π_t visits (categorical or Gaussian policies: exact
per state), with env steps alongside. Gao et al. plot gold against sqrt(KL): gold rises, peaks
and falls while proxy keeps rising, the sooner the fewer labels.

Clips come from a fixed pool collected once per env by behaviour of mixed quality (uniform
random actions; on CartPole also the scripted expert with 20% and 50% random actions); the
N pairs are the first N of one shuffled list (nested budgets), labelled by the ``oracle``
teacher (B-Pref's perfect teacher on the true reward).

Reference run (CPU only, OMP_NUM_THREADS=1, one background process per env on a shared
2-core machine; N in {10, 30, 100, 300}; CartPole-v1 30k env steps with a point every 2048,
Pendulum-v1 32768 with a point every 4096; 3 episodes per point; seed 0)::

    OMP_NUM_THREADS=1 python experiments/benchmarks/overoptimization.py --envs CartPole-v1 &
    OMP_NUM_THREADS=1 python experiments/benchmarks/overoptimization.py --envs Pendulum-v1 &
    wait; python experiments/benchmarks/overoptimization.py --plot-only

Each env's run writes ``runs-ENV.csv`` under ``--out`` (default
``experiments/results/overoptimization``); the last step (also the end of a single-process
run over several envs) merges them into ``overoptimization.csv`` (env, labels, env_steps, kl,
proxy_return, gold_return), draws ``overoptimization.png`` (gold and proxy against
sqrt(KL), the gold peak starred) and prints, per env and N, the step at which gold peaked and
the drop from that peak to the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DEFAULT_LABELS = (10, 30, 100, 300)
DEFAULT_STEPS = {"CartPole-v1": 30_000, "Pendulum-v1": 32_768}
"""Env steps of each learner run (the reference run's)."""
DEFAULT_EVAL_EVERY = {"CartPole-v1": 2048, "Pendulum-v1": 4096}
"""Env steps between two points (Pendulum's PPO preset collects 4096 steps per update)."""


@dataclass
class Point:
    env: str
    labels: int
    env_steps: int
    kl: float
    proxy_return: float
    gold_return: float


# ---------------------------------------------------------------------- clips and labels
def collect_pool(env_id: str, n_clips: int, length: int, seed: int) -> list:
    """Clips of mixed quality: random actions, and on CartPole the noisy scripted expert."""
    from hfrl.envs.experts import expert_env_ids, get_expert
    from hfrl.envs.make import make

    from hfrl.types import Segment

    env = make(env_id, seed=seed, render_mode=None)
    rng = np.random.default_rng(seed)
    expert = get_expert(env_id) if env_id in expert_env_ids() else None
    noise_levels = (1.0, 0.5, 0.2) if expert is not None else (1.0,)
    clips = []
    obs, _ = env.reset(seed=seed)
    episode = 0
    while len(clips) < n_clips:
        noise = noise_levels[len(clips) % len(noise_levels)]
        o_buf, a_buf, r_buf = [], [], []
        terminated = False
        for _ in range(length):
            if expert is not None and rng.random() > noise:
                action = expert.act(obs)
            else:
                action = env.action_space.sample()
            nxt, r, terminated, truncated, _ = env.step(action)
            o_buf.append(obs)
            a_buf.append(action)
            r_buf.append(r)
            obs = nxt
            if terminated or truncated:
                obs, _ = env.reset()
                episode += 1
                break
        if not terminated and len(o_buf) < length:
            continue  # a clip cut by the time limit cannot be padded: drop it
        clips.append(
            Segment(
                obs=np.asarray(o_buf, dtype=np.float32),
                actions=np.asarray(a_buf),
                true_rewards=np.asarray(r_buf, dtype=np.float64),
                env_id=env_id,
                episode=episode,
                terminated=bool(terminated),
            )
        )
    env.close()
    return clips


def fit_frozen_reward(env_id: str, pool: list, pairs: list, seed: int):
    """A reward ensemble fitted on the oracle's labels of ``pairs``, calibrated, frozen."""
    from hfrl.envs.make import make

    from hfrl.reward import LearnedReward, PreferenceDataset, RewardEnsemble, RewardEnsembleConfig
    from hfrl.teachers.presets import make_teacher

    teacher = make_teacher("oracle", env_id, seed)
    prefs = [teacher.compare(pool[i], pool[j]) for i, j in pairs]
    env = make(env_id, render_mode=None)
    ensemble = RewardEnsemble(
        env.observation_space, env.action_space, RewardEnsembleConfig(seed=seed), device="cpu"
    )
    env.close()
    ensemble.fit(PreferenceDataset.from_pairs(prefs))
    reward = LearnedReward(ensemble)
    obs = np.concatenate([c.obs for c in pool])
    actions = np.concatenate([c.actions for c in pool])
    reward.calibrate(obs, actions, terminal_seen=any(c.terminated for c in pool))
    return reward


# ---------------------------------------------------------------------- policy distance
def policy_kl(policy, reference, obs: np.ndarray) -> float:
    """Mean over ``obs`` of KL(policy(·|s) ‖ reference(·|s)) (SB3 policies)."""
    with torch.no_grad():
        t, _ = policy.obs_to_tensor(obs)
        p = policy.get_distribution(t).distribution
        q = reference.get_distribution(t).distribution
        kl = torch.distributions.kl_divergence(p, q)
        if kl.dim() > 1:
            kl = kl.sum(dim=-1)
    return float(kl.mean())


def evaluate(
    model, reward, env_id: str, episodes: int, seed: int
) -> tuple[float, float, np.ndarray]:
    """Episodes of the (stochastic) policy: mean true return, mean learned return, the states.

    The policy's own samples, as in Gao et al.: its greedy action can score very differently
    (a freshly initialised CartPole policy may balance greedily by chance)."""
    from hfrl.envs.make import make

    env = make(env_id, render_mode=None)
    gold, proxy, states = [], [], []
    for k in range(episodes):
        obs, _ = env.reset(seed=seed + k)
        done, g, o_buf, a_buf = False, 0.0, [], []
        while not done:
            action, _ = model.predict(obs, deterministic=False)
            o_buf.append(obs)
            a_buf.append(action)
            obs, r, term, trunc, _ = env.step(action)
            g += float(r)
            done = term or trunc
        gold.append(g)
        proxy.append(reward.returns(np.asarray(o_buf, dtype=np.float32), np.asarray(a_buf)))
        states.extend(o_buf)
    env.close()
    return float(np.mean(gold)), float(np.mean(proxy)), np.asarray(states, dtype=np.float32)


# ---------------------------------------------------------------------- one run
def train_on_frozen(
    env_id: str, reward, labels: int, steps: int, eval_every: int, episodes: int, seed: int
) -> list[Point]:
    """A fresh PPO (hfrl's preset) on the frozen learned reward; a point every eval_every."""
    from hfrl.agents.preference.learners import build_learner, learner_preset
    from hfrl.envs.learned_reward import LearnedRewardVecEnv
    from hfrl.envs.make import make
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    preset = learner_preset("ppo", env_id)
    venv = make_vec_env(
        lambda: make(env_id, render_mode=None), n_envs=preset.get("n_envs", 1), seed=seed
    )
    model = build_learner("ppo", LearnedRewardVecEnv(venv, reward), preset, seed, "cpu", steps)
    initial = model.policy_class(
        model.observation_space,
        model.action_space,
        model.lr_schedule,
        use_sde=model.use_sde,
        **model.policy_kwargs,
    )
    initial.load_state_dict(model.policy.state_dict())
    initial.set_training_mode(False)
    points: list[Point] = []

    def record() -> None:
        gold, proxy, states = evaluate(model, reward, env_id, episodes, seed + 10_000)
        kl = policy_kl(model.policy, initial, states)
        points.append(Point(env_id, labels, int(model.num_timesteps), kl, proxy, gold))

    class Every(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.next = eval_every

        def _on_step(self) -> bool:
            if self.num_timesteps >= self.next:
                self.next += eval_every
                record()
            return True

    record()
    model.learn(total_timesteps=steps, callback=Every())
    record()
    venv.close()
    return points


# ---------------------------------------------------------------------- report
def gold_peaks(points: list[Point]) -> list[tuple[str, int, int, float, float, float]]:
    """Per (env, N): the step where gold peaked, peak gold, final gold, drop, proxy rise."""
    out = []
    keys = sorted({(p.env, p.labels) for p in points})
    for env, n in keys:
        run = [p for p in points if p.env == env and p.labels == n]
        best = max(run, key=lambda p: p.gold_return)
        end = run[-1]
        out.append(
            (
                env,
                n,
                best.env_steps,
                best.gold_return,
                end.gold_return,
                best.gold_return - end.gold_return,
                end.proxy_return - run[0].proxy_return,
            )
        )
    return out


def plot(points: list[Point], path: Path) -> None:
    """Gold and proxy against sqrt(KL) (Gao et al.'s axis), and gold against env steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({p.env for p in points})
    fig, axes = plt.subplots(3, len(envs), figsize=(6 * len(envs), 11), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for col, env in enumerate(envs):
        ns = sorted({p.labels for p in points if p.env == env})
        for k, n in enumerate(ns):
            run = [p for p in points if p.env == env and p.labels == n]
            x = np.sqrt([max(p.kl, 0.0) for p in run])
            steps = np.array([p.env_steps for p in run])
            color = cmap(k / max(1, len(ns) - 1))
            gold = np.array([p.gold_return for p in run])
            proxy = np.array([p.proxy_return for p in run])
            peak = int(np.argmax(gold))
            axes[0, col].plot(x, gold, "-o", ms=3, color=color, label=f"N={n}")
            axes[0, col].plot(x[peak], gold[peak], "*", ms=12, color=color)
            axes[1, col].plot(x, proxy, "-o", ms=3, color=color, label=f"N={n}")
            axes[2, col].plot(steps, gold, "-o", ms=3, color=color, label=f"N={n}")
            axes[2, col].plot(steps[peak], gold[peak], "*", ms=12, color=color)
        axes[0, col].set_title(f"{env}: gold (true) return; * = peak")
        axes[1, col].set_title(f"{env}: proxy (learned, frozen) return")
        axes[2, col].set_title(f"{env}: gold return through training")
        for row in range(2):
            axes[row, col].set_xlabel("sqrt KL(π_t ‖ π_0) on the states π_t visits")
        axes[2, col].set_xlabel("env steps")
        for row in range(3):
            axes[row, col].legend(fontsize=8)
        axes[0, col].set_ylabel("true return")
        axes[1, col].set_ylabel("learned return")
        axes[2, col].set_ylabel("true return")
    fig.suptitle("Reward over-optimisation (Gao et al. 2022) with frozen preference reward models")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", nargs="+", default=list(DEFAULT_STEPS))
    parser.add_argument("--labels", nargs="+", type=int, default=list(DEFAULT_LABELS))
    parser.add_argument("--steps", type=int, help="env steps per run (default: per env)")
    parser.add_argument("--eval-every", type=int, help="env steps between points (per env)")
    parser.add_argument("--eval-episodes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="experiments/results/overoptimization")
    parser.add_argument(
        "--plot-only",
        action="store_true",
        help="merge the per-env CSVs in --out, draw the plot and print the table (no training)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.plot_only:
        return report(out)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1") or 1))
    from hfrl.agents.preference.config import default_segment_length
    from hfrl.envs.make import env_fps

    from hfrl.seeding import seed_everything

    out.mkdir(parents=True, exist_ok=True)
    points: list[Point] = []
    t0 = time.perf_counter()
    for env_id in args.envs:
        seed_everything(args.seed)
        length = default_segment_length(env_id, float(env_fps(env_id)))
        max_n = max(args.labels)
        pool = collect_pool(env_id, 2 * max_n + 50, length, args.seed)
        rng = np.random.default_rng(args.seed)
        pairs = [tuple(rng.choice(len(pool), 2, replace=False)) for _ in range(max_n)]
        steps = args.steps or DEFAULT_STEPS.get(env_id, 50_000)
        for n in sorted(args.labels):
            seed_everything(args.seed)
            reward = fit_frozen_reward(env_id, pool, pairs[:n], args.seed)
            every = args.eval_every or DEFAULT_EVAL_EVERY.get(env_id, 4096)
            run = train_on_frozen(env_id, reward, n, steps, every, args.eval_episodes, args.seed)
            points += run
            print(
                f"{env_id} N={n}: {len(run)} points, final gold {run[-1].gold_return:.1f}, "
                f"proxy {run[-1].proxy_return:.1f}, KL {run[-1].kl:.3f} "
                f"({time.perf_counter() - t0:.0f} s so far)",
                flush=True,
            )
            write_csv([p for p in points if p.env == env_id], out / f"runs-{safe(env_id)}.csv")
    print(f"trained in {time.perf_counter() - t0:.0f} s (load {os.getloadavg()[0]:.1f})")
    return report(out)


def safe(env_id: str) -> str:
    """``ALE/Pong-v5`` -> ``ALE_Pong-v5``."""
    return env_id.replace("/", "_")


def read_csv(path: Path) -> list[Point]:
    """Points written by :func:`write_csv`."""
    with path.open() as f:
        return [
            Point(
                r["env"],
                int(r["labels"]),
                int(r["env_steps"]),
                float(r["kl"]),
                float(r["proxy_return"]),
                float(r["gold_return"]),
            )
            for r in csv.DictReader(f)
        ]


def report(out: Path) -> int:
    """Merge the per-env runs in ``out``; write the CSV and the plot; print the table."""
    points = [p for path in sorted(out.glob("runs-*.csv")) for p in read_csv(path)]
    if not points:
        print(f"no runs-*.csv in {out}", file=sys.stderr)
        return 2
    write_csv(points, out / "overoptimization.csv")
    plot(points, out / "overoptimization.png")
    print(
        "\nper env and label budget N: where the true (gold) return peaked, and its drop to the end"
    )
    header = ("env", "N", "gold peak at step", "peak gold", "final gold", "drop", "proxy rise")
    print(
        f"{header[0]:<14}{header[1]:>6}"
        + "".join(f"{h:>19}" if i == 2 else f"{h:>12}" for i, h in enumerate(header[2:], 2))
    )
    for env, n, step, peak, end, drop, rise in gold_peaks(points):
        print(f"{env:<14}{n:>6}{step:>19}{peak:>12.1f}{end:>12.1f}{drop:>12.1f}{rise:>12.1f}")
    print(f"wrote {out / 'overoptimization.csv'} and {out / 'overoptimization.png'}")
    return 0


def write_csv(points: list[Point], path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["env", "labels", "env_steps", "kl", "proxy_return", "gold_return"])
        for p in points:
            w.writerow(
                [
                    p.env,
                    p.labels,
                    p.env_steps,
                    f"{p.kl:.6g}",
                    f"{p.proxy_return:.6g}",
                    f"{p.gold_return:.6g}",
                ]
            )


if __name__ == "__main__":
    sys.exit(main())
