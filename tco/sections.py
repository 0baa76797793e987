"""Scenario sections: the workload and the option kinds' models, with their own field rules.

``tco.schema`` assembles them into a ``Scenario`` with the rules that tie sections together.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from tco.distributions import Distribution
from tco.fields import (
    MAX_HORIZON_MONTHS,
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


def _printable(text: str, allowed: str = "") -> str:
    """Refuse control characters: a carriage return would split a one-line error, and terminal
    escape sequences would take effect where the name is printed."""
    for ch in text:
        if (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0) and ch not in allowed:
            raise ValueError(f"must not contain control characters (found {ch!r})")
    return text


Text = Annotated[str, AfterValidator(_printable)]
"""A name shown in one line: printable characters only."""
Prose = Annotated[str, AfterValidator(lambda text: _printable(text, "\n\t"))]
"""A paragraph: printable characters, new lines and tabs."""

OPTION_KINDS = {"api": ("an API", "API options"), "self_hosted": ("a self-hosted option",
                                                                  "self-hosted options")}
"""Option kinds with how rules name one of them and all of them."""

Precision = Literal["bf16", "fp8", "fp4", "int4"]
Engine = Literal["vllm", "sglang", "tensorrt-llm"]
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
HOURS_PER_DAY = 24


class OtherCost(Model):
    """A named cost line of an option or a strategy (platform staff, observability, eval suite)."""

    name: Annotated[Text, Field(min_length=1, max_length=60)]
    usd_per_month: NonNegative = 0.0
    usd_per_mtok: NonNegative = 0.0
    setup_usd: NonNegative = 0.0


OtherCosts = tuple[OtherCost, ...]

History = tuple[Annotated[Text, Field(min_length=1, max_length=120)], ...]
"""What the option really was over time, for the backtest: a chain of successive models
(``openai/gpt-4o-2024-05-13``) or a provider and family for open weights (``meta/llama``)."""


class Workload(Model):
    requests_per_month: NonNegative
    input_tokens_per_request: Positive
    output_tokens_per_request: Positive
    cached_input_share: Share = 0.0
    batchable_share: Share = 0.0
    growth_per_month: GrowthRate = 0.0
    peak_to_average: quantity(ge=1.0) = 1.0
    monthly_active_users: NonNegative | None = None
    mau_growth_per_month: GrowthRate = 0.0
    hourly_profile: tuple[float, ...] | None = None
    long_context_share: Share = 0.0
    long_context_input_tokens: Positive | None = None
    cache_write_share: Share = 0.0

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

    dataset_tokens: NonNegative
    epochs: Positive = 1.0
    retrain_every_months: int = Field(default=12, ge=1, le=MAX_HORIZON_MONTHS)
    eval_usd_per_run: NonNegative = 0.0
    engineer_weeks_per_run: NonNegative = 0.0


class Commitment(Model):
    """An API enterprise commitment: a monthly minimum for a discount, owed for its term."""

    usd_per_month: NonNegative
    discount: Share = 0.0
    term_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS)


class ApiOption(Model):
    kind: Literal["api"]
    catalog: str | None = None
    input_usd_per_mtok: NonNegative | None = None
    cached_input_usd_per_mtok: NonNegative | None = None
    output_usd_per_mtok: NonNegative | None = None
    cache_write_usd_per_mtok: NonNegative | None = None
    long_context_input_usd_per_mtok: NonNegative | None = None
    long_context_cached_input_usd_per_mtok: NonNegative | None = None
    long_context_output_usd_per_mtok: NonNegative | None = None
    batch_discount: Share | None = None
    price_trend_per_year: TrendRate = 0.0
    price_volatility_per_year: NonNegative = 0.0
    commitment: Commitment | None = None
    fine_tune: VendorFineTune | None = None
    other_costs: OtherCosts = ()
    history: History = ()

    @model_validator(mode="after")
    def _prices_known(self) -> ApiOption:
        if self.catalog is None:
            for name in ("input_usd_per_mtok", "output_usd_per_mtok"):
                if getattr(self, name) is None:
                    raise FieldError(name, "is required when no catalog: entry is given")
        return self


class Purchase(Model):
    usd_per_gpu: Positive | None = None
    years: Positive = 5.0
    kw_per_gpu: NonNegative | None = None
    usd_per_kwh: NonNegative = 0.0806
    pue: quantity(ge=1.0) = 1.54
    maintenance_share_per_year: Share = 0.0
    colocation_usd_per_gpu_month: NonNegative = 0.0


class Reserved(Model):
    """Reserved GPUs: a contract paid whether used or not, at a fixed price for its term."""

    gpus: int = Field(ge=1, le=1_000_000)
    usd_per_gpu_hour: Positive
    term_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS)
    start_month: int = Field(default=0, ge=0, le=MAX_HORIZON_MONTHS)


class MissingComponent(Model):
    name: Text
    setup_usd: NonNegative = 0.0
    usd_per_month: NonNegative = 0.0


LicenceTest = Literal["at_release", "monthly"]


class Licence(Model):
    """A licence fee above a monthly-active-user threshold.

    ``at_release``: users are tested when a version is released (the Llama community licences'
    rule), so a version deployed below the threshold never owes the fee, and a later version
    released after the crossing does from the month you upgrade to it. ``monthly``: users are
    tested every month (custom licences). Left out, the model catalog's rule for the family.
    """

    mau_threshold: NonNegative | None = None
    usd_per_month_above: NonNegative
    tested: LicenceTest | None = None
    deployed_above_threshold: bool = False


class ReleaseTrack(Model):
    """The open-weight family's release schedule: release j is planned for
    next_release_month + (j - 1) x cadence_months and arrives after a vetting delay drawn afresh
    for each release; the option upgrades when one arrives."""

    age_months_at_start: NonNegative = 0.0
    next_release_month: int = Field(ge=0, le=MAX_HORIZON_MONTHS)
    cadence_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS)
    vetting_delay_months: NonNegative = 0.0
    upgrade_usd: NonNegative = 0.0
    lag_tolerance_months: NonNegative = 0.0
    escalation_per_month_of_lag: Share = 0.0
    escalation_cap: Share = 1.0


class OwnedFineTune(Model):
    """An owned fine-tuning pipeline on a self-hosted option."""

    usd_per_mtok_trained: NonNegative
    setup_usd: NonNegative = 0.0
    usd_per_month: NonNegative = 0.0
    adapter_portability: Share = 0.0


class VendorFineTune(Model):
    """A vendor's fine-tuning service on an API option."""

    usd_per_mtok_trained: NonNegative
    hosting_usd_per_hour: NonNegative = 0.0
    price_multiplier: quantity(ge=0.0, le=1e3) = 1.0
    traffic_share: Share = 1.0


class SelfHostedOption(Model):
    kind: Literal["self_hosted"]
    model: str
    gpu: str
    precision: Precision = "bf16"
    kv_cache_precision: Precision | None = None
    serving_engine: Engine | None = None
    gpus: int | None = Field(default=None, ge=1, le=64)
    usd_per_gpu_hour: Positive | None = None
    purchase: Purchase | None = None
    reserved: Reserved | None = None
    autoscale: bool = False
    target_utilization: quantity(gt=0.0, le=1.0)
    min_replicas: int = Field(default=1, ge=0)
    max_inter_token_ms: float | None = Field(default=None, gt=0, le=1e6)
    tokens_per_second_per_gpu: float | None = Field(default=None, ge=1e-3, le=1e9)
    ops_fte: NonNegative
    usd_per_fte_year: NonNegative
    setup_usd: NonNegative = 0.0
    escalation_share: Share = 0.0
    missing_components: tuple[MissingComponent, ...] = ()
    licence: Licence | None = None
    release_track: ReleaseTrack | None = None
    fine_tune: OwnedFineTune | None = None
    price_trend_per_year: TrendRate = 0.0
    price_volatility_per_year: NonNegative = 0.0
    other_costs: OtherCosts = ()
    history: History = ()

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
