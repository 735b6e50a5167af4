"""Every setting of Riftcast, read once from `RIFTCAST_*` environment variables.

The settings live in the bottom layer so that storage, model and service read the same
object; nothing else in the code base reads the environment.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Defaults serve the demo from `./data` on SQLite."""

    model_config = SettingsConfigDict(env_prefix="RIFTCAST_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Where the SQLite file and model runs live."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; SQLite in data_dir when unset (postgresql+psycopg://…).",
    )
    taxonomy_file: Path | None = Field(
        default=None, description="An analyst's taxonomy TOML; the packaged default when unset."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # Limits that keep a single client from exhausting the service.
    max_body_bytes: int = 1_000_000
    max_batch: int = 500
    max_page_size: int = Field(
        default=500,
        ge=1,
        le=500,
        description="Items per page at most (500 is the ceiling the OpenAPI document states).",
    )
    default_page_size: int = 100
    forecast_page_size: int = Field(
        default=25,
        ge=1,
        le=500,
        description="Forecasts per page of GET /v1/forecasts by default: a forecast with its "
        "drivers is about 4 KB, as much as ten events.",
    )
    export_concurrency: int = Field(
        default=2,
        ge=1,
        description="Streamed exports one worker runs at once (each computes every pair's "
        "forecast); another gets 503 with Retry-After.",
    )
    rate_limit_per_minute: int = Field(
        default=6000, description="Requests per API key per minute; 0 disables the limiter."
    )
    head_read_seconds: float = Field(
        default=10.0,
        description="A request's line and headers must arrive within this time (408 beyond).",
    )
    max_head_bytes: int = Field(
        default=65_536, description="A request's line and headers may hold this much (431 beyond)."
    )
    body_read_seconds: float = Field(
        default=30.0, description="A request's whole body must arrive within this time (408)."
    )
    auth_attempts_per_minute: int = Field(
        default=120,
        description="Requests a minute one client address may make with no key or a key not "
        "verified in the last moments (429 beyond); 0 disables. Valid cached keys never count.",
    )
    refusal_flush_seconds: float = Field(
        default=10.0,
        description="Refused authentications are counted and written to the audit trail as "
        "one row per client address, key prefix and reason this often.",
    )
    redis_url: str | None = Field(
        default=None,
        description="e.g. redis://127.0.0.1:6379/0: the rate limit is counted there, shared by "
        "every worker and host; without it each worker process counts its own.",
    )
    key_cache_seconds: float = Field(
        default=30.0,
        description="How long a verified API key is trusted without asking the database. "
        "A revocation reaches every worker sooner, through the change log.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Closed by default.")
    # The refit worker.
    refit_interval_hours: float = Field(
        default=0.0, description="Scheduled refit period; 0 disables."
    )
    worker_poll_seconds: float = 2.0
    run_worker: bool = Field(default=True, description="Start the refit worker inside `serve`.")
    warm_cache: bool = Field(
        default=True,
        description="Build the forecast listing (and every pair's forecast) in the background "
        "at start, so the first polls find it cached.",
    )
    # Unset, a fit takes the model's own defaults (models.hazard.FitConfig: 2,000 draws and
    # 1,000 tuning steps per chain, 2 chains): one source for them.
    fit_draws: int | None = Field(default=None, description="Posterior draws per chain.")
    fit_tune: int | None = Field(default=None, description="Tuning steps per chain.")
    fit_chains: int | None = Field(
        default=None, description="Chains (run in parallel, one per core)."
    )
    fit_sampler: str = Field(
        default="auto", description="auto (nutpie when installed), nutpie, or pymc."
    )
    # Forecasting.
    step_days: int = 7
    entry_lookback_days: int = Field(
        default=90,
        description="A pair enters the risk set this many days before its first event or "
        "outcome (analysts start logging a pair once friction shows; the look-back keeps a "
        "pair first seen at its rupture from entering with one positive week).",
    )
    load_reference: bool = Field(
        default=True,
        description="`riftcast demo` also loads the shipped reference history of real splits "
        "(collection `reference`), so the model learns from ruptures that happened.",
    )
    horizons: list[int] = Field(default_factory=lambda: [30, 90, 180, 365])
    cache_check_seconds: float = Field(
        default=0.03,
        description="How often a worker asks whether anything was committed (SQLite's "
        "data_version, PostgreSQL's LISTEN/NOTIFY: microseconds, no query) and, when so, "
        "reads the change log for writes by other workers: the bound on cross-worker "
        "staleness.",
    )
    change_full_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="A worker reads the change log at least this often even when told of no "
        "commit: the bound on staleness should a notification ever be lost.",
    )
    # Durable refit jobs.
    job_heartbeat_seconds: float = Field(default=5.0, description="How often a running job beats.")
    job_stale_seconds: float = Field(
        default=60.0,
        description="A running job silent this long is taken to have crashed; requeued.",
    )
    job_max_attempts: int = Field(
        default=3, description="Crashes after which a job is marked failed."
    )
    # HTTP.
    idempotency_inflight_seconds: float = Field(
        default=60.0, description="An unfinished Idempotency-Key older than this is taken over."
    )
    sse_ping_seconds: float = Field(default=15.0, description="Keep-alive comment period of SSE.")
    concurrent_briefs: int = Field(
        default=1,
        ge=1,
        description="Briefs (report.pdf) a worker renders at once; more requests wait.",
    )
    worker_healthcheck_seconds: int = Field(
        default=120,
        description="How long `riftcast serve --workers N`'s supervisor waits for a worker "
        "to answer its health check before killing it (uvicorn's default of 5 s kills "
        "workers still importing on a busy machine, over and over).",
    )
    event_cache_rows: int = Field(
        default=200_000,
        ge=0,
        description="Events each serving process keeps in memory between forecasts, so a "
        "busy pair's forecast reads only its new events after a write (0: none).",
    )
    forecast_cache_seconds: float = Field(
        default=3600.0,
        description="Upper bound on a cached forecast's age (evidence decays daily).",
    )

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'riftcast.db').resolve()}"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"
