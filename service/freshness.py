"""One path by which a process learns that something was committed, and what it drops.

Two sources feed it. Other processes' commits (and this one's: the log holds them all)
reach it through the `ChangePoller`: every `cache_check_seconds` it asks its commit probe
(signals.changes: SQLite's data_version, PostgreSQL's LISTEN) whether anything was
committed, on the event loop and in microseconds; only then does it take what was
committed, from the probe when it can tell (the rows a PostgreSQL notification carries,
or SQLite's read on the probe's own connection), else, and every
`change_full_poll_seconds` whatever the probe says, by reading `change_log` in a worker
thread, and hands it to `Freshness.notify`. This process's own commits are told
at once, by the request that committed, through `Freshness.local` (service.deps), so its
client reads its own write. The change log brings the same change a poll later, tagged
with this app's origin: the caches pass over it (dropping twice would rebuild the listing
twice per write), the SSE broker takes it.

Either way a `Changes` goes to the subscribers, in order: the key cache (forget verified
keys on a revocation), the forecast cache (drop the pairs written; on a new run reload the
forecaster, then drop everything) and the SSE broker (end revoked keys' streams; recompute
the pairs written, from the cache dropped just before, and push those whose forecast
changed).
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import anyio

from service.auth import KeyCache
from service.cache import ForecastCache
from service.stream import Broker, summary
from signals.access import revoked_among
from signals.changes import (
    KEY_CHANGE,
    RUN_CHANGE,
    ChangeCursor,
    ChangeRow,
    CommitProbe,
    latest_change,
    open_probe,
)
from signals.db import Database
from signals.factions import pair_ids

log = logging.getLogger("riftcast.freshness")

# The shortest time between two polls woken by the probe's socket (see ChangePoller), and
# between two polls of a probe without one while commits keep coming.
WAKE_GAP_SECONDS = 0.005
# A probe without a socket is asked every WAKE_GAP_SECONDS for this long after it last
# said "committed", every interval otherwise.
BUSY_SECONDS = 1.0


@dataclass(frozen=True)
class Changes:
    """What some commits changed, as far as this process's caches care."""

    pairs: frozenset[str] = frozenset()  # pairs whose forecasts may have moved
    new_run: bool = False  # a model run was published: every forecast may have moved
    keys: bool = False  # a key was revoked
    # Read from the change log, and every row was a pair written by this app, which
    # dropped those pairs at its commit (`Freshness.local`): the caches have nothing left
    # to drop, and only the SSE streams still need telling.
    told_here: bool = False


class ChangeSubscriber(Protocol):
    """Something this process keeps that a commit can make stale."""

    async def changed(self, changes: Changes) -> None:
        """Changes read from the change log: on the event loop (blocking work in a worker
        thread), after the subscribers before this one have been told."""

    def changed_here(self, changes: Changes) -> None:
        """This process's own commit, right after it and before the response (in the
        request's thread, or the group committer's for a joined write): only what keeps
        that client from reading stale data, and without waiting on anything slow (a
        joined write's group is answered only after). The same changes reach `changed`
        from the change log within a poll, marked `told_here`."""


class Freshness:
    """The subscribers, in the order they are told of a change."""

    def __init__(self, subscribers: Iterable[ChangeSubscriber], origin: str | None = None) -> None:
        self.subscribers = list(subscribers)
        # What this app's writes are tagged with in the change log (signals.changes.ORIGIN),
        # unique to the app: two apps in one process keep caches of their own.
        self.origin = origin or uuid.uuid4().hex

    @classmethod
    def standard(
        cls,
        db: Database,
        cache: ForecastCache,
        broker: Broker,
        key_cache: KeyCache | None = None,
    ) -> Freshness:
        """A serving process's subscribers. The order matters: the forecast cache drops
        what is stale before the broker recomputes from it."""
        subscribers: list[ChangeSubscriber] = []
        if key_cache is not None:
            subscribers.append(KeyCacheSubscriber(key_cache))
        subscribers += [ForecastCacheSubscriber(cache), BrokerSubscriber(broker, cache, db)]
        return cls(subscribers)

    async def notify(self, changes: Changes) -> None:
        """Tell every subscriber of changes read from the change log. One that fails is
        logged, and the others are told all the same."""
        for sub in self.subscribers:
            try:
                await sub.changed(changes)
            except Exception:
                log.exception("%s failed to take a change", type(sub).__name__)

    def local(self, changes: Changes) -> None:
        """Tell every subscriber of a commit this process has just made (right after the
        commit: `ChangeSubscriber.changed_here`). A failure is logged, not raised: the write is
        committed, and the caches it left are dropped on the next write to the pair or a
        new run, or expire (`forecast_cache_seconds`)."""
        for sub in self.subscribers:
            try:
                sub.changed_here(changes)
            except Exception:
                log.exception("%s failed to take a local change", type(sub).__name__)


