"""Issue 12, item 1: how heavy Riftcast's processes are — the CLI's start, and a serving
worker's start, memory and idle CPU — against the budgets the issue sets. Wall times vary
with the machine's load; the import set a worker may load is held by a test
(`tests/service/test_lean.py`), the rest is measured here."""

from __future__ import annotations

import os
import statistics
import subprocess
import time

import httpx

from benchmarks.common import BIN, database, free_port, table

IDLE_SECONDS = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


def _wall(args: list[str], env: dict[str, str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "riftcast"), *args], env=env, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        line = next(x for x in f if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _worker(env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds to answer /healthz, resident MB after a forecast, idle share of a core)."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "riftcast"), "serve", "--port", str(port)],  # one worker: this process
        env={**env, "RIFTCAST_RUN_WORKER": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - t0 > 120:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        start = time.perf_counter() - t0
        time.sleep(2.0)  # let start-up work finish
        cpu0, t1 = _cpu_seconds(proc.pid), time.perf_counter()
        time.sleep(IDLE_SECONDS)
        idle = (_cpu_seconds(proc.pid) - cpu0) / (time.perf_counter() - t1)
        return start, _rss_mb(proc.pid), idle
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def run() -> str:
    with database("sqlite") as (env, _):
        help_s = _wall(["--help"], env)
        usage_s = _wall(["forecast"], env)  # a usage error: the pair is missing
        start, rss, idle = _worker(env)
    rows: list[list[object]] = [
        ["`riftcast --help`", f"{help_s:.2f} s", "< 0.5 s"],
        ["`riftcast forecast` (usage error)", f"{usage_s:.2f} s", "< 0.5 s"],
        ["serving worker: start to first /healthz", f"{start:.2f} s", "< 1.5 s"],
        ["serving worker: resident memory", f"{rss:.0f} MB", "< 250 MB"],
        [f"idle server: CPU over {IDLE_SECONDS:.0f} s", f"{100 * idle:.1f}% of a core", "< 1%"],
    ]
    for row in rows:
        row.append(_verdict(row[1], row[2]))
    return table(
        "Processes (median of 5 CLI runs; one worker)", ["measure", "figure", "budget", ""], rows
    )


def _verdict(figure: object, budget: object) -> str:
    value = float(str(figure).split()[0].rstrip("%"))
    limit = float(str(budget).split()[1].rstrip("%"))
    return "met" if value < limit else "MISSED"


if __name__ == "__main__":
    print(run())
