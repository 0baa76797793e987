"""Unit conversions used by the cost model, in one place.

Every formula in ``tco`` converts through these names rather than bare numbers, so a reader can
check the arithmetic against DESIGN.md symbol by symbol.
"""

from __future__ import annotations

import numpy as np

HOURS_PER_MONTH = 730.0
"""Hours in an average month (8,760 h / 12), the convention cloud providers bill by."""

MONTHS_PER_YEAR = 12
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * SECONDS_PER_HOUR
TOKENS_PER_MTOK = 1_000_000.0
BYTES_PER_GB = 1e9
FLOPS_PER_TFLOPS = 1e12
BYTES_PER_TB = 1e12
PARAMS_PER_BILLION = 1e9
MS_PER_S = 1000.0
US_PER_S = 1e6


def kept_share(discount: np.ndarray | float) -> np.ndarray | float:
    """Return the share of a price a discount leaves to pay, 1 - discount (any shape)."""
    return 1.0 - discount


def monthly_probability(annual_probability: np.ndarray | float) -> np.ndarray | float:
    """Return the monthly firing probability q = 1 - (1 - p)^(1/12) of an annual probability p."""
    return 1.0 - np.power(1.0 - np.asarray(annual_probability, dtype=float), 1.0 / MONTHS_PER_YEAR)


def monthly_log_drift(trend_per_year: np.ndarray | float) -> np.ndarray | float:
    """Return the monthly log step ln(1 + trend) / 12 of an annual price trend."""
    return np.log1p(np.asarray(trend_per_year, dtype=float)) / MONTHS_PER_YEAR


def monthly_volatility(volatility_per_year: np.ndarray | float) -> np.ndarray | float:
    """Return sigma / sqrt(12), the monthly standard deviation of log price moves."""
    return np.asarray(volatility_per_year, dtype=float) / np.sqrt(MONTHS_PER_YEAR)


def discount_factors(discount_rate_per_year: np.ndarray | float, horizon_months: int) -> np.ndarray:
    """Return (1 + r)^-((t + 1) / 12) for t = 0 .. horizon_months - 1.

    Parameters
    ----------
    discount_rate_per_year
        Scalar or shape ``(paths,)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(horizon_months,)`` for a scalar rate, ``(paths, horizon_months)`` for an array.
    """
    rate = np.asarray(discount_rate_per_year, dtype=float)
    months = np.arange(1, horizon_months + 1, dtype=float) / MONTHS_PER_YEAR
    return np.power(1.0 + rate[..., None], -months)
