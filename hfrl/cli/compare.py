"""``hfrl compare``: label clip comparisons while a preference agent learns (pygame app)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "compare clips side by side (<- / ->) while a reward model and an RL agent learn from you"

HEADLESS_TEACHER = "oracle"
"""Simulated teacher used when no display can open and no --teacher was given."""
HEADLESS_SECONDS = 60.0
"""Default session length in that case."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", required=True, metavar="ENV_ID", help="e.g. CartPole-v1, ALE/Pong-v5"
    )
    parser.add_argument("--agent", default="preference", help="agent learning from comparisons")
    parser.add_argument(
        "--session", metavar="NAME", help="session name; an existing one is resumed"
    )
    parser.add_argument(
        "--teacher", metavar="NAME", help="demo mode: a simulated teacher presses the keys"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        metavar="N",
        help="end by itself after N seconds, saving",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--chunk-steps", type=int, default=1024, help="env steps of each background learning chunk"
    )
    parser.add_argument(
        "--dir",
        default=None,
        metavar="DIR",
        help="folder of the feedback store and agent saves (default runs/sessions)",
    )


def build_preference_agent(env_id: str, seed: int, agent_dir: Path) -> tuple[object, bool]:
    """A preference agent that keeps display frames, loaded from ``agent_dir`` if saved there."""
    from hfrl.agents.preference import PreferenceAgent
    from hfrl.agents.preference_config import PreferenceConfig
    from hfrl.human_ui.worker import saved_agent_dir

    saved = saved_agent_dir(agent_dir)
    if saved is not None:
        return PreferenceAgent.load(saved), True
    config = PreferenceConfig(keep_frames=True, pool_size=40, max_pending=12)
    return PreferenceAgent(env_id, config=config, seed=seed), False


def run(args: argparse.Namespace) -> int:
    import torch

    from hfrl.agents.preference_labels import QueryQueue
    from hfrl.agents.registry import get_agent_class
    from hfrl.envs.make import check_id, env_fps
    from hfrl.errors import HfrlError
    from hfrl.human_ui.compare import CompareApp, CompareConfig, LearnInChunks
    from hfrl.human_ui.session import DEFAULT_ROOT, SessionPaths, default_session_name, open_session
    from hfrl.human_ui.window import display_available
    from hfrl.human_ui.worker import load_ui_state, saved_agent_dir
    from hfrl.seeding import seed_everything

    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    cls = get_agent_class(args.agent)
    if getattr(cls, "feedback_kind", None) != "preference":
        raise HfrlError(
            f"{args.agent} learns from live ratings; use `hfrl teach {args.agent} --env {args.env}`."
        )
    if args.agent != "preference":
        raise HfrlError(
            "the compare app drives the 'preference' agent; other comparison agents are not supported yet."
        )
    check_id(args.env)
    teacher_name, max_seconds = args.teacher, args.max_seconds
    if teacher_name is None and not display_available():
        teacher_name = HEADLESS_TEACHER
        max_seconds = HEADLESS_SECONDS if max_seconds is None else max_seconds
        print(
            f"hfrl compare: no display to open a window on, so nobody could press keys; running "
            f"headless with the simulated '{teacher_name}' teacher for {max_seconds:g} s instead. "
            "Run it on a desktop to compare the clips yourself.",
            file=sys.stderr,
        )
    seed_everything(args.seed)
    paths = SessionPaths(
        root=DEFAULT_ROOT if args.dir is None else Path(args.dir),
        name=args.session or default_session_name("compare", args.agent, args.env),
    )
    teacher = None
    if teacher_name is not None:
        from hfrl.teachers import make_teacher

        teacher = make_teacher(teacher_name, args.env, args.seed)
    meta = {"app": "compare", "agent": args.agent, "env_id": args.env, "seed": args.seed}
    store, session = open_session(paths, meta)
    try:
        agent, loaded = build_preference_agent(args.env, args.seed, paths.agent_dir)
        queries = QueryQueue(max_pending=12)
        app = CompareApp(
            agent,
            queries,
            args.env,
            session,
            paths.agent_dir,
            CompareConfig(clip_fps=float(min(60, env_fps(args.env))), max_seconds=max_seconds),
            teacher=teacher,
            agent_name=args.agent,
            train_step=LearnInChunks(agent, queries, chunk_steps=args.chunk_steps),
        )
        if session.resumed:
            saved = saved_agent_dir(paths.agent_dir)
            after = int(load_ui_state(saved).get("last_label_row", 0)) if loaded and saved else 0
            n = app.restore_labels(after)
            print(
                f"hfrl compare: resuming session {paths.name!r}: agent "
                f"{'loaded from its last save' if loaded else 'started afresh'}, {n} stored labels given back to it."
            )
        result = app.run()
        counts = session.counts()
    finally:
        store.close()
    print(
        f"hfrl compare: {result.labels} answers this run ({counts['preferences']} labels and "
        f"{counts['skips']} skips in the session) in {paths.store} (session {paths.name!r}); "
        f"agent saved to {paths.agent_dir}.\n"
        f"Resume with: hfrl compare --env {args.env} --session {paths.name}"
        + (f" --dir {args.dir}" if args.dir else "")
    )
    return 0
