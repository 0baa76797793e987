"""Scenario sections shared by the option kinds and the scenario: the workload, named costs, release
tracks and fine-tuning work, with their own field rules.

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
    FieldError,
    GrowthRate,
    Model,
    NonNegative,
    PeakToAverage,
    Positive,
    Requests,
    Share,
    TokensPerRequest,
    Users,
    positive,
)

Text = fields.Name
"""A name shown in one line (``tco.fields.Name``): visible characters, not blank, at most 200."""
Prose = fields.Prose
"""A paragraph (``tco.fields.Prose``): visible characters, new lines and tabs, at most 5,000."""

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


COVERED = ("staff", "observability", "storage", "egress", "evaluation")
"""Costs beyond tokens and GPUs that a FinOps review expects every strategy to carry (issue 24)."""
Covered = Literal["staff", "observability", "storage", "egress", "evaluation"]


class OtherCost(Model):
    """A named cost line of an option or a strategy (platform staff, observability, eval suite)."""

    model_config = DOCUMENTED
    name: Annotated[Text, Field(min_length=1, max_length=60)] = Field(
        description="Name of the cost line, shown in charts and exports; not a built-in line's name.")
    usd_per_month: NonNegative = Field(0.0, description="A named cost paid every month the owner "
                                       "is in use.")
    usd_per_mtok: NonNegative = Field(0.0, description="A named cost per million tokens the owner "
                                      "serves.")
    setup_usd: NonNegative = Field(0.0, description="A named one-off cost in the owner's first month "
                                   "of use.")
    covers: Covered | None = Field(None, description="Which cost a FinOps review looks for this line "
                                   "covers (" + ", ".join(COVERED) + "); the verdict names those a "
                                   "strategy has no line for.")


OtherCosts = tuple[OtherCost, ...]
TREND_HELP = "Expected yearly drift of the option's prices; negative is cheaper."
VOLATILITY_HELP = "Yearly standard deviation of random price moves around the trend."

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
        0.0, description="Share of input tokens billed at the cached-input price.")
    batchable_share: Share = Field(0.0, description="Share of requests that can wait for a batch API "
                                   "and its discount.")
    growth_per_month: GrowthRate = Field(
        0.0, description="Compound monthly growth of the request volume.")
    peak_to_average: PeakToAverage = Field(
        1.0, description="Peak load over average load; self-hosted fleets are sized for the peak.")
    monthly_active_users: Users | None = Field(
        None, description="Users in month 0, compared with licence user thresholds.")
    mau_growth_per_month: GrowthRate = Field(
        0.0, description="Compound monthly growth of monthly active users.")
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
                                      description="Months between fine-tune runs.")
    eval_usd_per_run: NonNegative = Field(0.0, description="Evaluation cost of each fine-tune run.")
    engineer_weeks_per_run: NonNegative = Field(
        0.0, description="Engineering time of each fine-tune run, priced at the switching "
        "engineer-week price.")


class ReleaseTrack(Model):
    """The open-weight family's release schedule: release j is planned for
    next_release_month + (j - 1) x cadence_months and arrives after a vetting delay drawn afresh
    for each release; the option upgrades when one arrives."""

    model_config = DOCUMENTED
    age_months_at_start: NonNegative = Field(
        0.0, description="Age of the deployed open weights in month 0.")
    next_release_month: int = Field(ge=0, le=MAX_HORIZON_MONTHS,
                                    description="Month the family's next release is planned for "
                                    "(0 = first month).")
    cadence_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS,
                                description="Months between planned releases.")
    vetting_delay_months: NonNegative = Field(
        0.0, description="Delay of each planned open release for safety vetting, drawn afresh per "
        "release.")
    upgrade_usd: NonNegative = Field(0.0, description="Evals and rollout to move to a new release, "
                                     "before portability.")
    lag_tolerance_months: NonNegative = Field(
        0.0, description="Age up to which the weights serve as well as on day one.")
    escalation_per_month_of_lag: Share = Field(
        0.0, description="Extra share of requests sent to the fallback per month the weights are "
        "older than the tolerance.")
    escalation_cap: Share = Field(1.0, description="Largest share the weights' age can push to the "
                                  "fallback.")


class Tax(Model):
    """An after-tax view: the tax shield of operating costs and of depreciation on bought GPUs."""

    model_config = DOCUMENTED
    rate: float = Field(ge=0.0, lt=1.0, description="Tax rate on profit that the costs reduce; "
                        "cite the jurisdiction's rate.")
    depreciation: Literal["straight_line", "macrs_5"] = Field(
        "straight_line", description="How bought GPUs are depreciated for tax: straight_line over "
        "the purchase's years, or macrs_5 (US MACRS 5-year property, half-year convention).")

SETTING_UNITS: dict[str, str] = {
    "Scenario.usd_per_currency_unit": "$ per currency unit",
    "Scenario.fiscal_year_start_month": "month of the year, 1 = January",
    "Commitment.term_months": "months",
    "CommitmentTier.usd_per_month": "$ per month",
    "CommitmentTier.discount": "fraction 0-1",
    "Correlation.rho": "rank correlation, -1 to 1",
    "FineTuning.retrain_every_months": "months",
    "Optimise.min_share": "fraction 0-1 of traffic",
    "Optimise.max_share": "fraction 0-1 of traffic",
    "Optimise.max_gpus": "GPUs",
    "ReleaseTrack.next_release_month": "month, 0 = first",
    "ReleaseTrack.cadence_months": "months",
    "Reserved.gpus": "GPUs",
    "Reserved.term_months": "months",
    "Reserved.start_month": "month, 0 = first",
    "Risk.max_events": "events",
    "SelfHostedOption.gpus": "GPUs per replica",
    "SelfHostedOption.min_replicas": "replicas",
    "SelfHostedOption.max_inter_token_ms": "milliseconds",
    "SelfHostedOption.max_time_to_first_token_ms": "milliseconds",
    "Strategy.mix": "fraction 0-1 of traffic",
    "Stress.month": "month, 0 = first",
    "Tax.rate": "fraction 0-1",
    "Workload.hourly_profile": "load relative to the day's mean",
}
"""The units of numeric settings that are not sampled inputs (the glossary gives the inputs'),
by ``Model.field``: declared here once, never in a field's description."""
