"""Write load: events accepted per second (single and batched), and how long an accepted
event takes to show in its pair's forecast for a client that polls it.

Single-event POSTs are driven twice: by eight Python clients (as an analyst's tool would
post; on this 2-core machine their own CPU competes with the server's) and by wrk with
eight connections (C: the server's capacity with next to nothing else running). Each
server is measured once its start-up work (the warm forecast cache) is done. The Python
writers post 1,200 events in all: with 320, the rate of one run on the same server spread
from 330 to 570 a second, the clients' own start weighing on it. A forecast costs more
the more events its pair holds, so the visibility figure is taken first, on the demo
pair loaded to ~1,000 events (`PAIR_EVENTS`), whatever the other measures post.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import DEMO_PAIR, Server, database, percentile, serve, table, wrk_figures

CLIENTS = 8
POSTS_PER_CLIENT = 150
WRK_DURATION = "5s"
# A server is settled when its processes use less than this share of a core...
SETTLED_CPU = 0.1
# ...over this many seconds; it is given at most SETTLE_LIMIT_S to get there.
SETTLE_WINDOW_S = 0.5
SETTLE_LIMIT_S = 30.0
BATCH = 50
VISIBILITY_SAMPLES = 200  # p99 of 60 samples would be their worst one
PAIR_EVENTS = 1_000  # posted to the demo pair before the visibility figure is taken


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


def wrk_posts(server: Server) -> list[object]:
    """Single-event POSTs from wrk's eight connections (each a new event: the API keeps
    every report, duplicates included)."""
    script = (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {server.keys["analyst"]}"\n'
        f"wrk.body = {json.dumps(json.dumps(_event(7 * 10**6)))}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        cmd = ["wrk", "-t", "2", "-c", str(CLIENTS), "-d", WRK_DURATION, "--latency", "-s"]
        out = subprocess.run(
            [*cmd, f.name, f"{server.url}/v1/events"], capture_output=True, text=True, check=True
        ).stdout
    finally:
        os.unlink(f.name)
    rate, p50, p99 = wrk_figures(out, "POST /v1/events")
    return ["POST /v1/events (1 event), wrk", rate, p50, p99]


def _cpu_seconds(root: int) -> float:
    """CPU time used so far by process `root` and its children (the server's workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if root in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def settle(server: Server) -> None:
    """Wait until the server has finished its start-up work (it builds every pair's
    forecast in the background): measured from the first request otherwise, the writes
    would share the CPU with it, and the figures would depend on how long that took."""
    deadline = time.monotonic() + SETTLE_LIMIT_S
    before = _cpu_seconds(server.proc.pid)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_WINDOW_S)
        after = _cpu_seconds(server.proc.pid)
        if after - before < SETTLED_CPU * SETTLE_WINDOW_S:
            return
        before = after


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
    """Post an event, then poll the forecast until its ETag changes (on the demo pair,
    first loaded with PAIR_EVENTS events)."""
    delays: list[float] = []
    with server.client("analyst") as writer, server.client("reader") as reader:
        for b in range(PAIR_EVENTS // BATCH):
            load = [_event(2 * 10**6 + b * BATCH + i) for i in range(BATCH)]
            writer.post("/v1/events", json=load).raise_for_status()
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
                settle(server)
                seen = visibility(server)
                rows = [single_posts(server), wrk_posts(server), batched_posts(server), seen]
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
