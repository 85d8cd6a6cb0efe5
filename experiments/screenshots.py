"""Write README's screenshots of both apps: docs/images/teach.png and docs/images/compare.png.

Runs headless in demo mode (a simulated teacher presses the keys), so it works anywhere:

    python experiments/screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def teach_screenshot(
    out: Path, workdir: Path, env_id: str = "MountainCar-v0", frames: int = 420
) -> Path:
    """Run TAMER with the simulated 'perfect' teacher for a while; save the window."""
    from hfrl.human_ui.launch import session_paths, teach_session
    from hfrl.human_ui.teach import TeachApp, TeachConfig

    paths = session_paths(workdir, "screenshot-teach", "teach", "tamer", env_id)
    config = TeachConfig(fps=60, max_frames=frames)
    with teach_session("tamer", env_id, paths, config, teacher="perfect", seed=1) as started:
        app: TeachApp = started.app
        shot: list[Path] = []
        original = app._draw

        def draw_and_catch() -> None:
            original()
            # catch a frame while a rating is flashing, late in the run
            late = app.result.frames >= frames - 120 and not shot and app.flash is not None
            if late and time.monotonic() - app.flash[1] < 0.1:  # type: ignore[index]
                shot.append(app.screenshot(out))

        app._draw = draw_and_catch  # type: ignore[method-assign]
        app.run()
        return shot[0] if shot else app.screenshot(out)


def compare_screenshot(
    out: Path, workdir: Path, env_id: str = "CartPole-v1", seconds: float = 60.0
) -> Path:
    """Run the preference agent with the simulated 'oracle' teacher for a while; save the window."""
    from hfrl.envs.make import env_fps
    from hfrl.human_ui.compare import CompareApp, CompareConfig
    from hfrl.human_ui.launch import compare_session, session_paths

    paths = session_paths(workdir, "screenshot-compare", "compare", "preference", env_id)
    config = CompareConfig(
        clip_fps=float(env_fps(env_id)), max_seconds=seconds + 120, eval_seconds=5.0
    )
    start = time.monotonic()
    shot: list[Path] = []

    def hook(app: CompareApp) -> None:
        # after a while of labelling: a pair on screen, mid-clip, and the footer saying
        # whether the reward model agreed with the answer just given
        now = time.monotonic()
        if shot or now - start < seconds or app.current is None or not app.result.verdicts:
            return
        answered = app.flash is not None and app.result.verdicts[-1].t == app.flash[1]
        if answered and 0.4 < now - app.shown_at < 0.6 and app.returns:
            shot.append(app.screenshot(out))
            app._quit = True

    with compare_session(env_id, paths, config, teacher="oracle") as started:
        started.app.run(hook)
        return shot[0] if shot else started.app.screenshot(out)


def main() -> None:
    import torch
    from hfrl.human_ui.launch import go_headless

    torch.set_num_threads(1)
    go_headless()
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
