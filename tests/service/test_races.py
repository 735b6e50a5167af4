"""Races driven by real concurrent HTTP clients against `riftcast serve` with two workers,
on SQLite and PostgreSQL (issue 11, items 1 and 2).

Eight analysts post the first event of a new pair at once: every one gets 201 and the pair
exists once. Eight retract one event at once, and eight correct another: exactly one of
each wins, the others get 409 naming the winner, and the log holds one successor per event.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlmodel import select

from signals.db import Database
from signals.factions import create_faction
from signals.schemas import FactionIn
from signals.tables import IndicatorEvent, Pair
from tests.factories import event_body as event
from tests.service.conftest import PAIR, Keys
from tests.service.servers import at_once

CLIENTS = 8


def _at_once(
    url: str, key: str, call: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    return at_once(url, key, CLIENTS, call)


def test_concurrent_first_events_of_a_new_pair_all_succeed(
    two_workers: str, keys: Keys, db: Database
) -> None:
    with db.write() as s:
        for fid in ("east-wing", "west-wing"):
            create_faction(s, FactionIn(id=fid, name=fid, movement="M"), by="test")
    replies = _at_once(
        two_workers,
        keys.analyst,
        lambda c, n: c.post(
            "/v1/events",
            json=event(faction_a="east-wing", faction_b="west-wing", actor=f"first-{n}"),
        ),
    )
    assert sorted(r.status_code for r in replies) == [201] * CLIENTS, [r.text for r in replies]
    with db.read() as s:
        assert len(list(s.exec(select(Pair).where(Pair.id == "east-wing--west-wing")))) == 1


def _one_winner(replies: list[httpx.Response]) -> str:
    codes = sorted(r.status_code for r in replies)
    assert codes == [201] + [409] * (CLIENTS - 1), [r.text for r in replies]
    body = next(r for r in replies if r.status_code == 201).json()
    winner = body["items"][0]["id"] if "items" in body else body["id"]
    for r in replies:
        if r.status_code == 409:
            assert r.headers["content-type"] == "application/problem+json"
            assert winner in r.json()["detail"]
    return str(winner)


def test_one_successor_per_event_under_concurrent_corrections_and_retractions(
    two_workers: str, keys: Keys, db: Database
) -> None:
    with httpx.Client(base_url=two_workers, headers=keys.headers("analyst"), timeout=60) as c:
        first = c.post("/v1/events", json=event(actor="to-retract")).json()["items"][0]
        second = c.post("/v1/events", json=event(actor="to-correct")).json()["items"][0]
    _one_winner(
        _at_once(
            two_workers,
            keys.analyst,
            lambda c, n: c.post(f"/v1/events/{first['id']}/retract", json={"reason": f"r{n}"}),
        )
    )
    _one_winner(
        _at_once(
            two_workers,
            keys.analyst,
            lambda c, n: c.post(
                "/v1/events", json=event(actor=f"fix-{n}", supersedes=second["id"])
            ),
        )
    )
    with db.read() as s:
        for original in (first["id"], second["id"]):
            rows = s.exec(select(IndicatorEvent).where(IndicatorEvent.supersedes == original))
            assert len(list(rows)) == 1
    with httpx.Client(base_url=two_workers, headers=keys.headers("reader")) as c:
        actors = [
            e["actor"]
            for e in c.get("/v1/events", params={"pair": PAIR, "limit": 500}).json()["items"]
        ]
    assert "to-retract" not in actors and "to-correct" not in actors
    assert sum(a.startswith("fix-") for a in actors) == 1
