"""`riftcast db upgrade`, `import`, `export` and `demo`: the event log from the shell."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signals.config import Settings


def register(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the Alembic migrations")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_upgrade)

    imp = sub.add_parser("import", help="import factions, events or outcomes from CSV/JSONL")
    imp.add_argument("kind", choices=["factions", "events", "outcomes"])
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=["csv", "jsonl"], default=None)
    imp.add_argument("--by", default="cli", help="who is importing (recorded on each row)")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser(
        "export",
        help="export events in force, outcomes, every pair's forecast, or the forecast ledger",
    )
    exp.add_argument("kind", choices=["events", "outcomes", "forecasts", "ledger"])
    exp.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    exp.add_argument("--out", type=Path, default=None, help="file (stdout by default)")
    exp.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="forecasts: as known at the end of this day, YYYY-MM-DD (now by default)",
    )
    exp.set_defaults(func=cmd_export)

    demo = sub.add_parser("demo", help="load the demo scenario if the database is empty")
    demo.set_defaults(func=cmd_demo)

    pairs = sub.add_parser("pairs", help="list the pairs of factions (their ids, status)")
    pairs.add_argument(
        "--collection", default=None, help="only this collection: demo, reference, or '' (yours)"
    )
    pairs.set_defaults(func=cmd_pairs)


def cmd_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from signals.db import safe_url
    from signals.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url, args.revision)
    print(f"database at {args.revision}: {safe_url(settings)}")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from signals import io, jobs
    from signals.db import Database
    from signals.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.taxonomy_file)
    text = io.read_text(args.file)
    fmt = args.format or io.guess_format(args.file)
    with Database(settings) as db, db.write() as session:
        result = io.import_text(session, taxonomy, args.kind, text, fmt, by=args.by)
        job = jobs.queued(session) if args.kind == "outcomes" and result.created else None
    print(
        f"imported {result.created} {args.kind} from {args.file} ({result.skipped} already present)"
    )
    if job is not None:
        print(f"queued refit job {job.id} (a running server's worker runs it, or `riftcast fit`)")
    return 0


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from signals import io
    from signals.db import Database

    if args.kind in ("forecasts", "ledger"):
        return _export_stream(args, settings)
    if args.as_of is not None:
        raise _invalid("as_of", "only forecasts are exported as of a date")
    with Database(settings) as db, db.read() as session:
        text = io.render(io.export_rows(session, args.kind), args.kind, args.format)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, "utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _export_stream(args: argparse.Namespace, settings: Settings) -> int:
    """Forecasts or the ledger, written as they are read (one pair, or one page of the
    ledger, at a time): an export of any size in bounded memory."""
    from service.forecasting.export import FORECAST_COLUMNS, forecast_rows, render
    from signals import ledger
    from signals.db import Database

    with Database(settings) as db:
        if args.kind == "ledger":
            if args.as_of is not None:
                raise _invalid("as_of", "the ledger is exported whole; it has no as-of")
            chunks = render(ledger.export_rows(db), ledger.EXPORT_COLUMNS, args.format)
            return _write_chunks(chunks, args.out)
        from models.data import end_of_day
        from service.forecasting.forecaster import Forecaster
        from signals.factions import pair_ids
        from signals.taxonomy import load_taxonomy

        forecaster = Forecaster.load(db, settings, load_taxonomy(settings.taxonomy_file))
        today = datetime.now(UTC).date()
        # Today (or later) means "now"; an earlier date is the forecast as known that day.
        as_of = None
        if args.as_of is not None and args.as_of < today:
            as_of = forecaster.check_as_of(end_of_day(args.as_of))
        with db.read() as session:
            ids = pair_ids(session)
        rows = forecast_rows(forecaster, ids, as_of)
        return _write_chunks(render(rows, FORECAST_COLUMNS, args.format), args.out)


def _invalid(field: str, message: str) -> Exception:
    from signals.errors import InvalidInput

    return InvalidInput.one(field, message)


def _write_chunks(chunks: Iterator[str], out: Path | None) -> int:
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return 0
    with out.open("w", encoding="utf-8", newline="") as f:
        for chunk in chunks:
            f.write(chunk)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo (on an empty database) and the reference history (unless
    RIFTCAST_LOAD_REFERENCE=false or it is already there), then queue a refit."""
    from signals import access, jobs
    from signals.db import Database
    from signals.scenario import REFERENCE, has_collection, is_empty, load_demo, load_reference
    from signals.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.taxonomy_file)
    loaded = []
    with Database(settings) as db, db.write() as session:
        if is_empty(session):
            loaded += [("demo", r) for r in load_demo(session, taxonomy)]
        else:
            print("demo: the database already holds data; the demo was not loaded again")
        if settings.load_reference and not has_collection(session, REFERENCE):
            loaded += [(REFERENCE, r) for r in load_reference(session, taxonomy)]
        secret = None
        if not access.has_admin(session):
            _, secret = access.create_key(session, "demo-admin", "admin")
        job = jobs.enqueue(session, "demo", "demo") if loaded else None
    for name, r in loaded:
        print(f"{name}: loaded {r.created} {r.kind}")
    if job is not None:
        print(f"demo: queued refit job {job.id} (the server's worker runs it)")
    print(next_steps(settings, secret))
    return 0


def next_steps(settings: Settings, secret: str | None) -> str:
    """What to do once the server is up: where it is, the key, and one request to try —
    after pages of install output, this block is what a new user looks for."""
    url = f"http://{settings.host}:{settings.port}"
    program = _program()
    key = secret or "YOUR_KEY"
    lines = ["", "Next steps", "----------", f"Dashboard and API:  {url}/   (docs: {url}/docs)"]
    if secret:
        lines.append(f"Admin key (shown once, keep it): {secret}")
    else:
        lines.append(
            "An admin key exists already; mint another with:\n"
            f"  {program} keys create --role admin --name NAME"
        )
    lines.append("Every pair's forecast, once the server below is up:")
    lines.append(f'  curl -H "Authorization: Bearer {key}" {url}/v1/forecasts')
    lines.append(
        "The first fit runs in the server's worker (about a minute); forecasts come from the "
        "priors until it is published."
    )
    return "\n".join(lines) + "\n"


def _program() -> str:
    """How this command was run (`.venv/bin/riftcast` from `make run`), so the lines
    printed for the user work without an activated virtualenv."""
    path = Path(sys.argv[0])
    if path.name != "riftcast":
        return "riftcast"
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def cmd_pairs(args: argparse.Namespace, settings: Settings) -> int:
    """One line per pair: the id other commands take, its status and its collection."""
    from signals.db import Database
    from signals.factions import list_pairs

    with Database(settings) as db, db.read() as session:
        rows = list_pairs(session, args.collection)
    if not rows:
        print("no pairs; `riftcast demo` loads the demo, `riftcast import` your own")
        return 0
    width = max(len(p.id) for p in rows)
    print(f"{'pair':<{width}}  {'status':<9} {'ruptured':<10} collection")
    for p in rows:
        ruptured = p.ruptured_on.isoformat() if p.ruptured_on else "-"
        print(f"{p.id:<{width}}  {p.status:<9} {ruptured:<10} {p.collection or '-'}")
    return 0
