"""Scenario files: YAML in, a validated immutable ``Scenario`` out, and back to YAML.

Every rule of the scenario format is enforced here, at the boundary, and every violation becomes a
one-line ``ScenarioError`` ``"<field path>: <rule>"``. The kernel trusts what this module returns.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from tco.distributions import FORMS as DISTRIBUTION_FORMS
from tco.distributions import JSON_SCHEMA, Distribution, Lognormal, Normal, parse_distribution
from tco.errors import ScenarioError

MAX_SCENARIO_BYTES = 1_000_000
"""Scenario files are small; a bigger upload is rejected before parsing."""

MAX_HORIZON_MONTHS = 240
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MIX_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Bounds:
    """The valid range of a numeric field, with the rule text users see."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def rule(self) -> str:
        if self.ge is not None and self.le is not None:
            return f"must be between {self.ge:g} and {self.le:g}"
        parts = []
        if self.gt is not None:
            parts.append(f"greater than {self.gt:g}")
        if self.ge is not None:
            parts.append(f"at least {self.ge:g}")
        if self.lt is not None:
            parts.append(f"less than {self.lt:g}")
        if self.le is not None:
            parts.append(f"at most {self.le:g}")
        return "must be " + " and ".join(parts)

    def holds(self, x: float) -> bool:
        return not (
            (self.gt is not None and not x > self.gt)
            or (self.ge is not None and not x >= self.ge)
            or (self.lt is not None and not x < self.lt)
            or (self.le is not None and not x <= self.le)
        )

    @property
    def bounded(self) -> bool:
        return any(v is not None for v in (self.gt, self.ge, self.lt, self.le))


