"""Frame times, start-up and a person's pace in both pygame apps, learning in the background.

- teach: Deep TAMER on ALE/Bowling-v5 at 30 fps (built as the app builds it: its SGD
  steps and replays in its own thread, ``worker="on"``), a rating key pressed every few
  frames;
- compare: the preference agent on CartPole-v1, PPO training on the learned reward in the
  background, the simulated oracle answering each pair after ``--think`` seconds;
- startup (issue 14): the real command in fresh processes (under Xvfb when ``Xvfb`` is
  installed, else SDL's dummy driver), with a bytecode cache as an installed package has
  one (the first run compiles it and is reported apart): seconds from the command to the
  window and to the first pair for a person (``hfrl compare --env CartPole-v1``, nobody
  pressing keys) and for the demo teacher (``--teacher oracle --answer-seconds 3``); then the
  demo run's comparisons per minute over ``--minutes`` against the ceiling its pace allows,
  frames spent on the waiting screen, and the learner's env steps per second inside the
  app against ``hfrl train preference --env CartPole-v1 --labels 50`` run right after it;
- pairs (issue 14): the share of the app's pairs the oracle teacher answers "equal"
  (can't tell) on CartPole-v1 and MountainCar-v0, random-policy pairs under the pair rule.

Prints the work time per frame (median, p99; the tick's sleep excluded), the key-press to
agent (teach) or key-press to store (compare) latency, and the gap to the goals: p99 frame
time <= 33 ms at 30 fps, a key press reaching the agent within one frame (33 ms), window
<= 1 s, first pair <= 2 s, >= 20 comparisons/min with no waiting frame, learner speed in
the app >= 0.7 of ``hfrl train``'s. Note the machine's load (printed) beside the figures.

    python experiments/benchmarks/ui_frame_times.py [--frames 300] [--only teach|compare|startup|pairs]
        [--minutes 10] [--think 0.5]
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
        steps = int(app.train_step.env_steps)  # type: ignore[union-attr]
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


# ---------------------------------------------------------------------- issue 14
def child(out: str, argv: list[str]) -> int:
    """Run ``hfrl ARGV`` in this process; write the compare run's record to ``out`` (JSON)."""
    import json

    import hfrl.human_ui.launch as launch

    from hfrl.cli import main as hfrl_main

    captured = {}
    original = launch.run_compare

    def capture(args):
        captured["result"] = original(args)
        return captured["result"]

    launch.run_compare = capture
    code = hfrl_main(argv)
    r = captured.get("result")
    if r is not None:
        record = {
            "events": r.events,
            "labels": r.labels,
            "waiting_frames": r.waiting_frames,
            "waits_s": r.waits_s,
            "random_pairs": r.random_pairs,
            "frame_ms": r.frame_ms,
            "frames_before_agent": r.frames_before_agent,
            "steps_shown": r.steps_shown,
            "learner_loaded_at_first_pair": r.learner_loaded_at_first_pair,
            "agreement": [v.agreed for v in r.verdicts],
            "answered_at": r.answered_at,
        }
        Path(out).write_text(json.dumps(record))
    return code


def load() -> str:
    """The 1-minute load average and the core count, for the record."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def xvfb_display() -> tuple[object, dict[str, str]]:
    """Start Xvfb on a free display if it is installed; (process or None, env for the app)."""
    import shutil
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY")}
    if shutil.which("Xvfb") is None:
        env["SDL_VIDEODRIVER"] = "dummy"
        return None, env
    display = ":97"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    env["DISPLAY"] = display
    return proc, env


BYTECODE_CACHE = Path(tempfile.gettempdir()) / "hfrl-ui-bench-pycache"
"""Where the child processes keep compiled bytecode (a pip install compiles it; this
machine's environment may set PYTHONDONTWRITEBYTECODE, which would make every start-up
compile hfrl's sources again)."""


def child_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    t = os.times()
    return t.children_user + t.children_system


def run_child(argv: list[str], out: Path, env: dict[str, str]) -> tuple[dict, float, float]:
    """Run ``hfrl ARGV`` in a fresh process; (its record, command start, its CPU seconds)."""
    import json
    import subprocess
    import sys

    cpu0 = child_cpu()
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(out), *argv],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(done.stderr[-3000:])
        raise SystemExit(f"the compare run failed (exit {done.returncode})")
    return json.loads(out.read_text()), t0, child_cpu() - cpu0


