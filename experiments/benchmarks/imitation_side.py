"""The ``imitation`` half of ``preference_vs_imitation.py``; runs in imitation's own venv.

Never imported by hfrl (it needs imitation 1.0.1, gymnasium 0.29 and SB3 2.2, which hfrl's
environment does not have): ``preference_vs_imitation.py`` runs it with the venv's Python,

    VENV/bin/python imitation_side.py train '{"env": "Pendulum-v1", ...}'
    VENV/bin/python imitation_side.py throughput '{"data": "pairs.npz", ...}'

and reads the one JSON line it prints last. ``train`` runs imitation's
``PreferenceComparisons`` with synthetic (oracle) labels and PPO, as its tutorial does, then
scores the trained policy greedily on the true reward; ``throughput`` trains imitation's
reward ensemble on the pairs the parent wrote and reports labelled pairs per second.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch

PPO_SETTINGS = {
    # the imitation tutorial's PPO for seals CartPole (docs: "Learning a Reward Function
    # using Preference Comparisons")
    "CartPole-v1": {
        "n_envs": 8,
        "n_steps": 2048 // 8,
        "batch_size": 64,
        "ent_coef": 0.01,
        "learning_rate": 2e-3,
        "clip_range": 0.1,
        "gae_lambda": 0.95,
        "gamma": 0.97,
        "n_epochs": 10,
    },
    # rl-zoo's PPO for Pendulum-v1 (the same as hfrl's PPO preset)
    "Pendulum-v1": {
        "n_envs": 4,
        "n_steps": 1024,
        "gae_lambda": 0.95,
        "gamma": 0.9,
        "n_epochs": 10,
        "ent_coef": 0.0,
        "learning_rate": 1e-3,
        "clip_range": 0.2,
        "use_sde": True,
        "sde_sample_freq": 4,
    },
}
"""PPO settings per env (n_envs: parallel envs of imitation's VecEnv)."""

TRAIN_ENV = {"CartPole-v1": "seals:seals/CartPole-v0", "Pendulum-v1": "Pendulum-v1"}
"""imitation needs fixed-horizon episodes: seals' CartPole (500 steps) stands in for v1."""


def train(case: dict) -> dict:
    """Train with imitation's preference comparisons; greedy true return of the policy."""
    import gymnasium as gym
    import seals  # noqa: F401  (registers seals/CartPole-v0)
    from imitation.algorithms import preference_comparisons as pc
    from imitation.policies.base import FeedForward32Policy, NormalizeFeaturesExtractor
    from imitation.rewards.reward_nets import BasicRewardNet
    from imitation.util.networks import RunningNorm
    from imitation.util.util import make_vec_env
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy

    env_id, seed = case["env"], int(case["seed"])
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ppo = dict(PPO_SETTINGS[env_id])
    n_envs = ppo.pop("n_envs")
    venv = make_vec_env(TRAIN_ENV[env_id], rng=rng, n_envs=n_envs)
    reward_net = BasicRewardNet(
        venv.observation_space, venv.action_space, normalize_input_layer=RunningNorm
    )
    policy_kwargs = {}
    policy = "MlpPolicy"
    if env_id == "CartPole-v1":
        policy = FeedForward32Policy
        policy_kwargs = {
            "features_extractor_class": NormalizeFeaturesExtractor,
            "features_extractor_kwargs": {"normalize_class": RunningNorm},
        }
    agent = PPO(policy, venv, seed=seed, policy_kwargs=policy_kwargs, verbose=0, **ppo)
    trainer = pc.AgentTrainer(agent, reward_net, venv, rng=rng, exploration_frac=0.05)
    comparisons = pc.PreferenceComparisons(
        trainer,
        reward_net,
        num_iterations=int(case.get("iterations", 20)),
        fragmenter=pc.RandomFragmenter(warning_threshold=0, rng=rng),
        preference_gatherer=pc.SyntheticGatherer(rng=rng),
        reward_trainer=pc.BasicRewardTrainer(
            pc.PreferenceModel(reward_net), pc.CrossEntropyRewardLoss(), epochs=3, rng=rng
        ),
        fragment_length=int(case.get("fragment_length", 50)),
        transition_oversampling=1,
        initial_comparison_frac=0.1,
        allow_variable_horizon=False,
        initial_epoch_multiplier=4,
        query_schedule="hyperbolic",
    )
    t0, c0 = time.perf_counter(), time.process_time()
    comparisons.train(total_timesteps=int(case["steps"]), total_comparisons=int(case["labels"]))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    eval_env = gym.make(env_id)  # the true reward of the env hfrl runs (CartPole-v1 itself)
    eval_env.reset(seed=10_000 + seed)
    mean, std = evaluate_policy(
        agent.policy, eval_env, n_eval_episodes=int(case["eval_episodes"]), deterministic=True
    )
    return {"return": float(mean), "std": float(std), "wall_seconds": wall, "cpu_seconds": cpu}


def throughput(case: dict) -> dict:
    """Pairs/s of imitation's ensemble reward training (K members, the given batch)."""
    from gymnasium import spaces
    from imitation.algorithms import preference_comparisons as pc
    from imitation.data.types import TrajectoryWithRew
    from imitation.rewards.reward_nets import BasicRewardNet, RewardEnsemble

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    data = np.load(case["data"])
    obs, act, labels = data["obs"], data["actions"], data["labels"]
    n_pairs, _, length, obs_dim = obs.shape
    obs_space = spaces.Box(-np.inf, np.inf, (obs_dim,), np.float32)
    act_space = spaces.Box(-2.0, 2.0, act.shape[3:], np.float32)
    k = int(case["members"])
    members = [BasicRewardNet(obs_space, act_space) for _ in range(k)]
    ensemble = RewardEnsemble(obs_space, act_space, members)
    model = pc.PreferenceModel(ensemble)
    trainer = pc.EnsembleTrainer(
        model,
        pc.CrossEntropyRewardLoss(),
        rng=rng,
        batch_size=int(case["batch"]),
        minibatch_size=int(case["batch"]),
        epochs=int(case["epochs"]),
    )

    def fragment(i: int, side: int) -> TrajectoryWithRew:
        o = np.concatenate([obs[i, side], obs[i, side, -1:]])  # imitation wants T+1 obs
        return TrajectoryWithRew(
            obs=o, acts=act[i, side], infos=None, terminal=False, rews=np.zeros(length)
        )

    pairs = [(fragment(i, 0), fragment(i, 1)) for i in range(n_pairs)]
    dataset = pc.PreferenceDataset(max_size=n_pairs)
    dataset.push(pairs, labels.astype(np.float32))
    t0, c0 = time.perf_counter(), time.process_time()
    trainer.train(dataset)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    pairs = n_pairs * int(case["epochs"])
    return {"pairs_per_second": pairs / wall, "pairs_per_cpu_second": pairs / cpu}


def main() -> int:
    torch.set_num_threads(1)
    what, case = sys.argv[1], json.loads(sys.argv[2])
    out = train(case) if what == "train" else throughput(case)
    import imitation

    out["imitation_version"] = imitation.__version__
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
