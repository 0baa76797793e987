"""Prices per token, as APIs and hosted open-weight endpoints bill them: the fields, their
lookup in the genai-prices snapshot, announced price changes, and the cost of one request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from pydantic import Field

import tco.calendar as calendar
import tco.prices as prices
from tco.distributions import nominal
from tco.fields import Model, Share, TokenPrice, TrendRate, Volatility, positive
from tco.options.base import TOKENS
from tco.options.table import OptionInputs, Table
from tco.sections import TREND_HELP, VOLATILITY_HELP
from tco.units import TOKENS_PER_MTOK, kept_share, monthly_log_drift, monthly_volatility

CHECK_AFTER_DAYS = 180
"""A catalog price last checked upstream this long before the scenario's first month is flagged:
vendors reprice within months (DeepSeek twice in September 2025)."""
PRICE_FIELDS = ("input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok")
TIER_PROBE = (0.8, 1.25)
"""A request this much shorter or longer is priced too: a different per-token price means the
representative request sits near a tier threshold, so real requests straddle two prices."""


class TokenPrices(Model):
    """The price fields of an option billed per token."""

    catalog: str | None = Field(
        None, description="'provider/model' in the genai-prices snapshot (python -m tco catalog "
        "prices); supplies every price left out here.")
    input_usd_per_mtok: TokenPrice | None = Field(None, description="List price of a million prompt "
                                                   "tokens; required without catalog.")
    cached_input_usd_per_mtok: TokenPrice | None = Field(
        None, description="Price of a million prompt tokens served from cache.")
    output_usd_per_mtok: TokenPrice | None = Field(None, description="List price of a million "
                                                    "generated tokens; required "
                                                    "without catalog.")
    cache_write_usd_per_mtok: TokenPrice | None = Field(
        None, description="Price of a million prompt tokens written to cache.")
    long_context_input_usd_per_mtok: TokenPrice | None = Field(
        None, description="Input price of a long-context request (its tier).")
    long_context_cached_input_usd_per_mtok: TokenPrice | None = Field(
        None, description="Cached-input price of a long-context request (its tier).")
    long_context_output_usd_per_mtok: TokenPrice | None = Field(
        None, description="Output price of a long-context request (its tier).")
    batch_discount: Share | None = Field(
        None, description="Discount the vendor gives on batchable requests.")
    list_price_discount: Share = Field(
        0.0, description="Negotiated discount off every token price of this option, as an "
        "enterprise contract gives (cite the contract); on top of a commitment's discount, so "
        "give a discount once. Left out, list prices are paid.")
    price_trend_per_year: TrendRate = Field(0.0, description=TREND_HELP)
    price_volatility_per_year: Volatility = Field(0.0, description=VOLATILITY_HELP)


def resolve(table: Table, prefix: str, o: TokenPrices, key: str | None, sc: Any,
            warnings: list[str]) -> None:
    """Add the option's token prices: scenario values first, then the price catalog's entry
    ``key`` ('provider/model'; None: no catalog), then defaults."""
    w = sc.workload
    tokens_in, tokens_out = nominal(w.input_tokens_per_request), nominal(w.output_tokens_per_request)
    price = long = None
    if key is not None:
        price = prices.lookup(key, tokens_in, tokens_out, f"{prefix}.catalog")
        _near_tier(key, price, tokens_in, tokens_out, prefix, warnings)
        if all(getattr(o, f) is None for f in PRICE_FIELDS):
            _unchecked(price, sc.start or calendar.default_start(), prefix, warnings)
        if positive(w.long_context_share):
            long_in = nominal(w.long_context_input_tokens)
            long = prices.lookup(key, long_in, tokens_out, f"{prefix}.catalog")
            _near_tier(key, long, long_in, tokens_out, f"{prefix} (long-context requests)",
                       warnings)
    for field_name in (*PRICE_FIELDS, "batch_discount"):
        value = getattr(o, field_name)
        if value is not None:
            table.add(f"{prefix}.{field_name}", value, o, field_name)
        elif price is not None:
            table.add(f"{prefix}.{field_name}", getattr(price, field_name), o, field_name,
                      f"{price.key}: {price.source}", price.as_of, usd="usd" in field_name)
        elif field_name == "cached_input_usd_per_mtok":
            table.add(f"{prefix}.{field_name}", o.input_usd_per_mtok, o, field_name,  # type: ignore[arg-type]
                      "no cached price given: cached input billed at the input price")
        else:
            table.add(f"{prefix}.{field_name}", 0.0, o, field_name, "default 0: no batch discount")
    if positive(w.cache_write_share):
        if o.cache_write_usd_per_mtok is not None:
            table.add(f"{prefix}.cache_write_usd_per_mtok", o.cache_write_usd_per_mtok, o,
                      "cache_write_usd_per_mtok")
        elif price is not None and price.cache_write_usd_per_mtok is not None:
            table.add(f"{prefix}.cache_write_usd_per_mtok", price.cache_write_usd_per_mtok, o,
                      "cache_write_usd_per_mtok", f"{price.key}: {price.source}", price.as_of,
                      usd=True)
        else:
            table.add(f"{prefix}.cache_write_usd_per_mtok", table.params[f"{prefix}.input_usd_per_mtok"]
                      .value, o, "cache_write_usd_per_mtok",
                      "no cache-write price given: written tokens billed at the input price")
    if positive(w.long_context_share):
        for field_name in PRICE_FIELDS:
            long_name = f"long_context_{field_name}"
            value = getattr(o, long_name)
            if value is not None:
                table.add(f"{prefix}.{long_name}", value, o, long_name)
            elif long is not None and getattr(o, field_name) is None:
                table.add(f"{prefix}.{long_name}", getattr(long, field_name), o, long_name,
                          f"{long.key} at {nominal(w.long_context_input_tokens):,.0f} input tokens: "
                          f"{long.source}", long.as_of, usd=True)
            else:
                table.add(f"{prefix}.{long_name}", table.params[f"{prefix}.{field_name}"].value, o,
                          long_name, "no long-context price given: the standard price applies")
    table.fields(prefix, o, ("list_price_discount", "price_trend_per_year",
                             "price_volatility_per_year"))


def negotiated(params: dict[str, Any]) -> dict[str, float]:
    """The options whose token prices carry a negotiated discount: {option: nominal share}."""
    return {path.split(".")[1]: p.nominal for path, p in params.items()
            if path.startswith("options.") and path.endswith(".list_price_discount")
            and p.nominal > 0.0}


def _unchecked(price: prices.ApiPrice, start: str, prefix: str, warnings: list[str]) -> None:
    """Warn where the catalog's price was last checked more than CHECK_AFTER_DAYS before the
    scenario's first month (its start, or the default start after the snapshot)."""
    if price.checked is None:
        return
    first = dt.date.fromisoformat(f"{start}-01")
    days = (first - dt.date.fromisoformat(price.checked)).days
    if days > CHECK_AFTER_DAYS:
        warnings.append(f"{prefix}.catalog: {price.key}'s prices were last checked upstream on "
                        f"{price.checked}, {days} days before {start}; give the option's prices "
                        "with their source to override them")


