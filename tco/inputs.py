"""Resolve a scenario into the flat table of numeric inputs the kernel reads.

Every numeric input of a run, whether written in the scenario, filled from a catalog, or a
documented default, becomes one ``Param`` with its dotted path, unit, source and as-of date. The
same table drives the kernel's input arrays, the sampler (its distribution-valued rows), the
tornado (every row), the app's assumptions view and the deck's appendix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tco import capacity, catalog, prices
from tco.capacity import CapacityPlan
from tco.distributions import Distribution, nominal
from tco.errors import ScenarioError
from tco.scenario import ApiOption, Bounds, Scenario, SelfHostedOption

SCENARIO_SOURCE = "scenario file"

AVERAGE_DRAW_SHARE = 0.75
"""Average server draw as a share of its maximum under sustained AI load (Epoch AI energy.py)."""

DEFAULT_SOURCES = {
    "purchase.usd_per_kwh": ("US industrial electricity average 2023, EIA Electric Power Monthly "
                             "table 5.6.a (via Epoch AI)", "2023-12-31"),
    "purchase.pue": ("Uptime Institute Global Data Center Survey 2025, global average PUE",
                     "2025-07-01"),
    "purchase.years": ("useful life of AI servers, about 5 years (Amazon 10-K 2025; theCUBE Research)",
                       "2025-02-01"),
}


@dataclass(frozen=True)
class Param:
    """One numeric input: where it lives in the scenario, its value and where that came from."""

    path: str
    value: float | Distribution
    unit: str
    source: str
    as_of: str | None = None
    bounds: Bounds = Bounds()
    per_event: bool = False
    """Drawn afresh for every event (impacts, migration effort) rather than once per path."""

    @property
    def uncertain(self) -> bool:
        return isinstance(self.value, Distribution)

    @property
    def nominal(self) -> float:
        return nominal(self.value)


@dataclass(frozen=True)
class Resolved:
    """A scenario with catalogs resolved: the parameter table, capacity plans and warnings."""

    params: dict[str, Param]
    plans: dict[str, CapacityPlan]
    gpus_per_replica: dict[str, int]
    warnings: tuple[str, ...] = field(default=())

    def impact(self, risk_index: int) -> Param | None:
        """The per-event price impact of a risk: its multiplier or successor multiplier, if any."""
        return (self.params.get(f"risks.{risk_index}.multiplier")
                or self.params.get(f"risks.{risk_index}.successor_price_multiplier"))

    @property
    def sampled(self) -> list[Param]:
        """Distribution-valued inputs sampled once per path, in scenario order."""
        return [p for p in self.params.values() if p.uncertain and not p.per_event]


def _unit(name: str) -> str:
    for suffix, unit in (
        ("_usd_per_mtok", "USD per 1M tokens"), ("usd_per_gpu_hour", "USD per GPU-hour"),
        ("usd_per_fte_year", "USD per FTE-year"), ("usd_per_engineer_week", "USD per engineer-week"),
        ("usd_per_month_above", "USD per month"), ("usd_per_month", "USD per month"),
        ("usd_per_gpu", "USD per GPU"), ("usd_per_kwh", "USD per kWh"),
        ("tokens_per_request", "tokens per request"), ("requests_per_month", "requests per month"),
        ("tokens_per_second_per_gpu", "output tokens/s per GPU"),
        ("_months", "months"), ("years", "years"), ("kw_per_gpu", "kW per GPU"), ("pue", "ratio"),
        ("ops_fte", "FTE"), ("engineer_weeks", "engineer-weeks per migration"),
        ("monthly_active_users", "users"), ("mau_threshold", "users"), ("peak_to_average", "ratio"),
        ("target_utilization", "fraction 0-1"), ("portability", "fraction 0-1"),
        ("batch_discount", "fraction 0-1"), ("annual_probability", "probability per year"),
        ("escalation_cap", "fraction 0-1"), ("_multiplier", "multiplier"), ("multiplier", "multiplier"),
        ("_usd", "USD"), ("_per_year", "fraction per year"), ("_per_month", "fraction per month"),
        ("_share", "fraction 0-1"),
    ):
        if name.endswith(suffix):
            return unit
    return ""


def _bounds_of(model: Any, name: str) -> Bounds:
    info = type(model).model_fields.get(name)
    if info is not None:
        for meta in info.metadata:
            if isinstance(meta, Bounds):
                return meta
        annotation = info.annotation
        for arg in getattr(annotation, "__args__", ()) or ():
            for meta in getattr(arg, "__metadata__", ()) or ():
                if isinstance(meta, Bounds):
                    return meta
    return Bounds()


class _Table:
    def __init__(self, comments: dict[str, str] | None = None) -> None:
        self.params: dict[str, Param] = {}
        self.comments = comments or {}

    def add(self, path: str, value: float | Distribution, model: Any = None, name: str = "",
            source: str = SCENARIO_SOURCE, as_of: str | None = None, per_event: bool = False) -> None:
        name = name or path.rsplit(".", 1)[-1]
        bounds = _bounds_of(model, name) if model is not None else Bounds()
        if source == SCENARIO_SOURCE and path in self.comments:
            source = f"{SCENARIO_SOURCE}: {self.comments[path]}"
        self.params[path] = Param(path, value, _unit(name), source, as_of, bounds, per_event)

    def fields(self, prefix: str, model: Any, names: tuple[str, ...], per_event: tuple[str, ...] = ()
               ) -> None:
        for name in names:
            value = getattr(model, name)
            if value is not None:
                source = (SCENARIO_SOURCE if name in model.model_fields_set
                          else "default (not set in the scenario)")
                self.add(f"{prefix}.{name}", value, model, name, source, per_event=name in per_event)


def _api(table: _Table, name: str, o: ApiOption, sc: Scenario, warnings: list[str]) -> None:
    prefix = f"options.{name}"
    price = None
    if o.catalog is not None:
        price = prices.lookup(o.catalog, nominal(sc.workload.input_tokens_per_request),
                              nominal(sc.workload.output_tokens_per_request), f"{prefix}.catalog")
        warnings.extend(f"{prefix}: {price.key} has a {change}" for change in price.scheduled_changes)
    for field_name, catalog_attr in (("input_usd_per_mtok", "input_usd_per_mtok"),
                                     ("cached_input_usd_per_mtok", "cached_input_usd_per_mtok"),
                                     ("output_usd_per_mtok", "output_usd_per_mtok"),
                                     ("batch_discount", "batch_discount")):
        value = getattr(o, field_name)
        if value is not None:
            table.add(f"{prefix}.{field_name}", value, o, field_name)
        elif price is not None:
            table.add(f"{prefix}.{field_name}", getattr(price, catalog_attr), o, field_name,
                      f"{price.key}: {price.source}", price.as_of)
        elif field_name == "cached_input_usd_per_mtok":
            table.add(f"{prefix}.{field_name}", o.input_usd_per_mtok, o, field_name,  # type: ignore[arg-type]
                      "no cached price given: cached input billed at the input price")
        else:
            table.add(f"{prefix}.{field_name}", 0.0, o, field_name, "default 0: no batch discount")
    table.fields(prefix, o, ("price_trend_per_year", "price_volatility_per_year"))


def _self_hosted(table: _Table, name: str, o: SelfHostedOption, sc: Scenario,
                 plans: dict[str, CapacityPlan], replica: dict[str, int], warnings: list[str]) -> None:
    prefix = f"options.{name}"
    m = catalog.model(o.model, f"{prefix}.model")
    g = catalog.gpu(o.gpu, f"{prefix}.gpu")
    plan = capacity.plan(model=o.model, gpu=o.gpu, precision=o.precision, gpus=None,
                         input_tokens=nominal(sc.workload.input_tokens_per_request),
                         output_tokens=nominal(sc.workload.output_tokens_per_request),
                         max_inter_token_ms=o.max_inter_token_ms, field=prefix)
    plans[name] = plan
    replica[name] = plan.gpus
    if o.purchase is None:
        if o.usd_per_gpu_hour is not None:
            table.add(f"{prefix}.usd_per_gpu_hour", o.usd_per_gpu_hour, o, "usd_per_gpu_hour")
        elif g.usd_per_gpu_hour_on_demand_typical is not None:
            table.add(f"{prefix}.usd_per_gpu_hour", g.usd_per_gpu_hour_on_demand_typical, o,
                      "usd_per_gpu_hour", f"GPU catalog ({g.key}): {g.price_source}", g.as_of)
        else:
            raise ScenarioError(f"{prefix}.usd_per_gpu_hour", f"is required: the GPU catalog has no "
                                f"rental price for {g.key} (or give purchase:)")
    else:
        p = o.purchase
        pre = f"{prefix}.purchase"
        if p.usd_per_gpu is not None:
            table.add(f"{pre}.usd_per_gpu", p.usd_per_gpu, p, "usd_per_gpu")
        elif g.purchase_usd_per_gpu is not None:
            table.add(f"{pre}.usd_per_gpu", g.purchase_usd_per_gpu, p, "usd_per_gpu",
                      f"GPU catalog ({g.key}): {g.price_source}", g.as_of)
        else:
            raise ScenarioError(f"{pre}.usd_per_gpu", f"is required: the GPU catalog has no purchase "
                                f"price for {g.key}")
        if p.kw_per_gpu is not None:
            table.add(f"{pre}.kw_per_gpu", p.kw_per_gpu, p, "kw_per_gpu")
        else:
            table.add(f"{pre}.kw_per_gpu", round(g.server_kw_per_gpu * AVERAGE_DRAW_SHARE, 6), p,
                      "kw_per_gpu", f"GPU catalog ({g.key}) server power per GPU x "
                      f"{AVERAGE_DRAW_SHARE} average draw (Epoch AI): {g.spec_source}", g.as_of)
        for field_name in ("years", "usd_per_kwh", "pue"):
            value = getattr(p, field_name)
            if field_name in p.model_fields_set:
                table.add(f"{pre}.{field_name}", value, p, field_name)
            else:
                source, as_of = DEFAULT_SOURCES[f"purchase.{field_name}"]
                table.add(f"{pre}.{field_name}", value, p, field_name, f"default: {source}", as_of)
    table.fields(prefix, o, ("target_utilization", "ops_fte", "usd_per_fte_year", "setup_usd",
                             "escalation_share"))
    for i, component in enumerate(o.missing_components):
        table.fields(f"{prefix}.missing_components.{i}", component, ("setup_usd", "usd_per_month"))
    if o.licence is not None:
        lic = o.licence
        if lic.mau_threshold is not None:
            table.add(f"{prefix}.licence.mau_threshold", lic.mau_threshold, lic, "mau_threshold")
        elif m.mau_threshold is not None:
            table.add(f"{prefix}.licence.mau_threshold", float(m.mau_threshold), lic, "mau_threshold",
                      f"model catalog ({m.key}): {m.licence}", m.as_of)
        else:
            raise ScenarioError(f"{prefix}.licence.mau_threshold", f"is required: {m.key}'s licence "
                                f"({m.licence}) has no user threshold")
        table.add(f"{prefix}.licence.usd_per_month_above", lic.usd_per_month_above, lic,
                  "usd_per_month_above")
        if sc.workload.monthly_active_users is None:
            warnings.append(f"{prefix}.licence: workload.monthly_active_users is not set, so the "
                            "licence threshold never applies")
    table.fields(prefix, o, ("price_trend_per_year", "price_volatility_per_year"))
    if nominal(o.target_utilization) > 0.9:
        warnings.append(f"{prefix}.target_utilization: above 0.9 leaves no headroom for bursts")
    if o.tokens_per_second_per_gpu is not None:
        table.add(f"{prefix}.tokens_per_second_per_gpu", o.tokens_per_second_per_gpu, None,
                  "tokens_per_second_per_gpu", "scenario file (measured; overrides the physics model)")


def resolve(sc: Scenario) -> Resolved:
    """Resolve catalogs, plan capacity and build the parameter table (cached on the scenario)."""
    cached = sc.__pydantic_private__.get("_resolved") if sc.__pydantic_private__ else None
    if cached is not None:
        return cached
    from tco.scenario import comments_of  # noqa: PLC0415 - scenario imports this module lazily

    table = _Table(comments_of(sc))
    warnings: list[str] = []
    plans: dict[str, CapacityPlan] = {}
    replica: dict[str, int] = {}
    w = sc.workload
    table.fields("workload", w, ("requests_per_month", "input_tokens_per_request",
                                 "output_tokens_per_request", "cached_input_share", "batchable_share",
                                 "growth_per_month", "peak_to_average", "monthly_active_users",
                                 "mau_growth_per_month"))
    table.add("discount_rate_per_year", sc.discount_rate_per_year, sc, "discount_rate_per_year",
              SCENARIO_SOURCE if "discount_rate_per_year" in sc.model_fields_set else "default 0")
    for name, option in sc.options.items():
        if isinstance(option, ApiOption):
            _api(table, name, option, sc, warnings)
        else:
            _self_hosted(table, name, option, sc, plans, replica, warnings)
    for name, strategy in sc.strategies.items():
        table.fields(f"strategies.{name}", strategy, ("portability", "overhead_usd_per_month"))
    table.fields("switching", sc.switching, ("engineer_weeks", "usd_per_engineer_week",
                                             "dual_running_months", "one_off_usd"),
                 per_event=("engineer_weeks",))
    for i, risk in enumerate(sc.risks):
        table.fields(f"risks.{i}", risk, ("annual_probability", "multiplier",
                                          "successor_price_multiplier", "escalation_per_month",
                                          "escalation_cap"),
                     per_event=("multiplier", "successor_price_multiplier"))
    if sc.risks and "switching" not in sc.model_fields_set and any(
            r.kind in ("deprecation", "exit") for r in sc.risks):
        warnings.append("switching: not given, so forced migrations cost no engineering time")
    params = table.params
    for i, corr in enumerate(sc.correlations):
        for path in corr.between:
            p = params.get(path)
            if p is None:
                raise ScenarioError(f"correlations.{i}.between", f"'{path}' is not a numeric input "
                                    "of this scenario")
            if not p.uncertain or p.per_event:
                raise ScenarioError(f"correlations.{i}.between", f"'{path}' must be a distribution "
                                    "sampled once per path")
    resolved = Resolved(params, plans, replica, tuple(warnings))
    if sc.correlations:
        from tco.sampling import correlation_factor  # noqa: PLC0415 - sampling imports this module

        correlation_factor(sc, resolved)
    sc.__pydantic_private__["_resolved"] = resolved
    return resolved
