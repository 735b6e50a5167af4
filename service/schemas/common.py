"""What the schemas of every resource share: the config of a public shape, probabilities as
the model can state them, the horizon a forecast is asked for, a page's cursor, a body of
one item or a batch, and the dates and times a query takes."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
)

from models.forecast import MAX_HORIZON_DAYS
from models.precision import figures, honest

# A response's shape: read from the domain's objects by their attributes, and every field
# required in the OpenAPI document, defaults or not (a response carries them all). `Any`:
# a SQLModel-derived shape takes it too.
PUBLIC: Any = ConfigDict(from_attributes=True, json_schema_serialization_defaults_required=True)


class Public(BaseModel):
    """A shape the API returns that no table shares its fields with."""

    model_config = PUBLIC


PRECISION_NOTE = (
    "Rounded to two significant figures of its distance from 0 or 1 (0.21, 0.035, 0.0041, "
    "0.987): the mean of about a thousand posterior draws is not known more precisely."
)
# A horizon in days, as the model can be asked for one: in a path, a query (as
# `Annotated[HorizonDays, Query(…)]`: a `Query(…)` default would drop the limits) or a body.
HorizonDays = Annotated[int, Field(ge=1, le=MAX_HORIZON_DAYS, examples=[90])]
# A probability (or a change in one) as the model can honestly state it.
Probability = Annotated[
    float, PlainSerializer(honest, return_type=float), Field(description=PRECISION_NOTE)
]
# A driver's evidence, contribution or share, to the figures it is known to.
DriverFigure = Annotated[
    float,
    PlainSerializer(figures, return_type=float),
    Field(description="Rounded to three significant figures: it is known to a few per cent."),
]
# Where the next page of a listing starts.
NextCursor = Annotated[
    str | None, Field(description="Cursor of the next page; null on the last.", examples=[None])
]

T = TypeVar("T")


def _batch_or_one(value: Any) -> str:
    return "batch" if isinstance(value, list) else "one"


# A write's body: one item (an object), or a batch (an array of them).
OneOrBatch = Annotated[
    Annotated[T, Tag("one")] | Annotated[list[T], Tag("batch")], Discriminator(_batch_or_one)
]


# -- query parameter types ---------------------------------------------------------------


def _utc_checked(value: datetime) -> datetime:
    """Aware UTC; a time that cannot be expressed in UTC is a validation error, not a 500."""
    from signals.clock import to_utc

    try:
        return to_utc(value)
    except OverflowError:
        raise ValueError("is out of range") from None


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _not_a_number(value: object) -> object:
    """Pydantic reads a number as seconds since 1970; the schema promises ISO 8601, and
    `since=0.5` is far likelier a mistake than a date, so it is refused."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date or date-time (e.g. 2025-03-01), not a number")
    return value


UtcDatetime = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_utc_checked)]
IsoDate = Annotated[date, BeforeValidator(_not_a_number)]
