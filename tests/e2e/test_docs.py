"""`/docs` renders in Chromium with every request off this machine blocked (issue 12, item
3): Swagger UI's assets come from the installed package, not a CDN."""

from __future__ import annotations

from playwright.sync_api import Browser, Route, expect

from tests.e2e.conftest import Server


def test_docs_render_offline(browser: Browser, server: Server) -> None:
    page = browser.new_page()
    elsewhere: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        if url.startswith(server.url) or url.startswith("data:"):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_this_server)
    page.set_default_timeout(15_000)
    page.goto(server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Riftcast")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert elsewhere == []
