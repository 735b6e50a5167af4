"""The pair page's history chart shows a recent window (issue 12, item 4).

Years of history squeezed into one chart made this week's events a pixel at its right
edge. The chart opens on the last 12 months ending today, marks "now", fits its y-axis to
the points it shows, widens on request, and spreads markers of one day so that each can be
pointed at. Its own module, so the events it records do not disturb the other pages' tests.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import PAIR, Server
from tests.e2e.test_dashboard import LAPTOP, PHONE, api, open_dashboard, open_pair

pytestmark = pytest.mark.e2e


def years_back(today: date, years: int) -> date:
    """The same day `years` earlier, as the dashboard counts it (29 February: 1 March)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return date(today.year - years, 3, 1)


def ticks(page: Page) -> list[date]:
    dates = page.locator("#chart text.tick-x").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-date'))"
    )
    return [date.fromisoformat(d) for d in dates]


def record(server: Server, day: date, actor: str, kind: str) -> str:
    payload = {
        "faction_a": "haqqani-network",
        "faction_b": "kandahar-leadership",
        "type": kind,
        "occurred_on": day.isoformat(),
        "actor": actor,
        "source": "E2E chart wire",
        "reliability": "B",
        "credibility": 2,
    }
    with api(server, server.analyst_key) as client:
        r = client.post("/v1/events", json=payload)
    assert r.status_code == 201, r.text
    return str(r.json()["items"][0]["id"])


def test_chart_opens_on_the_last_year_and_widens(
    browser: Browser, server: Server, artifacts: Path
) -> None:
    today = datetime.now(UTC).date()
    same_day = today - timedelta(days=20)
    ids = [
        record(server, same_day, "Same-day commander A", "defection"),
        record(server, same_day, "Same-day commander B", "purge_or_arrest"),
    ]
    with api(server, server.reader_key) as client:
        events = client.get("/v1/events", params={"pair": PAIR}).json()["items"]
    oldest = min(date.fromisoformat(e["occurred_on"][:10]) for e in events)
    assert today - oldest > timedelta(days=3 * 365), "the demo has events years back"

    page = open_dashboard(browser, server, server.reader_key, LAPTOP)
    open_pair(page)
    expect(page.locator("#chart-window input[value='1y']")).to_be_checked()

    # The default window: the last 12 months to today, and "now" marked and labelled.
    year_ago = years_back(today, 1)
    first = ticks(page)[0]
    assert year_ago <= first <= year_ago + timedelta(days=62), first
    assert ticks(page)[-1] <= today + timedelta(days=31)
    now = page.locator("#chart [data-testid='now']")
    expect(now).to_have_count(1)
    expect(now).to_have_attribute("data-date", today.isoformat())
    expect(now.locator("text")).to_have_text("now")
    chart = page.locator("#chart svg").bounding_box()
    now_box = now.locator("text").bounding_box()
    assert chart and now_box
    assert chart["x"] <= now_box["x"], "the label of now is inside the chart"
    assert now_box["x"] + now_box["width"] <= chart["x"] + chart["width"]

    # Only the events of the window are drawn; the older ones are counted under the chart.
    recent = [e for e in events if date.fromisoformat(e["occurred_on"][:10]) >= year_ago]
    markers = page.locator("#chart .marker")
    expect(markers).to_have_count(len(recent))
    expect(page.locator("#chart-note")).to_contain_text(f"{len(events) - len(recent)} earlier")

    # Two events of one day sit apart, and each can be hovered for its own details.
    boxes = [page.locator(f"#chart .marker[data-event='{i}'] .mark").bounding_box() for i in ids]
    assert boxes[0] and boxes[1]
    centres = [b["x"] + b["width"] / 2 for b in boxes if b]
    assert abs(centres[0] - centres[1]) >= 10, centres
    for event_id, actor in zip(ids, ["Same-day commander A", "Same-day commander B"], strict=True):
        page.hover(f"#chart .marker[data-event='{event_id}'] .hit")
        expect(page.locator("#tooltip")).to_be_visible()
        expect(page.locator("#tooltip")).to_contain_text(actor)
    page.mouse.move(0, 0)
    page.screenshot(path=str(artifacts / "dashboard-chart-year.png"), full_page=True)

    # Widening shows the older history and every event; the choice survives a redraw.
    page.click("#chart-window label:has-text('All')")
    expect(page.locator("#chart .marker")).to_have_count(len(events))
    assert ticks(page)[0] <= oldest + timedelta(days=366)
    expect(page.locator("#chart-note")).to_be_hidden()
    page.locator("#chart").screenshot(path=str(artifacts / "dashboard-chart-all.png"))
    page.click("#chart-window label:has-text('3 years')")
    three_years = years_back(today, 3).isoformat()
    expect(page.locator("#chart svg")).to_have_attribute("data-start", three_years)
    assert years_back(today, 3) <= ticks(page)[0] < year_ago
    before = page.locator("#chart svg").get_attribute("width") or ""
    page.set_viewport_size(PHONE)
    expect(page.locator("#chart svg")).not_to_have_attribute("width", before)
    expect(page.locator("#chart svg")).to_have_attribute("data-start", three_years)
    expect(page.locator("#chart-window input[value='3y']")).to_be_checked()
    page.locator("#chart").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dashboard-chart-phone.png"))
    page.click("#chart-window label:has-text('Last 12 months')")
    expect(page.locator("#chart .marker")).to_have_count(len(recent))
    page.locator("#chart").screenshot(path=str(artifacts / "dashboard-chart-year-phone.png"))
    assert page.errors == []  # type: ignore[attr-defined]
    page.close()


def test_y_axis_fits_the_points_in_the_window(browser: Browser, server: Server) -> None:
    """Old history near 90% must not flatten a recent year near 10%: the axis is fitted to
    the points shown (the history the page reads is rewritten to make the contrast)."""
    today = datetime.now(UTC).date()
    cut = (today - timedelta(days=400)).isoformat()

    def rewrite(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        for p in body["points"]:
            old = p["on"] < cut
            p.update(probability=0.6 if old else 0.06, lower=0.4 if old else 0.03)
            p["upper"] = 0.9 if old else 0.12
        route.fulfill(response=response, json=body)

    page = open_dashboard(browser, server, server.reader_key, LAPTOP)
    page.route("**/v1/forecasts/*/history*", rewrite)
    open_pair(page)
    axis = page.locator("#chart text.tick-y")
    expect(axis.filter(has_text="%").last).to_have_text("20%")
    page.click("#chart-window label:has-text('All')")
    expect(axis.filter(has_text="%").last).to_have_text("100%")
    page.click("#chart-window label:has-text('Last 12 months')")
    expect(axis.filter(has_text="%").last).to_have_text("20%")
    assert page.errors == []  # type: ignore[attr-defined]
    page.close()
