"""The change poller (service.freshness) reads the change log only when its commit probe
hears a commit, or at its safety-net period (issue 12, item 1: an idle server under 1% of a
core), and still learns of a write by another process at its next poll, from the probe
itself when it can tell; what it reads, and this process's own commits, reach the
subscribers in order."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable

import anyio
import pytest

from service.app import make_forecaster
from service.auth import KeyCache, Principal
from service.cache import ForecastCache
from service.freshness import BrokerSubscriber, ChangePoller, Changes, Freshness
from service.metrics import Metrics
from service.stream import Broker, Subscriber
from signals.changes import ChangeRow, CommitProbe, latest_change, note_change
from signals.config import Settings
from signals.db import Database
from signals.events import record_events
from signals.scenario import load_demo
from signals.taxonomy import Taxonomy
from tests.factories import demo_event
from tests.service.conftest import PAIR

TICK = 0.03


class DeafProbe(CommitProbe):
    """A probe that hears nothing: as if every notification were lost."""

    def changed(self) -> bool:
        return False


def _run(
    db: Database,
    settings: Settings,
    taxonomy: Taxonomy,
    full_interval: float,
    scenario: Callable[[ChangePoller], Awaitable[None]],
) -> None:
    cache = ForecastCache(make_forecaster(db, settings, taxonomy), Metrics(), 60.0)
    freshness = Freshness.standard(db, cache, Broker())
    poller = ChangePoller(db, freshness, TICK, full_interval=full_interval)

    async def main() -> None:
        await poller.start()
        try:
            await scenario(poller)
        finally:
            poller.close()

    anyio.run(main)


def _commit_elsewhere(settings: Settings, pair_id: str) -> int:
    """A change committed through another engine (other connections, as another worker's)."""
    other = Database(settings)
    try:
        with other.write() as s:
            note_change(s, pair_id, "event")
        with other.read() as s:
            return latest_change(s)
    finally:
        other.dispose()


async def _polls_until_read(poller: ChangePoller, last_id: int, within: float) -> float:
    """Poll every tick until the cursor has read `last_id`; the seconds that took."""
    t0 = time.monotonic()
    while poller.cursor.last_id < last_id:
        assert time.monotonic() - t0 < within, "the change was not read in time"
        await anyio.sleep(TICK)
        await poller.poll_once()
    return time.monotonic() - t0


def test_an_idle_poller_reads_only_at_its_safety_net_period(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    async def scenario(poller: ChangePoller) -> None:
        for _ in range(10):
            await poller.poll_once()
            await anyio.sleep(TICK)
        assert poller.polls == 10 and poller.reads == 0
        await anyio.sleep(0.6)
        await poller.poll_once()
        assert poller.reads == 1

    _run(db, settings, taxonomy, 0.6, scenario)


def test_a_commit_elsewhere_is_read_at_the_next_poll(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    async def scenario(poller: ChangePoller) -> None:
        last_id = _commit_elsewhere(settings, "elsewhere")
        took = await _polls_until_read(poller, last_id, within=1.0)
        assert took < 0.5  # heard by the probe, not read at the 60 s safety net
        # ...and told by it, on the event loop: no worker thread, no pooled session
        assert (poller.told, poller.reads) == (1, 0)

    _run(db, settings, taxonomy, 60.0, scenario)


def test_a_lost_notification_is_caught_by_the_safety_net(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    async def scenario(poller: ChangePoller) -> None:
        poller.probe.close()
        poller.probe = DeafProbe()
        last_id = _commit_elsewhere(settings, "unheard")
        await poller.poll_once()
        assert poller.cursor.last_id < last_id  # not heard, and not yet due
        took = await _polls_until_read(poller, last_id, within=2.0)
        assert 0.2 < took < 1.5

    _run(db, settings, taxonomy, 0.5, scenario)


def test_a_commit_heard_before_a_failed_read_is_read_at_the_next_poll(
    db: Database, settings: Settings, taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario(poller: ChangePoller) -> None:
        monkeypatch.setattr(poller.probe, "told", lambda cursor, now: None)  # cannot tell
        last_id = _commit_elsewhere(settings, "retried")
        read = poller._read
        calls = []

        def failing_once() -> list[ChangeRow]:
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("the database went away")
            return read()

        monkeypatch.setattr(poller, "_read", failing_once)
        t0 = time.monotonic()
        while not calls:  # until the probe hears the commit and the read fails
            assert time.monotonic() - t0 < 1.0
            with contextlib.suppress(RuntimeError):
                await poller.poll_once()
            await anyio.sleep(TICK)
        await poller.poll_once()  # the probe has nothing new to say: the read is owed
        assert poller.cursor.last_id == last_id and len(calls) == 2

    _run(db, settings, taxonomy, 60.0, scenario)


class Recording:
    """A subscriber that notes what it was told, and may fail."""

    def __init__(self, name: str, calls: list[tuple[str, str]], fail: bool = False) -> None:
        self.name, self.calls, self.fail = name, calls, fail

    async def changed(self, changes: Changes) -> None:
        self.calls.append((self.name, "log"))
        if self.fail:
            raise RuntimeError("this subscriber is broken")

    def changed_here(self, changes: Changes) -> None:
        self.calls.append((self.name, "here"))
        if self.fail:
            raise RuntimeError("this subscriber is broken")


def test_every_subscriber_is_told_in_order_even_after_one_fails() -> None:
    calls: list[tuple[str, str]] = []
    freshness = Freshness([Recording("a", calls, fail=True), Recording("b", calls)])
    changes = Changes(frozenset({"p"}), keys=True)
    anyio.run(freshness.notify, changes)
    freshness.local(changes)
    assert calls == [("a", "log"), ("b", "log"), ("a", "here"), ("b", "here")]


def test_a_local_commit_drops_what_it_made_stale_and_leaves_the_streams_to_the_log(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    cache = ForecastCache(make_forecaster(db, settings, taxonomy), Metrics(), 60.0)
    keys = KeyCache(60.0)
    keys.put("secret", Principal(key_id="k", name="n", role="reader"))
    broker = Broker()
    broker.last_etag["p"] = '"old"'
    freshness = Freshness.standard(db, cache, broker, keys)
    freshness.local(Changes(frozenset({"p"})))
    assert keys.get("secret") is not None and cache._versions == {"p": 1}
    freshness.local(Changes(keys=True))
    assert keys.get("secret") is None and cache._versions == {"p": 1}
    assert broker.last_etag == {"p": '"old"'}  # the poller tells the broker, a poll later


def test_a_stream_pushes_the_new_forecast_of_its_own_write_read_before_the_drop(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """The poller may read this process's own commit before the request that made it has
    dropped the pair's cached forecast (it does so right after COMMIT): the stream must
    still push the forecast with the write, not the cached one from before it."""
    with db.write() as s:
        load_demo(s, taxonomy)
    cache = ForecastCache(make_forecaster(db, settings, taxonomy), Metrics(), 60.0)
    broker = Broker()
    sub = broker.subscribe(Subscriber(pairs=None, thresholds=()))
    old = cache.get(PAIR)
    with db.write() as s:  # committed; the request has not dropped the cache yet
        record_events(s, taxonomy, [demo_event(type="defection", intensity=1.0)], "tester")
    subscriber = BrokerSubscriber(broker, cache, db)
    anyio.run(subscriber.changed, Changes(frozenset({PAIR}), told_here=True))
    pushed = sub.queue.get_nowait()["data"]
    assert pushed["etag"] != old.etag
    assert pushed["etag"] == cache.compute(PAIR).etag
