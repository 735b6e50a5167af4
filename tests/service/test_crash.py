"""SIGKILL mid-stream: every acknowledged event survives, retries never duplicate.

A real `riftcast serve` process takes event POSTs from concurrent clients, each carrying an
Idempotency-Key; it is killed with SIGKILL while they write, then restarted. Each client
retries the request it had in flight with the same key and body. Afterwards every
acknowledged id is stored, each logical event is stored exactly once, and the database
passes an integrity check. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import select

from signals.access import create_key
from signals.config import Settings
from signals.db import Database
from signals.scenario import load_demo
from signals.tables import IndicatorEvent
from signals.taxonomy import Taxonomy
from tests.service.servers import free_port, wait_ready

CLIENTS = 4
BIN = Path(sys.executable).parent


def _env(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "RIFTCAST_DATA_DIR": str(settings.data_dir),
        "RIFTCAST_RUN_WORKER": "false",
        "RIFTCAST_RATE_LIMIT_PER_MINUTE": "0",
        "RIFTCAST_IDEMPOTENCY_INFLIGHT_SECONDS": "2",
    }
    env.pop("RIFTCAST_DATABASE_URL", None)
    if settings.database_url:
        env["RIFTCAST_DATABASE_URL"] = settings.database_url
    return env


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(BIN / "riftcast"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc


@pytest.fixture
def demo_key(db: Database, taxonomy: Taxonomy) -> Iterator[str]:
    with db.write() as s:
        load_demo(s, taxonomy)
        _, key = create_key(s, "crash-analyst", "analyst")
    yield key


def _body(client: int, seq: int) -> dict[str, object]:
    return {
        "faction_a": "haqqani-network",
        "faction_b": "kandahar-leadership",
        "type": "public_criticism",
        "occurred_on": "2025-02-01",
        "actor": f"crash-{client}-{seq}",
        "source": "crash test",
        "reliability": "C",
        "credibility": 3,
        "intensity": 0.1,
    }


def _post_until_answered(url: str, key: str, client: int, seq: int, stop_at: float) -> str | None:
    """POST with the same Idempotency-Key until the server answers (retrying 409/5xx/down)."""
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"crash-{client}-{seq}"}
    while time.monotonic() < stop_at:
        try:
            r = httpx.post(f"{url}/v1/events", json=_body(client, seq), headers=headers, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if r.status_code in (200, 201):
            return str(r.json()["items"][0]["id"])
        if r.status_code == 409 or r.status_code >= 500:
            time.sleep(min(float(r.headers.get("retry-after", "0.2")), 1.0))
            continue
        raise AssertionError(f"unexpected {r.status_code}: {r.text}")
    return None


def test_sigkill_loses_no_acknowledged_event(
    settings: Settings, db: Database, demo_key: str
) -> None:
    env = _env(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(env, port)
    acked: dict[tuple[int, int], str] = {}
    unanswered: dict[int, int] = {}
    killed = threading.Event()
    lock = threading.Lock()

    def writer(n: int) -> None:
        seq = 0
        while not killed.is_set():
            headers = {"Authorization": f"Bearer {demo_key}", "Idempotency-Key": f"crash-{n}-{seq}"}
            try:
                r = httpx.post(f"{url}/v1/events", json=_body(n, seq), headers=headers, timeout=5)
            except httpx.TransportError:
                unanswered[n] = seq  # outcome unknown: retry after the restart
                return
            assert r.status_code == 201, r.text
            with lock:
                acked[(n, seq)] = r.json()["items"][0]["id"]
            seq += 1
        unanswered[n] = seq  # this one was never sent; sending it later is harmless

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    killed.set()
    proc.wait()
    for t in threads:
        t.join()
    assert len(acked) >= 40, "the server acknowledged too few writes before the kill"

    proc = _start(env, port)
    try:
        stop_at = time.monotonic() + 30
        for n, seq in unanswered.items():
            event_id = _post_until_answered(url, demo_key, n, seq, stop_at)
            assert event_id is not None, "retry was never answered"
            acked[(n, seq)] = event_id
        # A retry of an already acknowledged request replays the same id.
        (n0, s0), first_id = next(iter(acked.items()))
        assert _post_until_answered(url, demo_key, n0, s0, stop_at) == first_id
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    with db.read() as s:
        rows = list(s.exec(select(IndicatorEvent).where(IndicatorEvent.source == "crash test")))
        if db.is_sqlite:
            check = s.exec(text("PRAGMA integrity_check")).one()  # type: ignore[call-overload]
            assert check[0] == "ok"
            fk = list(s.exec(text("PRAGMA foreign_key_check")))  # type: ignore[call-overload]
            assert fk == []
        else:
            orphans = s.exec(
                text(  # type: ignore[call-overload]
                    "SELECT count(*) FROM indicator_event e LEFT JOIN pair p ON p.id = e.pair_id "
                    "WHERE p.id IS NULL"
                )
            ).one()
            assert orphans[0] == 0
    stored = {r.id for r in rows}
    assert set(acked.values()) <= stored, "an acknowledged event was lost"
    actors = [r.actor for r in rows]
    assert len(actors) == len(set(actors)), "a retried event was stored twice"
    assert len(rows) == len(acked)
