"""GET /v1/meta: the configured horizons and the ICD 203 sentence, from the one place each
is defined (issue 14, item 5), so the dashboard, the brief and the command line keep no copy."""

from __future__ import annotations

from itertools import pairwise

from fastapi.testclient import TestClient

from models import phrases
from service import report
from service.app import create_app
from signals.config import Settings
from tests.service.conftest import Keys


def test_meta_gives_the_horizons_and_the_icd_sentence(client: TestClient, keys: Keys) -> None:
    r = client.get("/v1/meta", headers=keys.headers("reader"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["horizons"] == [30, 90, 180, 365]
    assert body["estimative_note"] == phrases.FOOTNOTE == report.ICD203
    scale = body["estimative_scale"]
    assert [b["phrase"] for b in scale] == list(phrases.PHRASES)
    # The bands tile 1–99% and the sentence is read off them, band by band.
    assert scale[0]["lower"] == 0.01 and scale[-1]["upper"] == 0.99
    assert all(a["upper"] == b["lower"] for a, b in pairwise(scale))
    for band, text in zip(scale, phrases.RANGES, strict=True):
        assert phrases.phrase((band["lower"] + band["upper"]) / 2) == band["phrase"]
        lo, hi = (str(int(x)) for x in text.rstrip("%").split("–"))
        assert f"{band['phrase']} {lo}–{hi}%" in body["estimative_note"]
    assert client.get("/v1/meta").status_code == 401


def test_meta_follows_the_configured_horizons(settings: Settings, keys: Keys) -> None:
    app = create_app(settings.model_copy(update={"horizons": [14, 60]}))
    with TestClient(app) as c:
        body = c.get("/v1/meta", headers=keys.headers("reader")).json()
    assert body["horizons"] == [14, 60]


def test_the_command_line_prints_the_same_sentence() -> None:
    from datetime import UTC, date, datetime

    from models.results import HorizonResult, PairForecast
    from service.commands.model import render_forecast

    f = PairForecast(
        pair_id="a--b",
        faction_a="a",
        faction_b="b",
        status="cohesive",
        as_of=datetime(2025, 3, 2, tzinfo=UTC),
        on=date(2025, 3, 2),
        horizons=(HorizonResult(90, 0.3, 0.2, 0.4, "unlikely", False),),
        type_drivers=(),
        event_drivers=(),
        run=None,
        prior_only=True,
        pooled_alpha=False,
        n_events=0,
        taxonomy_version="2025.1",
    )
    assert render_forecast(f).splitlines()[-1] == phrases.FOOTNOTE
