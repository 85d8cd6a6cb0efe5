"""Suite files: resolution of settings, and bad files rejected before anything runs, naming the line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hfrl.bench.suite import SuiteError, load_suite, suite_names
from hfrl.bench.toml_lines import KeyLines

GOOD = """\
[suite]
name = "t"
seeds = [0, 1]
agents = ["tamer"]
envs = ["CartPole-v1", "MountainCar-v0"]
teachers = ["perfect"]

[defaults]
episodes = 4
eval_every = 2
set = { step_size = 0.002 }

[envs."MountainCar-v0"]
steps = 300
max_episode_steps = 150

[agents.tamer]
teachers = ["perfect", "human"]

[agents.tamer.per_env."MountainCar-v0"]
episodes = 2
set = { rbf_width = 0.1 }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.toml"
    path.write_text(text)
    return path


def rejected(tmp_path: Path, text: str, deep: bool = True) -> tuple[int, str]:
    """Load a bad suite; return the line number its error names and the message."""
    path = write(tmp_path, text)
    with pytest.raises(SuiteError) as info:
        load_suite(path, deep=deep)
    msg = str(info.value)
    m = re.match(rf"{re.escape(str(path))}:(\d+): ", msg)
    assert m, f"error does not start with FILE:LINE: {msg}"
    return int(m.group(1)), msg


def test_good_suite_resolves_settings_from_general_to_specific(tmp_path):
    suite = load_suite(write(tmp_path, GOOD))
    assert len(suite.cells) == 2 * 2 * 2  # envs x teachers x seeds
    cart = next(c for c in suite.cells if c.env == "CartPole-v1")
    car = next(c for c in suite.cells if c.env == "MountainCar-v0")
    assert cart.settings == {"episodes": 4, "eval_every": 2, "set": {"step_size": 0.002}}
    # per_env episodes replaces the env-level steps; set tables merge
    assert car.settings == {
        "episodes": 2,
        "eval_every": 2,
        "max_episode_steps": 150,
        "set": {"step_size": 0.002, "rbf_width": 0.1},
    }
    args = car.train_args("OUT")
    assert args[:2] == ["train", "tamer"] and "--steps" not in args
    assert args[args.index("--episodes") + 1] == "2"
    assert "rbf_width=0.1" in args and "--no-progress" in args
    assert len({c.cell_id for c in suite.cells}) == len(suite.cells)


def test_builtin_suites_are_listed():
    assert {"quick", "classic", "teachers", "atari"} <= set(suite_names())
    assert len(load_suite("quick").cells) > 0


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ('agents = ["tamer"]', 'agents = ["tamr"]', 4, ["unknown agent 'tamr'", "tamer"]),
        (
            '"CartPole-v1", "MountainCar-v0"]',
            '"CartPole-v1", "MountainCar-v9"]',
            5,
            ["MountainCar-v0"],
        ),
        (
            'teachers = ["perfect", "human"]',
            'teachers = ["perfect", "humn"]',
            18,
            ["unknown teacher 'humn'", "human"],
        ),
        ("seeds = [0, 1]\n", "", 1, ["missing key 'seeds'"]),
        ("eval_every = 2", "eval_evry = 2", 10, ["unknown key 'eval_evry'", "eval_every"]),
        ("eval_every = 2", 'eval_every = "2"', 10, ["must be a int"]),
        ("episodes = 2\n", "episodes = 0\n", 21, ["at least 1"]),
        ("{ rbf_width = 0.1 }", "{ rbf_widht = 0.1 }", 22, ["no option 'rbf_widht'", "rbf_width"]),
        (
            'teachers = ["perfect", "human"]',
            'teachers = ["perfect", "oracle"]',
            18,
            ["preference feedback"],
        ),
        ("[agents.tamer.per_env", "[agents.tamer.per_envs", 20, ["unknown key 'per_envs'"]),
        (
            "max_episode_steps = 150",
            "max_episode_steps = 150\nepisodes = 3",
            16,
            ["both episodes and steps"],
        ),
    ],
)
def test_bad_suite_names_the_line(tmp_path, old, new, line, words):
    assert old in GOOD
    got_line, msg = rejected(tmp_path, GOOD.replace(old, new, 1))
    assert got_line == line, msg
    for w in words:
        assert w in msg, msg


def test_incompatible_agent_and_env_is_rejected(tmp_path):
    """TAMER needs discrete actions: Pendulum-v1 is continuous."""
    text = GOOD.replace(
        'envs = ["CartPole-v1", "MountainCar-v0"]',
        'envs = ["CartPole-v1", "MountainCar-v0",\n  "Pendulum-v1"]',
    )
    line, msg = rejected(tmp_path, text)
    assert "Pendulum-v1" in msg and "discrete" in msg
    assert line in (4, 5, 6)  # the agents line or the envs array


def test_element_of_a_multiline_array_is_located(tmp_path):
    text = GOOD.replace('agents = ["tamer"]', 'agents = [\n  "tamer",\n  "coachh",\n]')
    line, msg = rejected(tmp_path, text)
    assert line == 6 and "coachh" in msg


def test_syntax_error_and_missing_budget(tmp_path):
    line, msg = rejected(tmp_path, GOOD.replace("episodes = 4", "episodes = = 4"))
    assert line == 9 and "not valid TOML" in msg
    no_budget = (
        GOOD.replace("episodes = 4\n", "")
        .replace("steps = 300\n", "")
        .replace("episodes = 2\n", "")
    )
    line, msg = rejected(tmp_path, no_budget, deep=False)
    assert "no budget" in msg and line == 15  # [agents.tamer] after two lines were removed


def test_unknown_builtin_suite_has_close_matches():
    from hfrl.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="quick"):
        load_suite("quik")


def test_key_lines_follow_tables_quotes_and_inline_tables():
    text = '[a]\nx = 1\ny = """\nz = 2\n"""\n[a."b.c"]\nw = { p = 1, q = { r = 2 } }\narr = [\n  1,\n]\nlast = 3\n'
    k = KeyLines(text)
    assert k.line_of(("a", "x")) == 2
    assert k.line_of(("a", "z")) == 1  # inside a multi-line string: falls back to the table
    assert k.line_of(("a", "b.c", "w", "q", "r")) == 7
    assert k.line_of(("a", "b.c", "last")) == 11
    assert k.line_of(("nothing",)) is None
