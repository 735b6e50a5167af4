"""Read load: a cached forecast GET against a bare constant-JSON endpoint, same server.

wrk (Debian's package) drives both, alternately, in one run; the ratio of requests/s is
the budget (at least 0.7). Measured for 1 and 2 workers, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from benchmarks.common import DEMO_PAIR, Server, database, serve, table

DURATION = "8s"
CONNECTIONS = 32
THREADS = 2


def wrk(url: str, headers: dict[str, str]) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of one wrk run."""
    cmd = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", DURATION, "--latency", url]
    for name, value in headers.items():
        cmd[1:1] = ["-H", f"{name}: {value}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx and int(non2xx.group(1)) > 0:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} errors on {url}:\n{out}")

    def pct(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return rps, pct("50"), pct("99")


def measure(server: Server) -> list[list[object]]:
    auth = {"Authorization": f"Bearer {server.keys['reader']}"}
    with server.client("reader") as c:
        etag = c.get(f"/v1/forecasts/{DEMO_PAIR}").headers.get("etag", "")
    targets = [
        ("bare /healthz", f"{server.url}/healthz", {}),
        ("GET /v1/forecasts/{pair}", f"{server.url}/v1/forecasts/{DEMO_PAIR}", auth),
        (
            "… with If-None-Match (304)",
            f"{server.url}/v1/forecasts/{DEMO_PAIR}",
            {**auth, "If-None-Match": etag},
        ),
        ("GET /v1/forecasts", f"{server.url}/v1/forecasts", auth),
    ]
    wrk(targets[0][1], {})  # warm-up
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in targets}
    for _ in range(2):  # alternate, so drift hits every endpoint alike
        for name, url, headers in targets:
            results[name].append(wrk(url, headers))
    bare = sum(r[0] for r in results["bare /healthz"]) / 2
    rows = []
    for name, runs in results.items():
        rps = sum(r[0] for r in runs) / len(runs)
        rows.append([name, rps, max(r[1] for r in runs), max(r[2] for r in runs), rps / bare])
    return rows


def run() -> str:
    if shutil.which("wrk") is None:
        return "\n(wrk not installed: `apt-get install wrk` to measure read load)\n"
    out = []
    for kind in ("sqlite", "postgres"):
        for workers in (1, 2):
            with database(kind) as (env, _), serve(env, workers) as server:
                rows = measure(server)
            out.append(
                table(
                    f"Read load — {kind}, {workers} worker(s), wrk {THREADS} threads × "
                    f"{CONNECTIONS} connections × {DURATION}",
                    ["endpoint", "req/s", "p50 ms", "p99 ms", "ratio to bare"],
                    rows,
                )
            )
    return "\n".join(out)


if __name__ == "__main__":
    print(run())