def parse_quantity(value: Any, bounds: Bounds) -> float | Distribution:
    """Parse a number or a distribution mapping and check it against ``bounds``."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError("must be a finite number")
        if not bounds.holds(x):
            raise ValueError(bounds.rule())
        return x
    if isinstance(value, Distribution):
        dist = value
    elif isinstance(value, dict):
        dist = parse_distribution(value)
    else:
        raise ValueError(f"must be a number or a distribution, got {value!r}")
    if bounds.bounded:
        if isinstance(dist, Normal) and dist.sd > 0:
            raise ValueError(f"{bounds.rule()}; a normal distribution is unbounded, "
                             "use triangular, pert or uniform")
        low, high = dist.bounds
        if isinstance(dist, Lognormal):
            if not bounds.holds(dist.median) or (bounds.le is not None or bounds.lt is not None):
                raise ValueError(f"{bounds.rule()}; a lognormal is unbounded above, "
                                 "use triangular, pert or uniform")
        elif not (bounds.holds(low) and bounds.holds(high)):
            raise ValueError(f"{bounds.rule()} (the {dist.form} range is {low:g} to {high:g})")
    return dist


def _serialize(value: float | Distribution) -> Any:
    if isinstance(value, Distribution):
        return value.to_yaml()
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


def quantity(**limits: float) -> Any:
    """Annotated type of a numeric leaf: a number or a distribution within ``limits``."""
    bounds = Bounds(**limits)
    return Annotated[
        float | Distribution,
        BeforeValidator(lambda v: parse_quantity(v, bounds)),
        PlainSerializer(_serialize),
        WithJsonSchema({**JSON_SCHEMA, "description": f"A number or a distribution; {bounds.rule()}."}),
        bounds,
    ]


Share = quantity(ge=0.0, le=1.0)
NonNegative = quantity(ge=0.0)
Positive = quantity(gt=0.0)
Rate = quantity(gt=-1.0)

RiskKind = Literal["price_change", "deprecation", "exit", "licence_change"]
Precision = Literal["bf16", "fp8", "fp4"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Workload(Model):
    requests_per_month: NonNegative
    input_tokens_per_request: Positive
    output_tokens_per_request: Positive
    cached_input_share: Share = 0.0
    batchable_share: Share = 0.0
    growth_per_month: Rate = 0.0
    peak_to_average: quantity(ge=1.0) = 1.0
    monthly_active_users: NonNegative | None = None
    mau_growth_per_month: Rate = 0.0


class ApiOption(Model):
    kind: Literal["api"]
    catalog: str | None = None
    input_usd_per_mtok: NonNegative | None = None
    cached_input_usd_per_mtok: NonNegative | None = None
    output_usd_per_mtok: NonNegative | None = None
    batch_discount: Share | None = None
    price_trend_per_year: Rate = 0.0
    price_volatility_per_year: NonNegative = 0.0

    @model_validator(mode="after")
    def _prices_known(self) -> ApiOption:
        if self.catalog is None:
            for name in ("input_usd_per_mtok", "output_usd_per_mtok"):
                if getattr(self, name) is None:
                    raise _FieldError(name, "is required when no catalog: entry is given")
        return self


class Purchase(Model):
    usd_per_gpu: Positive | None = None
    years: Positive = 5.0
    kw_per_gpu: NonNegative | None = None
    usd_per_kwh: NonNegative = 0.0806
    pue: quantity(ge=1.0) = 1.54


class MissingComponent(Model):
    name: str
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
    max_inter_token_ms: float | None = Field(default=None, gt=0)
    tokens_per_second_per_gpu: float | None = Field(default=None, gt=0)
    ops_fte: NonNegative
    usd_per_fte_year: NonNegative
    setup_usd: NonNegative = 0.0
    escalation_share: Share = 0.0
    missing_components: tuple[MissingComponent, ...] = ()
    licence: Licence | None = None
    price_trend_per_year: Rate = 0.0
    price_volatility_per_year: NonNegative = 0.0

    @model_validator(mode="after")
    def _rent_or_buy(self) -> SelfHostedOption:
        if self.usd_per_gpu_hour is not None and self.purchase is not None:
            raise _FieldError("purchase", "give usd_per_gpu_hour (rented) or purchase (bought), not both")
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
                raise _FieldError(name, "must be a number between 0 and 1")
            if not 0.0 <= share <= 1.0:
                raise _FieldError(name, "must be between 0 and 1")
        total = sum(mix.values())
        if abs(total - 1.0) > MIX_TOLERANCE:
            raise ValueError(f"shares must sum to 1, got {total:g}")
        return {k: float(v) for k, v in mix.items()}


class Switching(Model):
    engineer_weeks: NonNegative = 0.0
    usd_per_engineer_week: NonNegative = 0.0
    dual_running_months: NonNegative = 0.0
    one_off_usd: NonNegative = 0.0


class Risk(Model):
    kind: RiskKind
    on: tuple[str, ...]
    annual_probability: Share
    multiplier: Positive | None = None
    successor_price_multiplier: Positive | None = None
    escalation_per_month: Share | None = None
    escalation_cap: Share | None = None

    @field_validator("on", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and not value:
            raise ValueError("must name at least one option")
        return value

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Risk:
        own = {
            "price_change": {"multiplier"},
            "deprecation": {"successor_price_multiplier"},
            "exit": set(),
            "licence_change": {"escalation_per_month", "escalation_cap"},
        }[self.kind]
        for name in ("multiplier", "successor_price_multiplier", "escalation_per_month",
                     "escalation_cap"):
            if getattr(self, name) is not None and name not in own:
                raise _FieldError(name, f"does not apply to {self.kind} risks")
        if self.kind == "price_change" and self.multiplier is None:
            raise _FieldError("multiplier", "is required for price_change risks")
        if self.kind == "licence_change" and self.escalation_per_month is None:
            raise _FieldError("escalation_per_month", "is required for licence_change risks")
        return self

    @property
    def impact(self) -> float | Distribution:
        """The per-event price multiplier (1 where the kind has none)."""
        if self.kind == "price_change":
            return self.multiplier  # type: ignore[return-value]
        if self.kind == "deprecation" and self.successor_price_multiplier is not None:
            return self.successor_price_multiplier
        return 1.0


class Correlation(Model):
    between: tuple[str, str]
    rho: float = Field(ge=-1.0, le=1.0)


class Stress(Model):
    name: str
    kind: RiskKind
    on: str
    month: int = Field(ge=0)


class Scenario(Model):
    """A validated, immutable scenario (format v1)."""

    name: str = Field(min_length=1)
    description: str = ""
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
    risks: tuple[Risk, ...] = ()
    _resolved: Any = PrivateAttr(default=None)
    _comments: Any = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Scenarios are equal when their fields are; source comments and caches do not count."""
        return isinstance(other, Scenario) and self.model_dump() == other.model_dump()

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
                raise _FieldError(name, "names must use lower-case letters, digits, '-' or '_'")
        return value

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        options = self.options
        known = ", ".join(options)
        for sname, strategy in self.strategies.items():
            for oname in strategy.mix:
                if oname not in options:
                    raise _FieldError(f"strategies.{sname}.mix.{oname}",
                                      f"is not a defined option (options are {known})", absolute=True)
            if strategy.fallback is not None and strategy.fallback not in options:
                raise _FieldError(f"strategies.{sname}.fallback",
                                  f"'{strategy.fallback}' is not a defined option (options are {known})",
                                  absolute=True)
            if strategy.fallback is None:
                for oname in strategy.mix:
                    option = options[oname]
                    if isinstance(option, SelfHostedOption) and _positive(option.escalation_share):
                        raise _FieldError(f"strategies.{sname}.fallback",
                                          f"is required: options.{oname}.escalation_share sends "
                                          "traffic to the fallback", absolute=True)
        for i, risk in enumerate(self.risks):
            for oname in risk.on:
                if oname not in options:
                    raise _FieldError(f"risks.{i}.on", f"'{oname}' is not a defined option "
                                      f"(options are {known})", absolute=True)
                if risk.kind == "licence_change" and not isinstance(options[oname], SelfHostedOption):
                    raise _FieldError(f"risks.{i}.on", f"licence_change applies to self-hosted "
                                      f"options; '{oname}' is an API", absolute=True)
            if risk.kind in ("exit", "licence_change"):
                for sname, strategy in self.strategies.items():
                    if strategy.fallback is None and set(risk.on) & set(strategy.mix):
                        raise _FieldError(f"strategies.{sname}.fallback",
                                          f"is required: risks.{i} ({risk.kind}) can move its "
                                          "traffic to the fallback", absolute=True)
        for i, stress in enumerate(self.stresses):
            if stress.on not in options:
                raise _FieldError(f"stresses.{i}.on", f"'{stress.on}' is not a defined option "
                                  f"(options are {known})", absolute=True)
            if stress.month >= self.horizon_months:
                raise _FieldError(f"stresses.{i}.month", f"must be less than horizon_months "
                                  f"({self.horizon_months})", absolute=True)
            if stress.kind == "licence_change" and not isinstance(options[stress.on], SelfHostedOption):
                raise _FieldError(f"stresses.{i}.on", "licence_change applies to self-hosted options",
                                  absolute=True)
        seen = set()
        for i, corr in enumerate(self.correlations):
            a, b = corr.between
            if a == b:
                raise _FieldError(f"correlations.{i}.between", "must name two different fields",
                                  absolute=True)
            pair = frozenset((a, b))
            if pair in seen:
                raise _FieldError(f"correlations.{i}.between", "this pair is already correlated",
                                  absolute=True)
            seen.add(pair)
        return self


