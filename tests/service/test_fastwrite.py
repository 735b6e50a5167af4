"""The write fast path (issue 16): one event from a key verified moments ago is recorded
and answered as the route would, errors included; every other request goes to the route
with its body exactly as it came."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from service.app import create_app
from service.fastwrite import EventFastPath
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.tables import AuditEntry
from tests.factories import event_body, stored_actors
from tests.service.conftest import PAIR, Keys

JSON = ("Content-Type", "application/json")
WAIT = 30.0  # seconds: a bound on a hang, never a synchronisation


class Sent:
    """What one POST through the middleware alone came to."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.passed_body: bytes | None = None  # the body the route read, if it was passed

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    def json(self) -> Any:
        return json.loads(self.messages[1]["body"])


def fast(client: TestClient, body: bytes, headers: Sequence[tuple[str, str]]) -> Sent:
    """Run one `POST /v1/events` through the middleware alone, its body in two pieces."""
    sent = Sent()

    async def route(scope: Any, receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        sent.passed_body = b"".join(chunks)

    async def send(message: dict[str, Any]) -> None:
        sent.messages.append(message)

    pieces = [body[: len(body) // 2], body[len(body) // 2 :]]

    async def receive() -> dict[str, Any]:
        piece = pieces.pop(0)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/events",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "app": client.app,
    }
    anyio.run(EventFastPath(route), scope, receive, send)
    return sent


def verified(client: TestClient, keys: Keys, role: str = "analyst") -> list[tuple[str, str]]:
    """The headers of `role`'s key, once the route has verified it (a read does)."""
    h = keys.headers(role)
    assert client.get("/v1/events?limit=1", headers=h).status_code == 200
    return [*h.items(), JSON]


def test_one_event_is_recorded_and_answered_as_the_route_does(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    h = verified(demo_client, keys)
    # The route's answer: an Idempotency-Key takes the route.
    slow = demo_client.post(
        "/v1/events", json=event_body(actor="slow"), headers={**dict(h), "Idempotency-Key": "k1"}
    )
    assert slow.status_code == 201

    sent = fast(demo_client, json.dumps(event_body(actor="fast")).encode(), h)

    assert sent.passed_body is None and sent.status == 201
    assert sent.headers["content-type"] == slow.headers["content-type"]
    assert int(sent.headers["content-length"]) == len(sent.messages[1]["body"])
    (item,) = sent.json()["items"]
    (slow_item,) = slow.json()["items"]
    assert item.keys() == slow_item.keys() and item["actor"] == "fast"
    differing = {k for k in item if item[k] != slow_item[k]}
    assert differing == {"id", "actor", "recorded_at"}
    # stored, as answered, and audited under the route and the key's name
    assert demo_client.get(f"/v1/events/{item['id']}", headers=dict(h)).json() == item
    with db.read() as s:
        audit = s.exec(select(AuditEntry).where(AuditEntry.object_id == item["id"])).one()
    assert (audit.route, audit.method, audit.status_code, audit.key_name) == (
        "/v1/events",
        "POST",
        201,
        "analyst-1",
    )
    # through the whole app, fast answers are counted under the route's own label
    before = _posts_counted(demo_client)
    r = demo_client.post("/v1/events", json=event_body(actor="counted"), headers=dict(h))
    assert r.status_code == 201 and _posts_counted(demo_client) == before + 1


def _posts_counted(client: TestClient) -> float:
    line = 'riftcast_http_requests_total{method="POST",route="/v1/events",status="201"}'
    text = client.get("/metrics").text
    return float(text.split(line)[1].split()[0]) if line in text else 0.0


def test_everything_else_goes_to_the_route_with_its_body_as_it_came(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    analyst = verified(demo_client, keys)
    reader = verified(demo_client, keys, "reader")
    one = json.dumps(event_body(actor="never")).encode()
    before = stored_actors(db)
    for body, headers in [
        (json.dumps([event_body(actor="never")]).encode(), analyst),  # a batch
        (one, [*analyst, ("Idempotency-Key", "k2")]),  # a replay or claim: the route's
        (one, [h for h in analyst if h != JSON]),  # no Content-Type
        (one, [*(h for h in analyst if h != JSON), ("Content-Type", "text/plain")]),
        (one, [*(h for h in analyst if h != JSON), ("Content-Type", "application/x+json")]),
        (b'{"faction_a": ', analyst),  # not JSON
        (b"", analyst),
        (json.dumps(event_body(credibility=9)).encode(), analyst),  # not a valid event
        (json.dumps(event_body(type=None)).encode(), analyst),
        (b"[" * 100_000, analyst),  # deeper than the parser goes
        (one, reader),  # a weak role: the route's 403, audited
        (one, [JSON]),  # no key: the route's 401
        (one, [("Authorization", "Bearer rk_not-a-key"), JSON]),  # unknown: verified there
        (one, [("Authorization", f"Basic {keys.analyst}"), JSON]),
    ]:
        sent = fast(demo_client, body, headers)
        assert sent.passed_body == body and not sent.messages, (body[:40], headers)
    assert stored_actors(db) == before


def test_a_refused_event_is_answered_as_the_route_answers_it(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    """An event the database judges (an unknown faction, a correction that lost its race)
    is refused by the fast path with the route's very problem, and nothing is stored."""
    h = verified(demo_client, keys)
    original = demo_client.post("/v1/events", json=event_body(actor="original"), headers=dict(h))
    target = original.json()["items"][0]["id"]
    fix = event_body(actor="fix-1", supersedes=target)
    assert demo_client.post("/v1/events", json=fix, headers=dict(h)).status_code == 201
    before = stored_actors(db)
    for i, body in enumerate(
        [event_body(faction_a="nowhere"), event_body(actor="fix-2", supersedes=target)]
    ):
        slow = demo_client.post(
            "/v1/events", json=body, headers={**dict(h), "Idempotency-Key": f"refused-{i}"}
        )
        assert slow.status_code in (409, 422)
        sent = fast(demo_client, json.dumps(body).encode(), h)
        assert sent.passed_body is None
        assert (sent.status, sent.json()) == (slow.status_code, slow.json())
        assert sent.headers["content-type"] == slow.headers["content-type"]
    assert stored_actors(db) == before


def test_over_its_rate_a_key_gets_the_routes_429(
    settings: Settings, keys: Keys, demo: Database
) -> None:
    """The fast path takes a turn of the key's rate, as the route does: the fourth write of
    a minute at three a minute is refused (the first is the route's: the key is new)."""
    with TestClient(create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))) as c:
        h = keys.headers("analyst")
        codes = [
            c.post("/v1/events", json=event_body(actor=f"rate-{i}"), headers=h).status_code
            for i in range(4)
        ]
        assert codes == [201, 201, 201, 429]
    assert stored_actors(demo).count("rate-0") == 1
    assert "rate-3" not in stored_actors(demo)


def test_a_write_is_answered_once_the_polled_listing_includes_it(
    demo_client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dashboards poll the listing; a write's own client must find its event there once
    answered. So while the listing is being rebuilt after the write (held here in the
    pair's forecast), the write is not answered; then it is, and the listing has it."""
    h = verified(demo_client, keys)
    reader = keys.headers("reader")
    before = demo_client.get("/v1/forecasts", headers=reader)
    assert before.status_code == 200  # polled: rebuilt after every write from now on
    forecaster = demo_client.app.state.cache.forecaster  # type: ignore[attr-defined]
    started, release = threading.Event(), threading.Event()
    compute = forecaster.forecast

    def held(pair_id: str, *args: Any, **kwargs: Any) -> Any:
        if pair_id == PAIR:
            started.set()
            assert release.wait(WAIT)
        return compute(pair_id, *args, **kwargs)

    monkeypatch.setattr(forecaster, "forecast", held)
    answers: list[int] = []
    body = event_body(type="killing", occurred_on=utcnow().date().isoformat(), intensity=1.0)
    post = threading.Thread(
        target=lambda: answers.append(
            demo_client.post("/v1/events", json=body, headers=dict(h)).status_code
        )
    )
    post.start()
    assert started.wait(WAIT)  # committed, and the listing's rebuild under way
    post.join(0.3)
    assert post.is_alive() and answers == []  # not answered while the listing lacks it
    release.set()
    post.join(WAIT)
    assert answers == [201]
    after = demo_client.get(
        "/v1/forecasts", headers={**reader, "If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200  # the listing already holds the write
