"""Resolve a validated scenario into its inputs: the parameter table, capacity plans and warnings.

Every numeric input of a run, whether written in the scenario, filled from a catalog, or a
documented default, becomes one ``Param`` with its dotted path, unit, source and as-of date. The
same table drives the sampler (its distribution-valued rows), the tornado (every row), the typed
kernel inputs, the page's assumptions view and the deck's appendix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import tco.calendar as calendar
import tco.fx as fx
import tco.options as options
import tco.prices as prices
import tco.risks as risks
from tco.capacity import CapacityPlan
from tco.errors import ScenarioError
from tco.options.table import SCENARIO_SOURCE, Param, Table
from tco.schema import Scenario


@dataclass(frozen=True)
class Resolved:
    """A scenario's inputs with catalogs resolved: the parameter table, capacity plans and warnings.

    ``correlation_factor`` is the lower Cholesky factor of the copula over ``sampled`` (None without
    ``correlations:``).
    """

    params: dict[str, Param]
    plans: dict[str, CapacityPlan]
    warnings: tuple[str, ...] = field(default=())
    correlation_factor: np.ndarray | None = None
    start: str = ""
    """Calendar month of month 0, 'YYYY-MM' (the scenario's ``start`` or the default)."""
    start_source: str = ""
    scheduled: dict[str, tuple[tuple[int, float, str], ...]] = field(default_factory=dict)
    """Announced catalog price changes by option: (month, multiplier, date) each."""
    usd_priced: tuple[str, ...] = ()
    """Options whose indexed price (tokens, or rented GPU hours) comes from the US-dollar catalogs
    converted into another currency: the exchange rate's walk moves their price index."""

    @property
    def gpus_per_replica(self) -> dict[str, int]:
        return {name: plan.gpus for name, plan in self.plans.items()}

    def impact(self, risk_index: int, scenario: Scenario) -> Param | None:
        """The per-event price impact of a risk (its kind's impact field), if it has one."""
        name = scenario.risks[risk_index].spec.impact_field
        return self.params.get(f"risks.{risk_index}.{name}") if name else None

    @property
    def sampled(self) -> list[Param]:
        """Distribution-valued inputs sampled once per path, in scenario order."""
        return [p for p in self.params.values() if p.uncertain and not p.per_event]


def rank_to_pearson(rho: float | np.ndarray) -> float | np.ndarray:
    """Pearson correlation of a Gaussian copula with Spearman rank correlation rho: 2 sin(pi rho / 6)."""
    return 2.0 * np.sin(np.pi * np.asarray(rho) / 6.0)


def _correlation_factor(sc: Scenario, params: dict[str, Param]) -> np.ndarray | None:
    """Lower Cholesky factor of the copula's correlation matrix over the sampled inputs, or None."""
    for i, corr in enumerate(sc.correlations):
        for path in corr.between:
            p = params.get(path)
            if p is None:
                raise ScenarioError(f"correlations.{i}.between", f"'{path}' is not a numeric input "
                                    "of this scenario")
            if not p.uncertain or p.per_event:
                raise ScenarioError(f"correlations.{i}.between", f"'{path}' must be a distribution "
                                    "sampled once per path")
    if not sc.correlations:
        return None
    columns = [p.path for p in params.values() if p.uncertain and not p.per_event]
    matrix = np.eye(len(columns))
    for corr in sc.correlations:
        i, j = (columns.index(path) for path in corr.between)
        matrix[i, j] = matrix[j, i] = rank_to_pearson(corr.rho)
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        raise ScenarioError("correlations", "the rank correlations are not consistent (the matrix "
                            "is not positive definite); weaken some rho values") from None


USD_PRICES = ("input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok",
              "usd_per_gpu_hour")
"""The catalog prices an option's price index scales: a converted one makes the option priced in
US dollars (bought GPUs are paid once, up front, and their index stays 1)."""


def resolve(sc: Scenario, comments: dict[str, str] | None = None) -> Resolved:
    """Resolve catalogs, plan capacity and build the parameter table.

    ``comments`` maps field paths to the trailing comments that cite their sources.
    """
    rate = fx.rate_for(sc.currency, sc.usd_per_currency_unit,
                       (comments or {}).get("usd_per_currency_unit"))
    table = Table(comments, fx.Converter(sc.currency, rate), sc.as_of)
    warnings: list[str] = []
    plans: dict[str, CapacityPlan] = {}
    w = sc.workload
    table.fields("workload", w, ("requests_per_month", "input_tokens_per_request",
                                 "output_tokens_per_request", "cached_input_share", "batchable_share",
                                 "growth_per_month", "peak_to_average", "monthly_active_users",
                                 "mau_growth_per_month", "long_context_share",
                                 "long_context_input_tokens", "cache_write_share"))
    if w.hourly_profile is not None and "peak_to_average" in w.model_fields_set:
        warnings.append("workload.peak_to_average: the hourly profile's busiest hour "
                        f"({max(w.profile):.2f} x the mean) replaces it")
    table.add("discount_rate_per_year", sc.discount_rate_per_year, sc, "discount_rate_per_year",
              SCENARIO_SOURCE if "discount_rate_per_year" in sc.model_fields_set else "default 0")
    if sc.currency != fx.BASE:
        table.add("fx_volatility_per_year", sc.fx_volatility_per_year, sc, "fx_volatility_per_year",
                  SCENARIO_SOURCE if "fx_volatility_per_year" in sc.model_fields_set
                  else "default 0: the exchange rate stays at its reference value")
    for name, option in sc.options.items():
        options.of(option).resolve(table, name, option, sc, plans, warnings)
    for name, strategy in sc.strategies.items():
        table.fields(f"strategies.{name}", strategy, ("portability", "overhead_usd_per_month",
                                                       "list_price_discount"))
    for prefix, owner in [(f"options.{n}", o) for n, o in sc.options.items()] + [
            (f"strategies.{n}", s) for n, s in sc.strategies.items()]:
        for k, cost in enumerate(owner.other_costs):
            table.fields(f"{prefix}.other_costs.{k}", cost, ("usd_per_month", "usd_per_mtok",
                                                             "setup_usd"))
    if sc.start is not None:
        start, start_source = sc.start, SCENARIO_SOURCE
    else:
        start = calendar.default_start()
        start_source = f"default: the month after the price snapshot's date ({prices.snapshot_as_of()})"
    scheduled = {}
    for name, option in sc.options.items():
        changes = options.of(option).scheduled(name, option, sc, start, sc.horizon_months)
        if changes:
            scheduled[name] = tuple(changes)
            warnings.extend(f"options.{name}: the catalog's price change of {day} applies from "
                            f"{calendar.shift(start, month)} (x{mult:.3g} per request)"
                            for month, mult, day in changes)
    table.fields("switching", sc.switching, ("engineer_weeks", "usd_per_engineer_week",
                                             "dual_running_months", "dual_running_share",
                                             "one_off_usd"),
                 per_event=("engineer_weeks",))
    if sc.fine_tuning is not None:
        table.fields("fine_tuning", sc.fine_tuning, ("dataset_tokens", "epochs", "eval_usd_per_run",
                                                     "engineer_weeks_per_run"))
    for i, risk in enumerate(sc.risks):
        own = risk.spec.fields
        table.fields(f"risks.{i}", risk, ("annual_probability", *own),
                     per_event=tuple(name for name, spec in own.items() if spec.per_event))
    if sc.risks and "switching" not in sc.model_fields_set and any(
            risk.spec.effects & (risks.Effect.MIGRATE | risks.Effect.EXIT) for risk in sc.risks):
        warnings.append("switching: not given, so forced migrations cost no engineering time")
    if table.usd.used and rate is not None:
        warnings.append(f"currency: the catalogs' US-dollar prices and defaults are converted at "
                        f"{rate.text()}")
    factor = _correlation_factor(sc, table.params)
    usd_priced = tuple(name for name in sc.options if any(
        f"options.{name}.{price}" in table.converted for price in USD_PRICES))
    return Resolved(table.params, plans, tuple(warnings), factor, start, start_source, scheduled,
                    usd_priced)
