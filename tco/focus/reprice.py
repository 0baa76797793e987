"""The simulated paths again, priced by the kernel at list, contracted and paid prices.

FOCUS 1.3 gives each charge three costs: ``ListCost`` at published prices, ``ContractedCost``
after negotiated discounts, ``EffectiveCost`` after commitment discounts too. The kernel prices
only what is paid. Rather than undo its discounts outside it (a second copy of which bill each
discount touches, and how they compound), the same paths are costed again with the discounts
lifted (``tco.views.without_terms``): the same draws (``tco.engine.draw`` reproduces
``simulate``'s), the same events, the same routing; only the prices differ.

A commitment's minimum is not linear in the price (the bill is max(minimum, discounted usage)),
so the lifted runs also drop the minimum, and the level is measured as a difference: with ``E``
the cost as paid and ``E0`` the same run without the minimum (its discount kept), the cost at
level L is ``E + (L0 - E0)``, ``L0`` that level's run without the minimum. A shortfall or a
stranded commitment then reads the same at every level (it is not a discount), and every line
that bills tokens, the switching line's dual running included, adds back exactly the discount the
kernel took off it, path by path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import tco.engine as engine
import tco.kernel as kernel
import tco.views as views
from tco.simulate import SimulationResult

LEVELS = {
    "paid": (),
    "paid_no_minimum": (views.COMMITMENT_MINIMUM,),
    "contracted": views.PRICE_TERMS["commitment"],
    "list": views.PRICE_TERMS["commitment"] + views.PRICE_TERMS["negotiated"],
}
"""The terms each run lifts (``tco.views.without_terms``)."""


@dataclass(frozen=True)
class Priced:
    """One simulation's paths at the three FOCUS price levels.

    Attributes
    ----------
    effective_usd, contracted_usd, list_usd : (paths, strategies, months) float64
        Each path's monthly cost, all lines together, as paid, before commitment discounts, and
        at list prices.
    contracted_line_mean_usd, list_line_mean_usd : (strategies, lines, months)
        Mean over the paths of each line's cost at those levels (``SimulationResult.lines``); the
        paid level is ``SimulationResult.line_mean_usd``.
    """

    effective_usd: np.ndarray
    contracted_usd: np.ndarray
    list_usd: np.ndarray
    contracted_line_mean_usd: np.ndarray
    list_line_mean_usd: np.ndarray


def _run(sc: Any, chunk: Any, fields: tuple[str, ...], names: tuple[str, ...]
         ) -> kernel.KernelResult | None:
    """The chunk's paths with ``fields`` lifted; None where lifting them changes no input."""
    x = views.without_terms(chunk.x, fields) if fields else chunk.x
    if fields and x is chunk.x:
        return None
    if x is chunk.x:
        rows, w = chunk.rows, chunk.workload
    else:
        w, per_path = views.workload(sc, x, chunk.paths)
        rows = views.option_rows(sc, x, per_path, chunk.paths)
    return kernel.run_prepared(rows, views.strategies(sc, x, chunk.paths), w, chunk.events,
                               views.extras(sc, x, chunk.paths), names, sc.horizon_months, True,
                               reference=False)


def reprice(result: SimulationResult) -> Priced:
    """The result's paths costed at list, contracted and paid prices.

    Notes
    -----
    For a level L lifting terms T: C_L = C + (C_L0 - C_0), per path, month and line, with C the
    cost as paid, C_0 the cost without the commitments' minimums and C_L0 the cost without the
    minimums and T. A run whose terms are all zero is not made: it is C, so C_L = C exactly.
    Arrays at a level no discount reaches are the paid array itself; with no discount or
    commitment anywhere, nothing is costed again and C is the run's float32 cumulative cost,
    differenced.
    """
    sc = result.scenario
    if result.cumulative_usd is not None and views.without_terms(
            result.inputs, LEVELS["list"]) is result.inputs:
        # No discount and no commitment on any path: every level is the cost as paid, which the
        # run kept (to float32 rounding), so no path is costed again.
        paid = np.diff(result.cumulative_usd.astype(np.float64), axis=2, prepend=0.0)
        return Priced(paid, paid, paid, result.line_mean_usd, result.line_mean_usd)
    drawn = engine.draw(sc, result.paths, result.seed, result.sampling)
    names = tuple(result.lines)
    shape = (result.paths, len(sc.strategies), sc.horizon_months)
    paid = np.empty(shape)
    totals: dict[str, np.ndarray | None] = {"contracted": None, "list": None}
    groups: dict[str, list] = {level: [] for level in LEVELS}
    for chunk in drawn.chunks:
        rows = slice(chunk.start, chunk.start + chunk.paths)
        runs = {level: _run(sc, chunk, fields, names) for level, fields in LEVELS.items()}
        paid[rows] = runs["paid"].cost_usd
        floor = runs["paid_no_minimum"] or runs["paid"]
        for level, run in runs.items():
            groups[level].extend(list((run or runs["paid"]).groups[0]))
            if level not in totals or run is None:
                continue
            if totals[level] is None:  # the first chunk this level differs in: earlier ones are paid
                totals[level] = np.empty(shape)
                totals[level][:chunk.start] = paid[:chunk.start]
            totals[level][rows] = paid[rows] + (run.cost_usd - floor.cost_usd)
        for level, array in totals.items():
            if array is not None and runs[level] is None:
                array[rows] = paid[rows]
    means = {level: kernel.sum_in_order(g) / result.paths for level, g in groups.items()}
    lines = {level: result.line_mean_usd + (means[level] - means["paid_no_minimum"])
             for level in totals}
    return Priced(paid, *(paid if totals[level] is None else totals[level] for level in totals),
                  *(lines[level] for level in totals))
