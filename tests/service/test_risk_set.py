"""The hazard model's risk set and knowledge time, over the real databases.

Each test here failed before the fix it guards (issue 9): one old event on an unrelated pair
stretched every pair's risk set; as-of forecasts used runs fitted on later data; a what-if
event was counted twice; states decayed like one-off reports.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import numpy as np
import pytest
from sqlmodel import Session

from models.features import evidence
from models.hazard import build_training_data
from models.priors import half_lives
from service.forecasting.forecaster import Forecaster
from service.forecasting.loading import load_training
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput
from signals.events import event_records_as_of, record_events
from signals.factions import create_faction
from signals.outcomes import record_outcomes
from signals.schemas import EventIn, FactionIn, OutcomeIn
from signals.taxonomy import Taxonomy
from tests.factories import demo_event, store_run
from tests.service.conftest import PAIR


def _rows_by_pair(session: Session, taxonomy: Taxonomy) -> dict[str, int]:
    training = load_training(session, taxonomy, utcnow(), 7, lookback_days=90)
    ev = evidence(training.events, len(training.pair_ids), half_lives(taxonomy), training.grid)
    data = build_training_data(
        ev, training.at_risk_until, training.ruptured_at, training.entered_at
    )
    counts = np.bincount(data.pair, minlength=len(training.pair_ids))
    return dict(zip(training.pair_ids, counts.tolist(), strict=True))


def test_an_old_event_on_another_pair_moves_no_pair_s_risk_set(
    demo: Database, taxonomy: Taxonomy
) -> None:
    with demo.read() as s:
        before = _rows_by_pair(s, taxonomy)
    with demo.write() as s:
        for fid in ("old-a", "old-b"):
            create_faction(s, FactionIn(id=fid, name=fid, movement="Elsewhere"), by="test")
        item = {"faction_a": "old-a", "faction_b": "old-b", "source": "archive"}
        record_events(
            s,
            taxonomy,
            [
                EventIn.model_validate(
                    {
                        **item,
                        "type": "policy_dispute",
                        "occurred_on": "1996-05-01",
                        "reliability": "B",
                        "credibility": 2,
                    }
                )
            ],
            "test",
        )
        record_outcomes(s, [OutcomeIn(**item, status="cohesive", on=utcnow().date())], "test")
    with demo.read() as s:
        after = _rows_by_pair(s, taxonomy)
    assert {k: v for k, v in after.items() if k in before} == before
    assert before[PAIR] < 300  # the demo pair enters in 2021, not at the grid's start
    assert after["old-a--old-b"] > 1500  # observed since 1996 (less the look-back)


def test_an_as_of_forecast_uses_only_a_run_fitted_on_what_was_known_then(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    with demo.read() as s:
        recorded = max(e.recorded_at for e in event_records_as_of(s))
    recorded = recorded.replace(tzinfo=UTC) if recorded.tzinfo is None else recorded
    early = store_run(demo, settings, taxonomy, recorded + timedelta(seconds=1), alpha=-9.0)
    late = store_run(demo, settings, taxonomy, recorded + timedelta(days=1), alpha=-3.0)
    forecaster = Forecaster.load(demo, settings, taxonomy)
    latest = forecaster.forecast(PAIR)
    assert latest.run is not None and latest.run.id == late
    as_of = forecaster.forecast(PAIR, as_of=recorded + timedelta(seconds=2))
    assert as_of.run is not None and as_of.run.id == early and not as_of.prior_only
    assert as_of.horizon(90).probability < latest.horizon(90).probability
    # Known data, but no run fitted by then: the priors alone, and the forecast says so.
    prior = forecaster.forecast(PAIR, as_of=recorded + timedelta(milliseconds=500))
    assert prior.prior_only and prior.run is None


def test_a_what_if_event_is_evidence_not_a_change_of_pace(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """A hypothetical event of no weight leaves the forecast as it is: it must not also
    raise the pair's expected pace of new events."""
    forecaster = Forecaster(demo, settings, taxonomy)
    current, with_event = forecaster.what_if(PAIR, [demo_event(intensity=0.0)])
    assert [h.probability for h in with_event.horizons] == [h.probability for h in current.horizons]


def test_an_open_state_holds_and_a_closed_one_decays(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """A leader absent for a year still counts in full; once it ended a year ago it fades."""
    forecaster = Forecaster(demo, settings, taxonomy)
    year_ago = (utcnow() - timedelta(days=365)).date()
    base = forecaster.forecast(PAIR).horizon(90).probability
    _, open_ = forecaster.what_if(
        PAIR, [demo_event(type="leader_absence", occurred_on=year_ago.isoformat())]
    )
    _, closed = forecaster.what_if(
        PAIR,
        [
            demo_event(
                type="leader_absence",
                occurred_on=(year_ago - timedelta(days=30)).isoformat(),
                ended_on=year_ago,
            )
        ],
    )
    assert open_.horizon(90).probability > closed.horizon(90).probability > base


def test_only_a_state_type_takes_an_end(demo: Database, taxonomy: Taxonomy) -> None:
    with demo.write() as s, pytest.raises(InvalidInput) as err:
        record_events(
            s, taxonomy, [demo_event(occurred_on="2025-01-10", ended_on="2025-02-01")], "test"
        )
    assert err.value.problems[0].field == "ended_on"
    with demo.write() as s:
        (row,) = record_events(
            s,
            taxonomy,
            [demo_event(type="leader_absence", occurred_on="2025-01-10", ended_on="2025-02-01")],
            "test",
        )
    assert row.ended_on is not None and row.ended_on.isoformat() == "2025-02-01"


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ValueError, match="ended_on"):
        demo_event(type="leader_absence", occurred_on="2025-03", ended_on="2025-02-01")
