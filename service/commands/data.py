"""`riftcast db upgrade`, `import`, `export` and `demo`: the event log from the shell."""

from __future__ import annotations

import argparse
import sys
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

    exp = sub.add_parser("export", help="export events in force, or outcomes")
    exp.add_argument("kind", choices=["events", "outcomes"])
    exp.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    exp.add_argument("--out", type=Path, default=None, help="file (stdout by default)")
    exp.set_defaults(func=cmd_export)

    demo = sub.add_parser("demo", help="load the demo scenario if the database is empty")
    demo.set_defaults(func=cmd_demo)

    pairs = sub.add_parser("pairs", help="list the pairs of factions (their ids, status)")
    pairs.add_argument(
        "--collection", default=None, help="only this collection: demo, reference, or '' (yours)"
    )
    pairs.set_defaults(func=cmd_pairs)


def cmd_upgrade(args: argparse.Namespace) -> int:
    from signals.config import Settings
    from signals.migrate import upgrade

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url, args.revision)
    print(f"database at {args.revision}: {_safe_url(settings)}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from signals import io
    from signals.config import Settings
    from signals.db import Database
    from signals.taxonomy import load_taxonomy

    settings = Settings()
    taxonomy = load_taxonomy(settings.taxonomy_file)
    text = io.read_text(args.file)
    fmt = args.format or io.guess_format(args.file)
    db = Database(settings)
    with db.write() as session:
        result = io.import_text(session, taxonomy, args.kind, text, fmt, by=args.by)
    print(
        f"imported {result.created} {args.kind} from {args.file} ({result.skipped} already present)"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from signals import io
    from signals.config import Settings
    from signals.db import Database

    db = Database(Settings())
    with db.read() as session:
        text = io.render(io.export_rows(session, args.kind), args.kind, args.format)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, "utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the demo (on an empty database) and the reference history (unless
    RIFTCAST_LOAD_REFERENCE=false or it is already there), then queue a refit."""
    from signals import access, jobs
    from signals.config import Settings
    from signals.db import Database
    from signals.scenario import REFERENCE, has_collection, is_empty, load_demo, load_reference
    from signals.taxonomy import load_taxonomy

    settings = Settings()
    db = Database(settings)
    taxonomy = load_taxonomy(settings.taxonomy_file)
    loaded = []
    with db.write() as session:
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
    if secret:
        print(f"Admin key for the demo (shown once): {secret}")
    else:
        print(
            "An admin key exists already; mint another with: "
            "riftcast keys create --role admin --name NAME"
        )
    return 0


def _safe_url(settings: Settings) -> str:
    url = settings.resolved_database_url
    if "@" in url:  # hide credentials
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_pairs(args: argparse.Namespace) -> int:
    """One line per pair: the id other commands take, its status and its collection."""
    from signals.config import Settings
    from signals.db import Database
    from signals.factions import list_pairs

    with Database(Settings()).read() as session:
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
