"""`riftcast fit`, `forecast`, `simulate` and `backtest`: the model from the shell."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from models.data import end_of_day
from models.forecaster import Forecaster
from models.refit import refit
from models.results import PairForecast
from signals.config import Settings
from signals.db import Database
from signals.errors import InvalidInput
from signals.schemas import format_fuzzy_date
from signals.taxonomy import load_taxonomy


def register(sub: Any) -> None:
    fit = sub.add_parser("fit", help="fit the model on everything known now; store the run")
    fit.add_argument("--draws", type=int, default=None)
    fit.add_argument("--tune", type=int, default=None)
    fit.add_argument("--chains", type=int, default=None)
    fit.add_argument("--seed", type=int, default=0)
    fit.set_defaults(func=cmd_fit)

    fc = sub.add_parser("forecast", help="a pair's rupture forecast with intervals and drivers")
    fc.add_argument("pair", help="pair id, e.g. haqqani-network--kandahar-leadership")
    fc.add_argument("--as-of", type=_date, default=None, help="YYYY-MM-DD (as known then)")
    fc.add_argument(
        "--on",
        type=_date,
        default=None,
        help="YYYY-MM-DD: the evidence known now, as it stood on that day (retrospective)",
    )
    fc.add_argument("--horizon", type=int, action="append", default=None, help="days")
    fc.add_argument("--json", action="store_true")
    fc.set_defaults(func=cmd_forecast)

    sim = sub.add_parser("simulate", help="write import files drawn from the model")
    sim.add_argument("--pairs", type=int, default=40)
    sim.add_argument("--weeks", type=int, default=260)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--start", type=_date, default=date(2015, 1, 5))
    sim.add_argument("--out", type=Path, required=True)
    sim.set_defaults(func=cmd_simulate)

    bt = sub.add_parser("backtest", help="rolling-origin backtest of the stored log")
    bt.add_argument("--start", type=_date, default=None)
    bt.add_argument("--end", type=_date, default=None)
    bt.add_argument("--step", type=int, default=91, help="days between origins")
    bt.add_argument("--horizon", type=int, default=365, help="days")
    bt.add_argument("--json", action="store_true")
    bt.add_argument("--out", type=Path, default=None, help="folder for the reliability PNG")
    bt.add_argument("--draws", type=int, default=300)
    bt.set_defaults(func=cmd_backtest)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_fit(args: argparse.Namespace) -> int:
    settings = Settings()
    updates = {
        k: v
        for k, v in (
            ("fit_draws", args.draws),
            ("fit_tune", args.tune),
            ("fit_chains", args.chains),
        )
        if v is not None
    }
    settings = settings.model_copy(update=updates)
    from models.refit import fit_config

    run = refit(
        Database(settings),
        settings,
        load_taxonomy(settings.taxonomy_file),
        config=fit_config(settings, seed=args.seed),
    )
    state = "published" if run.published else f"NOT published: {run.reason}"
    print(
        f"run {run.id}: {run.n_pairs} pairs, {run.n_obs} pair-weeks, {run.n_ruptures} "
        f"ruptures, {run.n_events} events; R-hat {run.max_rhat:.3f}, bulk ESS "
        f"{run.min_ess_bulk:.0f}, {run.divergences} divergences, {run.seconds:.1f} s; {state}"
    )
    return 0


def _forecaster(settings: Settings) -> Forecaster:
    forecaster = Forecaster(Database(settings), settings, load_taxonomy(settings.taxonomy_file))
    forecaster.reload_run()
    return forecaster


def cmd_forecast(args: argparse.Namespace) -> int:
    settings = Settings()
    as_of = end_of_day(args.as_of) if args.as_of else None
    if args.as_of and args.as_of >= datetime.now(UTC).date():
        as_of = None if args.as_of == datetime.now(UTC).date() else as_of
    result = _forecaster(settings).forecast(args.pair, as_of, args.horizon, on=args.on)
    if args.json:
        print(json.dumps(asdict(result), default=str, indent=2))
    else:
        print(render_forecast(result))
    return 0


def render_forecast(f: PairForecast) -> str:
    """The forecast as an analyst would read it."""
    lines = [
        f"{f.faction_a} / {f.faction_b} — forecast on {f.on}, from what was known at "
        f"{f.as_of:%Y-%m-%d %H:%M} UTC"
    ]
    if f.run:
        lines.append(f"model run {f.run.id} (cut-off {f.run.cutoff:%Y-%m-%d}, {f.run.sampler})")
    lines += [f"note: {n}" for n in f.notes]
    for h in f.horizons:
        flag = " (interval spans several bands)" if h.phrase_uncertain else ""
        lines.append(
            f"  P(rupture within {h.horizon_days:>3} d) = {h.probability:6.1%}  "
            f"90% CI {h.lower:6.1%}–{h.upper:6.1%}  {h.phrase}{flag}"
        )
    if f.type_drivers:
        lines.append("drivers by type (log-odds now):")
        lines += [f"  {d.label:<28} {d.contribution:+.2f}  ({d.share:.0%})" for d in f.type_drivers]
    if f.event_drivers:
        lines.append("events: P(90 d) without → with the event")
        for e in f.event_drivers:
            when = format_fuzzy_date(e.occurred_on, e.precision)
            lines.append(
                f"  {when:<10} {e.type:<18} {e.actor[:30]:<30} {e.p_without:6.2%} → "
                f"{e.p_with:6.2%} ({100 * e.delta:+.2f} pts) [{e.reliability}{e.credibility}]"
            )
    return "\n".join(lines)


def cmd_simulate(args: argparse.Namespace) -> int:
    from models.priors import half_lives
    from models.simulate import simulate, write_import_files

    if args.pairs < 2 or args.weeks < 4:
        raise InvalidInput.one("pairs", "simulate at least 2 pairs over at least 4 weeks")
    taxonomy = load_taxonomy(Settings().taxonomy_file)
    world = simulate(
        n_pairs=args.pairs,
        n_weeks=args.weeks,
        seed=args.seed,
        type_priors=(
            [t.prior_mean for t in taxonomy.types],
            [t.prior_sd for t in taxonomy.types],
            list(half_lives(taxonomy)),
            list(taxonomy.keys),
        ),
        grading_weight=taxonomy.grading_weight,
    )
    write_import_files(world, args.out, args.start)
    print(f"wrote factions.csv, events.csv, outcomes.csv and params.json to {args.out}")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    from models.evaluate import backtest_store

    settings = Settings()
    metrics = backtest_store(
        Database(settings),
        settings,
        load_taxonomy(settings.taxonomy_file),
        start=args.start,
        end=args.end,
        step_days=args.step,
        horizon_days=args.horizon,
        out_dir=args.out,
        draws=args.draws,
    )
    if args.json:
        print(json.dumps(metrics, default=float))
    else:
        for key, value in metrics.items():
            print(f"{key:>16}: {value}")
    return 0