def _near_tier(key: str, price: prices.ApiPrice, tokens_in: float, tokens_out: float, where: str,
               warnings: list[str]) -> None:
    for factor in TIER_PROBE:
        other = prices.lookup(key, tokens_in * factor, tokens_out)
        if abs(other.input_usd_per_mtok - price.input_usd_per_mtok) > 1e-9 * price.input_usd_per_mtok:
            warnings.append(f"{where}: {tokens_in:,.0f} input tokens per request is near a price "
                            f"tier threshold of {price.key} (requests {factor:g}x as long pay "
                            f"${other.input_usd_per_mtok:g} instead of ${price.input_usd_per_mtok:g} "
                            "per 1M input tokens); price long requests with long_context_share")
            return


def scheduled(key: str | None, o: TokenPrices, sc: Any, start: str, months: int
              ) -> list[tuple[int, float, str]]:
    """Announced price changes of a catalog option within the horizon: (month, multiplier, date).

    The multiplier is the representative request's cost at the new prices over its cost at the
    snapshot's current prices, so the index carries it; a change on any day of a month acts for
    that month. Scenario-given prices are the user's own, so no scheduled change applies to them.
    """
    if key is None or any(getattr(o, f) is not None for f in PRICE_FIELDS):
        return []
    w = sc.workload
    tokens_in, tokens_out = nominal(w.input_tokens_per_request), nominal(w.output_tokens_per_request)
    now = prices.lookup(key, tokens_in, tokens_out)
    found, previous = [], _request_usd(now, w)
    for day in now.change_dates:
        month = calendar.month_of(start, day)
        if month >= months:
            break
        later = prices.lookup(key, tokens_in, tokens_out,
                              when=dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC))
        cost = _request_usd(later, w)
        if previous > 0 and cost != previous:
            found.append((max(month, 0), cost / previous, day.isoformat()))
        previous = cost
    return found


def _request_usd(price: prices.ApiPrice, w: Any) -> float:
    c, tokens_in = nominal(w.cached_input_share), nominal(w.input_tokens_per_request)
    return (tokens_in * ((1 - c) * price.input_usd_per_mtok + c * price.cached_input_usd_per_mtok)
            + nominal(w.output_tokens_per_request) * price.output_usd_per_mtok)


def fill(rows: Any, j: int, get: OptionInputs, w: dict[str, np.ndarray]) -> None:
    """Write the token-billed fields of row ``j`` of the common record; ``get(field)`` is that input per path.

    Notes
    -----
    Cost of one request at price index 1:
    [in ((1-c-w) P_in + c P_cached + w P_write) + out P_out] / 1e6 x (1 - b d) x (1 - n), with c
    the cached share and w the cache-write share of input tokens, b the batchable share at batch
    discount d and n the negotiated list-price discount; a long-context share l of requests is
    priced as its own request (its input tokens, its tier's prices) and weighted (1-l) : l.
    """
    c, cw = w["cached_input_share"], w["cache_write_share"]
    write = get("cache_write_usd_per_mtok") if get.has("cache_write_usd_per_mtok") else 0.0

    def request_usd(tokens_in: np.ndarray, prefix: str) -> np.ndarray:
        return (tokens_in * ((1.0 - c - cw) * get(f"{prefix}input_usd_per_mtok")
                             + c * get(f"{prefix}cached_input_usd_per_mtok") + cw * write)
                + w["output_tokens_per_request"] * get(f"{prefix}output_usd_per_mtok")) / TOKENS_PER_MTOK

    price = request_usd(w["input_tokens_per_request"], "")
    if get.has("long_context_input_usd_per_mtok"):
        long_share = w["long_context_share"]
        price = ((1.0 - long_share) * price
                 + long_share * request_usd(w["long_context_input_tokens"], "long_context_"))
    rows.common.unit_usd[j] = (price * (1.0 - w["batchable_share"] * get("batch_discount"))
                        * kept_share(get("list_price_discount")))
    rows.common.billing[j] = TOKENS
    rows.common.indexed[j] = True
    rows.common.drift[j] = monthly_log_drift(get("price_trend_per_year"))
    rows.common.sigma[j] = monthly_volatility(get("price_volatility_per_year"))
