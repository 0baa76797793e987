"""Forecast cost rows in the columns of FOCUS 1.3, and its Contract Commitment dataset.

FOCUS (the FinOps Open Cost and Usage Specification, https://focus.finops.org/focus-specification/v1-3/,
repository FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec) defines *billing* data: charges a provider
has incurred. These rows are *forecasts*: the simulated expected cost (and monthly percentiles) of
each strategy, shaped as FOCUS rows so a FinOps tool can load them beside real bills. Every row
says so in its ``x_`` columns (``x_Forecast`` is ``true``; ``x_Statistic`` says mean, P50 or P95).

Grain. Mean rows: one per strategy, option, calendar month and cost line with a non-zero expected
cost. The kernel keeps each line per strategy, not per option, so a line is given to the one option
of the strategy that can bill it (an API option's tokens, a self-hosted option's GPUs and staff);
where two or more options of a strategy can bill the same line (two API options, one taking the
other's traffic after an exit), the row names them all (``x_Option`` joined with "+") and
``x_OptionShared`` is ``true``. Switching and the gateway belong to the strategy (no option).
Percentile rows: per strategy and calendar month, all lines together (``x_CostLine`` "total"):
percentiles do not add across lines or months, and the kernel keeps per-path costs only as the
monthly total (in float64, from the repricing runs below).

Costs (all undiscounted, in the scenario's currency), after the FOCUS 1.3 column definitions
(specification/datasets/cost_and_usage/columns/ in the FOCUS_Spec repository):

- ``ListCost`` = ListUnitPrice x PricingQuantity, ListUnitPrice being the provider's published
  price "exclusive of any discounts" (listcost.md, listunitprice.md);
- ``ContractedCost`` = ContractedUnitPrice x PricingQuantity, the unit price "inclusive of
  negotiated discounts ... while excluding" commitment discounts (contractedcost.md,
  contractedunitprice.md);
- ``EffectiveCost`` "reflects all applicable pricing adjustments, including ... negotiated
  discounts, commitment discounts" (effectivecost.md); ``BilledCost`` equals it (every cost is
  billed in its month).

``EffectiveCost`` is the expected cost of the line as the kernel books it. ``ContractedCost`` and
``ListCost`` are the same paths costed by the kernel again with the commitment discounts, then the
negotiated ones (``list_price_discount`` of the option and of the strategy) lifted
(``tco.focus.reprice``): path by path, so a discount drawn per path, or options of one row with
different discounts, add back exactly what the kernel took off. ListCost - ContractedCost is then
the negotiated discount and ContractedCost - EffectiveCost the commitment's, on the per-token
lines and on the switching line's dual running alike; a commitment's shortfall and a stranded
commitment read the same in all three (they are not discounts). P50 and P95 rows take the
percentile of each path's total at each level, not the paid percentile scaled. Every other line
has no discount: its three costs are equal, a reservation's contract price being its own list
price. Units and quantities: GPU-hours for rented GPUs
(``ConsumedUnit`` "Hours") where they are exact (on-demand GPUs with no reservation; reserved GPUs);
otherwise the row is priced as one month of the line (``PricingUnit`` "Months", quantity 1,
``ConsumedQuantity`` empty), because the kernel keeps no tokens per option and month.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import tco.calendar as calendar
import tco.lines as lines
import tco.prices as prices
from tco.export import csv_bytes, provenance, scenario_hash, write_atomic
from tco.focus.charges import (
    CHARGES,
    OTHER_CHARGE,
    Charge,
    charge,
    commitment_of,
    commitment_terms,
    owners,
    reservation_of,
    service,
)
from tco.focus.reprice import Priced, reprice
from tco.load import Loaded
from tco.simulate import SimulationResult
from tco.units import HOURS_PER_MONTH
from tco.version import __version__

FOCUS_VERSION = "1.3"
FOCUS_URL = "https://focus.finops.org/focus-specification/v1-3/"
SERVICE_CATEGORY = "AI and Machine Learning"
"""FOCUS ServiceCategory allowed value (servicecategory.md)."""
SERVICE_SUBCATEGORY = "Generative AI"
"""FOCUS ServiceSubcategory allowed value under "AI and Machine Learning" (servicesubcategory.md)."""
COST_FILE = "focus_cost_and_usage.csv"
COMMITMENT_FILE = "focus_contract_commitment.csv"
NOTES_FILE = "focus_notes.json"
STATISTICS = ("mean", "p50", "p95")


COST_COLUMNS = (
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "BillingCurrency", "ChargeCategory", "ChargeFrequency", "ChargeDescription",
    "ServiceCategory", "ServiceSubcategory", "ServiceName", "ProviderName", "ServiceProviderName",
    "SkuId", "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit",
    "ListUnitPrice", "ContractedUnitPrice", "ListCost", "ContractedCost", "EffectiveCost",
    "BilledCost", "CommitmentDiscountId", "CommitmentDiscountCategory", "CommitmentDiscountType",
    "CommitmentDiscountStatus", "ContractApplied",
    "x_Forecast", "x_Statistic", "x_Scenario", "x_ScenarioSha256", "x_Strategy", "x_Option",
    "x_OptionShared", "x_CostLine", "x_Month", "x_Seed", "x_Paths", "x_PriceSnapshotDate",
    "x_ToolVersion",
)
"""Columns of the cost file: FOCUS 1.3 columns (ProviderName kept beside its 1.3 successor
ServiceProviderName for tools that read 1.0-1.2), then the forecast's own ``x_`` columns."""

