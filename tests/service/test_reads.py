"""Reads: filters, cursor pagination, 404/405 problems, ops endpoints."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient

from tests.service.conftest import PAIR, Keys


def test_lists(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    assert any(
        f["id"] == "haqqani-network"
        for f in demo_client.get("/v1/factions", headers=h).json()["items"]
    )
    pairs = demo_client.get("/v1/pairs", headers=h).json()["items"]
    assert PAIR in {p["id"] for p in pairs}
    assert demo_client.get(f"/v1/pairs/{PAIR}", headers=h).json()["id"] == PAIR
    types = demo_client.get("/v1/indicator-types", headers=h).json()
    assert types["version"] and types["items"][0]["key"]
    assert demo_client.get("/v1/outcomes", headers=h).json()["items"]
    assert demo_client.get("/v1/model/runs", headers=h).json() == {"items": []}
    assert demo_client.get("/v1/model/runs/NOPE", headers=h).status_code == 404


def test_event_filters_and_cursor(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    everything = demo_client.get("/v1/events?limit=500", headers=h).json()["items"]
    assert len(everything) > 3
    seen, cursor = [], None
    while True:
        url = "/v1/events?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = demo_client.get(url, headers=h).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["id"] for e in seen] == [e["id"] for e in everything]
    one = everything[0]
    r = demo_client.get(f"/v1/events?pair={PAIR}&type={one['type']}", headers=h).json()["items"]
    assert r and all(e["pair_id"] == PAIR and e["type"] == one["type"] for e in r)
    r = demo_client.get("/v1/events?occurred_from=2999-01-01", headers=h).json()["items"]
    assert r == []
    r = demo_client.get("/v1/events?as_of=2000-01-01T00:00:00Z", headers=h).json()["items"]
    assert r == []
    r = demo_client.get("/v1/events?recorded_to=2000-01-01T00:00:00", headers=h).json()["items"]
    assert r == []
    assert demo_client.get("/v1/events?as_of=notadate", headers=h).status_code == 422
    r = demo_client.get("/v1/events?as_of=9999-12-31T23:59:59-05:00", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "as_of"
    assert demo_client.get("/v1/events/NOPE", headers=h).status_code == 404


def test_unknown_route_and_method_are_problems(demo_client: TestClient, keys: Keys) -> None:
    r = demo_client.get("/v1/nothing", headers=keys.headers("reader"))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = demo_client.delete("/v1/factions", headers=keys.headers("admin"))
    assert r.status_code == 405 and r.json()["status"] == 405


def test_ops(demo_client: TestClient, keys: Keys) -> None:
    assert demo_client.get("/healthz").json() == {"status": "ok"}
    assert demo_client.get(f"/v1/forecasts/{PAIR}", headers=keys.headers("reader")).is_success
    metrics = demo_client.get("/metrics")
    assert metrics.status_code == 200
    assert "riftcast_http_requests_total" in metrics.text
    assert 'riftcast_forecast_cache_total{result="miss"}' in metrics.text
    assert "riftcast_events_accepted_total 0.0" in metrics.text
    spec = demo_client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    for name, schema in spec["components"]["schemas"].items():
        if name in ("Problem", "FieldError") or name.startswith(("Body_", "ValidationError")):
            continue
        assert schema.get("description"), name
    assert demo_client.get("/docs").status_code == 200


def test_a_pair_id_in_either_order_names_the_same_pair(demo_client: TestClient, keys: Keys) -> None:
    """`b--a` is read as the stored `a--b` in every URL, as the CLI and importers read it."""
    h = keys.headers("reader")
    a, _, b = PAIR.partition("--")
    reversed_id = f"{b}--{a}"
    assert demo_client.get(f"/v1/pairs/{reversed_id}", headers=h).json()["id"] == PAIR
    forecast = demo_client.get(f"/v1/forecasts/{reversed_id}", headers=h)
    assert forecast.status_code == 200 and forecast.json()["pair_id"] == PAIR
    assert (
        forecast.headers["etag"]
        == demo_client.get(f"/v1/forecasts/{PAIR}", headers=h).headers["etag"]
    )
    history = demo_client.get(f"/v1/forecasts/{reversed_id}/history", headers=h)
    assert history.status_code == 200 and history.json()["pair_id"] == PAIR
    events = demo_client.get(f"/v1/events?pair={reversed_id}", headers=h).json()["items"]
    assert events and {e["pair_id"] for e in events} == {PAIR}
    outcomes = demo_client.get(f"/v1/outcomes?pair={reversed_id}", headers=h).json()["items"]
    assert {o["pair_id"] for o in outcomes} == {PAIR}
    wrong = demo_client.get(f"/v1/forecasts/{a}--nobody", headers=h)
    assert wrong.status_code == 404


def test_probabilities_carry_only_the_digits_the_model_can_claim(
    demo_client: TestClient, keys: Keys
) -> None:
    """Two significant figures of the distance from 0 or 1, not a float's seventeen."""
    body = demo_client.get(f"/v1/forecasts/{PAIR}", headers=keys.headers("reader")).json()
    values = [h[k] for h in body["horizons"] for k in ("probability", "lower", "upper")]
    values += [e[k] for e in body["event_drivers"] for k in ("p_with", "p_without")]
    assert values
    for v in values:
        distance = min(v, 1 - v)
        if distance > 0:
            scaled = distance / 10 ** (math.floor(math.log10(distance)) - 1)
            assert abs(scaled - round(scaled)) < 1e-6, v
    # A driver's evidence, contribution and share: three significant figures.
    figures = [d[k] for d in body["type_drivers"] for k in ("evidence", "contribution", "share")]
    assert figures and any(v and v != round(v, 1) for v in figures)  # not all round numbers
    for v in figures:
        if v:
            scaled = abs(v) / 10 ** (math.floor(math.log10(abs(v))) - 2)
            assert abs(scaled - round(scaled)) < 1e-6, v
