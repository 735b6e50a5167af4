"""The `riftcast` command: one sub-command per module in `service/commands/`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from service.commands import data, extract, keys, model, report, serve
from signals.errors import DomainError

COMMAND_MODULES = (data, serve, keys, model, report, extract)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riftcast", description="Faction-cohesion forecasting from indicator events."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; a domain error prints its problems and exits 1, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `riftcast … | head`: the reader has gone, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if len(exc.problems) > 1 or (exc.problems and str(exc.problems[0]) != exc.message):
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