COMMITMENT_COLUMNS = (
    "BillingCurrency", "ContractCommitmentCategory", "ContractCommitmentCost",
    "ContractCommitmentDescription", "ContractCommitmentId", "ContractCommitmentPeriodEnd",
    "ContractCommitmentPeriodStart", "ContractCommitmentQuantity", "ContractCommitmentType",
    "ContractCommitmentUnit", "ContractId", "ContractPeriodEnd", "ContractPeriodStart",
    "x_Forecast", "x_Scenario", "x_Option", "x_SignedBy", "x_ToolVersion",
)
"""The 13 mandatory columns of FOCUS 1.3's Contract Commitment dataset, then ``x_`` columns."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "scenario"


def _periods(sc: Loaded) -> tuple[list[str], list[str]]:
    """ISO 8601 UTC starts and (exclusive) ends of each month of the horizon."""
    months = sc.horizon_months
    stamps = [calendar.first_day(sc.inputs.start, t) for t in range(months + 1)]
    text = [dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            for d in stamps]
    return text[:-1], text[1:]


def _commitment_id(sc: Loaded, option: str, what: str) -> str:
    return f"{_slug(sc.name)}/{option}/{'api-commitment' if what == 'commitment' else 'gpu-reservation'}"


def _nominal(sc: Loaded, path: str, default: float) -> tuple[float, bool]:
    """An input's nominal value and whether it is fixed (not sampled per path)."""
    param = sc.inputs.params.get(path)
    if param is None:
        return default, True
    return float(param.nominal), not param.uncertain


def _commitment_id_of(sc: Loaded, option: str, line: str, t: int, signed: bool) -> str:
    """The API commitment a row draws on ("" where none): the option's, in its term, on the lines
    it discounts or tops up."""
    if (commitment_of(sc.options[option]) is None or not signed or
            t >= commitment_of(sc.options[option]).term_months
            or line not in ("api_tokens", "escalated_traffic", "commitment_shortfall")):
        return ""
    return _commitment_id(sc, option, "commitment")


def _reserved_in(sc: Loaded, option: str, t: int) -> bool:
    r = reservation_of(sc.options[option])
    return r is not None and r.start_month <= t < r.start_month + r.term_months


def _terms(result: SimulationResult, s_i: int, single: str | None, line: str, t: int,
           option_index: dict[str, int], signed: bool) -> tuple:
    """Quantity, unit, consumed quantity and unit and the commitment columns of one mean row
    (``single``: the row's one option, None when shared or the strategy's own)."""
    sc = result.scenario
    quantity, unit, consumed, consumed_unit = 1.0, "Months", None, None
    if single is None:
        return quantity, unit, consumed, consumed_unit, "", "", "", ""
    option = sc.options[single]
    cid = _commitment_id_of(sc, single, line, t, signed)
    status, category, ctype = "", "", ""
    if cid:
        status = "Unused" if line == "commitment_shortfall" else "Used"
        category, ctype = "Spend", "API spend commitment"
    if line == "gpu_rent" and reservation_of(option) is None:
        hours = float(result.gpus_mean[s_i, option_index[single], t]) * HOURS_PER_MONTH
        if hours > 0.0:
            quantity, unit, consumed, consumed_unit = hours, "Hours", hours, "Hours"
    stranded = line == "stranded_commitments"
    if (line == "reserved_gpus" or stranded) and _reserved_in(sc, single, t):
        quantity, unit = reservation_of(option).gpus * HOURS_PER_MONTH, "Hours"
        if not stranded:
            consumed, consumed_unit = quantity, "Hours"
        cid = _commitment_id(sc, single, "reserved")
        status = "Unused" if stranded else "Used"
        category, ctype = "Usage", "GPU reservation"
    elif stranded and commitment_of(option) is not None:
        cid = _commitment_id(sc, single, "commitment")
        status, category, ctype = "Unused", "Spend", "API spend commitment"
    return quantity, unit, consumed, consumed_unit, cid, status, category, ctype


