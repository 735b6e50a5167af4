"""The model over the real database (SQLite and PostgreSQL): runs, publication, forecasts."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import xarray as xr
from sqlmodel import select

from models.hazard import FitConfig
from service.cli import main
from service.forecasting.forecaster import Forecaster
from service.forecasting.refit import refit
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput, NotFound
from signals.events import event_records_as_of, record_events
from signals.factions import create_faction
from signals.runs import list_runs
from signals.schemas import EventIn, FactionIn
from signals.tables import IndicatorEvent
from signals.taxonomy import Taxonomy
from tests.factories import demo_event
from tests.service.conftest import PAIR

FIT = FitConfig(draws=1500, tune=1000, chains=2, cores=1, sampler="pymc")
STARVED = FitConfig(draws=20, tune=20, chains=2, cores=1, sampler="pymc")


def _event(**over: object) -> EventIn:
    """A killing between the demo factions today, by a hypothetical commander."""
    return demo_event(**{"type": "killing", "actor": "Hypothetical commander", **over})


def test_priors_forecast_until_a_run_is_published_then_the_run_does(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    forecaster = Forecaster(demo, settings, taxonomy)
    assert forecaster.reload_run() is False
    prior = forecaster.forecast(PAIR)
    assert prior.prior_only and prior.run is None
    assert any("priors alone" in n for n in prior.notes)
    assert [h.horizon_days for h in prior.horizons] == [30, 90, 180, 365]
    probabilities = [h.probability for h in prior.horizons]
    assert probabilities == sorted(probabilities)
    assert all(0 <= h.lower <= h.probability <= h.upper <= 1 for h in prior.horizons)

    first = refit(demo, settings, taxonomy, config=FIT)
    assert first.published, first.reason
    assert first.divergences == 0 and first.max_rhat is not None and first.max_rhat <= 1.01
    with demo.read() as s:
        (row,) = list_runs(s)
    assert Path(row.draws_path).exists() and row.n_pairs == 4 and row.n_ruptures == 0
    assert xr.open_dataset(row.draws_path, engine="h5netcdf")["beta"].shape[1] == len(
        taxonomy.columns
    )
    assert forecaster.reload_run() is True
    posterior = forecaster.forecast(PAIR)
    assert not posterior.prior_only and posterior.run is not None
    assert posterior.run.id == first.id

    # A run that fails its diagnostics is kept, with the reason, but never published.
    starved = refit(demo, settings, taxonomy, config=STARVED)
    assert not starved.published and "ESS" in starved.reason
    assert forecaster.reload_run() is False
    assert forecaster.forecast(PAIR).run.id == first.id  # type: ignore[union-attr]
    with demo.read() as s:
        assert [r.published for r in list_runs(s)] == [False, True]


def test_a_fit_with_no_outcomes_is_refused(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    with db.write() as s:
        create_faction(s, FactionIn(id="a", name="A", movement="M"), by="t")
    with pytest.raises(InvalidInput) as info:
        refit(db, settings, taxonomy, config=FIT)
    assert info.value.problems[0].field == "outcomes"


def test_bad_requests_name_the_field(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    forecaster = Forecaster(demo, settings, taxonomy)
    with pytest.raises(NotFound):
        forecaster.forecast("no--such-pair")
    for horizons in ([0], [-5], [5 * 365 + 1]):
        with pytest.raises(InvalidInput) as info:
            forecaster.forecast(PAIR, horizons=horizons)
        assert info.value.problems[0].field == "horizon"
    for as_of in (utcnow() + timedelta(days=2), utcnow() - timedelta(days=3650)):
        with pytest.raises(InvalidInput) as info:
            forecaster.forecast(PAIR, as_of=as_of)
        assert info.value.problems[0].field == "as_of"


def test_drivers_name_the_events_and_what_if_stores_nothing(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    forecaster = Forecaster(demo, settings, taxonomy)
    retro = forecaster.forecast(PAIR, on=utcnow().date().replace(year=2025, month=3, day=2))
    actors = {d.actor for d in retro.event_drivers}
    assert {"Sirajuddin Haqqani", "Sher Mohammad Abbas Stanikzai"} <= actors
    defection = next(d for d in retro.event_drivers if d.type == "defection")
    assert defection.p_with > defection.p_without and defection.delta > 0
    assert {d.key for d in retro.type_drivers} >= {"defection", "leader_absence"}
    assert abs(sum(d.share for d in retro.type_drivers) - 1) < 1e-9

    with demo.read() as s:
        before = len(list(s.exec(select(IndicatorEvent))))
    current, hypothetical = forecaster.what_if(PAIR, [_event()])
    assert hypothetical.horizon(90).probability > current.horizon(90).probability
    with demo.read() as s:
        assert len(list(s.exec(select(IndicatorEvent)))) == before
    with pytest.raises(InvalidInput):
        forecaster.what_if(PAIR, [_event(faction_a="ttp", faction_b="afghan-taliban")])


def test_every_event_counts_once_in_the_activity_column_and_once_as_a_driver(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """An event has two entries in the model's arrays (its type's column and activity's);
    the forecast still counts it once, names it once and takes both out for "without"."""
    forecaster = Forecaster(demo, settings, taxonomy)
    f = forecaster.forecast(PAIR)
    with demo.read() as s:
        in_force = event_records_as_of(s, None, PAIR)
    assert in_force and f.n_events == len(in_force)
    ids = [d.event_id for d in f.event_drivers]
    assert len(ids) == len(set(ids)) and set(ids) <= {r.id for r in in_force}
    activity = next(d for d in f.type_drivers if d.key == "activity")
    assert activity.label == "Activity" and activity.evidence > 0
    today = utcnow().date()
    expected = sum(0.5 ** ((today - r.occurred_on).days / 730.0) for r in in_force)
    assert activity.evidence == pytest.approx(expected, rel=0.05)  # month-dated: mid-month


def test_as_of_forecasts_ignore_later_records_and_new_pairs_are_pooled(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    forecaster = Forecaster(demo, settings, taxonomy)
    before = utcnow()
    time.sleep(0.01)
    with demo.write() as s:
        record_events(s, taxonomy, [_event()], by="t")
    then = forecaster.forecast(PAIR, as_of=before)
    now = forecaster.forecast(PAIR)
    assert now.horizon(90).probability > then.horizon(90).probability
    assert now.n_events == then.n_events + 1
    with demo.write() as s:
        record_events(s, taxonomy, [_event(faction_a="bla", faction_b="ttp")], by="t")
    assert forecaster.forecast("bla--ttp").pooled_alpha

    history = forecaster.history(PAIR, 90, step_days=30)
    assert len(history) >= 12
    assert [p.on for p in history] == sorted(p.on for p in history)
    assert all(0 <= p.lower <= p.probability <= p.upper <= 1 for p in history)


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_cli_fit_then_forecast_on_the_demo(
    demo: Database,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["fit", "--chains", "2", "--tune", "500", "--draws", "1000"], settings) == 0
    out, err = capsys.readouterr()
    assert "published" in out
    # Issue 12, item 5: a fit says what it is doing while it does it (on stderr).
    assert "fit: reading the log" in err and "fit: sampling 4 pairs" in err
    assert "2 chains × (500 tuning + 1000 draws)" in err and "fit: sampled in" in err
    assert main(["forecast", PAIR, "--on", "2025-03-02", "--json"], settings) == 0
    result = json.loads(capsys.readouterr().out)
    assert [h["horizon_days"] for h in result["horizons"]] == [30, 90, 180, 365]
    assert result["run"]["published"] and not result["prior_only"]
    assert all(h["phrase"] for h in result["horizons"])
    assert "Sher Mohammad Abbas Stanikzai" in {d["actor"] for d in result["event_drivers"]}
    assert main(["forecast", PAIR, "--horizon", "0"], settings) == 1
    assert "horizon" in capsys.readouterr().err


def test_draws_left_by_a_killed_fit_are_swept(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """Issue 11, item 11: a fit killed between writing its draws and recording its run left
    an orphan .nc for ever. Draws are written as .partial and renamed; files no run refers
    to are swept once they are older than any fit in flight."""
    import os

    from service.forecasting.refit import ORPHAN_SECONDS, sweep_orphan_draws
    from tests.factories import store_run

    run_id = store_run(demo, settings, taxonomy, utcnow(), alpha=-7.0)
    kept = settings.runs_dir / f"{run_id}.nc"
    old_orphan = settings.runs_dir / "01ORPHAN.nc"
    partial = settings.runs_dir / "01KILLED.nc.partial"
    young_orphan = settings.runs_dir / "01INFLIGHT.nc"
    for path in (old_orphan, partial, young_orphan):
        path.write_bytes(b"draws")
    long_ago = time.time() - ORPHAN_SECONDS - 60
    for path in (kept, old_orphan, partial):
        os.utime(path, (long_ago, long_ago))
    assert sweep_orphan_draws(demo, settings) == 2
    assert kept.exists() and young_orphan.exists()
    assert not old_orphan.exists() and not partial.exists()