class KeyCacheSubscriber:
    """Verified keys are forgotten when any key is revoked: the next request with a revoked
    key is verified again, and refused."""

    def __init__(self, key_cache: KeyCache) -> None:
        self.key_cache = key_cache

    async def changed(self, changes: Changes) -> None:
        self.changed_here(changes)

    def changed_here(self, changes: Changes) -> None:
        if changes.keys:
            self.key_cache.clear()


class ForecastCacheSubscriber:
    """Drops the written pairs' forecasts (and the listings); on a new run reloads the
    forecaster first, then drops everything, so nothing computed from the old run
    outlives the reload (the cache's version guards refuse what was begun before)."""

    def __init__(self, cache: ForecastCache) -> None:
        self.cache = cache

    async def changed(self, changes: Changes) -> None:
        if changes.told_here:  # dropped at the commit already: dropping again would only
            return  # make the listing be rebuilt twice per write
        if changes.new_run:  # everything goes, the listings with it
            await anyio.to_thread.run_sync(self.cache.forecaster.reload_run)
            self.cache.clear()
        else:
            # Every read of the log with anything in it drops the listings, even with no
            # pair named (a new faction): as many reads, as many listing rebuilds at most.
            self.cache.invalidate(changes.pairs)

    def changed_here(self, changes: Changes) -> None:
        # A write's own commit names pairs (and keys), never a new run: a run is published
        # by the refit worker and reaches every process, this one included, through the
        # change log (`changed`), where reloading it may take a worker thread.
        if changes.pairs:
            self.cache.invalidate(changes.pairs)


class BrokerSubscriber:
    """This process's SSE streams: a revoked key's streams end, and the pairs written are
    recomputed (from the forecast cache, dropped just before) and pushed when their
    forecast changed. Event-loop side only: a local commit is pushed when the poller reads
    it from the change log."""

    def __init__(self, broker: Broker, cache: ForecastCache, db: Database) -> None:
        self.broker = broker
        self.cache = cache
        self.db = db

    def _revoked(self, streaming: set[str]) -> set[str]:
        with self.db.read() as session:
            return revoked_among(session, streaming)

    async def changed(self, changes: Changes) -> None:
        broker = self.broker
        if changes.keys:
            streaming = {sub.key_id for sub in broker.subscribers}
            if streaming:
                broker.close_revoked(await anyio.to_thread.run_sync(self._revoked, streaming))
        if not broker.subscribers:
            for pid in changes.pairs:
                broker.last_etag.pop(pid, None)
            return
        # This process's own commit may be read from the log before the request that made
        # it has dropped the pair's cached forecast (it does right after its COMMIT): the
        # cache could still hold the forecast from before the write, and the stream would
        # push it as the new one, then never the new one. So such a pair is computed afresh.
        compute = self.cache.compute if changes.told_here else self.cache.get
        for pid in sorted(changes.pairs):
            try:
                entry = await anyio.to_thread.run_sync(compute, pid)
            except Exception:
                log.exception("recomputing %s failed", pid)
                continue
            if broker.last_etag.get(pid) != entry.etag:
                broker.last_etag[pid] = entry.etag
                broker.publish(summary(entry))

    def changed_here(self, changes: Changes) -> None:
        return None


