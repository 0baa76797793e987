"""The scenario schema: pydantic models of every section, and the rules that tie sections together.

No I/O here: ``tco.yamlio`` reads text and ``tco.load`` turns it into a validated ``Scenario`` and
its resolved inputs. Risk entries are built from the kinds declared in ``tco.risks``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model, field_validator, model_validator

import tco.risks as risks
from tco.distributions import Distribution
from tco.fields import (
    MAX_HORIZON_MONTHS,
    MIX_TOLERANCE,
    NAME_PATTERN,
    FieldError,
    GrowthRate,
    Model,
    NonNegative,
    Positive,
    Rate,
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

Precision = Literal["bf16", "fp8", "fp4"]


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


class ApiOption(Model):
    kind: Literal["api"]
    catalog: str | None = None
    input_usd_per_mtok: NonNegative | None = None
    cached_input_usd_per_mtok: NonNegative | None = None
    output_usd_per_mtok: NonNegative | None = None
    batch_discount: Share | None = None
    price_trend_per_year: TrendRate = 0.0
    price_volatility_per_year: NonNegative = 0.0

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


class MissingComponent(Model):
    name: Text
    setup_usd: NonNegative = 0.0
    usd_per_month: NonNegative = 0.0


class Licence(Model):
    mau_threshold: NonNegative | None = None
    usd_per_month_above: NonNegative


class SelfHostedOption(Model):
    kind: Literal["self_hosted"]
    model: str
    gpu: str
    precision: Precision = "bf16"
    usd_per_gpu_hour: Positive | None = None
    purchase: Purchase | None = None
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
    price_trend_per_year: TrendRate = 0.0
    price_volatility_per_year: NonNegative = 0.0

    @model_validator(mode="after")
    def _rent_or_buy(self) -> SelfHostedOption:
        if self.usd_per_gpu_hour is not None and self.purchase is not None:
            raise FieldError("purchase", "give usd_per_gpu_hour (rented) or purchase (bought), not both")
        return self

    @property
    def bought(self) -> bool:
        return self.purchase is not None


Option = Annotated[ApiOption | SelfHostedOption, Field(discriminator="kind")]


class Strategy(Model):
    mix: dict[str, float]
    fallback: str | None = None
    portability: Share = 0.0
    overhead_usd_per_month: NonNegative = 0.0

    @field_validator("mix")
    @classmethod
    def _mix_shares(cls, mix: dict[str, float]) -> dict[str, float]:
        if not mix:
            raise ValueError("must name at least one option")
        for name, share in mix.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)):
                raise FieldError(name, "must be a number between 0 and 1")
            if not 0.0 <= share <= 1.0:
                raise FieldError(name, "must be between 0 and 1")
        total = sum(mix.values())
        if abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(f"shares must sum to 1, got {total:g}")
        return {k: float(v) for k, v in mix.items()}


class Switching(Model):
    engineer_weeks: NonNegative = 0.0
    usd_per_engineer_week: NonNegative = 0.0
    dual_running_months: NonNegative = 0.0
    one_off_usd: NonNegative = 0.0


class _RiskBase(Model):
    """Fields every risk has; each kind adds its own (declared in ``tco.risks``)."""

    on: tuple[str, ...]
    annual_probability: Share

    @field_validator("on", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and not value:
            raise ValueError("must name at least one option")
        return value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Any:
        own = risks.kind(self.kind).fields  # type: ignore[attr-defined]
        for name in RISK_FIELDS:
            if getattr(self, name) is not None and name not in own:
                raise FieldError(name, f"does not apply to {self.kind} risks")  # type: ignore[attr-defined]
        for name, spec in own.items():
            if spec.required and getattr(self, name) is None:
                raise FieldError(name, f"is required for {self.kind} risks")  # type: ignore[attr-defined]
        return self

    @property
    def spec(self) -> risks.RiskKind:
        """The declaration of this risk's kind."""
        return risks.kind(self.kind)  # type: ignore[attr-defined]

    @property
    def impact(self) -> float | Distribution:
        """The per-event price multiplier (1 where the kind has none or it is not given)."""
        name = self.spec.impact_field
        value = getattr(self, name) if name else None
        return 1.0 if value is None else value


RISK_FIELDS: dict[str, Any] = {}
"""Every kind's own fields, in registry order (one field may serve several kinds)."""
for _kind in risks.REGISTRY.values():
    for _name, _field in _kind.fields.items():
        RISK_FIELDS.setdefault(_name, _field.annotation)

Risk = create_model(
    "Risk", __base__=_RiskBase, __doc__="One risk: a kind of vendor shock on some options.",
    kind=(Literal[tuple(risks.REGISTRY)], ...),
    **{name: (annotation | None, None) for name, annotation in RISK_FIELDS.items()},
)


