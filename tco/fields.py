"""Schema primitives: bounded numeric fields, the frozen model base and the one-field error.

Every numeric leaf of a scenario is a number or a distribution within its field's ``Bounds``; the
bounds live on the field's type, so validation, the tornado's swing limits and the help text read
them from one place. Nothing here does I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

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
            dist = TruncatedNormal(dist.mean_value, dist.sd, float(low), float(high))
        low, high = dist.bounds
        if isinstance(dist, Lognormal):
            if not bounds.holds(dist.median) or (bounds.le is not None or bounds.lt is not None):
                raise ValueError(f"{bounds.rule()}; a lognormal is unbounded above, "
                                 "use triangular, pert or uniform")
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


class Model(BaseModel):
    """Base of every scenario section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


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
