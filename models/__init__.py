"""The Bayesian rift model: features, PyMC hazard fit, fast forecasts, evaluation.

Pure mathematics on NumPy arrays and dataclasses, with no database library (an
import-linter contract holds it): `service/forecasting/` reads the log into these arrays,
stores the runs (`signals/runs.py`) and serves the forecasts.
"""
