"""Helpers for tests that run a real `riftcast serve` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from signals.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        time.sleep(0.1)
    raise RuntimeError("server did not become ready")


@contextmanager
def riftcast_serve(
    settings: Settings,
    workers: int = 1,
    ready_within: float = 120.0,
    log: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[str]:
    """`riftcast serve --workers N` over the settings' database; yields its base URL once
    it answers, waiting generously (CI machines are small and busy). `log` keeps the
    server's output."""
    port = free_port()
    env = {
        **os.environ,
        "RIFTCAST_DATA_DIR": str(settings.data_dir),
        "RIFTCAST_RUN_WORKER": "false",
        "RIFTCAST_WARM_CACHE": "false",
        "RIFTCAST_RATE_LIMIT_PER_MINUTE": "0",
        **(extra_env or {}),
    }
    env.pop("RIFTCAST_DATABASE_URL", None)
    if settings.database_url:
        env["RIFTCAST_DATABASE_URL"] = settings.database_url
    riftcast = str(Path(sys.executable).parent / "riftcast")
    proc = subprocess.Popen(
        [riftcast, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL if log is None else log.open("wb"),
        stderr=subprocess.DEVNULL if log is None else subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc, ready_within)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def at_once(
    url: str,
    key: str,
    n: int,
    call: Callable[[httpx.Client, int], httpx.Response],
    timeout: float = 60,
) -> list[httpx.Response]:
    """`n` clients, each connected first, then all sending `call(client, i)` at once."""
    barrier = threading.Barrier(n)
    out: list[httpx.Response] = []

    def run(i: int) -> None:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=timeout
        ) as c:
            c.get("/healthz")
            barrier.wait()
            out.append(call(c, i))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out
