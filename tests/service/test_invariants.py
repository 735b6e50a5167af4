"""The concurrency suite (issue 11): eight analysts post, correct and retract at once
against four `riftcast serve` workers, on PostgreSQL and SQLite; then the log's
invariants are checked in the database and every worker's forecast is checked fresh.

- every acknowledged write is stored, exactly once;
- no event has more than one successor (correction or retraction), and each refused
  attempt named the successor that won;
- within a second of the last commit, every worker serves the forecast of the newest
  write (its `as_of` is the newest change's time in the database).
"""

from __future__ import annotations

import random
import threading
import time

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from signals.db import Database
from signals.tables import ChangeEntry, IndicatorEvent
from tests.factories import event_body as event
from tests.service.conftest import PAIR, Keys

CLIENTS = 8
ROUNDS = 5


def test_post_correct_retract_at_once_keeps_every_invariant(
    four_workers: str, keys: Keys, db: Database
) -> None:
    url = four_workers
    lock = threading.Lock()
    acked: list[str] = []  # ids of every row a 201 acknowledged
    originals: list[str] = []  # events others may correct or retract
    conflicts: list[httpx.Response] = []
    failures: list[str] = []
    barrier = threading.Barrier(CLIENTS)

    def analyst(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=url, headers=keys.headers("analyst"), timeout=60) as c:
            c.get("/healthz")
            barrier.wait()
            for i in range(ROUNDS):
                r = c.post("/v1/events", json=event(actor=f"a{n}-{i}"))
                if r.status_code != 201:
                    failures.append(f"post {r.status_code} {r.text[:200]}")
                    continue
                with lock:
                    acked.append(r.json()["items"][0]["id"])
                    originals.append(r.json()["items"][0]["id"])
                    target, victim = rng.choice(originals), rng.choice(originals)
                fix = c.post("/v1/events", json=event(actor=f"fix{n}-{i}", supersedes=target))
                gone = c.post(f"/v1/events/{victim}/retract", json={"reason": f"r{n}-{i}"})
                for reply in (fix, gone):
                    if reply.status_code == 201:
                        body = reply.json()
                        with lock:
                            acked.append(body["items"][0]["id"] if "items" in body else body["id"])
                    elif reply.status_code == 409:
                        conflicts.append(reply)
                    else:
                        failures.append(f"{reply.status_code} {reply.text[:200]}")

    threads = [threading.Thread(target=analyst, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    last_ack = time.monotonic()
    assert failures == []
    assert len(acked) >= CLIENTS * ROUNDS

    with db.read() as s:
        stored = list(s.exec(select(IndicatorEvent.id).where(col(IndicatorEvent.id).in_(acked))))
        assert sorted(stored) == sorted(acked) and len(set(acked)) == len(acked)
        doubled = s.exec(
            select(IndicatorEvent.supersedes, func.count())
            .where(col(IndicatorEvent.supersedes).is_not(None))
            .group_by(IndicatorEvent.supersedes)
            .having(func.count() > 1)
        ).all()
        assert doubled == []
        successors = set(
            s.exec(select(IndicatorEvent.id).where(col(IndicatorEvent.supersedes).is_not(None)))
        )
        newest = s.exec(select(func.max(ChangeEntry.at)).where(ChangeEntry.pair_id == PAIR)).one()
    for reply in conflicts:  # each loser was told which successor won
        assert reply.headers["content-type"] == "application/problem+json"
        assert any(w in reply.json()["detail"] for w in successors), reply.text

    time.sleep(max(0.0, 1.0 - (time.monotonic() - last_ack)))
    seen = set()
    for _ in range(16):  # fresh connections reach every worker
        with httpx.Client(base_url=url, headers=keys.headers("reader")) as c:
            r = c.get(f"/v1/forecasts/{PAIR}")
            seen.add((r.headers["etag"], r.json()["as_of"]))
    assert len(seen) == 1, seen
    ((_, as_of),) = seen
    assert newest is not None and as_of.startswith(newest.strftime("%Y-%m-%dT%H:%M:%S")), (
        as_of,
        newest,
    )
