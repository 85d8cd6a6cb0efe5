"""Frame times of both pygame apps with learning running in the background.

- teach: Deep TAMER on ALE/Bowling-v5 at 30 fps, a rating key pressed every few frames
  (each rating triggers Deep TAMER's SGD step and replay in the worker thread);
- compare: the preference agent on CartPole-v1, PPO training on the learned reward in the
  background, the simulated oracle answering each pair after 0.5 s.

Prints the work time per frame (median, p99; the tick's sleep excluded), the key-press to
agent (teach) or key-press to store (compare) latency, and the gap to the goals: p99 frame
time <= 33 ms at 30 fps, and a key press reaching the agent within one frame (33 ms).

    python experiments/benchmarks/ui_frame_times.py [--frames 300]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

FPS = 30.0
GOAL_MS = 1000.0 / FPS


def report(name: str, frame_ms: list[float], latency_ms: list[float], what: str) -> None:
    import numpy as np

    f = np.asarray(frame_ms[5:])  # the first frames open the window and warm caches
    lat = np.asarray(latency_ms) if latency_ms else np.asarray([np.nan])
    p99 = float(np.percentile(f, 99))
    lat99 = float(np.nanpercentile(lat, 99)) if latency_ms else float("nan")
    print(
        f"{name}: {len(f)} frames, frame time median {np.median(f):.1f} ms, p99 {p99:.1f} ms, max {f.max():.1f} ms"
    )
    print(
        f"  goal p99 <= {GOAL_MS:.1f} ms: {'met' if p99 <= GOAL_MS else 'MISSED'} (gap {p99 - GOAL_MS:+.1f} ms)"
    )
    print(
        f"  {what}: n={len(latency_ms)}, median {np.nanmedian(lat):.2f} ms, p99 {lat99:.2f} ms "
        f"(goal <= one frame, {GOAL_MS:.1f} ms: {'met' if lat99 <= GOAL_MS else 'MISSED'})"
    )


def bench_teach(frames: int, workdir: Path) -> None:
    import numpy as np
    import pygame
    from hfrl.envs.make import make
    from hfrl.human_ui.keys import key_event
    from hfrl.human_ui.session import SessionPaths, build_agent, open_session
    from hfrl.human_ui.teach import TeachApp, TeachConfig

    env_id = "ALE/Bowling-v5"
    env = make(env_id, seed=0, render_mode="rgb_array")
    paths = SessionPaths(workdir, "bench-teach")
    store, session = open_session(paths, {"app": "teach", "agent": "deep-tamer", "env_id": env_id})
    agent = build_agent("deep-tamer", env, env_id, seed=0)
    app = TeachApp(
        agent,
        env,
        env_id,
        session,
        paths.agent_dir,
        TeachConfig(fps=FPS, max_frames=frames, autosave_seconds=1e9),
        agent_name="deep-tamer",
    )
    rng = np.random.default_rng(0)

    def press(app: TeachApp) -> None:
        if app.result.frames > 10 and app.result.frames % 4 == 0:
            pygame.event.post(
                key_event("/" if rng.random() < 0.6 else "z", posted_at=time.monotonic())
            )

    t0 = time.monotonic()
    r = app.run(press)
    store.close()
    print(
        f"teach (deep-tamer on {env_id}, {FPS:g} fps): {r.env_steps} env steps, {r.ratings} ratings, "
        f"{app.worker.updates} background updates, {r.stalled_frames} frames where learning held the agent, "
        f"{time.monotonic() - t0:.1f} s"
    )
    report("teach", r.frame_ms, r.latency_ms, "key press -> agent.give")


def bench_compare(frames: int, workdir: Path) -> None:
    from hfrl.agents.preference_labels import QueryQueue
    from hfrl.envs.make import env_fps
    from hfrl.human_ui.compare import CompareApp, CompareConfig, LearnInChunks
    from hfrl.human_ui.session import SessionPaths, open_session

    from hfrl.cli.compare import build_preference_agent
    from hfrl.teachers import make_teacher

    env_id = "CartPole-v1"
    paths = SessionPaths(workdir, "bench-compare")
    store, session = open_session(
        paths, {"app": "compare", "agent": "preference", "env_id": env_id}
    )
    agent, _ = build_preference_agent(env_id, 0, paths.agent_dir)
    queries = QueryQueue(max_pending=12)
    trainer = LearnInChunks(agent, queries)
    app = CompareApp(
        agent,
        queries,
        env_id,
        session,
        paths.agent_dir,
        CompareConfig(
            fps=FPS,
            clip_fps=float(env_fps(env_id)),
            max_frames=frames,
            undo_seconds=0.5,
            autosave_seconds=1e9,
        ),
        teacher=make_teacher("oracle", env_id, 0),
        train_step=trainer,
    )
    app.demo.think_seconds = 0.5
    t0 = time.monotonic()
    r = app.run()
    store.close()
    print(
        f"compare (preference + PPO on {env_id}, {FPS:g} fps): {r.labels} labels, "
        f"{int(trainer.env_steps)} learner env steps in the background, {time.monotonic() - t0:.1f} s"
    )
    report("compare", r.frame_ms, r.latency_ms, "key press -> label committed in the store")


def main() -> None:
    import torch

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--only", choices=("teach", "compare"))
    args = parser.parse_args()
    print(f"CPU cores visible: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "teach"):
            bench_teach(args.frames, Path(tmp))
        if args.only in (None, "compare"):
            bench_compare(args.frames, Path(tmp))


if __name__ == "__main__":
    main()
