"""Rolling-origin backtests: at each origin, fit only on what was known then, forecast every
pair in the risk set, and score against what happened next.

What "known at the origin" means, for everything the backtest uses:
- an event counts once its dated period has ended (a month-dated event is not seen at an
  origin inside its month), and a state's end once the end has happened;
- a pair is in the risk set from its entry (its first datum less the look-back) until it
  ruptures, and is scored only while it is in the risk set and its outcome over the next
  `horizon_days` days (exactly, not rounded to steps) is known;
- the base rate is the weekly rupture rate of the risk set up to the origin.

Four forecasts are scored on the very same rows: the fitted model, the same model with its
priors alone (no fit), scikit-learn's logistic baseline on the same features, and the base
rate. A fit that fails the publication gate is handled as production handles it: the last
published fit keeps forecasting (the priors, before any fit passed).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from models import scoring
from models.baseline import LogisticBaseline
from models.features import (
    EventArrays,
    Grid,
    arrival_counts,
    arrival_rates,
    evidence,
    evidence_at,
    held_at,
)
from models.forecast import horizon_draws
from models.hazard import (
    NoDataError,
    Posterior,
    Priors,
    TrainingData,
    build_training_data,
    prior_draws,
)

Fitter = Callable[[TrainingData, int], Posterior]
Progress = Callable[[int, int], None]
REFERENCES = ("model", "priors_only", "baseline", "base_rate")
PRIOR_DRAWS = 1000


def _laplace(data: TrainingData, seed: int, priors: Priors, n_draws: int) -> Posterior:
    from models.laplace import fit_laplace

    return fit_laplace(data, priors, n_draws=n_draws, seed=seed)


def laplace_fitter(priors: Priors, n_draws: int = 500) -> Fitter:
    """The backtest's default fit: the nested Laplace approximation (picklable, so origins
    can be fitted in parallel processes). 500 draws put a forecast's mean within a few
    hundredths of a point of its value with more, which is plenty for scoring."""
    return partial(_laplace, priors=priors, n_draws=n_draws)


@dataclass(frozen=True)
class History:
    """A world's events and outcomes on a weekly grid, with each pair's risk set."""

    events: EventArrays  # `known` days when known late; else known when they occur
    n_pairs: int
    half_lives: np.ndarray
    grid: Grid
    entered_at: np.ndarray  # (P,) first step at risk
    ruptured_at: np.ndarray  # (P,) step of the rupture or −1
    observed_until: np.ndarray  # (P,) last step with a known status
    rupture_day: np.ndarray  # (P,) day of the rupture, nan when none
    observed_day: np.ndarray  # (P,) last day with a known status
    pair_ids: tuple[str, ...] = ()

    @classmethod
    def from_steps(
        cls,
        events: EventArrays,
        n_pairs: int,
        half_lives: np.ndarray,
        grid: Grid,
        ruptured_at: np.ndarray,
        observed_until: np.ndarray,
        entered_at: np.ndarray | None = None,
    ) -> History:
        """A history known by steps only (a simulated world): a rupture happens on the last
        day of its step, and a pair is observed to the last day of its last step."""
        ruptured_at = np.asarray(ruptured_at)
        ends = grid.start_day + (np.asarray(observed_until) + 1) * grid.step_days
        return cls(
            events=events,
            n_pairs=n_pairs,
            half_lives=np.asarray(half_lives, dtype=np.float64),
            grid=grid,
            entered_at=np.zeros(n_pairs, np.int64) if entered_at is None else entered_at,
            ruptured_at=ruptured_at,
            observed_until=np.asarray(observed_until),
            rupture_day=np.where(ruptured_at >= 0, ends, np.nan),
            observed_day=ends,
            pair_ids=tuple(f"pair-{p}" for p in range(n_pairs)),
        )

    def training_data(self, origin: int) -> TrainingData:
        """The rows a fit at `origin` may use: events known by its last day, ruptures by
        then, and every pair still together known to be so at the origin."""
        day = self.grid.day_of(origin)
        known = self.events.known_by(day)
        grid = Grid(self.grid.start_day, self.grid.step_days, origin + 1)
        ruptured = np.where(self.rupture_day <= day, self.ruptured_at, -1)
        until = np.where(ruptured >= 0, ruptured, np.minimum(self.observed_until, origin))
        ev = evidence(known, self.n_pairs, self.half_lives, grid)
        return build_training_data(ev, until, ruptured, self.entered_at)

    def state_at(self, day: float) -> tuple[np.ndarray, ...]:
        """(evidence, graded pace, open states, event pace), each (P, K), from what was
        known on `day`: what a forecast on that day reads."""
        known = self.events.known_by(day)
        n, k, hl = self.n_pairs, len(self.half_lives), self.half_lives
        return (
            evidence_at(known, n, hl, day),
            arrival_rates(known, n, k, day),
            held_at(known, n, k, day),
            arrival_counts(known, n, k, day),
        )

    def horizon_draws(
        self,
        origin: int,
        post: Posterior,
        pairs: np.ndarray,
        horizon_days: int,
        state: tuple[np.ndarray, ...] | None = None,
    ) -> np.ndarray:
        """(D, len(pairs)) draws of P(rupture within the horizon) at `origin` from `post`;
        `state` is `state_at` the origin's day when the caller has it already."""
        now, rate, held, count = state or self.state_at(self.grid.day_of(origin))
        step, hl = self.grid.step_days, self.half_lives
        out = np.empty((post.alpha.shape[0], len(pairs)))
        for j, p in enumerate(pairs):
            out[:, j] = horizon_draws(
                post.alpha[:, p],
                post.beta,
                now[p],
                hl,
                [horizon_days],
                step,
                rate[p],
                held[p],
                count[p],
            )[:, 0]
        return out

    def scorable(self, origin: int, horizon_days: float) -> tuple[np.ndarray, np.ndarray]:
        """(pairs in the risk set at `origin` whose outcome over the horizon is known, their
        outcomes: 1 when the rupture falls within (origin, origin + horizon] in days).

        A window that runs past the end of the record is not scored for anyone: keeping
        the pairs that ruptured early in it while dropping those still together would
        count ruptures and not their absence."""
        day = self.grid.day_of(origin)
        end = day + horizon_days
        record_end = float(np.nanmax(self.observed_day)) if self.n_pairs else -np.inf
        with np.errstate(invalid="ignore"):
            alive = ~(self.rupture_day <= day)
            settled = ((self.rupture_day <= end) & (end <= record_end)) | (self.observed_day >= end)
            pairs = np.nonzero((self.entered_at <= origin) & alive & settled)[0]
            outcome = (self.rupture_day[pairs] > day) & (self.rupture_day[pairs] <= end)
        return pairs, outcome.astype(np.int64)


