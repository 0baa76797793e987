"""An after-tax view: the tax shield of operating costs and of depreciation on bought GPUs.

Costs reduce taxable profit, so at a tax rate T each deductible dollar returns T dollars. In month
t the after-tax cost is cost(t) - T x deductible(t), where deductible(t) is every cost line except
the GPU purchases (``gpu_capex``) and the residual value, plus the depreciation of the GPUs bought
so far, and, in the last month, less the taxable gain on the GPUs still owned (their residual
value above their remaining tax basis, purchases less depreciation to date). NPV after tax
discounts these as NPV does, month t by (1 + r)^-((t + 1) / 12).

Depreciation schedules (a purchase in month m):

- ``straight_line``: 1 / (12 Y) of the price a month from month m for 12 Y months, Y the option's
  ``purchase.years`` (the same life the model's residual value uses, so with no discounting the
  gain at the horizon is 0);
- ``macrs_5``: the US MACRS 5-year property table with the half-year convention, 20%, 32%,
  19.2%, 11.52%, 11.52% and 5.76% of the price in the six tax years from the purchase (IRS
  Publication 946, Table A-1), each year's share spread evenly over its 12 months.

Everything here is linear in the monthly cost lines, so the expected after-tax NPV follows from
the kernel's expected lines exactly (with a fixed discount rate; with an uncertain one the shield
is discounted at its nominal value and the result says so); percentiles would need per-path lines,
which the kernel does not keep, so only the expected and deterministic NPVs are given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import tco.glossary as glossary
import tco.options as options
from tco.errors import ScenarioError
from tco.format import pct, usd
from tco.load import Loaded
from tco.model import evaluate_kernel
from tco.simulate import SimulationResult
from tco.units import MONTHS_PER_YEAR, discount_factors

DEPRECIATION = ("straight_line", "macrs_5")
MACRS_5_SHARES = (0.20, 0.32, 0.192, 0.1152, 0.1152, 0.0576)
"""MACRS 5-year property, half-year convention: share of the basis deducted in each tax year
(IRS Publication 946, How To Depreciate Property, Table A-1, 2024 edition)."""
DEPRECIATION_WORDS = {"straight_line": "straight-line", "macrs_5": "MACRS 5-year"}
NOT_DEDUCTED = ("gpu_capex", "residual_value")
"""Lines that are not operating costs: purchases are depreciated, the residual is a sale value."""


def schedule(depreciation: str, horizon_months: int, life_years: float) -> np.ndarray:
    """Share of a purchase deducted in each month after it: (horizon_months,), month 0 the month
    bought. Sums to 1 when the horizon covers the whole schedule."""
    months = np.arange(horizon_months)
    if depreciation == "straight_line":
        life = life_years * MONTHS_PER_YEAR
        return np.clip(life - months, 0.0, 1.0) / life
    shares = np.zeros(horizon_months)
    for year, share in enumerate(MACRS_5_SHARES):
        shares[(months // MONTHS_PER_YEAR) == year] = share / MONTHS_PER_YEAR
    return shares


def _life_years(sc: Loaded, strategy: str) -> float:
    """The purchase life of the bought GPUs a strategy can use (one life: several differ -> error)."""
    st = sc.strategies[strategy]
    lives = {sc.options[o].purchase.years for o in dict.fromkeys([*st.mix, *st.chain])
             if options.provides(sc.options[o], "purchase")}
    if len(lives) > 1:
        raise ScenarioError(f"strategies.{strategy}", "its bought GPUs have different purchase.years; "
                            "straight-line depreciation of the strategy's capex needs one life")
    return lives.pop() if lives else 5.0


def deductible(sc: Loaded, strategy: str, line_usd: np.ndarray, lines: tuple[str, ...],
               depreciation: str) -> np.ndarray:
    """Tax-deductible amount per month of one strategy: (months,) from its lines (lines, months)."""
    months = line_usd.shape[1]
    index = {name: i for i, name in enumerate(lines)}
    opex = sum(line_usd[i] for name, i in index.items() if name not in NOT_DEDUCTED)
    capex = line_usd[index["gpu_capex"]]
    shares = schedule(depreciation, months, _life_years(sc, strategy))
    depreciated = np.array([np.dot(capex[:t + 1], shares[t::-1]) for t in range(months)])
    out = np.asarray(opex, dtype=float) + depreciated
    residual = -line_usd[index["residual_value"]].sum()
    basis = capex.sum() - depreciated.sum()
    out[-1] -= residual - basis  # a sale above the remaining basis is a taxable gain
    return out


@dataclass(frozen=True)
class AfterTax:
    """Per strategy: expected and deterministic NPV before and after tax, and the shield."""

    table: pd.DataFrame
    tax_rate: float
    depreciation: str
    exact: bool
    """False when the discount rate is uncertain (the shield is discounted at its nominal value)."""


def after_tax(result: SimulationResult, tax_rate: float, depreciation: str = "straight_line") -> AfterTax:
    """NPV before and after tax for every strategy (``tax_rate`` a share of profit, 0-1)."""
    if not 0.0 <= tax_rate < 1.0:
        raise ScenarioError("--tax-rate", "must be a share from 0 to below 1 (0.25 = 25%)")
    if depreciation not in DEPRECIATION:
        raise ScenarioError("--depreciation", "must be one of " + ", ".join(DEPRECIATION))
    sc = result.scenario
    param = sc.inputs.params["discount_rate_per_year"]
    factors = discount_factors(param.nominal, sc.horizon_months)
    det = evaluate_kernel(sc)
    summary = result.summary()
    rows = []
    for s_i, name in enumerate(result.strategies):
        shield_mean = tax_rate * factors @ deductible(sc, name, result.line_mean_usd[s_i], result.lines,
                                                      depreciation)
        shield_det = tax_rate * factors @ deductible(sc, name, det.line_sum_usd[s_i], det.lines,
                                                     depreciation)
        rows.append({"strategy": name, "deterministic_npv_usd": float(summary.loc[name, "deterministic_npv"]),
                     "deterministic_after_tax_npv_usd":
                         float(summary.loc[name, "deterministic_npv"] - shield_det),
                     "mean_npv_usd": float(summary.loc[name, "mean"]),
                     "mean_after_tax_npv_usd": float(summary.loc[name, "mean"] - shield_mean),
                     "mean_tax_shield_usd": float(shield_mean)})
    return AfterTax(pd.DataFrame(rows), tax_rate, depreciation, not param.uncertain)


def of_scenario(result: SimulationResult) -> AfterTax | None:
    """The after-tax view the scenario's own ``tax:`` section asks for; None without one."""
    tax = result.scenario.tax
    return None if tax is None else after_tax(result, tax.rate, tax.depreciation)


