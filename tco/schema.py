"""The scenario schema: pydantic models of every section, and the rules that tie sections together.

No I/O here: ``tco.yamlio`` reads text and ``tco.load`` turns it into a validated ``Scenario`` and
its resolved inputs. Risk entries are built from the kinds declared in ``tco.risks``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import Field, create_model, field_validator, model_validator

import tco.decisions as decisions
import tco.lines as lines
import tco.options as option_kinds
import tco.risks as risks
from tco.distributions import Distribution
from tco.fields import (
    MAX_HORIZON_MONTHS,
    MIX_TOLERANCE,
    NAME_PATTERN,
    DiscountRate,
    FieldError,
    Model,
    Money,
    Months,
    NonNegative,
    Share,
    Volatility,
    positive,
)
from tco.options import Option
from tco.options.api import ApiOption, Commitment
from tco.options.fine_tune import OwnedFineTune, VendorFineTune
from tco.options.hosted_open import HostedOpenOption
from tco.options.procurement import Purchase, Reserved
from tco.options.self_hosted import Licence, MissingComponent, SelfHostedOption
from tco.sections import (  # noqa: F401 - the schema's public names
    DOCUMENTED,
    HOURS_PER_DAY,
    MONTH_PATTERN,
    Engine,
    FineTuning,
    OtherCost,
    OtherCosts,
    Precision,
    Prose,
    ReleaseTrack,
    Tax,
    Text,
    Workload,
)


class Strategy(Model):
    """How traffic is split across options, where it goes when one fails, and what it costs to move."""

    model_config = DOCUMENTED
    mix: dict[str, float] = Field(description="Share of traffic on each option (option name -> "
                                  "fraction 0-1; the shares sum to 1).")
    fallback: str | tuple[str, ...] | None = Field(
        None, description="Option, or options in order of preference, that take the traffic of an "
        "option that exits or escalates.")
    portability: Share = Field(0.0, description="Share of a migration's engineering effort the "
                               "strategy avoids.")
    overhead_usd_per_month: Money = Field(
        0.0, description="The strategy's own running overhead, such as a gateway.")
    list_price_discount: Share = Field(
        0.0, description="Negotiated discount off the token prices of every per-token option the "
        "strategy uses, as an agreement across vendors or a marketplace's committed-use deal gives "
        "(cite the contract); it multiplies with an option's own negotiated discount. Left out, 0.")
    other_costs: OtherCosts = Field((), description="Named costs the strategy pays every month, per "
                                    "million tokens served or once in month 0.")

    @field_validator("fallback", mode="before")
    @classmethod
    def _chain(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("must name at least one option (or leave fallback out)")
            if len(set(value)) != len(value):
                raise ValueError("must not name an option twice")
            return tuple(value)
        return value

    @property
    def chain(self) -> tuple[str, ...]:
        """The fallback options in order of preference (empty when there is none)."""
        if self.fallback is None:
            return ()
        return (self.fallback,) if isinstance(self.fallback, str) else self.fallback

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


DUAL_RUNNING_SHARE = 0.2
"""Judgement: a cut-over shadows a slice of the traffic on the new option, not all of it."""


class Switching(Model):
    """What one forced migration costs: engineering, dual running and one-off fees."""

    model_config = DOCUMENTED
    engineer_weeks: NonNegative = Field(0.0, description="Engineering effort of one forced migration "
                                        "at portability 0.")
    usd_per_engineer_week: Money = Field(
        0.0, description="Loaded cost of one engineer for one week.")
    dual_running_months: Months = Field(
        0.0, description="Months both the old and the new option run during a migration.")
    dual_running_share: Share = Field(
        DUAL_RUNNING_SHARE, description="Share of the moving traffic run on both options while they "
        "run side by side: the shadow or canary traffic of a cut-over. The default "
        "0.2 is judgement, the top of the 5-20% that cut-overs commonly mirror; 1 bills all of it.")
    one_off_usd: Money = Field(0.0, description="Fixed cost of each forced migration besides "
                                     "engineering time.")


class _RiskBase(Model):
    """Fields every risk has; each kind adds its own (declared in ``tco.risks``)."""

    model_config = DOCUMENTED
    on: tuple[str, ...] = Field(description="Option, or options, the event can hit; options that "
                                "share what the event is about (a vendor's exit, a family's licence "
                                "change) take one event together.")
    annual_probability: Share = Field(description="Chance the event happens in any one year.")
    max_events: int | None = Field(default=None, ge=1, le=MAX_HORIZON_MONTHS,
                                   description="Most events of this risk on one option over the "
                                   "horizon; left out, no limit.")
    independent: bool = Field(False, description="Draw each option's events on its own even where "
                              "the options share the vendor or family the event is about.")

    @field_validator("on", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and not value:
            raise ValueError("must name at least one option")
        if isinstance(value, list) and (twice := next((v for i, v in enumerate(value)
                                                       if v in value[:i]), None)) is not None:
            # Not counted twice, but the second draw shifts every later one: a typo, refused.
            raise ValueError(f"names '{twice}' twice; name each option once")
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
RISK_FIELD_HELP: dict[str, str] = {}
"""Each kind field's description: its declared help and the kinds it applies to (its unit is
the kind's declaration's, which ``tco schema`` and the glossary show)."""
for _kind in risks.REGISTRY.values():
    for _name, _field in _kind.fields.items():
        RISK_FIELDS.setdefault(_name, _field.annotation)
        RISK_FIELD_HELP.setdefault(_name, f"{_field.help.rstrip('.')}.")
for _name in RISK_FIELD_HELP:
    _kinds = [k.name for k in risks.REGISTRY.values() if _name in k.fields]
    RISK_FIELD_HELP[_name] += f" Applies to {', '.join(_kinds)} risks."

Risk = create_model(
    "Risk", __base__=_RiskBase, __doc__="One risk: a kind of vendor shock on some options.",
    kind=(Literal[tuple(risks.REGISTRY)], Field(description="What happens: " + "; ".join(
        f"{k.name}: {k.help.rstrip('.')}" for k in risks.REGISTRY.values()) + ".")),
    **{name: (annotation | None, Field(None, description=RISK_FIELD_HELP[name]))
       for name, annotation in RISK_FIELDS.items()},
)


class Correlation(Model):
    """A rank correlation between two uncertain inputs, applied when paths are drawn."""

    model_config = DOCUMENTED
    between: tuple[str, str] = Field(description="The two inputs, by dotted path "
                                     "('workload.growth_per_month').")
    rho: float = Field(ge=-1.0, le=1.0, description="Spearman rank correlation of the two inputs.")


class Stress(Model):
    """A named stress test: one event forced on one option in one month."""

    model_config = DOCUMENTED
    name: Text = Field(description="Name of the stress test, shown on the page and in the deck.")
    kind: Literal[tuple(risks.REGISTRY)] = Field(  # type: ignore[valid-type]
        description="The risk kind to force.")
    on: str = Field(description="The option it hits.")
    month: int = Field(ge=0, le=MAX_HORIZON_MONTHS, description="The month it happens (0 = first).")


class Scenario(Model):
    """A validated, immutable scenario (format v1)."""

    model_config = DOCUMENTED
    name: Annotated[Text, Field(min_length=1)] = Field(description="Name of the scenario, shown on "
                                                       "the page, in the deck and in exports.")
    description: Prose = Field("", description="What the scenario compares and why, in a "
                               "paragraph.")
    currency: str = Field("USD", description="Three-letter ISO code of the money amounts (all in "
                          "one currency); the catalogs' US-dollar prices are converted into it.")
    usd_per_currency_unit: float | None = Field(
        None, gt=1e-6, le=1e6, description="US dollars per unit of the scenario's currency, which "
        "converts the catalogs' and defaults' US-dollar prices (cite it in a comment); left out, "
        "the ECB euro reference rates (python -m tco catalog currencies).")
    fx_volatility_per_year: Volatility = Field(0.0, description="Yearly volatility of a non-USD currency "
        "against USD: one mean-preserving walk per path on the options priced from the USD catalogs.")
    as_of: str | None = Field(None, description="When the file's own figures, citations and "
                              "judgements were last reviewed, YYYY-MM-DD: the as-of date of every "
                              "input it sets.")
    start: str | None = Field(None, description="Calendar month of month 0, YYYY-MM; left out, the "
                              "month after the API price snapshot's date.")
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12, description="First month of the "
                                         "fiscal year (1 = January); fiscal years are named by the "
                                         "calendar year they end in.")
    horizon_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS, description="Months the comparison "
                                "covers, from month 0.")
    discount_rate_per_year: DiscountRate = Field(0.0, description="Yearly rate at which future costs are "
                                         "discounted to present value.")
    workload: Workload = Field(description="The traffic every strategy serves.")
    options: dict[str, Option] = Field(description="The ways to serve the traffic, by name: " + "; ".join(
        f"{k.plural} (kind: {k.name})" for k in option_kinds.REGISTRY.values()) + ".")
    strategies: dict[str, Strategy] = Field(description="The strategies compared, by name: each a "
                                            "mix of options with its fallbacks.")
    switching: Switching = Field(Switching(), description="What one forced migration costs.")
    tax: Tax | None = Field(None, description="An after-tax view: NPV before and after the tax "
                            "shield of costs, shown by run (python -m tco run; --tax-rate "
                            "overrides it).")
    fine_tuning: FineTuning | None = Field(None, description="The fine-tuning work that options "
                                           "with fine_tune: price.")
    sampling: Literal["random", "lhs", "sobol"] = Field(
        "random", description="How path-level inputs are drawn: random, lhs or sobol.")
    correlations: tuple[Correlation, ...] = Field((), description="Rank correlations between "
                                                  "uncertain inputs.")
    stresses: tuple[Stress, ...] = Field((), description="Named stress tests: one event forced on "
                                         "one option in one month.")
    risks: tuple[Risk, ...] = Field((), description="Vendor shocks: each a kind of event with its "  # type: ignore[valid-type]
                                    "annual probability on some options.")
    optimise: decisions.Optimise | None = Field(None, description="Constraints on the mix "
                                                "python -m tco optimise may choose.")

    __hash__ = None  # type: ignore[assignment] - holds dicts, so never hashable

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("must be a three-letter ISO code such as USD")
        return value

    @model_validator(mode="after")
    def _rate_needs_currency(self) -> Scenario:
        if self.usd_per_currency_unit is not None and self.currency == "USD":
            raise FieldError("usd_per_currency_unit", "converts into another currency: set "
                             "currency too, or leave the rate out", absolute=True)
        if self.currency == "USD" and "fx_volatility_per_year" in self.model_fields_set and \
                positive(self.fx_volatility_per_year):
            raise FieldError("fx_volatility_per_year", "moves the rate of another currency against "
                             "the US dollar: set currency too, or leave it out", absolute=True)
        return self

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, value: Any) -> str | None:
        if value is None:
            return None
        try:  # YAML reads an unquoted date as a date
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError("must be a date written YYYY-MM-DD") from None
        if not dt.date(2000, 1, 1) <= day <= dt.date.today():
            raise ValueError(f"must be a date between 2000-01-01 and today ({dt.date.today()}): "
                             "the day the file was last reviewed")
        return day.isoformat()

    @field_validator("start")
    @classmethod
    def _start(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = MONTH_PATTERN.fullmatch(str(value))
        if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            raise ValueError("must be a month written YYYY-MM, between 2000-01 and 2100-12")
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
            for fallback in strategy.chain:
                if fallback not in options:
                    raise FieldError(f"strategies.{sname}.fallback",
                                     f"'{fallback}' is not a defined option (options are {known})",
                                     absolute=True)
            carried = [oname for oname, share in strategy.mix.items() if share > 0.0]
            if strategy.chain and set(strategy.chain) <= set(carried) and len(carried) == 1:
                # An exit would then leave the traffic on the option that left.
                raise FieldError(f"strategies.{sname}.fallback", f"must differ from the strategy's "
                                 f"only option ('{carried[0]}')", absolute=True)
            if strategy.fallback is None:
                for oname in strategy.mix:
                    option = options[oname]
                    if option_kinds.of(option).sends_to_fallback(option):
                        raise FieldError(f"strategies.{sname}.fallback",
                                          f"is required: options.{oname}.escalation_share sends "
                                          "traffic to the fallback", absolute=True)
        for oname, option in options.items():
            option_kinds.of(option).check(oname, option, self)
            if option.fine_tune is not None and self.fine_tuning is None:
                raise FieldError(f"options.{oname}.fine_tune", "needs the scenario's fine_tuning: "
                                 "section (dataset_tokens, epochs, ...) to price its runs",
                                 absolute=True)
        for owner, costs in [(f"options.{n}", o.other_costs) for n, o in options.items()] + [
                (f"strategies.{n}", s.other_costs) for n, s in self.strategies.items()]:
            for k, cost in enumerate(costs):
                if cost.name.strip().lower() in RESERVED_LINE_NAMES:
                    raise FieldError(f"{owner}.other_costs.{k}.name", f"'{cost.name}' is the name "
                                     "of a built-in cost line; choose another", absolute=True)
        for i, risk in enumerate(self.risks):
            spec = risk.spec
            for oname in risk.on:
                if oname not in options:
                    raise FieldError(f"risks.{i}.on", f"'{oname}' is not a defined option "
                                     f"(options are {known})", absolute=True)
                if options[oname].kind not in spec.applies_to:
                    raise FieldError(f"risks.{i}.on", f"{spec.name} applies to {_plural(spec)}; "
                                     f"'{oname}' is {option_kinds.of(options[oname]).one}",
                                     absolute=True)
                if spec.requires and not option_kinds.provides(options[oname], spec.requires):
                    raise FieldError(f"risks.{i}.on", f"{spec.name} applies to options with "
                                     f"{spec.requires}:; '{oname}' has none", absolute=True)
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
            needs = spec_requires(stress.kind)
            if needs and not option_kinds.provides(options[stress.on], needs):
                raise FieldError(f"stresses.{i}.on", f"{stress.kind} applies to options with "
                                 f"{spec_requires(stress.kind)}:", absolute=True)
            if stress.month >= self.horizon_months:
                raise FieldError(f"stresses.{i}.month", f"must be less than horizon_months "
                                 f"({self.horizon_months})", absolute=True)
            spec = risks.kind(stress.kind)
            if options[stress.on].kind not in spec.applies_to:
                raise FieldError(f"stresses.{i}.on", f"{spec.name} applies to {_plural(spec)}",
                                 absolute=True)
        names: dict[str, int] = {}
        for i, stress in enumerate(self.stresses):
            key = stress.name.strip().casefold()
            if key in names:
                raise FieldError(f"stresses.{i}.name", f"'{stress.name}' is already the name of "
                                 f"stresses.{names[key]}; each stress test needs its own name",
                                 absolute=True)
            names[key] = i
        if self.optimise is not None:
            decisions.check(self.optimise, options, self.strategies)
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


RESERVED_LINE_NAMES = frozenset(n for line in lines.LINES for n in (line.name, line.label.lower()))
"""Names an ``other_costs`` entry may not take: each would merge with a built-in line."""


def spec_requires(kind: str) -> str | None:
    return risks.kind(kind).requires


def _plural(spec: risks.RiskKind) -> str:
    return " and ".join(option_kinds.kind(k).plural for k in spec.applies_to)


SECTIONS = (Scenario, Workload, ApiOption, HostedOpenOption, SelfHostedOption, Purchase,
            MissingComponent, Licence, Strategy, Switching, Risk, Correlation, Stress, OtherCost,
            Commitment, Reserved, FineTuning, ReleaseTrack, OwnedFineTune, VendorFineTune,
            decisions.Optimise, decisions.CommitmentTier, Tax)
"""Every model of the schema, for field-name hints in error messages."""
