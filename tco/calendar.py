"""Calendar months: month t of a run is the scenario's ``start`` month plus t.

Costs are monthly; a date inside a month acts for that whole month (a price change announced for
the 15th is in force for the month). Fiscal years are named by the calendar year they end in, as
most companies do: with ``fiscal_year_start_month: 7`` the months July 2026 to June 2027 are FY2027.
"""

from __future__ import annotations

import datetime as dt

import tco.prices as prices
from tco.units import MONTHS_PER_YEAR


def parse(start: str) -> tuple[int, int]:
    """Year and month of a 'YYYY-MM' string (validated by the schema)."""
    year, month = start.split("-")
    return int(year), int(month)


def default_start() -> str:
    """The month after the price snapshot's newest dated price: the first month its prices cover."""
    as_of = dt.date.fromisoformat(prices.snapshot_as_of())
    return shift(f"{as_of.year:04d}-{as_of.month:02d}", 1)


def shift(start: str, months: int) -> str:
    """The month ``months`` after ``start``, as 'YYYY-MM'."""
    year, month = parse(start)
    index = year * MONTHS_PER_YEAR + (month - 1) + months
    return f"{index // MONTHS_PER_YEAR:04d}-{index % MONTHS_PER_YEAR + 1:02d}"


def labels(start: str, months: int) -> list[str]:
    """'YYYY-MM' of months 0 .. months - 1."""
    return [shift(start, t) for t in range(months)]


def readable(start: str, t: int) -> str:
    """Month t as a reader writes it: 'Dec 2026'."""
    return first_day(start, t).strftime("%b %Y")


def month_of(start: str, day: dt.date) -> int:
    """The run month (possibly negative or past the horizon) that contains ``day``."""
    year, month = parse(start)
    return (day.year - year) * MONTHS_PER_YEAR + (day.month - month)


def first_day(start: str, t: int) -> dt.date:
    year, month = parse(shift(start, t))
    return dt.date(year, month, 1)


def fiscal_year(start: str, t: int, fiscal_year_start_month: int = 1) -> str:
    """The fiscal year of month t, named by the calendar year it ends in ('FY2027')."""
    year, month = parse(shift(start, t))
    ends_in = year + (1 if fiscal_year_start_month > 1 and month >= fiscal_year_start_month else 0)
    return f"FY{ends_in}"
