"""Self-hosted options: open weights on rented or bought GPUs, sized by the capacity model."""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

import tco.catalog as catalog
from tco.calibration import files as calibration_files
from tco.capacity import REGIME_NAMES, CapacityPlan
from tco.distributions import Z_P90, Lognormal, nominal
from tco.errors import ScenarioError
from tco.fields import (
    MAX_COUNT,
    FieldError,
    GpuHourPrice,
    Model,
    NonNegative,
    Share,
    Staff,
    TrendRate,
    Utilization,
    Volatility,
    YearlyPay,
    positive,
)
from tco.options import procurement, track
from tco.options.base import Control, OptionKind
from tco.options.fine_tune import OwnedFineTune
from tco.options.procurement import Purchase, Reserved
from tco.options.rows import Row
from tco.options.table import OptionInputs, Table
from tco.sections import (
    DOCUMENTED,
    TREND_HELP,
    VOLATILITY_HELP,
    Engine,
    History,
    OtherCosts,
    Precision,
    ReleaseTrack,
    Text,
)
from tco.units import (
    HOURS_PER_MONTH,
    MONTHS_PER_YEAR,
    SECONDS_PER_HOUR,
    SECONDS_PER_MONTH,
    monthly_log_drift,
    monthly_volatility,
)


class MissingComponent(Model):
    """A part of the vendor's product the open release does not include (a safety classifier)."""

    model_config = DOCUMENTED
    name: Text = Field(description="Name of the part the vendor did not open.")
    setup_usd: NonNegative = Field(0.0, description="One-off cost of a part the vendor did not open.")
    usd_per_month: NonNegative = Field(0.0, description="Running cost of a part the vendor did not "
                                       "open.")



LicenceTest = Literal["at_release", "monthly"]


class Licence(Model):
    """A licence fee above a monthly-active-user threshold.

    ``at_release``: users are tested when a version is released (the Llama community licences'
    rule), so a version deployed below the threshold never owes the fee, and a later version
    released after the crossing does from the month you upgrade to it. ``monthly``: users are
    tested every month (custom licences). Left out, the model catalog's rule for the family.
    """

    model_config = DOCUMENTED
    mau_threshold: NonNegative | None = Field(
        None, description="Monthly active users above which the licence charges a fee; "
        "left out, the model catalog's.")
    usd_per_month_above: NonNegative = Field(
        description="Fee the licence charges while users exceed the threshold.")
    tested: LicenceTest | None = Field(
        None, description="When users are tested: 'at_release' (each version's release) or "
        "'monthly'; left out, the model catalog's rule for the family.")
    deployed_above_threshold: bool = Field(
        False, description="at_release: whether the version deployed in month 0 was released "
        "while users were above the threshold (it then owes the fee).")



