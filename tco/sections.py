"""Scenario sections: the workload and the option kinds' models, with their own field rules.

``tco.schema`` assembles them into a ``Scenario`` with the rules that tie sections together.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

import tco.fields as fields
from tco.distributions import Distribution
from tco.fields import (
    MAX_HORIZON_MONTHS,
    Bounds,
    PeakToAverage,
    Requests,
    TokensPerRequest,
    Users,
    FieldError,
    GrowthRate,
    Model,
    NonNegative,
    Positive,
    Share,
    TrendRate,
    positive,
    quantity,
)


Text = fields.Name
"""A name shown in one line (``tco.fields.Name``): visible characters, not blank, at most 200."""
Prose = fields.Prose
"""A paragraph (``tco.fields.Prose``): visible characters, new lines and tabs, at most 5,000."""

OPTION_KINDS = {"api": ("an API", "API options"), "self_hosted": ("a self-hosted option",
                                                                  "self-hosted options")}
"""Option kinds with how rules name one of them and all of them."""

Precision = Literal["bf16", "fp8", "fp4", "int4"]
Engine = Literal["vllm", "sglang", "tensorrt-llm"]
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
HOURS_PER_DAY = 24


def with_rules(schema: dict[str, Any], model: type[Model]) -> None:
    """Append a number-or-distribution field's rule to its description in the JSON Schema: the
    field's description replaces its type's ('A number or a distribution; must be at least 0.'),
    the only place the schema states the bounds (optional fields keep it inside ``anyOf``)."""
    for name, field in model.model_fields.items():
        bounds = next((m for m in field.metadata if isinstance(m, Bounds)), None)
        prop = schema.get("properties", {}).get(name)
        if bounds is not None and prop is not None and field.description:
            prop["description"] = f"{field.description} A number or a distribution; {bounds.rule()}."


DOCUMENTED = ConfigDict(json_schema_extra=with_rules)
"""The config of every section: descriptions with the bounds of their numbers (``with_rules``)."""


class OtherCost(Model):
    """A named cost line of an option or a strategy (platform staff, observability, eval suite)."""

    model_config = DOCUMENTED
    name: Annotated[Text, Field(min_length=1, max_length=60)] = Field(
        description="Name of the cost line, shown in charts and exports; not a built-in line's name.")
    usd_per_month: NonNegative = Field(0.0, description="A named cost paid every month the owner "
                                       "is in use ($ per month).")
    usd_per_mtok: NonNegative = Field(0.0, description="A named cost per million tokens the owner "
                                      "serves ($ per 1M tokens).")
    setup_usd: NonNegative = Field(0.0, description="A named one-off cost in the owner's first month "
                                   "of use ($).")


OtherCosts = tuple[OtherCost, ...]
TREND_HELP = "Expected yearly drift of the option's prices; negative is cheaper (fraction per year)."
VOLATILITY_HELP = "Yearly standard deviation of random price moves around the trend (fraction per year)."

History = tuple[Annotated[Text, Field(min_length=1, max_length=120)], ...]
"""What the option really was over time, for the backtest: a chain of successive models
(``openai/gpt-4o-2024-05-13``) or a provider and family for open weights (``meta/llama``)."""


class Workload(Model):
    """The traffic every strategy serves: requests, their tokens, and how they grow."""

    model_config = DOCUMENTED
    requests_per_month: Requests = Field(description="Requests served in month 0, before growth.")
    input_tokens_per_request: TokensPerRequest = Field(
        description="Prompt tokens sent with each request, context included.")
    output_tokens_per_request: TokensPerRequest = Field(
        description="Tokens generated in answer to each request.")
    cached_input_share: Share = Field(
        0.0, description="Share of input tokens billed at the cached-input price (fraction 0-1).")
    batchable_share: Share = Field(0.0, description="Share of requests that can wait for a batch API "
                                   "and its discount (fraction 0-1).")
    growth_per_month: GrowthRate = Field(
        0.0, description="Compound monthly growth of the request volume (fraction per month).")
    peak_to_average: PeakToAverage = Field(
        1.0, description="Peak load over average load; self-hosted fleets are sized for the peak.")
    monthly_active_users: Users | None = Field(
        None, description="Users in month 0, compared with licence user thresholds.")
    mau_growth_per_month: GrowthRate = Field(
        0.0, description="Compound monthly growth of monthly active users (fraction per month).")
    hourly_profile: tuple[float, ...] | None = Field(
        None, description=f"{HOURS_PER_DAY} relative loads, one per hour of the day (normalised to "
        "mean 1), that autoscaled fleets follow.")
    long_context_share: Share = Field(0.0, description="Share of requests priced as long-context "
                                      "requests (their own input length and price tier).")
    long_context_input_tokens: TokensPerRequest | None = Field(
        None, description="Input tokens of a representative long-context request; required when "
        "long_context_share is above 0.")
    cache_write_share: Share = Field(0.0, description="Share of input tokens written to the prompt "
                                     "cache, billed at the cache-write price.")

    @field_validator("hourly_profile")
    @classmethod
    def _profile(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is None:
            return None
        if len(value) != HOURS_PER_DAY:
            raise ValueError(f"must list {HOURS_PER_DAY} hourly loads, got {len(value)}")
        if any(not 0.0 <= v <= 1e6 for v in value) or sum(value) <= 0.0:
            raise ValueError("loads must be between 0 and 1e6, and not all 0")
        return value

    @model_validator(mode="after")
    def _long_context(self) -> Workload:
        if positive(self.long_context_share) and self.long_context_input_tokens is None:
            raise FieldError("long_context_input_tokens", "is required when long_context_share "
                             "is above 0")
        if _highest(self.cached_input_share) + _highest(self.cache_write_share) > 1.0:
            raise FieldError("cache_write_share", "plus cached_input_share must be at most 1 (both "
                             "are shares of the input tokens)")
        return self

    @property
    def profile(self) -> tuple[float, ...] | None:
        """The hourly profile normalised to mean 1 (None when not given)."""
        if self.hourly_profile is None:
            return None
        mean = sum(self.hourly_profile) / HOURS_PER_DAY
        return tuple(v / mean for v in self.hourly_profile)


def _highest(value: float | Distribution) -> float:
    return value.bounds[1] if isinstance(value, Distribution) else value


class FineTuning(Model):
    """The scenario's fine-tuning work: one run trains ``dataset_tokens`` x ``epochs`` tokens,
    then evaluates and ships it (engineer weeks priced at switching.usd_per_engineer_week)."""

    model_config = DOCUMENTED
    dataset_tokens: NonNegative = Field(description="Tokens in the fine-tuning dataset.")
    epochs: Positive = Field(1.0, description="Passes over the dataset per run.")
    retrain_every_months: int = Field(default=12, ge=1, le=MAX_HORIZON_MONTHS,
                                      description="Months between fine-tune runs (months).")
    eval_usd_per_run: NonNegative = Field(0.0, description="Evaluation cost of each fine-tune run ($).")
    engineer_weeks_per_run: NonNegative = Field(
        0.0, description="Engineering time of each fine-tune run, priced at the switching "
        "engineer-week price (engineer-weeks).")


class Commitment(Model):
    """An API enterprise commitment: a monthly minimum for a discount, owed for its term."""

    model_config = DOCUMENTED
    usd_per_month: NonNegative = Field(description="Monthly minimum of an API commitment, owed for "
                                       "its term even after an exit ($ per month).")
    discount: Share = Field(0.0, description="Discount on list prices during the commitment's term "
                            "(fraction 0-1).")
    term_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS,
                             description="Length of the commitment from month 0 (months).")


class ApiOption(Model):
    """A closed model bought per token from a vendor's API."""

    model_config = DOCUMENTED
    kind: Literal["api"] = Field(description="'api': a model bought per token from a vendor.")
    catalog: str | None = Field(
        None, description="'provider/model' in the genai-prices snapshot (python -m tco catalog "
        "prices); supplies every price left out here.")
    input_usd_per_mtok: NonNegative | None = Field(None, description="List price of a million prompt "
                                                   "tokens ($ per 1M tokens); required without catalog.")
    cached_input_usd_per_mtok: NonNegative | None = Field(
        None, description="Price of a million prompt tokens served from cache ($ per 1M tokens).")
    output_usd_per_mtok: NonNegative | None = Field(None, description="List price of a million "
                                                    "generated tokens ($ per 1M tokens); required "
                                                    "without catalog.")
    cache_write_usd_per_mtok: NonNegative | None = Field(
        None, description="Price of a million prompt tokens written to cache ($ per 1M tokens).")
    long_context_input_usd_per_mtok: NonNegative | None = Field(
        None, description="Input price of a long-context request (its tier) ($ per 1M tokens).")
    long_context_cached_input_usd_per_mtok: NonNegative | None = Field(
        None, description="Cached-input price of a long-context request (its tier; $ per 1M tokens).")
    long_context_output_usd_per_mtok: NonNegative | None = Field(
        None, description="Output price of a long-context request (its tier) ($ per 1M tokens).")
    batch_discount: Share | None = Field(
        None, description="Discount the vendor gives on batchable requests (fraction 0-1).")
    price_trend_per_year: TrendRate = Field(0.0, description=TREND_HELP)
    price_volatility_per_year: NonNegative = Field(0.0, description=VOLATILITY_HELP)
    commitment: Commitment | None = Field(
        None, description="An enterprise commitment: a monthly minimum for a discount.")
    fine_tune: VendorFineTune | None = Field(
        None, description="The vendor's fine-tuning service, priced with the scenario's "
        "fine_tuning section.")
    other_costs: OtherCosts = Field((), description="Named costs of this option beyond its token "
                                    "prices (platform staff, observability).")
    history: History = Field((), description="What the option really was over time, for the "
                             "backtest: successive 'provider/model' ids.")

    @model_validator(mode="after")
    def _prices_known(self) -> ApiOption:
        if self.catalog is None:
            for name in ("input_usd_per_mtok", "output_usd_per_mtok"):
                if getattr(self, name) is None:
                    raise FieldError(name, "is required when no catalog: entry is given")
        return self