def _mean_rows(result: SimulationResult, priced: Priced, common: dict[str, Any]) -> list[dict[str, Any]]:
    sc = result.scenario
    starts, ends = _periods(sc)
    option_index = {name: j for j, name in enumerate(sc.options)}
    rows = []
    for s_i, strategy in enumerate(result.strategies):
        mix = sc.strategies[strategy].mix
        for l_i, line in enumerate(result.lines):
            values = result.line_mean_usd[s_i, l_i]
            listed = priced.list_line_mean_usd[s_i, l_i]
            contracted_line = priced.contracted_line_mean_usd[s_i, l_i]
            booked = (values != 0.0) | (listed != 0.0)  # a 100% discount leaves a list cost
            if not np.any(booked):
                continue
            candidates = owners(sc, strategy, line)
            info, label = charge(line), lines.BY_NAME[line].label
            for t in np.flatnonzero(booked):
                t = int(t)
                names = candidates
                if info.in_use and len(names) > 1:  # only options with GPUs this month on some path
                    live = tuple(o for o in names if result.gpus_mean[s_i, option_index[o], t] > 0.0)
                    names = live or names
                name, provider = service(sc, names)
                single = names[0] if len(names) == 1 else None
                effective = float(values[t])
                terms = _terms(result, s_i, single, line, t, option_index, single in mix)
                quantity, unit, consumed, consumed_unit, cid, status, category, ctype = terms
                contracted, list_cost = float(contracted_line[t]), float(listed[t])
                rows.append({
                    **common,
                    "BillingPeriodStart": starts[t], "BillingPeriodEnd": ends[t],
                    "ChargePeriodStart": starts[t], "ChargePeriodEnd": ends[t],
                    "ChargeCategory": info.category, "ChargeFrequency": info.frequency,
                    "ChargeDescription": f"Forecast: {label}, expected ({strategy})",
                    "ServiceName": name, "ProviderName": provider, "ServiceProviderName": provider,
                    "SkuId": f"{'+'.join(names) or strategy}:{line}",
                    "ConsumedQuantity": consumed, "ConsumedUnit": consumed_unit,
                    "PricingQuantity": quantity, "PricingUnit": unit,
                    "ListUnitPrice": list_cost / quantity, "ContractedUnitPrice": contracted / quantity,
                    "ListCost": list_cost, "ContractedCost": contracted, "EffectiveCost": effective,
                    "BilledCost": effective, "CommitmentDiscountId": cid or None,
                    "CommitmentDiscountCategory": category or None,
                    "CommitmentDiscountType": ctype or None,
                    "CommitmentDiscountStatus": status or None,
                    "ContractApplied": (json.dumps([{"ContractCommitmentId": cid}]) if cid else None),
                    "x_Statistic": "mean", "x_Strategy": strategy, "x_Option": "+".join(names) or None,
                    "x_OptionShared": len(names) > 1, "x_CostLine": line, "x_Month": t,
                })
    return rows


def _percentiles(monthly_usd: np.ndarray, reference: np.ndarray, q: np.ndarray) -> np.ndarray:
    """P50 and P95 over the paths of (paths, strategies, months) costs: (2, strategies, months);
    ``q`` itself where the costs are the ``reference`` array those were taken of."""
    return q if monthly_usd is reference else np.percentile(monthly_usd, [50, 95], axis=0)


