"""A recorded comparison session as a label source: train again without asking anyone.

:class:`RecordedLabels` implements the preference agents' label-source contract
(``request(pairs)``, ``poll()``, ``pending()``; :class:`hfrl.agents.preference.labels.LabelSource`)
from the comparisons a session stored, in the order they were given. Each time the agent
asks for ``n`` comparisons it receives the next ``n`` recorded ones (skips included, as they
were answered), whatever pairs it proposed: the recorded clips were the ones the person saw,
so the labels stay true to them. When the recording runs out, further requests get nothing;
the budget a run should ask for is :attr:`RecordedLabels.total`.

What this answers and what it cannot: the reward model and the learner see exactly the
person's comparisons of the clips the person saw. The order and timing of the labels follow
the recording, not the new agent's query selection, and the clips came from the first
agent's behaviour, so a learner that explores elsewhere gets no labels about the states it
reaches (the recording cannot answer questions nobody asked).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hfrl.errors import HfrlError
from hfrl.types import Preference, Segment


class RecordedLabels:
    """Hands out a session's recorded comparisons as a preference agent asks for labels.

    Args:
        preferences: the recorded comparisons, oldest first (skips included).
        source: the name the answers carry (default: each answer's recorded source).
    """

    def __init__(self, preferences: Sequence[Preference], source: str | None = None) -> None:
        self._recorded = list(preferences)
        self._next = 0
        self._answers: list[Preference] = []
        self.source = source

    @property
    def total(self) -> int:
        """Comparisons in the recording."""
        return len(self._recorded)

    @property
    def remaining(self) -> int:
        """Recorded comparisons not handed out yet."""
        return len(self._recorded) - self._next

    def request(self, pairs: Sequence[tuple[Segment, Segment]]) -> None:
        """For each asked pair, the next recorded comparison (none once all are used)."""
        take = min(len(pairs), self.remaining)
        for pref in self._recorded[self._next : self._next + take]:
            if self.source is not None:
                pref = Preference(pref.left, pref.right, pref.label, pref.t_wall, self.source)
            self._answers.append(pref)
        self._next += take

    def poll(self) -> list[Preference]:
        """The comparisons handed out since the last poll."""
        out, self._answers = self._answers, []
        return out

    def pending(self) -> int:
        """Always 0: recorded answers are there at once."""
        return 0


def load_recorded(store_path: str | Path, session_name: str) -> tuple[RecordedLabels, dict]:
    """The comparisons of session ``session_name`` in the store at ``store_path``, and its meta.

    Raises:
        HfrlError: no store there, no such session, or a session without comparisons.
    """
    from hfrl.store import FeedbackStore

    path = Path(store_path)
    if not path.is_file():
        raise HfrlError(
            f"no feedback store at {path}; pass --dir DIR where the session was recorded"
        )
    with FeedbackStore(path, synchronous="NORMAL") as store:
        names = [s.name for s in store.sessions()]
        if session_name not in names:
            raise HfrlError(
                f"no session {session_name!r} in {path}; sessions there: {', '.join(names) or 'none'}"
            )
        session = store.session(session_name)
        prefs = store.preferences(session, frames=False)
        meta = dict(session.meta)
    if not prefs:
        raise HfrlError(
            f"session {session_name!r} holds no comparisons (it has "
            f"{'live ratings' if meta.get('app') == 'teach' else 'nothing'} instead); "
            "--labels-from needs a session made by `hfrl compare`"
        )
    return RecordedLabels(prefs), meta


class RecordedTeacher:
    """A preference teacher that answers with a session's recorded comparisons, in order.

    ``compare(left, right)`` ignores the pair it is shown and returns the next recorded
    comparison (the recorded clips, with the person's label); once the recording is used up
    it skips. A preference agent's :class:`~hfrl.agents.preference.labels.TeacherLabels`
    therefore feeds the agent the person's labels as it asks for labels, so the agent trains
    on them exactly as it would on a simulated teacher's (``hfrl train preference
    --labels-from SESSION``).
    """

    def __init__(self, labels: RecordedLabels, session: str, store: str) -> None:
        self.labels = labels
        self.session = session
        self.store = store
        self.name = f"recorded:{session}"
        self.exhausted = 0
        """Pairs asked after the recording ran out (answered as skips)."""

    def compare(self, left: Segment, right: Segment) -> Preference:
        """The next recorded comparison (a skip of this pair once none is left)."""
        self.labels.request([(left, right)])
        out = self.labels.poll()
        if out:
            return out[0]
        self.exhausted += 1
        return Preference(left, right, None, 0.0, self.name)

    def params(self) -> dict[str, object]:
        """Where the labels come from (for summary.json)."""
        return {
            "name": self.name,
            "kind": "preference",
            "recorded_session": self.session,
            "store": self.store,
            "comparisons": self.labels.total,
            "asked_after_the_end": self.exhausted,
        }


DEFAULT_SESSIONS_DIR = Path("runs") / "sessions"
"""Where the apps keep their store (``human_ui.session.DEFAULT_ROOT``)."""


def parse_recorded(argument: str) -> tuple[str, Path]:
    """``"SESSION"`` or ``"SESSION@DIR"`` -> the session name and the store file."""
    from hfrl.sessions import check_name

    name, _, folder = argument.partition("@")
    check_name(name, "recorded session name")
    root = Path(folder) if folder else DEFAULT_SESSIONS_DIR
    return name, root / "feedback.sqlite"


def recorded_meta(argument: str) -> tuple[RecordedLabels, dict]:
    """The recorded labels and session meta that ``recorded:ARGUMENT`` names."""
    name, store = parse_recorded(argument)
    return load_recorded(store, name)


def register_resolver() -> None:
    """Make ``recorded:SESSION[@DIR]`` a preference teacher name (``--teacher``, suites)."""
    from hfrl.teachers.presets import TeacherEntry
    from hfrl.teachers.presets import register_resolver as register

    def resolve(argument: str) -> TeacherEntry:
        name, store = parse_recorded(argument)

        def build(
            env_id: str, seed: int, overrides: dict, oracle: object = None
        ) -> RecordedTeacher:
            labels, meta = load_recorded(store, name)
            recorded_env = meta.get("env_id")
            if recorded_env not in (None, env_id):
                raise HfrlError(
                    f"session {name!r} was recorded on {recorded_env}, not {env_id}; "
                    f"train with --env {recorded_env}"
                )
            return RecordedTeacher(labels, name, str(store))

        return TeacherEntry("preference", build, f"the comparisons recorded in session {name}")

    register("recorded", resolve)