class Purchase(Model):
    """Bought GPUs: paid up front, then power, maintenance and colocation while owned."""

    model_config = DOCUMENTED
    usd_per_gpu: Positive | None = Field(
        None, description="Price of one bought GPU with its share of the server ($ per GPU); left "
        "out, the GPU catalog's.")
    years: Positive = Field(5.0, description="Years over which a bought GPU's price is spread "
                            "(years).")
    kw_per_gpu: NonNegative | None = Field(
        None, description="Average electrical draw of one GPU with its server share (kW per GPU); "
        "left out, 75% of the GPU catalog's server power per GPU.")
    usd_per_kwh: NonNegative = Field(0.0806, description="Price of a kilowatt-hour of electricity "
                                     "($ per kWh).")
    pue: quantity(ge=1.0) = Field(1.54, description="Power usage effectiveness: facility power over "
                                  "IT power, cooling and losses on top of the GPUs (ratio).")
    maintenance_share_per_year: Share = Field(
        0.0, description="Support and spares per year, as a share of the purchase price, on owned "
        "GPUs (fraction of price per year).")
    colocation_usd_per_gpu_month: NonNegative = Field(
        0.0, description="Rack space and hosting of one owned GPU for one month ($ per GPU-month).")


class Reserved(Model):
    """Reserved GPUs: a contract paid whether used or not, at a fixed price for its term."""

    model_config = DOCUMENTED
    gpus: int = Field(ge=1, le=1_000_000, description="GPUs reserved for the term (GPUs).")
    usd_per_gpu_hour: Positive = Field(description="Contract price of a reserved GPU, paid for every "
                                       "hour of the term ($ per GPU-hour).")
    term_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS, description="Length of the contract "
                             "(months).")
    start_month: int = Field(default=0, ge=0, le=MAX_HORIZON_MONTHS,
                             description="Month the contract starts (0 = first month).")