def _percentile_rows(result: SimulationResult, priced: Priced, common: dict[str, Any]
                     ) -> list[dict[str, Any]]:
    sc = result.scenario
    starts, ends = _periods(sc)
    paid = priced.effective_usd
    q = np.percentile(paid, [50, 95], axis=0)  # (2, strategies, months)
    q_contracted = _percentiles(priced.contracted_usd, paid, q)
    q_list = _percentiles(priced.list_usd, paid, q)
    rows = []
    for s_i, strategy in enumerate(result.strategies):
        for k, statistic in enumerate(("p50", "p95")):
            for t in range(sc.horizon_months):
                value = float(q[k, s_i, t])
                contracted, list_cost = float(q_contracted[k, s_i, t]), float(q_list[k, s_i, t])
                rows.append({
                    **common,
                    "BillingPeriodStart": starts[t], "BillingPeriodEnd": ends[t],
                    "ChargePeriodStart": starts[t], "ChargePeriodEnd": ends[t],
                    "ChargeCategory": "Usage", "ChargeFrequency": "Recurring",
                    "ChargeDescription": f"Forecast: all cost lines, {statistic.upper()} of the "
                    f"month's cost over simulated paths ({strategy})",
                    "ServiceName": "All options of the strategy", "ProviderName": "All",
                    "ServiceProviderName": "All", "SkuId": f"{strategy}:total",
                    "ConsumedQuantity": None, "ConsumedUnit": None,
                    "PricingQuantity": 1.0, "PricingUnit": "Months",
                    "ListUnitPrice": list_cost, "ContractedUnitPrice": contracted,
                    "ListCost": list_cost, "ContractedCost": contracted, "EffectiveCost": value,
                    "BilledCost": value,
                    "CommitmentDiscountId": None, "CommitmentDiscountCategory": None,
                    "CommitmentDiscountType": None, "CommitmentDiscountStatus": None,
                    "ContractApplied": None,
                    "x_Statistic": statistic, "x_Strategy": strategy, "x_Option": None,
                    "x_OptionShared": False, "x_CostLine": "total", "x_Month": t,
                })
    return rows


def _common(result: SimulationResult) -> dict[str, Any]:
    sc = result.scenario
    return {"BillingCurrency": sc.currency, "ServiceCategory": SERVICE_CATEGORY,
            "ServiceSubcategory": SERVICE_SUBCATEGORY, "x_Forecast": True, "x_Scenario": sc.name,
            "x_ScenarioSha256": scenario_hash(sc), "x_Seed": result.seed, "x_Paths": result.paths,
            "x_PriceSnapshotDate": prices.snapshot_as_of(), "x_ToolVersion": __version__}


def cost_rows(result: SimulationResult) -> pd.DataFrame:
    """The forecast's FOCUS cost rows: mean rows by line and option, then P50 and P95 totals."""
    common, priced = _common(result), reprice(result)
    frame = pd.DataFrame(_mean_rows(result, priced, common) + _percentile_rows(result, priced, common))
    return frame.reindex(columns=list(COST_COLUMNS))


def commitment_rows(result: SimulationResult) -> pd.DataFrame:
    """One Contract Commitment row per API commitment and GPU reservation a strategy signs.

    ContractCommitmentCost is the whole term's amount at nominal inputs: the monthly minimum x term
    for an API spend commitment; GPUs x 730 h x the contract price x term for a reservation (its
    quantity in GPU-hours). A term that runs past the horizon is cut at the horizon, as the model is.
    """
    sc = result.scenario
    rows = []
    for name, option in sc.options.items():
        signed_by = [s for s, st in sc.strategies.items() if name in st.mix]
        for what, terms in commitment_terms(option):
            first = 0 if what == "commitment" else terms.start_month
            last = min(first + terms.term_months, sc.horizon_months)
            if not signed_by or last <= first:
                continue
            start = calendar.first_day(sc.inputs.start, first)
            end = calendar.first_day(sc.inputs.start, last)
            stamp = [dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                     for d in (start, end)]
            months = last - first
            if what == "commitment":
                monthly, _ = _nominal(sc, f"options.{name}.commitment.usd_per_month", terms.usd_per_month)
                discount, _ = _nominal(sc, f"options.{name}.commitment.discount", terms.discount)
                cost, quantity, unit, category = monthly * months, None, None, "Spend"
                ctype = "API spend commitment"
                text = (f"{name}: at least {monthly:,.0f} {sc.currency} a month for {months} months, "
                        f"list prices less {discount:.0%}")
            else:
                price, _ = _nominal(sc, f"options.{name}.reserved.usd_per_gpu_hour", terms.usd_per_gpu_hour)
                quantity = terms.gpus * HOURS_PER_MONTH * months
                cost, unit, category, ctype = quantity * price, "Hours", "Usage", "GPU reservation"
                text = (f"{name}: {terms.gpus} GPUs reserved for {months} months at "
                        f"{price:,.4g} {sc.currency} per GPU-hour")
            cid = _commitment_id(sc, name, what)
            rows.append({
                "BillingCurrency": sc.currency, "ContractCommitmentCategory": category,
                "ContractCommitmentCost": cost, "ContractCommitmentDescription": text,
                "ContractCommitmentId": cid, "ContractCommitmentPeriodEnd": stamp[1],
                "ContractCommitmentPeriodStart": stamp[0], "ContractCommitmentQuantity": quantity,
                "ContractCommitmentType": ctype, "ContractCommitmentUnit": unit, "ContractId": cid,
                "ContractPeriodEnd": stamp[1], "ContractPeriodStart": stamp[0], "x_Forecast": True,
                "x_Scenario": sc.name, "x_Option": name, "x_SignedBy": ";".join(signed_by),
                "x_ToolVersion": __version__})
    return pd.DataFrame(rows, columns=list(COMMITMENT_COLUMNS))


