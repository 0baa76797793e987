"""The scenario's ``optimise:`` section: what the optimiser may choose and within which bounds.

``tco.optimise`` reads it; ``tco.schema`` ties its names to the scenario's options and strategies
(``check``), so a misspelt option fails at load with one line, like any other field.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

import tco.options as option_kinds
from tco.fields import MAX_COUNT, FieldError, Model, NonNegative, Share
from tco.sections import DOCUMENTED

MAX_COMMITMENT_TIERS = 8
"""Tiers listed per option: each is costed on the exact kernel, so the list stays short."""


class CommitmentTier(Model):
    """A committed-spend level the optimiser may sign, with the discount it buys."""

    model_config = DOCUMENTED

    usd_per_month: NonNegative = Field(description="Monthly minimum owed for the contract's term.")
    discount: Share | None = Field(None, description="Discount on list prices at this level; "
                                   "default: the option's own commitment's.")


class Optimise(Model):
    """Constraints on the mix the optimiser may choose."""

    strategy: str | None = Field(None, description="The strategy whose portability, overhead and "
                                 "other costs every candidate mix keeps, and whose fallback it uses "
                                 "unless fallback: says otherwise (default: the first strategy).")
    min_share: dict[str, float] = Field({}, description="Least share of traffic per option "
                                        "(option name -> fraction 0-1).")
    max_share: dict[str, float] = Field({}, description="Largest share of traffic per option "
                                        "(option name -> fraction 0-1).")
    exclude: tuple[str, ...] = Field((), description="Options the mix may not use (they may still "
                                     "be a fallback).")
    fallback: str | tuple[str, ...] | None = Field(
        None, description="A fixed fallback chain for every candidate mix (default: the strategy's).")
    fallback_from: tuple[str, ...] = Field((), description="Options the optimiser may choose the "
                                           "fallback from, one of them, instead of a fixed chain.")
    max_gpus: dict[str, int] = Field({}, description="Fleet ceiling: the most GPUs of each type "
                                     "(GPU catalog key -> count) the self-hosted options may use "
                                     "in any month.")

    commitment_tiers: dict[str, tuple[CommitmentTier, ...]] = Field(
        {}, description="Commitment levels the optimiser may sign per API option (option name -> "
        "list of {usd_per_month, discount}); not signing is always a choice. Default: the "
        "option's own commitment: sign it or not.")

    @field_validator("commitment_tiers")
    @classmethod
    def _tiers(cls, value: dict[str, tuple[CommitmentTier, ...]]
               ) -> dict[str, tuple[CommitmentTier, ...]]:
        for name, tiers in value.items():
            if not 1 <= len(tiers) <= MAX_COMMITMENT_TIERS:
                raise FieldError(name, f"must list 1 to {MAX_COMMITMENT_TIERS} tiers")
        return value

    @field_validator("min_share", "max_share")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for name, share in value.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)):
                raise FieldError(name, "must be a number between 0 and 1")
            if not 0.0 <= share <= 1.0:
                raise FieldError(name, "must be between 0 and 1")
        return {k: float(v) for k, v in value.items()}

    @field_validator("max_gpus")
    @classmethod
    def _ceilings(cls, value: dict[str, int]) -> dict[str, int]:
        for name, count in value.items():
            if not 0 <= count <= MAX_COUNT:
                raise FieldError(name, f"must be a whole number from 0 to {MAX_COUNT:,}")
        return value

    @field_validator("fallback", mode="before")
    @classmethod
    def _chain(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @property
    def chain(self) -> tuple[str, ...]:
        if self.fallback is None:
            return ()
        return (self.fallback,) if isinstance(self.fallback, str) else self.fallback


def check(section: Optimise, options: dict[str, Any], strategies: dict[str, Any]) -> None:
    """Tie the section's names to the scenario, and refuse constraints no mix can meet."""
    known = ", ".join(options)
    where = "optimise"
    if section.strategy is not None and section.strategy not in strategies:
        raise FieldError(f"{where}.strategy", f"'{section.strategy}' is not a defined strategy "
                         f"(strategies are {', '.join(strategies)})", absolute=True)
    for field, names in (("min_share", section.min_share), ("max_share", section.max_share),
                         ("exclude", section.exclude), ("fallback", section.chain),
                         ("fallback_from", section.fallback_from)):
        for name in names:
            if name not in options:
                raise FieldError(f"{where}.{field}", f"'{name}' is not a defined option (options "
                                 f"are {known})", absolute=True)
    for name in section.commitment_tiers:
        if name not in options:
            raise FieldError(f"{where}.commitment_tiers", f"'{name}' is not a defined option "
                             f"(options are {known})", absolute=True)
        if option_kinds.of(options[name]).commitment(options[name]) is None:
            raise FieldError(f"{where}.commitment_tiers.{name}", "needs the option's own "
                             "commitment: (its term and default discount)", absolute=True)
    if section.fallback is not None and section.fallback_from:
        raise FieldError(f"{where}.fallback_from", "give either a fixed fallback or options to "
                         "choose it from, not both", absolute=True)
    allowed = [name for name in options if name not in section.exclude]
    if not allowed:
        raise FieldError(f"{where}.exclude", "excludes every option; the mix needs at least one",
                         absolute=True)
    for name, share in section.min_share.items():
        if share > 0 and name in section.exclude:
            raise FieldError(f"{where}.min_share.{name}", f"is {share:g}, but the option is "
                             "excluded", absolute=True)
        if share > section.max_share.get(name, 1.0):
            raise FieldError(f"{where}.min_share.{name}", f"is {share:g}, above its max_share "
                             f"{section.max_share[name]:g}", absolute=True)
    least = sum(section.min_share.values())
    if least > 1.0 + 1e-9:
        listed = ", ".join(f"{n} {s:g}" for n, s in section.min_share.items() if s > 0)
        raise FieldError(f"{where}.min_share", f"the minimum shares sum to {least:g}, more than 1 "
                         f"({listed})", absolute=True)
    most = sum(section.max_share.get(name, 1.0) for name in allowed)
    if most < 1.0 - 1e-9:
        raise FieldError(f"{where}.max_share", f"the options allowed ({', '.join(allowed)}) can "
                         f"carry at most {most:g} of the traffic, less than 1", absolute=True)
