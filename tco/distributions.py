"""Guesstimate-style distributions for numeric scenario fields.

A numeric leaf of a scenario is a plain number or one of five distributions, each written as a
mapping with exactly one key. Every distribution is sampled through its quantile function
(``ppf``), so pseudo-random, Latin hypercube and Sobol uniforms, and copula-correlated uniforms, all
go through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import special

# scipy.special, not scipy.stats: the same ndtri (norm.ppf calls it) without 48 MB and a second
# of imports in every process that only simulates.
Z_P90 = float(special.ndtri(0.9))
"""Standard-normal 90th percentile, 1.2815515655446004."""


@dataclass(frozen=True)
class Distribution:
    """Base class: a distribution with a nominal value and a vectorised quantile function."""

    form: ClassVar[str] = ""

    @property
    def nominal(self) -> float:
        raise NotImplementedError

    @property
    def mean(self) -> float:
        raise NotImplementedError

    @property
    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take (may be infinite)."""
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Return the quantiles at probabilities ``u`` (any shape, values in (0, 1))."""
        raise NotImplementedError

    def sample(self, size: int | tuple[int, ...], *, rng: np.random.Generator) -> np.ndarray:
        """Draw ``size`` values by inversion of ``rng.random(size)``."""
        return self.ppf(rng.random(size))

    def to_yaml(self) -> dict[str, Any]:
        raise NotImplementedError


def _clean(x: float) -> float | int:
    """Write 3.0 as 3 in YAML, so round trips read like the user's file."""
    return int(x) if float(x).is_integer() and abs(x) < 1e15 else float(x)


@dataclass(frozen=True)
class _LowModeHigh(Distribution):
    """Shared shape of the bounded three-point forms: nominal is the mode."""

    low: float
    mode: float
    high: float

    @property
    def nominal(self) -> float:
        return self.mode

    @property
    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def to_yaml(self) -> dict[str, Any]:
        return {self.form: [_clean(self.low), _clean(self.mode), _clean(self.high)]}


@dataclass(frozen=True)
class Triangular(_LowModeHigh):
    form: ClassVar[str] = "triangular"

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        width = self.high - self.low
        if width == 0.0:
            return np.full_like(u, self.low)
        split = (self.mode - self.low) / width
        left = self.low + np.sqrt(u * width * (self.mode - self.low))
        right = self.high - np.sqrt((1.0 - u) * width * (self.high - self.mode))
        return np.where(u < split, left, right)