class SelfHostedOption(Model):
    """An open-weight model served on GPUs you rent, reserve or buy, with the staff to run them."""

    model_config = DOCUMENTED
    kind: Literal["self_hosted"] = Field(
        description="'self_hosted': open weights served on your own GPUs.")
    model: str = Field(description="Open-weight model key in the model catalog (python -m tco "
                       "catalog models).")
    gpu: str = Field(description="GPU key in the GPU catalog (python -m tco catalog gpus).")
    precision: Precision = Field("bf16", description="Number format of the weights: bf16, fp8, fp4 "
                                 "or int4.")
    kv_cache_precision: Precision | None = Field(
        None, description="Number format of the KV cache; left out, the serving precision's "
        "(FP8 weights, FP8 KV).")
    serving_engine: Engine | None = Field(
        None, description="Serving engine whose batching limits size the replica: vllm, sglang or "
        "tensorrt-llm; left out, tensorrt-llm.")
    gpus: int | None = Field(default=None, ge=1, le=64, description="GPUs per replica, the "
                             "tensor-parallel size; left out, the size with the fewest GPU-seconds "
                             "per request that holds the model and meets max_inter_token_ms and "
                             "max_time_to_first_token_ms.")
    usd_per_gpu_hour: GpuHourPrice | None = Field(
        None, description="Hourly price of one rented GPU; left out, the GPU "
        "catalog's typical on-demand price.")
    purchase: Purchase | None = Field(None, description="Buy the GPUs instead of renting them.")
    reserved: Reserved | None = Field(
        None, description="Rented GPUs reserved on a contract, paid whether used or not.")
    autoscale: bool = Field(False, description="On rented GPUs, size the fleet hour by hour to "
                            "follow workload.hourly_profile instead of the busiest hour all month.")
    target_utilization: Utilization = Field(
        description="Share of peak capacity the fleet is planned to use.")
    min_replicas: int = Field(default=1, ge=0, le=MAX_COUNT, description="Fewest replicas while the option "
                              "carries traffic.")
    max_inter_token_ms: float | None = Field(
        default=None, gt=0, le=1e6, description="Slowest acceptable time between generated tokens; "
        "caps the batch size.")
    max_time_to_first_token_ms: float | None = Field(
        default=None, gt=0, le=1e6, description="Slowest acceptable wait for a request's first "
        "token, its prompt prefilled in chunks beside the running batch; caps the batch size.")
    tokens_per_second_per_gpu: float | None = Field(
        default=None, ge=1e-3, le=1e9, description="Measured generation speed that overrides the "
        "physics model.")
    capacity_calibration: str | None = Field(
        default=None, min_length=1, max_length=1000, description="File written by python -m tco "
        "calibrate from your own benchmark runs: it sizes the replica and sets the throughput spread.")
    ops_fte: Staff = Field(description="Full-time people running the self-hosted fleet.")
    usd_per_fte_year: YearlyPay = Field(
        description="Loaded yearly cost of one full-time ops engineer.")
    setup_usd: NonNegative = Field(0.0, description="One-off cost of standing up the self-hosted "
                                   "option.")
    escalation_share: Share = Field(
        0.0, description="Share of requests the self-hosted model hands to the fallback API.")
    missing_components: tuple[MissingComponent, ...] = Field(
        (), description="Parts of the vendor's product the open release does not include, built "
        "or bought separately.")
    licence: Licence | None = Field(None, description="A licence fee above a monthly-active-user "
                                    "threshold; left out, the model catalog's terms.")
    release_track: ReleaseTrack | None = Field(
        None, description="The open-weight family's release schedule, which the option upgrades "
        "along.")
    fine_tune: OwnedFineTune | None = Field(
        None, description="An owned fine-tuning pipeline, priced with the scenario's fine_tuning "
        "section.")
    price_trend_per_year: TrendRate = Field(0.0, description=TREND_HELP)
    price_volatility_per_year: Volatility = Field(0.0, description=VOLATILITY_HELP)
    other_costs: OtherCosts = Field((), description="Named costs of this option beyond GPUs and "
                                    "staff (platform, observability, eval suite).")
    history: History = Field((), description="What the option really was over time, for the "
                             "backtest: a provider and family such as 'meta/llama'.")

    @model_validator(mode="after")
    def _rent_or_buy(self) -> SelfHostedOption:
        if self.usd_per_gpu_hour is not None and self.purchase is not None:
            raise FieldError("purchase", "give usd_per_gpu_hour (rented) or purchase (bought), not both")
        if self.purchase is not None and self.reserved is not None:
            raise FieldError("reserved", "applies to rented GPUs; this option buys them (purchase:)")
        if self.purchase is not None and self.autoscale:
            raise FieldError("autoscale", "applies to rented GPUs; bought GPUs are owned all month")
        if self.capacity_calibration is not None and self.tokens_per_second_per_gpu is not None:
            raise FieldError("capacity_calibration", "give it or tokens_per_second_per_gpu, not both")
        return self

    @property
    def bought(self) -> bool:
        return self.purchase is not None



