"""The "Paste an article" panel in a real Chromium against a real server (issue 13).

Why end to end: the panel's promise — paste, see the evidence highlighted, edit, tick,
record once, see the forecast move — only holds if the module loads under the page's CSP,
the extract and batch-write routes agree with it, and a retried click records nothing twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import Server
from tests.e2e.test_dashboard import LAPTOP, api, open_dashboard

pytestmark = pytest.mark.e2e

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed-afghanistan-2025-03-02.txt"


def paste(page: Page, text: str, published: str = "2025-03-02") -> None:
    panel = page.locator("#extract-panel")
    if panel.get_attribute("open") is None:
        page.click("#extract-panel > summary")
    page.fill("#x-text", text)
    page.fill("#x-published", published)
    page.fill("#x-source", "Seed article (e2e)")
    page.click("#x-run")


def test_paste_edit_tick_and_record(browser: Browser, server: Server, artifacts: Path) -> None:
    page = open_dashboard(browser, server, server.analyst_key, LAPTOP)
    text = SEED.read_text("utf-8")
    paste(page, text)
    rows = page.locator("#x-rows tr.x-row")
    expect(rows.first).to_be_visible()
    n = rows.count()
    assert n >= 10
    # Every suggestion's evidence is highlighted in the article, numbered like its row.
    marks = page.locator("#x-article mark.x-mark")
    assert marks.count() >= n - 2  # spans shared by two suggestions show once
    assert page.locator("#x-article").inner_text().replace("\n", "").startswith("Situation")
    expect(page.locator("#x-unresolved")).to_contain_text("ETIM")
    # Record two, one of them edited: a different grading.
    page.click("#x-all")
    if page.locator("#x-rows input[type=checkbox]:checked").count():
        page.click("#x-all")
    assert page.locator("#x-rows input[type=checkbox]:checked").count() == 0
    page.check("#x-ok-0")
    page.check("#x-ok-1")
    page.select_option("#x-rel-0", "B")
    page.select_option("#x-cred-0", "2")
    page.screenshot(path=str(artifacts / "extract-panel.png"), full_page=True)
    first_pair = page.locator("#x-a-0").input_value(), page.locator("#x-b-0").input_value()
    a, b = sorted(first_pair)

    def mine() -> list[dict[str, object]]:
        with api(server, server.reader_key) as client:
            got = client.get("/v1/events", params={"pair": f"{a}--{b}", "limit": 500}).json()
        return [e for e in got["items"] if e["source"] == "Seed article (e2e)"]

    # The first answer is lost on the way back although the server recorded the batch: the
    # panel says so, and the retry replays the same Idempotency-Key, recording nothing twice.
    def lose_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fetch()
        route.abort()

    page.route("**/v1/events", lose_answer, times=1)
    page.click("#x-record")
    expect(page.locator("#x-status")).to_have_class("form-status x-error")
    recorded = len(mine())
    assert recorded >= 1
    page.click("#x-record")
    expect(page.locator("#x-status")).to_have_text("Recorded 2 events as one batch.")
    expect(page.locator("#x-moves .x-move").first).to_contain_text("%")
    expect(page.locator("#x-record")).to_be_disabled()
    assert len(mine()) == recorded
    assert any(e["reliability"] == "B" and e["credibility"] == 2 for e in mine())
    errors = [e for e in page.errors if "Failed to fetch" not in e and "ERR_FAILED" not in e]  # type: ignore[attr-defined]
    assert errors == []


def test_bad_input_is_shown_at_the_field(browser: Browser, server: Server) -> None:
    page = open_dashboard(browser, server, server.analyst_key, LAPTOP)
    paste(page, "   ")
    expect(page.locator("#x-err-text")).to_be_visible()
    expect(page.locator("#x-text")).to_have_attribute("aria-invalid", "true")
    paste(page, "Die Bewegung bestreitet jede Spaltung zwischen den Flügeln.")
    expect(page.locator("#x-notes")).to_contain_text("Only English")
    expect(page.locator("#x-rows tr")).to_have_count(0)


def test_a_reader_cannot_extract(browser: Browser, server: Server) -> None:
    page = open_dashboard(browser, server, server.reader_key, LAPTOP)
    paste(page, SEED.read_text("utf-8"))
    expect(page.locator("#x-status")).to_contain_text("role")
    expect(page.locator("#x-results")).to_be_hidden()
