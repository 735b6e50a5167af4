"""Operations: liveness, readiness, Prometheus metrics (no prefix, no key)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from service.problems import responses
from service.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (a constant body on the event loop: the benchmarks' bare endpoint)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=responses(503))
def readyz(request: Request) -> Response:
    """Ready when the database answers with the schema this code was written for; says
    which run forecasts, or that priors do. A schema behind the code is not ready: some of
    its duties would quietly lapse (before migration 0005, PostgreSQL's change log sends no
    NOTIFY, and the other workers would hear of writes only at their once-a-second poll)."""
    from service.problems import problem_response

    try:
        revision = request.app.state.db.schema_revision()
    except Exception as exc:
        return problem_response(503, f"database unreachable: {type(exc).__name__}", "/readyz")
    head = _schema_head(request)
    if revision != head:
        detail = f"the database schema is at revision {revision}, this code needs {head}: "
        return problem_response(503, detail + "run `riftcast db upgrade`", "/readyz")
    run = request.app.state.cache.forecaster.published_run()
    model = f"run {run.id}" if run else "prior-only: no published run, the priors forecast"
    body = Readiness(status="ready", database="ok", model=model)
    return JSONResponse(body.model_dump())


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format.",
            "content": {"text/plain": {"example": "riftcast_http_requests_total{...} 1.0"}},
        }
    },
)
def metrics(request: Request) -> Response:
    """Request counts and latencies by route, events accepted, refit durations, cache hits."""
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)


def _schema_head(request: Request) -> str | None:
    """The newest migration shipped with this code, read once per process (Alembic is
    imported only then: a serving process starts without it)."""
    state = request.app.state
    if not hasattr(state, "schema_head"):
        from signals.migrate import head_revision

        state.schema_head = head_revision(state.settings.resolved_database_url)
    return state.schema_head  # type: ignore[no-any-return]
