"""Server-Sent Events of forecast changes: this process's streams and their fan-out.

The broker is fed by `service.freshness`: when the change log says pairs were written (by
any process), their forecasts are recomputed from the published run and — when a forecast
changed — pushed to this process's SSE subscribers; a revoked key's streams are ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from service.cache import Entry
from service.schemas import HorizonPublic

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
