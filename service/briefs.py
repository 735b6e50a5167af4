"""Rendered briefs (`report.pdf`), kept per forecast and rendered a few at a time.

A brief costs seconds of a core (matplotlib draws the chart and the page); the forecast
behind it changes only when the pair's knowledge does. So a brief is kept under the
forecast's ETag (knowledge time, run, UTC day), the chart's horizon and the backtest it
quotes, and concurrent requests for the same brief wait for one render instead of
starting their own. At most `concurrent` renders run at once in a process, whatever the
number of clients: eight readers printing eight briefs cannot starve the event loop's
threads or the cores the API needs.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

KEPT = 64  # briefs kept per process (about 60 KB each)


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