def _positive(value: float | Distribution) -> bool:
    if isinstance(value, Distribution):
        return value.bounds[1] > 0
    return value > 0


class _FieldError(ValueError):
    """A rule broken by one named sub-field; carries the name so the message can point at it."""

    def __init__(self, field: str, rule: str, absolute: bool = False) -> None:
        self.field = field
        self.rule = rule
        self.absolute = absolute
        super().__init__(f"{field}: {rule}")


# --------------------------------------------------------------------------------------------
# YAML reading


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 scalars: ``1e6`` is a number, ``on``/``yes``/``no`` are text.

    YAML 1.1 (PyYAML's default) reads the key ``on:`` as the boolean True and ``1e6`` as a string;
    scenario files use ``on:`` for the options a risk hits. Duplicate keys are rejected.
    """


# Start from no implicit resolvers for booleans, then allow only true/false.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                |\.[0-9_]+(?:[eE][-+][0-9]+)?
                |[-+]?\.(?:inf|Inf|INF)
                |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(data: bytes | str) -> dict[str, Any]:
    """Parse scenario text into a mapping, with one-line errors for empty, binary or bad YAML."""
    if isinstance(data, bytes):
        if len(data) > MAX_SCENARIO_BYTES:
            raise ScenarioError("scenario", f"file is larger than {MAX_SCENARIO_BYTES // 1000} kB")
        if b"\x00" in data:
            raise ScenarioError("scenario", "is a binary file, not YAML text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScenarioError("scenario", "is not UTF-8 text") from None
    else:
        text = data
    if not text.strip():
        raise ScenarioError("scenario", "file is empty")
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "yaml"
        raise ScenarioError(where, f"{exc.problem or exc.context or 'invalid YAML'}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError("yaml", str(exc).splitlines()[0]) from None
    if raw is None:
        raise ScenarioError("scenario", "file is empty")
    if not isinstance(raw, dict):
        raise ScenarioError("scenario", "must be a mapping of fields (name:, workload:, options:, ...)")
    return raw


def _comment_on(line: str) -> str | None:
    """The trailing ``# comment`` of one line, ignoring '#' inside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            text = line[i + 1:].strip()
            return text or None
    return None


def line_comments(text: str) -> dict[str, str]:
    """Map each dotted field path to the trailing comment that documents it (its source).

    A value's own line wins; otherwise the comment after the flow mapping or list that holds it
    (``- {kind: ..., multiplier: ...}   # source``) applies to every field inside.
    """
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    lines = text.splitlines()
    found: dict[str, str] = {}

    def comment(line_no: int) -> str | None:
        return _comment_on(lines[line_no]) if 0 <= line_no < len(lines) else None

    def walk(node: yaml.Node, path: list[str], inherited: str | None) -> None:
        flow = getattr(node, "flow_style", False)
        own = comment(node.end_mark.line if node.end_mark.column > 0 else node.end_mark.line - 1)
        here = own if (flow or isinstance(node, yaml.ScalarNode)) and own else inherited
        if isinstance(node, yaml.MappingNode):
            if path and here:
                found[".".join(path)] = here
            if len(node.value) == 1 and node.value[0][0].value in DISTRIBUTION_FORMS:
                return  # a distribution is one field: its parts need no sources of their own
            for key_node, value_node in node.value:
                key_comment = comment(key_node.start_mark.line)
                child = key_comment if not isinstance(value_node, yaml.MappingNode) or getattr(
                    value_node, "flow_style", False) else None
                walk(value_node, [*path, str(key_node.value)], child or here)
        elif isinstance(node, yaml.SequenceNode):
            if path and here:
                found[".".join(path)] = here
            for i, item in enumerate(node.value):
                walk(item, [*path, str(i)], here if flow else None)
        elif path and here:
            found[".".join(path)] = here

    if root is not None:
        walk(root, [], None)
    return found


# --------------------------------------------------------------------------------------------
# Validation error to one line


@cache
def _all_field_names() -> tuple[str, ...]:
    names: set[str] = set()
    for cls in (Scenario, Workload, ApiOption, SelfHostedOption, Purchase, MissingComponent, Licence,
                Strategy, Switching, Risk, Correlation, Stress):
        names.update(cls.model_fields)
    return tuple(sorted(names))


def _location(loc: tuple[Any, ...]) -> list[str]:
    parts = [str(p) for p in loc]
    # A discriminated union puts the tag ('api', 'self_hosted') after the option name: drop it.
    if len(parts) >= 3 and parts[0] == "options" and parts[2] in ("api", "self_hosted"):
        del parts[2]
    # Union members add type names such as 'float' or 'function-before[...]' to the location.
    return [p for p in parts if p not in _TYPE_NAMES
            and not p.startswith(("function-", "tagged-union[", "is-instance[", "union["))]


_TYPE_NAMES = {"float", "int", "str", "bool", "Distribution", "none", "dict", "list", "tuple"}


def _translate(error: dict[str, Any]) -> ScenarioError:
    parts = _location(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, _FieldError):
        if original.absolute:
            return ScenarioError(original.field, original.rule)
        return ScenarioError(".".join([*parts, original.field]), original.rule)
    field = ".".join(parts) or "scenario"
    if kind == "extra_forbidden":
        key = parts[-1] if parts else ""
        hint = difflib.get_close_matches(key, _all_field_names(), n=1, cutoff=0.6)
        tail = f" (did you mean '{hint[0]}'?)" if hint else ""
        return ScenarioError(field, f"is not a known field{tail}")
    if kind == "missing":
        return ScenarioError(field, "is required")
    if kind == "union_tag_not_found":
        return ScenarioError(f"{field}.kind", "is required (one of 'api', 'self_hosted')")
    if kind == "union_tag_invalid":
        return ScenarioError(f"{field}.kind", "must be one of 'api', 'self_hosted'")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return ScenarioError(field, "must be a mapping of fields")
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    message = message.replace("Input should be", "must be").replace("String should", "must")
    message = message.replace("Tuple should", "must").replace("List should", "must")
    return ScenarioError(field, message[0].lower() + message[1:] if message else "is invalid")


def validate(raw: dict[str, Any], comments: dict[str, str] | None = None) -> Scenario:
    """Validate a parsed mapping into a ``Scenario``, or raise a one-line ``ScenarioError``.

    Beyond the schema, this resolves every catalog reference and plans every self-hosted replica,
    so an unknown model or an unreachable latency target fails here and not in the kernel.
    ``comments`` maps field paths to the trailing comments that cite their sources.
    """
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise _translate(exc.errors()[0]) from None
    scenario.__pydantic_private__["_comments"] = dict(comments or {})
    from tco.inputs import resolve  # noqa: PLC0415 - resolve needs the Scenario class defined here

    resolve(scenario)
    return scenario


def loads(data: bytes | str, comments: dict[str, str] | None = None) -> Scenario:
    """Load a scenario from YAML text or bytes, keeping its trailing comments as sources.

    ``comments`` adds to (and overrides) the comments found in the text.
    """
    raw = parse_yaml(data)
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return validate(raw, {**line_comments(text), **(comments or {})})


def comments_of(scenario: Scenario) -> dict[str, str]:
    """The source comments a scenario was loaded with (path -> comment)."""
    return dict((scenario.__pydantic_private__ or {}).get("_comments") or {})


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "is a directory, not a scenario file") from None
    except OSError as exc:
        raise ScenarioError(str(path), exc.strerror or "cannot be read") from None
    return loads(data)