class MissingComponent(Model):
    """A part of the vendor's product the open release does not include (a safety classifier)."""

    model_config = DOCUMENTED
    name: Text = Field(description="Name of the part the vendor did not open.")
    setup_usd: NonNegative = Field(0.0, description="One-off cost of a part the vendor did not open "
                                   "($).")
    usd_per_month: NonNegative = Field(0.0, description="Running cost of a part the vendor did not "
                                       "open ($ per month).")


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
        None, description="Monthly active users above which the licence charges a fee (users); "
        "left out, the model catalog's.")
    usd_per_month_above: NonNegative = Field(
        description="Fee the licence charges while users exceed the threshold ($ per month).")
    tested: LicenceTest | None = Field(
        None, description="When users are tested: 'at_release' (each version's release) or "
        "'monthly'; left out, the model catalog's rule for the family.")
    deployed_above_threshold: bool = Field(
        False, description="at_release: whether the version deployed in month 0 was released "
        "while users were above the threshold (it then owes the fee).")


class ReleaseTrack(Model):
    """The open-weight family's release schedule: release j is planned for
    next_release_month + (j - 1) x cadence_months and arrives after a vetting delay drawn afresh
    for each release; the option upgrades when one arrives."""

    model_config = DOCUMENTED
    age_months_at_start: NonNegative = Field(
        0.0, description="Age of the deployed open weights in month 0 (months).")
    next_release_month: int = Field(ge=0, le=MAX_HORIZON_MONTHS,
                                    description="Month the family's next release is planned for "
                                    "(0 = first month).")
    cadence_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS,
                                description="Months between planned releases (months).")
    vetting_delay_months: NonNegative = Field(
        0.0, description="Delay of each planned open release for safety vetting, drawn afresh per "
        "release (months).")
    upgrade_usd: NonNegative = Field(0.0, description="Evals and rollout to move to a new release, "
                                     "before portability ($).")
    lag_tolerance_months: NonNegative = Field(
        0.0, description="Age up to which the weights serve as well as on day one (months).")
    escalation_per_month_of_lag: Share = Field(
        0.0, description="Extra share of requests sent to the fallback per month the weights are "
        "older than the tolerance (fraction per month).")
    escalation_cap: Share = Field(1.0, description="Largest share the weights' age can push to the "
                                  "fallback (fraction 0-1).")