@dataclass(frozen=True)
class ScoredForecast:
    """One pair at one origin: the four forecasts of P(rupture within the horizon)."""

    pair: str
    origin_day: float
    horizon_days: int
    p_model: float
    lower: float
    upper: float
    p_priors_only: float
    p_baseline: float
    p_base_rate: float
    outcome: int


@dataclass(frozen=True)
class OriginReport:
    """What happened at one origin: the fit, its diagnostics and the count it forecast."""

    origin_day: float
    n_rows: int
    n_ruptures_known: int
    sampler: str
    passed: bool
    reason: str
    forecast_from: str  # "this origin's fit", "an earlier fit" or "priors"
    seconds: float
    n_scored: int
    n_ruptured: int
    count_lower: float
    count_upper: float
    pareto_k: float | None = None  # a Laplace fit's importance-weight tail (below 0.7: good)


@dataclass
class BacktestResult:
    horizon_days: int
    rows: list[ScoredForecast] = field(default_factory=list)
    origins: list[OriginReport] = field(default_factory=list)

    def column(self, name: str) -> np.ndarray:
        return np.array([getattr(r, name) for r in self.rows])

    def probabilities(self, reference: str) -> np.ndarray:
        return self.column(f"p_{reference}")

    def metrics(self, reps: int = 1000) -> dict[str, object]:
        """Every reference's scores on the same rows, with pair-bootstrap 90% intervals.

        Raises NoDataError when nothing was scored. With no rupture among the scored rows
        the skill scores and AUC are undefined: the result says so instead of a number.
        """
        y = self.column("outcome").astype(np.int64)
        n = len(y)
        if n == 0:
            raise NoDataError("the backtest scored no forecast: no pair was in the risk set")
        pairs = self.column("pair")
        failed = sum(1 for o in self.origins if not o.passed)
        out: dict[str, object] = {
            "horizon_days": self.horizon_days,
            "n_forecasts": n,
            "n_positive": int(y.sum()),
            "n_pairs": len(set(pairs.tolist())),
            "n_ruptured_pairs": len(set(pairs[y == 1].tolist())),
            "n_origins": len(self.origins),
            "origins_failed": failed,
            "coverage": self.coverage(),
        }
        if y.sum() == 0:
            out["undefined"] = (
                "no rupture falls in any scored window: Brier skill, AUC and log-score "
                "comparisons are undefined (every forecast is scored against 'no rupture')"
            )
            return out
        base = self.probabilities("base_rate")
        models: dict[str, dict[str, object]] = {}
        for ref in REFERENCES:
            p = self.probabilities(ref)
            models[ref] = _scores(p, base, y, pairs, reps)
        p_model = self.probabilities("model")
        for ref in ("priors_only", "baseline"):
            p_ref = self.probabilities(ref)

            def skill(i: np.ndarray, p_ref: np.ndarray = p_ref) -> float:
                return scoring.brier_skill(p_model[i], p_ref[i], y[i])

            models["model"][f"bss_vs_{ref}"] = scoring.brier_skill(p_model, p_ref, y)
            models["model"][f"bss_vs_{ref}_ci"] = scoring.bootstrap(skill, n, reps, groups=pairs)
        out["models"] = models
        out["verdict"] = _verdict(models)
        out["reliability_bins"] = scoring.reliability_bins(p_model, y)
        return out

    def coverage(self) -> dict[str, object]:
        """How often the observed number of ruptures at an origin fell inside the model's
        90% predictive interval for it (origins with at least one scored pair). Windows of
        consecutive origins overlap, so the binomial interval is on the optimistic side."""
        scored = [o for o in self.origins if o.n_scored > 0]
        inside = sum(1 for o in scored if o.count_lower <= o.n_ruptured <= o.count_upper)
        lo, hi = scoring.proportion_interval(inside, len(scored))
        return {
            "origins": len(scored),
            "inside": inside,
            "share": inside / len(scored) if scored else float("nan"),
            "share_ci": (lo, hi),
            "nominal": 0.9,
        }

    def reliability(self, path: Path) -> Path:
        return scoring.reliability_diagram(
            self.probabilities("model"),
            self.column("outcome"),
            path,
            title=f"Reliability, P(rupture within {self.horizon_days} d)",
        )

    def write(self, out_dir: Path, metrics: dict[str, object] | None = None) -> list[Path]:
        """forecasts.csv (every scored row, every reference), origins.csv (every fit's
        diagnostics), metrics.json and, when a rupture was scored, reliability.png."""
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, rows in (("forecasts.csv", self.rows), ("origins.csv", self.origins)):
            path = out_dir / name
            with path.open("w", newline="") as f:
                items = [asdict(r) for r in rows]
                fields = list(items[0]) if items else []
                writer = csv.DictWriter(f, fieldnames=fields)
                writer.writeheader()
                writer.writerows(items)
            written.append(path)
        metrics = metrics if metrics is not None else self.metrics()
        path = out_dir / "metrics.json"
        path.write_text(json.dumps(metrics, indent=2, default=json_default))
        written.append(path)
        if self.rows and self.column("outcome").sum() > 0:
            written.append(self.reliability(out_dir / "reliability.png"))
        return written


