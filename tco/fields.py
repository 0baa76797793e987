"""Schema primitives: bounded numeric fields, the frozen model base and the one-field error.

Every numeric leaf of a scenario is a number or a distribution within its field's ``Bounds``; the
bounds live on the field's type, so validation, the tornado's swing limits and the help text read
them from one place. Nothing here does I/O.
"""

from __future__ import annotations

import math
import re
import types
import typing
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from scipy import special

from tco.distributions import (
    JSON_SCHEMA,
    Distribution,
    Lognormal,
    Normal,
    TruncatedNormal,
    parse_distribution,
)

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
    most: float | None = None
    """The largest magnitude that keeps a run's costs finite over any horizon: a number above it,
    or a distribution whose extreme draws exceed it, is refused (as a typo, 20 for 0.20)."""

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

    def too_large(self, x: float) -> str | None:
        """The rule a value breaks by its size, or None."""
        if self.most is not None and abs(x) > self.most:
            return f"must be at most {self.most:g} (larger values make costs overflow)"
        return None

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
        if (broken := bounds.too_large(x)) is not None:
            raise ValueError(broken)
        return x
    if isinstance(value, Distribution):
        dist = value
    elif isinstance(value, dict):
        dist = parse_distribution(value)
    else:
        raise ValueError(f"must be a number or a distribution, got {value!r}")
    if bounds.bounded:
        if isinstance(dist, Normal) and dist.sd > 0:
            if not bounds.holds(dist.mean_value):
                raise ValueError(f"{bounds.rule()} (the normal's mean is {dist.mean_value:g})")
            # Truncated to the field's range; an open end (gt, lt) is approached, never reached.
            low = bounds.ge if bounds.ge is not None else bounds.gt
            high = bounds.le if bounds.le is not None else bounds.lt
            if bounds.most is not None:
                low = -bounds.most if low is None else low
                high = bounds.most if high is None else min(high, bounds.most)
            low = -np.inf if low is None else np.nextafter(low, np.inf) if bounds.ge is None else low
            high = np.inf if high is None else (np.nextafter(high, -np.inf)
                                                if bounds.le is None and bounds.lt is not None
                                                else high)
            kept = float(special.ndtr((high - dist.mean_value) / dist.sd)
                         - special.ndtr((low - dist.mean_value) / dist.sd))
            if not kept >= MIN_NORMAL_MASS:
                # Truncated to a sliver of itself, the normal would be a near-uniform over the
                # whole range (sd 1e300 was exactly that): refuse a spread the range cannot hold.
                raise ValueError(f"{bounds.rule()}; this normal's sd ({dist.sd:g}) puts "
                                 f"{1 - kept:.0%} of it outside that range, use a smaller sd")
            dist = TruncatedNormal(dist.mean_value, dist.sd, float(low), float(high))
        low, high = dist.bounds
        if isinstance(dist, Lognormal):
            top = float(dist.ppf(np.array([1.0 - EXTREME_U]))[0])
            upper = bounds.le if bounds.le is not None else bounds.lt
            if not bounds.holds(dist.median) or (upper is not None and not top <= upper):
                raise ValueError(f"{bounds.rule()}; this lognormal reaches {top:.3g} in its "
                                 "far tail, use a smaller p90 or triangular, pert or uniform")
        elif not (bounds.holds(low) and bounds.holds(high)):
            raise ValueError(f"{bounds.rule()} (the {dist.form} range is {low:g} to {high:g})")
    if bounds.most is not None:
        # The extreme values the sampler can draw: its uniforms stay inside [eps, 1 - eps].
        with np.errstate(over="ignore"):  # an infinite extreme is the finding, reported below
            extremes = dist.ppf(np.array([EXTREME_U, 1.0 - EXTREME_U]))
        for x in extremes:
            if not math.isfinite(x) or (broken := bounds.too_large(float(x))) is not None:
                raise ValueError(f"{broken or 'must stay finite'}; this {dist.form} reaches "
                                 f"{float(x):g}")
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


MIN_NORMAL_MASS = 0.5
"""A ``normal`` is truncated to its field's range; at least this share of it must lie inside."""
EXTREME_U = 1e-12
"""Uniforms are drawn inside [EXTREME_U, 1 - EXTREME_U], so quantile functions stay finite."""
MOST = 1e15
"""The largest magnitude of any numeric input (a trillion-fold margin over real prices and volumes)."""
MOST_MULTIPLIER = 1e3
"""A per-event multiplier above a thousand is a typo; events compound, so they are bounded tighter."""

