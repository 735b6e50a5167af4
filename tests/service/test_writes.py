"""Writes: events (one, batch, all or nothing), retractions, outcomes, factions, refits;
audit rows; limits; problem details; idempotency."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from service.app import create_app
from signals import idempotency
from signals.config import Settings
from signals.db import Database
from signals.tables import AuditEntry, IndicatorEvent, RefitJob
from tests.factories import event_body as event
from tests.service.conftest import PAIR, Keys


def count(db: Database, model: Any) -> int:
    with db.read() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_post_one_event_records_who(demo_client: TestClient, keys: Keys, db: Database) -> None:
    before = count(db, IndicatorEvent)
    r = demo_client.post("/v1/events", json=event(), headers=keys.headers("analyst"))
    assert r.status_code == 201, r.text
    (item,) = r.json()["items"]
    assert item["pair_id"] == PAIR and item["submitted_by"] == "analyst-1"
    assert count(db, IndicatorEvent) == before + 1
    got = demo_client.get(f"/v1/events/{item['id']}", headers=keys.headers("reader"))
    assert got.status_code == 200 and got.json() == item
    with db.read() as s:
        rows = list(s.exec(select(AuditEntry).where(AuditEntry.status_code == 201)))
    assert rows[-1].object_id == item["id"] and rows[-1].key_name == "analyst-1"


def test_batch_is_all_or_nothing(demo_client: TestClient, keys: Keys, db: Database) -> None:
    before = count(db, IndicatorEvent)
    batch = [event(), event(type="no_such_type"), event(occurred_on="2999-01-01")]
    r = demo_client.post("/v1/events", json=batch, headers=keys.headers("analyst"))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"[2].occurred_on"}
    r = demo_client.post("/v1/events", json=batch[:2], headers=keys.headers("analyst"))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["[1].type"]
    assert count(db, IndicatorEvent) == before
    r = demo_client.post(
        "/v1/events", json=[event(), event(actor="B")], headers=keys.headers("analyst")
    )
    assert r.status_code == 201 and len(r.json()["items"]) == 2
    assert count(db, IndicatorEvent) == before + 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (event(occurred_on="2025-13-01"), "occurred_on"),
        (event(reliability="Z"), "reliability"),
        (event(faction_b="kandahar-leadership"), "body"),
        (event(actor="x" * 201), "actor"),
        (event(extra=1), "extra"),
        (event(faction_a="nobody"), "faction_a"),
    ],
)
def test_single_event_errors_name_the_field(
    demo_client: TestClient, keys: Keys, body: dict[str, Any], field: str
) -> None:
    r = demo_client.post("/v1/events", json=body, headers=keys.headers("analyst"))
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


def test_limits(settings: Settings, keys: Keys, demo: Database) -> None:
    app = create_app(settings.model_copy(update={"max_batch": 2, "max_body_bytes": 5000}))
    with TestClient(app) as c:
        h = keys.headers("analyst")
        r = c.post("/v1/events", json=[event()] * 3, headers=h)
        assert r.status_code == 422 and "at most 2" in r.json()["detail"]
        r = c.post("/v1/events", json=[], headers=h)
        assert r.status_code == 422
        r = c.post("/v1/events", json=event(summary="x" * 6000), headers=h)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"

        def chunks() -> Any:  # no Content-Length: the streamed bytes are counted
            for _ in range(10):
                yield b" " * 1000

        r = c.post(
            "/v1/events", content=chunks(), headers={**h, "Content-Type": "application/json"}
        )
        assert r.status_code == 413
        r = c.get("/v1/events?limit=501", headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "limit"
        r = c.post(
            "/v1/events", content=b"{not json", headers={**h, "Content-Type": "application/json"}
        )
        assert r.status_code == 422


def test_a_second_correction_is_a_conflict_naming_its_item(
    demo_client: TestClient, keys: Keys
) -> None:
    """Issue 14 item 6: a 409 in a batch names the item as `[i].supersedes`, like every
    other batch problem; a one-event request names the bare field."""
    h = keys.headers("analyst")
    original = demo_client.post("/v1/events", json=event(), headers=h).json()["items"][0]
    fix = demo_client.post(
        "/v1/events", json=event(actor="first fix", supersedes=original["id"]), headers=h
    )
    assert fix.status_code == 201
    winner = fix.json()["items"][0]["id"]
    batch = [event(actor="other"), event(actor="late fix", supersedes=original["id"])]
    r = demo_client.post("/v1/events", json=batch, headers=h)
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "[1].supersedes", "message": f"superseded by {winner}"}]
    r = demo_client.post(
        "/v1/events", json=event(actor="late fix", supersedes=original["id"]), headers=h
    )
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "supersedes", "message": f"superseded by {winner}"}]


def test_retract_appends_a_row(demo_client: TestClient, keys: Keys, db: Database) -> None:
    h = keys.headers("analyst")
    created = demo_client.post("/v1/events", json=event(), headers=h).json()["items"][0]
    r = demo_client.post(
        f"/v1/events/{created['id']}/retract", json={"reason": "recanted"}, headers=h
    )
    assert r.status_code == 201
    row = r.json()
    assert row["kind"] == "retraction" and row["supersedes"] == created["id"]
    assert row["reason"] == "recanted"
    assert demo_client.get(f"/v1/events/{created['id']}", headers=h).status_code == 200
    again = demo_client.post(f"/v1/events/{created['id']}/retract", json={"reason": "x"}, headers=h)
    assert again.status_code == 409 and row["id"] in again.json()["detail"]
    missing = demo_client.post("/v1/events/NOPE/retract", json={"reason": "x"}, headers=h)
    assert missing.status_code == 404
    r = demo_client.post(f"/v1/events/{created['id']}/retract", json={}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"


def test_outcome_queues_a_refit(demo_client: TestClient, keys: Keys, db: Database) -> None:
    body = {
        "faction_a": "haqqani-network",
        "faction_b": "kandahar-leadership",
        "status": "cohesive",
        "on": "2025-04-01",
    }
    r = demo_client.post("/v1/outcomes", json=body, headers=keys.headers("analyst"))
    assert r.status_code == 201, r.text
    job_id = r.json()["refit_job_id"]
    assert job_id and r.json()["items"][0]["submitted_by"] == "analyst-1"
    job = demo_client.get(f"/v1/model/jobs/{job_id}", headers=keys.headers("reader")).json()
    assert job["status"] == "queued" and job["reason"] == "outcome"
    listed = demo_client.get(f"/v1/outcomes?pair={PAIR}", headers=keys.headers("reader")).json()
    assert any(o["on_date"] == "2025-04-01" for o in listed["items"])


def test_refit_request_and_factions(client: TestClient, keys: Keys, db: Database) -> None:
    h = keys.headers("admin")
    r = client.post("/v1/model/refit", json={"note": "please"}, headers=h)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    r2 = client.post("/v1/model/refit", headers=h)
    assert r2.json()["id"] == r.json()["id"]  # one queued job at a time
    assert count(db, RefitJob) == 1
    assert client.get("/v1/model/jobs", headers=h).json()["items"][0]["id"] == r.json()["id"]
    f = {"id": "north", "name": "North", "movement": "M"}
    assert client.post("/v1/factions", json=f, headers=h).status_code == 201
    r = client.post("/v1/factions", json=f, headers=h)
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/factions/north", headers=h).json()["name"] == "North"
    assert client.get("/v1/factions/south", headers=h).status_code == 404
    audit = client.get("/v1/audit", headers=h).json()["items"]
    assert [a["route"] for a in audit][:3] == ["/v1/factions", "/v1/model/refit", "/v1/model/refit"]


def test_idempotency_replays_and_refuses(demo_client: TestClient, keys: Keys, db: Database) -> None:
    h = {**keys.headers("analyst"), "Idempotency-Key": "abc-1"}
    before = count(db, IndicatorEvent)
    first = demo_client.post("/v1/events", json=event(), headers=h)
    second = demo_client.post("/v1/events", json=event(), headers=h)
    assert first.status_code == second.status_code == 201
    assert first.content == second.content  # the very same bytes, not only the same JSON
    assert second.headers.get("idempotent-replayed") == "true"
    assert count(db, IndicatorEvent) == before + 1
    other = demo_client.post("/v1/events", json=event(actor="Other"), headers=h)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    # another key's Idempotency-Key space is its own
    h2 = {**keys.headers("admin"), "Idempotency-Key": "abc-1"}
    assert demo_client.post("/v1/events", json=event(actor="Z"), headers=h2).status_code == 201


def test_idempotency_in_flight_409_and_failed_write_can_retry(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    from signals.access import verify_key

    with db.read() as s:
        key = verify_key(s, keys.analyst)
    assert key is not None
    claim = idempotency.claim(db, key.id, "busy", "/v1/events", "x")
    assert claim.outcome == "new"
    h = {**keys.headers("analyst"), "Idempotency-Key": "busy"}
    r = demo_client.post("/v1/events", json=event(), headers=h)
    assert r.status_code == 422  # different body hash than the placeholder's
    idempotency.release(db, key.id, "busy")
    # a failing write leaves no record: the corrected retry runs
    h = {**keys.headers("analyst"), "Idempotency-Key": "retry"}
    bad = demo_client.post("/v1/events", json=event(type="nope"), headers=h)
    assert bad.status_code == 422
    bad2 = demo_client.post("/v1/events", json=event(type="nope"), headers=h)
    assert bad2.status_code == 422  # not a replay: ran again
    assert bad2.headers.get("idempotent-replayed") is None


def test_idempotency_in_flight_same_body(demo_client: TestClient, keys: Keys, db: Database) -> None:
    import hashlib
    import json

    from signals.access import verify_key

    with db.read() as s:
        key = verify_key(s, keys.admin)
    assert key is not None
    body = {"note": "x"}
    digest = hashlib.sha256(
        json.dumps(["/v1/model/refit", body], sort_keys=True).encode()
    ).hexdigest()
    assert idempotency.claim(db, key.id, "k", "/v1/model/refit", digest).outcome == "new"
    h = {**keys.headers("admin"), "Idempotency-Key": "k"}
    r = demo_client.post("/v1/model/refit", json=body, headers=h)
    assert r.status_code == 409
    assert 1 <= int(r.headers["retry-after"]) <= 60


def test_idempotency_survives_restart(settings: Settings, keys: Keys, demo: Database) -> None:
    h = {**keys.headers("analyst"), "Idempotency-Key": "restart-1"}
    with TestClient(create_app(settings)) as c:
        first = c.post("/v1/events", json=event(), headers=h)
    with TestClient(create_app(settings)) as c:
        again = c.post("/v1/events", json=event(), headers=h)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()


def test_a_nul_in_supersedes_is_a_named_422(demo_client: TestClient, keys: Keys) -> None:
    """PostgreSQL refuses NUL in text (psycopg.DataError, once a 500): refused up front."""
    r = demo_client.post(
        "/v1/events", json=event(supersedes="01J\x00"), headers=keys.headers("analyst")
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "supersedes"


def test_a_state_events_end_is_shown_where_it_is_read(demo_client: TestClient, keys: Keys) -> None:
    """A leader's absence that ended carries its end in the answer and in the log, so an
    analyst can tell an open state from a closed one."""
    body = event(type="leader_absence", occurred_on="2025-01-10", ended_on="2025-02-01")
    r = demo_client.post("/v1/events", json=body, headers=keys.headers("analyst"))
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["ended_on"] == "2025-02-01"
    page = demo_client.get("/v1/events", headers=keys.headers("reader")).json()
    assert [e["ended_on"] for e in page["items"] if e["id"] == r.json()["items"][0]["id"]] == [
        "2025-02-01"
    ]
