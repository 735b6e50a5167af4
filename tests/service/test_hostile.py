"""Hostile input on every write endpoint: always a 4xx problem+json, never a 500, never a
partial write. Property-based (hypothesis) plus the classic nasty strings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from signals.db import Database
from signals.tables import Faction, IndicatorEvent, Outcome, Pair, RefitJob
from tests.factories import event_body as event
from tests.service.conftest import PAIR, Keys

NASTY = [
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\U0001f4a5" * 50,
    "x" * 10_000,
    "'; DROP TABLE indicator_event; --",
    "<script>alert(1)</script>",
    '" OR 1=1 --',
    "${jndi:ldap://x}",
    "\ufeff",
    "",
    " ",
]
WRITES = [
    ("/v1/events", "analyst"),
    (f"/v1/forecasts/{PAIR}/what-if", "reader"),
    ("/v1/outcomes", "analyst"),
    ("/v1/factions", "admin"),
    ("/v1/model/refit", "admin"),
]
HYPO = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(NASTY),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def counts(db: Database) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(
            int(s.exec(select(func.count()).select_from(t)).one())
            for t in (Faction, Pair, IndicatorEvent, Outcome, RefitJob)
        )


def assert_refused(r: Any) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == r.status_code and body["title"] and body.get("detail")


@HYPO
@given(body=json_values)
def test_arbitrary_json_never_breaks_a_write(
    demo_client: TestClient, keys: Keys, db: Database, body: Any
) -> None:
    before = counts(db)
    for path, role in WRITES:
        r = demo_client.post(path, json=body, headers=keys.headers(role))
        if path.endswith("refit"):
            assert r.status_code < 500, r.text
            continue
        assert_refused(r)
    after = counts(db)
    assert after[:4] == before[:4]  # only a refit request may write, and only a job


@HYPO
@given(field=st.sampled_from(sorted(event())), value=json_values)
def test_one_bad_field_is_named_and_nothing_is_written(
    demo_client: TestClient, keys: Keys, db: Database, field: str, value: Any
) -> None:
    body = {**event(), field: value}
    before = counts(db)
    r = demo_client.post("/v1/events", json=[event(), body], headers=keys.headers("analyst"))
    if r.status_code == 201:  # the value happened to be valid (e.g. a plausible actor)
        assert counts(db)[2] == before[2] + 2
        return
    assert_refused(r)
    assert counts(db) == before  # the valid first item was not written either


@pytest.mark.parametrize("text", NASTY[2:10])
def test_injection_strings_are_stored_and_returned_inert(
    demo_client: TestClient, keys: Keys, db: Database, text: str
) -> None:
    before = counts(db)
    r = demo_client.post(
        "/v1/events",
        json=event(summary=text[:4000], actor=text[:200]),
        headers=keys.headers("analyst"),
    )
    assert r.status_code == 201, r.text
    stored = r.json()["items"][0]
    got = demo_client.get(f"/v1/events/{stored['id']}", headers=keys.headers("reader")).json()
    assert got["summary"] == text[:4000].strip() and got["actor"] == text[:200].strip()
    assert counts(db)[2] == before[2] + 1  # and the table is still there


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deep nesting
        b'{"faction_a": NaN}',
        b'{"intensity": Infinity}',
        b'{"summary": "\\ud800"}',  # a lone surrogate
        b"\xff\xfe not utf-8",
        b"",
        b"{",
        b"null",
    ],
)
def test_malformed_bodies(demo_client: TestClient, keys: Keys, db: Database, raw: bytes) -> None:
    before = counts(db)
    for path, role in WRITES:
        r = demo_client.post(
            path, content=raw, headers={**keys.headers(role), "Content-Type": "application/json"}
        )
        if path.endswith("/refit") and raw in (b"", b"null"):
            assert r.status_code == 202  # the refit request's body is optional
            continue
        assert_refused(r)
    assert counts(db)[:4] == before[:4]


def test_oversized_body_is_413(demo_client: TestClient, keys: Keys, db: Database) -> None:
    before = counts(db)
    big = json.dumps([event(summary="x" * 3000)] * 400).encode()
    assert len(big) > 1_000_000
    r = demo_client.post(
        "/v1/events",
        content=big,
        headers={**keys.headers("analyst"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert counts(db) == before


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("0001-01-01", False),
        ("1899-12-31", False),
        ("9999-12-31", False),
        ("2024-02-30", False),
        ("2024-02-29", True),
        ("2023-02-29", False),
        ("2024-13", False),
        ("2024", True),
        ("24-01-01", False),
        ("2024-1-1", False),
    ],
)
def test_dates_at_the_edges(
    demo_client: TestClient, keys: Keys, db: Database, value: str, ok: bool
) -> None:
    r = demo_client.post(
        "/v1/events", json=event(occurred_on=value), headers=keys.headers("analyst")
    )
    if ok:
        assert r.status_code == 201, r.text
    else:
        assert_refused(r)
        assert any(e["field"].endswith("occurred_on") for e in r.json()["errors"])


@pytest.mark.parametrize("value", [-1, 1.0000001, 1e308, -1e308, "1", None, [1], {"a": 1}])
def test_numbers_out_of_range(demo_client: TestClient, keys: Keys, value: object) -> None:
    r = demo_client.post("/v1/events", json=event(intensity=value), headers=keys.headers("analyst"))
    if value == "1":  # lax numeric strings are accepted as numbers by design
        assert r.status_code == 201 and r.json()["items"][0]["intensity"] == 1.0
        return
    assert_refused(r)
    assert any(e["field"].endswith("intensity") for e in r.json()["errors"])


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/v1/events?actor=%00", "actor"),
        ("/v1/events?type=a%00b&pair=x", "type"),
        ("/v1/events/%00", "path"),
        (f"/v1/forecasts/{PAIR}%00", "path"),
        ("/v1/pairs?cursor=%00", "cursor"),
    ],
)
def test_a_nul_character_in_the_url_is_named(
    demo_client: TestClient, keys: Keys, url: str, field: str
) -> None:
    """No database stores NUL in text (PostgreSQL refuses it): a 422, never a 500."""
    r = demo_client.get(url, headers=keys.headers("reader"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == field
