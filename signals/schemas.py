"""Validated inputs for every write, shared by the CSV/JSONL importer and the HTTP API.

The Pydantic models check shape and ranges; rules that need the database or the taxonomy
(does the faction exist, is the type known) are checked by the domain functions.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime
from enum import Enum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from signals.fields import Slug, Text, TypeKey
from signals.tables import (
    EXAMPLE_ACTOR,
    EXAMPLE_SOURCE,
    EXAMPLE_SUMMARY,
    EXAMPLE_URL,
    FactionBase,
)


class Reliability(StrEnum):
    """Admiralty source reliability: A completely reliable … E unreliable, F cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Credibility(int, Enum):
    """Admiralty information credibility: 1 confirmed … 5 improbable, 6 cannot be judged."""

    CONFIRMED = 1
    PROBABLY_TRUE = 2
    POSSIBLY_TRUE = 3
    DOUBTFUL = 4
    IMPROBABLE = 5
    CANNOT_BE_JUDGED = 6


Precision = Literal["day", "month", "year"]
_DATE_FORMS = {
    re.compile(r"^\d{4}-\d{2}-\d{2}$"): "day",
    re.compile(r"^\d{4}-\d{2}$"): "month",
    re.compile(r"^\d{4}$"): "year",
}


def today_utc() -> date:
    return datetime.now(UTC).date()


def parse_fuzzy_date(text: str) -> tuple[date, Precision]:
    """`YYYY-MM-DD`, `YYYY-MM` or `YYYY` → (first day of the period, its precision)."""
    text = text.strip()
    for pattern, precision in _DATE_FORMS.items():
        if pattern.match(text):
            parts = [int(p) for p in text.split("-")] + [1, 1]
            try:
                value = date(parts[0], parts[1], parts[2])
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a real date ({exc})") from None
            if value.year < 1900:
                raise ValueError(f"{text!r} is before 1900")
            return value, precision  # type: ignore[return-value]
    raise ValueError(f"{text!r} is not a date of the form YYYY-MM-DD, YYYY-MM or YYYY")


def format_fuzzy_date(value: date, precision: str) -> str:
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


# Every input: unknown fields are refused, text is stripped of surrounding white space.
INPUT = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _different(faction_a: str | None, faction_b: str | None) -> None:
    """What an event or an outcome is about is a pair: two different factions (a what-if
    may leave both out, its pair being in the URL)."""
    if faction_a is not None and faction_a == faction_b:
        raise ValueError("faction_a and faction_b must be two different factions")


def content_hash(pair_id: str, item: BaseModel, counted_when_set: tuple[str, ...] = ()) -> str:
    """What makes two reports the same report (an event, an outcome): every field given but
    the faction slugs, and the pair they name; re-imports skip a row whose hash is stored.
    A field in `counted_when_set` counts only when it is not None, so the hashes of rows
    stored before the field existed stay as they were."""
    fields = item.model_dump(mode="json", exclude={"faction_a", "faction_b"})
    for name in counted_when_set:
        if fields.get(name) is None:
            fields.pop(name, None)
    fields["pair_id"] = pair_id
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


class _Input(BaseModel):
    model_config = INPUT


class FactionIn(FactionBase):
    """A faction of a movement, known by a short slug id."""

    model_config = INPUT  # type: ignore[assignment]  # SQLModel's config: a ConfigDict and more


class EventIn(_Input):
    """One indicator event as an analyst reports it."""

    faction_a: Slug = Field(examples=["haqqani-network"])
    faction_b: Slug = Field(examples=["kandahar-leadership"])
    type: TypeKey = Field(
        description="An indicator type key from GET /v1/indicator-types.", examples=["defection"]
    )
    occurred_on: str = Field(
        description="When it happened: YYYY-MM-DD, YYYY-MM or YYYY (sets the precision).",
        max_length=10,
        examples=["2025-01"],
    )
    actor: Text(200) = Field("", examples=[EXAMPLE_ACTOR])  # type: ignore[valid-type]
    summary: Text(4000) = Field("", examples=[EXAMPLE_SUMMARY])  # type: ignore[valid-type]
    source: Text(300, 1) = Field(examples=[EXAMPLE_SOURCE])  # type: ignore[valid-type]
    source_url: Text(2000) = Field("", examples=[EXAMPLE_URL])  # type: ignore[valid-type]
    reliability: Reliability = Field(
        description="Admiralty source reliability, A–F.", examples=["C"]
    )
    credibility: Credibility = Field(
        description="Admiralty information credibility, 1–6.", examples=[3]
    )
    intensity: float = Field(
        1.0, ge=0.0, le=1.0, description="How strong the signal is, 0–1.", examples=[0.8]
    )
    supersedes: str | None = Field(
        None,
        max_length=26,
        pattern=r"^[0-9A-Za-z]+$",
        description="Id of an earlier event this one corrects.",
        examples=[None],
    )
    ended_on: date | None = Field(
        None,
        description="For a state type (e.g. a leader's absence): the day it ended. Leave it "
        "empty while the state goes on; close it later with a correction that sets it.",
        examples=[None],
    )

    @field_validator("occurred_on")
    @classmethod
    def _valid_date(cls, value: str) -> str:
        occurred, _ = parse_fuzzy_date(value)
        if occurred > today_utc():
            raise ValueError(f"{value!r} is in the future")
        return value.strip()

    @field_validator("source_url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^\s]+$", value):
            raise ValueError("must be an http(s) URL without spaces")
        return value

    @field_validator("ended_on")
    @classmethod
    def _ended_not_future(cls, value: date | None) -> date | None:
        if value is not None and value > today_utc():
            raise ValueError(f"{value.isoformat()} is in the future")
        return value

    @model_validator(mode="after")
    def _two_factions(self) -> EventIn:
        _different(self.faction_a, self.faction_b)
        if self.ended_on is not None and self.ended_on < self.occurred[0]:
            raise ValueError("ended_on must not be before occurred_on")
        return self

    @property
    def occurred(self) -> tuple[date, Precision]:
        return parse_fuzzy_date(self.occurred_on)


class HypotheticalEventIn(EventIn):
    """An event for a what-if: the pair is in the URL, so the factions may be left out."""

    faction_a: Slug | None = Field(None, examples=[None])  # type: ignore[assignment]
    faction_b: Slug | None = Field(None, examples=[None])  # type: ignore[assignment]


class RetractionIn(_Input):
    """Withdraw an event: it stays in the log, but no forecast counts it from now on."""

    reason: Text(2000, 1) = Field(examples=["Source recanted."])  # type: ignore[valid-type]


class OutcomeIn(_Input):
    """A pair ruptured on a date, or is known cohesive up to a date."""

    faction_a: Slug = Field(examples=["haqqani-network"])
    faction_b: Slug = Field(examples=["kandahar-leadership"])
    status: Literal["ruptured", "cohesive"] = Field(examples=["cohesive"])
    on: date = Field(
        description="Rupture date, or the last date the pair is known cohesive.",
        examples=["2025-03-02"],
    )
    definition: Text(2000) = Field("", examples=["No public split announced."])  # type: ignore[valid-type]
    source: Text(300) = Field("", examples=[EXAMPLE_SOURCE])  # type: ignore[valid-type]
    source_url: Text(2000) = Field("", examples=[""])  # type: ignore[valid-type]

    @field_validator("on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > today_utc():
            raise ValueError(f"{value.isoformat()} is in the future")
        if value.year < 1900:
            raise ValueError(f"{value.isoformat()} is before 1900")
        return value

    @model_validator(mode="after")
    def _two_factions(self) -> OutcomeIn:
        _different(self.faction_a, self.faction_b)
        return self
