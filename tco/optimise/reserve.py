"""Reserved GPUs for the chosen mix, refined on the exact kernel.

A reservation is an option field, so each count is a modified scenario drawn with the same seed
and paths (common random numbers: the draws do not depend on reservation fields, ``tco.engine``).
For each option of the mix with a ``reserved:`` contract, the count is searched over whole GPUs
from 0 (no contract) to a ceiling: expected NPV in the count is the newsvendor's convex curve (one
more reserved GPU saves the on-demand price on the hours it is used, costs the contract price on
every hour), so a ternary search over integers finds its minimum in about 2 log_1.5 of the range
evaluations. Counts whose CVaR95 (P95 under a P95 budget) exceeds the budget are refused. This
is the local refinement the method allows on the exact kernel, not a global search.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import tco.metrics as metrics
from tco.load import Loaded, with_changes
from tco.optimise.paths import CommonPaths, contracts
from tco.schema import Strategy

SEARCH_CEILING_MULTIPLIER = 4
"""The search reaches four times the scenario's own count (or the fleet ceiling, if lower)."""


@dataclass(frozen=True)
class Refined:
    """The scenario with the refined counts, the counts by option and how many counts were tried."""

    scenario: Loaded
    reserved_gpus: dict[str, int]
    evaluations: int


def least_count(cost: Callable[[int], float], low: int, high: int) -> int:
    """The whole count in [low, high] with the least ``cost`` (ties to the smaller), by ternary
    search: exact for a convex cost (the newsvendor's expected cost in the reserved count), in
    about 2 log_1.5 (high - low) calls. ``cost`` should cache: the search may ask twice.

    A count over a risk budget costs infinity, and the counts within it need not be one interval
    around the convex optimum (a P95 need not be convex in the count): once a probe is over the
    budget, every count in [low, high] is costed (tens of GPUs at most), so no count within the
    budget is dropped unseen."""
    lo, hi = low, high
    while hi - lo > 2:
        a, b = lo + (hi - lo) // 3, hi - (hi - lo) // 3
        cost_a, cost_b = cost(a), cost(b)
        if math.isinf(cost_a) or math.isinf(cost_b):
            lo, hi = low, high
            break
        if cost_a <= cost_b:
            hi = b
        else:
            lo = a
    return min(range(lo, hi + 1), key=lambda g: (cost(g), g))


def with_reserved(sc: Loaded, option: str, gpus: int) -> Loaded:
    """The scenario with ``gpus`` reserved on ``option`` (0: no contract)."""
    if gpus == 0:
        return with_changes(sc, {f"options.{option}.reserved": None})
    return with_changes(sc, {f"options.{option}.reserved.gpus": gpus})


def refine(sc: Loaded, strategy: Strategy, paths: int, seed: int, budget_usd: float | None = None,
           ceilings: dict[str, int] | None = None, measure: str = "cvar95") -> Refined:
    """Search the reserved GPUs of each option in ``strategy`` that has a contract; counts whose
    ``measure`` (CVaR95 or P95, ``tco.metrics.metric_values``) exceeds the budget are refused."""
    evaluations = 0
    counts: dict[str, int] = {}
    for name, contract in contracts(sc, strategy, lambda kind: kind.reservation):
        high = SEARCH_CEILING_MULTIPLIER * contract.gpus
        if ceilings and name in ceilings:
            high = min(high, ceilings[name])
        cache: dict[int, float] = {}

        def cost(gpus: int, name: str = name, current: Loaded = sc, cache: dict = cache) -> float:
            nonlocal evaluations
            if gpus not in cache:
                npv = CommonPaths(with_reserved(current, name, gpus), paths, seed).npv_usd(
                    {"candidate": strategy})[:, 0]
                evaluations += 1
                over = budget_usd is not None and float(metrics.metric_values(npv, measure)) > budget_usd
                cache[gpus] = float("inf") if over else float(npv.mean())
            return cache[gpus]

        best = least_count(cost, 0, high)
        if math.isinf(cost(best)):
            continue  # no count is within the budget: the file's own contract stays
        counts[name] = best
        sc = with_reserved(sc, name, best)
    return Refined(sc, counts, evaluations)
