"""Self-hosted options: open weights on rented or bought GPUs, sized by the capacity model."""

from __future__ import annotations

from typing import Any

import numpy as np

import tco.capacity as capacity
import tco.catalog as catalog
from tco.capacity import CapacityPlan
from tco.distributions import Z_P90, Lognormal, nominal
from tco.errors import ScenarioError
from tco.options.table import OptionInputs, Table
from tco.schema import Scenario, SelfHostedOption
from tco.units import (
    HOURS_PER_MONTH,
    MONTHS_PER_YEAR,
    SECONDS_PER_HOUR,
    SECONDS_PER_MONTH,
    monthly_log_drift,
    monthly_volatility,
)

RENTED, BOUGHT = 1, 2
"""The kernel's codes for this option kind, by how the GPUs are paid for."""

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


def resolve(table: Table, name: str, o: SelfHostedOption, sc: Scenario,
            plans: dict[str, CapacityPlan], warnings: list[str]) -> None:
    """Plan the replica and add the option's inputs, from the scenario, the catalogs or defaults."""
    prefix = f"options.{name}"
    m = catalog.model(o.model, f"{prefix}.model")
    g = catalog.gpu(o.gpu, f"{prefix}.gpu")
    plans[name] = capacity.plan(model=o.model, gpu=o.gpu, precision=o.precision, gpus=o.gpus,
                                kv_cache_precision=o.kv_cache_precision,
                                serving_engine=o.serving_engine,
                                input_tokens=nominal(sc.workload.input_tokens_per_request),
                                output_tokens=nominal(sc.workload.output_tokens_per_request),
                                max_inter_token_ms=o.max_inter_token_ms, field=prefix)
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
        _purchase(table, prefix, o, g)
    if o.reserved is not None:
        table.add(f"{prefix}.reserved.usd_per_gpu_hour", o.reserved.usd_per_gpu_hour, o.reserved,
                  "usd_per_gpu_hour")
        end = o.reserved.start_month + o.reserved.term_months
        if end > sc.horizon_months:
            warnings.append(f"{prefix}.reserved: the term runs past the horizon (month {end}); "
                            "months after the horizon are not counted")
    if o.autoscale and o.min_replicas < 1:
        warnings.append(f"{prefix}.autoscale: min_replicas is 0, so quiet hours run no replica "
                        "(cold starts are not modelled)")
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
    if o.release_track is not None:
        table.fields(f"{prefix}.release_track", o.release_track, (
            "age_months_at_start", "vetting_delay_months", "upgrade_usd", "lag_tolerance_months",
            "escalation_per_month_of_lag", "escalation_cap"), per_event=("vetting_delay_months",))
        if o.release_track.next_release_month >= sc.horizon_months:
            warnings.append(f"{prefix}.release_track: the next release is planned after the horizon, "
                            "so no upgrade happens")
    if o.fine_tune is not None:
        table.fields(f"{prefix}.fine_tune", o.fine_tune, ("usd_per_mtok_trained", "setup_usd",
                                                           "usd_per_month", "adapter_portability"))
    table.fields(prefix, o, ("price_trend_per_year", "price_volatility_per_year"))
    if nominal(o.target_utilization) > 0.9:
        warnings.append(f"{prefix}.target_utilization: above 0.9 leaves no headroom for bursts")
    if o.tokens_per_second_per_gpu is not None:
        table.add(f"{prefix}.tokens_per_second_per_gpu", o.tokens_per_second_per_gpu, None,
                  "tokens_per_second_per_gpu", "scenario file (measured; overrides the physics model)")
    elif plans[name].throughput_log_sd > 0:
        plan = plans[name]
        # The published points' scatter around the model in this regime, as a per-path factor on
        # throughput: median 1 (the model's value), log-sd the fit half's residual spread.
        spread = Lognormal(1.0, float(np.exp(Z_P90 * plan.throughput_log_sd)))
        table.add(f"{prefix}.throughput_factor", spread, None, "throughput_factor",
                  f"capacity model calibration: residual spread of published {plan.regime} points "
                  f"(log-sd {plan.throughput_log_sd:.3f}); see python -m tco catalog benchmarks",
                  published_as_of())


def licence_test(o: SelfHostedOption) -> tuple[str, str]:
    """When the licence's user threshold is tested, and why: the scenario's ``tested:``, else the
    rule the model's licence text states (the licence catalog quotes the clause), else monthly."""
    if o.licence is not None and o.licence.tested is not None:
        return o.licence.tested, "scenario file"
    rule = catalog.licence_rules().get(catalog.model(o.model).licence)
    if rule is not None:
        return rule.tested, f"{rule.key}: \"{rule.clause}\" ({rule.source}, {rule.as_of})"
    return "monthly", "default: users tested every month (the licence catalog has no rule for " \
                      f"{catalog.model(o.model).licence})"


def published_as_of() -> str:
    """The newest as-of date of the published throughput points the capacity model is fitted to."""
    return max(b.as_of for b in catalog.benchmarks().values())


def _purchase(table: Table, prefix: str, o: SelfHostedOption, g: catalog.Gpu) -> None:
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
    for field_name in ("years", "usd_per_kwh", "pue", "maintenance_share_per_year",
                       "colocation_usd_per_gpu_month"):
        value = getattr(p, field_name)
        if field_name in p.model_fields_set:
            table.add(f"{pre}.{field_name}", value, p, field_name)
        else:
            source, as_of = DEFAULT_SOURCES[f"purchase.{field_name}"]
            table.add(f"{pre}.{field_name}", value, p, field_name, f"default: {source}", as_of)