Share = quantity(ge=0.0, le=1.0)
NonNegative = quantity(ge=0.0, most=MOST)
Positive = quantity(gt=0.0, most=MOST)
Rate = quantity(gt=-1.0, most=MOST)
GrowthRate = quantity(gt=-1.0, most=1.0)
"""A monthly growth rate: above 100% a month the traffic of 240 months overflows any budget."""
TrendRate = quantity(gt=-1.0, most=10.0)
"""A yearly price trend: at most +1,000% a year."""
Multiplier = quantity(gt=0.0, most=MOST_MULTIPLIER)

# Practical ranges: a real scenario never needs to leave them, and a value outside is a typo or a
# unit slip (20 for 0.20, cents for dollars, a month count in days). Each says where it comes from.
Utilization = quantity(ge=0.05, le=1.0)
"""Planned share of peak capacity: below 5% a fleet is twenty times larger than its load, which
no capacity plan intends (1e-300 gave 150-digit costs)."""
DISCOUNT_RATE_RANGE = (-0.05, 0.5)
DiscountRate = quantity(ge=DISCOUNT_RATE_RANGE[0], le=DISCOUNT_RATE_RANGE[1])
"""A yearly discount rate: the lowest real policy rates seen were about -0.75% (SNB 2015-2022) and
a venture hurdle rate is 25-50%; -99% multiplied NPVs by 200,000."""
HIGH_DISCOUNT_RATE = 0.25
"""Above this a discount rate is a venture hurdle rate, not a cost of capital: warned of."""
MAX_USD_PER_GPU_HOUR = 1_000.0
GpuHourPrice = quantity(gt=0.0, le=MAX_USD_PER_GPU_HOUR)
"""One GPU for one hour: on-demand H100s list at $2-12 and a whole 8-GPU B200 node under $100
(cloud price lists, 2026); $1,000 an hour is ten times the dearest GPU ever rented."""
MAX_COUNT = 100_000
"""Replicas, reserved GPUs or staff of one option: the largest clusters built hold about 100,000
GPUs (xAI Colossus, 2024)."""
Staff = quantity(ge=0.0, le=float(MAX_COUNT))
PeakToAverage = quantity(ge=1.0, le=100.0)
"""Busiest hour over the average hour: a strongly diurnal service runs 2-5; 100 is traffic that
comes in one hour in four days."""
Volatility = quantity(ge=0.0, le=2.0)
"""Yearly standard deviation of a price index: 200% a year is above any traded commodity's
(natural gas in 2022 peaked near 150%)."""
TokenPrice = quantity(ge=0.0, le=10_000.0)
"""Price of a million tokens: the dearest list price is $600 (o1-pro output, 2025)."""
TokensPerRequest = quantity(gt=0.0, le=100_000_000.0)
"""Tokens of one request: the longest context windows hold 10 million tokens."""
Requests = quantity(ge=0.0, le=1e12)
"""Requests a month: a trillion is over a hundred times the largest public chat service's
(about 2.5 billion prompts a day, OpenAI, July 2025)."""
Users = quantity(ge=0.0, le=1e10)
"""Monthly active users: more than the world's population is a typo."""
Months = quantity(ge=0.0, le=float(MAX_HORIZON_MONTHS))
"""A duration that must fit the longest horizon."""
GpuPrice = quantity(gt=0.0, le=10_000_000.0)
"""One bought GPU with its server share: a B200 server sells for about $50,000 a GPU (2025)."""
YearlyPay = quantity(ge=0.0, le=10_000_000.0)
"""Loaded yearly cost of one person: ten million a year is above any engineer's package."""
Money = quantity(ge=0.0, le=1e12)
"""A one-off or monthly amount: a trillion in the scenario's currency exceeds any IT budget."""

MAX_RESULT = 1e15
"""The largest cost any result may reach, in the scenario's currency: above it an input is wrong."""