def resolve(table: Table, name: str, o: SelfHostedOption, sc: Any,
            plans: dict[str, CapacityPlan], warnings: list[str]) -> None:
    """Plan the replica and add the option's inputs, from the scenario, the catalogs or defaults."""
    prefix = f"options.{name}"
    m = catalog.model(o.model, f"{prefix}.model")
    g = catalog.gpu(o.gpu, f"{prefix}.gpu")
    plans[name] = calibration_files.plan(o.capacity_calibration, model=o.model, gpu=o.gpu,
                                         precision=o.precision, gpus=o.gpus,
                                         kv_cache_precision=o.kv_cache_precision,
                                         serving_engine=o.serving_engine,
                                         input_tokens=nominal(sc.workload.input_tokens_per_request),
                                         output_tokens=nominal(sc.workload.output_tokens_per_request),
                                         max_inter_token_ms=o.max_inter_token_ms,
                                         max_time_to_first_token_ms=o.max_time_to_first_token_ms,
                                         field=prefix)
    if o.purchase is None:
        if o.usd_per_gpu_hour is not None:
            table.add(f"{prefix}.usd_per_gpu_hour", o.usd_per_gpu_hour, o, "usd_per_gpu_hour")
        elif g.usd_per_gpu_hour_on_demand_typical is not None:
            table.add(f"{prefix}.usd_per_gpu_hour", g.usd_per_gpu_hour_on_demand_typical, o,
                      "usd_per_gpu_hour", f"GPU catalog ({g.key}): {g.price_source}", g.as_of,
                      usd=True)
        else:
            raise ScenarioError(f"{prefix}.usd_per_gpu_hour", f"is required: the GPU catalog has no "
                                f"rental price for {g.key} (or give purchase:)")
    else:
        procurement.resolve(table, prefix, o, g)
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
    track.resolve(table, prefix, o.release_track, sc, warnings)
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
                  *(calibration_files.spread_source(plan) or (
                      "capacity model calibration: residual spread of published "
                      f"{REGIME_NAMES[plan.regime]} points (log-sd {plan.throughput_log_sd:.3f}); "
                      "see python -m tco catalog benchmarks",
                      published_as_of())))


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


Fleet = namedtuple("Fleet", [
    "replica_s", "load_factor", "peak", "autoscale", "profile", "hour_levels", "hour_level",
    "hour_weight", "gpus_per_replica", "min_replicas",
    "gpu_month_usd", "reserved_gpus", "reserved_month_usd", "reserved_start", "reserved_end",
    "bought", "gpu_price_usd", "life_months", "power_month_usd", "hosting_month_usd",
    "ops_month_usd", "parts_month_usd", "parts_setup_usd", "has_licence", "licence_threshold",
    "licence_fee", "licence_at_release", "licence_above_at_start"])
"""A GPU fleet sized for the load. ``replica_s`` seconds a replica is busy per request;
``load_factor`` turns requests a month into replicas at an hour of average load, ``peak`` the
busiest hour over the average, ``profile`` (options, 24) an autoscaled option's hourly loads (mean
1); ``hour_levels`` how many distinct loads it has, ``hour_level`` those loads, highest first, and
``hour_weight`` the hours at each, so the kernel sizes the fleet once per distinct load. Rented:
the GPU-month's rent at price index 1, and reserved GPUs with their monthly contract price from
``reserved_start`` to before ``reserved_end``. Bought: each GPU's price, life, power and
hosting a month. Then ops staff and missing components a month, and the components' setup.
Weights under a licence owe ``licence_fee`` a month above ``licence_threshold`` monthly active
users: tested each month, or (``licence_at_release``) once per release, the deployed version's
result at the start given by ``licence_above_at_start``."""