def to_dict(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario as plain data: the fields the author set, distributions as mappings."""
    return scenario.model_dump(mode="json", exclude_unset=True)


def dumps(scenario: Scenario) -> str:
    """Write a scenario back to YAML that loads to an equal scenario, source comments included."""
    text = yaml.dump(_flow_distributions(to_dict(scenario)), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100)
    comments = comments_of(scenario)
    if not comments:
        return text
    lines = text.splitlines()
    key_lines: dict[str, int] = {}

    def walk(node: yaml.Node, path: list[str]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = [*path, str(key_node.value)]
                key_lines[".".join(child)] = key_node.start_mark.line
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                key_lines[".".join([*path, str(i)])] = item.start_mark.line
                walk(item, [*path, str(i)])

    walk(yaml.compose(text, Loader=_Loader), [])
    placed: set[int] = set()
    for path, note in comments.items():
        line = key_lines.get(path)
        if line is not None and line not in placed and "#" not in lines[line]:
            lines[line] = f"{lines[line]}  # {note}"
            placed.add(line)
    return "\n".join(lines) + "\n"


class _Flow(dict):
    """A mapping written on one line: distributions read as ``{triangular: [1, 2, 3]}``."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping(
    "tag:yaml.org,2002:map", data, flow_style=True))