class ChangePoller:
    """The lifespan task that reads other processes' commits into `Freshness.notify`.

    An idle process must cost next to nothing (issue 12, item 1): a read of the change log
    every 30 ms, in a worker thread, cost about 4% of a core. So each poll first asks the
    probe, which needs no thread and no query, and reads only when it says "committed" (or
    cannot tell), and every `full_interval` as a safety net against a lost notification.
    Under writes, when every process hears a commit every few milliseconds, that read
    (a worker thread, a pooled session and a query each) cost a third of a millisecond of
    CPU per event with two workers (issue 16): the probe tells what it can without one.
    """

    def __init__(
        self,
        db: Database,
        freshness: Freshness,
        interval: float,
        full_interval: float = 1.0,
    ) -> None:
        self.db = db
        self.freshness = freshness
        self.interval = interval
        self.full_interval = full_interval
        self.cursor = ChangeCursor()
        self.probe = CommitProbe()  # "maybe" at every poll until start() opens the real one
        self.polls = 0  # probe checks
        self.reads = 0  # reads of the change log in a worker thread
        self.told = 0  # polls the probe told what was committed (no thread, no session)
        self.next_read = 0.0  # monotonic time of the safety-net read
        self.owed = False  # the probe said "committed" and no read has succeeded since
        self.last_commit = -math.inf  # monotonic time the probe last said "committed"

    def _latest(self) -> int:
        with self.db.read() as session:
            return latest_change(session)

    def _read(self) -> list[ChangeRow]:
        """What was committed since the last read (in a worker thread)."""
        self.probe.connect()  # a dropped probe listens again before this read, not after
        with self.db.read() as session:
            return self.cursor.read(session.connection(), time.monotonic())

    def _pair_ids(self) -> list[str]:
        with self.db.read() as session:
            return pair_ids(session)

    async def _changes(self, rows: list[ChangeRow]) -> Changes:
        """What `rows` change for this process's caches. A new run names every pair."""
        pairs = {r.pair_id for r in rows if r.pair_id}
        new_run = any(r.kind == RUN_CHANGE for r in rows)
        if new_run:
            pairs |= set(await anyio.to_thread.run_sync(self._pair_ids))
        keys = any(r.kind == KEY_CHANGE for r in rows)
        origin = self.freshness.origin
        told_here = all(r.origin == origin and r.pair_id for r in rows)
        return Changes(frozenset(pairs), new_run=new_run, keys=keys, told_here=told_here)

    async def start(self) -> None:
        # The probe first: a commit after the cursor's starting point is then signalled.
        self.probe = await anyio.to_thread.run_sync(open_probe, self.db)
        self.cursor = ChangeCursor(await anyio.to_thread.run_sync(self._latest))
        self.next_read = time.monotonic() + self.full_interval

    def close(self) -> None:
        self.probe.close()

    async def run(self) -> None:
        while True:
            await self._until_next_poll()
            try:
                await self.poll_once()
            except Exception:
                log.exception("change poll failed; retrying")

    async def _until_next_poll(self) -> None:
        """Wait `interval` (SQLite: `_pace()`); on PostgreSQL wake as soon as a NOTIFY
        arrives instead (the probe's socket turns readable), but no sooner than
        WAKE_GAP_SECONDS after the last poll: a commit is then read in about a millisecond
        rather than half an interval on average, and a burst of commits still costs one
        read per gap, not one each."""
        fd = self.probe.fileno()
        if fd is None:
            await anyio.sleep(self._pace())
            return
        await anyio.sleep(WAKE_GAP_SECONDS)
        with anyio.move_on_after(self.interval - WAKE_GAP_SECONDS):
            await anyio.wait_readable(fd)

    def _pace(self) -> float:
        """The wait before asking a probe without a socket (SQLite's) again: `interval` when
        quiet, so an idle process costs next to nothing, but WAKE_GAP_SECONDS while commits
        keep coming (one within BUSY_SECONDS), so that during a burst of writes a commit
        by another worker is read within milliseconds, as a NOTIFY is on PostgreSQL."""
        busy = time.monotonic() - self.last_commit < BUSY_SECONDS
        return min(self.interval, WAKE_GAP_SECONDS) if busy else self.interval

    async def poll_once(self) -> None:
        self.polls += 1
        now = time.monotonic()
        if self.probe.changed():
            self.owed = True
            self.last_commit = now
        elif not self.owed and now < self.next_read:
            return
        # What the probe can tell on the event loop; the log is read in a worker thread
        # when it cannot, and every `full_interval` whatever it says.
        rows = self.probe.told(self.cursor, now) if now < self.next_read else None
        if rows is None:
            self.reads += 1
            rows = await anyio.to_thread.run_sync(self._read)
            self.next_read = now + self.full_interval
        else:
            self.told += 1
        self.owed = False  # a failed read leaves it owed: the next poll reads again
        if rows:
            await self.freshness.notify(await self._changes(rows))