def startup_figures(run: dict, t0: float) -> tuple[float, float]:
    """Seconds from the command to the window and to the first pair."""
    ev = run["events"]
    return ev["window"] - t0, ev["first_pair"] - t0


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench_startup(workdir: Path, minutes: float, think: float, train_steps: int) -> None:
    import json

    import numpy as np

    cold = not BYTECODE_CACHE.exists()
    xvfb, env = xvfb_display()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    driver = "Xvfb" if xvfb is not None else "SDL dummy driver (no Xvfb)"
    base = ["compare", "--env", "CartPole-v1"]
    try:
        # 1. the first run after an install without compiled bytecode (compiles on the way)
        warm = [*base, "--teacher", "oracle", "--answer-seconds", "0.2", "--max-labels", "1"]
        warm += ["--session", "warm", "--dir", str(workdir / "warm")]
        run, t0, cpu = run_child(warm, workdir / "warm.json", env)
        w, f = startup_figures(run, t0)
        how = "compiling hfrl's bytecode on the way" if cold else "bytecode cache already there"
        print(
            f"startup ({driver}; {load()}), first run ({how}, {BYTECODE_CACHE}): command -> "
            f"window {w:.2f} s, -> first pair {f:.2f} s"
        )
        # 2. a person at the window: nobody presses a key, the run ends after 3 s
        if xvfb is not None:
            person = [*base, "--max-seconds", "3", "--session", "person"]
            person += ["--dir", str(workdir / "person")]
            run, t0, cpu = run_child(person, workdir / "person.json", env)
            w, f = startup_figures(run, t0)
            print(
                f"startup, a person (`hfrl {' '.join(base)}`, Xvfb; {load()}): command -> "
                f"window {w:.2f} s (goal <= 1 s: {verdict(w <= 1)}), -> first pair {f:.2f} s "
                f"(goal <= 2 s: {verdict(f <= 2)}); first pair before torch/SB3: "
                f"{not run['learner_loaded_at_first_pair']}; process CPU {cpu:.1f} s"
            )
        # 3. the learner alone (`hfrl train`), before and after the app, on the same machine
        print(
            f"baseline: `hfrl train preference --env CartPole-v1 --teacher oracle --labels 50 "
            f"--steps {train_steps}`, before and after the app ({load()})"
        )
        train_baseline = run_train_baseline(workdir / "train-before", train_steps, env)
        # 4. the demo teacher at a person's pace for `minutes`
        argv = [*base, "--teacher", "oracle", "--answer-seconds", f"{think:g}"]
        argv += ["--max-seconds", f"{60 * minutes:g}", "--session", "bench"]
        argv += ["--dir", str(workdir / "app")]
        print(f"startup, demo: `hfrl {' '.join(argv[:-4])}` ({driver}; {load()})")
        run, t0, cpu = run_child(argv, workdir / "compare_run.json", env)
    finally:
        if xvfb is not None:
            xvfb.terminate()  # type: ignore[attr-defined]
    ev = {k: v - t0 for k, v in run["events"].items()}
    window, first = ev["window"], ev["first_pair"]
    print(
        f"  command -> window {window:.2f} s (goal <= 1 s: {verdict(window <= 1)}), -> first "
        f"pair {first:.2f} s (goal <= 2 s: {verdict(first <= 2)}); learner stack imported "
        f"{ev['learner_imported']:.1f} s, agent learning {ev['agent_ready']:.1f} s (first "
        f"pair shown before torch/SB3: {not run['learner_loaded_at_first_pair']}); process "
        f"CPU {cpu:.0f} s in {ev['closing']:.0f} s"
    )
    answered = np.asarray(run["answered_at"])
    gaps = np.diff(answered) if len(answered) > 1 else np.full(1, np.nan)
    per_min = 60 / float(np.mean(gaps))  # between the first and the last answer
    ceiling = 60 / think if think > 0 else float("inf")
    extra = float(np.mean(gaps)) - think
    period = (ev["closing"] - window) / max(1, len(run["frame_ms"]))
    waits = run["waits_s"]
    stall_free = run["waiting_frames"] == 0
    print(
        f"  pace: {len(answered)} answers, one every {np.mean(gaps):.3f} s (longest gap "
        f"{np.max(gaps):.2f} s) = {per_min:.2f} comparisons/min; a {think:g} s answer allows at "
        f"most {ceiling:.2f}/min; each answer came {1000 * extra:.0f} ms after its {think:g} s "
        f"(the demo's key is read at the next frame; the loop ran a frame every "
        f"{1000 * period:.0f} ms); frames on the waiting screen after the first pair: "
        f"{run['waiting_frames']} (waits {len(waits)}, longest {max(waits, default=0):.2f} s)"
    )
    print(
        f"  goal >= 20/min with no empty queue: {verdict(per_min >= 20 and stall_free)}"
        f"{' (a 3 s answer caps it at 20.0/min)' if per_min < 20 and think >= 3 else ''}; no "
        f"stall (no waiting frame, each answer within one frame of its pace): "
        f"{verdict(stall_free and extra <= period)}"
    )
    for what, f in (
        ("whole run", np.asarray(run["frame_ms"][5:])),
        ("once the learner runs", np.asarray(run["frame_ms"][run["frames_before_agent"] :])),
    ):
        if len(f) == 0:
            continue
        p99 = float(np.percentile(f, 99))
        print(
            f"  frame work time, {what}: {len(f)} frames, median {np.median(f):.1f} ms, p99 "
            f"{p99:.1f} ms (goal p99 <= {GOAL_MS:.1f} ms: {verdict(p99 <= GOAL_MS)})"
        )
    print(f"  random-policy pairs made by the app: {run['random_pairs']}")
    agreed = run["agreement"]
    if agreed:
        last = agreed[-20:]
        print(
            f"  reward model agreed before the answer: {sum(last)}/{len(last)} of the last answers"
        )
    saved = json.loads((workdir / "app" / "bench" / "agent" / "preference_agent.json").read_text())
    steps = int(saved["env_steps"])
    learn_s = ev["closing"] - ev["agent_ready"]
    app_rate = steps / max(learn_s, 1e-9)
    print(
        f"  learner in the app: {steps} env steps in {learn_s:.0f} s = {app_rate:.0f} steps/s "
        f"(panel showed {run['steps_shown']}; learner renders frames: "
        f"{saved['config'].get('keep_frames')})"
    )
    before = train_baseline  # measured before the app ran (see above) and after it
    after = run_train_baseline(workdir / "train-after", train_steps, env)
    rates = [before[0], after[0]]
    train_rate = sum(rates) / 2
    ratio = app_rate / train_rate
    per_cpu = (steps / cpu) / ((before[2] + after[2]) / (before[1] + after[1]))
    print(
        f"  hfrl train before / after the app: {rates[0]:.0f} / {rates[1]:.0f} env steps/s "
        f"(greedy return {before[3]:.0f} / {after[3]:.0f}); app / train = {ratio:.2f} (goal >= "
        f"0.7: {verdict(ratio >= 0.7)}); per CPU second (the app's whole process, window "
        f"included) app / train = {per_cpu:.2f} ({load()})"
    )


