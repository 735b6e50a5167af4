"""The indicator event log."""

from __future__ import annotations

from service.schemas.common import PUBLIC, NextCursor, OneOrBatch, Public
from signals.schemas import EventIn, HypotheticalEventIn, RetractionIn
from signals.tables import EventBase

__all__ = [
    "EventIn",
    "EventPage",
    "EventPublic",
    "EventsCreate",
    "EventsCreated",
    "HypotheticalEventIn",
    "RetractionIn",
]


class EventPublic(EventBase):
    """An event of the append-only log: a report, a correction or a retraction."""

    model_config = PUBLIC


class EventPage(Public):
    """A page of events in recording order; pass `next_cursor` as `cursor` for the next."""

    items: list[EventPublic]
    next_cursor: NextCursor


EventsCreate = OneOrBatch[EventIn]


class EventsCreated(Public):
    """The events recorded by one request, in the order given."""

    items: list[EventPublic]
