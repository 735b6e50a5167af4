"""Write load: events accepted per second (single and batched), and how long an accepted
event takes to show in its pair's forecast for a client that polls it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from benchmarks.common import DEMO_PAIR, Server, database, percentile, serve, table

CLIENTS = 8
POSTS_PER_CLIENT = 40
BATCH = 50
VISIBILITY_SAMPLES = 60


def _event(i: int) -> dict[str, object]:
    return {
        "faction_a": "haqqani-network",
        "faction_b": "kandahar-leadership",
        "type": "public_criticism" if i % 2 else "policy_dispute",
        "occurred_on": "2025-02-01",
        "actor": f"bench {i}",
        "summary": "benchmark event",
        "source": "benchmark",
        "reliability": "C",
        "credibility": 3,
        "intensity": 0.05,
    }


def single_posts(server: Server) -> list[object]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        with server.client("analyst") as c:
            for i in range(POSTS_PER_CLIENT):
                t0 = time.perf_counter()
                r = c.post("/v1/events", json=_event(n * 1000 + i))
                dt = time.perf_counter() - t0
                r.raise_for_status()
                with lock:
                    latencies.append(dt * 1000)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    elapsed = time.perf_counter() - t0
    n = CLIENTS * POSTS_PER_CLIENT
    return [
        "POST /v1/events (1 event)",
        n / elapsed,
        percentile(latencies, 50),
        percentile(latencies, 99),
    ]


def batched_posts(server: Server) -> list[object]:
    latencies: list[float] = []
    with server.client("analyst") as c:
        t0 = time.perf_counter()
        for b in range(10):
            s = time.perf_counter()
            r = c.post("/v1/events", json=[_event(b * BATCH + i) for i in range(BATCH)])
            r.raise_for_status()
            latencies.append((time.perf_counter() - s) * 1000)
        elapsed = time.perf_counter() - t0
    return [
        f"POST /v1/events (batch of {BATCH})",
        10 * BATCH / elapsed,
        percentile(latencies, 50),
        percentile(latencies, 99),
    ]


def visibility(server: Server) -> list[object]:
    """Post an event, then poll the forecast until its ETag changes."""
    delays: list[float] = []
    with server.client("analyst") as writer, server.client("reader") as reader:
        for i in range(VISIBILITY_SAMPLES):
            before = reader.get(f"/v1/forecasts/{DEMO_PAIR}").headers["etag"]
            t0 = time.perf_counter()
            writer.post("/v1/events", json=_event(10**6 + i)).raise_for_status()
            while True:
                r = reader.get(f"/v1/forecasts/{DEMO_PAIR}", headers={"If-None-Match": before})
                if r.status_code == 200:
                    break
                if time.perf_counter() - t0 > 5:
                    raise RuntimeError("forecast did not change within 5 s")
            delays.append((time.perf_counter() - t0) * 1000)
    return [
        "event accepted → forecast changed (poller)",
        len(delays),
        percentile(delays, 50),
        percentile(delays, 99),
    ]


def run() -> str:
    out = []
    for kind in ("sqlite", "postgres"):
        for workers in (1, 2):
            with database(kind) as (env, _), serve(env, workers) as server:
                rows = [single_posts(server), batched_posts(server), visibility(server)]
            out.append(
                table(
                    f"Write path — {kind}, {workers} worker(s), {CLIENTS} concurrent writers",
                    ["measure", "events/s (or n)", "p50 ms", "p99 ms"],
                    rows,
                )
            )
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