def run_train_baseline(
    out: Path, train_steps: int, env: dict[str, str]
) -> tuple[float, float, int, float]:
    """``hfrl train preference --env CartPole-v1 --labels 50``: (env steps/s, CPU seconds,
    env steps, greedy return)."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "hfrl", "train", "preference", "--env", "CartPole-v1"]
    cmd += ["--teacher", "oracle", "--labels", "50", "--steps", str(train_steps)]
    cmd += ["--out", str(out), "--no-progress"]
    cpu0 = child_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(done.stderr[-3000:])
        raise SystemExit("hfrl train failed")
    summary = json.loads((out / "summary.json").read_text())
    steps = int(summary["env_steps"])
    rate = steps / summary["train_seconds"]
    return rate, child_cpu() - cpu0, steps, float(summary["eval_return_mean"])


def bench_pairs(pairs: int) -> None:
    from hfrl.envs.make import make
    from hfrl.human_ui.clips import RandomClips, RandomPairs, ScreenedQueries, clip_length

    from hfrl.teachers import make_teacher
    from hfrl.types import EQUAL

    for env_id in ("CartPole-v1", "MountainCar-v0"):
        queries = ScreenedQueries(max_pending=pairs + 1)
        clips = RandomClips(
            make(env_id, seed=0, render_mode="rgb_array"), env_id, clip_length(env_id), 0
        )
        maker = RandomPairs(clips, queries)
        for _ in range(pairs):
            maker.make_pair()
        teacher = make_teacher("oracle", env_id, 0)
        labels = [teacher.compare(q.left, q.right).label for q in iter(queries.next_query, None)]
        equal = sum(lab == EQUAL for lab in labels)
        skipped = sum(lab is None for lab in labels)
        turned = ", ".join(f"{n} {why}" for why, n in queries.turned_away.items()) or "none"
        print(
            f"pairs ({env_id}, random policy, clips of {clip_length(env_id)} steps): {len(labels)} "
            f"pairs shown; oracle says equal (can't tell) on {equal} = {100 * equal / len(labels):.0f}%"
            f", skips {skipped}; turned away by the pair rule: {turned}"
        )


def main() -> None:
    import sys

    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        raise SystemExit(child(sys.argv[2], sys.argv[3:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--only", choices=("teach", "compare", "startup", "pairs"))
    parser.add_argument("--think", type=float, default=0.5, help="demo teacher's answer time")
    parser.add_argument("--minutes", type=float, default=10.0, help="startup: session length")
    parser.add_argument("--pace", type=float, default=3.0, help="startup: seconds per answer")
    parser.add_argument("--train-steps", type=int, default=30_000, help="startup: hfrl train run")
    parser.add_argument("--pairs", type=int, default=100, help="pairs: pairs per env")
    args = parser.parse_args()
    print(f"CPU cores visible: {os.cpu_count()}; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "startup"):  # first: a fresh process, nothing imported yet
            bench_startup(Path(tmp), args.minutes, args.pace, args.train_steps)
        if args.only in (None, "pairs"):
            bench_pairs(args.pairs)
        if args.only in (None, "teach", "compare"):
            import torch
            from hfrl.human_ui.launch import go_headless

            torch.set_num_threads(1)
            go_headless()
        if args.only in (None, "teach"):
            bench_teach(args.frames, Path(tmp))
        if args.only in (None, "compare"):
            bench_compare(args.frames, Path(tmp), args.think)


if __name__ == "__main__":
    main()
