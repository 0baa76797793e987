"""Numbers formatted for people: $1.2M, 38%, 1.4k."""

from __future__ import annotations

import math


def compact(x: float, digits: int = 2) -> str:
    """1234567 -> '1.23M'; keeps three significant figures for magnitudes from thousands up."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    sign = "-" if x < 0 else ""
    x = abs(x)
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= scale:
            value = x / scale
            text = f"{value:.{digits if value < 10 else 1 if value < 100 else 0}f}"
            return f"{sign}{text}{unit}"
    return f"{sign}{x:.0f}" if x >= 10 else f"{sign}{x:.{digits}f}".rstrip("0").rstrip(".") or "0"


def usd(x: float, digits: int = 2) -> str:
    """Money: '$1.23M', '-$40.5k', '$0.85'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    text = compact(x, digits)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def usd_per_mtok(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"${x:.2f}/Mtok"


def pct(x: float, digits: int = 0) -> str:
    """A fraction as a percentage: 0.384 -> '38%'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def quantity(x: float, unit: str) -> str:
    """A value with its unit as a reader says it: '$2.10 per GPU-hour', '3.0% per month',
    '20M requests per month', '1.15x'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if unit.startswith("$"):
        money = usd(x) if abs(x) >= 1000 else f"{'-' if x < 0 else ''}${abs(x):,.2f}"
        return money + unit[1:]
    if unit.startswith(("fraction", "probability")):
        rest = unit.partition(" per ")[2]
        return pct(x, 1) + (f" per {rest}" if rest else "")
    if unit == "multiplier":
        return f"{x:.3g}x"
    number = compact(x) if abs(x) >= 1e4 else f"{x:,.3g}"
    return f"{number} {unit}".strip()
