"""The quantile levels each document reports, defined once (fractions, not percents).

Each set has its own purpose, so each has its own name: a case's figures, the
calibration's ratio table, and a driver's placed values.
"""

from __future__ import annotations

CASE_QUANTILES = (0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95)  # a business case's figures
CALIBRATION_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95)  # ratio actual ÷ estimate
DRIVER_QUANTILES = (0.1, 0.5, 0.9)  # where a realised driver value lands in its range