def fill(rows: Any, j: int, get: OptionInputs, w: dict[str, np.ndarray],
         option: SelfHostedOption, plan: CapacityPlan, profile: tuple[float, ...] | None = None
         ) -> None:
    """Write row ``j`` of the kernel's option inputs; ``get(field)`` is that input per path.

    Notes
    -----
    A replica of G GPUs is busy ``s`` seconds per request (prefill plus its share of decode steps).
    At an hour of relative load h the fleet for L requests a month is
    ceil(L x h x s / (seconds per month x utilisation)) replicas: h is the peak (the hourly
    profile's maximum, else peak_to_average) all month, or each hour of the profile when the
    option autoscales. Rent is 730 h x $/GPU-hour x I(t); reserved GPUs 730 h x the contract
    price; bought GPUs their price once, power (kW x 730 h x $/kWh x PUE) while in service, and
    maintenance (price x share / 12) plus colocation while owned.
    """
    tokens_in, tokens_out = w["input_tokens_per_request"], w["output_tokens_per_request"]
    gpus_per_replica = plan.gpus
    if option.tokens_per_second_per_gpu is not None:
        seconds = tokens_out / (get("tokens_per_second_per_gpu") * gpus_per_replica)
    else:
        seconds = plan.replica_seconds_per_request(tokens_in, tokens_out)
        if plan.throughput_log_sd > 0:
            seconds = seconds / get("throughput_factor")
    utilization = get("target_utilization")
    rows.peak[j] = max(profile) if profile is not None else w["peak_to_average"]
    if option.autoscale and profile is not None:
        rows.autoscale[j] = True
        rows.profile[j] = profile
    if option.purchase is None:
        rows.kind[j] = RENTED
        rows.gpu_month_usd[j] = HOURS_PER_MONTH * get("usd_per_gpu_hour")
        gpu_hour_usd = get("usd_per_gpu_hour")
        if option.reserved is not None:
            r = option.reserved
            rows.reserved_gpus[j] = r.gpus
            rows.reserved_month_usd[j] = r.gpus * HOURS_PER_MONTH * get("reserved.usd_per_gpu_hour")
            rows.reserved_start[j] = r.start_month
            rows.reserved_end[j] = r.start_month + r.term_months
    else:
        rows.kind[j] = BOUGHT
        price = get("purchase.usd_per_gpu")
        rows.gpu_price_usd[j] = price
        rows.life_months[j] = get("purchase.years") * MONTHS_PER_YEAR
        rows.power_month_usd[j] = (get("purchase.kw_per_gpu") * HOURS_PER_MONTH
                                   * get("purchase.usd_per_kwh") * get("purchase.pue"))
        rows.hosting_month_usd[j] = (price * get("purchase.maintenance_share_per_year") / MONTHS_PER_YEAR
                                     + get("purchase.colocation_usd_per_gpu_month"))
        # A GPU-hour of owned hardware, straight-line: for dual running and cost per request.
        gpu_hour_usd = (price / rows.life_months[j] + rows.power_month_usd[j]
                        + rows.hosting_month_usd[j]) / HOURS_PER_MONTH
    rows.indexed[j] = option.purchase is None  # bought hardware: the price was paid up front
    rows.replica_s[j] = seconds
    rows.gpus_per_replica[j] = gpus_per_replica
    rows.min_replicas[j] = option.min_replicas
    rows.unit_usd[j] = seconds * gpus_per_replica / SECONDS_PER_HOUR / utilization * gpu_hour_usd
    rows.load_factor[j] = seconds / (SECONDS_PER_MONTH * utilization)
    rows.ops_month_usd[j] = get("ops_fte") * get("usd_per_fte_year") / MONTHS_PER_YEAR
    parts = range(len(option.missing_components))
    rows.parts_month_usd[j] = sum((get(f"missing_components.{i}.usd_per_month") for i in parts),
                                  np.zeros(1))
    rows.parts_setup_usd[j] = sum((get(f"missing_components.{i}.setup_usd") for i in parts), np.zeros(1))
    rows.setup_usd[j] = get("setup_usd")
    rows.escalation_share[j] = get("escalation_share")
    if option.licence is not None:
        rows.has_licence[j] = True
        rows.licence_threshold[j] = get("licence.mau_threshold")
        rows.licence_fee[j] = get("licence.usd_per_month_above")
        rows.licence_at_release[j] = licence_test(option)[0] == "at_release"
        rows.licence_above_at_start[j] = option.licence.deployed_above_threshold
    track = option.release_track
    if track is not None:
        rows.has_track[j] = True
        rows.age0_months[j] = get("release_track.age_months_at_start")
        rows.upgrade_usd[j] = get("release_track.upgrade_usd")
        rows.lag_tolerance_months[j] = get("release_track.lag_tolerance_months")
        rows.lag_rate[j] = get("release_track.escalation_per_month_of_lag")
        rows.lag_cap[j] = get("release_track.escalation_cap")
    rows.drift[j] = monthly_log_drift(get("price_trend_per_year"))
    rows.sigma[j] = monthly_volatility(get("price_volatility_per_year"))
