"""The commitment level of each API option in the chosen mix, chosen on the exact kernel.

A commitment is an option field, so each level is a modified scenario drawn with the same seed
and paths (common random numbers: the draws do not depend on commitment fields, ``tco.engine``),
as ``tco.optimise.reserve`` does for reserved GPUs. The levels are the option's tiers in the
``optimise:`` section (``commitment_tiers``), else its own contract; not signing is always one of
them, written as a zero minimum at no discount (the bill is then usage at list price, exactly
as without a contract, and the saved file keeps the contract's term).

Why every level is costed rather than searched: during the term a month's bill is
max(C, (1 - d) U) for a minimum C at discount d and list usage U (``tco.kernel.bills``). At one
discount it rises with C (its slope in C is P((1 - d) U < C) >= 0), so among levels sharing a
discount the least positive one wins and the only question is whether to sign; with tiers whose
discount grows with the minimum the curve over tiers is not convex, and a tier list is short
(``MAX_COMMITMENT_TIERS``). Levels whose CVaR95 (P95 under a P95 budget) exceeds the budget
are refused; ties go to the smaller minimum (less owed if traffic leaves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import tco.metrics as metrics
import tco.options as option_kinds
from tco.load import Loaded, with_changes
from tco.optimise.paths import CommonPaths, contracts
from tco.schema import Strategy


@dataclass(frozen=True)
class Level:
    """A commitment: the monthly minimum and the discount it buys (0 and 0: not signed)."""

    usd_per_month: float
    discount: float

    @property
    def signed(self) -> bool:
        return self.usd_per_month > 0 or self.discount > 0

    def to_json(self) -> dict[str, float]:
        return {"usd_per_month": self.usd_per_month, "discount": self.discount}


NOT_SIGNED = Level(0.0, 0.0)


@dataclass(frozen=True)
class Committed:
    """The scenario with the chosen levels, the levels by option and how many were costed."""

    scenario: Loaded
    levels: dict[str, Level]
    evaluations: int


def levels(sc: Loaded, option: str) -> list[Level]:
    """The levels to cost for ``option``, smallest minimum first (not signing first)."""
    contract = option_kinds.of(sc.options[option]).commitment(sc.options[option])
    section = sc.optimise
    tiers = section.commitment_tiers.get(option, ()) if section is not None else ()
    listed = [Level(t.usd_per_month, contract.discount if t.discount is None else t.discount)
              for t in tiers] or [Level(contract.usd_per_month, contract.discount)]
    return sorted(dict.fromkeys([NOT_SIGNED, *listed]), key=lambda lv: (lv.usd_per_month,
                                                                        lv.discount))


def cheapest(costs: Sequence[tuple[float, float]], budget_usd: float | None) -> int | None:
    """The index of the least expected cost among ``(mean, risk)`` pairs whose risk (the CVaR95
    or P95 the budget caps) is within the budget; ties to the first (the smaller minimum). None
    when every one exceeds it."""
    allowed = [k for k, (_, cvar) in enumerate(costs) if budget_usd is None or cvar <= budget_usd]
    return min(allowed, key=lambda k: (costs[k][0], k)) if allowed else None


def with_level(sc: Loaded, option: str, level: Level) -> Loaded:
    """The scenario with ``option``'s commitment at ``level`` (its term unchanged)."""
    prefix = f"options.{option}.commitment"
    return with_changes(sc, {f"{prefix}.usd_per_month": level.usd_per_month,
                             f"{prefix}.discount": level.discount})


def choose(sc: Loaded, strategy: Strategy, paths: int, seed: int,
           budget_usd: float | None = None, measure: str = "cvar95") -> Committed:
    """Cost every level of each API option in ``strategy`` that has a commitment; keep the
    cheapest whose ``measure`` (CVaR95 or P95, ``tco.metrics.metric_values``) is within the budget
    (the scenario's own level when none is)."""
    evaluations = 0
    chosen: dict[str, Level] = {}
    for name, contract in contracts(sc, strategy, lambda kind: kind.commitment):
        candidates = levels(sc, name)
        costs = []
        for level in candidates:
            npv = CommonPaths(with_level(sc, name, level), paths, seed).npv_usd(
                {"candidate": strategy})[:, 0]
            evaluations += 1
            costs.append((float(npv.mean()), float(metrics.metric_values(npv, measure))))
        best = cheapest(costs, budget_usd)
        level = (candidates[best] if best is not None
                 else Level(contract.usd_per_month, contract.discount))
        chosen[name] = level
        sc = with_level(sc, name, level)
    return Committed(sc, chosen, evaluations)


__all__ = ["NOT_SIGNED", "Committed", "Level", "cheapest", "choose", "levels", "with_level"]