def plain(value: object) -> object:
    """Metrics as plain JSON values: tuples as lists, NumPy scalars as numbers, and NaN or
    infinity as null (PostgreSQL's JSON refuses them)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _scores(
    p: np.ndarray, base: np.ndarray, y: np.ndarray, pairs: np.ndarray, reps: int
) -> dict[str, object]:
    n = len(y)
    return {
        "mean_forecast": float(p.mean()),
        "brier": scoring.brier(p, y),
        "brier_ci": scoring.bootstrap(lambda i: scoring.brier(p[i], y[i]), n, reps, groups=pairs),
        "log_score": scoring.log_score(p, y),
        "auc": scoring.auc(p, y),
        "auc_ci": scoring.bootstrap(lambda i: scoring.auc(p[i], y[i]), n, reps, groups=pairs),
        "bss_base_rate": scoring.brier_skill(p, base, y),
        "bss_base_rate_ci": scoring.bootstrap(
            lambda i: scoring.brier_skill(p[i], base[i], y[i]), n, reps, groups=pairs
        ),
        **scoring.brier_decomposition(p, y),
    }


def _verdict(models: dict[str, dict[str, object]]) -> str:
    """One plain sentence on whether fitting earned its keep."""
    skill = models["model"]["bss_vs_priors_only"]
    interval: tuple[float, float] = models["model"]["bss_vs_priors_only_ci"]  # type: ignore[assignment]
    lo, hi = interval
    if not isinstance(skill, float) or not math.isfinite(skill):
        return "The fitted model and its priors cannot be compared on these rows."
    if hi < 0:
        return (
            "The fitted model LOSES to its own priors-only version on these rows "
            f"(Brier skill {skill:+.3f}, 90% CI {lo:+.3f} to {hi:+.3f}): the fit hurts."
        )
    if lo > 0:
        return (
            "The fitted model beats its own priors-only version "
            f"(Brier skill {skill:+.3f}, 90% CI {lo:+.3f} to {hi:+.3f})."
        )
    word = "ahead of" if skill > 0 else "behind"
    return (
        f"The fitted model is {word} its priors-only version (Brier skill {skill:+.3f}), "
        f"but the 90% interval ({lo:+.3f} to {hi:+.3f}) includes no difference."
    )


@dataclass(frozen=True)
class _OriginFit:
    origin: int
    posterior: Posterior | None
    passed: bool
    reason: str
    baseline: LogisticBaseline | None
    weekly_rate: float
    n_rows: int
    n_ruptures: int


def _fit_origin(origin: int, history: History, fitter: Fitter) -> _OriginFit:
    data = history.training_data(origin)
    if len(data.y) == 0:
        return _OriginFit(origin, None, False, "no pair at risk yet", None, 0.0, 0, 0)
    post = fitter(data, origin)
    ok, reason = post.passes()
    baseline = LogisticBaseline().fit(data.x, data.y)
    return _OriginFit(
        origin, post, ok, reason, baseline, float(data.y.mean()), len(data.y), int(data.y.sum())
    )


def rolling_origin(
    history: History,
    priors: Priors,
    origins: Sequence[int],
    horizon_days: int,
    fitter: Fitter,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> BacktestResult:
    """Origins are step indices; at each, use data known by the end of that step only.

    Fits run in `workers` processes (each origin is independent); forecasts and scores
    follow in origin order, so a failed fit falls back to the last published one.
    """
    origins = sorted(origins)
    fits: dict[int, _OriginFit] = {}
    task = partial(_fit_origin, history=history, fitter=fitter)
    if workers > 1 and len(origins) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            for fitted in pool.map(task, origins):
                fits[fitted.origin] = fitted
                if progress:
                    progress(len(fits), len(origins))
    else:
        for origin in origins:
            fits[origin] = task(origin)
            if progress:
                progress(len(fits), len(origins))
    result = BacktestResult(horizon_days)
    prior = prior_draws(priors, history.n_pairs, PRIOR_DRAWS, seed=0)
    published: Posterior | None = None
    for origin in origins:
        fitted = fits[origin]
        if fitted.passed and fitted.posterior is not None:
            published, source = fitted.posterior, "this origin's fit"
        else:
            source = "an earlier fit" if published is not None else "priors"
        _score_origin(
            history, origin, horizon_days, fitted, published or prior, prior, source, result
        )
    return result


def _score_origin(
    history: History,
    origin: int,
    horizon_days: int,
    fitted: _OriginFit,
    post: Posterior,
    prior: Posterior,
    source: str,
    result: BacktestResult,
) -> None:
    day = history.grid.day_of(origin)
    step = history.grid.step_days
    state = history.state_at(day)  # read once: the four forecasts below share it
    now, rate, held, _ = state
    pairs, outcomes = history.scorable(origin, horizon_days)
    p_base = np.zeros(len(pairs))
    if fitted.baseline is not None and len(pairs):
        p_base = fitted.baseline.horizon_probability(
            now[pairs], history.half_lives, horizon_days, step, rate[pairs], held[pairs]
        )
    base_rate = 1 - (1 - fitted.weekly_rate) ** (horizon_days / step)
    draws = history.horizon_draws(origin, post, pairs, horizon_days, state)  # (D, n)
    p_prior = history.horizon_draws(origin, prior, pairs, horizon_days, state).mean(axis=0)
    lower, upper = np.quantile(draws, [0.05, 0.95], axis=0) if len(pairs) else ([], [])
    for j, p in enumerate(pairs):
        result.rows.append(
            ScoredForecast(
                pair=history.pair_ids[p] if history.pair_ids else str(p),
                origin_day=float(day),
                horizon_days=horizon_days,
                p_model=float(draws[:, j].mean()),
                lower=float(lower[j]),
                upper=float(upper[j]),
                p_priors_only=float(p_prior[j]),
                p_baseline=float(p_base[j]),
                p_base_rate=float(base_rate),
                outcome=int(outcomes[j]),
            )
        )
    count_lo = count_hi = 0.0
    if len(pairs):  # the predictive distribution of the number of ruptures at this origin
        rng = np.random.default_rng(origin)
        counts = (rng.uniform(size=draws.shape) < draws).sum(axis=1)
        count_lo, count_hi = (float(q) for q in np.quantile(counts, [0.05, 0.95]))
    diag = fitted.posterior.diagnostics if fitted.posterior is not None else None
    result.origins.append(
        OriginReport(
            origin_day=float(day),
            n_rows=fitted.n_rows,
            n_ruptures_known=fitted.n_ruptures,
            sampler=diag.sampler if diag else "none",
            passed=fitted.passed,
            reason=fitted.reason,
            forecast_from=source,
            seconds=diag.seconds if diag else 0.0,
            n_scored=len(pairs),
            n_ruptured=int(outcomes.sum()),
            count_lower=count_lo,
            count_upper=count_hi,
            pareto_k=diag.pareto_k if diag else None,
        )
    )
