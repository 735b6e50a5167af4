"""Single-event POSTs from eight writers (eight Python clients, then wrk's eight
connections), this code against another checkout of Riftcast, alternately on each database
and worker count: `python -m benchmarks.write_against DIR [ROUNDS [DATABASE...]]` (both
databases unless named).

Issue 16's target is a ratio to an older version, and this 2-core VM's speed drifts by a
third over minutes: two whole `benchmarks write` runs taken minutes apart compare the
drift as much as the code. Here each (database, workers) cell runs the two servers one
after the other, ROUNDS times, in alternating order, so every pair of figures is taken
within a minute, and prints each pair's ratio and their median, for each kind of writer:
the Python clients' own CPU competes with the server's on this machine, wrk's next to
nothing. The other checkout is run with this one's benchmark and virtualenv (only its own
`signals`, `models` and `service` are imported: PYTHONPATH points at DIR).
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from benchmarks.bench_write import settle, single_posts, wrk_posts
from benchmarks.common import database, serve, table

HERE = str(Path(__file__).resolve().parents[1])


def _rates(tree: str, kind: str, workers: int) -> tuple[float, float]:
    """Events/s of the Python writers, then of wrk's, on one fresh server of `tree`."""
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = tree  # the CLI and the server import this checkout's code
    try:
        with database(kind) as (env, _), serve(env, workers) as server:
            settle(server)
            python = float(single_posts(server)[1])  # type: ignore[arg-type]
            return python, float(wrk_posts(server)[1])  # type: ignore[arg-type]
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def run(other: str, rounds: int = 3, kinds: tuple[str, ...] = ("sqlite", "postgres")) -> str:
    rows = []
    for kind in kinds:
        for workers in (1, 2):
            ratios: tuple[list[float], list[float]] = ([], [])
            pairs: tuple[list[str], list[str]] = ([], [])
            for r in range(rounds):
                order = (HERE, other) if r % 2 == 0 else (other, HERE)
                rates = {tree: _rates(tree, kind, workers) for tree in order}
                for i in (0, 1):
                    ratios[i].append(rates[HERE][i] / rates[other][i])
                    pairs[i].append(f"{rates[other][i]:.0f} → {rates[HERE][i]:.0f}")
            rows.append(
                [
                    f"{kind}, {workers} worker(s)",
                    ", ".join(pairs[0]),
                    statistics.median(ratios[0]),
                    ", ".join(pairs[1]),
                    statistics.median(ratios[1]),
                ]
            )
    return table(
        f"Single-event POSTs, 8 writers: {other} → {HERE} (events/s)",
        ["database, workers", "Python writers", "median ratio", "wrk", "median ratio"],
        rows,
    )


if __name__ == "__main__":
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(run(sys.argv[1], rounds, tuple(sys.argv[3:]) or ("sqlite", "postgres")))
