"""The one-page brief (issue 5): PDF and PNG from one figure, its text, the CLI and the route.

The PDF's text is checked with pypdf because the brief is read by people who never see the
API: the pair, the ICD 203 phrases and the drivers must be in it as words, not only as
pixels.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pypdf import PdfReader

from models.results import HistoryPoint, PairForecast
from service.app import create_app
from service.commands import report as report_command
from service.forecasting.forecaster import Forecaster
from service.report import ICD203, assessment, build_figure, format_of, render_brief
from signals.config import Settings
from signals.db import Database
from signals.taxonomy import Taxonomy
from tests.factories import event_body as event
from tests.service.conftest import PAIR, Keys
from tests.service.servers import at_once, free_port

NAMES = {"haqqani-network": "Haqqani Network", "kandahar-leadership": "Kandahar leadership"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


@pytest.fixture
def forecaster(settings: Settings, demo: Database, taxonomy: Taxonomy) -> Forecaster:
    f = Forecaster(demo, settings, taxonomy)
    f.reload_run()
    return f


@pytest.fixture
def brief_inputs(forecaster: Forecaster) -> tuple[PairForecast, list[HistoryPoint]]:
    return forecaster.forecast(PAIR), forecaster.history(PAIR, 90)


def test_brief_renders_pdf_and_png_with_phrases_and_drivers(
    brief_inputs: tuple[PairForecast, list[HistoryPoint]], tmp_path: Path
) -> None:
    forecast, history = brief_inputs
    buffer = io.BytesIO()
    render_brief(forecast, history, buffer, "pdf", NAMES)
    text = pdf_text(buffer.getvalue())
    assert "Haqqani Network – Kandahar leadership" in text
    assert PAIR in text
    for h in forecast.horizons:
        assert h.phrase in text
        sentence = " ".join(assessment(h, *NAMES.values()).split())
        assert sentence[:60] in text
    assert forecast.type_drivers, "the demo pair has evidence in force"
    for d in forecast.type_drivers[:6]:
        assert d.label in text
    top = forecast.event_drivers[0]
    assert top.actor in text and "graded C3" in text
    assert "Priors only" in text  # no run is published in a fresh database

    png = tmp_path / "brief.png"
    render_brief(forecast, history, png, "png", NAMES)
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 50_000


def test_brief_sentence_reads_like_an_analyst() -> None:
    from models.results import HorizonResult

    h = HorizonResult(90, 0.24, 0.2, 0.3, "unlikely", False)
    assert assessment(h, "A", "B") == (
        "We assess it is unlikely (24%; 90% interval 20–30%) that A and B will split "
        "within the next 90 days."
    )
    remote = HorizonResult(365, 0.03, 0.001, 0.12, "remote", True)
    assert assessment(remote, "A", "B").startswith("We assess there is a remote chance (3.0%;")
    assert "within the next year" in assessment(remote, "A", "B")


def test_brief_without_history_or_drivers_still_renders(
    brief_inputs: tuple[PairForecast, list[HistoryPoint]],
) -> None:
    from dataclasses import replace

    forecast, _ = brief_inputs
    bare = replace(forecast, type_drivers=(), event_drivers=(), n_events=0)
    buffer = io.BytesIO()
    render_brief(bare, [], buffer, "pdf")
    text = pdf_text(buffer.getvalue())
    assert "haqqani-network – kandahar-leadership" in text  # ids when no names are given
    assert "No evidence in force" in text


def test_brief_format_comes_from_the_file_name() -> None:
    assert format_of("x/brief.PDF") == "pdf" and format_of("brief.png") == "png"
    with pytest.raises(ValueError):
        format_of("brief.svg")
    with pytest.raises(ValueError):
        render_brief(None, [], io.BytesIO(), "svg")  # type: ignore[arg-type]


def test_report_command_writes_pdf_and_png(
    settings: Settings, demo: Database, tmp_path: Path
) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    report_command.register(parser.add_subparsers())
    for name in ("brief.pdf", "brief.png"):
        out = tmp_path / name
        args = parser.parse_args(["report", PAIR, "--out", str(out)])
        assert args.func(args, settings) == 0
        assert out.stat().st_size > 10_000
    assert "Kandahar leadership" in pdf_text((tmp_path / "brief.pdf").read_bytes())
    with pytest.raises(Exception, match=r"\.pdf or \.png"):
        args = parser.parse_args(["report", PAIR, "--out", str(tmp_path / "brief.txt")])
        args.func(args, settings)


@pytest.fixture
def brief_client(settings: Settings, keys: Keys, demo: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def test_report_route_serves_the_pdf_to_readers(brief_client: TestClient, keys: Keys) -> None:
    demo_client = brief_client
    path = f"/v1/forecasts/{PAIR}/report.pdf"
    r = demo_client.get(path, headers=keys.headers("reader"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert "inline" in r.headers["content-disposition"]
    text = pdf_text(r.content)
    assert "Haqqani Network – Kandahar leadership" in text and "We assess" in text
    # A reader without a key, and an unknown pair, get problems, not PDFs.
    assert demo_client.get(path).status_code == 401
    missing = demo_client.get("/v1/forecasts/a--b/report.pdf", headers=keys.headers("reader"))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    chart_365 = demo_client.get(path, params={"horizon": 365}, headers=keys.headers("reader"))
    assert chart_365.status_code == 200
    assert "within 365 days" in pdf_text(chart_365.content)


def test_brief_states_the_runs_diagnostics(
    brief_inputs: tuple[PairForecast, list[HistoryPoint]],
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from models.results import RunInfo

    forecast, history = brief_inputs
    when = datetime(2025, 3, 2, tzinfo=UTC)
    run = RunInfo(
        id="01JNDX6Q9S00000000000000R1",
        created_at=when,
        cutoff=when,
        published=True,
        reason="",
        sampler="nutpie",
        taxonomy_version="2025.1",
        n_pairs=6,
        n_obs=1200,
        n_events=13,
        n_ruptures=2,
        max_rhat=1.004,
        min_ess_bulk=812.0,
        divergences=0,
        seconds=41.5,
    )
    fitted = replace(forecast, run=run, prior_only=False, notes=())
    buffer = io.BytesIO()
    render_brief(fitted, history, buffer, "pdf", NAMES)
    text = pdf_text(buffer.getvalue())
    assert run.id in text and "R-hat 1.004" in text and "bulk ESS 812" in text
    assert "0 divergences" in text and "Priors only" not in text


@pytest.fixture
def live_app(settings: Settings, keys: Keys, demo: Database) -> Iterator[tuple[str, FastAPI]]:
    """The app served by uvicorn in this process, so the test can read its brief cache."""
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(10)


def _all_at_once(url: str, key: str, paths: list[str]) -> list[httpx.Response]:
    return at_once(url, key, len(paths), lambda c, i: c.get(paths[i]), timeout=120)


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_briefs_are_kept_per_forecast_and_rendered_one_at_a_time(
    live_app: tuple[str, FastAPI], keys: Keys
) -> None:
    """Issue 11, item 9: eight readers asking for one brief cost one render; briefs of
    other pairs render one at a time; a write renders the pair's brief anew."""
    url, app = live_app
    briefs = app.state.briefs
    first = _all_at_once(url, keys.reader, [f"/v1/forecasts/{PAIR}/report.pdf"] * 8)
    assert {r.status_code for r in first} == {200}
    assert len({r.content for r in first}) == 1 and briefs.rendered == 1
    others = httpx.get(f"{url}/v1/pairs", headers=keys.headers("reader")).json()["items"]
    paths = [f"/v1/forecasts/{p['id']}/report.pdf" for p in others if p["id"] != PAIR][:3]
    assert len(paths) == 3
    assert {r.status_code for r in _all_at_once(url, keys.reader, paths * 2)} == {200}
    assert briefs.rendered == 4 and briefs.peak == 1
    etag = first[0].headers["etag"]
    h = keys.headers("reader")
    again = httpx.get(f"{url}/v1/forecasts/{PAIR}/report.pdf", headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and briefs.rendered == 4
    posted = httpx.post(
        f"{url}/v1/events", json=event(type="killing"), headers=keys.headers("analyst")
    )
    assert posted.status_code == 201
    fresh = httpx.get(f"{url}/v1/forecasts/{PAIR}/report.pdf", headers={**h, "If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["etag"] != etag and briefs.rendered == 5


# -- issue 12, item 4: the chart's window and the page's bounds ------------------------------


def text_positions(data: bytes) -> tuple[list[tuple[str, float, float]], float, float]:
    """Every non-empty piece of text in the PDF with where it starts (x, y in points, after
    the text and the current transformation matrices), and the page's width and height."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    items: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            items.append((text, x, y))

    page.extract_text(visitor_text=visit)
    box = page.mediabox
    return items, float(box.width), float(box.height)


def assert_on_the_page(data: bytes) -> str:
    """Every text of the one-page PDF starts inside the page, and the ICD 203 footnote is
    there in full; returns the page's text."""
    items, width, height = text_positions(data)
    assert items
    outside = [(t, round(x), round(y)) for t, x, y in items if not (0 <= x <= width)]
    outside += [(t, round(x), round(y)) for t, x, y in items if not (0 <= y <= height)]
    assert outside == [], outside
    text = pdf_text(data)
    assert " ".join(ICD203.split()) in text
    assert "Model" in text and "Track record:" in text
    # The footnote is the lowest text, above the bottom margin.
    lowest = min(y for _, _, y in items)
    assert lowest >= 0.01 * height
    assert any(t.startswith("99%. Intervals") or "credible intervals." in t for t, _, y in items)
    return text


def assert_inside_the_figure(fig: Figure) -> None:
    """What is drawn (glyphs, tick labels, legends; not only where a text starts) lies
    inside the page."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    renderer = canvas.get_renderer()
    page = fig.bbox
    boxes = [(f"axes {i}", ax.get_tightbbox(renderer)) for i, ax in enumerate(fig.axes)]
    boxes += [(t.get_text()[:40], t.get_window_extent(renderer)) for t in fig.texts]
    bad = [
        (name, [round(v) for v in box.extents])
        for name, box in boxes
        if box is not None
        and (
            box.x0 < page.x0 - 0.5
            or box.x1 > page.x1 + 0.5
            or box.y0 < page.y0 - 0.5
            or box.y1 > page.y1 + 0.5
        )
    ]
    assert bad == [], bad


def crowded(forecast: PairForecast, n_notes: int) -> PairForecast:
    """The demo's forecast with everything the page must make room for: `n_notes` notes, a
    fitted run with a pooled baseline, and many event drivers, each with its own long
    source."""
    from dataclasses import replace

    from models.results import EventDriver, RunInfo

    when = datetime(2025, 3, 2, tzinfo=UTC)
    run = RunInfo(
        "01JNDX6Q9S00000000000000R1", when, when, True, "", "nutpie", "2025.1",
        6, 1200, 13, 2, 1.004, 812.0, 0, 41.5,
    )  # fmt: skip
    drivers = tuple(
        EventDriver(
            event_id=f"ev{i}",
            type="defection" if i % 2 else "public_criticism",
            occurred_on=forecast.on - timedelta(days=40 * i),
            precision="day",
            actor=f"Commander number {i} of the eastern shura and his deputies' bodyguards",
            summary="",
            source=f"A very long name of wire service number {i}, evening bulletin in English",
            source_url=f"https://example.org/{'very-long-path-segment/' * 6}article-{i}",
            reliability="B",
            credibility=2,
            horizon_days=90,
            p_with=0.3,
            p_without=0.2,
            delta=0.1 - i / 1000,
        )
        for i in range(1, 13)
    )
    notes = tuple(
        f"Note number {i}: the pair's evidence is thin and drawn from one article, so the "
        "interval is wide and the phrase uncertain; read the figures as a first estimate."
        for i in range(n_notes)
    )
    return replace(
        forecast, run=run, prior_only=False, pooled_alpha=True, notes=notes,
        event_drivers=drivers, n_events=len(drivers),
    )  # fmt: skip


RECORD = {
    "first_origin": "2019-01-01",
    "last_origin": "2025-01-01",
    "metrics": {
        "n_origins": 24,
        "horizon_days": 90,
        "n_forecasts": 1200,
        "n_pairs": 40,
        "models": {"model": {"auc": 0.71, "bss_base_rate": 0.05, "bss_vs_priors_only": 0.012}},
        "coverage": {"share": 0.83},
        "verdict": "The model ranks pairs better than the base rate and its priors alone, "
        "and its intervals cover the ruptures about as often as they should; "
        "its probabilities run a little high for quiet pairs.",
    },
}


def test_brief_text_stays_on_the_page(
    brief_inputs: tuple[PairForecast, list[HistoryPoint]],
) -> None:
    forecast, history = brief_inputs
    buffer = io.BytesIO()
    render_brief(forecast, history, buffer, "pdf", NAMES)
    text = assert_on_the_page(buffer.getvalue())
    # The demo's five top events are all listed.
    for e in forecast.event_drivers[:5]:
        assert e.actor in text
    assert "more; this page has no room" not in text
    assert_inside_the_figure(build_figure(forecast, history, NAMES))


@pytest.mark.parametrize("n_notes", [0, 4])
def test_crowded_brief_stays_on_the_page_and_says_what_it_left_out(
    brief_inputs: tuple[PairForecast, list[HistoryPoint]], tmp_path: Path, n_notes: int
) -> None:
    forecast, history = brief_inputs
    busy = crowded(forecast, n_notes)
    buffer = io.BytesIO()
    render_brief(busy, history, buffer, "pdf", NAMES, RECORD)
    text = assert_on_the_page(buffer.getvalue())
    assert "AUC 0.71" in text and "pooled estimate" in text
    assert f"Note number {n_notes - 1}" in text if n_notes else "Note number" not in text
    # Not all five top events fit with their long sources: those left out are counted.
    actors = [e.actor for e in busy.event_drivers[:5]]
    listed = [a for a in actors if a in text]
    assert listed == actors[: len(listed)] and len(listed) < 5
    if listed:
        assert f"… and {5 - len(listed)} more; this page has no room for them" in text
    else:
        assert "5 events move the forecast most; this page has no room to list them" in text
    assert n_notes or len(listed) >= 2, "without notes, the top two fit"
    assert_inside_the_figure(build_figure(busy, history, NAMES, RECORD))
    render_brief(busy, history, tmp_path / "crowded.png", "png", NAMES, RECORD)
    assert (tmp_path / "crowded.png").read_bytes().startswith(PNG_MAGIC)


def test_brief_chart_shows_the_last_year_fitted_to_its_points() -> None:
    """Five years of history, high long ago and low this year, with an old event: the chart
    starts a year before the forecast's date, its y-axis fits this year's points, the old
    event is named at its left edge and only this year's events are marked."""
    from matplotlib import dates as mdates

    from models.results import EventDriver, HorizonResult

    on = date(2026, 11, 26)
    old, recent = (0.6, 0.4, 0.9), (0.06, 0.03, 0.1)
    history = [
        HistoryPoint(on - timedelta(days=7 * k), 90, *(old if k > 57 else recent))
        for k in range(260, -1, -1)
    ]

    def driver(i: int, days_ago: int, delta: float) -> EventDriver:
        return EventDriver(
            f"ev{i}", "defection", on - timedelta(days=days_ago), "day", f"Actor {i}", "",
            "Wire", "", "B", 2, 90, 0.2, 0.1, delta,
        )  # fmt: skip

    forecast = PairForecast(
        pair_id="a--b",
        faction_a="a",
        faction_b="b",
        status="cohesive",
        as_of=datetime(2026, 11, 26, 12, tzinfo=UTC),
        on=on,
        horizons=(HorizonResult(90, 0.06, 0.03, 0.1, "very unlikely", False),),
        type_drivers=(),
        event_drivers=(driver(1, 700, 0.3), driver(2, 30, 0.2), driver(3, 30, 0.1)),
        run=None,
        prior_only=True,
        pooled_alpha=False,
        n_events=3,
        taxonomy_version="2025.1",
    )
    fig = build_figure(forecast, history)
    chart, lane = fig.axes[0], fig.axes[1]
    left, right = chart.get_xlim()
    assert mdates.num2date(left).date() == date(2025, 11, 26)
    assert date(2026, 11, 26) < mdates.num2date(right).date() <= date(2026, 12, 31)
    assert 0.1 <= chart.get_ylim()[1] <= 0.2  # not the 90% of the years before
    marked = [line for line in lane.get_lines() if len(line.get_xdata()) == 1]  # type: ignore[arg-type]
    assert len(marked) == 2
    labels = {t.get_text() for t in lane.texts}
    assert "← 1: earlier" in labels and "2, 3" in labels
    assert any(t.get_text() == "as of 26 Nov 2026" for t in chart.texts)
    assert_inside_the_figure(fig)
    buffer = io.BytesIO()
    render_brief(forecast, history, buffer, "pdf")
    text = assert_on_the_page(buffer.getvalue())
    assert "over the last 12 months" in text and "before its window at its left edge" in text


@pytest.mark.parametrize(
    ("lo", "hi", "text"),
    [
        (0.0004, 0.042, "<0.1–4.2%"),
        (0.001, 0.033, "0.1–3.3%"),
        (0.2, 0.3, "20–30%"),
        (0.0, 0.5, "0.0–50%"),
    ],
)
def test_interval_ends_follow_the_point_estimate_s_rule(lo: float, hi: float, text: str) -> None:
    from service.report import pct, pct_range

    assert pct_range(lo, hi) == text
    assert pct_range(lo, hi).startswith(pct(lo).removesuffix("%") + "–")
    assert pct_range(lo, hi).endswith("–" + pct(hi))


def test_brief_states_the_ledger_record_behind_its_numbers(
    brief_inputs: tuple[PairForecast, list[HistoryPoint]],
) -> None:
    """Issue 15: the brief says how the forecasts served so far have scored, or that none
    has been settled yet (the figures: tests/service/test_ledger.py's hand computation)."""
    from signals.ledger import HorizonTotals, Summary

    forecast, history = brief_inputs
    buffer = io.BytesIO()
    render_brief(forecast, history, buffer, "pdf", NAMES, None, Summary(3, 12, ()))
    text = assert_on_the_page(buffer.getvalue())
    assert "no forecast in the ledger has been settled by an outcome yet" in text
    assert "(3 forecasts kept, 12 windows open)" in text
    totals = (HorizonTotals(30, 3, 1, 0.9834, 2), HorizonTotals(90, 3, 2, 0.62, 3))
    buffer = io.BytesIO()
    render_brief(forecast, history, buffer, "pdf", NAMES, RECORD, Summary(3, 2, totals))
    text = assert_on_the_page(buffer.getvalue())
    assert "6 settled forecast windows, 3 with a rupture; Brier 0.267" in text
    assert "skill -0.20 against each horizon's base rate" in text
    assert "inside the 90% interval in 5 of 6" in text


def test_the_route_s_brief_states_the_ledger_record(brief_client: TestClient, keys: Keys) -> None:
    r = brief_client.get(f"/v1/forecasts/{PAIR}/report.pdf", headers=keys.headers("reader"))
    assert r.status_code == 200
    assert "Live record: no forecast in the ledger has been settled" in pdf_text(r.content)
