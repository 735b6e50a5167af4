"""Model runs (diagnostics, published or not and why) and refit jobs."""

from __future__ import annotations

from fastapi import APIRouter, Body, Path
from fastapi.responses import Response
from sqlmodel import Session

from models.results import RunInfo
from service.deps import AdminWriter, Reader, ReadSession, Writer
from service.forecasting.runs import info
from service.pagination import newest
from service.problems import STD_ERRORS, responses
from service.schemas import (
    EvaluationPublic,
    RefitJobList,
    RefitJobPublic,
    RefitRequest,
    RunList,
    RunPublic,
)
from signals import jobs
from signals.evaluations import latest_evaluation
from signals.runs import get_run, list_runs

router = APIRouter(prefix="/v1", tags=["model"])


def _run(run: RunInfo) -> RunPublic:
    return RunPublic.model_validate(run, from_attributes=True)


@router.get(
    "/model/runs", dependencies=[Reader], response_model=RunList, responses=responses(*STD_ERRORS)
)
def runs_list(
    limit: int = newest(100),
    session: Session = ReadSession,
) -> RunList:
    """Model runs, newest first, with their diagnostics."""
    return RunList(items=[_run(info(r)) for r in list_runs(session, limit)])


@router.get(
    "/model/runs/{run_id}",
    dependencies=[Reader],
    response_model=RunPublic,
    responses=responses(*STD_ERRORS, 404),
)
def runs_get(
    run_id: str = Path(max_length=26, description="The run's ULID."),
    session: Session = ReadSession,
) -> RunPublic:
    """One model run: its diagnostics, why it was not published if it was not, and the
    newest backtest of its model (calibration, interval coverage)."""
    run = _run(info(get_run(session, run_id)))
    evaluation = latest_evaluation(session, run.taxonomy_version)
    if evaluation is not None:
        run.evaluation = EvaluationPublic.model_validate(evaluation)
    return run


@router.post(
    "/model/refit",
    status_code=202,
    response_model=RefitJobPublic,
    responses=responses(*STD_ERRORS, 409),
)
def refit_request(payload: RefitRequest | None = Body(None), w: Writer = AdminWriter) -> Response:
    """Queue a refit (admin). The worker runs one refit at a time across all processes;
    if a refit is already queued, that job is returned."""
    payload = payload or RefitRequest()
    if (replay := w.replay(payload)) is not None:
        return replay
    job = jobs.enqueue(w.session, payload.note or "request", w.who.name)
    return w.done(
        RefitJobPublic.model_validate(job), status=202, result="refit queued", object_id=job.id
    )


@router.get(
    "/model/jobs",
    dependencies=[Reader],
    response_model=RefitJobList,
    responses=responses(*STD_ERRORS),
)
def jobs_list(
    limit: int = newest(50),
    session: Session = ReadSession,
) -> RefitJobList:
    """Refit jobs, newest first: queued, running, done (with the run) or failed (and why)."""
    return RefitJobList(
        items=[RefitJobPublic.model_validate(j) for j in jobs.list_jobs(session, limit)]
    )


@router.get(
    "/model/jobs/{job_id}",
    dependencies=[Reader],
    response_model=RefitJobPublic,
    responses=responses(*STD_ERRORS, 404),
)
def jobs_get(
    job_id: str = Path(max_length=26, description="The job's ULID."),
    session: Session = ReadSession,
) -> RefitJobPublic:
    """One refit job."""
    return RefitJobPublic.model_validate(jobs.get_job(session, job_id))
