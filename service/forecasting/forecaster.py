"""The forecasting facade the routes and the CLI use: published run + event log → PairForecast.

Forecasts never wait for MCMC: a new event changes the evidence, not the posterior, so a
forecast is recomputed from the published run's draws with NumPy in about a millisecond.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, select

from models import forecast as fc
from models.data import (
    EventRow,
    EventTable,
    date_of,
    day_number,
    end_of_day,
    to_arrays,
)
from models.features import (
    EventArrays,
    arrival_counts,
    arrival_rates,
    event_contributions,
    evidence_at,
    held_at,
)
from models.hazard import Posterior, prior_draws
from models.priors import half_lives, priors_from
from models.results import (
    EventDriver,
    HistoryPoint,
    HorizonResult,
    PairForecast,
    RunInfo,
    TypeDriver,
)
from service.forecasting.loading import PairEvents
from service.forecasting.runs import info
from signals.changes import latest_change_time
from signals.clock import new_id, to_utc, utcnow
from signals.config import Settings
from signals.db import Database
from signals.errors import FieldProblem, InvalidInput
from signals.events import event_values
from signals.factions import get_pair, list_pairs, pair_id_for
from signals.runs import ModelRun, published_run, published_run_before
from signals.schemas import EventIn, HypotheticalEventIn
from signals.tables import IndicatorEvent, Pair
from signals.taxonomy import Taxonomy

PRIOR_DRAWS = 1000
EVENT_DRIVER_HORIZON = 90
MAX_EVENT_DRIVERS = 20  # the events weighing most; bounds the cost for busy pairs
# Each event's effect is the mean change over this many evenly spaced draws (the same draws
# with and without the event, so the difference is precise while the work is a quarter).
DRIVER_DRAWS = 250
PAST_RUNS_CACHED = 4  # runs kept loaded for as-of forecasts, besides the published one


@dataclass(frozen=True)
class PairState:
    """What a forecast reads of a pair's events on a day, as (K,) arrays per type."""

    now: np.ndarray  # decayed, graded evidence
    rate: np.ndarray  # graded evidence arriving per day lately
    held: np.ndarray  # evidence of states still open (held, not decayed, ahead)
    count: np.ndarray  # events arriving per day lately


@dataclass(frozen=True)
class LoadedRun:
    row: ModelRun
    posterior: Posterior
    pair_index: dict[str, int]


