"""Exchange rates: the scenario's currency per US dollar, for converting the catalogs' USD prices.

The catalogs (API prices, GPU rent and purchase prices) and the money defaults are in US dollars.
A scenario in another currency has them converted at one fixed rate: its own
``usd_per_currency_unit`` when given (cited by its trailing comment), else the European Central
Bank's euro reference rates in ``tco/data/fx_rates.csv`` (units of each currency per euro, as the
ECB publishes them, with the fixing date). A pair not involving the euro is the ECB's cross rate:
units of X per USD = (X per EUR) / (USD per EUR). Amounts written in the scenario are already in
its currency and are never converted.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from tco.catalog import DATA_DIR
from tco.errors import ScenarioError

BASE = "USD"
"""The currency of the catalogs and of every money default."""


@dataclass(frozen=True)
class Rate:
    """Units of the scenario's currency that one US dollar buys, and where that came from."""

    currency: str
    per_usd: float
    source: str
    as_of: str | None

    def text(self) -> str:
        """'0.850268 EUR per USD (ECB ..., 2026-05-08)': the conversion as the assumptions show it."""
        dated = f", {self.as_of}" if self.as_of else ""
        return f"{self.per_usd:.6g} {self.currency} per USD ({self.source}{dated})"


@cache
def _per_eur() -> dict[str, tuple[float, str, str]]:
    """Units of each currency per euro: {code: (rate, as_of, source)}, the euro itself 1."""
    with (DATA_DIR / "fx_rates.csv").open(newline="", encoding="utf-8") as handle:
        rows = {r["currency"]: (float(r["units_per_eur"]), r["as_of"], r["source"])
                for r in csv.DictReader(handle)}
    usd = rows[BASE]
    rows["EUR"] = (1.0, usd[1], usd[2])
    return rows


def reference(currency: str) -> Rate | None:
    """The ECB reference rate of ``currency`` per US dollar, or None where the table has none."""
    rows = _per_eur()
    if currency not in rows:
        return None
    units_per_eur, as_of, source = rows[currency]
    usd_per_eur = rows[BASE][0]
    if currency == "EUR":
        how = f"ECB reference rate: {usd_per_eur:g} USD per EUR, {source}"
    else:
        how = (f"ECB cross rate via the euro: {units_per_eur:g} {currency} and {usd_per_eur:g} USD "
               f"per EUR, {source}")
    return Rate(currency, units_per_eur / usd_per_eur, how, as_of)


def known() -> tuple[str, ...]:
    """The currencies the reference table converts, sorted."""
    return tuple(sorted(code for code in _per_eur() if code != BASE))


def rate_for(currency: str, usd_per_currency_unit: float | None, cited: str | None) -> Rate | None:
    """The scenario's conversion: its own rate when given, else the reference table's, else None
    (then only amounts of 0 may come from the USD catalogs; see ``Converter``)."""
    if currency == BASE:
        return Rate(BASE, 1.0, "no conversion", None)
    if usd_per_currency_unit is not None:
        return Rate(currency, 1.0 / usd_per_currency_unit, cited or "scenario file", None)
    return reference(currency)


class Converter:
    """Converts USD amounts from the catalogs and defaults into the scenario's currency, refusing
    a non-zero one when no rate is known: a scenario would otherwise add dollars to its own money."""

    def __init__(self, currency: str, rate: Rate | None) -> None:
        self.currency, self.rate = currency, rate
        self.used = False

    def __call__(self, usd: float, what: str) -> float:
        if self.currency == BASE or usd == 0.0:
            return usd
        if self.rate is None:
            raise ScenarioError("currency", f"{self.currency} has no reference rate to convert "
                                f"{what} (a USD catalog price or default); give "
                                "usd_per_currency_unit with its source, or the price in "
                                f"{self.currency} (the table has {', '.join(known())})")
        self.used = True
        return usd * self.rate.per_usd

    def note(self) -> str:
        """The source suffix of a converted amount."""
        return "" if self.currency == BASE or self.rate is None else \
            f"; converted at {self.rate.text()}"
