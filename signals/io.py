"""Import and export of factions, events and outcomes as CSV or JSON Lines.

A file is imported in one transaction: if any row is bad, nothing is written and every
bad row is reported with its line, column and reason. Re-importing a file adds nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from signals import events as events_mod
from signals import outcomes as outcomes_mod
from signals.errors import FieldProblem, InvalidInput
from signals.factions import list_pairs, unknown_factions, upsert_factions
from signals.schemas import EventIn, FactionIn, OutcomeIn
from signals.taxonomy import Taxonomy

Kind = Literal["factions", "events", "outcomes"]
Format = Literal["csv", "jsonl"]

SCHEMAS: dict[str, type[BaseModel]] = {
    "factions": FactionIn,
    "events": EventIn,
    "outcomes": OutcomeIn,
}
# Accepted on import, never written on export: a faction's notes, a correction's target.
IMPORT_ONLY = ("notes", "supersedes")
# A file's columns are its schema's fields, in their order; the required ones must be there.
COLUMNS: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name in schema.model_fields if name not in IMPORT_ONLY)
    for kind, schema in SCHEMAS.items()
}
REQUIRED: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name, field in schema.model_fields.items() if field.is_required())
    for kind, schema in SCHEMAS.items()
}


@dataclass(frozen=True)
class ImportResult:
    kind: str
    rows: int
    created: int

    @property
    def skipped(self) -> int:
        return self.rows - self.created


def guess_format(path: Path) -> Format:
    return "jsonl" if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else "csv"


def _read_rows(text: str, fmt: Format, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, raw row) pairs; raises InvalidInput for an unreadable file."""
    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(
                    f"line {number}: not valid JSON ({exc.msg})",
                    [FieldProblem("file", f"not valid JSON ({exc.msg})", number)],
                ) from None
            if not isinstance(value, dict):
                raise InvalidInput(
                    f"line {number}: expected a JSON object",
                    [FieldProblem("file", "expected a JSON object", number)],
                )
            yield number, value
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED[kind] if c not in header]
    unknown = [c for c in header if c not in COLUMNS[kind] and c not in IMPORT_ONLY]
    if missing or unknown:
        problems = [FieldProblem(c, "required column is missing", 1) for c in missing]
        problems += [FieldProblem(c, "unknown column", 1) for c in unknown]
        raise InvalidInput("the header is wrong: " + "; ".join(map(str, problems)), problems)
    try:
        for row in reader:
            if None in row:
                raise InvalidInput(
                    f"line {reader.line_num}: more values than columns",
                    [FieldProblem("file", "more values than columns", reader.line_num)],
                )
            # Empty cells mean "use the default"; a required field then reports as missing.
            yield reader.line_num, {k: v for k, v in row.items() if v not in ("", None)}
    except csv.Error as exc:
        raise InvalidInput(
            f"line {reader.line_num}: {exc}", [FieldProblem("file", str(exc), reader.line_num)]
        ) from None


def _prepare(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    if kind == "factions" and isinstance(raw.get("aliases"), str):
        raw = {**raw, "aliases": [a.strip() for a in raw["aliases"].split(";") if a.strip()]}
    return raw


def parse(text: str, fmt: Format, kind: Kind) -> tuple[list[Any], list[int]]:
    """Validate every row's shape; raise InvalidInput listing all bad rows."""
    items, lines, problems, _ = _parse_all(text, fmt, kind)
    if problems:
        raise InvalidInput(f"{len(problems)} problem(s); nothing was imported", problems)
    return items, lines


def _parse_all(
    text: str, fmt: Format, kind: Kind
) -> tuple[list[Any], list[int], list[FieldProblem], list[tuple[int, dict[str, Any]]]]:
    schema = SCHEMAS[kind]
    items: list[Any] = []
    lines: list[int] = []
    problems: list[FieldProblem] = []
    raw_rows: list[tuple[int, dict[str, Any]]] = []
    for line, raw in _read_rows(text, fmt, kind):
        raw_rows.append((line, raw))
        try:
            items.append(schema.model_validate(_prepare(kind, raw)))
            lines.append(line)
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else "faction_b"
                message = err["msg"].removeprefix("Value error, ")
                problems.append(FieldProblem(column, message, line))
            problems.extend(_raw_pair_problem(kind, raw, line))
    return items, lines, problems, raw_rows


def _raw_pair_problem(kind: str, raw: dict[str, Any], line: int) -> list[FieldProblem]:
    """A self-pair is reported even when other fields of the row are also wrong."""
    a, b = raw.get("faction_a"), raw.get("faction_b")
    if kind != "factions" and a is not None and a == b:
        return [FieldProblem("faction_b", "a faction cannot pair with itself", line)]
    return []


def _reference_problems(
    session: Session, taxonomy: Taxonomy, kind: str, raw_rows: list[tuple[int, dict[str, Any]]]
) -> list[FieldProblem]:
    """Unknown factions and indicator types, checked on every row, valid or not."""
    if kind == "factions":
        return []
    problems: list[FieldProblem] = []
    known: dict[str, bool] = {}
    for line, raw in raw_rows:
        fields = ("faction_a", "faction_b")
        named = [(f, v) for f in fields if isinstance(v := raw.get(f), str) and v]
        problems += unknown_factions(session, named, line, known)
        key = raw.get("type")
        if kind == "events" and isinstance(key, str) and taxonomy.get(key) is None:
            problems.append(FieldProblem("type", f"unknown indicator type {key!r}", line))
    return problems


def read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.one("file", f"cannot read {path}: {exc}") from None


def import_text(
    session: Session,
    taxonomy: Taxonomy,
    kind: Kind,
    text: str,
    fmt: Format,
    by: str,
    collection: str = "",
) -> ImportResult:
    """Import one file's content into the open transaction (the caller commits);
    new factions join `collection` ("reference", "demo", or "" for an analyst's own)."""
    items, lines, problems, raw_rows = _parse_all(text, fmt, kind)
    problems += _reference_problems(session, taxonomy, kind, raw_rows)
    if problems:
        problems = sorted(set(problems), key=lambda p: (p.line or 0, p.field, p.message))
        raise InvalidInput(f"{len(problems)} problem(s); nothing was imported", problems)
    if kind == "factions":
        created = upsert_factions(session, items, by, collection)
    elif kind == "events":
        created = len(
            events_mod.record_events(
                session, taxonomy, items, by, lines=lines, skip_duplicates=True
            )
        )
    else:
        created = len(
            outcomes_mod.record_outcomes(session, items, by, lines=lines, skip_duplicates=True)
        )
    return ImportResult(kind, len(items), created)


def export_rows(session: Session, kind: Literal["events", "outcomes"]) -> list[dict[str, object]]:
    """The events in force now, or all outcomes, in the import format."""
    pairs = {p.id: p for p in list_pairs(session)}
    if kind == "events":
        return [
            _file_row(row, events_mod.export_values(row, pairs[row.pair_id]), kind)
            for row in events_mod.events_as_of(session)
        ]
    return [
        _file_row(row, outcomes_mod.export_values(row, pairs[row.pair_id]), kind)
        for row in outcomes_mod.outcomes_as_of(session)
    ]


def _file_row(row: object, written: dict[str, object], kind: str) -> dict[str, object]:
    """A stored row as a line of the file: each column the row's field of that name, but
    those `written` otherwise."""
    return {c: written[c] if c in written else getattr(row, c) for c in COLUMNS[kind]}


def render(rows: list[dict[str, object]], kind: str, fmt: Format) -> str:
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS[kind]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
