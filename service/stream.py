"""Server-Sent Events of forecast changes, fed by the change-log poller.

Every `cache_check_seconds` each process asks its commit probe (signals.changes: SQLite's
data_version, PostgreSQL's LISTEN) whether anything was committed, on the event loop and
in microseconds; only then, or every `change_full_poll_seconds` whatever the probe says,
does it read `change_log` in a worker thread. The pairs written since the last read (by
any process) have their cached forecasts dropped, are recomputed from the published run,
and — when the forecast changed — are pushed to this process's SSE subscribers. A `run`
change reloads the published run and refreshes every pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio

from service.auth import KeyCache
from service.cache import Entry, ForecastCache
from service.schemas import HorizonPublic
from signals.access import revoked_among
from signals.changes import (
    KEY_CHANGE,
    RUN_CHANGE,
    ChangeCursor,
    CommitProbe,
    latest_change,
    open_probe,
)
from signals.db import Database
from signals.factions import list_pairs

log = logging.getLogger("riftcast.stream")
QUEUE_SIZE = 256


@dataclass(frozen=True)
class Threshold:
    pair_id: str
    horizon_days: int
    value: float


@dataclass(eq=False)
class Subscriber:
    pairs: frozenset[str] | None
    thresholds: tuple[Threshold, ...]
    key_id: str = ""  # the key that opened the stream: its revocation closes it
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    last: dict[tuple[str, int], float] = field(default_factory=dict)
    revoked: bool = False

    def wants(self, pair_id: str) -> bool:
        return (
            self.pairs is None
            or pair_id in self.pairs
            or any(t.pair_id == pair_id for t in self.thresholds)
        )


def summary(entry: Entry) -> dict[str, Any]:
    f = entry.forecast
    return {
        "pair_id": f.pair_id,
        "etag": entry.etag,
        "as_of": f.as_of.isoformat(),
        "run_id": f.run.id if f.run else None,
        "prior_only": f.prior_only,
        # The API's own shape of a horizon (and so its rounding), less the band flag.
        "horizons": [
            HorizonPublic.model_validate(h).model_dump(mode="json", exclude={"phrase_uncertain"})
            for h in f.horizons
        ],
    }


class Broker:
    """Fan-out of forecast changes to this process's SSE clients (event-loop side)."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.last_etag: dict[str, str] = {}

    def subscribe(self, sub: Subscriber) -> Subscriber:
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def close_revoked(self, key_ids: set[str]) -> None:
        """End the streams opened with these (revoked) keys: flag them, and wake each one
        waiting on its queue (a full queue is read on, and the flag seen, anyway)."""
        for sub in list(self.subscribers):
            if sub.key_id in key_ids and not sub.revoked:
                sub.revoked = True
                with contextlib.suppress(asyncio.QueueFull):
                    sub.queue.put_nowait({"event": "revoked", "data": {}})

    def publish(self, message: dict[str, Any]) -> None:
        pair_id = message["pair_id"]
        for sub in list(self.subscribers):
            if not sub.wants(pair_id):
                continue
            events = [("forecast", message)]
            by_h = {h["horizon_days"]: h["probability"] for h in message["horizons"]}
            for t in sub.thresholds:
                if t.pair_id != pair_id or t.horizon_days not in by_h:
                    continue
                new = by_h[t.horizon_days]
                old = sub.last.get((pair_id, t.horizon_days))
                sub.last[(pair_id, t.horizon_days)] = new
                if old is None:
                    continue
                if (old < t.value) != (new < t.value):
                    events.append(
                        (
                            "alert",
                            {
                                "pair_id": pair_id,
                                "horizon_days": t.horizon_days,
                                "threshold": t.value,
                                "previous": old,
                                "probability": new,
                                "direction": "up" if new >= t.value else "down",
                            },
                        )
                    )
            for name, data in events:
                try:
                    sub.queue.put_nowait({"event": name, "data": data})
                except asyncio.QueueFull:
                    log.warning("SSE subscriber too slow; dropping a %s message", name)


