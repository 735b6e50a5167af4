"""`POST /v1/extract`: suggested indicator events from an article's text (issue 13).

An analyst pastes an article; the answer is a short list of suggestions to confirm, edit or
reject, and the names that look like factions but match none. Nothing is written: the
confirmed suggestions are recorded afterwards through `POST /v1/events`, like any event.
The route reads the factions (the gazetteer) and nothing else; the extraction is plain
CPU work, so the route is a sync `def` and runs in the threadpool.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from service.auth import analyst
from service.deps import ReadSession, get_taxonomy
from service.problems import STD_ERRORS, responses
from signals.clock import utcnow
from signals.extract import MAX_CHARS, Extraction, Span, extract, faction_entries
from signals.taxonomy import Taxonomy

router = APIRouter(prefix="/v1", tags=["extract"])


class ExtractIn(BaseModel):
    """An article to read. Only `text` is required."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "A Wagner spokesman denied on Friday that Prigozhin had defected.",
                    "published_on": "2023-06-12",
                    "source": "Wire service",
                    "source_url": "https://example.org/article",
                }
            ]
        },
    )

    text: str = Field(
        description=f"The article's text, in English; at most {MAX_CHARS:,} characters."
    )
    published_on: date | None = Field(
        None, description="When it was published (relative dates count from it); default today."
    )
    source: str | None = Field(None, max_length=300, description="Copied into each suggestion.")
    source_url: str | None = Field(
        None, max_length=2000, description="Copied into each suggestion."
    )


class SpanOut(BaseModel):
    """Character offsets into the submitted text: `text[start:end]`."""

    start: int
    end: int


class SuggestionOut(BaseModel):
    """A suggested indicator event; fields named as `POST /v1/events` takes them."""

    faction_a: str
    faction_b: str
    type: str = Field(description="An indicator type key.")
    occurred_on: str = Field(description="YYYY-MM-DD, YYYY-MM or YYYY.")
    precision: Literal["day", "month", "year"]
    date_basis: str = Field(description="The words the date came from, or why it was assumed.")
    actor: str
    summary: str = Field(description="The sentence that carries the evidence.")
    spans: list[SpanOut] = Field(description="The evidence: clause(s) of the text.")
    cue: str = Field(description="The words that fired, as written.")
    cue_phrase: str = Field(description="The taxonomy cue they matched.")
    cue_span: SpanOut
    confidence: float = Field(ge=0, le=1)
    reliability: str | None = Field(description="Suggested Admiralty reliability, if grounded.")
    credibility: int | None = Field(description="Suggested information credibility, if grounded.")
    grading_basis: str = Field(description="The attribution the grading rests on.")
    source: str | None
    source_url: str | None


class UnresolvedOut(BaseModel):
    """A name that looks like a faction but matches none: perhaps one to add."""

    name: str
    spans: list[SpanOut]


class ExtractOut(BaseModel):
    """Suggested events to confirm, edit or reject, and names that match no faction.
    Nothing has been stored."""

    published_on: date
    suggestions: list[SuggestionOut]
    unresolved: list[UnresolvedOut]
    notes: list[str] = Field(description="Why the list may be empty, e.g. not English.")


def _span(s: Span) -> SpanOut:
    return SpanOut(start=s.start, end=s.end)


def to_public(found: Extraction, published_on: date, payload: ExtractIn) -> ExtractOut:
    return ExtractOut(
        published_on=published_on,
        suggestions=[
            SuggestionOut(
                faction_a=s.faction_a,
                faction_b=s.faction_b,
                type=s.type,
                occurred_on=s.occurred_on,
                precision=s.precision,
                date_basis=s.date_basis,
                actor=s.actor,
                summary=s.summary,
                spans=[_span(x) for x in s.spans],
                cue=s.cue,
                cue_phrase=s.cue_phrase,
                cue_span=_span(s.cue_span),
                confidence=s.confidence,
                reliability=s.reliability,
                credibility=s.credibility,
                grading_basis=s.grading_basis,
                source=payload.source,
                source_url=payload.source_url,
            )
            for s in found.suggestions
        ],
        unresolved=[
            UnresolvedOut(name=u.name, spans=[_span(x) for x in u.spans]) for u in found.unresolved
        ],
        notes=list(found.notes),
    )


@router.post(
    "/extract",
    response_model=ExtractOut,
    dependencies=[Depends(analyst)],
    responses=responses(*STD_ERRORS),
)
def extract_events(
    payload: ExtractIn,
    session: Session = ReadSession,
    taxonomy: Taxonomy = Depends(get_taxonomy),
) -> ExtractOut:
    """Suggest indicator events in an article (analyst). Nothing is stored: record the ones
    you confirm with `POST /v1/events`. Empty text, text over 100,000 characters or a
    `published_on` in the future is a 422 naming the field; text that is not English gives
    no suggestions and a note."""
    today = utcnow().date()
    published_on = payload.published_on or today
    entries = faction_entries(session)
    found = extract(payload.text, entries, taxonomy, published_on, today=today)
    return to_public(found, published_on, payload)
