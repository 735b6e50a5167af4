"""Keeping the forecast ledger (signals.ledger) from the forecasts this process serves.

The forecast cache is where a pair's headline forecast is computed, so it is where the
ledger hears of one: when a write or a new run makes a pair's forecast stale, the cache
asks this recorder to recompute it (`refresh`; the change poller drops stale forecasts in
every process, so writes by other processes and by the CLI are seen too), and any headline
it computes on a miss is offered (`served`). The recorder writes what differs from the
pair's latest entry, in a thread of its own: a request never waits for the ledger's write
(on SQLite a write queues behind every other writer), and a burst of changes — a new run
makes every pair's forecast stale — is written in a few transactions, not one per pair.

Every process offers what it computed; a forecast's ETag is the same in all of them, so the
database keeps one entry (`uq_ledger_pair_etag`) and the others are skipped. An unchanged
forecast (the same ETag as the pair's latest entry) writes nothing, so polling writes
nothing. Once a day the refit worker calls `snapshot_if_due`: every pair without an entry
for today is recomputed, and its new day's forecast recorded as that day's snapshot.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from signals import factions, ledger
from signals.clock import utcnow
from signals.db import Database
from signals.errors import DomainError

if TYPE_CHECKING:
    from service.cache import Entry, ForecastCache

log = logging.getLogger("riftcast.ledger")

# Stale pairs wait this long before they are recomputed: the write's own invalidation and
# the change poller's cost one recomputation, and a stream of writes to a busy pair one
# every few seconds rather than one each (at 0.1 s, the recomputations took a fifth of a
# worker's CPU under 250 single-event writes a second). At 1 s, each worker's
# recomputation of a pair of ~900 events (8 ms of CPU, 40 ms on two busy cores) overlapped
# one poll in 25 of the pollers' first reads of a new write: their p99 was 41-55 ms with
# 2 workers, 24-35 ms at 5 s. Forecasts actually served are offered at once, and `flush`
# cuts the wait short.
DEBOUNCE_SECONDS = 5.0
CHUNK = 100  # entries written per transaction


def served_of(entry: Entry) -> ledger.Served:
    """A cached headline forecast as the ledger records it: the values in its body,
    exactly as the API served them, and its ETag."""
    data = json.loads(entry.body)
    run = data.get("run") or {}
    return ledger.Served(
        pair_id=data["pair_id"],
        made_on=date.fromisoformat(data["on"]),
        as_of=datetime.fromisoformat(data["as_of"]),
        run_id=run.get("id"),
        status=data["status"],
        taxonomy_version=data["taxonomy_version"],
        etag=entry.etag,
        horizons=tuple(
            ledger.ServedHorizon(
                int(h["horizon_days"]),
                float(h["probability"]),
                float(h["lower"]),
                float(h["upper"]),
            )
            for h in data["horizons"]
        ),
    )


class LedgerRecorder:
    """Writes this process's headline forecasts to the ledger, off the request path."""

    def __init__(
        self, db: Database, cache: ForecastCache, debounce: float = DEBOUNCE_SECONDS
    ) -> None:
        self.db = db
        self.cache = cache
        self.debounce = debounce
        self._cond = threading.Condition()
        self._offered: list[Entry] = []
        self._stale: set[str] = set()
        self._all_stale = False
        self._known: dict[str, str] = {}  # pair -> the ETag of its latest entry, as known
        self._busy = False
        self._hurry = False  # flush() wants what is pending written without the debounce
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._snapshot_day: date | None = None
        self.written = 0  # entries written by this process (tests and logs read it)

    # -- what the cache and the worker call ---------------------------------------------

    def served(self, entry: Entry) -> None:
        """A headline forecast was computed: record it unless it is the pair's latest."""
        pair_id = entry.forecast.pair_id
        with self._cond:
            if self._known.get(pair_id) == entry.etag:
                return
            self._wake_if_idle()
            self._offered.append(entry)

    def refresh(self, pair_ids: Iterable[str]) -> None:
        """These pairs' forecasts are stale: recompute and record them (soon, in the
        recorder's thread; safe to call from the event loop)."""
        with self._cond:
            self._wake_if_idle()
            self._stale.update(pair_ids)

    def refresh_all(self) -> None:
        """Every pair's forecast is stale (a new run)."""
        with self._cond:
            self._wake_if_idle()
            self._all_stale = True

    def _wake_if_idle(self) -> None:
        """Wake the thread if nothing was pending (hold the lock, call before adding): once
        something is, it is awake or waiting out the debounce, which more work does not cut
        short. Under writes every commit makes a pair stale, in every process: a wake-up
        each cost the thread a trip through the GIL for nothing."""
        if not self._pending():
            self._cond.notify_all()

    def snapshot_if_due(self, today: date | None = None) -> int:
        """Once per UTC day: recompute the pairs that have no entry for today, so each gets
        its day's snapshot (or change). How many were asked for (0 when not due)."""
        today = today or utcnow().date()
        if self._snapshot_day == today:
            return 0
        with self.db.read() as session:
            due = ledger.pairs_without_entry_on(session, today)
        self.refresh(due)
        self._snapshot_day = today
        return len(due)

    # -- the thread ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ledger-recorder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def flush(self, timeout: float = 10.0) -> bool:
        """Write everything offered or stale so far, without waiting out the debounce, and
        wait until it is written; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._hurry = True
            self._cond.notify_all()
            while self._pending() or self._busy:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return False
                self._cond.wait(left)
            self._hurry = False
        return True

    def _pending(self) -> bool:
        return bool(self._offered or self._stale or self._all_stale)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending() and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                if (self._stale or self._all_stale) and self.debounce > 0:
                    self._cond.wait_for(lambda: self._hurry or self._stopping, self.debounce)
                self._hurry = False
                offered, self._offered = self._offered, []
                stale, self._stale = self._stale, set()
                everything, self._all_stale = self._all_stale, False
                self._busy = True
            try:
                self.run_once(offered, stale, everything)
            except Exception:
                log.exception("writing the forecast ledger failed; its entries are dropped")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def run_once(self, offered: list[Entry], stale: set[str], everything: bool = False) -> int:
        """Recompute the stale pairs, then write what differs from the ledger; how many
        entries were written."""
        if everything:
            with self.db.read() as session:
                stale = set(factions.pair_ids(session))
        entries = list(offered)
        for pair_id in sorted(stale):
            try:
                entries.append(self.cache.get(pair_id))
            except DomainError:  # e.g. the pair is gone from a restored database
                log.warning("no forecast of %s to record in the ledger", pair_id)
        return self._write(entries)

    def _write(self, entries: list[Entry]) -> int:
        fresh: dict[tuple[str, str], Entry] = {}
        with self._cond:
            for e in entries:
                if self._known.get(e.forecast.pair_id) != e.etag:
                    fresh.setdefault((e.forecast.pair_id, e.etag), e)
        items = [served_of(e) for e in fresh.values()]
        written = 0
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            with self.db.write() as session:
                written += len(ledger.append(session, chunk))
            with self._cond:
                for item in chunk:  # written now, or by another process before
                    self._known[item.pair_id] = item.etag
        self.written += written
        if written:
            log.debug("forecast ledger: %d entries written", written)
        return written
