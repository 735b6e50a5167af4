"""The FastAPI application factory: `uvicorn service.app:create_app --factory`.

Everything with a lifetime (database, taxonomy, forecaster, cache, SSE broker, freshness
and its change poller, refit worker) is made in the lifespan and kept on `app.state`.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from threadpoolctl import threadpool_limits

from service import problems
from service.auth import KeyCache, RateLimiter
from service.briefs import BriefCache
from service.cache import ForecastCache
from service.concurrency import Slots
from service.fastpath import ForecastFastPath
from service.fastwrite import EventFastPath
from service.forecasting.forecaster import Forecaster
from service.forecasting.ledger import LedgerRecorder
from service.freshness import ChangePoller, Freshness
from service.listing import ORDERS
from service.metrics import Metrics, MetricsMiddleware
from service.middleware import (
    BodyLimitMiddleware,
    HeadAsGetMiddleware,
    RefuseNulMiddleware,
    SecurityHeadersMiddleware,
)
from service.refusals import RefusalLog
from service.routes import (
    audit,
    dashboard,
    docs,
    events,
    extract,
    factions,
    forecasts,
    indicator_types,
    keys,
    ledger,
    meta,
    model_runs,
    ops,
    outcomes,
    report,
)
from service.stream import Broker
from service.worker import RefitWorker
from signals.config import Settings
from signals.db import Database
from signals.group_commit import GroupCommit
from signals.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger("riftcast.service")

DESCRIPTION = """
Faction-cohesion forecasts over an append-only log of indicator events.

Authenticate with an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
Roles: `reader` (reads, forecasts, what-if, stream) < `analyst` (events, outcomes) <
`admin` (factions, refits, keys, audit). Errors are `application/problem+json`
(RFC 9457). POSTs honour `Idempotency-Key`. Forecast GETs send `ETag` and answer
`If-None-Match` with 304. Limits: body size, batch size, page size; a rate limit per key
(per worker process).
"""


def make_forecaster(db: Database, settings: Settings, taxonomy: Taxonomy) -> Forecaster:
    """The forecaster with the published run (if any) loaded."""
    forecaster = Forecaster.load(db, settings, taxonomy)
    return forecaster


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    db = Database(settings)
    taxonomy = load_taxonomy(settings.taxonomy_file)
    forecaster = await anyio.to_thread.run_sync(make_forecaster, db, settings, taxonomy)
    cache = ForecastCache(forecaster, app.state.metrics, settings.forecast_cache_seconds)
    recorder = LedgerRecorder(db, cache)
    cache.recorder = recorder
    broker = Broker()
    freshness = Freshness.standard(db, cache, broker, app.state.key_cache)
    poller = ChangePoller(
        db, freshness, settings.cache_check_seconds, settings.change_full_poll_seconds
    )
    app.state.db, app.state.taxonomy, app.state.forecaster = db, taxonomy, forecaster
    app.state.cache, app.state.broker, app.state.poller = cache, broker, poller
    app.state.freshness = freshness
    app.state.ledger = recorder
    app.state.group_commit = GroupCommit(db.write)
    await poller.start()
    recorder.start()
    # The worker also takes the ledger's daily snapshot (a no-op until the UTC day turns).
    worker = RefitWorker(
        db, settings, taxonomy, app.state.metrics, periodic=recorder.snapshot_if_due
    )
    app.state.worker = worker
    if settings.run_worker:
        worker.start()
    # OpenBLAS keeps a thread per core in every process, spinning while it waits for work:
    # with two workers on two cores, each worker's forecasts fought the other's idle BLAS
    # threads, and a 6 ms forecast took 20-30 ms (accepted → changed seen by pollers on
    # both workers: p50 51 ms, 14 ms with one thread). A serving process's matrices are
    # small; its parallelism is its workers and threads. Set once numpy is loaded (above).
    blas = threadpool_limits(limits=1, user_api="blas")
    # What was made so far (modules, the app and its schemas, the run's draws) lives as long
    # as the process: frozen, it is no longer walked by every full collection of the
    # cycle collector — about 150,000 objects, a 60 ms pause of every request in flight.
    gc.collect()
    gc.freeze()
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(poller.run)
            if settings.warm_cache:
                tg.start_soon(_warm, cache, settings.horizons[0])
            tg.start_soon(app.state.refusals.run, db)
            yield
            tg.cancel_scope.cancel()
    finally:
        gc.unfreeze()  # collectable again: an app in a longer-lived process (tests) ends
        blas.restore_original_limits()
        await anyio.to_thread.run_sync(worker.stop)
        await anyio.to_thread.run_sync(recorder.stop)
        await anyio.to_thread.run_sync(app.state.group_commit.close)
        poller.close()
        db.dispose()


async def _warm(cache: ForecastCache, horizon: int) -> None:
    """Build what dashboards poll first — the listing, and with it every pair's forecast —
    in the background once serving has begun, so the first polls are answered from the
    cache instead of all waiting on one cold build."""
    try:
        await anyio.to_thread.run_sync(partial(cache.listing, horizon, ORDERS[0], poll=False))
    except Exception:  # a cold cache is slower, not wrong: the first request builds it
        log.exception("warming the forecast cache failed")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="Riftcast",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        # /docs is served by `service/routes/docs.py` from assets shipped in a package:
        # FastAPI's own page loads Swagger UI from a CDN, blank on an offline network.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute, settings.redis_url)
    app.state.export_slots = Slots(settings.export_concurrency)
    app.state.auth_attempts = RateLimiter(settings.auth_attempts_per_minute, settings.redis_url)
    app.state.refusals = RefusalLog(settings.refusal_flush_seconds)
    app.state.key_cache = KeyCache(settings.key_cache_seconds)
    app.state.briefs = BriefCache(settings.concurrent_briefs)
    problems.install(app)

    for module in (
        factions,
        indicator_types,
        meta,
        events,
        outcomes,
        ledger,  # before forecasts: `/forecasts/export` is not a pair
        forecasts,
        model_runs,
        audit,
        keys,
        report,
        extract,
    ):
        app.include_router(module.router)
    app.include_router(ops.router)
    app.include_router(dashboard.router)  # `/` and `/static/…`
    app.include_router(docs.router)  # `/docs` and `/docs-assets/…`, offline

    # Outermost last: metrics see every response, including 413s and security headers.
    app.add_middleware(ForecastFastPath)
    app.add_middleware(EventFastPath)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RefuseNulMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "Authorization",
                "X-API-Key",
                "Content-Type",
                "Idempotency-Key",
                "If-None-Match",
            ],
            expose_headers=["ETag", "Retry-After"],
        )
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_seconds=settings.body_read_seconds,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = problems.add_problem_schemas(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
