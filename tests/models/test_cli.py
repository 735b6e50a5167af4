"""`riftcast simulate` writes import files that load cleanly; `riftcast backtest --json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.cli import main
from signals.config import Settings

KEYS = {"brier", "log_score", "bss_base_rate", "auc", "reliability", "resolution", "brier_ci"}
REFERENCES = {"model", "priors_only", "baseline", "base_rate"}


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_simulate_import_and_backtest(
    settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = settings.model_copy(update={"fit_sampler": "pymc"})  # compiled once per process
    out = tmp_path / "sim"
    assert (
        main(
            ["simulate", "--pairs", "40", "--weeks", "156", "--seed", "3", "--out", str(out)],
            settings,
        )
        == 0
    )
    params = json.loads((out / "params.json").read_text())
    assert len(params["alpha"]) == 40 and len(params["beta"]) == len(params["column_keys"])
    n_events = sum(1 for _ in (out / "events.csv").open()) - 1
    said = capsys.readouterr().err  # what was drawn, on stderr (item 5 of issue 12)
    assert f"simulate: 40 pairs over 156 weeks: {n_events} events," in said
    for kind in ("factions", "events", "outcomes"):
        assert main(["import", kind, str(out / f"{kind}.csv")], settings) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "backtest",
                "--step",
                "182",
                "--horizon",
                "365",
                "--json",
                "--out",
                str(tmp_path / "bt"),
            ],
            settings,
        )
        == 0
    )
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_forecasts"] > 0 and metrics["n_positive"] > 0, metrics
    assert set(metrics["models"]) == REFERENCES
    for scores in metrics["models"].values():
        assert set(scores) >= KEYS and 0 <= scores["brier"] <= 1
    assert {"bss_vs_priors_only", "bss_vs_baseline"} <= set(metrics["models"]["model"])
    assert metrics["coverage"]["origins"] == metrics["n_origins"]
    for name in ("forecasts.csv", "origins.csv", "metrics.json", "reliability.png"):
        assert (tmp_path / "bt" / name).exists()
    # The same backtest as a table: one row per reference and a verdict in words.
    assert main(["backtest", "--step", "182", "--horizon", "365"], settings) == 0
    table = capsys.readouterr().out
    for label in ("fitted model", "priors only", "logistic baseline", "base rate"):
        assert label in table
    assert "priors-only version" in table and "90% predictive interval" in table


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "args",
    [
        ["backtest", "--horizon", "0"],
        ["backtest", "--step", "1"],
        ["backtest"],
        ["backtest", "--start", "2024-01-01", "--end", "2023-01-01"],
        ["simulate", "--pairs", "1", "--out", "x"],
    ],
)
def test_bad_model_commands_fail_cleanly(
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
) -> None:
    assert main(args, settings) == 1
    assert capsys.readouterr().err.startswith("error:")
