"""The recorded backtest travels with every model run and the brief (issue 10, item 4)."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
from fastapi.testclient import TestClient
from pypdf import PdfReader

from models.backtest import BacktestResult, OriginReport, ScoredForecast, plain
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.evaluations import record_evaluation
from signals.taxonomy import load_taxonomy
from tests.factories import store_run
from tests.service.conftest import PAIR, Keys


def _result() -> BacktestResult:
    """Two origins, six forecasts, one rupture: enough for every score."""
    result = BacktestResult(90)
    rng = np.random.default_rng(0)
    for origin in (19000.0, 19028.0):
        for i in range(3):
            p = float(rng.uniform(0.01, 0.2))
            outcome = int(origin == 19028.0 and i == 0)
            result.rows.append(
                ScoredForecast(f"pair-{i}", origin, 90, p, p / 2, 2 * p, p, p, 0.05, outcome)
            )
        result.origins.append(
            OriginReport(
                origin,
                100,
                1,
                "laplace",
                True,
                "",
                "this origin's fit",
                0.1,
                3,
                int(origin == 19028.0),
                0.0,
                1.0,
            )
        )
    return result


def test_a_run_shows_the_newest_backtest_of_its_model(
    demo_client: TestClient, keys: Keys, demo: Database, settings: Settings
) -> None:
    taxonomy = load_taxonomy()
    metrics = plain(_result().metrics(reps=50))
    run_id = store_run(demo, settings, taxonomy, utcnow(), alpha=-7.0)
    r = demo_client.get(f"/v1/model/runs/{run_id}", headers=keys.headers("reader"))
    assert r.status_code == 200 and r.json()["evaluation"] is None
    with demo.write() as s:
        record_evaluation(
            s,
            taxonomy.version,
            metrics,  # type: ignore[arg-type]
            method="laplace",
            first_origin=date(2022, 1, 8),
            last_origin=date(2022, 2, 5),
            step_days=28,
        )
    body = demo_client.get(f"/v1/model/runs/{run_id}", headers=keys.headers("reader")).json()
    evaluation = body["evaluation"]
    assert evaluation["horizon_days"] == 90 and evaluation["method"] == "laplace"
    scores = evaluation["metrics"]["models"]
    assert set(scores) == {"model", "priors_only", "baseline", "base_rate"}
    assert evaluation["metrics"]["coverage"]["origins"] == 2
    assert sum(b["n"] for b in evaluation["metrics"]["reliability_bins"]) == 6
    # The brief states the same record under "Model".
    pdf = demo_client.get(f"/v1/forecasts/{PAIR}/report.pdf", headers=keys.headers("reader"))
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "Track record: backtest from 2022-01-08 to 2022-02-05" in text
    assert "90% interval at" in text


def test_metrics_are_plain_json() -> None:
    assert plain({"a": (1.0, float("nan")), "b": np.float64(2.0)}) == {"a": [1.0, None], "b": 2.0}
