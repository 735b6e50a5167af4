"""`riftcast serve`: uvicorn with N workers over one database."""

from __future__ import annotations

import argparse
import copy
import os
import shutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signals.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the HTTP API and the dashboard")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--migrate", action="store_true", help="apply migrations before serving")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from signals.migrate import upgrade

    if args.migrate:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(settings.resolved_database_url)
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    if workers > 1:
        # Prometheus multiprocess mode: each worker writes its samples here; /metrics sums.
        metrics_dir = settings.data_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    # Before any worker loads numpy: OpenBLAS then starts no threads of its own at all (the
    # app also limits it to one at start, for servers not started by this command).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    print(f"Riftcast serving on http://{host}:{port}/ ({workers} worker(s))", flush=True)
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        log_config=log_config(),
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        timeout_worker_healthcheck=settings.worker_healthcheck_seconds,
        # httptools with bounds on a request's head (size and read time): service/protocol.py
        http="service.protocol:GuardedHttpToolsProtocol",
    )
    return 0


def log_config() -> dict[str, Any]:
    """Uvicorn's own logging, plus Riftcast's loggers at INFO through the same handler: a
    refit starting, a run published with its diagnostics, or refused and why, belong in
    the server's output (they are otherwise dropped below WARNING)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["uvicorn"]["level"] = "INFO"
    config["loggers"]["riftcast"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
