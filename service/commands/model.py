"""`riftcast fit`, `forecast`, `simulate` and `backtest`: the model from the shell."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.results import PairForecast
    from signals.config import Settings


def register(sub: Any) -> None:
    defaults = argparse.ArgumentDefaultsHelpFormatter
    fit = sub.add_parser(
        "fit", help="fit the model on everything known now; store the run", formatter_class=defaults
    )
    fit.add_argument("--draws", type=int, default=None, help="draws per chain (RIFTCAST_FIT_DRAWS)")
    fit.add_argument("--tune", type=int, default=None, help="tuning steps (RIFTCAST_FIT_TUNE)")
    fit.add_argument("--chains", type=int, default=None, help="chains (RIFTCAST_FIT_CHAINS)")
    fit.add_argument("--seed", type=int, default=0, help="random seed")
    fit.set_defaults(func=cmd_fit)

    fc = sub.add_parser("forecast", help="a pair's rupture forecast with intervals and drivers")
    fc.add_argument(
        "pair",
        type=pair_id_argument,
        help="pair id, e.g. haqqani-network--kandahar-leadership (either order)",
    )
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

    sim = sub.add_parser(
        "simulate",
        help="write import files drawn from the model",
        description="Draw parameters from the taxonomy's priors, events and weekly ruptures "
        "from the model, and write factions.csv, events.csv, outcomes.csv (the import "
        "format) and params.json (the true parameters): data to check a fit against.",
        formatter_class=defaults,
    )
    sim.add_argument("--pairs", type=int, default=40, help="pairs of factions")
    sim.add_argument("--weeks", type=int, default=260, help="weeks simulated")
    sim.add_argument("--seed", type=int, default=0, help="random seed")
    sim.add_argument("--start", type=_date, default=date(2015, 1, 5), help="first day")
    sim.add_argument("--out", type=Path, required=True, help="folder for the files")
    sim.set_defaults(func=cmd_simulate)

    bt = sub.add_parser(
        "backtest",
        help="rolling-origin backtest of the stored log",
        description="Fit at every origin on what was known then, forecast every pair in the "
        "risk set, score against what happened: the fitted model, its priors alone, a "
        "logistic baseline and the base rate, on the same rows.",
        formatter_class=defaults,
    )
    bt.add_argument("--start", type=_date, default=None, help="first origin (YYYY-MM-DD)")
    bt.add_argument("--end", type=_date, default=None, help="last origin (YYYY-MM-DD)")
    bt.add_argument("--step", type=int, default=28, help="days between origins")
    bt.add_argument("--horizon", type=int, default=90, help="days ahead")
    bt.add_argument(
        "--method",
        choices=("laplace", "nuts"),
        default="laplace",
        help="laplace: nested Laplace fits, checked against NUTS by the test suite "
        "(minutes); nuts: full NUTS at every origin at the production settings",
    )
    bt.add_argument("--workers", type=int, default=2, help="processes fitting origins")
    bt.add_argument(
        "--no-record",
        action="store_true",
        help="do not record the result (recorded, every model run of this taxonomy shows it)",
    )
    bt.add_argument("--json", action="store_true", help="print the metrics as JSON")
    bt.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for forecasts.csv, origins.csv, metrics.json and reliability.png",
    )
    bt.set_defaults(func=cmd_backtest)


def pair_id_argument(text: str) -> str:
    """A pair id in either order, as stored (imported only when a command runs)."""
    from signals.factions import normal_pair_id

    return normal_pair_id(text)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_fit(args: argparse.Namespace, settings: Settings) -> int:
    from service.forecasting.refit import refit
    from signals.db import Database
    from signals.taxonomy import load_taxonomy

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
    from service.forecasting.refit import fit_config
    from service.forecasting.runs import summary

    with Database(settings) as db:
        run = refit(
            db,
            settings,
            load_taxonomy(settings.taxonomy_file),
            config=fit_config(settings, seed=args.seed),
            progress=lambda line: print(f"fit: {line}", file=sys.stderr, flush=True),
        )
    print(summary(run))
    return 0


def cmd_forecast(args: argparse.Namespace, settings: Settings) -> int:
    from models.data import end_of_day

    as_of = end_of_day(args.as_of) if args.as_of else None
    if args.as_of and args.as_of >= datetime.now(UTC).date():
        as_of = None if args.as_of == datetime.now(UTC).date() else as_of
    from service.forecasting.forecaster import Forecaster
    from signals.db import Database
    from signals.taxonomy import load_taxonomy

    with Database(settings) as db:
        forecaster = Forecaster.load(db, settings, load_taxonomy(settings.taxonomy_file))
        result = forecaster.forecast(args.pair, as_of, args.horizon, on=args.on)
    if args.json:
        print(json.dumps(asdict(result), default=str, indent=2))
    else:
        print(render_forecast(result))
    return 0


def render_forecast(f: PairForecast) -> str:
    """The forecast as an analyst would read it, the estimative scale under it."""
    from models.phrases import FOOTNOTE
    from signals.schemas import format_fuzzy_date

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
        for d in f.type_drivers:
            share = "" if d.share is None else f"  ({d.share:.0%})"
            lines.append(f"  {d.label:<28} {d.contribution:+.2f}{share}")
    if f.event_drivers:
        lines.append("events: P(90 d) without → with the event")
        for e in f.event_drivers:
            when = format_fuzzy_date(e.occurred_on, e.precision)
            lines.append(
                f"  {when:<10} {e.type:<18} {e.actor[:30]:<30} {e.p_without:6.2%} → "
                f"{e.p_with:6.2%} ({100 * e.delta:+.2f} pts) [{e.reliability}{e.credibility}]"
            )
    lines.append(FOOTNOTE)
    return "\n".join(lines)


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from models.priors import activity_half_life, priors_from, type_recipe
    from models.simulate import simulate
    from service.forecasting.simulated import write_import_files
    from signals.errors import InvalidInput
    from signals.taxonomy import load_taxonomy

    if args.pairs < 2 or args.weeks < 4:
        raise InvalidInput.one("pairs", "simulate at least 2 pairs over at least 4 weeks")
    taxonomy = load_taxonomy(settings.taxonomy_file)
    started = time.monotonic()
    world = simulate(
        n_pairs=args.pairs,
        n_weeks=args.weeks,
        seed=args.seed,
        type_priors=type_recipe(taxonomy),
        grading_weight=taxonomy.grading_weight,
        priors=priors_from(taxonomy),
        activity_half_life=activity_half_life(taxonomy),
    )
    # Drawing takes well under a second even for hundreds of pairs over ten years, so one
    # line of what was drawn is the progress report; a bar would only flicker.
    print(
        f"simulate: {world.n_pairs} pairs over {args.weeks} weeks: {len(world.events)} events, "
        f"{int((world.ruptured_at >= 0).sum())} ruptures ({time.monotonic() - started:.1f} s)",
        file=sys.stderr,
    )
    write_import_files(world, args.out, args.start)
    print(f"wrote factions.csv, events.csv, outcomes.csv and params.json to {args.out}")
    return 0


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    from models.backtest import json_default, plain
    from models.data import date_of
    from service.forecasting.evaluate import backtest_store
    from signals.db import Database
    from signals.evaluations import record_evaluation
    from signals.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.taxonomy_file)
    with Database(settings) as db:
        result = backtest_store(
            db,
            settings,
            taxonomy,
            start=args.start,
            end=args.end,
            step_days=args.step,
            horizon_days=args.horizon,
            method=args.method,
            workers=args.workers,
            progress=progress_printer("backtest: fitted origin"),
        )
        metrics = result.metrics()
        if not args.no_record:
            with db.write() as session:
                record_evaluation(
                    session,
                    taxonomy.version,
                    plain(metrics),  # type: ignore[arg-type]
                    method=args.method,
                    first_origin=date_of(result.origins[0].origin_day),
                    last_origin=date_of(result.origins[-1].origin_day),
                    step_days=args.step,
                )
    if args.out is not None:
        for path in result.write(args.out, metrics):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(metrics, default=json_default, indent=2))
    else:
        print(render_backtest(metrics, result))
    return 0


def progress_printer(label: str) -> Callable[[int, int], None]:
    """A progress bar on a terminal, a plain line every tenth of the work otherwise."""
    tty = sys.stderr.isatty()
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        if tty:
            width = 30
            bar = "#" * (width * done // total)
            end = "\n" if done == total else ""
            print(
                f"\r{label} {done}/{total} [{bar:<{width}}] {elapsed:.0f} s",
                end=end,
                file=sys.stderr,
                flush=True,
            )
        elif done == total or done % max(1, total // 10) == 0:
            print(f"{label} {done}/{total} ({elapsed:.0f} s)", file=sys.stderr, flush=True)

    return show


def _ci(interval: Any, fmt: str) -> str:
    lo, hi = interval
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    return f"({lo:{fmt}} to {hi:{fmt}})"


def render_backtest(m: dict[str, Any], result: Any) -> str:
    """The backtest's metrics as a table an analyst can read."""
    from models.data import date_of

    origins = result.origins
    first, last = (date_of(origins[0].origin_day), date_of(origins[-1].origin_day))
    lines = [
        f"Backtest: {m['n_origins']} origins from {first} to {last}, horizon "
        f"{m['horizon_days']} days",
        f"  {m['n_forecasts']} forecasts of {m['n_pairs']} pairs; {m['n_positive']} "
        f"forecast windows ended in a rupture ({m['n_ruptured_pairs']} pairs ruptured)",
        f"  fits: {origins[0].sampler}; {m['origins_failed']} of {m['n_origins']} origins "
        "failed the publication gate (the last published fit forecast instead)",
    ]
    if "undefined" in m:
        lines.append(f"  scores: {m['undefined']}")
        return "\n".join(lines)
    names = {
        "model": "fitted model",
        "priors_only": "priors only",
        "baseline": "logistic baseline",
        "base_rate": "base rate",
    }
    lines.append("")
    lines.append(
        f"  {'':<18}{'mean':>7}  {'Brier':>7} {'(90% CI)':<21}{'log score':>10}  "
        f"{'AUC':>5} {'(90% CI)':<15}{'BSS vs base rate':>17} {'(90% CI)':<19}"
        f"{'reliab.':>8}{'resol.':>8}"
    )
    for key, label in names.items():
        s = m["models"][key]
        auc = "  —  " if s["auc"] is None else f"{s['auc']:.3f}"
        lines.append(
            f"  {label:<18}{s['mean_forecast']:>7.2%}  {s['brier']:>7.4f} "
            f"{_ci(s['brier_ci'], '.4f'):<21}{s['log_score']:>10.4f}  {auc:>5} "
            f"{_ci(s['auc_ci'], '.2f'):<15}{s['bss_base_rate']:>+17.3f} "
            f"{_ci(s['bss_base_rate_ci'], '+.3f'):<19}{s['reliability']:>8.5f}"
            f"{s['resolution']:>8.5f}"
        )
    model = m["models"]["model"]
    rate = m["n_positive"] / m["n_forecasts"]
    lines += [
        "",
        f"  observed: {rate:.2%} of forecast windows ended in a rupture",
        f"  fitted model vs priors only: Brier skill {model['bss_vs_priors_only']:+.3f} "
        f"{_ci(model['bss_vs_priors_only_ci'], '+.3f')}",
        f"  fitted model vs logistic baseline: Brier skill {model['bss_vs_baseline']:+.3f} "
        f"{_ci(model['bss_vs_baseline_ci'], '+.3f')}",
        f"  {m['verdict']}",
    ]
    cov = m["coverage"]
    if cov["origins"]:
        lo, hi = cov["share_ci"]
        lines.append(
            f"  90% intervals: the number of ruptures fell inside the model's 90% predictive "
            f"interval at {cov['inside']} of {cov['origins']} origins ({cov['share']:.0%}; "
            f"exact 90% CI {lo:.0%}–{hi:.0%})"
        )
    lines.append(
        "  (90% CIs: bootstrap over pairs. Lower Brier, higher log score, AUC and skill are "
        "better.)"
    )
    return "\n".join(lines)
