"""The dashboard as ES modules (issue 14, item 5): every module the page imports is served
from this origin as JavaScript under the strict CSP, the page runs them with no console
error, and the horizons and the ICD 203 sentence it shows are the ones GET /v1/meta gives,
not a copy in the script."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect

from models.phrases import FOOTNOTE
from tests.e2e.conftest import PAIR, Server
from tests.e2e.test_dashboard import LAPTOP, api, open_dashboard, open_pair

pytestmark = pytest.mark.e2e

STATIC = Path(__file__).resolve().parents[2] / "service" / "static"
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']""", re.M | re.S)
ENTRY = "/static/js/main.js"


def module_graph(server: Server) -> dict[str, str]:
    """Every module reachable from the page's entry by static imports, fetched as the
    browser would: {path: source}."""
    seen: dict[str, str] = {}
    todo = [ENTRY, "/static/extract.js"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        r = httpx.get(server.url + path, timeout=10)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/javascript"), path
        assert "script-src 'self'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff", path
        seen[path] = r.text
        for spec in IMPORT.findall(r.text):
            assert spec.startswith("./") or spec.startswith("../"), (path, spec)  # no CDN
            todo.append(str(httpx.URL(server.url + path).join(spec).path))
    return seen


def test_the_page_loads_its_modules_from_this_origin(browser: Browser, server: Server) -> None:
    page = httpx.get(server.url + "/", timeout=10).text
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all('type="module"' in s for s in scripts), scripts
    assert f'src="{ENTRY}"' in page
    graph = module_graph(server)
    shipped = {"/static/" + p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js")}
    assert set(graph) == shipped  # every shipped script is used, none is left behind
    assert len(graph) >= 8  # api, stream, format, chart, views…: not one big script
    for source in graph.values():
        # The scale has one copy, models/phrases.py: no script writes the sentence.
        assert "5–20%" not in source and "almost certain" not in source

    # Chromium runs them: signed in, the overview and a pair page, no console error.
    tab = open_dashboard(browser, server, server.reader_key, LAPTOP)
    open_pair(tab)
    expect(tab.locator("#pair-sentence")).to_contain_text("We assess")
    assert tab.errors == []  # type: ignore[attr-defined]
    tab.close()


def test_the_horizons_and_the_icd_sentence_come_from_the_api(
    browser: Browser, server: Server
) -> None:
    with api(server, server.reader_key) as client:
        meta = client.get("/v1/meta").json()
    assert meta["estimative_note"] == FOOTNOTE
    page = open_dashboard(browser, server, server.reader_key, LAPTOP)
    note = page.locator("#estimative-note")
    expect(note).to_be_visible()
    expect(note).to_have_text(meta["estimative_note"])
    labels = page.locator("#horizon-picker label")
    expect(labels).to_have_count(len(meta["horizons"]))
    assert labels.all_inner_texts() == [f"{h} days" for h in meta["horizons"]]
    open_pair(page)
    expect(note).to_have_text(meta["estimative_note"])
    page.goto(page.url.split("#")[0] + "#/track-record")
    expect(page.locator("#track-view")).to_be_visible()
    expect(note).to_be_hidden()
    assert page.errors == []  # type: ignore[attr-defined]
    page.close()

    # Whatever the API says, the page shows: another sentence and fewer horizons.
    changed = {**meta, "horizons": [90, 365], "estimative_note": "A sentence from the API."}

    def altered(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(changed))

    page = browser.new_page(viewport=LAPTOP)  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.route("**/v1/meta", altered)
    page.goto(server.url + f"/#/pair/{PAIR}?h=365")
    page.fill("#key-input", server.reader_key)
    page.press("#key-input", "Enter")
    expect(page.locator("#estimative-note")).to_have_text("A sentence from the API.")
    expect(page.locator("#horizon-picker label")).to_have_count(2)
    expect(page.locator("#horizon-picker input:checked")).to_have_value("365")
    expect(page.locator("#chart-title")).to_contain_text("365 days")
    assert errors == []
    page.close()
