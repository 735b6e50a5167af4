"""Builders shared by tests in several packages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Table
from sqlalchemy import event as sa_event
from sqlmodel import Session, select

from models.hazard import Diagnostics, Posterior
from signals.clock import new_id, utcnow
from signals.config import Settings
from signals.db import Database
from signals.runs import ModelRun, save_run
from signals.schemas import EventIn
from signals.tables import AuditEntry, IndicatorEvent
from signals.taxonomy import Taxonomy


def store_run(
    db: Database,
    settings: Settings,
    taxonomy: Taxonomy,
    cutoff: datetime,
    alpha: float,
    pair_ids: tuple[str, ...] = ("haqqani-network--kandahar-leadership",),
) -> str:
    """A published run whose draws put every pair's baseline at `alpha` (no MCMC)."""
    run_id = new_id()
    d, k = 200, len(taxonomy.columns)
    post = Posterior(
        alpha=np.full((d, len(pair_ids)), alpha),
        mu_alpha=np.full(d, alpha),
        sigma_alpha=np.full(d, 0.1),
        beta=np.zeros((d, k)),
        diagnostics=Diagnostics(1.0, 1000.0, 0, d, "test", 0.0),
    )
    path = settings.runs_dir / f"{run_id}.nc"
    post.to_netcdf(path)
    with db.write() as s:
        save_run(
            s,
            ModelRun(
                id=run_id,
                created_at=utcnow(),
                cutoff=cutoff,
                published=True,
                taxonomy_version=taxonomy.version,
                config_hash="test",
                sampler="test",
                draws_path=str(path),
                grid_start=cutoff.date(),
                step_days=7,
                pair_ids=list(pair_ids),
                type_keys=list(taxonomy.column_keys),
                n_pairs=len(pair_ids),
                n_obs=1,
                n_events=0,
                n_ruptures=0,
            ),
        )
    return run_id


EVENT_FIELDS: dict[str, Any] = {
    "faction_a": "kandahar-leadership",
    "faction_b": "haqqani-network",
    "type": "defection",
    "occurred_on": "2025-02-01",
    "actor": "A. Commander",
    "summary": "Left with his men.",
    "source": "Wire",
    "reliability": "B",
    "credibility": 2,
}


def event_body(**over: Any) -> dict[str, Any]:
    """An event as an API client posts it: a defection between the demo's two factions,
    graded B2; `over` replaces fields. The one event builder every test starts from."""
    return {**EVENT_FIELDS, **over}


def event_in(**over: Any) -> EventIn:
    """`event_body` validated, as the storage layer takes it."""
    return EventIn.model_validate(event_body(**over))


def demo_event(**over: Any) -> EventIn:
    """`event_in`, dated today."""
    return event_in(**{"occurred_on": utcnow().date().isoformat(), **over})


def stored_actors(db: Database) -> list[str]:
    """The actor of every stored event, sorted: who got in, and how many times."""
    with db.read() as s:
        return sorted(s.exec(select(IndicatorEvent.actor)))


@contextmanager
def failing_commit(db: Database) -> Iterator[Session]:
    """`db.write()` whose COMMIT fails (as a full disk or a lost server would make it)."""

    def refuse(session: Session) -> None:
        if not session.in_nested_transaction():  # the COMMIT, not a member's RELEASE
            raise OSError("disk full")

    with db.write() as session:
        sa_event.listen(session, "before_commit", refuse)
        yield session


def recorded_statements(db: Database) -> list[str]:
    """Every statement the write engine sends from now on, in order (a list that fills)."""
    statements: list[str] = []
    sa_event.listen(db.write_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    return statements


def inserted_tables(statements: list[str]) -> list[str]:
    """The table each INSERT among `statements` writes, in order."""
    return [s.split("(")[0].split()[2].strip('"') for s in statements if s.startswith("INSERT")]


AUDIT_AT = datetime(2025, 1, 1, tzinfo=UTC)
AUDIT_TABLE: Table = AuditEntry.__table__  # type: ignore[attr-defined]


def audit_row(n: int) -> dict[str, Any]:
    """An audit row, the simplest append-only table's: its route names `n`."""
    return {
        "at": AUDIT_AT,
        "method": "POST",
        "route": f"/r/{n}",
        "status_code": 201,
        "result": "ok",
    }