@dataclass(frozen=True)
class Pert(_LowModeHigh):
    """Beta-PERT with shape 4: alpha = 1 + 4 (mode - low) / (high - low)."""

    form: ClassVar[str] = "pert"

    @property
    def mean(self) -> float:
        return (self.low + 4.0 * self.mode + self.high) / 6.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        width = self.high - self.low
        if width == 0.0:
            return np.full_like(u, self.low)
        alpha = 1.0 + 4.0 * (self.mode - self.low) / width
        beta = 1.0 + 4.0 * (self.high - self.mode) / width
        return self.low + width * special.betaincinv(alpha, beta, u)


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float
    form: ClassVar[str] = "uniform"

    @property
    def nominal(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def mean(self) -> float:
        return self.nominal

    @property
    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    def to_yaml(self) -> dict[str, Any]:
        return {"uniform": [_clean(self.low), _clean(self.high)]}


@dataclass(frozen=True)
class Lognormal(Distribution):
    """Lognormal through its median and 90th percentile: sigma = ln(p90 / median) / z_0.9."""

    median: float
    p90: float
    form: ClassVar[str] = "lognormal"

    @property
    def sigma(self) -> float:
        return float(np.log(self.p90 / self.median) / Z_P90)

    @property
    def nominal(self) -> float:
        return self.median

    @property
    def mean(self) -> float:
        return float(self.median * np.exp(0.5 * self.sigma**2))

    @property
    def bounds(self) -> tuple[float, float]:
        return 0.0, float("inf")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.median * np.exp(self.sigma * special.ndtri(np.asarray(u, dtype=float)))

    def to_yaml(self) -> dict[str, Any]:
        return {"lognormal": {"median": _clean(self.median), "p90": _clean(self.p90)}}


@dataclass(frozen=True)
class Normal(Distribution):
    mean_value: float
    sd: float
    form: ClassVar[str] = "normal"

    @property
    def nominal(self) -> float:
        return self.mean_value

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def bounds(self) -> tuple[float, float]:
        if self.sd == 0.0:
            return self.mean_value, self.mean_value
        return float("-inf"), float("inf")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mean_value + self.sd * special.ndtri(np.asarray(u, dtype=float))

    def to_yaml(self) -> dict[str, Any]:
        return {"normal": {"mean": _clean(self.mean_value), "sd": _clean(self.sd)}}


@dataclass(frozen=True)
class TruncatedNormal(Normal):
    """A ``normal`` on a bounded field, truncated to the field's range [low, high].

    Sampled by inversion: x = m + sd ndtri(Phi(a) + u (Phi(b) - Phi(a))), a = (low - m) / sd,
    b = (high - m) / sd. Its nominal value stays the written ``mean`` (the mean parameter); the
    truncated distribution's own mean differs when the range cuts one tail more than the other.
    Written back to YAML as the user wrote it.
    """

    low: float = float("-inf")
    high: float = float("inf")

    @property
    def bounds(self) -> tuple[float, float]:
        if self.sd == 0.0:
            return self.mean_value, self.mean_value
        return self.low, self.high

    @property
    def mean(self) -> float:
        if self.sd == 0.0:
            return self.mean_value
        a, b = (self.low - self.mean_value) / self.sd, (self.high - self.mean_value) / self.sd
        mass = special.ndtr(b) - special.ndtr(a)
        density = (np.exp(-0.5 * a * a) if np.isfinite(a) else 0.0) - (
            np.exp(-0.5 * b * b) if np.isfinite(b) else 0.0)
        return float(self.mean_value + self.sd * density / np.sqrt(2 * np.pi) / mass)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.sd == 0.0:
            return np.full(np.shape(u), self.mean_value)
        a = special.ndtr((self.low - self.mean_value) / self.sd)
        b = special.ndtr((self.high - self.mean_value) / self.sd)
        x = self.mean_value + self.sd * special.ndtri(a + np.asarray(u, dtype=float) * (b - a))
        return np.clip(x, self.low, self.high)  # rounding at the ends must not leave the range


FORMS = ("triangular", "pert", "uniform", "lognormal", "normal")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{where} must be a finite number")
    return float(value)


def _triple(form: str, body: Any) -> tuple[float, float, float]:
    if not isinstance(body, (list, tuple)) or len(body) != 3:
        raise ValueError(f"{form} needs a list [low, mode, high]")
    low, mode, high = (_number(v, f"{form} value") for v in body)
    if not low <= mode <= high:
        raise ValueError(f"{form} needs low <= mode <= high, got [{low:g}, {mode:g}, {high:g}]")
    return low, mode, high


def parse_distribution(raw: Any) -> Distribution:
    """Build a distribution from its YAML mapping, raising ``ValueError`` with one clear rule."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(
            "must be a number or a mapping with exactly one of " + ", ".join(FORMS)
        )
    ((form, body),) = raw.items()
    if form == "triangular":
        return Triangular(*_triple(form, body))
    if form == "pert":
        return Pert(*_triple(form, body))
    if form == "uniform":
        if not isinstance(body, (list, tuple)) or len(body) != 2:
            raise ValueError("uniform needs a list [low, high]")
        low, high = (_number(v, "uniform value") for v in body)
        if low > high:
            raise ValueError(f"uniform needs low <= high, got [{low:g}, {high:g}]")
        return Uniform(low, high)
    if form == "lognormal":
        if not isinstance(body, dict) or set(body) != {"median", "p90"}:
            raise ValueError("lognormal needs {median: m, p90: h}")
        median, p90 = _number(body["median"], "median"), _number(body["p90"], "p90")
        if not p90 > median > 0:
            raise ValueError(f"lognormal needs p90 > median > 0, got median {median:g}, p90 {p90:g}")
        return Lognormal(median, p90)
    if form == "normal":
        if not isinstance(body, dict) or set(body) != {"mean", "sd"}:
            raise ValueError("normal needs {mean: m, sd: s}")
        mean, sd = _number(body["mean"], "mean"), _number(body["sd"], "sd")
        if sd < 0:
            raise ValueError(f"normal needs sd >= 0, got {sd:g}")
        return Normal(mean, sd)
    raise ValueError(f"unknown distribution '{form}'; use one of " + ", ".join(FORMS))


def nominal(value: float | Distribution) -> float:
    """Return the nominal value of a number or distribution."""
    return value.nominal if isinstance(value, Distribution) else float(value)


def quantile(value: float | Distribution, p: float) -> float:
    """Return the p-quantile of a distribution, or the number itself."""
    if isinstance(value, Distribution):
        return float(value.ppf(np.array([p]))[0])
    return float(value)


JSON_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "number"},
        {"type": "object", "additionalProperties": False, "required": ["triangular"],
         "properties": {"triangular": {"type": "array", "items": {"type": "number"},
                                       "minItems": 3, "maxItems": 3}}},
        {"type": "object", "additionalProperties": False, "required": ["pert"],
         "properties": {"pert": {"type": "array", "items": {"type": "number"},
                                 "minItems": 3, "maxItems": 3}}},
        {"type": "object", "additionalProperties": False, "required": ["uniform"],
         "properties": {"uniform": {"type": "array", "items": {"type": "number"},
                                    "minItems": 2, "maxItems": 2}}},
        {"type": "object", "additionalProperties": False, "required": ["lognormal"],
         "properties": {"lognormal": {"type": "object", "additionalProperties": False,
                                      "required": ["median", "p90"],
                                      "properties": {"median": {"type": "number"},
                                                     "p90": {"type": "number"}}}}},
        {"type": "object", "additionalProperties": False, "required": ["normal"],
         "properties": {"normal": {"type": "object", "additionalProperties": False,
                                   "required": ["mean", "sd"],
                                   "properties": {"mean": {"type": "number"},
                                                  "sd": {"type": "number"}}}}},
    ],
    "description": "A number, or a distribution mapping with exactly one key. A normal on a "
                   "bounded field is truncated to the field's range; its mean parameter stays the "
                   "nominal value.",
}
