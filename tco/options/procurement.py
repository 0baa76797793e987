"""Procurement of self-hosted GPUs: bought (capex, power, maintenance, colocation) or reserved on a
contract, with the cited defaults a purchase falls back on."""

from __future__ import annotations

from typing import Any

from pydantic import Field

import tco.catalog as catalog
from tco.errors import ScenarioError
from tco.fields import (
    MAX_COUNT,
    MAX_HORIZON_MONTHS,
    GpuHourPrice,
    GpuPrice,
    Model,
    NonNegative,
    Positive,
    Share,
    quantity,
)
from tco.options.table import Table
from tco.sections import DOCUMENTED


class Purchase(Model):
    """Bought GPUs: paid up front, then power, maintenance and colocation while owned."""

    model_config = DOCUMENTED
    usd_per_gpu: GpuPrice | None = Field(
        None, description="Price of one bought GPU with its share of the server; left "
        "out, the GPU catalog's.")
    years: Positive = Field(5.0, description="Years over which a bought GPU's price is spread.")
    kw_per_gpu: NonNegative | None = Field(
        None, description="Average electrical draw of one GPU with its server share; "
        "left out, 75% of the GPU catalog's server power per GPU.")
    usd_per_kwh: NonNegative = Field(0.0806, description="Price of a kilowatt-hour of electricity.")
    pue: quantity(ge=1.0) = Field(1.54, description="Power usage effectiveness: facility power over "
                                  "IT power, cooling and losses on top of the GPUs.")
    maintenance_share_per_year: Share = Field(
        0.0, description="Support and spares per year, as a share of the purchase price, on owned "
        "GPUs.")
    colocation_usd_per_gpu_month: NonNegative = Field(
        0.0, description="Rack space and hosting of one owned GPU for one month.")



class Reserved(Model):
    """Reserved GPUs: a contract paid whether used or not, at a fixed price for its term."""

    model_config = DOCUMENTED
    gpus: int = Field(ge=1, le=MAX_COUNT, description="GPUs reserved for the term.")
    usd_per_gpu_hour: GpuHourPrice = Field(description="Contract price of a reserved GPU, paid for every "
                                       "hour of the term.")
    term_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS, description="Length of the contract.")
    start_month: int = Field(default=0, ge=0, le=MAX_HORIZON_MONTHS,
                             description="Month the contract starts (0 = first month).")


AVERAGE_DRAW_SHARE = 0.75
"""Average server draw as a share of its maximum under sustained AI load (Epoch AI energy.py)."""

DEFAULT_SOURCES = {
    "purchase.usd_per_kwh": ("US industrial electricity average 2023, EIA Electric Power Monthly "
                             "table 5.6.a (via Epoch AI)", "2023-12-31"),
    "purchase.pue": ("Uptime Institute Global Data Center Survey 2025, global average PUE",
                     "2025-07-01"),
    "purchase.years": ("useful life of AI servers, about 5 years (Amazon 10-K 2025; theCUBE Research)",
                       "2025-02-01"),
    "purchase.maintenance_share_per_year": ("0: no support contract priced (set it to the "
                                            "vendor's quote, typically a share of list a year)",
                                            None),
    "purchase.colocation_usd_per_gpu_month": ("0: GPUs in your own facility, its cost not "
                                              "priced (set it for colocation)", None),
}


def resolve(table: Table, prefix: str, o: Any, g: catalog.Gpu) -> None:
    """Add a bought option's purchase inputs: the scenario's, else the GPU catalog's, else cited
    defaults."""
    p = o.purchase
    pre = f"{prefix}.purchase"
    if p.usd_per_gpu is not None:
        table.add(f"{pre}.usd_per_gpu", p.usd_per_gpu, p, "usd_per_gpu")
    elif g.purchase_usd_per_gpu is not None:
        table.add(f"{pre}.usd_per_gpu", g.purchase_usd_per_gpu, p, "usd_per_gpu",
                  f"GPU catalog ({g.key}): {g.price_source}", g.as_of, usd=True)
    else:
        raise ScenarioError(f"{pre}.usd_per_gpu", f"is required: the GPU catalog has no purchase "
                            f"price for {g.key}")
    if p.kw_per_gpu is not None:
        table.add(f"{pre}.kw_per_gpu", p.kw_per_gpu, p, "kw_per_gpu")
    else:
        table.add(f"{pre}.kw_per_gpu", round(g.server_kw_per_gpu * AVERAGE_DRAW_SHARE, 6), p,
                  "kw_per_gpu", f"GPU catalog ({g.key}) server power per GPU x "
                  f"{AVERAGE_DRAW_SHARE} average draw (Epoch AI): {g.spec_source}", g.as_of)
    for field_name in ("years", "usd_per_kwh", "pue", "maintenance_share_per_year",
                       "colocation_usd_per_gpu_month"):
        value = getattr(p, field_name)
        if field_name in p.model_fields_set:
            table.add(f"{pre}.{field_name}", value, p, field_name)
        else:
            source, as_of = DEFAULT_SOURCES[f"purchase.{field_name}"]
            table.add(f"{pre}.{field_name}", value, p, field_name, f"default: {source}", as_of,
                      usd="usd" in field_name)
