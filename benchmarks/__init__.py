"""Benchmarks: they print figures and ratios; they never assert times."""
