"""Every pair's latest forecast, sorted, and the pages it is served in (issue 16).

`ForecastCache` builds one `Listing` per change from the cached per-pair bodies. Clients
read it a page at a time, keyset-paged: a cursor names the sort key of the last item
served, so the next page starts right after it even when forecasts moved in between (a
pair whose probability changed may then show up twice or not at all, never the others).
The demo's 62 pairs are 230 KB (a forecast with its drivers is about 4 KB); a page of 25,
the default (`RIFTCAST_FORECAST_PAGE_SIZE`), about 100 KB. The default first page, which
dashboards poll, is built with the listing; any other page when first asked for, then kept
with the listing until the next change.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import math
import threading
from collections.abc import Sequence
from typing import Literal, get_args

from service.bodies import Stored
from signals.errors import FieldProblem, InvalidInput

# How the listing may be ordered; the first is the default.
ListingOrder = Literal["-probability", "probability", "pair"]
ORDERS: tuple[ListingOrder, ...] = get_args(ListingOrder)
# A cursor names a horizon, an order, a probability and a pair id (at most 130 characters).
CURSOR_MAX_LENGTH = 400
# Pages kept per listing besides the first: a client asking for many odd pages of one
# listing gets them built every time rather than filling memory.
MAX_KEPT_PAGES = 64

SortKey = tuple[float, str]


def sort_key(order: str, probability: float, pair_id: str) -> SortKey:
    """Where a pair's forecast goes in a listing: by probability (ties by pair id) or by
    pair id."""
    if order == "pair":
        return (0.0, pair_id)
    return (-probability if order == "-probability" else probability, pair_id)


def encode_cursor(horizon: int, order: str, key: SortKey) -> str:
    """The opaque `next_cursor` after the item with sort key `key`."""
    probability = -key[0] if order == "-probability" else key[0]
    text = json.dumps([horizon, order, probability, key[1]], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, horizon: int, order: str) -> SortKey:
    """The sort key a cursor names; a 422 naming `cursor` when it is not one of this
    listing's (made for another horizon or order, or not a cursor at all)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        h, o, probability, pair_id = json.loads(raw)
        if not (isinstance(probability, float | int) and math.isfinite(probability)):
            raise ValueError(cursor)
        if not isinstance(pair_id, str):
            raise ValueError(cursor)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidInput(
            "cursor: not a cursor of this listing",
            [FieldProblem("cursor", "must be a next_cursor this listing returned")],
        ) from None
    if (h, o) != (horizon, order):
        raise InvalidInput(
            "cursor: made for another horizon or sort",
            [FieldProblem("cursor", f"was made for horizon={h}&sort={o}, not this listing")],
        )
    return sort_key(order, float(probability), pair_id)


class Listing:
    """One build of the listing at a horizon and order: its items' bodies sorted, and its
    pages, each built (and gzip-compressed) once."""

    def __init__(
        self,
        horizon: int,
        order: str,
        ranked: Sequence[tuple[SortKey, bytes]],
        first_page_size: int,
    ) -> None:
        """`ranked`: each pair's sort key and forecast body, in any order."""
        self.horizon = horizon
        self.order = order
        ordered = sorted(ranked, key=lambda item: item[0])
        self._keys = [key for key, _ in ordered]
        self._bodies = [body for _, body in ordered]
        self._lock = threading.Lock()
        self._pages: dict[tuple[str | None, int], Stored] = {}
        self.first_page_size = first_page_size
        self.first = self.page(None, first_page_size)

    def peek_page(self, cursor: str | None, limit: int) -> Stored | None:
        """A page built before, or None: no decoding, no building (safe on the event loop)."""
        return self._pages.get((cursor, limit))

    def page(self, cursor: str | None, limit: int) -> Stored:
        """The `limit` items after `cursor` (from the start without one), with the cursor of
        the page after it (null on the last)."""
        found = self.peek_page(cursor, limit)
        if found is not None:
            return found
        start = 0
        if cursor is not None:
            start = bisect.bisect_right(self._keys, decode_cursor(cursor, self.horizon, self.order))
        end = min(start + limit, len(self._keys))
        following = "null"
        if end < len(self._keys):
            following = json.dumps(encode_cursor(self.horizon, self.order, self._keys[end - 1]))
        body = b",".join(self._bodies[start:end])
        built = Stored.of(b'{"items":[' + body + b'],"next_cursor":' + following.encode() + b"}")
        with self._lock:
            if len(self._pages) <= MAX_KEPT_PAGES or (cursor, limit) in self._pages:
                built = self._pages.setdefault((cursor, limit), built)
        return built
