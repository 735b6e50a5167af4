"""Model budgets: one pair's forecast, features for 1,000 events, and refit scaling."""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import table
from models.features import EventArrays, Grid, evidence
from models.forecast import forecast_pair
from models.hazard import FitConfig, fit
from models.priors import activity_half_life, half_lives, priors_from, type_recipe
from models.simulate import TrueParams, simulate
from signals.taxonomy import load_taxonomy


def _median_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def run() -> str:
    taxonomy = load_taxonomy()
    priors = priors_from(taxonomy)
    hl = half_lives(taxonomy)
    k = len(hl)
    rng = np.random.default_rng(0)
    alpha, beta = rng.normal(-6, 0.5, 1000), rng.normal(priors.beta_mu, priors.beta_sd, (1000, k))
    ev, rate = rng.uniform(0, 1, k), rng.uniform(0, 0.01, k)
    count = rate / 0.4  # every type active: the most arrival paths a forecast draws
    forecast_ms = _median_ms(
        lambda: forecast_pair(alpha, beta, ev, hl, [30, 90, 180, 365], 7.0, rate, None, count),
        500,
    )
    events = EventArrays(
        np.zeros(1000, np.int64),
        rng.integers(0, k, 1000),
        rng.uniform(0, 1820, 1000),
        rng.uniform(0.1, 1, 1000),
    )
    features_ms = _median_ms(lambda: evidence(events, 1, hl, Grid(-1.0, 7.0, 260)), 200)
    rows: list[list[object]] = [
        [
            f"forecast, 1 pair, 4 horizons, 1,000 draws, arrivals drawn in all {k} columns",
            f"{forecast_ms:.2f} ms",
            "< 2 ms",
        ],
        ["features, 1 pair, 1,000 events × 260 weeks", f"{features_ms:.2f} ms", "< 5 ms"],
    ]
    type_priors = type_recipe(taxonomy)
    scaling = []
    for n_pairs in (10, 25, 50):
        params = TrueParams(-7.0, 0.3, -7.0 + 0.3 * rng.standard_normal(n_pairs), priors.beta_mu)
        world = simulate(
            n_pairs,
            260,
            1,
            type_priors,
            rate_per_year=1.0,
            params=params,
            activity_half_life=activity_half_life(taxonomy),
        )
        data = world.training_data()
        for sampler in ("pymc", "nutpie"):
            t0 = time.perf_counter()
            post = fit(data, priors, FitConfig(sampler=sampler))  # the defaults
            seconds = time.perf_counter() - t0
            ok, _ = post.passes()
            scaling.append(
                [
                    f"{n_pairs} pairs × 260 weeks ({len(data.y):,} pair-weeks)",
                    sampler,
                    f"{seconds:.1f} s",
                    "yes" if ok else "no",
                ]
            )
    out = table("Model budgets (median of repeated runs)", ["measure", "figure", "budget"], rows)
    out += table(
        "Full refit, default taxonomy (12 types), 2 chains × 2,000 draws + 1,000 tune, "
        "compile included; budget < 60 s at 50 pairs",
        ["size", "sampler", "seconds", "diagnostics pass"],
        scaling,
    )
    return out


if __name__ == "__main__":
    print(run())
