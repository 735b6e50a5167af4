"""Slots: how many of a costly kind of request one worker runs at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")


class Slots:
    """A fixed number of places, taken without waiting: a request that finds none is
    refused (and retries later) rather than queued behind work it would slow further.
    Thread-safe: a streamed body gives its place back from whichever thread ends it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._taken = 0

    def take(self) -> bool:
        with self._lock:
            if self._taken >= self.size:
                return False
            self._taken += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._taken -= 1

    @property
    def taken(self) -> int:
        return self._taken

    def holding(self, body: Iterator[T]) -> Iterator[T]:
        """`body`, giving the place back when it ends, fails or is dropped unfinished."""
        try:
            yield from body
        finally:
            self.give_back()
