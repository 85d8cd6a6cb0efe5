"""Frame times of both pygame apps with learning running in the background.

- teach: Deep TAMER on ALE/Bowling-v5 at 30 fps (built as the app builds it: its SGD
  steps and replays in its own thread, ``worker="on"``), a rating key pressed every few
  frames;
- compare: the preference agent on CartPole-v1, PPO training on the learned reward in the
  background, the simulated oracle answering each pair after ``--think`` seconds.

Prints the work time per frame (median, p99; the tick's sleep excluded), the key-press to
agent (teach) or key-press to store (compare) latency, and the gap to the goals: p99 frame
time <= 33 ms at 30 fps, and a key press reaching the agent within one frame (33 ms). For
compare it also prints the label rate and how long the screen waited for a pair.

    python experiments/benchmarks/ui_frame_times.py [--frames 300] [--only teach|compare]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

FPS = 30.0
GOAL_MS = 1000.0 / FPS


def report(name: str, frame_ms: list[float], latency_ms: list[float], what: str) -> None:
    import numpy as np

    f = np.asarray(frame_ms[5:])  # the first frames open the window and warm caches
    lat = np.asarray(latency_ms) if latency_ms else np.asarray([np.nan])
    p99 = float(np.percentile(f, 99))
    lat99 = float(np.nanpercentile(lat, 99)) if latency_ms else float("nan")
    print(
        f"{name}: {len(f)} frames, frame time median {np.median(f):.1f} ms, p99 {p99:.1f} ms, "
        f"max {f.max():.1f} ms"
    )
    print(
        f"  goal p99 <= {GOAL_MS:.1f} ms: {'met' if p99 <= GOAL_MS else 'MISSED'} "
        f"(gap {p99 - GOAL_MS:+.1f} ms)"
    )
    print(
        f"  {what}: n={len(latency_ms)}, median {np.nanmedian(lat):.2f} ms, p99 {lat99:.2f} ms "
        f"(goal <= one frame, {GOAL_MS:.1f} ms: {'met' if lat99 <= GOAL_MS else 'MISSED'})"
    )


def bench_teach(frames: int, workdir: Path) -> None:
    import numpy as np
    import pygame
    from hfrl.human_ui.keys import key_event
    from hfrl.human_ui.launch import session_paths, teach_session
    from hfrl.human_ui.teach import TeachApp, TeachConfig

    env_id = "ALE/Bowling-v5"
    paths = session_paths(workdir, "bench-teach", "teach", "deep-tamer", env_id)
    config = TeachConfig(fps=FPS, max_frames=frames, autosave_seconds=1e9)
    rng = np.random.default_rng(0)

    def press(app: TeachApp) -> None:
        if app.result.frames > 10 and app.result.frames % 4 == 0:
            key = "/" if rng.random() < 0.6 else "z"
            pygame.event.post(key_event(key, posted_at=time.monotonic()))

    with teach_session("deep-tamer", env_id, paths, config) as started:
        app = started.app
        threaded = getattr(app.agent, "threaded", None)
        t0 = time.monotonic()
        r = app.run(press)
        print(
            f"teach (deep-tamer on {env_id}, {FPS:g} fps, agent's own update thread: "
            f"{threaded}): {r.env_steps} env steps, {r.ratings} ratings, "
            f"{app.worker.updates} background update calls, {r.stalled_frames} frames where "
            f"learning held the agent, {time.monotonic() - t0:.1f} s"
        )
    report("teach", r.frame_ms, r.latency_ms, "key press -> agent.give")


def bench_compare(frames: int, workdir: Path, think: float) -> None:
    import numpy as np
    from hfrl.envs.make import env_fps
    from hfrl.human_ui.compare import CompareConfig
    from hfrl.human_ui.launch import compare_session, session_paths

    env_id = "CartPole-v1"
    paths = session_paths(workdir, "bench-compare", "compare", "preference", env_id)
    config = CompareConfig(
        fps=FPS,
        clip_fps=float(env_fps(env_id)),
        max_frames=frames,
        undo_seconds=0.5,
        autosave_seconds=1e9,
    )
    with compare_session(env_id, paths, config, teacher="oracle") as started:
        app = started.app
        app.demo.think_seconds = think
        t0 = time.monotonic()
        r = app.run()
        steps = int(app.worker.train_step.env_steps)  # type: ignore[attr-defined]
        print(
            f"compare (preference + PPO on {env_id}, {FPS:g} fps): {r.labels} labels, "
            f"{steps} learner env steps in the background, {time.monotonic() - t0:.1f} s"
        )
    report("compare", r.frame_ms, r.latency_ms, "key press -> label committed in the store")
    waits = np.asarray(r.waits_s) if r.waits_s else np.zeros(1)
    print(
        f"  demo label rate ({think:g} s think time): {60 * r.labels / app.run_seconds:.1f} "
        f"labels/min over {app.run_seconds:.1f} s; first pair after {r.first_pair_s or 0:.1f} s; "
        f"then waits for a pair: longest {waits.max():.2f} s, total {waits.sum():.1f} s"
    )


def main() -> None:
    import torch
    from hfrl.human_ui.launch import go_headless

    torch.set_num_threads(1)
    go_headless()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--only", choices=("teach", "compare"))
    parser.add_argument("--think", type=float, default=0.5, help="demo teacher's answer time")
    args = parser.parse_args()
    print(f"CPU cores visible: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "teach"):
            bench_teach(args.frames, Path(tmp))
        if args.only in (None, "compare"):
            bench_compare(args.frames, Path(tmp), args.think)


if __name__ == "__main__":
    main()