def _flow_distributions(node: Any) -> Any:
    if isinstance(node, dict):
        if len(node) == 1 and next(iter(node)) in DISTRIBUTION_FORMS:
            return _Flow(node)
        return {k: _flow_distributions(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_flow_distributions(v) for v in node]
    return node


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of scenario files, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "LLM TCO scenario (v1)"
    return schema


def with_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """Return a new validated scenario with dotted-path fields replaced.

    ``changes`` maps paths such as ``"workload.requests_per_month"`` or ``"risks.2.annual_probability"``
    to new values (numbers or distribution mappings).
    """
    data = to_dict(scenario)
    for path, value in changes.items():
        set_path(data, path, value)
    kept = {k: v for k, v in comments_of(scenario).items() if k not in changes}
    return validate(data, kept)


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` inside nested dicts and lists, creating mappings as needed."""
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = node[int(part)]
        else:
            if part not in node or node[part] is None:
                node[part] = {}
            node = node[part]
        if not isinstance(node, (dict, list)):
            raise ScenarioError(".".join(parts[: i + 1]), "is not a section that holds fields")
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def get_path(data: Any, path: str) -> Any:
    """Return the value at a dotted ``path`` inside a scenario or plain data, or None."""
    node = data
    for part in path.split("."):
        if node is None:
            return None
        if isinstance(node, BaseModel):
            node = getattr(node, part, None)
        elif isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, (list, tuple)):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        else:
            return None
    return node
