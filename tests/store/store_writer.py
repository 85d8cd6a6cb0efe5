"""A writer process for the SIGKILL test: streams feedback and reports each commit.

Usage: ``python store_writer.py PATH SYNCHRONOUS``. After every committed feedback it prints
the number committed so far (one line, flushed), so the parent knows what must survive.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from hfrl.store import FeedbackStore
from hfrl.types import Preference, Scalar, Segment


def main() -> None:
    path, synchronous = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(0)
    with FeedbackStore(path, synchronous=synchronous) as store:  # type: ignore[arg-type]
        session = store.open_session("stream", {"writer": "sigkill-test"})
        n = 0
        while True:
            session.add(Scalar(float(n), time.monotonic(), n, 0), credit={n: 1.0})
            n += 1
            if n % 10 == 0:
                segs = [
                    Segment(
                        obs=rng.normal(size=(8, 4)).astype(np.float32),
                        actions=rng.integers(0, 2, size=8),
                        true_rewards=np.full(8, float(n)),
                        env_id="CartPole-v1",
                        frames=rng.integers(0, 256, size=(8, 16, 16, 3), dtype=np.uint8),
                    )
                    for _ in range(2)
                ]
                session.add(Preference(segs[0], segs[1], None if n % 30 == 0 else 1.0, float(n)))
            print(n, flush=True)
            time.sleep(0.001)


if __name__ == "__main__":
    main()
