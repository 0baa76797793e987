"""API options: a closed model bought per token from a vendor, priced from the genai-prices
snapshot or the scenario, with an optional enterprise commitment and fine-tuning service."""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from tco.fields import MAX_HORIZON_MONTHS, FieldError, Model, NonNegative, Share
from tco.options import tokens
from tco.options.base import Control, OptionKind
from tco.options.fine_tune import VendorFineTune
from tco.options.rows import Row
from tco.options.table import OptionInputs, Table
from tco.options.tokens import TokenPrices
from tco.sections import DOCUMENTED, History, OtherCosts


class Commitment(Model):
    """An API enterprise commitment: a monthly minimum for a discount, owed for its term."""

    model_config = DOCUMENTED
    usd_per_month: NonNegative = Field(description="Monthly minimum of an API commitment, owed for "
                                       "its term even after an exit.")
    discount: Share = Field(0.0, description="Discount on list prices during the commitment's term.")
    term_months: int = Field(ge=1, le=MAX_HORIZON_MONTHS,
                             description="Length of the commitment from month 0.")


class ApiOption(TokenPrices):
    """A closed model bought per token from a vendor's API."""

    model_config = DOCUMENTED
    kind: Literal["api"] = Field(description="'api': a model bought per token from a vendor.")
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


def resolve(table: Table, name: str, o: ApiOption, sc: Any, plans: dict[str, Any],
            warnings: list[str]) -> None:
    """Add the option's inputs: scenario values first, then the price catalog, then defaults."""
    prefix = f"options.{name}"
    tokens.resolve(table, prefix, o, o.catalog, sc, warnings)
    if o.commitment is not None:
        table.fields(f"{prefix}.commitment", o.commitment, ("usd_per_month", "discount"))
    if o.fine_tune is not None:
        table.fields(f"{prefix}.fine_tune", o.fine_tune, ("usd_per_mtok_trained", "hosting_usd_per_hour",
                                                           "price_multiplier", "traffic_share"))


CommitRow = namedtuple("CommitRow", ["month_usd", "discount", "end"])
"""A committed spend: ``month_usd`` owed each month before ``end`` (a month index; 0: none) while
the strategy has signed it, against usage billed at (1 - ``discount``)."""

COMMITMENT = Row(CommitRow, codes={"end": int})


def fill(rows: Any, j: int, get: OptionInputs, w: dict[str, np.ndarray],
         option: ApiOption, plan: None = None, profile: tuple[float, ...] | None = None) -> None:
    """Write row ``j`` of the kernel's option inputs: the request's token price (see
    ``tco.options.tokens.fill``) and the commitment."""
    tokens.fill(rows, j, get, w)
    if option.commitment is not None:
        rows.commitment.month_usd[j] = get("commitment.usd_per_month")
        rows.commitment.discount[j] = get("commitment.discount")
        rows.commitment.end[j] = option.commitment.term_months


def scheduled(name: str, o: ApiOption, sc: Any, start: str, months: int) -> list[tuple[int, float, str]]:
    """Announced price changes of the option's catalog entry within the horizon."""
    return tokens.scheduled(o.catalog, o, sc, start, months)


def vendor(o: ApiOption) -> str | None:
    """The provider of the catalog entry ('anthropic/claude-sonnet-4-6' -> 'anthropic'); None
    for prices given in the scenario, whose seller the file does not name."""
    return None if o.catalog is None else o.catalog.partition("/")[0]


def describe(o: ApiOption) -> str:
    return f"API {o.catalog or 'priced in the scenario'}"


KIND = OptionKind(
    name="api", label="API", one="an API", plural="API options", model=ApiOption,
    billing="tokens", resolve=resolve, fill=fill, rows=("common", "commitment"), describe=describe,
    history="models", vendor=vendor,
    product=lambda o: o.catalog, commitment=lambda o: o.commitment,
    controls=(Control("input_usd_per_mtok", "number", 1, 0, None, 0.05, "%.3f"),
              Control("output_usd_per_mtok", "number", 1, 0, None, 0.1, "%.3f")),
    scheduled=scheduled)
