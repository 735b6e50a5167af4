"""Shared plumbing: a real `riftcast serve` subprocess over a fresh database, and a table."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("RIFTCAST_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
DEMO_PAIR = "haqqani-network--kandahar-leadership"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def riftcast(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "riftcast"), *args], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout + out.stderr


def make_key(env: dict[str, str], role: str, name: str) -> str:
    text = riftcast(env, "keys", "create", "--role", role, "--name", name)
    match = re.search(r"\b(rk_[A-Za-z0-9_\-]+)", text) or re.search(r"([A-Za-z0-9_\-]{32,})", text)
    if not match:
        raise RuntimeError(f"no key in: {text}")
    return match.group(1)


@dataclass
class Server:
    url: str
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    keys: dict[str, str] = field(default_factory=dict)

    def client(self, role: str = "admin") -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=30
        )


@contextmanager
def database(kind: str) -> Iterator[tuple[dict[str, str], Path]]:
    """Env for a fresh, migrated, demo-loaded database of `kind` (sqlite | postgres)."""
    data = Path(tempfile.mkdtemp(prefix="riftcast-bench-"))
    env = {**os.environ, "RIFTCAST_DATA_DIR": str(data), "RIFTCAST_RATE_LIMIT_PER_MINUTE": "0"}
    env.pop("RIFTCAST_DATABASE_URL", None)
    name = f"riftcast_bench_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
    if kind == "postgres":
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        env["RIFTCAST_DATABASE_URL"] = f"{base}/{name}"
    try:
        riftcast(env, "db", "upgrade")
        riftcast(env, "demo")
        yield env, data
    finally:
        shutil.rmtree(data, ignore_errors=True)
        if kind == "postgres":
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def serve(env: dict[str, str], workers: int = 1) -> Iterator[Server]:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "riftcast"), "serve", "--port", str(port), "--workers", str(workers)],
        env={**env, "RIFTCAST_RUN_WORKER": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    server = Server(url, env, proc)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        for role in ("reader", "analyst", "admin"):
            server.keys[role] = make_key(env, role, f"bench-{role}")
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wrk_figures(out: str, what: str) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) from the report of `wrk --latency`; raises when wrk saw
    any answer that was not 2xx or 3xx (a figure of failures is not a figure)."""
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if failed and int(failed.group(1)) > 0:
        raise RuntimeError(f"wrk saw {failed.group(1)} failures on {what}:\n{out}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rate is None:
        raise RuntimeError(f"no rate in wrk's report on {what}:\n{out}")

    def pct(label: str) -> float:
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return float(rate.group(1)), pct("50"), pct("99")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def table(title: str, header: list[str], rows: list[list[object]]) -> str:
    cells = [header] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    line = "| " + " | ".join(f"{{:<{w}}}" for w in widths) + " |"
    out = [
        f"\n### {title}\n",
        line.format(*header),
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    out += [line.format(*r) for r in cells[1:]]
    return "\n".join(out)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
