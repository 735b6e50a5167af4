"""Bulk export (issue 15): the time and peak memory of exporting every pair's forecast, and
the forecast ledger, for 100 and 1,000 pairs. The export streams pair by pair (the route
`GET /v1/forecasts/export` and `riftcast export` share the generator measured here), so
its peak memory should stay flat while the output grows tenfold.

Peak memory is Python's allocations while the export runs (tracemalloc, in a second pass:
tracing slows it); the time is from the first pass. SQLite, priors only, one event a pair.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import table

if TYPE_CHECKING:
    from service.forecasting.forecaster import Forecaster
    from signals.db import Database

SIZES = (100, 1000)


def _world(n_pairs: int, data_dir: Path) -> tuple[Forecaster, Database, list[str]]:
    """A migrated SQLite database with `n_pairs` pairs, one event each, a ledger entry for
    each pair's forecast; (forecaster, database, pair ids)."""
    from service.forecasting.export import forecast_rows
    from service.forecasting.forecaster import Forecaster
    from signals import ledger
    from signals.config import Settings
    from signals.db import Database
    from signals.events import record_events
    from signals.factions import pair_ids, upsert_factions
    from signals.migrate import upgrade
    from signals.schemas import EventIn, FactionIn
    from signals.taxonomy import load_taxonomy

    settings = Settings(data_dir=data_dir, database_url=None, run_worker=False)
    upgrade(settings.resolved_database_url)
    db = Database(settings)
    taxonomy = load_taxonomy(settings.taxonomy_file)
    factions = [
        FactionIn(id=f"f{i:05d}", name=f"Faction {i}", movement="M") for i in range(2 * n_pairs)
    ]
    events = [
        EventIn.model_validate(
            {
                "faction_a": f"f{2 * i:05d}",
                "faction_b": f"f{2 * i + 1:05d}",
                "type": "policy_dispute" if i % 2 else "defection",
                "occurred_on": "2025-01-15",
                "source": "bench",
                "reliability": "C",
                "credibility": 3,
            }
        )
        for i in range(n_pairs)
    ]
    with db.write() as s:
        upsert_factions(s, factions, "bench")
        record_events(s, taxonomy, events, "bench")
    forecaster = Forecaster(db, settings, taxonomy)
    with db.read() as s:
        ids = pair_ids(s)
    # One ledger entry per pair, for the ledger's export.
    made_on = datetime.now(UTC).date()
    rows = list(forecast_rows(forecaster, ids))
    served = [
        ledger.Served(
            pair_id=pid,
            made_on=made_on,
            as_of=datetime.fromisoformat(str(group[0]["as_of"])),
            run_id=None,
            status="cohesive",
            taxonomy_version=str(group[0]["taxonomy_version"]),
            etag=f'"{pid}"',
            horizons=tuple(
                ledger.ServedHorizon(
                    int(r["horizon_days"]),  # type: ignore[call-overload]
                    float(r["probability"]),  # type: ignore[arg-type]
                    float(r["lower"]),  # type: ignore[arg-type]
                    float(r["upper"]),  # type: ignore[arg-type]
                )
                for r in group
            ),
        )
        for pid, group in _by_pair(rows)
    ]
    with db.write() as s:
        ledger.append(s, served)
    return forecaster, db, ids


def _by_pair(rows: list[dict[str, object]]) -> Iterator[tuple[str, list[dict[str, object]]]]:
    current: list[dict[str, object]] = []
    for row in rows:
        if current and current[0]["pair_id"] != row["pair_id"]:
            yield str(current[0]["pair_id"]), current
            current = []
        current.append(row)
    if current:
        yield str(current[0]["pair_id"]), current


def _drain(chunks: Callable[[], Iterator[str]]) -> tuple[float, float, int]:
    """(seconds, peak MB of Python allocations, bytes written) of consuming an export."""
    t0 = time.perf_counter()
    size = sum(len(c.encode()) for c in chunks())
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    tracemalloc.reset_peak()
    for _ in chunks():
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1e6, size


def _forecasts(forecaster: Forecaster, ids: list[str], fmt: str) -> Iterator[str]:
    from service.forecasting.export import FORECAST_COLUMNS, forecast_rows, render

    return render(forecast_rows(forecaster, ids), FORECAST_COLUMNS, fmt)  # type: ignore[arg-type]


def _ledger(db: Database) -> Iterator[str]:
    from service.forecasting.export import render
    from signals import ledger

    return render(ledger.export_rows(db), ledger.EXPORT_COLUMNS, "csv")


def run() -> str:
    rows: list[list[object]] = []
    for n in SIZES:
        data_dir = Path(tempfile.mkdtemp(prefix="riftcast-bench-export-"))
        try:
            forecaster, db, ids = _world(n, data_dir)
            runs = [
                ("forecasts, csv", partial(_forecasts, forecaster, ids, "csv")),
                ("forecasts, jsonl", partial(_forecasts, forecaster, ids, "jsonl")),
                ("ledger, csv", partial(_ledger, db)),
            ]
            for name, chunks in runs:
                seconds, peak, size = _drain(chunks)
                rows.append(
                    [
                        name,
                        n,
                        f"{seconds:.2f} s",
                        f"{n / seconds:.0f}",
                        f"{size / 1e6:.2f} MB",
                        f"{peak:.2f} MB",
                    ]
                )
            db.dispose()
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
    return table(
        "Bulk export, streamed (SQLite, priors only; peak = Python allocations while exporting)",
        ["export", "pairs", "time", "pairs/s", "output", "peak memory"],
        rows,
    )


if __name__ == "__main__":
    print(run())