FLEET = Row(Fleet, codes={"autoscale": bool, "hour_levels": int, "bought": bool,
                          "gpus_per_replica": float,
                          "min_replicas": float, "reserved_gpus": float, "reserved_start": int,
                          "reserved_end": int, "has_licence": bool, "licence_at_release": bool,
                          "licence_above_at_start": bool},
            ones=("life_months",), shaped={"profile": "hours", "hour_level": "hours",
                                           "hour_weight": "hours"})

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
    rows.fleet.peak[j] = max(profile) if profile is not None else w["peak_to_average"]
    if option.autoscale and profile is not None:
        rows.fleet.autoscale[j] = True
        rows.fleet.profile[j] = profile
        levels, hours = np.unique(np.asarray(profile, dtype=float), return_counts=True)
        rows.fleet.hour_levels[j] = levels.size
        rows.fleet.hour_level[j, :levels.size] = levels[::-1]
        rows.fleet.hour_weight[j, :levels.size] = hours[::-1]
    rows.common.billing[j] = KIND.billing_code
    rows.common.escalates[j] = True
    if option.purchase is None:
        rows.fleet.gpu_month_usd[j] = HOURS_PER_MONTH * get("usd_per_gpu_hour")
        gpu_hour_usd = get("usd_per_gpu_hour")
        if option.reserved is not None:
            r = option.reserved
            rows.fleet.reserved_gpus[j] = r.gpus
            rows.fleet.reserved_month_usd[j] = r.gpus * HOURS_PER_MONTH * get("reserved.usd_per_gpu_hour")
            rows.fleet.reserved_start[j] = r.start_month
            rows.fleet.reserved_end[j] = r.start_month + r.term_months
    else:
        rows.fleet.bought[j] = True
        price = get("purchase.usd_per_gpu")
        rows.fleet.gpu_price_usd[j] = price
        rows.fleet.life_months[j] = get("purchase.years") * MONTHS_PER_YEAR
        rows.fleet.power_month_usd[j] = (get("purchase.kw_per_gpu") * HOURS_PER_MONTH
                                         * get("purchase.usd_per_kwh") * get("purchase.pue"))
        rows.fleet.hosting_month_usd[j] = (price * get("purchase.maintenance_share_per_year")
                                           / MONTHS_PER_YEAR + get("purchase.colocation_usd_per_gpu_month"))
        # A GPU-hour of owned hardware, straight-line: for dual running and cost per request.
        gpu_hour_usd = (price / rows.fleet.life_months[j] + rows.fleet.power_month_usd[j]
                        + rows.fleet.hosting_month_usd[j]) / HOURS_PER_MONTH
    rows.common.indexed[j] = option.purchase is None  # bought hardware: the price was paid up front
    rows.fleet.replica_s[j] = seconds
    rows.fleet.gpus_per_replica[j] = gpus_per_replica
    rows.fleet.min_replicas[j] = option.min_replicas
    rows.common.unit_usd[j] = seconds * gpus_per_replica / SECONDS_PER_HOUR / utilization * gpu_hour_usd
    rows.fleet.load_factor[j] = seconds / (SECONDS_PER_MONTH * utilization)
    rows.fleet.ops_month_usd[j] = get("ops_fte") * get("usd_per_fte_year") / MONTHS_PER_YEAR
    parts = range(len(option.missing_components))
    rows.fleet.parts_month_usd[j] = sum((get(f"missing_components.{i}.usd_per_month") for i in parts),
                                        np.zeros(1))
    rows.fleet.parts_setup_usd[j] = sum((get(f"missing_components.{i}.setup_usd") for i in parts),
                                        np.zeros(1))
    rows.common.setup_usd[j] = get("setup_usd")
    rows.common.escalation_share[j] = get("escalation_share")
    if option.licence is not None:
        rows.fleet.has_licence[j] = True
        rows.fleet.licence_threshold[j] = get("licence.mau_threshold")
        rows.fleet.licence_fee[j] = get("licence.usd_per_month_above")
        rows.fleet.licence_at_release[j] = licence_test(option)[0] == "at_release"
        rows.fleet.licence_above_at_start[j] = option.licence.deployed_above_threshold
    track.fill(rows, j, get, option.release_track)
    rows.common.drift[j] = monthly_log_drift(get("price_trend_per_year"))
    rows.common.sigma[j] = monthly_volatility(get("price_volatility_per_year"))


def describe(o: SelfHostedOption) -> str:
    return f"self-hosted {o.model} on {o.gpu}"


def check(name: str, o: SelfHostedOption, sc: Any) -> None:
    """Rules tying the option to the workload and the horizon."""
    if o.autoscale and sc.workload.hourly_profile is None:
        raise FieldError(f"options.{name}.autoscale", "needs workload.hourly_profile (24 "
                         "relative loads) to follow", absolute=True)
    if o.reserved is not None and o.reserved.start_month >= sc.horizon_months:
        raise FieldError(f"options.{name}.reserved.start_month", f"must be less than "
                         f"horizon_months ({sc.horizon_months})", absolute=True)


KIND = OptionKind(
    name="self_hosted", label="Self-hosted open weights", one="a self-hosted option",
    plural="self-hosted options", model=SelfHostedOption, billing="fleet", resolve=resolve,
    fill=fill, rows=("common", "fleet", "track"), describe=describe, history="families",
    controls=(Control("usd_per_gpu_hour", "number", 1, 0.01, None, 0.05, "%.2f"),
              Control("purchase.usd_per_gpu", "number", 1, 1, None, 1000, "%d"),
              Control("target_utilization", "slider", 100, 5, 100, 5, "%d"),
              Control("ops_fte", "number", 1, 0, None, 0.25, "%.2f")),
    check=check, weights=lambda o: o.model, track=lambda o: o.release_track,
    reservation=lambda o: o.reserved, parts=lambda o: o.missing_components,
    fee_at_release=lambda o: o.licence is not None and licence_test(o)[0] == "at_release",
    sends_to_fallback=lambda o: positive(o.escalation_share),
    family=track.family)  # no vendor: you serve the weights, so an exit is the option's own fact
