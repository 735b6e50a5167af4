"""The forecast cache: serialised bodies and ETags, keyed by pair, horizons and UTC day.

Entries are dropped per pair when a write touches the pair (in this process at once, in
the others by the change-log poller; both through `service.freshness`) and all together
when a new run is published. The UTC day in the key, and a maximum age, keep decayed
evidence from being served stale.

The cache is where a pair's headline forecast is computed, so it is what tells the forecast
ledger (`service.forecasting.ledger.LedgerRecorder`, when one is attached): a dropped
forecast is recomputed for the ledger, and a headline computed on a miss is offered to it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from service.bodies import etag_of
from service.listing import Listing, sort_key
from service.metrics import Metrics
from service.schemas import ForecastHistory, ForecastPublic, HistoryPointPublic
from signals.clock import utcnow
from signals.factions import pair_ids

if TYPE_CHECKING:
    from models.results import PairForecast
    from service.forecasting.forecaster import Forecaster
    from service.forecasting.ledger import LedgerRecorder

T = TypeVar("T")
log = logging.getLogger("riftcast.cache")


@dataclass(frozen=True)
class Entry:
    body: bytes
    etag: str
    forecast: PairForecast
    stored_at: float


def serialise(forecast: PairForecast) -> bytes:
    return ForecastPublic.model_validate(forecast, from_attributes=True).model_dump_json().encode()


@dataclass
class _Flight:
    done: threading.Event
    value: Any = None
    error: BaseException | None = None


class SingleFlight:
    """One computation per key at a time: whoever asks for a key while it is being computed
    waits for that result instead of computing it again. After a write, concurrent requests
    for a pair's forecast (its pollers, the listing's rebuild, the ledger) cost one
    computation, not one each. Keys carry the cache version
    they were asked at, so a request that arrives after a write never gets a result begun
    before it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def do(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight(threading.Event())
        if leader:
            self._run(key, flight, compute)
        else:
            flight.done.wait()
        if flight.error is not None:
            raise flight.error
        return flight.value  # type: ignore[no-any-return]

    def _run(self, key: Hashable, flight: _Flight, compute: Callable[[], Any]) -> None:
        try:
            flight.value = compute()
        except BaseException as exc:  # handed to every caller of do(key), which re-raises it
            flight.error = exc
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()


ListingKey = tuple[int, str, str]
# How long a write waits for this process's listings to include it before it is answered
# all the same (it is committed either way): only a stuck rebuild ever takes this long.
LISTING_WAIT_SECONDS = 30.0
# A listing is rebuilt after each change while it is polled (dashboards poll every few
# seconds); one not asked for in this long is forgotten, and built again when asked.
LISTING_POLLED_SECONDS = 60.0


def _listing_key(horizon: int, order: str) -> ListingKey:
    """A listing's place in the cache: its horizon, its order and the UTC day."""
    return (horizon, order, utcnow().date().isoformat())


class ForecastCache:
    def __init__(self, forecaster: Forecaster, metrics: Metrics, max_age: float) -> None:
        self.forecaster = forecaster
        self.metrics = metrics
        self.max_age = max_age
        self._lock = threading.Lock()
        self._listing_built = threading.Condition(self._lock)  # a listing was stored
        self._entries: dict[tuple[str, tuple[int, ...], str], Entry] = {}
        # Version guards: a computation stores its result only if the versions it began
        # under are unchanged when it ends (SingleFlight keys carry them too), so what was
        # begun before a drop is neither kept nor handed to a caller who came after it.
        # Per pair, bumped by `invalidate`: a pair's entries and series vs a write to it.
        self._versions: dict[str, int] = {}
        # Bumped by `clear`: every entry and series vs a new run.
        self._generation = 0
        # Every pair's forecast sorted, per (horizon, order, day), served in pages: the
        # listings (`service.listing`). A change drops them and rebuilds at once, in one
        # thread per listing, those polled lately (issue 16): nobody who polls waits for a
        # rebuild, a write waits until this process's listings include it.
        self._listings: dict[ListingKey, tuple[Listing, float]] = {}  # built since the change
        # Bumped by `invalidate` and `clear`: the listings vs any write or new run.
        self._listing_version = 0
        # The newest listing built, kept across changes: served while its rebuild runs.
        self._last_listings: dict[ListingKey, tuple[Listing, float]] = {}
        self._built_at: dict[ListingKey, int] = {}  # the version it was begun at
        self._polled: dict[ListingKey, float] = {}  # when each listing was last asked for
        self._rebuilding: set[ListingKey] = set()  # listings with a rebuild thread running
        self._flights = SingleFlight()  # one computation of an entry at a time
        # A pair's chart series, per (pair, horizon, start, end, step, day); dropped with it.
        self._histories: dict[tuple[Any, ...], tuple[bytes, str]] = {}
        # The forecast ledger's recorder: told of every headline computed and every drop.
        self.recorder: LedgerRecorder | None = None

    def require(self) -> Forecaster:
        return self.forecaster

    def _fresh(self, stored_at: float, now: float | None = None) -> bool:
        """Whether something cached at `stored_at` (monotonic) may still be served."""
        return (time.monotonic() if now is None else now) - stored_at < self.max_age

    def peek(
        self, pair_id: str, horizons: Sequence[int] | None = None, count: bool = True
    ) -> Entry | None:
        """A fresh cached entry, or None — without computing (safe on the event loop).
        `count=False` leaves the hit to be counted by a caller that may still decline."""
        hz = tuple(sorted(set(horizons))) if horizons else ()
        with self._lock:
            entry = self._entries.get((pair_id, hz, utcnow().date().isoformat()))
        if entry is not None and self._fresh(entry.stored_at):
            if count:
                self.metrics.cache.labels("hit").inc()
            return entry
        return None

    def get(self, pair_id: str, horizons: Sequence[int] | None = None) -> Entry:
        forecaster = self.require()
        hz = tuple(sorted(set(horizons))) if horizons else ()
        key = (pair_id, hz, utcnow().date().isoformat())
        with self._lock:
            entry = self._entries.get(key)
            version = (self._generation, self._versions.get(pair_id, 0))
        if entry is not None and self._fresh(entry.stored_at):
            self.metrics.cache.labels("hit").inc()
            return entry
        self.metrics.cache.labels("miss").inc()

        def compute() -> Entry:
            forecast = forecaster.forecast(pair_id, None, hz or None)
            body = serialise(forecast)
            entry = Entry(body, etag_of(body), forecast, time.monotonic())
            with self._lock:
                if version == (self._generation, self._versions.get(pair_id, 0)):
                    self._entries[key] = entry
            if not hz and self.recorder is not None:  # the headline: configured horizons
                self.recorder.served(entry)
            return entry

        return self._flights.do(("entry", *key, *version), compute)

    def compute(
        self,
        pair_id: str,
        as_of: datetime | None = None,
        horizons: Sequence[int] | None = None,
        on: date | None = None,
    ) -> Entry:
        """An uncached forecast (as of a past time, or for an earlier date): deterministic
        once its knowledge time is past, so its ETag is stable. With no arguments but the
        pair, its latest headline computed now whatever is cached: the same bytes and ETag
        as `get` gives once the cache has caught up."""
        hz = list(horizons) if horizons else None
        forecast = self.require().forecast(pair_id, as_of, hz, on)
        body = serialise(forecast)
        return Entry(body, etag_of(body), forecast, time.monotonic())

    def peek_listing(
        self, horizon: int, order: str, during_rebuild: bool = False, poll: bool = True
    ) -> Listing | None:
        """The cached listing of every pair's forecast, or None (event-loop safe). With
        `during_rebuild` (what the polling fast path asks), while the listing is being
        rebuilt after a change, the newest one built before it: pollers are answered at
        once rather than queue behind the rebuild. A write is answered only once its
        process's rebuild includes it, so a client reads its own write all the same."""
        key = _listing_key(horizon, order)
        now = time.monotonic()
        with self._lock:
            if poll:  # a client asked: keep it rebuilt after changes
                self._polled[key] = now
            found = self._listings.get(key)
            last = self._last_listings.get(key)
            rebuilding = key in self._rebuilding
        if found is not None and self._fresh(found[1], now):
            return found[0]
        if during_rebuild and rebuilding and last is not None and self._fresh(last[1], now):
            self.metrics.cache.labels("previous").inc()
            return last[0]
        return None

    def listing(self, horizon: int, order: str, poll: bool = True) -> Listing:
        """Every pair's latest forecast, sorted by probability at `horizon`
        (`-probability` or `probability`) or by pair id (`pair`); built once, then rebuilt
        after each change for as long as it is polled (`poll=False`: built for the polls to
        come, not one). Blocks until it is built."""
        found = self.peek_listing(horizon, order, poll=poll)
        if found is not None:
            return found
        key = _listing_key(horizon, order)
        with self._lock:
            version = self._listing_version
            last = self._last_listings.get(key)
            if last is None or not self._fresh(last[1]):
                self._built_at.pop(key, None)  # too old to serve: wait for a new build
            self._start_rebuilds([key])
        return self._await_listing(key, version, timeout=None)

    def rebuilding_listings(self) -> bool:
        """Whether a listing is being rebuilt (`wait_for_listings` would block)."""
        with self._lock:
            return bool(self._rebuilding)

    def wait_for_listings(self, timeout: float = LISTING_WAIT_SECONDS) -> None:
        """Block until every listing being rebuilt includes what was committed before this
        call (a write, before it is answered: its client then reads it in the listing)."""
        with self._lock:
            version, keys = self._listing_version, list(self._rebuilding)
        for key in keys:
            self._await_listing(key, version, timeout)

    def _await_listing(self, key: ListingKey, version: int, timeout: float | None) -> Listing:
        """The listing `key` once built at `version` or later (or the newest built, when
        its rebuild stopped or `timeout` passed)."""
        with self._listing_built:
            self._listing_built.wait_for(
                lambda: self._built_at.get(key, -1) >= version or key not in self._rebuilding,
                timeout,
            )
            found = self._last_listings.get(key)
        if found is None:
            raise RuntimeError(f"the listing {key} could not be built (see the log)")
        return found[0]

    def _start_rebuilds(self, keys: Iterable[ListingKey]) -> None:
        """A rebuild thread for each of `keys` that has none (hold the lock)."""
        for key in keys:
            if key not in self._rebuilding:
                self._rebuilding.add(key)
                threading.Thread(target=self._rebuild, args=(key,), daemon=True).start()

    def _rebuild_polled(self) -> None:
        """After a change (hold the lock): rebuild the listings polled lately; forget the
        others, and those of an earlier UTC day, which nobody is served."""
        now, today = time.monotonic(), utcnow().date().isoformat()
        for key in list(self._last_listings):
            polled = self._polled.get(key)
            if key[2] != today or polled is None or now - polled >= LISTING_POLLED_SECONDS:
                for kept in (self._polled, self._last_listings, self._built_at):
                    kept.pop(key, None)
        self._start_rebuilds(list(self._last_listings))  # each polled lately, as kept

    def _rebuild(self, key: ListingKey) -> None:
        """Build the listing until it is built at the latest version: the changes that
        arrive during a build cost one more build, however many they are."""
        try:
            done = False
            while not done:
                with self._lock:
                    version = self._listing_version
                with self.metrics.listing_build.time():
                    stored = self._build_listing(key)
                with self._listing_built:
                    self._last_listings[key] = (stored, time.monotonic())
                    self._built_at[key] = version  # what was committed before: answered
                    done = version == self._listing_version  # else changed meanwhile
                    if done:  # in the same hold as the check: a change now starts anew
                        self._listings[key] = self._last_listings[key]
                        self._rebuilding.discard(key)
                    self._listing_built.notify_all()
        except Exception:
            log.exception("building the listing %s failed", key)
            with self._listing_built:
                self._rebuilding.discard(key)
                self._listing_built.notify_all()

    def _build_listing(self, key: ListingKey) -> Listing:
        horizon, order, day = key
        with self.require().db.read() as session:
            ids = pair_ids(session)
        # After a write all but a few entries are cached: take them under one lock, and
        # count them as one, rather than a lock and a counter per pair (half the rebuild).
        with self._lock:
            cached = [self._entries.get((pid, (), day)) for pid in ids]
        now = time.monotonic()
        entries = [
            e if e is not None and self._fresh(e.stored_at, now) else self.get(pid)
            for pid, e in zip(ids, cached, strict=True)
        ]
        self.metrics.cache.labels("hit").inc(sum(e is not None for e in cached))
        ranked = [
            (sort_key(order, e.forecast.horizon(horizon).probability, e.forecast.pair_id), e.body)
            for e in entries
        ]
        return Listing(horizon, order, ranked, self.require().settings.forecast_page_size)

    def history(
        self, pair_id: str, horizon: int, start: date | None, end: date | None, step_days: int
    ) -> tuple[bytes, str]:
        """The body and ETag of a pair's forecast series (the dashboard's chart), cached
        until a write touches the pair."""
        key = (pair_id, horizon, start, end, step_days, utcnow().date().isoformat())
        with self._lock:
            found = self._histories.get(key)
            version = (self._generation, self._versions.get(pair_id, 0))
        if found is not None:
            return found
        points = self.require().history(pair_id, horizon, start, end, step_days)
        body = (
            ForecastHistory(
                pair_id=pair_id,
                horizon_days=horizon,
                points=[HistoryPointPublic.model_validate(p, from_attributes=True) for p in points],
            )
            .model_dump_json()
            .encode()
        )
        result = (body, etag_of(body))
        with self._lock:
            if version == (self._generation, self._versions.get(pair_id, 0)):
                if len(self._histories) > 10_000:  # many odd ranges: bound it all the same
                    self._histories.clear()
                self._histories[key] = result
        return result

    def invalidate(self, pair_ids: Iterable[str]) -> None:
        pids = set(pair_ids)
        with self._lock:
            self._listing_version += 1
            self._listings.clear()
            for k in [k for k in self._histories if k[0] in pids]:
                del self._histories[k]
            for pid in pids:
                self._versions[pid] = self._versions.get(pid, 0) + 1
            drop = [k for k in self._entries if k[0] in pids]
            for k in drop:
                del self._entries[k]
            self._rebuild_polled()
        if self.recorder is not None:
            self.recorder.refresh(pids)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._listing_version += 1
            self._listings.clear()
            self._histories.clear()
            self._entries.clear()
            self._rebuild_polled()
        if self.recorder is not None:
            self.recorder.refresh_all()