def notes(result: SimulationResult) -> dict[str, Any]:
    """What the files are, what the x_ columns mean, and where the numbers came from."""
    return {
        "what": ("Forecast, not billing data. FOCUS defines billing data (charges a provider has "
                 "incurred); these rows are simulated expected costs and percentiles of each "
                 "strategy, in FOCUS columns, so they load beside real bills. Filter on "
                 "x_Statistic: mean rows add up (by option, line and month); p50 and p95 rows are "
                 "per strategy and month, all lines together, and do not add."),
        "focus_version": FOCUS_VERSION, "focus_specification": FOCUS_URL,
        "files": {COST_FILE: "Cost and Usage dataset columns", COMMITMENT_FILE:
                  "Contract Commitment dataset (FOCUS 1.3): API commitments and GPU reservations"},
        "x_columns": {
            "x_Forecast": "always true: a simulated forecast, not a charge",
            "x_Statistic": "mean, p50 or p95 over the simulated paths",
            "x_Scenario": "scenario name", "x_ScenarioSha256": "hash of the scenario's fields",
            "x_Strategy": "strategy", "x_Option": "option(s) billing the line; empty: the strategy's own",
            "x_OptionShared": "true where several options of the strategy can bill the line (the "
                              "model keeps lines per strategy, not per option)",
            "x_CostLine": "the tool's cost line (total: all lines)", "x_Month": "run month, 0 first",
            "x_Seed": "random seed", "x_Paths": "simulated paths",
            "x_PriceSnapshotDate": "as-of date of the API price snapshot (genai-prices)",
            "x_ToolVersion": "this tool's version",
        },
        "money": ("undiscounted, in BillingCurrency. ListCost is at list price, ContractedCost "
                  "after the negotiated discounts (list_price_discount of the option and of the "
                  "strategy), EffectiveCost and BilledCost after an API commitment's discount "
                  "too: ListCost - ContractedCost is the negotiated discount, ContractedCost - "
                  "EffectiveCost the commitment's, each added back path by path (the same paths "
                  "costed again with the discounts lifted), dual running on the switching line "
                  "included. A commitment's shortfall reads the same in all three. P50 and P95 "
                  "rows are the percentiles of each path's month at each level."),
        "provenance": provenance(result),
    }


def files(result: SimulationResult) -> dict[str, bytes]:
    """The cost file, the Contract Commitment file and the notes, as bytes."""
    return {COST_FILE: csv_bytes(cost_rows(result)), COMMITMENT_FILE: csv_bytes(commitment_rows(result)),
            NOTES_FILE: (json.dumps(notes(result), indent=2) + "\n").encode("utf-8")}


def write_focus_dir(result: SimulationResult, directory: str | Path) -> list[Path]:
    """Write the FOCUS files into ``directory`` (created if missing), each atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return [write_atomic(directory / name, data) for name, data in files(result).items()]


def read_cost_rows(data: bytes) -> pd.DataFrame:
    """Read the cost file back (tests and scripts)."""
    return pd.read_csv(io.BytesIO(data))


__all__ = ["CHARGES", "COMMITMENT_COLUMNS", "COMMITMENT_FILE", "COST_COLUMNS", "COST_FILE", "NOTES_FILE",
           "OTHER_CHARGE", "Charge", "charge", "commitment_rows", "cost_rows", "files", "notes", "owners",
           "read_cost_rows", "service", "write_focus_dir"]
