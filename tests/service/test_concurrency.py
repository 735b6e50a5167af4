"""Four worker processes over one SQLite file, under concurrent writers and readers.

No client ever sees a 5xx or "database is locked" (writers queue on BEGIN IMMEDIATE);
readers never see half of a batch; and a write accepted by one worker shows in every
worker's forecast within a second.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest

from tests.factories import event_body as event
from tests.service.conftest import PAIR, Keys

WRITERS = 8
ROUNDS = 6
BATCH = 5


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_concurrent_writers_readers_and_workers(four_workers: str, keys: Keys) -> None:
    url = four_workers
    failures: list[str] = []
    torn: list[dict[str, int]] = []
    done = threading.Event()

    def writer(n: int) -> None:
        with httpx.Client(base_url=url, headers=keys.headers("analyst"), timeout=60) as c:
            for i in range(ROUNDS):
                tag = f"batch-{n}-{i}"
                body = [event(actor=tag) for _ in range(BATCH)] if i % 2 else event(actor=tag)
                r = c.post("/v1/events", json=body)
                if r.status_code != 201:
                    failures.append(f"{r.status_code} {r.text[:200]}")

    def reader() -> None:
        with httpx.Client(base_url=url, headers=keys.headers("reader"), timeout=60) as c:
            while not done.is_set():
                r = c.get("/v1/events", params={"pair": PAIR, "limit": 500})
                if r.status_code != 200:
                    failures.append(f"read {r.status_code}")
                    continue
                seen = Counter(
                    e["actor"] for e in r.json()["items"] if e["actor"].startswith("batch-")
                )
                partial = {
                    a: k for a, k in seen.items() if int(a.rsplit("-", 1)[1]) % 2 and k != BATCH
                }
                if partial:
                    torn.append(partial)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert failures == []
    assert torn == []
    with httpx.Client(base_url=url, headers=keys.headers("reader")) as c:
        items = c.get("/v1/events", params={"pair": PAIR, "limit": 500}).json()["items"]
    expected = WRITERS * (ROUNDS // 2) * (BATCH + 1)
    assert sum(1 for e in items if e["actor"].startswith("batch-")) == expected

    # Visibility across workers: every fresh connection sees the new forecast within 1 s.
    def etag() -> str:
        with httpx.Client(base_url=url, headers=keys.headers("reader")) as c:
            return str(c.get(f"/v1/forecasts/{PAIR}").headers["etag"])

    before = {etag() for _ in range(12)}
    assert len(before) == 1
    with httpx.Client(base_url=url, headers=keys.headers("analyst")) as c:
        assert c.post("/v1/events", json=event(type="killing")).status_code == 201
    time.sleep(1.0)
    after = [etag() for _ in range(24)]
    assert not set(after) & before, after
    assert len(set(after)) == 1
