"""The OpenAPI document says what the service enforces (issue 11, item 11), on both
databases: page sizes have a declared maximum, dates are ISO 8601 and never numbers, a 405
names every method the path serves, HEAD answers wherever GET does."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.service.conftest import PAIR, Keys


def test_every_page_size_declares_its_maximum(demo_client: TestClient) -> None:
    paths = demo_client.get("/openapi.json").json()["paths"]
    for path in ("/v1/events", "/v1/audit", "/v1/outcomes", "/v1/forecasts/{pair_id}/ledger"):
        (limit,) = [p for p in paths[path]["get"]["parameters"] if p["name"] == "limit"]
        schema = limit["schema"].get("anyOf", [limit["schema"]])[0]
        assert schema["maximum"] == 500 and schema["minimum"] == 1, (path, limit)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/audit?since=0.5", "since"),
        ("/v1/events?occurred_from=0", "occurred_from"),
        ("/v1/events?recorded_to=1700000000", "recorded_to"),
        (f"/v1/forecasts/{PAIR}?as_of=12", "as_of"),
        (f"/v1/forecasts/{PAIR}/history?start=-3", "start"),
    ],
)
def test_a_number_is_not_a_date(demo_client: TestClient, keys: Keys, path: str, field: str) -> None:
    r = demo_client.get(path, headers=keys.headers("admin"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert "ISO 8601" in r.json()["errors"][0]["message"]


def test_iso_dates_still_work(demo_client: TestClient, keys: Keys) -> None:
    r = demo_client.get("/v1/audit?since=2025-01-01T00:00:00Z", headers=keys.headers("admin"))
    assert r.status_code == 200
    r = demo_client.get("/v1/events?occurred_from=2025-01-01", headers=keys.headers("reader"))
    assert r.status_code == 200


def test_a_405_allows_every_method_the_path_serves(demo_client: TestClient, keys: Keys) -> None:
    r = demo_client.put("/v1/events", json={}, headers=keys.headers("analyst"))
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    r = demo_client.delete(f"/v1/forecasts/{PAIR}", headers=keys.headers("reader"))
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


def test_head_answers_with_get_s_headers_and_no_body(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    got = demo_client.get(f"/v1/forecasts/{PAIR}", headers=h)
    head = demo_client.head(f"/v1/forecasts/{PAIR}", headers=h)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert demo_client.head("/healthz").status_code == 200
    assert demo_client.head(f"/v1/forecasts/{PAIR}").status_code == 401  # no key: as GET
    stream = demo_client.head("/v1/forecasts/stream", headers=h)  # ends at the headers
    assert stream.status_code == 200 and stream.content == b""
    assert stream.headers["content-type"].startswith("text/event-stream")
