"""The events kept between forecasts (`PairEvents`), on SQLite and PostgreSQL: after any
write they give what a fresh read of the log gives, while reading only the new rows."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from service.forecasting.forecaster import Forecaster
from service.forecasting.loading import PairEvents, load_pair_events
from signals.clock import utcnow
from signals.config import Settings
from signals.db import Database
from signals.events import record_events, retract_event
from signals.taxonomy import Taxonomy
from tests.factories import demo_event
from tests.service.conftest import PAIR

OTHER = "afghan-taliban--ttp"


def _same_as_a_fresh_read(db: Database, taxonomy: Taxonomy, kept: PairEvents, pair: str) -> None:
    with db.read() as s:
        got = kept.table(s, pair)
        fresh = load_pair_events(s, taxonomy, pair, None)
    assert [r.id for r in got.rows] == [r.id for r in fresh.rows]
    assert got.arrays.ids == fresh.arrays.ids
    for name in ("pair", "kind", "day", "weight", "known", "until", "row"):
        a, b = getattr(got.arrays, name), getattr(fresh.arrays, name)
        assert (a is None and b is None) or np.array_equal(a, b), name


def _write(db: Database, taxonomy: Taxonomy, **over: object) -> str:
    with db.write() as s:
        (row,) = record_events(s, taxonomy, [demo_event(**over)], "tester")
        return row.id


def test_after_reports_corrections_and_retractions_it_matches_a_fresh_read(
    demo: Database, taxonomy: Taxonomy
) -> None:
    kept = PairEvents(taxonomy, max_rows=100_000)
    _same_as_a_fresh_read(demo, taxonomy, kept, PAIR)
    first = _write(demo, taxonomy, type="killing", actor="A commander")
    _same_as_a_fresh_read(demo, taxonomy, kept, PAIR)
    _write(demo, taxonomy, type="killing", actor="A commander", intensity=0.9, supersedes=first)
    _same_as_a_fresh_read(demo, taxonomy, kept, PAIR)
    with demo.write() as s:
        retract_event(s, _write(demo, taxonomy, type="purge_or_arrest"), "wrong pair", "tester")
    _same_as_a_fresh_read(demo, taxonomy, kept, PAIR)
    # An open state, then its end: `until` moves from +inf to the end date.
    absent = _write(demo, taxonomy, type="leader_absence")
    _same_as_a_fresh_read(demo, taxonomy, kept, PAIR)
    today = utcnow().date().isoformat()
    _write(demo, taxonomy, type="leader_absence", ended_on=today, supersedes=absent)
    _same_as_a_fresh_read(demo, taxonomy, kept, PAIR)


def test_a_write_reads_only_the_new_rows(demo: Database, taxonomy: Taxonomy) -> None:
    kept = PairEvents(taxonomy, max_rows=100_000)
    with demo.read() as s:
        kept.table(s, PAIR)
    before = dict(kept._pairs[PAIR].rows)
    new = _write(demo, taxonomy, type="killing")
    with demo.read() as s:
        kept.table(s, PAIR)
    after = kept._pairs[PAIR].rows
    assert after.keys() == before.keys() | {new}
    # The rows read before are the very objects kept, not read again.
    assert all(after[i] is row for i, row in before.items())


def test_a_kept_row_that_is_gone_makes_it_read_the_pair_afresh(
    demo: Database, taxonomy: Taxonomy
) -> None:
    """As after a database restored from a backup taken before a write."""
    kept = PairEvents(taxonomy, max_rows=100_000)
    with demo.read() as s:
        kept.table(s, PAIR)
    log = kept._pairs[PAIR]
    ghost = "01ZZZZZZZZZZZZZZZZZZZZZZZZ"  # an id the database does not hold
    kept._pairs[PAIR] = replace(log, rows={**log.rows, ghost: next(iter(log.rows.values()))})
    _same_as_a_fresh_read(demo, taxonomy, kept, PAIR)
    assert ghost not in kept._pairs[PAIR].rows


def test_the_least_recently_used_pairs_go_beyond_the_bound(
    demo: Database, taxonomy: Taxonomy
) -> None:
    with demo.read() as s:
        sizes = {p: len(PairEvents(taxonomy, 10**6).table(s, p).rows) for p in (PAIR, OTHER)}
    assert all(sizes.values())
    kept = PairEvents(taxonomy, max_rows=max(sizes.values()))
    with demo.read() as s:
        kept.table(s, PAIR)
        kept.table(s, OTHER)
    assert list(kept._pairs) == [OTHER]
    assert kept._rows == len(kept._pairs[OTHER].rows)
    # A pair larger than the bound is read every time and never kept; still right.
    tiny = PairEvents(taxonomy, max_rows=0)
    _same_as_a_fresh_read(demo, taxonomy, tiny, PAIR)
    assert not tiny._pairs


def test_an_as_of_read_is_the_logs_state_then(demo: Database, taxonomy: Taxonomy) -> None:
    then = utcnow()
    _write(demo, taxonomy, type="killing")
    kept = PairEvents(taxonomy, max_rows=100_000)
    with demo.read() as s:
        past = kept.table(s, PAIR, then)
        assert past.arrays.ids == load_pair_events(s, taxonomy, PAIR, then).arrays.ids
        assert len(kept.table(s, PAIR).rows) == len(past.rows) + 1


def test_forecasts_are_the_same_with_and_without_the_kept_events(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """Every process must compute the same bytes (the ETag) from the same log, whatever it
    has kept: a worker that kept the pair and one that reads it afresh agree."""
    warm = Forecaster(demo, settings, taxonomy)
    warm.forecast(PAIR)
    first = _write(demo, taxonomy, type="killing")
    _write(demo, taxonomy, type="killing", intensity=0.2, supersedes=first)
    _write(demo, taxonomy, type="public_criticism")
    cold = Forecaster(demo, settings.model_copy(update={"event_cache_rows": 0}), taxonomy)
    assert warm.forecast(PAIR) == cold.forecast(PAIR)
    assert warm.history(PAIR, 90) == cold.history(PAIR, 90)
