"""The Bayesian rift model: features, PyMC hazard fit, fast forecasts, evaluation.

The mathematics works on NumPy arrays and dataclasses; `models/data.py` is the one module
that turns stored events into those arrays, and `models/runs.py` stores fitted runs.
"""
