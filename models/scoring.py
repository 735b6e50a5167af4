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
    metric: Callable[[np.ndarray], float | None], n: int, reps: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """90% percentile interval of `metric(indices)` over resamples of the forecasts."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(reps):
        value = metric(rng.integers(0, n, n))
        if value is not None and np.isfinite(value):
            values.append(value)
    if not values:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(values, [0.05, 0.95])
    return (float(lo), float(hi))


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