def basis(taxed: AfterTax) -> str:
    """'after tax at 25.0%, straight-line depreciation of bought GPUs': how the view was taken."""
    text = (f"after tax at {pct(taxed.tax_rate, 1)}, {DEPRECIATION_WORDS[taxed.depreciation]} "
            "depreciation of bought GPUs")
    return text if taxed.exact else text + " (shield discounted at the nominal discount rate)"


def short(taxed: AfterTax) -> str:
    """'Expected after tax at 25.0%: api-only $6.9M, self-host $7.1M': the deck's NPV slide line."""
    return (f"Expected after tax at {pct(taxed.tax_rate, 1)}: "
            + ", ".join(f"{r.strategy} {usd(r.mean_after_tax_npv_usd)}" for r in taxed.table.itertuples()))


def sentence(taxed: AfterTax) -> str:
    """Each strategy's expected NPV before and after tax, with the basis, in one sentence."""
    pairs = "; ".join(f"{r.strategy} {usd(r.mean_after_tax_npv_usd)} (before tax {usd(r.mean_npv_usd)})"
                      for r in taxed.table.itertuples())
    return f"Expected NPV {basis(taxed)}: {pairs}."


def shown(taxed: AfterTax) -> pd.DataFrame:
    """The view as the page shows it: one row per strategy, money as text, labelled columns."""
    t = taxed.table
    mean, nominal = glossary.describe("mean"), glossary.describe("deterministic_npv")

    def after_tax(label: glossary.Label) -> str:
        return f"{label.label} after tax ({label.unit})"

    return pd.DataFrame({"Strategy": t["strategy"],
                         mean.text: t["mean_npv_usd"].map(usd),
                         after_tax(mean): t["mean_after_tax_npv_usd"].map(usd),
                         f"Tax shield, expected ({mean.unit})": t["mean_tax_shield_usd"].map(usd),
                         nominal.text: t["deterministic_npv_usd"].map(usd),
                         after_tax(nominal): t["deterministic_after_tax_npv_usd"].map(usd)})
