"""Write README's screenshots of both apps: docs/images/teach.png and docs/images/compare.png.

Runs headless in demo mode (a simulated teacher presses the keys), so it works anywhere:

    python experiments/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def teach_screenshot(
    out: Path, workdir: Path, env_id: str = "MountainCar-v0", frames: int = 420
) -> Path:
    """Run TAMER with the simulated 'perfect' teacher for a while; save the window."""
    from hfrl.envs.make import make
    from hfrl.human_ui.session import SessionPaths, build_agent, open_session
    from hfrl.human_ui.teach import TeachApp, TeachConfig

    from hfrl.teachers import make_teacher

    env = make(env_id, seed=1, render_mode="rgb_array")
    paths = SessionPaths(workdir, "screenshot-teach")
    store, session = open_session(paths, {"app": "teach", "agent": "tamer", "env_id": env_id})
    agent = build_agent("tamer", env, env_id, seed=1)
    app = TeachApp(
        agent,
        env,
        env_id,
        session,
        paths.agent_dir,
        TeachConfig(fps=60, max_frames=frames),
        teacher=make_teacher("perfect", env_id, 1),
        agent_name="tamer",
        seed=1,
    )
    shot: list[Path] = []
    original = app._draw

    def draw_and_catch() -> None:
        original()
        # catch a frame while a rating is flashing, late in the run
        if app.result.frames >= frames - 120 and not shot and app.flash is not None:
            import time

            if time.monotonic() - app.flash[1] < 0.1:
                shot.append(app.screenshot(out))

    app._draw = draw_and_catch  # type: ignore[method-assign]
    app.run()
    store.close()
    return shot[0] if shot else app.screenshot(out)


def compare_screenshot(
    out: Path, workdir: Path, env_id: str = "CartPole-v1", seconds: float = 25.0
) -> Path:
    """Run the preference agent with the simulated 'oracle' teacher for a while; save the window."""
    import time

    from hfrl.agents.preference_labels import QueryQueue
    from hfrl.envs.make import env_fps
    from hfrl.human_ui.compare import CompareApp, CompareConfig, LearnInChunks
    from hfrl.human_ui.session import SessionPaths, open_session

    from hfrl.cli.compare import build_preference_agent
    from hfrl.teachers import make_teacher

    paths = SessionPaths(workdir, "screenshot-compare")
    store, session = open_session(
        paths, {"app": "compare", "agent": "preference", "env_id": env_id}
    )
    agent, _ = build_preference_agent(env_id, 0, paths.agent_dir)
    queries = QueryQueue(max_pending=12)
    app = CompareApp(
        agent,
        queries,
        env_id,
        session,
        paths.agent_dir,
        CompareConfig(clip_fps=float(env_fps(env_id)), max_seconds=seconds + 20),
        teacher=make_teacher("oracle", env_id, 0),
        train_step=LearnInChunks(agent, queries),
    )
    start = time.monotonic()
    shot: list[Path] = []

    def hook(app: CompareApp) -> None:
        # a pair on screen, mid-clip, after a while of labelling
        if shot or time.monotonic() - start < seconds or app.current is None:
            return
        if 0.4 < time.monotonic() - app.shown_at < 0.6:
            shot.append(app.screenshot(out))
            app._quit = True

    app.run(hook)
    store.close()
    return shot[0] if shot else app.screenshot(out)


def main() -> None:
    import torch

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/images", type=Path)
    parser.add_argument("--only", choices=("teach", "compare"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "teach"):
            print("wrote", teach_screenshot(args.out / "teach.png", Path(tmp)))
        if args.only in (None, "compare"):
            print("wrote", compare_screenshot(args.out / "compare.png", Path(tmp)))


if __name__ == "__main__":
    main()