class OwnedFineTune(Model):
    """An owned fine-tuning pipeline on a self-hosted option."""

    model_config = DOCUMENTED
    usd_per_mtok_trained: NonNegative = Field(
        description="Training cost per million tokens trained ($ per 1M tokens trained).")
    setup_usd: NonNegative = Field(0.0, description="One-off cost to stand up the owned pipeline "
                                   "($).")
    usd_per_month: NonNegative = Field(0.0, description="Monthly cost of the owned pipeline while in "
                                       "use ($ per month).")
    adapter_portability: Share = Field(
        0.0, description="Share of training a release upgrade within the family saves (adapters "
        "carried over; fraction 0-1).")


class VendorFineTune(Model):
    """A vendor's fine-tuning service on an API option."""

    model_config = DOCUMENTED
    usd_per_mtok_trained: NonNegative = Field(
        description="Training cost per million tokens trained ($ per 1M tokens trained).")
    hosting_usd_per_hour: NonNegative = Field(
        0.0, description="Vendor's hourly fee to host the fine-tuned model ($ per hour).")
    price_multiplier: quantity(ge=0.0, le=1e3) = Field(
        1.0, description="Token price of the fine-tuned model over the base model's (multiplier).")
    traffic_share: Share = Field(1.0, description="Share of the option's traffic served by the "
                                 "fine-tuned model (fraction 0-1).")


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
                             "per request that holds the model and meets max_inter_token_ms.")
    usd_per_gpu_hour: Positive | None = Field(
        None, description="Hourly price of one rented GPU ($ per GPU-hour); left out, the GPU "
        "catalog's typical on-demand price.")
    purchase: Purchase | None = Field(None, description="Buy the GPUs instead of renting them.")
    reserved: Reserved | None = Field(
        None, description="Rented GPUs reserved on a contract, paid whether used or not.")
    autoscale: bool = Field(False, description="On rented GPUs, size the fleet hour by hour to "
                            "follow workload.hourly_profile instead of the busiest hour all month.")
    target_utilization: quantity(gt=0.0, le=1.0) = Field(
        description="Share of peak capacity the fleet is planned to use (fraction 0-1).")
    min_replicas: int = Field(default=1, ge=0, description="Fewest replicas while the option "
                              "carries traffic (replicas).")
    max_inter_token_ms: float | None = Field(
        default=None, gt=0, le=1e6, description="Slowest acceptable time between generated tokens; "
        "caps the batch size (milliseconds).")
    tokens_per_second_per_gpu: float | None = Field(
        default=None, ge=1e-3, le=1e9, description="Measured generation speed that overrides the "
        "physics model (output tokens/s per GPU).")
    ops_fte: NonNegative = Field(description="Full-time people running the self-hosted fleet (FTE).")
    usd_per_fte_year: NonNegative = Field(
        description="Loaded yearly cost of one full-time ops engineer ($ per FTE-year).")
    setup_usd: NonNegative = Field(0.0, description="One-off cost of standing up the self-hosted "
                                   "option ($).")
    escalation_share: Share = Field(
        0.0, description="Share of requests the self-hosted model hands to the fallback API "
        "(fraction 0-1).")
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
    price_volatility_per_year: NonNegative = Field(0.0, description=VOLATILITY_HELP)
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
        return self

    @property
    def bought(self) -> bool:
        return self.purchase is not None


Option = Annotated[ApiOption | SelfHostedOption, Field(discriminator="kind")]
