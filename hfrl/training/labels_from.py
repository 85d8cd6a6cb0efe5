"""``hfrl train preference --labels-from SESSION``: train on a recorded comparison session.

The recorded comparisons become the run's teacher, ``recorded:SESSION@DIR``
(:class:`hfrl.teachers.recorded.RecordedTeacher`): the agent asks for labels on its usual
schedule and receives the person's recorded comparisons, in the order they were given, so a
reward model and a learner of the user's choice train without asking anyone again. The env
defaults to the session's, the label budget to the number of recorded comparisons.
"""

from __future__ import annotations

import argparse

from hfrl.errors import HfrlError


def apply_labels_from(args: argparse.Namespace) -> None:
    """Turn ``--labels-from SESSION [--dir DIR]`` into the run's teacher, env, budget and out.

    Raises:
        HfrlError: a teacher was given too, the agent does not learn from comparisons, no
            such session, a session without comparisons, or another env than the session's.
    """
    from hfrl.agents.registry import get_agent_class
    from hfrl.teachers.recorded import recorded_meta

    session = args.labels_from
    if getattr(args, "teacher", None):
        raise HfrlError("--labels-from replaces --teacher: the recorded labels are the teacher")
    if getattr(get_agent_class(args.agent), "feedback_kind", None) != "preference":
        raise HfrlError(
            f"--labels-from trains a preference agent from recorded comparisons; {args.agent!r} "
            "learns from live ratings (replay a live session with `hfrl replay`)"
        )
    folder = getattr(args, "dir", None)
    argument = session if folder is None else f"{session}@{folder}"
    labels, meta = recorded_meta(argument)
    recorded_env = meta.get("env_id")
    if args.env is None:
        if not recorded_env:
            raise HfrlError(f"session {session!r} does not record its env: pass --env ENV_ID")
        args.env = recorded_env
    elif recorded_env and recorded_env != args.env:
        raise HfrlError(f"session {session!r} was recorded on {recorded_env}, not {args.env}")
    args.teacher = f"recorded:{argument}"
    if getattr(args, "labels", None) is None:
        args.labels = labels.total
    if not getattr(args, "out", None):
        from hfrl.training.results import numbered_folder

        env = args.env.replace("/", "_")
        args.out = str(numbered_folder(f"runs/{args.agent}-{env}-recorded-{session}-s{args.seed}"))
