"""The polling fast path: it answers a cached forecast exactly as the route would, and hands
every other request (miss, unknown or revoked key, `as_of`, odd query, over rate) to it."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Sequence
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from service import bodies as bodies_module
from service.app import create_app
from service.bodies import accepts_gzip
from service.fastpath import ForecastFastPath
from signals import access
from signals.config import Settings
from signals.db import Database
from tests.service.conftest import PAIR, Keys

URL = f"/v1/forecasts/{PAIR}"


def fast(
    client: TestClient, path: str, query: str = "", headers: Sequence[tuple[str, str]] = ()
) -> tuple[list[dict[str, Any]], bool]:
    """Run one GET through the middleware alone: (messages it sent, whether it passed on)."""
    passed: list[str] = []

    async def downstream(scope: Any, receive: Any, send: Any) -> None:
        passed.append(scope["path"])

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "app": client.app,
    }
    anyio.run(ForecastFastPath(downstream), scope, receive, send)
    return sent, bool(passed)


def assert_same_answer(sent: list[dict[str, Any]], slow: Response) -> None:
    """The fast path sent what the route answered: status, body and the headers."""
    start, body = sent
    assert start["status"] == 200 and body["body"] == slow.content
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    for name in ("etag", "cache-control", "content-type", "content-length"):
        assert headers[name] == slow.headers[name]


def test_a_cached_forecast_is_answered_byte_for_byte_as_the_route_does(
    demo_client: TestClient, keys: Keys
) -> None:
    h = keys.headers("reader")
    slow = demo_client.get(URL, headers=h)  # computes, caches, verifies the key
    assert slow.status_code == 200
    sent, passed = fast(demo_client, URL, headers=list(h.items()))
    assert not passed
    assert_same_answer(sent, slow)
    etag = slow.headers["etag"]
    sent, passed = fast(
        demo_client, URL, headers=[("X-API-Key", keys.reader), ("If-None-Match", etag)]
    )
    assert not passed and sent[0]["status"] == 304 and sent[1]["body"] == b""
    again = demo_client.get(URL, headers={**h, "If-None-Match": f'W/{etag}, "x"'})
    assert again.status_code == 304 and again.headers["etag"] == etag
    # horizons that were computed before are served too, in any order
    demo_client.get(f"{URL}?horizon=90&horizon=30", headers=h)
    sent, passed = fast(demo_client, URL, "horizon=30&horizon=90", list(h.items()))
    assert not passed and b'"horizon_days":30' in sent[1]["body"]
    # through the whole app, fast answers are counted under the route's own label
    demo_client.get(URL, headers=h)
    metrics = demo_client.get("/metrics").text
    line = 'riftcast_http_requests_total{method="GET",route="/v1/forecasts/{pair_id}",status="200"}'
    assert float(metrics.split(line)[1].split()[0]) >= 3


def test_everything_else_goes_to_the_route(
    demo_client: TestClient, keys: Keys, db: Database
) -> None:
    h = list(keys.headers("reader").items())
    assert demo_client.get(URL, headers=dict(h)).status_code == 200
    for query, headers in [
        ("as_of=2025-03-01T00:00:00Z", h),  # computed, never cached
        ("horizon=31", h),  # not computed yet
        ("horizon=abc", h),  # the route's validation error
        ("horizon=%C2%B2", h),  # a non-ASCII digit
        ("", []),  # no key: the route answers 401 and audits it
        ("", [("Authorization", "Bearer not-a-key")]),
        ("", [("Authorization", f"Basic {keys.reader}")]),
        ("", [*h, ("If-None-Match", "x" * 2001)]),  # the route's 422
    ]:
        assert fast(demo_client, URL, query, headers)[1], (query, headers)
    assert fast(demo_client, f"{URL}/history", "", h)[1]
    assert fast(demo_client, "/v1/forecasts/", "", h)[1]
    assert fast(demo_client, "/v1/forecasts/no--pair", "", h)[1]
    assert demo_client.get("/v1/forecasts/no--pair", headers=dict(h)).status_code == 404


def test_a_key_revoked_by_another_process_is_refused_within_a_poll(
    settings: Settings, keys: Keys, db: Database, demo: Database
) -> None:
    # Keys trusted for an hour: only the change log can make the server forget this one.
    app = create_app(settings.model_copy(update={"key_cache_seconds": 3600.0}))
    with TestClient(app) as c:
        h = keys.headers("reader")
        assert c.get(URL, headers=h).status_code == 200
        assert not fast(c, URL, headers=list(h.items()))[1]
        with db.write() as s:  # as `riftcast keys revoke` does, from outside the server
            victim = next(k for k in access.list_keys(s) if k.name == "reader-1")
            access.revoke_key(s, victim.id)
        deadline = time.monotonic() + 5.0
        while not fast(c, URL, headers=list(h.items()))[1]:
            assert time.monotonic() < deadline, "the revocation did not reach the key cache"
            time.sleep(0.01)
        assert c.get(URL, headers=h).status_code == 401


def test_over_its_rate_a_key_gets_the_routes_429(
    settings: Settings, keys: Keys, demo: Database
) -> None:
    with TestClient(create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))) as c:
        h = keys.headers("reader")
        codes = [c.get(URL, headers=h).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert int(c.get(URL, headers=h).headers["retry-after"]) >= 1


def test_the_cached_listing_is_answered_as_the_route_does_and_odd_queries_pass(
    demo_client: TestClient, keys: Keys, settings: Settings
) -> None:
    """Issue 16: dashboards poll the listing too; once built it is answered before routing,
    byte for byte as the route answers it, and anything the route would judge goes on."""
    h = keys.headers("reader")
    slow = demo_client.get("/v1/forecasts?sort=pair", headers={**h, "Accept-Encoding": "identity"})
    assert slow.status_code == 200
    sent, passed = fast(demo_client, "/v1/forecasts", "sort=pair", list(h.items()))
    assert not passed
    assert_same_answer(sent, slow)
    first = settings.horizons[0]
    sent, passed = fast(
        demo_client,
        "/v1/forecasts",
        f"horizon={first}&sort=pair",
        [*h.items(), ("If-None-Match", slow.headers["etag"])],
    )
    assert not passed and sent[0]["status"] == 304
    for query in (
        "",  # the default sort was never built: a miss
        "sort=pair&sort=pair",
        "sort=sideways",
        "horizon=7&sort=pair",  # not a configured horizon: the route's 422
        "sort=pair&as_of=2025-01-01T00:00:00Z",
    ):
        _, passed = fast(demo_client, "/v1/forecasts", query, list(h.items()))
        assert passed, query
    _, passed = fast(demo_client, "/v1/forecasts", "sort=pair", [("X-API-Key", "rk_nope")])
    assert passed


def test_a_listing_page_the_route_built_is_answered_as_the_route_does(
    demo_client: TestClient, keys: Keys
) -> None:
    """A dashboard following the listing's cursors: each page, once the route has built
    it, is answered before routing, byte for byte; a page the route never built (an unknown
    cursor, a limit it would refuse) goes on to the route."""
    h = keys.headers("reader")
    identity = {**h, "Accept-Encoding": "identity"}
    cursor = demo_client.get("/v1/forecasts?limit=1", headers=h).json()["next_cursor"]
    query = f"limit=1&cursor={cursor}"
    slow = demo_client.get(f"/v1/forecasts?{query}", headers=identity)
    assert slow.status_code == 200 and slow.json()["items"]
    sent, passed = fast(demo_client, "/v1/forecasts", query, list(h.items()))
    assert not passed
    assert_same_answer(sent, slow)
    for odd in (f"limit=2&cursor={cursor}", "limit=0", "limit=501", "cursor=x", "limit=01x"):
        assert fast(demo_client, "/v1/forecasts", odd, list(h.items()))[1], odd


def test_the_listing_is_sent_gzipped_to_clients_that_accept_it(
    demo_client: TestClient, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing grows with the pairs (1.6 MB for 1,000): it is compressed once when
    built, and sent compressed to clients that accept gzip, by the route and the fast path
    alike, under its own ETag; either tag revalidates."""
    monkeypatch.setattr(bodies_module, "GZIP_MIN_BYTES", 1024)  # the demo's listing is small
    h = keys.headers("reader")
    plain = demo_client.get("/v1/forecasts", headers={**h, "Accept-Encoding": "identity"})
    packed = demo_client.get("/v1/forecasts", headers={**h, "Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx decodes it
    assert int(packed.headers["content-length"]) < len(plain.content) / 4
    assert packed.headers["vary"] == plain.headers["vary"] == "accept-encoding"
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    for tag in (plain.headers["etag"], packed.headers["etag"]):
        again = demo_client.get("/v1/forecasts", headers={**h, "If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
    sent, passed = fast(demo_client, "/v1/forecasts", "", [*h.items(), ("Accept-Encoding", "gzip")])
    assert not passed
    start = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    assert start["etag"] == packed.headers["etag"] and start["content-encoding"] == "gzip"
    assert gzip.decompress(sent[1]["body"]) == plain.content
    sent, _ = fast(demo_client, "/v1/forecasts", "", [*h.items(), ("Accept-Encoding", "gzip;q=0")])
    assert sent[1]["body"] == plain.content


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("*", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, br", False),
        ("gzip;q=nonsense", False),
        ("br, deflate", False),
        ("identity", False),
        ("", False),
        (None, False),
    ],
)
def test_accept_encoding_is_read_as_http_says(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


def test_while_the_listing_is_rebuilt_after_a_write_every_poll_gets_the_previous_one(
    demo_client: TestClient, keys: Keys, settings: Settings
) -> None:
    """Issue 16: a change starts the listing's rebuild at once; polls arriving meanwhile,
    the first as well, are answered by the fast path with the listing built before the
    change, never queued behind the rebuild. A key it has not verified goes to the route."""
    first = settings.horizons[0]  # the listing's default horizon
    identity = [*keys.headers("reader").items(), ("Accept-Encoding", "identity")]
    before = demo_client.get("/v1/forecasts", headers=dict(identity))
    cache = demo_client.app.state.cache  # type: ignore[attr-defined]
    previous = cache.peek_listing(first, "-probability")
    compute = cache.forecaster.forecast
    release = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        release.wait(30)
        return compute(*args, **kwargs)

    cache.forecaster.forecast = slow
    try:
        cache.invalidate([PAIR])
        for _ in range(3):
            sent, passed = fast(demo_client, "/v1/forecasts", "", identity)
            assert not passed and sent[0]["status"] == 200
            assert sent[1]["body"] == before.content  # the listing built before the write
        _, passed = fast(demo_client, "/v1/forecasts", "", [("X-API-Key", "rk_nope")])
        assert passed
    finally:
        release.set()
        cache.forecaster.forecast = compute
    deadline = time.monotonic() + 60
    while (now := cache.peek_listing(first, "-probability")) is None or now is previous:
        assert time.monotonic() < deadline, "the rebuild did not finish"
        time.sleep(0.02)


def test_the_listing_is_built_at_start(settings: Settings, keys: Keys, demo: Database) -> None:
    """With RIFTCAST_WARM_CACHE (the default), serving starts building the listing at
    once, so the first polls find it cached."""
    app = create_app(settings.model_copy(update={"warm_cache": True}))
    with TestClient(app) as client:
        deadline = time.monotonic() + 120  # generous: a busy machine computes slowly
        while app.state.cache.peek_listing(settings.horizons[0], "-probability") is None:
            assert time.monotonic() < deadline, "the listing was not built"
            time.sleep(0.05)
        r = client.get("/v1/forecasts", headers=keys.headers("reader"))
        assert r.status_code == 200 and r.json()["items"]
