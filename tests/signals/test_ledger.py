"""The forecast ledger on both databases: one entry per served forecast, at most one
snapshot a day, append-only, and each window scored once by the outcome that settles it."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import func, select

from signals import io, ledger
from signals.db import Database
from signals.factions import ensure_pair
from signals.outcomes import record_outcomes
from signals.schemas import OutcomeIn
from signals.tables import LedgerEntry, LedgerHorizon, LedgerScore
from signals.taxonomy import Taxonomy
from tests.factories import inserted_tables, recorded_statements

PAIR = "north--south"
KNOWN = datetime(2024, 1, 1, 9, tzinfo=UTC)


def served(
    made_on: date,
    etag: str,
    *,
    p30: float = 0.1,
    p90: float = 0.3,
    as_of: datetime = KNOWN,
    run_id: str | None = None,
    status: str = "cohesive",
) -> ledger.Served:
    return ledger.Served(
        pair_id=PAIR,
        made_on=made_on,
        as_of=as_of,
        run_id=run_id,
        status=status,
        taxonomy_version="t1",
        etag=etag,
        horizons=(
            ledger.ServedHorizon(30, p30, p30 / 2, min(1.0, p30 * 2)),
            ledger.ServedHorizon(90, p90, p90 / 2, min(1.0, p90 * 2)),
        ),
    )


@pytest.fixture
def pair_db(two_factions: Database) -> Database:
    with two_factions.write() as s:
        ensure_pair(s, "north", "south")
    return two_factions


def _entries(db: Database) -> list[LedgerEntry]:
    with db.read() as s:
        return list(s.exec(select(LedgerEntry).order_by(LedgerEntry.made_at, LedgerEntry.id)))


def _scores(db: Database) -> dict[tuple[str, int], LedgerScore]:
    with db.read() as s:
        return {(r.entry_id, r.horizon_days): r for r in s.exec(select(LedgerScore))}


def outcome(status: str, on: str) -> OutcomeIn:
    return OutcomeIn.model_validate(
        {"faction_a": "north", "faction_b": "south", "status": status, "on": on}
    )


def test_an_entry_per_new_etag_and_one_snapshot_a_day(pair_db: Database) -> None:
    day = date(2024, 1, 1)
    with pair_db.write() as s:
        assert len(ledger.append(s, [served(day, '"a"')])) == 1
        assert ledger.append(s, [served(day, '"a"')]) == []  # unchanged: nothing
    with pair_db.write() as s:
        # The same knowledge on the next day: a snapshot; new knowledge: a change.
        (snap,) = ledger.append(s, [served(day + timedelta(days=1), '"b"')])
        (change,) = ledger.append(
            s, [served(day + timedelta(days=1), '"c"', as_of=KNOWN + timedelta(days=1))]
        )
    assert (snap.kind, snap.snapshot_on) == ("snapshot", day + timedelta(days=1))
    assert (change.kind, change.snapshot_on) == ("change", None)
    assert [e.etag for e in _entries(pair_db)] == ['"a"', '"b"', '"c"']
    # The database itself keeps one entry per ETag and one snapshot per pair and day.
    with pair_db.write() as s:
        row = _entries(pair_db)[1].model_dump()
        dup_etag = {**row, "id": "X" * 26, "kind": "change", "snapshot_on": None}
        dup_day = {**row, "id": "Y" * 26, "etag": '"other"'}
        fresh = {**dup_etag, "id": "Z" * 26, "etag": '"d"'}
        # in one statement: the duplicates skipped, the new row written, and said so
        inserted = ledger._insert_ignore(s, LedgerEntry.__table__, [dup_etag, dup_day, fresh])
        assert inserted == {"Z" * 26}
    assert sorted(e.etag for e in _entries(pair_db)) == ['"a"', '"b"', '"c"', '"d"']


def test_many_forecasts_go_in_as_one_insert_of_entries_and_one_of_horizons(
    pair_db: Database,
) -> None:
    """The recorder writes every forecast served since its last pass at once: two
    statements for them all (on SQLite each statement held the write lock analysts wait
    for), each entry with its horizons, each a change after the one before."""
    statements = recorded_statements(pair_db)
    items = [served(date(2024, 1, 1), f'"e{i}"', p30=0.1 + i / 1000) for i in range(50)]
    with pair_db.write() as s:
        written = ledger.append(s, items)
    assert [e.etag for e in written] == [f'"e{i}"' for i in range(50)]
    assert {e.kind for e in written} == {"change"}
    assert inserted_tables(statements) == ["forecast_ledger", "ledger_horizon"]
    with pair_db.read() as s:
        rows = s.exec(select(LedgerHorizon.entry_id, LedgerHorizon.probability)).all()
    by_entry = {e.id: e.etag for e in written}
    assert len(rows) == 100 and {by_entry[r[0]] for r in rows} == set(by_entry.values())


def test_concurrent_writers_of_one_forecast_write_it_once(pair_db: Database) -> None:
    """Two processes serving the same forecast at once: whoever commits second finds it
    written (SQLite queues the writers; PostgreSQL's unique index makes the second insert
    wait for the first and then do nothing)."""
    item = served(date(2024, 1, 1), '"same"')
    start = threading.Barrier(2)
    results: list[int] = []

    def first() -> None:
        with pair_db.write() as s:
            results.append(len(ledger.append(s, [item])))
            start.wait()
            time.sleep(0.3)  # hold the transaction open while the other one tries

    def second() -> None:
        start.wait()
        with pair_db.write() as s:
            results.append(len(ledger.append(s, [item])))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    assert len(_entries(pair_db)) == 1


def test_the_ledger_is_append_only(pair_db: Database) -> None:
    with pair_db.write() as s:
        ledger.append(s, [served(date(2024, 1, 1), '"a"')])
    for sql in (
        "UPDATE forecast_ledger SET status = 'ruptured'",
        "DELETE FROM ledger_horizon",
    ):
        with pytest.raises(DBAPIError, match="append-only"), pair_db.write() as s:
            s.connection().execute(text(sql))


def test_an_outcome_scores_exactly_the_windows_it_settles_once(
    pair_db: Database, taxonomy: Taxonomy
) -> None:
    with pair_db.write() as s:
        e1, e2 = ledger.append(
            s,
            [
                served(date(2024, 1, 1), '"1"', p30=0.1, p90=0.3),
                served(date(2024, 2, 15), '"2"', p30=0.02, p90=0.5, as_of=KNOWN + timedelta(45)),
            ],
        )
    # Cohesive to 10 February: only e1's 30-day window (to 31 January) has ended.
    with pair_db.write() as s:
        record_outcomes(s, [outcome("cohesive", "2024-02-10")], by="test")
    scores = _scores(pair_db)
    assert set(scores) == {(e1.id, 30)}
    s30 = scores[(e1.id, 30)]
    assert (s30.outcome, s30.inside) == (0, True)
    assert s30.brier == pytest.approx(0.01) and s30.log_score == pytest.approx(math.log(0.9))
    # A rupture on 1 March settles e1's 90-day window and both of e2's; e1's 30-day window
    # keeps its score.
    with pair_db.write() as s:
        (rupture,) = record_outcomes(s, [outcome("ruptured", "2024-03-01")], by="test")
    scores = _scores(pair_db)
    assert set(scores) == {(e1.id, 30), (e1.id, 90), (e2.id, 30), (e2.id, 90)}
    assert scores[(e1.id, 30)].outcome_id == s30.outcome_id
    for key, p in (((e1.id, 90), 0.3), ((e2.id, 30), 0.02), ((e2.id, 90), 0.5)):
        assert scores[key].outcome == 1 and scores[key].outcome_id == rupture.id
        assert scores[key].brier == pytest.approx((1 - p) ** 2)
        assert scores[key].log_score == pytest.approx(math.log(p))
    # e2's 30-day interval topped out at 4%, under 5%: the rupture is outside it.
    assert scores[(e2.id, 30)].inside is False and scores[(e2.id, 90)].inside is True
    # The same outcome again (through the importer), or a later one: nothing is rescored.
    csv = "faction_a,faction_b,status,on\nnorth,south,ruptured,2024-03-01\n"
    csv2 = "faction_a,faction_b,status,on\nnorth,south,cohesive,2024-12-31\n"
    with pair_db.write() as s:
        record_outcomes(s, [outcome("ruptured", "2024-03-01")], by="again")
        io.import_text(s, taxonomy, "outcomes", csv, "csv", by="cli")
        io.import_text(s, taxonomy, "outcomes", csv2, "csv", by="cli")
    assert _scores(pair_db) == scores


def test_forecasts_made_after_a_rupture_are_not_scored(
    pair_db: Database, taxonomy: Taxonomy
) -> None:
    with pair_db.write() as s:
        ledger.append(s, [served(date(2024, 1, 1), '"r"', status="ruptured")])
    csv = "faction_a,faction_b,status,on\nnorth,south,ruptured,2024-01-05\n"
    with pair_db.write() as s:
        assert io.import_text(s, taxonomy, "outcomes", csv, "csv", by="cli").created == 1
    assert _scores(pair_db) == {}


def test_reads_page_count_and_export(pair_db: Database) -> None:
    with pair_db.write() as s:
        for i in range(5):
            ledger.append(s, [served(date(2024, 1, 1 + i), f'"{i}"', as_of=KNOWN + timedelta(i))])
        record_outcomes(s, [outcome("cohesive", "2024-02-15")], by="test")
    with pair_db.read() as s:
        page, cursor = ledger.list_entries(s, PAIR, None, 2)
        assert [v.entry.etag for v in page] == ['"4"', '"3"'] and cursor == page[-1].entry.id
        rest, end = ledger.list_entries(s, PAIR, cursor, 10)
        assert [v.entry.etag for v in rest] == ['"2"', '"1"', '"0"'] and end is None
        assert [w.horizon.horizon_days for w in page[0].windows] == [30, 90]
        assert page[0].windows[0].score is not None and page[0].windows[1].score is None
        assert ledger.counts(s) == (5, 5)
        (h30,) = ledger.horizon_totals(s)
        assert (h30.horizon_days, h30.n, h30.ruptured, h30.inside) == (30, 5, 0, 5)
        assert h30.brier_sum == pytest.approx(5 * 0.01)
        assert len(ledger.scored_windows(s)) == 5
        assert ledger.pairs_without_entry_on(s, date(2024, 1, 3)) == []
        assert ledger.pairs_without_entry_on(s, date(2024, 1, 9)) == [PAIR]
    rows = list(ledger.export_rows(pair_db, page=2))
    assert len(rows) == 10 and tuple(rows[0]) == ledger.EXPORT_COLUMNS
    assert [r["outcome"] for r in rows if r["horizon_days"] == 30] == [0] * 5
    with pair_db.read() as s:
        total = s.exec(select(func.count()).select_from(LedgerScore)).one()
    assert total == 5
