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
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from models.results import HistoryPoint, PairForecast
from service.app import create_app
from service.commands import report as report_command
from service.forecasting.forecaster import Forecaster
from service.report import assessment, format_of, render_brief
from signals.config import Settings
from signals.db import Database
from signals.taxonomy import Taxonomy
from tests.service.conftest import PAIR, Keys
from tests.service.servers import free_port
from tests.service.test_writes import event

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
    settings: Settings, demo: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    monkeypatch.setenv("RIFTCAST_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("RIFTCAST_DATABASE_URL", settings.database_url)
    parser = argparse.ArgumentParser()
    report_command.register(parser.add_subparsers())
    for name in ("brief.pdf", "brief.png"):
        out = tmp_path / name
        args = parser.parse_args(["report", PAIR, "--out", str(out)])
        assert args.func(args) == 0
        assert out.stat().st_size > 10_000
    assert "Kandahar leadership" in pdf_text((tmp_path / "brief.pdf").read_bytes())
    with pytest.raises(Exception, match=r"\.pdf or \.png"):
        args = parser.parse_args(["report", PAIR, "--out", str(tmp_path / "brief.txt")])
        args.func(args)


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
    barrier = threading.Barrier(len(paths))
    out: list[httpx.Response] = []

    def get(path: str) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
            c.get("/healthz")
            barrier.wait()
            out.append(c.get(path, timeout=120))

    threads = [threading.Thread(target=get, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


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
