"""Rolling-origin backtests: at each origin, fit only on what was known then, forecast
every pair still at risk, and score against what happened next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models import scoring
from models.baseline import LogisticBaseline
from models.features import EventArrays, Grid, arrival_rates, evidence, evidence_at
from models.forecast import horizon_draws
from models.hazard import FitConfig, NoDataError, Priors, build_training_data, fit

QUICK = FitConfig(draws=300, tune=300, chains=2, thin_to=400)


@dataclass(frozen=True)
class History:
    """A world's events and outcomes on a weekly grid (days since the grid start)."""

    events: EventArrays  # with `recorded` days when known late; else known when they occur
    n_pairs: int
    half_lives: np.ndarray
    grid: Grid
    ruptured_at: np.ndarray  # (P,) step of the rupture or −1
    observed_until: np.ndarray  # (P,) last step with a known status


@dataclass
class BacktestResult:
    horizon_days: int
    origins: list[float] = field(default_factory=list)
    p_model: list[float] = field(default_factory=list)
    p_baseline: list[float] = field(default_factory=list)
    base_rate: list[float] = field(default_factory=list)
    outcome: list[int] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.array(self.p_model),
            np.array(self.p_baseline),
            np.array(self.base_rate),
            np.array(self.outcome, dtype=np.int64),
        )

    def metrics(self, reps: int = 1000) -> dict[str, object]:
        p, b, r, y = self.arrays()
        n = len(y)
        if n == 0:
            raise NoDataError("the backtest made no forecast: no pair was at risk")

        def on(f):  # type: ignore[no-untyped-def]
            return lambda idx: f(idx)

        out: dict[str, object] = {
            "brier": scoring.brier(p, y),
            "log_score": scoring.log_score(p, y),
            "bss_base_rate": scoring.brier_skill(p, r, y),
            "bss_baseline": scoring.brier_skill(p, b, y),
            "auc": scoring.auc(p, y),
            "n_forecasts": n,
            "n_positive": int(y.sum()),
            "brier_baseline": scoring.brier(b, y),
            "brier_base_rate": scoring.brier(r, y),
        }
        out["brier_ci"] = scoring.bootstrap(on(lambda i: scoring.brier(p[i], y[i])), n, reps)
        out["brier_baseline_ci"] = scoring.bootstrap(
            on(lambda i: scoring.brier(b[i], y[i])), n, reps
        )
        out["bss_base_rate_ci"] = scoring.bootstrap(
            on(lambda i: scoring.brier_skill(p[i], r[i], y[i])), n, reps
        )
        out["bss_baseline_ci"] = scoring.bootstrap(
            on(lambda i: scoring.brier_skill(p[i], b[i], y[i])), n, reps
        )
        return out

    def reliability(self, path: Path) -> Path:
        p, _, _, y = self.arrays()
        return scoring.reliability_diagram(
            p, y, path, title=f"Reliability, P(rupture within {self.horizon_days} d)"
        )


def rolling_origin(
    history: History,
    priors: Priors,
    origins: Sequence[int],
    horizon_days: int,
    config: FitConfig = QUICK,
) -> BacktestResult:
    """Origins are step indices; at each, use data known by the end of that step only."""
    result = BacktestResult(horizon_days)
    step = history.grid.step_days
    horizon_steps = int(np.ceil(horizon_days / step))
    for origin in origins:
        day = history.grid.day_of(origin)
        known = history.events.known_by(day)
        grid = Grid(history.grid.start_day, step, origin + 1)
        ruptured = np.where(
            (history.ruptured_at >= 0) & (history.ruptured_at <= origin), history.ruptured_at, -1
        )
        until = np.minimum(history.observed_until, origin)
        until = np.where(ruptured >= 0, ruptured, until)
        ev = evidence(known, history.n_pairs, history.half_lives, grid)
        data = build_training_data(ev, until, ruptured)
        if len(data.y) == 0:
            continue  # no pair-step with a known outcome yet
        post = fit(data, priors, config)
        baseline = LogisticBaseline().fit(data.x, data.y)
        weekly = float(data.y.mean())
        now = evidence_at(known, history.n_pairs, history.half_lives, day)
        rates = arrival_rates(known, history.n_pairs, len(history.half_lives), day)
        at_risk = np.nonzero(
            (ruptured < 0) & (history.observed_until >= origin + horizon_steps)
            | (history.ruptured_at > origin)
        )[0]
        if len(at_risk) == 0:
            continue
        p_base = baseline.horizon_probability(
            now[at_risk], history.half_lives, horizon_days, step, rates[at_risk]
        )
        for j, p in enumerate(at_risk):
            draws = horizon_draws(
                post.alpha[:, p],
                post.beta,
                now[p],
                history.half_lives,
                [horizon_days],
                step,
                rates[p],
            )
            rupture = history.ruptured_at[p]
            result.origins.append(float(origin))
            result.p_model.append(float(draws.mean()))
            result.p_baseline.append(float(p_base[j]))
            result.base_rate.append(1 - (1 - weekly) ** (horizon_days / step))
            result.outcome.append(int(origin < rupture <= origin + horizon_steps))
    return result
