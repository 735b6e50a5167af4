"""The forecast ledger: what Riftcast said about each pair, kept, and scored once outcomes
settle it.

A forecast recomputed on demand leaves no trace, so no one could later check how good it
was. The ledger keeps every headline forecast as it was served — one entry when the
headline changes (a write, a new model run) and at most one snapshot a day besides, when
only the date moved — with its knowledge time, its model run (or the priors alone), each
horizon's probability and 90% interval, and the ETag the API served it under. Entries are
append-only, and the database refuses a second entry of one forecast (the same ETag), so
every server process may offer what it computed and the first one wins.

Each horizon's forecast is a bet on a window: P(rupture between `window_start`, the date
the forecast was made for, and `window_end`, that date plus the horizon). An outcome
settles a window once: a rupture dated inside it (outcome 1), or a cohesive observation
dated at or after its end (outcome 0). `record_outcomes` calls `settle` in the same
transaction, so the HTTP API and the importer score alike; the score table's primary key
makes a second outcome, or the same one recorded twice, a no-op. Windows of forecasts
served after the pair had already ruptured are not scored: there was nothing left to
forecast.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, case, exists, func, insert
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from signals.clock import new_id, to_utc, utcnow
from signals.db import Database
from signals.tables import (
    Faction,
    LedgerEntry,
    LedgerHorizon,
    LedgerScore,
    Outcome,
    Pair,
)

# A forecast of exactly 0 or 1 that turns out wrong would score minus infinity: clipped as
# models.scoring clips it, so the ledger's log scores and the backtest's agree.
EPS = 1e-6
# The tails left out of the central 90% predictive set of an outcome (see `inside`).
TAIL = 0.05
CHANGE, SNAPSHOT = "change", "snapshot"


@dataclass(frozen=True)
class ServedHorizon:
    horizon_days: int
    probability: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Served:
    """A headline forecast as the API served it: what a ledger entry records."""

    pair_id: str
    made_on: date
    as_of: datetime
    run_id: str | None
    status: str
    taxonomy_version: str
    etag: str
    horizons: tuple[ServedHorizon, ...]


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


def _insert_ignore(session: Session, table: Any, rows: list[dict[str, Any]]) -> set[Any]:
    """INSERT … ON CONFLICT DO NOTHING on either database, as one statement: rows another
    process wrote first are left as they are. The primary keys of the rows inserted
    (RETURNING says so on both databases, where a driver's rowcount may not)."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
    found = session.connection().execute(stmt, rows)
    return {row[0] if len(row) == 1 else tuple(row) for row in found}


def latest_entry(session: Session, pair_id: str) -> LedgerEntry | None:
    """The pair's newest entry (read from the (pair_id, made_at) index)."""
    stmt = (
        select(LedgerEntry)
        .where(LedgerEntry.pair_id == pair_id)
        .order_by(col(LedgerEntry.made_at).desc(), col(LedgerEntry.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def _kind(previous: LedgerEntry | None, served: Served) -> str:
    """A snapshot when only the date moved since the pair's latest entry (the same
    knowledge, the same run); a change otherwise."""
    if (
        previous is not None
        and previous.made_on < served.made_on
        and to_utc(previous.as_of) == to_utc(served.as_of)
        and previous.run_id == served.run_id
        and previous.taxonomy_version == served.taxonomy_version
    ):
        return SNAPSHOT
    return CHANGE


def append(
    session: Session, items: Sequence[Served], now: datetime | None = None
) -> list[LedgerEntry]:
    """Write each forecast whose ETag differs from its pair's latest entry; the entries
    written. A forecast another process wrote first (same ETag), or a second snapshot of
    a pair on one day, is skipped by the database, not raised. The entries go in as one
    INSERT and their horizons as another: the recorder writes a pair's every served
    forecast since its last pass at once (hundreds under a stream of writes), and on SQLite
    a statement each held the write lock that the analysts' writes wait for."""
    now = now or utcnow()
    latest: dict[str, LedgerEntry | None] = {}
    entries: list[LedgerEntry] = []
    rows: list[dict[str, Any]] = []  # the entries' columns, as inserted
    horizons: list[dict[str, Any]] = []
    for item in items:
        if item.pair_id not in latest:
            latest[item.pair_id] = latest_entry(session, item.pair_id)
        previous = latest[item.pair_id]
        if previous is not None and previous.etag == item.etag:
            continue
        kind = _kind(previous, item)
        values: dict[str, Any] = {
            "id": new_id(),
            "pair_id": item.pair_id,
            "made_at": now,
            "made_on": item.made_on,
            "as_of": to_utc(item.as_of),
            "run_id": item.run_id,
            "status": item.status,
            "taxonomy_version": item.taxonomy_version,
            "etag": item.etag,
            "kind": kind,
            "snapshot_on": item.made_on if kind == SNAPSHOT else None,
        }
        # built without validation (the values are the served forecast's, already checked,
        # and the table's constraints check them again): a recorder's pass builds hundreds
        row = LedgerEntry.model_construct(**values)
        rows.append(values)
        horizons += [
            {
                "entry_id": row.id,
                "horizon_days": h.horizon_days,
                "pair_id": item.pair_id,
                "window_start": item.made_on,
                "window_end": item.made_on + timedelta(days=h.horizon_days),
                "probability": h.probability,
                "lower": h.lower,
                "upper": h.upper,
            }
            for h in item.horizons
        ]
        latest[item.pair_id] = row  # what the pair's next forecast of the batch follows
        entries.append(row)
    inserted = _insert_ignore(session, _table(LedgerEntry), rows)
    kept = [h for h in horizons if h["entry_id"] in inserted]
    if kept:
        session.connection().execute(insert(_table(LedgerHorizon)), kept)
    return [e for e in entries if e.id in inserted]


# -- scoring -------------------------------------------------------------------------------


def brier(p: float, y: int) -> float:
    return (p - y) ** 2


def log_score(p: float, y: int) -> float:
    """Log-likelihood of the outcome (higher is better; 0 is perfect), clipped as in
    models.scoring."""
    p = min(max(p, EPS), 1 - EPS)
    return math.log(p) if y else math.log(1 - p)


def inside(y: int, lower: float, upper: float) -> bool:
    """Whether the outcome lies in the forecast's 90% predictive set.

    A single yes/no outcome cannot fall inside an interval of probabilities, so the
    interval is read as the forecast's own claim: a rupture is outside when even the top of
    the interval gave it under 5% (`upper <= 0.05`), cohesion when even the bottom gave a
    rupture over 95% (`lower > 0.95`). That is the union, over the probabilities in the 90%
    credible interval, of the central 90% predictive sets of a Bernoulli outcome; for
    honest intervals at least 90% of outcomes fall inside, so a coverage under 90% marks
    intervals that were too sure.
    """
    return upper > TAIL if y == 1 else lower <= 1 - TAIL


def settle(session: Session, outcomes: Sequence[Outcome]) -> int:
    """Score every window these outcomes settle that no outcome has settled yet; how many.

    A rupture on day D settles its pair's windows with start <= D <= end (outcome 1); a
    cohesive observation on day D those that end on or before D (outcome 0). Forecasts
    served while the pair stood ruptured are left out. Runs in the caller's transaction;
    a concurrent writer that scored a window first keeps its score.
    """
    scored = 0
    now = utcnow()
    for o in outcomes:
        h, e = LedgerHorizon, LedgerEntry
        already = exists().where(
            and_(
                col(LedgerScore.entry_id) == col(h.entry_id),
                col(LedgerScore.horizon_days) == col(h.horizon_days),
            )
        )
        stmt = (
            core_select(
                col(h.entry_id), col(h.horizon_days), col(h.probability), col(h.lower), col(h.upper)
            )
            .join(e, col(e.id) == col(h.entry_id))
            .where(col(h.pair_id) == o.pair_id, col(e.status) == "cohesive", ~already)
        )
        if o.status == "ruptured":
            stmt = stmt.where(col(h.window_start) <= o.on_date, col(h.window_end) >= o.on_date)
            y = 1
        else:
            stmt = stmt.where(col(h.window_end) <= o.on_date)
            y = 0
        rows = [
            {
                "entry_id": entry_id,
                "horizon_days": horizon,
                "outcome_id": o.id,
                "outcome": y,
                "brier": brier(p, y),
                "log_score": log_score(p, y),
                "inside": inside(y, lower, upper),
                "scored_at": now,
            }
            for entry_id, horizon, p, lower, upper in session.connection().execute(stmt)
        ]
        if rows:
            _insert_ignore(session, _table(LedgerScore), rows)
            scored += len(rows)
    return scored


# -- reads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowView:
    """One horizon of an entry, with its score once settled."""

    horizon: LedgerHorizon
    score: LedgerScore | None


@dataclass(frozen=True)
class EntryView:
    entry: LedgerEntry
    windows: tuple[WindowView, ...]


def _views(session: Session, entries: Sequence[LedgerEntry]) -> list[EntryView]:
    ids = [e.id for e in entries]
    if not ids:
        return []
    horizons = session.exec(
        select(LedgerHorizon)
        .where(col(LedgerHorizon.entry_id).in_(ids))
        .order_by(col(LedgerHorizon.entry_id), col(LedgerHorizon.horizon_days))
    ).all()
    scores = {
        (s.entry_id, s.horizon_days): s
        for s in session.exec(select(LedgerScore).where(col(LedgerScore.entry_id).in_(ids)))
    }
    by_entry: dict[str, list[WindowView]] = {i: [] for i in ids}
    for h in horizons:
        by_entry[h.entry_id].append(WindowView(h, scores.get((h.entry_id, h.horizon_days))))
    return [EntryView(e, tuple(by_entry[e.id])) for e in entries]


def list_entries(
    session: Session, pair_id: str, before: str | None, limit: int
) -> tuple[list[EntryView], str | None]:
    """A page of a pair's entries, newest first; the cursor is the id of the last one
    returned when more remain."""
    stmt = select(LedgerEntry).where(LedgerEntry.pair_id == pair_id)
    if before:
        stmt = stmt.where(col(LedgerEntry.id) < before)
    rows = list(session.exec(stmt.order_by(col(LedgerEntry.id).desc()).limit(limit + 1)))
    cursor = rows[limit - 1].id if len(rows) > limit else None
    return _views(session, rows[:limit]), cursor


def entries_after(session: Session, after: str | None, limit: int) -> list[EntryView]:
    """Every pair's entries in id (writing) order after `after`: the export's pages."""
    stmt = select(LedgerEntry)
    if after:
        stmt = stmt.where(col(LedgerEntry.id) > after)
    return _views(session, list(session.exec(stmt.order_by(col(LedgerEntry.id)).limit(limit))))


class ScoredWindow(NamedTuple):
    """A settled window as the track record reads it: plain values, one query."""

    pair_id: str
    movement_a: str
    movement_b: str
    run_id: str | None
    horizon_days: int
    probability: float
    lower: float
    upper: float
    outcome: int
    inside: bool


def scored_windows(session: Session) -> list[ScoredWindow]:
    """Every settled window, oldest entry first."""
    fa, fb = aliased(Faction), aliased(Faction)
    h, e, s = LedgerHorizon, LedgerEntry, LedgerScore
    stmt = (
        core_select(
            col(e.pair_id),
            col(fa.movement),
            col(fb.movement),
            col(e.run_id),
            col(h.horizon_days),
            col(h.probability),
            col(h.lower),
            col(h.upper),
            col(s.outcome),
            col(s.inside),
        )
        .select_from(s)
        .join(
            h,
            and_(col(h.entry_id) == col(s.entry_id), col(h.horizon_days) == col(s.horizon_days)),
        )
        .join(e, col(e.id) == col(s.entry_id))
        .join(Pair, col(Pair.id) == col(e.pair_id))
        .join(fa, col(fa.id) == col(Pair.faction_a))
        .join(fb, col(fb.id) == col(Pair.faction_b))
        .order_by(col(e.id), col(h.horizon_days))
    )
    result = session.connection().execute(stmt)
    return [ScoredWindow(*row[:9], bool(row[9])) for row in result]  # type: ignore[call-arg]


class HorizonTotals(NamedTuple):
    """Sums over one horizon's settled windows: enough for counts, Brier, coverage and
    the Brier skill against that horizon's base rate, without loading the windows."""

    horizon_days: int
    n: int
    ruptured: int
    brier_sum: float
    inside: int


def horizon_totals(session: Session) -> list[HorizonTotals]:
    s = LedgerScore
    stmt = (
        core_select(
            col(s.horizon_days),
            func.count(),
            func.sum(col(s.outcome)),
            func.sum(col(s.brier)),
            func.sum(case((col(s.inside), 1), else_=0)),
        )
        .group_by(col(s.horizon_days))
        .order_by(col(s.horizon_days))
    )
    return [
        HorizonTotals(int(hd), int(n), int(r or 0), float(b or 0.0), int(i or 0))
        for hd, n, r, b, i in session.connection().execute(stmt)
    ]


@dataclass(frozen=True)
class Summary:
    """The ledger in a few numbers: what the brief states under its forecast."""

    n_entries: int
    n_pending: int
    horizons: tuple[HorizonTotals, ...]


def summary(session: Session) -> Summary:
    n_entries, n_pending = counts(session)
    return Summary(n_entries, n_pending, tuple(horizon_totals(session)))


def counts(session: Session) -> tuple[int, int]:
    """(entries in the ledger, windows not settled yet)."""
    entries = session.exec(select(func.count()).select_from(LedgerEntry)).one()
    windows = session.exec(select(func.count()).select_from(LedgerHorizon)).one()
    scored = session.exec(select(func.count()).select_from(LedgerScore)).one()
    return int(entries), int(windows) - int(scored)


def pairs_without_entry_on(session: Session, day: date) -> list[str]:
    """The pairs with no entry made for `day` yet: those the daily snapshot visits."""
    done = core_select(col(LedgerEntry.pair_id)).where(col(LedgerEntry.made_on) == day)
    stmt = select(Pair.id).where(col(Pair.id).not_in(done)).order_by(col(Pair.id))
    return list(session.exec(stmt))


def _iso(value: datetime) -> str:
    """A time as the API writes it: UTC, with a `Z`."""
    return to_utc(value).isoformat().replace("+00:00", "Z")


# -- export --------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "entry_id",
    "pair_id",
    "made_at",
    "made_on",
    "as_of",
    "kind",
    "status",
    "run_id",
    "prior_only",
    "taxonomy_version",
    "horizon_days",
    "probability",
    "lower",
    "upper",
    "window_end",
    "outcome",
    "brier",
    "log_score",
    "inside_interval",
    "settled_by",
)


def export_rows(db: Database, page: int = 200) -> Iterator[dict[str, object]]:
    """Every entry's every horizon, in writing order, with its score when settled: read a
    page of entries at a time (one short read transaction each), so an export of any size
    holds one page in memory."""
    after: str | None = None
    while True:
        with db.read() as session:
            views = entries_after(session, after, page)
        if not views:
            return
        for view in views:
            e = view.entry
            for w in view.windows:
                s = w.score
                yield {
                    "entry_id": e.id,
                    "pair_id": e.pair_id,
                    "made_at": _iso(e.made_at),
                    "made_on": e.made_on.isoformat(),
                    "as_of": _iso(e.as_of),
                    "kind": e.kind,
                    "status": e.status,
                    "run_id": e.run_id,
                    "prior_only": e.run_id is None,
                    "taxonomy_version": e.taxonomy_version,
                    "horizon_days": w.horizon.horizon_days,
                    "probability": w.horizon.probability,
                    "lower": w.horizon.lower,
                    "upper": w.horizon.upper,
                    "window_end": w.horizon.window_end.isoformat(),
                    "outcome": None if s is None else s.outcome,
                    "brier": None if s is None else s.brier,
                    "log_score": None if s is None else s.log_score,
                    "inside_interval": None if s is None else s.inside,
                    "settled_by": None if s is None else s.outcome_id,
                }
        after = views[-1].entry.id