class Model(BaseModel):
    """Base of every scenario section: unknown keys are errors, values are immutable, and a number
    or a true/false written as text (``horizon_months: "36"``) is refused rather than converted."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data: Any) -> Any:
        if isinstance(data, dict):
            kinds = _scalar_kinds(cls)
            for name, value in data.items():
                kind = kinds.get(name) if isinstance(name, str) else None
                if kind is not None and (broken := _coerced(kind, value)):
                    raise FieldError(name, broken)
        return data


_KINDS: dict[type, dict[str, str]] = {}


def _scalar_kinds(model: type[BaseModel]) -> dict[str, str]:
    """'number' or 'bool' for each field declared as a plain int, float or bool (optional, or a
    tuple of them); number-or-distribution fields check their own values (``parse_quantity``)."""
    if model not in _KINDS:
        kinds = {}
        for name, field in model.model_fields.items():
            found = _kind_of(field.annotation)
            if found:
                kinds[name] = found
        _KINDS[model] = kinds
    return _KINDS[model]


def _kind_of(annotation: Any) -> str | None:
    if annotation is bool:
        return "bool"
    if annotation in (int, float):
        return "number"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple):
        kinds = {_kind_of(a) for a in typing.get_args(annotation) if a not in (type(None), Ellipsis)}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _coerced(kind: str, value: Any) -> str | None:
    """The rule a value breaks by its type (pydantic would convert it silently), or None."""
    items = value if isinstance(value, (list, tuple)) else (value,)
    for item in items:
        if kind == "bool" and not isinstance(item, bool) and item is not None:
            return f"must be true or false, got {_echo(item)}"
        if kind == "number" and isinstance(item, (str, bool)):
            if isinstance(item, bool):
                return f"must be a number, got {item}"
            hint = "; write it without quotes" if _NUMBER_TEXT.fullmatch(item.strip()) else ""
            return f"must be a number, got the text {_echo(item)}{hint}"
    return None


_NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _echo(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:39]}…"


# Text: names, keys and labels are one line a reader sees in a table, a chart, a workbook, a deck
# and a terminal. Characters that are invisible or that change the text around them are refused:
# controls (Cc), surrogates (Cs: no encoder writes one alone), format characters (Cf: bidirectional
# overrides, zero-width spaces, soft hyphens), line and paragraph separators (Zl, Zp) and the
# noncharacters U+FFFE/U+FFFF (XML, and so every workbook and deck, cannot hold them).
MAX_NAME_CHARS = 200
MAX_PROSE_CHARS = 5_000
"""A description is a paragraph: the longest shipped one has under 600 characters."""
_REFUSED_CATEGORIES = {"Cc": "a control character", "Cs": "a lone surrogate",
                       "Cf": "an invisible format character", "Zl": "a line separator",
                       "Zp": "a paragraph separator"}


def refused_character(text: str, allowed: str = "") -> str | None:
    """The rule ``text`` breaks by one of its characters, or None."""
    for ch in text:
        if ch in allowed or " " <= ch <= "~":
            continue
        category = unicodedata.category(ch)
        what = _REFUSED_CATEGORIES.get(category)
        if what is None and (0xFDD0 <= ord(ch) <= 0xFDEF or ord(ch) & 0xFFFE == 0xFFFE):
            what = "a noncharacter"
        if what is not None:
            name = unicodedata.name(ch, "") if category != "Cs" else ""
            return (f"must not contain {what} (found {ch!a}{', ' + name if name else ''}); "
                    "retype it as plain text")
    return None


def _name(text: str) -> str:
    if (broken := refused_character(text)) is not None:
        raise ValueError(broken)
    if not text.strip():
        raise ValueError("must not be empty or only spaces")
    return text


def _prose(text: str) -> str:
    if (broken := refused_character(text, "\n\t")) is not None:
        raise ValueError(broken)
    return text


Name = Annotated[str, Field(max_length=MAX_NAME_CHARS), AfterValidator(_name)]
"""A name shown in one line: visible characters, not blank, at most 200 characters."""
Prose = Annotated[str, Field(max_length=MAX_PROSE_CHARS), AfterValidator(_prose)]
"""A paragraph: visible characters, new lines and tabs, at most 5,000 characters."""


def positive(value: float | Distribution) -> bool:
    if isinstance(value, Distribution):
        return value.bounds[1] > 0
    return value > 0


class FieldError(ValueError):
    """A rule broken by one named sub-field; carries the name so the message can point at it."""

    def __init__(self, field: str, rule: str, absolute: bool = False) -> None:
        self.field = field
        self.rule = rule
        self.absolute = absolute
        super().__init__(f"{field}: {rule}")
