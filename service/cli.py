"""The `riftcast` command: one sub-command per module in `service/commands/`."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from service.commands import data, extract, keys, model, report, serve
from signals.errors import DomainError

if TYPE_CHECKING:
    from signals.config import Settings

COMMAND_MODULES = (data, serve, keys, model, report, extract)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riftcast", description="Faction-cohesion forecasting from indicator events."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run a command with `settings` (read once from the `RIFTCAST_*` environment when not
    given); a domain error prints its problems and exits 1, never a traceback."""
    args = build_parser().parse_args(argv)
    if settings is None:
        from signals.config import Settings  # after parsing: `--help` reads no settings

        settings = Settings()
    existed = _database_exists(settings)
    try:
        return int(args.func(args, settings) or 0)
    except BrokenPipeError:  # `riftcast … | head`: the reader has gone, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if len(exc.problems) > 1 or (exc.problems and str(exc.problems[0]) != exc.message):
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
        return 1
    except Exception as exc:
        return _database_trouble(exc, existed, settings)


def _database_exists(settings: Settings) -> bool | None:
    """Whether the SQLite file the settings name exists before the command runs (None for
    other databases); read lazily, so `--help` and usage errors load no database code."""
    from signals.db import sqlite_file

    path = sqlite_file(settings)
    return None if path is None else path.exists()


def _database_trouble(exc: Exception, existed: bool | None, settings: Settings) -> int:
    """A database that cannot be reached, or was never migrated (often: a command run
    from another directory, where `./data` is not the one `make run` set up), is said in a
    line with what to do, and the empty file SQLite created for it is not left behind.
    Anything else is re-raised: a bug deserves its traceback."""
    from signals.db import missing_schema, safe_url, sqlite_file, unreachable

    if unreachable(exc):
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        print(f"error: cannot use the database {safe_url(settings)}: {first}", file=sys.stderr)
        return 1
    if not missing_schema(exc):
        raise exc
    path = sqlite_file(settings)
    if path is not None and existed is False:
        for suffix in ("", "-wal", "-shm", ".write-lock"):
            leftover = Path(f"{path}{suffix}")
            leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only when empty: never another file of the user's
    print(
        f"error: the database {safe_url(settings)} holds no Riftcast tables. Run "
        "`riftcast db upgrade` to create them, or point RIFTCAST_DATA_DIR (or "
        "RIFTCAST_DATABASE_URL) at an existing database.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
