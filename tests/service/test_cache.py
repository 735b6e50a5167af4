"""The forecast cache under concurrent readers: one computation per change."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import service.cache as cache_module
from service.app import make_forecaster
from service.cache import ForecastCache
from service.metrics import Metrics
from signals.config import Settings
from signals.db import Database
from signals.factions import list_pairs
from signals.taxonomy import Taxonomy
from tests.service.conftest import PAIR, listing_builds

READERS = 8


def _counting_cache(
    db: Database, settings: Settings, taxonomy: Taxonomy
) -> tuple[ForecastCache, Counter[str]]:
    forecaster = make_forecaster(db, settings, taxonomy)
    calls: Counter[str] = Counter()
    compute = forecaster.forecast

    def counted(pair_id: str, *args: Any, **kwargs: Any) -> Any:
        calls[pair_id] += 1
        return compute(pair_id, *args, **kwargs)

    forecaster.forecast = counted  # type: ignore[method-assign]
    return ForecastCache(forecaster, Metrics(), 60.0), calls


def _held(
    cache: ForecastCache,
) -> tuple[threading.Event, threading.Event, Callable[..., Any]]:
    """Make the cache's forecasts wait: each sets `started`, then waits for `release`.
    Returns (started, release, the forecaster's own method, to put back)."""
    started, release = threading.Event(), threading.Event()
    compute = cache.forecaster.forecast

    def slow(pair_id: str, *args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(30)
        return compute(pair_id, *args, **kwargs)

    cache.forecaster.forecast = slow  # type: ignore[method-assign]
    return started, release, compute


def _at_once(n: int, call: Callable[[], object]) -> list[object]:
    barrier = threading.Barrier(n)
    out: list[object] = []

    def run() -> None:
        barrier.wait()
        out.append(call())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_polls_after_a_write_rebuild_the_listing_once(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """Issue 16: every concurrent request for the listing after a change is answered by one
    rebuild — each pair's forecast computed once, not once per request."""
    cache, calls = _counting_cache(demo, settings, taxonomy)
    with demo.read() as s:
        pairs = {p.id for p in list_pairs(s)}
    bodies = _at_once(READERS, lambda: cache.listing(90, "-probability"))
    assert len(set(bodies)) == 1
    assert calls == Counter(dict.fromkeys(pairs, 1))
    cache.invalidate([PAIR])  # a write to one pair
    calls.clear()
    after = _at_once(READERS, lambda: cache.listing(90, "-probability"))
    rebuilt = cache.listing(90, "-probability")  # cached now: no further computation
    assert set(after) <= {bodies[0], rebuilt}  # the rebuild, or the body built before it
    assert rebuilt in after
    assert calls == Counter({PAIR: 1})


def test_a_change_rebuilds_the_listing_at_once_and_pollers_get_the_previous_body_meanwhile(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """After a write, the listing is rebuilt at once, in the background: polls arriving
    meanwhile by the polling fast path are answered with the listing built before the
    write instead of queueing behind the rebuild; the route, and the write's own request
    (`wait_for_listings`), wait for the new one."""
    cache, _ = _counting_cache(demo, settings, taxonomy)
    before = cache.listing(90, "-probability")
    started, release, compute = _held(cache)
    cache.invalidate([PAIR])
    assert started.wait(30)  # the rebuild is under way, blocked in PAIR's forecast
    waited: list[object] = []
    route = threading.Thread(target=lambda: waited.append(cache.listing(90, "-probability")))
    writer = threading.Thread(target=lambda: waited.append(cache.wait_for_listings()))
    route.start()
    writer.start()
    assert cache.peek_listing(90, "-probability", during_rebuild=True) is before
    assert cache.peek_listing(90, "-probability") is None
    route.join(0.2)
    assert route.is_alive() and writer.is_alive() and waited == []  # both wait for it
    release.set()
    route.join(30)
    writer.join(30)
    cache.forecaster.forecast = compute  # type: ignore[method-assign]
    rebuilt = cache.peek_listing(90, "-probability")
    assert rebuilt is not None and rebuilt is not before  # built anew (same content)
    assert rebuilt in waited and None in waited


def test_changes_during_a_rebuild_cost_one_more_build_not_one_each(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """Writes that arrive while the listing is being rebuilt are folded into one further
    build, and each writer is released by the first build that includes its write."""
    cache, _ = _counting_cache(demo, settings, taxonomy)
    cache.listing(90, "-probability")
    first = listing_builds(cache.metrics)
    started, release, compute = _held(cache)
    cache.invalidate([PAIR])
    assert started.wait(30)
    cache.forecaster.forecast = compute  # type: ignore[method-assign]
    for _ in range(5):  # five more writes while the first rebuild is held
        cache.invalidate([PAIR])
    release.set()
    cache.wait_for_listings()
    assert listing_builds(cache.metrics) - first == 2
    assert cache.peek_listing(90, "-probability") is not None


def test_a_request_after_a_write_never_gets_a_forecast_begun_before_it(
    demo: Database, settings: Settings, taxonomy: Taxonomy
) -> None:
    """Single flight joins requests of one cache version only: a request that arrives after
    an invalidation starts its own computation rather than wait for an older one."""
    cache, calls = _counting_cache(demo, settings, taxonomy)
    started, release, compute = _held(cache)
    first = threading.Thread(target=cache.get, args=(PAIR,))
    first.start()
    assert started.wait(30)
    cache.invalidate([PAIR])
    cache.forecaster.forecast = compute  # type: ignore[method-assign]
    cache.get(PAIR)  # not blocked by the computation begun before the write
    release.set()
    first.join(30)
    assert calls[PAIR] == 2


def test_a_listing_nobody_polls_any_more_is_not_rebuilt(
    demo: Database, settings: Settings, taxonomy: Taxonomy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rebuilding after every write is for listings that dashboards poll: one not asked
    for lately is forgotten at the next change, and built again only when asked."""
    cache, _ = _counting_cache(demo, settings, taxonomy)
    cache.listing(90, "-probability")
    builds = listing_builds(cache.metrics)
    monkeypatch.setattr(cache_module, "LISTING_POLLED_SECONDS", 0.0)  # "lately" has passed
    cache.invalidate([PAIR])
    cache.wait_for_listings()
    assert listing_builds(cache.metrics) == builds
    assert cache.peek_listing(90, "-probability", during_rebuild=True) is None
    cache.listing(90, "-probability")
    assert listing_builds(cache.metrics) == builds + 1
