"""Typed records of kernel inputs, one row per option, each declared by the module that fills it.

The kernel reads an option through a few small records instead of one wide table: the
``Common`` record every kind fills (billing, price, escalation, weights), and one record per
feature a kind may have, declared beside it: a fleet and a licence (``self_hosted``), a
commitment (``api``), a release track (``track``), fine-tuning (``fine_tune``). A kind without
the feature leaves that record's row at rest (zeros, or the ones its ``Row`` names), which the
kernel reads as "none".
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Literal

import numpy as np

HOURS_PER_DAY = 24
DTYPES = {int: np.int64, bool: np.bool_, float: np.float64}


@dataclass(frozen=True)
class Row:
    """How to lay out one record for ``n`` options: every field is per option and per path
    ``(options, paths)`` float64 unless it is a code, one value per option, or a profile."""

    record: type
    """The namedtuple the kernel reads (declared at module level, so numba's cache can name it)."""
    codes: dict[str, type] = field(default_factory=dict)
    """Fields with one value per option ``(options,)``: int, bool or float."""
    ones: tuple[str, ...] = ()
    """Fields whose value at rest is 1 (a factor, a period), not 0."""
    shaped: dict[str, Literal["hours", "months"]] = field(default_factory=dict)
    """Fields shaped (options, 24 hours) at rest 1, or (options, months) at rest 0."""

    def blank(self, n: int, paths: int, months: int) -> SimpleNamespace:
        """Every field at rest, to be filled row by row."""
        rows = SimpleNamespace()
        for name in self.record._fields:
            rest = np.ones if name in self.ones else np.zeros
            if name in self.codes:
                value = rest(n, dtype=DTYPES[self.codes[name]])
            elif self.shaped.get(name) == "hours":
                value = np.ones((n, HOURS_PER_DAY))
            elif self.shaped.get(name) == "months":
                value = np.zeros((n, months))
            else:
                value = rest((n, paths))
            setattr(rows, name, value)
        return rows

    def build(self, rows: SimpleNamespace):
        """The filled record."""
        return self.record(**vars(rows))


Common = namedtuple("Common", [
    "billing", "indexed", "unit_usd", "drift", "sigma", "scheduled_log", "setup_usd", "escalates",
    "escalation_share", "weights", "same_weights_share"])
"""What every option has. ``billing`` the kind's billing code (``tco.options.TOKENS`` or
``FLEET``: the only distinction the kernel knows); ``indexed`` its price follows the price index,
``unit_usd`` one request's cost at price index 1, ``drift``/``sigma`` the index's monthly log drift
and volatility, ``scheduled_log`` (options, months) the log of announced price changes in force
in each month; ``setup_usd`` paid in the first month it carries traffic; ``escalates`` an
open-weight option whose ``escalation_share`` goes to the fallback; ``weights`` numbers the
open-weight model an option serves (-1: closed), and a move between two options with the same
number costs the smaller of their ``same_weights_share`` (1 where the kind has no such field) of
the migration effort."""

COMMON = Row(Common, codes={"billing": int, "indexed": bool, "escalates": bool, "weights": int},
             ones=("same_weights_share",), shaped={"scheduled_log": "months"})