class Forecaster:
    """Holds the published run's draws (reloaded when a new run is published).

    Safe for concurrent use from the threadpool. Raises `signals.errors.NotFound` for an
    unknown pair and `signals.errors.InvalidInput` (naming the field) for a bad horizon
    or as_of.
    """

    def __init__(self, db: Database, settings: Settings, taxonomy: Taxonomy) -> None:
        self.db = db
        self.settings = settings
        self.taxonomy = taxonomy
        self.priors = priors_from(taxonomy)
        self.half_lives = half_lives(taxonomy)
        self._lock = threading.Lock()
        self._run: LoadedRun | None = None
        self._past: dict[str, LoadedRun] = {}
        self._prior = prior_draws(self.priors, 1, PRIOR_DRAWS, seed=0)
        self.events = PairEvents(taxonomy, settings.event_cache_rows)

    @classmethod
    def load(cls, db: Database, settings: Settings, taxonomy: Taxonomy) -> Forecaster:
        """A forecaster holding the newest published run, or the priors alone when there is
        none: what every caller wants (the bare constructor holds the priors only)."""
        forecaster = cls(db, settings, taxonomy)
        forecaster.reload_run()
        return forecaster

    # -- the published run -------------------------------------------------------------

    def published_run(self) -> RunInfo | None:
        loaded = self._run
        return info(loaded.row) if loaded else None

    def reload_run(self) -> bool:
        """Load the newest published run if it changed; True when it did."""
        with self.db.read() as session:
            row = published_run(session)
        current = self._run
        if row is None or (current is not None and current.row.id == row.id):
            return False
        if list(row.type_keys) != list(self.taxonomy.column_keys):
            return False  # fitted under another taxonomy: keep what we have until a refit
        loaded = _load(row)
        with self._lock:
            self._run = loaded
        return True

    def _run_for(self, session: Session, when: datetime) -> LoadedRun | None:
        """The run an as-of forecast may use: the newest published run whose data cut-off
        is at or before `when` (a later run was fitted on data not known then), or None —
        the priors alone — when there was none, or it was fitted under another taxonomy."""
        run_id = published_run_before(session, when)
        current = self._run
        if run_id is None or (current is not None and current.row.id == run_id):
            return current if run_id is not None else None
        with self._lock:
            cached = self._past.get(run_id)
        if cached is not None:
            return cached
        row = session.get(ModelRun, run_id)
        if row is None or list(row.type_keys) != list(self.taxonomy.column_keys):
            return None
        loaded = _load(row)
        with self._lock:
            if len(self._past) >= PAST_RUNS_CACHED:
                self._past.pop(next(iter(self._past)))
            self._past[run_id] = loaded
        return loaded

    # -- validation ----------------------------------------------------------------------

    def _horizons(self, horizons: Sequence[int] | None) -> tuple[int, ...]:
        values = tuple(horizons) if horizons else tuple(self.settings.horizons)
        bad = [h for h in values if not 0 < h <= fc.MAX_HORIZON_DAYS]
        if bad:
            raise InvalidInput.one(
                "horizon", f"{bad[0]} days is out of range: use 1 to {fc.MAX_HORIZON_DAYS} days"
            )
        return tuple(sorted(set(values)))

    def _as_of(self, as_of: datetime | None) -> datetime:
        now = utcnow()
        if as_of is None:
            return now
        value = to_utc(as_of)
        if value > now + timedelta(seconds=5):
            raise InvalidInput.one("as_of", f"{value.isoformat()} is in the future")
        return value

    def check_as_of(self, as_of: datetime) -> datetime:
        """`as_of` as `forecast` reads it, or InvalidInput naming `as_of` (in the future, or
        before any recorded data): a streamed export refuses a bad time before its first
        byte, when it can still answer 422."""
        when = self._as_of(as_of)
        with self.db.read() as session:
            if _before_any_data(session, when):
                raise InvalidInput.one("as_of", f"{when.isoformat()} is before any recorded data")
        return when

    # -- forecasts -----------------------------------------------------------------------

    def _state(self, arrays: EventArrays, day: float) -> PairState:
        """A one-pair table's evidence on `day`: decayed, its pace of new events, and the
        part from states still open."""
        k = len(self.half_lives)
        return PairState(
            evidence_at(arrays, 1, self.half_lives, day)[0],
            arrival_rates(arrays, 1, k, day)[0],
            held_at(arrays, 1, k, day)[0],
            arrival_counts(arrays, 1, k, day)[0],
        )

    def _draws(self, pair_id: str, loaded: LoadedRun | None) -> tuple[np.ndarray, np.ndarray, bool]:
        """(alpha draws for the pair, beta draws, pooled?) from a run, or the priors."""
        post = loaded.posterior if loaded else self._prior
        if loaded is not None and pair_id in loaded.pair_index:
            return post.alpha[:, loaded.pair_index[pair_id]], post.beta, False
        # A pair the run has not seen: its baseline comes from the pooled distribution.
        seed = int.from_bytes(hashlib.sha256(pair_id.encode()).digest()[:4], "little")
        z = np.random.default_rng(seed).standard_normal(post.mu_alpha.shape[0])
        return post.mu_alpha + post.sigma_alpha * z, post.beta, True

    def forecast(
        self,
        pair_id: str,
        as_of: datetime | None = None,
        horizons: Sequence[int] | None = None,
        on: date | None = None,
    ) -> PairForecast:
        """The forecast from what was known at `as_of` (now by default), made on that date
        — or, with `on`, made on an earlier date from the same knowledge (a retrospective
        view: how the evidence known now read on that day; no later event is counted)."""
        hz = self._horizons(horizons)
        when = self._as_of(as_of)
        if on is not None and on > when.date():
            raise InvalidInput.one("on", f"{on} is after the knowledge cut-off {when.date()}")
        with self.db.read() as session:
            pair = get_pair(session, pair_id)
            table = self.events.table(session, pair_id, when if as_of else None)
            loaded = self._run
            if as_of is not None:
                if _before_any_data(session, when):
                    raise InvalidInput.one(
                        "as_of", f"{when.isoformat()} is before any recorded data"
                    )
                loaded = self._run_for(session, when)
            else:
                # "Latest" means as of the newest write: every process computing it from
                # the same data produces the same bytes (and ETag).
                when = to_utc(latest_change_time(session, pair_id) or when)
        valuation = on or (when.date() if as_of is not None else utcnow().date())
        return self._compute(pair, table, when, hz, valuation, loaded, retrospective=on is not None)

    def _compute(
        self,
        pair: Pair,
        table: EventTable,
        when: datetime,
        hz: tuple[int, ...],
        on: date,
        loaded: LoadedRun | None,
        retrospective: bool = False,
        rate_from: EventArrays | None = None,
    ) -> PairForecast:
        """The forecast from `table`'s events; arrival rates come from `rate_from` when
        given (a what-if's hypothetical events are evidence, not a change of the pair's
        usual pace: counting them in the rate too would count them twice)."""
        alpha, beta, pooled = self._draws(pair.id, loaded)
        day = day_number(on)
        arrays = table.arrays
        visible = arrays.day <= day
        state = self._state(arrays, day)
        pace = self._state(rate_from, day) if rate_from is not None else state
        now, rate, held, count = state.now, pace.rate, state.held, pace.count
        step = self.settings.step_days
        results = fc.forecast_pair(alpha, beta, now, self.half_lives, hz, step, rate, held, count)
        horizon_results = tuple(
            HorizonResult(
                horizon_days=r.horizon_days,
                probability=float(r.mean),
                lower=float(r.q05),
                upper=float(r.q95),
                phrase=r.phrase,
                phrase_uncertain=bool(r.phrase_uncertain),
            )
            for r in results
        )
        type_drivers = tuple(
            TypeDriver(
                key=key,
                label=self.taxonomy.columns[k].label,
                evidence=float(now[k]),
                contribution=float(contribution),
                share=None if share is None else float(share),
            )
            for k, (key, contribution, share) in enumerate(
                fc.type_contributions(beta, now, self.taxonomy.column_keys)
            )
            if now[k] > 0
        )
        # The drivers' "with the event" figure is the headline P(90 d) when it was asked for.
        headline = next((r.mean for r in results if r.horizon_days == EVENT_DRIVER_HORIZON), None)
        event_drivers = self._event_drivers(
            table, visible, alpha, beta, now, rate, held, count, day, headline
        )
        notes: list[str] = []
        if retrospective:
            notes.append(f"Retrospective: the evidence known now, as it stood on {on}.")
        if loaded is None:
            notes.append("No published model run: the priors alone forecast.")
        elif pooled:
            notes.append("The pair was not in the run: its baseline is the pooled estimate.")
        return PairForecast(
            pair_id=pair.id,
            faction_a=pair.faction_a,
            faction_b=pair.faction_b,
            status=pair.status,
            as_of=when,
            on=on,
            horizons=horizon_results,
            type_drivers=tuple(sorted(type_drivers, key=lambda d: -abs(d.contribution))),
            event_drivers=event_drivers,
            run=info(loaded.row) if loaded else None,
            prior_only=loaded is None,
            pooled_alpha=pooled,
            n_events=int(np.unique(arrays.rows[visible]).size),
            taxonomy_version=self.taxonomy.version,
            notes=tuple(notes),
        )

    def _event_drivers(
        self,
        table: EventTable,
        visible: np.ndarray,
        alpha: np.ndarray,
        beta: np.ndarray,
        now: np.ndarray,
        rate: np.ndarray,
        held: np.ndarray,
        count: np.ndarray,
        day: float,
        p_with: float | None = None,
    ) -> tuple[EventDriver, ...]:
        """How much each of the heaviest events moves P(rift within 90 days): the forecast
        without it, for at most MAX_EVENT_DRIVERS events.

        Only the event's own decayed evidence is removed; the pair's expected arrival rate
        is held fixed, so the figure isolates what the event says by itself.
        """
        horizon = EVENT_DRIVER_HORIZON
        arrays = table.arrays
        k = len(self.half_lives)
        contributions = event_contributions(arrays, self.half_lives, day)
        contributions[~visible] = 0.0
        # Each event's evidence by column (its type's and the activity column's), and the
        # part that is an open state, which the forecast holds rather than decays.
        amounts = np.zeros((len(table.rows), k))
        np.add.at(amounts, (arrays.rows, arrays.kind), contributions)
        holds = np.zeros((len(table.rows), k), dtype=bool)
        holds[arrays.rows, arrays.kind] = arrays.open_states(day)
        # Rank by the posterior-mean log-odds each event adds, then price the heaviest.
        weight = np.abs(amounts @ beta.mean(axis=0))
        weight[amounts.sum(axis=1) <= 0] = -1.0
        ranked = [int(i) for i in np.argsort(-weight)[:MAX_EVENT_DRIVERS] if weight[i] >= 0]
        if p_with is None:
            (full,) = fc.forecast_pair(
                alpha,
                beta,
                now,
                self.half_lives,
                (horizon,),
                self.settings.step_days,
                rate,
                held,
                count,
            )
            p_with = float(full.mean)  # the headline figure; the effect is estimated on `sub`
        sub = np.linspace(0, len(alpha) - 1, min(DRIVER_DRAWS, len(alpha))).round().astype(int)
        base, without = fc.mean_without(
            alpha[sub],
            beta[sub],
            now,
            self.half_lives,
            horizon,
            amounts[ranked],
            self.settings.step_days,
            rate,
            held,
            holds[ranked],
            count,
        )
        drivers = [
            _driver(table.rows[i], horizon, p_with, min(1.0, max(0.0, p_with - base + p_without)))
            for i, p_without in zip(ranked, without, strict=True)
        ]
        return tuple(sorted(drivers, key=lambda d: -abs(d.delta)))

    def forecast_all(self, horizons: Sequence[int] | None = None) -> list[PairForecast]:
        hz = self._horizons(horizons)
        with self.db.read() as session:
            pairs = list_pairs(session)
        return [self.forecast(p.id, None, hz) for p in pairs]

    def history(
        self,
        pair_id: str,
        horizon: int,
        start: date | None = None,
        end: date | None = None,
        step_days: int = 7,
    ) -> list[HistoryPoint]:
        """The forecast at each date, from the events as known now that occurred by then.

        A retrospective series for charts (the current evidence replayed over time); a
        forecast as an analyst could have made it on a past date is `forecast(as_of=…)`.
        """
        (hz,) = self._horizons([horizon])
        if step_days < 1:
            raise InvalidInput.one("step_days", "must be at least 1")
        with self.db.read() as session:
            get_pair(session, pair_id)
            table = self.events.table(session, pair_id)
        today = utcnow().date()
        end = min(end or today, today)
        first = date_of(float(table.arrays.day.min())) if len(table.rows) else end
        start = start or min(first - timedelta(days=30), end - timedelta(days=365))
        if start > end:
            raise InvalidInput.one("start", "must not be after end")
        n = min(520, (end - start).days // step_days + 1)
        alpha, beta, _ = self._draws(pair_id, self._run)
        dates = [end - timedelta(days=step_days * (n - 1 - i)) for i in range(n)]
        states = [self._state(table.arrays, day_number(on)) for on in dates]
        draws = fc.series_draws(
            alpha,
            beta,
            np.array([st.now for st in states]),
            self.half_lives,
            hz,
            self.settings.step_days,
            np.array([st.rate for st in states]),
            np.array([st.held for st in states]),
            np.array([st.count for st in states]),
        )
        low, high = np.quantile(draws, [0.05, 0.95], axis=1)
        return [
            HistoryPoint(on, hz, float(p), float(lo), float(hi))
            for on, p, lo, hi in zip(dates, draws.mean(axis=1), low, high, strict=True)
        ]

    def what_if(
        self,
        pair_id: str,
        hypothetical: Sequence[EventIn | HypotheticalEventIn],
        horizons: Sequence[int] | None = None,
    ) -> tuple[PairForecast, PairForecast]:
        """(current forecast, forecast with the hypothetical events added) — nothing stored.
        An event without factions is about `pair_id`; one with factions must name its pair."""
        hz = self._horizons(horizons)
        when = utcnow()
        problems = []
        for i, item in enumerate(hypothetical):
            named = item.faction_a is not None or item.faction_b is not None
            if named and pair_id_for(item.faction_a or "", item.faction_b or "") != pair_id:
                message = f"the event is not about pair {pair_id}"
                problems.append(FieldProblem("faction_b", message, i))
            if self.taxonomy.get(item.type) is None:
                problems.append(FieldProblem("type", f"unknown indicator type {item.type!r}", i))
        if problems:
            raise InvalidInput("; ".join(str(p) for p in problems), problems)
        with self.db.read() as session:
            pair = get_pair(session, pair_id)
            table = self.events.table(session, pair_id)
            when = to_utc(latest_change_time(session, pair_id) or when)
        today = utcnow().date()
        loaded = self._run
        current = self._compute(pair, table, when, hz, today, loaded)
        extra = [_hypothetical_row(pair_id, item, when) for item in hypothetical]
        augmented = to_arrays([*table.rows, *extra], [pair_id], self.taxonomy)
        return current, self._compute(
            pair, augmented, when, hz, today, loaded, rate_from=table.arrays
        )


def _load(row: ModelRun) -> LoadedRun:
    posterior = Posterior.from_netcdf(Path(row.draws_path))
    return LoadedRun(row, posterior, {pid: i for i, pid in enumerate(row.pair_ids)})


def _before_any_data(session: Session, when: datetime) -> bool:
    first = session.exec(select(func.min(IndicatorEvent.recorded_at))).one()
    return first is None or to_utc(first) > when


def _driver(row: EventRow, horizon: int, p_with: float, p_without: float) -> EventDriver:
    return EventDriver(
        event_id=row.id,
        type=row.type,
        occurred_on=row.occurred_on,
        precision=row.precision,
        actor=row.actor,
        summary=row.summary,
        source=row.source,
        source_url=row.source_url,
        reliability=row.reliability,
        credibility=row.credibility,
        horizon_days=horizon,
        p_with=p_with,
        p_without=p_without,
        delta=p_with - p_without,
    )


def _hypothetical_row(
    pair_id: str, item: EventIn | HypotheticalEventIn, when: datetime
) -> IndicatorEvent:
    event_id = f"hypothetical-{new_id()}"
    return IndicatorEvent(
        **event_values(item, pair_id, when.astimezone(UTC), "what-if", event_id, "")
    )


__all__ = ["Forecaster", "end_of_day"]
