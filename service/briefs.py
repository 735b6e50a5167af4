"""Rendered briefs (`report.pdf`), kept per forecast and rendered a few at a time.

A brief costs seconds of a core (matplotlib draws the chart and the page); the forecast
behind it changes only when the pair's knowledge does. So a brief is kept under the
forecast's ETag (knowledge time, run, UTC day), the chart's horizon and the backtest it
quotes, and concurrent requests for the same brief wait for one render instead of
starting their own. At most `concurrent` renders run at once in a process, whatever the
number of clients: eight readers printing eight briefs cannot starve the event loop's
threads or the cores the API needs.

What a brief states is gathered in one place, `gather_brief`, for the route
(`GET /v1/forecasts/{pair}/report.pdf`) and the CLI (`riftcast report`) alike.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from os import PathLike
from typing import IO, TYPE_CHECKING, Any

from signals import ledger
from signals.errors import NotFound
from signals.evaluations import latest_evaluation
from signals.factions import get_faction

if TYPE_CHECKING:
    from models.results import PairForecast
    from service.forecasting.forecaster import Forecaster
    from service.report import Format
    from signals.db import Database

KEPT = 64  # briefs kept per process (about 60 KB each)


@dataclass(frozen=True)
class Brief:
    """Everything a brief states: the forecast, the factions' names, the recorded backtest
    (`record`) and the ledger's record (`live`); the chart's history over `horizon` days is
    read when the brief is rendered (a kept brief needs none)."""

    forecaster: Forecaster
    forecast: PairForecast
    horizon: int
    names: dict[str, str]
    evaluation_id: str | None
    record: dict[str, Any] | None
    live: ledger.Summary

    @property
    def key(self) -> tuple[Hashable, ...]:
        """What the brief's text depends on besides its forecast. The ledger's settled
        windows are in it: the record the brief states changes when an outcome settles one
        (its open windows grow with every entry: left out)."""
        settled = tuple(self.live.horizons)
        return (self.horizon, self.evaluation_id, tuple(self.names.items()), settled)

    def render(self, out: str | PathLike[str] | IO[bytes], fmt: Format) -> None:
        from service.report import render_brief  # matplotlib loads on the first brief

        forecast = self.forecast
        history = self.forecaster.history(
            forecast.pair_id, self.horizon, None, forecast.as_of.date()
        )
        render_brief(forecast, history, out, fmt, self.names, self.record, self.live)


def gather_brief(
    db: Database, forecaster: Forecaster, forecast: PairForecast, horizon: int
) -> Brief:
    """The brief of `forecast`: its factions' names (their ids for a faction gone), the
    latest backtest recorded for its taxonomy and the ledger's summary."""
    names: dict[str, str] = {}
    with db.read() as session:
        for fid in (forecast.faction_a, forecast.faction_b):
            try:
                names[fid] = get_faction(session, fid).name
            except NotFound:
                names[fid] = fid
        evaluation = latest_evaluation(session, forecast.taxonomy_version)
        evaluation_id = evaluation.id if evaluation else None
        record = evaluation.model_dump(mode="json") if evaluation else None
        live = ledger.summary(session)
    return Brief(forecaster, forecast, horizon, names, evaluation_id, record, live)


class BriefCache:
    def __init__(self, concurrent: int = 1, kept: int = KEPT) -> None:
        self._renders = threading.BoundedSemaphore(concurrent)
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._inflight: dict[Hashable, threading.Lock] = {}
        self.kept = kept
        self.rendered = 0  # renders so far (tests and /metrics read it)
        self.running = 0
        self.peak = 0  # most renders at once

    @staticmethod
    def etag(key: Hashable) -> str:
        return f'"brief-{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}"'

    def get(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        """The brief under `key`, rendering it once if no one has."""
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
            single = self._inflight.setdefault(key, threading.Lock())
        with single:  # one render per key; the others wait for it and read the result
            with self._lock:
                if key in self._kept:
                    return self._kept[key]
            with self._renders:
                with self._lock:
                    self.running += 1
                    self.peak = max(self.peak, self.running)
                try:
                    body = render()
                finally:
                    with self._lock:
                        self.running -= 1
            with self._lock:
                self.rendered += 1
                self._kept[key] = body
                while len(self._kept) > self.kept:
                    self._kept.popitem(last=False)
                self._inflight.pop(key, None)
        return body
