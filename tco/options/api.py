"""API options: tokens priced per request from the genai-prices snapshot or the scenario."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tco.prices as prices
from tco.distributions import nominal
from tco.options.table import Table
from tco.schema import ApiOption, Scenario
from tco.units import TOKENS_PER_MTOK, monthly_log_drift, monthly_volatility

CODE = 0
"""The kernel's code for this option kind."""


def resolve(table: Table, name: str, o: ApiOption, sc: Scenario, plans: dict[str, Any],
            warnings: list[str]) -> None:
    """Add the option's inputs: scenario values first, then the price catalog, then defaults."""
    prefix = f"options.{name}"
    price = None
    if o.catalog is not None:
        price = prices.lookup(o.catalog, nominal(sc.workload.input_tokens_per_request),
                              nominal(sc.workload.output_tokens_per_request), f"{prefix}.catalog")
        warnings.extend(f"{prefix}: {price.key} has a {change}" for change in price.scheduled_changes)
    for field_name in ("input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok",
                       "batch_discount"):
        value = getattr(o, field_name)
        if value is not None:
            table.add(f"{prefix}.{field_name}", value, o, field_name)
        elif price is not None:
            table.add(f"{prefix}.{field_name}", getattr(price, field_name), o, field_name,
                      f"{price.key}: {price.source}", price.as_of)
        elif field_name == "cached_input_usd_per_mtok":
            table.add(f"{prefix}.{field_name}", o.input_usd_per_mtok, o, field_name,  # type: ignore[arg-type]
                      "no cached price given: cached input billed at the input price")
        else:
            table.add(f"{prefix}.{field_name}", 0.0, o, field_name, "default 0: no batch discount")
    table.fields(prefix, o, ("price_trend_per_year", "price_volatility_per_year"))


def fill(rows: Any, j: int, get: Callable[[str], np.ndarray], w: dict[str, np.ndarray],
         option: ApiOption, plan: None = None) -> None:
    """Write row ``j`` of the kernel's option inputs; ``get(field)`` is that input per path.

    Notes
    -----
    Cost of one request at price index 1:
    [in (1-c) P_in + in c P_cached + out P_out] / 1e6 x (1 - b d).
    """
    price = (w["input_tokens_per_request"] * ((1.0 - w["cached_input_share"]) * get("input_usd_per_mtok")
                                              + w["cached_input_share"] * get("cached_input_usd_per_mtok"))
             + w["output_tokens_per_request"] * get("output_usd_per_mtok")) / TOKENS_PER_MTOK
    rows.unit_usd[j] = price * (1.0 - w["batchable_share"] * get("batch_discount"))
    rows.kind[j] = CODE
    rows.indexed[j] = True
    rows.drift[j] = monthly_log_drift(get("price_trend_per_year"))
    rows.sigma[j] = monthly_volatility(get("price_volatility_per_year"))