class Correlation(Model):
    between: tuple[str, str]
    rho: float = Field(ge=-1.0, le=1.0)


class Stress(Model):
    name: Text
    kind: Literal[tuple(risks.REGISTRY)]  # type: ignore[valid-type]
    on: str
    month: int = Field(ge=0)


class Scenario(Model):
    """A validated, immutable scenario (format v1)."""

    name: Annotated[Text, Field(min_length=1)]
    description: Prose = ""
    currency: str = "USD"
    horizon_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS)
    discount_rate_per_year: Rate = 0.0
    workload: Workload
    options: dict[str, Option]
    strategies: dict[str, Strategy]
    switching: Switching = Switching()
    sampling: Literal["random", "lhs", "sobol"] = "random"
    correlations: tuple[Correlation, ...] = ()
    stresses: tuple[Stress, ...] = ()
    risks: tuple[Risk, ...] = ()  # type: ignore[valid-type]

    __hash__ = None  # type: ignore[assignment] - holds dicts, so never hashable

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("must be a three-letter ISO code such as USD")
        return value

    @field_validator("options", "strategies")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("must define at least one entry")
        for name in value:
            if not NAME_PATTERN.fullmatch(name):
                raise FieldError(name, "names must use lower-case letters, digits, '-' or '_'")
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        options = self.options
        known = ", ".join(options)
        for sname, strategy in self.strategies.items():
            for oname in strategy.mix:
                if oname not in options:
                    raise FieldError(f"strategies.{sname}.mix.{oname}",
                                      f"is not a defined option (options are {known})", absolute=True)
            if strategy.fallback is not None and strategy.fallback not in options:
                raise FieldError(f"strategies.{sname}.fallback",
                                  f"'{strategy.fallback}' is not a defined option (options are {known})",
                                  absolute=True)
            carried = [oname for oname, share in strategy.mix.items() if share > 0.0]
            if carried == [strategy.fallback]:
                # An exit would then leave the traffic on the option that left.
                raise FieldError(f"strategies.{sname}.fallback", f"must differ from the strategy's "
                                 f"only option ('{strategy.fallback}')", absolute=True)
            if strategy.fallback is None:
                for oname in strategy.mix:
                    option = options[oname]
                    if isinstance(option, SelfHostedOption) and positive(option.escalation_share):
                        raise FieldError(f"strategies.{sname}.fallback",
                                          f"is required: options.{oname}.escalation_share sends "
                                          "traffic to the fallback", absolute=True)
        for i, risk in enumerate(self.risks):
            spec = risk.spec
            for oname in risk.on:
                if oname not in options:
                    raise FieldError(f"risks.{i}.on", f"'{oname}' is not a defined option "
                                     f"(options are {known})", absolute=True)
                if options[oname].kind not in spec.applies_to:
                    raise FieldError(f"risks.{i}.on", f"{spec.name} applies to {_plural(spec)}; "
                                     f"'{oname}' is {OPTION_KINDS[options[oname].kind][0]}",
                                     absolute=True)
            if spec.needs_fallback:
                for sname, strategy in self.strategies.items():
                    if strategy.fallback is None and set(risk.on) & set(strategy.mix):
                        raise FieldError(f"strategies.{sname}.fallback",
                                         f"is required: risks.{i} ({spec.name}) can move its "
                                         "traffic to the fallback", absolute=True)
        for i, stress in enumerate(self.stresses):
            if stress.on not in options:
                raise FieldError(f"stresses.{i}.on", f"'{stress.on}' is not a defined option "
                                 f"(options are {known})", absolute=True)
            if stress.month >= self.horizon_months:
                raise FieldError(f"stresses.{i}.month", f"must be less than horizon_months "
                                 f"({self.horizon_months})", absolute=True)
            spec = risks.kind(stress.kind)
            if options[stress.on].kind not in spec.applies_to:
                raise FieldError(f"stresses.{i}.on", f"{spec.name} applies to {_plural(spec)}",
                                 absolute=True)
        seen = set()
        for i, corr in enumerate(self.correlations):
            a, b = corr.between
            if a == b:
                raise FieldError(f"correlations.{i}.between", "must name two different fields",
                                  absolute=True)
            pair = frozenset((a, b))
            if pair in seen:
                raise FieldError(f"correlations.{i}.between", "this pair is already correlated",
                                  absolute=True)
            seen.add(pair)
        return self


def _plural(spec: risks.RiskKind) -> str:
    return " and ".join(OPTION_KINDS[k][1] for k in spec.applies_to)


SECTIONS = (Scenario, Workload, ApiOption, SelfHostedOption, Purchase, MissingComponent, Licence,
            Strategy, Switching, Risk, Correlation, Stress)
"""Every model of the schema, for field-name hints in error messages."""
