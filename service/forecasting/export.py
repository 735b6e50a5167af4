"""Bulk export of forecasts (and of the ledger) as CSV or JSON Lines, streamed.

An export of every pair is computed and written one pair at a time: the rows of a pair are
rendered, sent, and dropped before the next pair is read, so its memory does not grow with
the number of pairs (`python -m benchmarks export` measures it). Every probability travels
with its 90% interval, its horizon, its knowledge time and the model run behind it (or
`prior_only`), rounded as the API rounds it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from service.schemas import HorizonPublic
from signals.clock import to_utc

if TYPE_CHECKING:
    from models.results import PairForecast
    from service.forecasting.forecaster import Forecaster

Format = Literal["csv", "jsonl"]
MEDIA_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
FLUSH_BYTES = 64 * 1024  # rendered rows are sent in pieces of about this size

FORECAST_COLUMNS = (
    "pair_id",
    "faction_a",
    "faction_b",
    "status",
    "as_of",
    "on",
    "horizon_days",
    "probability",
    "lower",
    "upper",
    "phrase",
    "phrase_uncertain",
    "run_id",
    "prior_only",
    "taxonomy_version",
)


def forecast_rows(
    forecaster: Forecaster,
    pair_ids: Iterable[str],
    as_of: datetime | None = None,
    cached: Callable[[str], PairForecast | None] | None = None,
) -> Iterator[dict[str, object]]:
    """One row per pair and configured horizon: the latest forecast (`cached`'s when it has
    one — the server's forecast cache — computed and not kept otherwise), or the forecast
    as known at `as_of`."""
    for pair_id in pair_ids:
        if as_of is None:
            found = cached(pair_id) if cached is not None else None
            forecast = found if found is not None else forecaster.forecast(pair_id)
        else:
            forecast = forecaster.forecast(pair_id, as_of)
        run_id = forecast.run.id if forecast.run is not None else None
        for h in forecast.horizons:
            public = HorizonPublic.model_validate(h, from_attributes=True).model_dump(mode="json")
            yield {
                "pair_id": forecast.pair_id,
                "faction_a": forecast.faction_a,
                "faction_b": forecast.faction_b,
                "status": forecast.status,
                "as_of": _iso(forecast.as_of),
                "on": forecast.on.isoformat(),
                "horizon_days": public["horizon_days"],
                "probability": public["probability"],
                "lower": public["lower"],
                "upper": public["upper"],
                "phrase": public["phrase"],
                "phrase_uncertain": public["phrase_uncertain"],
                "run_id": run_id,
                "prior_only": forecast.prior_only,
                "taxonomy_version": forecast.taxonomy_version,
            }


def _iso(value: datetime) -> str:
    """A time as the API writes it: UTC, with a `Z`."""
    return to_utc(value).isoformat().replace("+00:00", "Z")


def _cell(value: object) -> object:
    """CSV cells as JSON would write them: true/false, and nothing for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def render(rows: Iterable[dict[str, object]], columns: Sequence[str], fmt: Format) -> Iterator[str]:
    """The rows as CSV (with a header) or JSON Lines, in pieces of about FLUSH_BYTES."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if fmt == "csv":
        writer.writerow(columns)
    for row in rows:
        if fmt == "csv":
            writer.writerow([_cell(row[c]) for c in columns])
        else:
            buffer.write(json.dumps(row, ensure_ascii=False) + "\n")
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
