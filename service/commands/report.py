"""`riftcast report PAIR [--as-of DATE] --out FILE.pdf|FILE.png`: the one-page brief.

The same renderer as `GET /v1/forecasts/{pair}/report.pdf`, run against the database
directly, so an analyst can produce a brief without a running server or a key.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.commands.model import pair_id_argument

if TYPE_CHECKING:
    from signals.config import Settings


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="write a pair's one-page brief as PDF or PNG")
    p.add_argument(
        "pair",
        type=pair_id_argument,
        help="pair id, e.g. haqqani-network--kandahar-leadership (either order)",
    )
    p.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (as known then)")
    p.add_argument("--horizon", type=int, default=90, help="days, for the chart (default 90)")
    p.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.png")
    p.set_defaults(func=cmd_report)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from models.data import end_of_day
    from service.briefs import gather_brief
    from service.forecasting.forecaster import Forecaster
    from service.report import format_of  # matplotlib: only for this command
    from signals.db import Database
    from signals.errors import InvalidInput
    from signals.taxonomy import load_taxonomy

    try:
        fmt = format_of(args.out)
    except ValueError as exc:
        raise InvalidInput.one("out", str(exc)) from None
    with Database(settings) as db:
        forecaster = Forecaster.load(db, settings, load_taxonomy(settings.taxonomy_file))
        today = datetime.now(UTC).date()
        # Today (or later) means "now"; an earlier date is the forecast as known that day.
        as_of = end_of_day(args.as_of) if args.as_of and args.as_of < today else None
        forecast = forecaster.forecast(args.pair, as_of)
        brief = gather_brief(db, forecaster, forecast, args.horizon)
        if args.out.parent and not args.out.parent.exists():
            raise InvalidInput.one("out", f"the folder {args.out.parent} does not exist")
        brief.render(args.out, fmt)
    print(f"wrote the brief of {args.pair} as of {forecast.as_of:%Y-%m-%d} to {args.out}")
    return 0
