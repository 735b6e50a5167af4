"""Proper scores for probability forecasts, with bootstrap intervals, and the reliability
diagram. Metrics come from scikit-learn where it has them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score

EPS = 1e-6


def brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(brier_score_loss(y, p))


def log_score(p: np.ndarray, y: np.ndarray) -> float:
    """Mean log-likelihood of the outcomes (higher is better; 0 is perfect)."""
    p = np.clip(p, EPS, 1 - EPS)
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier_skill(p: np.ndarray, reference: np.ndarray, y: np.ndarray) -> float:
    """1 − Brier(p) / Brier(reference): > 0 when p beats the reference."""
    ref = brier(reference, y)
    return float(1.0 - brier(p, y) / ref) if ref > 0 else float("nan")


def auc(p: np.ndarray, y: np.ndarray) -> float | None:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None


def bootstrap(
    metric: Callable[[np.ndarray], float | None],
    n: int,
    reps: int = 1000,
    seed: int = 0,
    groups: np.ndarray | None = None,
) -> tuple[float, float]:
    """90% percentile interval of `metric(indices)` over resamples of the forecasts.

    With `groups` (a label per forecast, e.g. its pair), whole groups are resampled: the
    forecasts of one pair at consecutive origins share one rupture and are not independent.
    """
    rng = np.random.default_rng(seed)
    members: list[np.ndarray] = []
    if groups is not None:
        _, inverse = np.unique(np.asarray(groups), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        members = np.split(order, np.cumsum(np.bincount(inverse))[:-1])
    values = []
    for _ in range(reps):
        if groups is None:
            idx = rng.integers(0, n, n)
        else:
            idx = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        value = metric(idx)
        if value is not None and np.isfinite(value):
            values.append(value)
    if not values:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(values, [0.05, 0.95])
    return (float(lo), float(hi))


def brier_decomposition(p: np.ndarray, y: np.ndarray, bins: int = 10) -> dict[str, float]:
    """Murphy's decomposition over quantile bins of the forecast: Brier ≈ reliability −
    resolution + uncertainty. Reliability is the calibration error (lower is better),
    resolution how far the bins' outcomes spread from the base rate (higher is better)."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    base = float(y.mean())
    rel = res = 0.0
    for b in np.unique(which):
        m = which == b
        share = m.mean()
        rel += share * float((p[m].mean() - y[m].mean()) ** 2)
        res += share * float((y[m].mean() - base) ** 2)
    return {"reliability": rel, "resolution": res, "uncertainty": base * (1 - base)}


def reliability_bins(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The reliability diagram's points: per quantile bin of the forecast, its mean, the
    observed frequency and the number of forecasts (for a chart or a table)."""
    p, y = np.asarray(p, dtype=np.float64), np.asarray(y, dtype=np.float64)
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    return [
        {
            "forecast": float(p[which == b].mean()),
            "observed": float(y[which == b].mean()),
            "n": int((which == b).sum()),
        }
        for b in np.unique(which)
    ]


def proportion_interval(hits: int, n: int, level: float = 0.9) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval of a proportion."""
    from scipy.stats import binomtest

    if n == 0:
        return (float("nan"), float("nan"))
    ci = binomtest(hits, n).proportion_ci(confidence_level=level, method="exact")
    return (float(ci.low), float(ci.high))


def reliability_diagram(
    p: np.ndarray, y: np.ndarray, path: Path, title: str = "Reliability", bins: int = 10
) -> Path:
    """Observed frequency against forecast probability, written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    fig, (ax, hist) = plt.subplots(
        2, 1, figsize=(5, 6), gridspec_kw={"height_ratios": [3, 1]}, sharex=True
    )
    ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", label="perfectly calibrated")
    ax.plot(predicted, observed, marker="o", color="#1f5aa6", label="model")
    ax.set_ylabel("observed frequency")
    ax.set_title(title)
    ax.legend(loc="upper left")
    hist.hist(p, bins=20, range=(0, 1), color="#e07b00")
    hist.set_xlabel("forecast probability")
    hist.set_ylabel("forecasts")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
