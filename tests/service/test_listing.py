"""The listing of every pair's forecast, a page at a time (issue 16): pages join up to the
whole sorted listing, a cursor continues after its item even when the listing changed,
and a bad cursor or limit is a 422 that names it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from service.app import create_app
from service.listing import MAX_KEPT_PAGES, ORDERS, Listing, sort_key
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from tests.factories import event_body
from tests.service.conftest import Keys


def _pages(client: TestClient, h: dict[str, str], query: str) -> list[dict[str, Any]]:
    """Every page of a listing query, following `next_cursor`."""
    pages = [client.get(f"/v1/forecasts?{query}", headers=h).json()]
    while pages[-1]["next_cursor"]:
        cursor = pages[-1]["next_cursor"]
        r = client.get(f"/v1/forecasts?{query}&cursor={cursor}", headers=h)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        assert len(pages) < 100, "the cursors do not end"
    return pages


def _ids(pages: list[dict[str, Any]]) -> list[str]:
    return [item["pair_id"] for page in pages for item in page["items"]]


def test_pages_join_up_to_the_whole_listing_in_every_order(
    demo_client: TestClient, keys: Keys
) -> None:
    h = keys.headers("reader")
    every = {p["id"] for p in demo_client.get("/v1/pairs", headers=h).json()["items"]}
    assert len(every) == 4  # the demo: pages of 1 and of 3
    for order in ORDERS:
        whole = demo_client.get(f"/v1/forecasts?horizon=90&sort={order}&limit=500", headers=h)
        assert whole.json()["next_cursor"] is None
        for limit in (1, 3):
            pages = _pages(demo_client, h, f"horizon=90&sort={order}&limit={limit}")
            assert [len(p["items"]) for p in pages] == {1: [1, 1, 1, 1], 3: [3, 1]}[limit]
            assert _ids(pages) == [i["pair_id"] for i in whole.json()["items"]]
            assert set(_ids(pages)) == every
    default = demo_client.get("/v1/forecasts", headers=h).json()
    assert len(default["items"]) == len(every) and default["next_cursor"] is None  # < 25


def test_the_default_page_is_the_configured_forecast_page_size(
    settings: Settings, keys: Keys, demo: Database
) -> None:
    h = keys.headers("reader")
    app = create_app(settings.model_copy(update={"forecast_page_size": 3}))
    with TestClient(app) as client:
        first = client.get("/v1/forecasts", headers=h).json()
        assert len(first["items"]) == 3 and first["next_cursor"]
        whole = client.get("/v1/forecasts?limit=4", headers=h).json()
        assert [i["pair_id"] for i in first["items"]] == [i["pair_id"] for i in whole["items"]][:3]


def test_a_page_has_its_own_etag_and_answers_304(demo_client: TestClient, keys: Keys) -> None:
    h = keys.headers("reader")
    first = demo_client.get("/v1/forecasts?limit=1", headers=h)
    second = demo_client.get(
        f"/v1/forecasts?limit=1&cursor={first.json()['next_cursor']}", headers=h
    )
    assert second.status_code == 200, second.text
    assert second.headers["etag"] != first.headers["etag"]
    again = demo_client.get(
        f"/v1/forecasts?limit=1&cursor={first.json()['next_cursor']}",
        headers={**h, "If-None-Match": second.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""


def test_a_cursor_continues_after_its_item_when_the_listing_changed_between_pages(
    demo_client: TestClient, keys: Keys
) -> None:
    """Keyset paging: writes between two pages move the last pair to the top; every other
    pair is still served exactly once across the pages (an offset would serve one twice),
    and the next page starts after the cursor's item as it was when served."""
    h = keys.headers("reader")
    moved = "afghan-taliban--bla"
    query = "horizon=365&sort=-probability&limit=2"
    first = demo_client.get(f"/v1/forecasts?{query}", headers=h).json()
    assert moved not in [i["pair_id"] for i in first["items"]]
    for kind in ("killing", "defection", "purge_or_arrest"):
        body = event_body(
            faction_a="afghan-taliban",
            faction_b="bla",
            type=kind,
            occurred_on=utcnow().date().isoformat(),
            intensity=1.0,
        )
        assert demo_client.post("/v1/events", json=body, headers=keys.headers("analyst")).is_success
    now = demo_client.get(f"/v1/forecasts?{query}", headers=h).json()
    assert now["items"][0]["pair_id"] == moved  # it moved past the cursor
    pages = [first]
    while cursor := pages[-1]["next_cursor"]:
        pages.append(demo_client.get(f"/v1/forecasts?{query}&cursor={cursor}", headers=h).json())
    served = _ids(pages)
    every = {p["id"] for p in demo_client.get("/v1/pairs", headers=h).json()["items"]}
    assert sorted(served) == sorted(every - {moved})

    def p365(item: dict[str, Any]) -> float:
        return float(next(x["probability"] for x in item["horizons"] if x["horizon_days"] == 365))

    assert all(p365(i) <= p365(first["items"][-1]) for i in pages[1]["items"])


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("cursor=not-a-cursor", "cursor", "not a cursor"),
        ("cursor=", "cursor", "not a cursor"),
        ("cursor=WzkwLCJwYWlyIixOYU4sImEtLWIiXQ", "cursor", "not a cursor"),  # NaN
        ("limit=0", "limit", ""),
        ("limit=501", "limit", ""),
        ("limit=ten", "limit", ""),
    ],
)
def test_a_bad_cursor_or_limit_is_a_422_naming_it(
    demo_client: TestClient, keys: Keys, query: str, field: str, words: str
) -> None:
    r = demo_client.get(f"/v1/forecasts?{query}", headers=keys.headers("reader"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"].endswith(field)
    assert words in r.text


def test_a_cursor_of_another_horizon_or_order_is_refused(
    demo_client: TestClient, keys: Keys
) -> None:
    h = keys.headers("reader")
    cursor = demo_client.get("/v1/forecasts?horizon=90&sort=pair&limit=1", headers=h).json()[
        "next_cursor"
    ]
    for query in ("horizon=90&sort=-probability", "horizon=365&sort=pair"):
        r = demo_client.get(f"/v1/forecasts?{query}&cursor={cursor}", headers=h)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"].endswith("cursor")
        assert "horizon=90&sort=pair" in r.text


# -- the listing itself, without a server -------------------------------------------------

ITEMS = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.999]),  # ties: the pair id breaks them
        st.text("abcxyz-", min_size=1, max_size=6),
    ),
    unique_by=lambda item: item[1],
    max_size=40,
)