async def event_stream(
    broker: Broker, sub: Subscriber, initial: list[dict[str, Any]]
) -> AsyncIterator[dict[str, str]]:
    """The messages of one SSE connection: `ready`, then `forecast` and `alert`."""
    broker.subscribe(sub)
    try:
        for message in initial:
            for t in sub.thresholds:
                if t.pair_id == message["pair_id"]:
                    for h in message["horizons"]:
                        if h["horizon_days"] == t.horizon_days:
                            sub.last[(t.pair_id, t.horizon_days)] = h["probability"]
        yield {"event": "ready", "data": json.dumps({"pairs": sorted(sub.pairs or [])})}
        while not sub.revoked:
            item = await sub.queue.get()
            if sub.revoked:
                break
            yield {"event": item["event"], "data": json.dumps(item["data"])}
        yield {"event": "revoked", "data": json.dumps({"detail": "the API key was revoked"})}
    finally:
        broker.unsubscribe(sub)


class ChangePoller:
    """The lifespan task that keeps this process's forecasts fresh.

    An idle process must cost next to nothing (issue 12, item 1): a read of the change log
    every 30 ms, in a worker thread, cost about 4% of a core. So each poll first asks the
    probe, which needs no thread and no query, and reads only when it says "committed" (or
    cannot tell), and every `full_interval` as a safety net against a lost notification.
    """

    def __init__(
        self,
        db: Database,
        cache: ForecastCache,
        broker: Broker,
        interval: float,
        key_cache: KeyCache | None = None,
        full_interval: float = 1.0,
    ) -> None:
        self.db = db
        self.cache = cache
        self.key_cache = key_cache
        self.broker = broker
        self.interval = interval
        self.full_interval = full_interval
        self.cursor = ChangeCursor()
        self.probe = CommitProbe()  # "maybe" at every poll until start() opens the real one
        self.polls = 0  # probe checks
        self.reads = 0  # reads of the change log
        self.next_read = 0.0  # monotonic time of the safety-net read
        self.owed = False  # the probe said "committed" and no read has succeeded since

    def _latest(self) -> int:
        with self.db.read() as session:
            return latest_change(session)

    def _since(self, streaming_keys: set[str]) -> tuple[bool, set[str], bool, set[str] | None]:
        """(anything new, pairs to refresh, a new run?, revoked keys among those streaming —
        None when no key was revoked)."""
        self.probe.connect()  # a dropped probe listens again before this read, not after
        with self.db.read() as session:
            rows = self.cursor.read(session, time.monotonic())
            pairs = {r.pair_id for r in rows if r.pair_id}
            new_run = any(r.kind == RUN_CHANGE for r in rows)
            revoked = None
            if any(r.kind == KEY_CHANGE for r in rows):
                revoked = revoked_among(session, streaming_keys)
            if new_run:
                pairs |= {p.id for p in list_pairs(session)}
        return bool(rows), pairs, new_run, revoked

    async def start(self) -> None:
        # The probe first: a commit after the cursor's starting point is then signalled.
        self.probe = await anyio.to_thread.run_sync(open_probe, self.db)
        self.cursor = ChangeCursor(await anyio.to_thread.run_sync(self._latest))
        self.next_read = time.monotonic() + self.full_interval

    def close(self) -> None:
        self.probe.close()

    async def run(self) -> None:
        while True:
            await anyio.sleep(self.interval)
            try:
                await self.poll_once()
            except Exception:
                log.exception("change poll failed; retrying")

    async def poll_once(self) -> None:
        self.polls += 1
        now = time.monotonic()
        if self.probe.changed():
            self.owed = True
        elif not self.owed and now < self.next_read:
            return
        self.reads += 1
        streaming = {sub.key_id for sub in self.broker.subscribers}
        changed, pairs, new_run, revoked = await anyio.to_thread.run_sync(self._since, streaming)
        self.owed = False  # a failed read leaves it owed: the next poll reads again
        self.next_read = now + self.full_interval
        if not changed:
            return
        if revoked is not None:
            if self.key_cache is not None:
                self.key_cache.clear()
            self.broker.close_revoked(revoked)
        if new_run:
            await anyio.to_thread.run_sync(self.cache.forecaster.reload_run)
            self.cache.clear()
        self.cache.invalidate(pairs)
        if not self.broker.subscribers:
            for pid in pairs:
                self.broker.last_etag.pop(pid, None)
            return
        for pid in sorted(pairs):
            try:
                entry = await anyio.to_thread.run_sync(self.cache.get, pid)
            except Exception:
                log.exception("recomputing %s failed", pid)
                continue
            if self.broker.last_etag.get(pid) != entry.etag:
                self.broker.last_etag[pid] = entry.etag
                self.broker.publish(summary(entry))
