"""The dashboard's track-record view in Chromium (issue 15): empty until an outcome settles
a forecast, then the record by horizon, movement and run, and the reliability plot.

A module of its own: its server (module-scoped) gets a pair, a forecast and a rupture that
no other browser test expects.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import Server
from tests.e2e.test_dashboard import LAPTOP, api, open_dashboard

pytestmark = pytest.mark.e2e

NEW_PAIR = "east-wing--west-wing"


def _settle_a_forecast(server: Server) -> None:
    """A new pair, an event (its forecast goes into the ledger), then its rupture today:
    the forecast's four windows are settled, each with a rupture inside it."""
    today = datetime.now(UTC).date().isoformat()
    with api(server, server.admin_key) as admin:
        for fid in ("east-wing", "west-wing"):
            r = admin.post("/v1/factions", json={"id": fid, "name": fid, "movement": "Wings"})
            assert r.status_code == 201, r.text
    with api(server, server.analyst_key) as analyst:
        event = {
            "faction_a": "east-wing",
            "faction_b": "west-wing",
            "type": "defection",
            "occurred_on": today,
            "source": "e2e",
            "reliability": "B",
            "credibility": 2,
        }
        assert analyst.post("/v1/events", json=event).status_code == 201
        deadline = time.monotonic() + 10
        while not analyst.get(f"/v1/forecasts/{NEW_PAIR}/ledger").json()["items"]:
            assert time.monotonic() < deadline, "the ledger never recorded the forecast"
            time.sleep(0.1)
        outcome = {"faction_a": "east-wing", "faction_b": "west-wing", "status": "ruptured"}
        r = analyst.post("/v1/outcomes", json={**outcome, "on": today})
        assert r.status_code == 201, r.text


def test_the_track_record_view(browser: Browser, server: Server) -> None:
    page = open_dashboard(browser, server, server.reader_key, LAPTOP)
    page.click("#track-link")
    expect(page.locator("#track-view")).to_be_visible()
    expect(page.locator("#track-note")).to_contain_text(
        "No forecast has been settled", timeout=20_000
    )
    expect(page.locator("#horizon-picker")).to_be_hidden()

    _settle_a_forecast(server)
    # Reloaded (the key stays in the tab), the page opens on the track record again; the
    # overview is not loaded on the way, so its sixty charts do not queue ahead of it.
    page.reload()
    expect(page.locator("#track-note")).to_contain_text(
        "4 settled forecast window(s), 4 with", timeout=20_000
    )
    horizons = page.locator("#track-tables tr[data-key]")
    expect(page.locator("#track-tables h2")).to_have_text(
        ["All settled forecasts", "By horizon", "By movement", "By model run"]
    )
    # one overall row, four horizons, one movement, one run (the priors)
    expect(horizons).to_have_count(1 + 4 + 1 + 1)
    expect(page.locator("#track-tables tr[data-key='Wings'] td").first).to_have_text("4")
    expect(page.locator("#track-tables tr[data-key='priors only']")).to_be_visible()
    expect(page.locator("#track-reliability svg circle.bin").first).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
