"""Read load: a cached forecast GET against a bare constant-JSON endpoint, same server.

wrk (Debian's package) drives both, alternately, in one run; the ratio of requests/s is
the budget. Measured for 1 and 2 workers, on SQLite and PostgreSQL, on the demo database
and on the demo plus 1,000 more pairs; the listing is measured a second time while an
analyst posts an event every 100 ms (each write has the listing rebuilt once, and pollers
are served the previous one meanwhile), against /healthz under the same writes.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import threading
from pathlib import Path

import httpx

from benchmarks.common import DEMO_PAIR, Server, database, riftcast, serve, table, wrk_figures

DURATION = "8s"
CONNECTIONS = 32
THREADS = 2
EXTRA_PAIRS = 1000
WRITE_EVERY_S = 0.1
GZIP = {"Accept-Encoding": "gzip"}


Figures = tuple[float, float, float]  # requests/s, p50 ms, p99 ms


def wrk(url: str, headers: dict[str, str]) -> Figures:
    """(requests/s, p50 ms, p99 ms) of one wrk run."""
    cmd = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", DURATION, "--latency", url]
    for name, value in headers.items():
        cmd[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return wrk_figures(out, url)


def add_pairs(env: dict[str, str], data: Path, n: int) -> None:
    """`n` more pairs (two new factions and one event each), through the CLI's import."""
    from signals.io import COLUMNS  # the import format's own columns

    factions, events = data / "bench-factions.csv", data / "bench-events.csv"
    with factions.open("w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS["factions"])
        w.writeheader()
        w.writerows(
            {"id": f"bench-{i:05d}", "name": f"Bench faction {i}", "movement": f"Bench {i // 20}"}
            for i in range(2 * n)
        )
    with events.open("w", newline="") as f:
        w = csv.DictWriter(f, COLUMNS["events"])
        w.writeheader()
        w.writerows(
            {
                "faction_a": f"bench-{2 * i:05d}",
                "faction_b": f"bench-{2 * i + 1:05d}",
                "type": "policy_dispute",
                "occurred_on": "2025-01-15",
                "actor": "bench",
                "summary": "benchmark event",
                "source": "benchmark",
                "reliability": "C",
                "credibility": 3,
                "intensity": 0.5,
            }
            for i in range(n)
        )
    riftcast(env, "import", "factions", str(factions))
    riftcast(env, "import", "events", str(events))


class Writer(threading.Thread):
    """An analyst posting one event every WRITE_EVERY_S to the demo pair, until stopped."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server, self.stop, self.posted = server, threading.Event(), 0

    def run(self) -> None:
        with self.server.client("analyst") as c:
            while not self.stop.wait(WRITE_EVERY_S):
                r = c.post(
                    "/v1/events",
                    json={
                        "faction_a": "haqqani-network",
                        "faction_b": "kandahar-leadership",
                        "type": "public_criticism",
                        "occurred_on": "2025-02-01",
                        "actor": f"bench writer {self.posted}",
                        "summary": "benchmark event",
                        "source": "benchmark",
                        "reliability": "C",
                        "credibility": 3,
                        "intensity": 0.05,
                    },
                )
                r.raise_for_status()
                self.posted += 1


def measure(server: Server) -> list[list[object]]:
    auth = {"Authorization": f"Bearer {server.keys['reader']}"}
    with server.client("reader") as c:
        etag = c.get(f"/v1/forecasts/{DEMO_PAIR}").headers.get("etag", "")
    for _ in range(4 * 2):  # every worker's listing built (a cold one is not the subject)
        with httpx.Client(base_url=server.url, headers=auth, timeout=600) as c:
            c.get("/v1/forecasts").raise_for_status()
    healthz: tuple[str, str, dict[str, str]] = ("bare /healthz", f"{server.url}/healthz", {})
    listing = ("GET /v1/forecasts", f"{server.url}/v1/forecasts", auth)
    gzipped = ("… gzip, as browsers ask", listing[1], {**auth, **GZIP})
    targets = [
        healthz,
        ("GET /v1/forecasts/{pair}", f"{server.url}/v1/forecasts/{DEMO_PAIR}", auth),
        (
            "… with If-None-Match (304)",
            f"{server.url}/v1/forecasts/{DEMO_PAIR}",
            {**auth, "If-None-Match": etag},
        ),
        listing,
        gzipped,
    ]
    wrk(healthz[1], {})  # warm-up
    results: dict[str, list[Figures]] = {name: [] for name, _, _ in targets}
    for _ in range(2):  # alternate, so drift hits every endpoint alike
        for name, url, headers in targets:
            results[name].append(wrk(url, headers))
    # While an analyst posts, the machine is busier for every endpoint: the listing's
    # ratios are then taken to /healthz measured under the same writes, alternately.
    writing: dict[str, list[Figures]] = {gzipped[0]: [], healthz[0]: []}
    writer = Writer(server)
    writer.start()
    try:
        for _ in range(2):
            for name, url, headers in (gzipped, healthz):
                writing[name].append(wrk(url, headers))
    finally:
        writer.stop.set()
        writer.join()
    posting = f"an event posted every {WRITE_EVERY_S * 1000:.0f} ms ({writer.posted} posted)"
    return [
        *_rows(results, results[healthz[0]]),
        *_rows({f"{name}, {posting}": runs for name, runs in writing.items()}, writing[healthz[0]]),
    ]


def _rows(results: dict[str, list[Figures]], bare: list[Figures]) -> list[list[object]]:
    """A table row per endpoint: mean req/s, worst p50 and p99, and their ratios to `bare`
    (the /healthz runs of the same conditions)."""
    bare_rps = sum(r[0] for r in bare) / len(bare)
    bare_p99 = max(r[2] for r in bare)
    rows: list[list[object]] = []
    for name, runs in results.items():
        rps = sum(r[0] for r in runs) / len(runs)
        p99 = max(r[2] for r in runs)
        rows.append([name, rps, max(r[1] for r in runs), p99, rps / bare_rps, p99 / bare_p99])
    return rows


def run() -> str:
    if shutil.which("wrk") is None:
        return "\n(wrk not installed: `apt-get install wrk` to measure read load)\n"
    out = []
    for kind in ("sqlite", "postgres"):
        for extra in (0, EXTRA_PAIRS):
            for workers in (1, 2):
                with database(kind) as (env, data):
                    if extra:
                        add_pairs(env, data, extra)
                    with serve(env, workers) as server:
                        rows = measure(server)
                out.append(
                    table(
                        f"Read load — {kind}, demo{f' + {extra} pairs' if extra else ''}, "
                        f"{workers} worker(s), wrk {THREADS} threads × {CONNECTIONS} "
                        f"connections × {DURATION}",
                        ["endpoint", "req/s", "p50 ms", "p99 ms", "rps ratio", "p99 ratio"],
                        rows,
                    )
                )
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