@given(ITEMS, st.sampled_from(ORDERS), st.integers(1, 12))
def test_following_the_cursors_gives_the_whole_sorted_listing_once(
    items: list[tuple[float, str]], order: str, limit: int
) -> None:
    ranked = [(sort_key(order, p, pid), json.dumps({"pair_id": pid}).encode()) for p, pid in items]
    listing = Listing(90, order, ranked, limit)
    page, served = json.loads(listing.first.body), []
    while True:
        assert len(page["items"]) <= limit
        served += [i["pair_id"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        assert len(page["items"]) == limit
        page = json.loads(listing.page(page["next_cursor"], limit).body)
    assert served == [key[1] for key, _ in sorted(ranked)]


def test_pages_are_built_once_and_a_bounded_number_kept() -> None:
    ranked = [(sort_key("pair", 0.0, f"p{i:03}"), b'{"pair_id":"p%03d"}' % i) for i in range(200)]
    listing = Listing(90, "pair", ranked, 10)
    assert listing.page(None, 10) is listing.first
    second = listing.page(json.loads(listing.first.body)["next_cursor"], 10)
    assert listing.peek_page(json.loads(listing.first.body)["next_cursor"], 10) is second
    for limit in range(1, 2 * MAX_KEPT_PAGES):
        listing.page(None, limit)
    assert listing.peek_page(None, 2 * MAX_KEPT_PAGES - 1) is None  # built, not kept
    assert listing.peek_page(None, 10) is listing.first
