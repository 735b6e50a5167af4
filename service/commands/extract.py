"""`riftcast extract FILE [--published YYYY-MM-DD] [--source NAME] [--json]`.

The same suggestions as `POST /v1/extract`, against the database directly, so an analyst
can read an article offline and pipe the JSON into `riftcast import events` after editing.
Nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.routes.extract import ExtractOut
    from signals.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("extract", help="suggest indicator events in an article (writes nothing)")
    p.add_argument("file", help="the article as plain text (UTF-8); - reads standard input")
    p.add_argument("--published", type=_date, default=None, help="YYYY-MM-DD (default today)")
    p.add_argument("--source", default=None, help="source name copied into each suggestion")
    p.add_argument("--source-url", default=None, help="source URL copied into each suggestion")
    p.add_argument("--json", action="store_true", help="print the API's JSON body")
    p.set_defaults(func=cmd_extract)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _read(name: str) -> str:
    from signals.errors import InvalidInput

    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.one("FILE", f"cannot read {name}: {exc}") from None


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from service.routes.extract import ExtractIn, to_public
    from signals.db import Database
    from signals.extract import extract, faction_entries
    from signals.taxonomy import load_taxonomy

    text = _read(args.file)
    today = datetime.now(UTC).date()
    published = args.published or today
    with Database(settings) as db, db.read() as session:
        entries = faction_entries(session)
    found = extract(text, entries, load_taxonomy(settings.taxonomy_file), published, today=today)
    payload = ExtractIn(
        text="-", published_on=published, source=args.source, source_url=args.source_url
    )
    body = to_public(found, published, payload)
    if args.json:
        print(json.dumps(body.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        print(_table(body))
    return 0


def _table(body: ExtractOut) -> str:
    lines = [f"published {body.published_on}: {len(body.suggestions)} suggestion(s)"]
    lines += [f"note: {n}" for n in body.notes]
    for i, s in enumerate(body.suggestions, 1):
        grading = f"{s.reliability or '?'}{s.credibility or '?'}"
        lines.append(
            f"{i:>2}. {s.occurred_on:<10} {s.type:<18} {s.faction_a} -- {s.faction_b}"
            f"  conf {s.confidence:.2f}  grading {grading}"
        )
        lines.append(f"    cue {s.cue!r}; date: {s.date_basis}; actor: {s.actor or '-'}")
        lines.append(f"    {s.summary[:160]}")
    if body.unresolved:
        lines.append("unresolved: " + ", ".join(u.name for u in body.unresolved))
    return "\n".join(lines)
