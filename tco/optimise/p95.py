"""The cheapest mix under a P95 budget, and the least P95 any mix reaches: mixed-integer
programmes over per-path costs (``tco.optimise.lp``'s matrices and groups).

The P95 is ``np.percentile``'s (linear interpolation), the one ``summary()`` shows: a binary per
path lets that path exceed the budget, and at most ``p95_exceed_count`` may.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from tco.optimise.lp import (
    BudgetError,
    ShareRows,
    Solution,
    SolverError,
    group_sum,
    indicator,
    normalised,
    solution_of,
)
from tco.optimise.quiet import SOLVER_OPTIONS, silenced


def p95_exceed_count(paths: int, q: float = 0.95) -> int:
    """The most paths that may exceed B while ``np.percentile(costs, 95) <= B`` still holds.

    The linear-interpolated percentile sits between sorted positions floor and ceil of q (N - 1),
    so it is at most B when every path from position ceil(q (N - 1)) down is.
    """
    return paths - 1 - int(math.ceil(q * (paths - 1)))


def _p95_rows(costs: np.ndarray, big: np.ndarray, limits: ShareRows, member: np.ndarray,
              budget: sparse.spmatrix) -> sparse.csr_matrix:
    """The P95 programme's rows over variables (w, z[, B]): L_i(w) - M_i z_i [- B] <= ..., the
    count of paths let past, the share limits and each group's shares summing to 1."""
    n, o = costs.shape
    extra = budget.shape[1]
    return sparse.vstack([
        sparse.hstack([sparse.csr_matrix(costs), sparse.diags(-big), budget]),
        sparse.csr_matrix(np.concatenate([np.zeros(o), np.ones(n), np.zeros(extra)])[None, :]),
        sparse.hstack([sparse.csr_matrix(limits.matrix),
                       sparse.csr_matrix((len(limits.bound), n + extra))]),
        sparse.hstack([sparse.csr_matrix(member), sparse.csr_matrix((len(member), n + extra))]),
    ], format="csr")


def least_p95(costs: np.ndarray, lower: np.ndarray, upper: np.ndarray,
              share_rows: ShareRows | None = None, groups: np.ndarray | None = None) -> Solution:
    """The mix with the smallest P95 (``np.percentile``'s) of its path costs.

    Notes
    -----
    minimise B over (w, z, B) with L_i(w) - M_i z_i - B <= 0 and sum z_i <= ``p95_exceed_count``;
    B is at least the smallest cost any column has on any path, m, so M_i = max_o C_io - m bounds
    every path's excess.
    """
    n, o = costs.shape
    member = indicator(groups, o)
    floor = float(group_sum(costs, member, np.min).min())
    big = np.maximum(group_sum(costs, member, np.max) - floor, 0.0)
    limits = share_rows if share_rows is not None else ShareRows(np.zeros((0, o)), np.zeros(0))
    rows = _p95_rows(costs, big, limits, member, sparse.csr_matrix(np.full((n, 1), -1.0)))
    g = len(member)
    lb = np.concatenate([np.full(n + 1 + len(limits.bound), -np.inf), np.ones(g)])
    ub = np.concatenate([np.zeros(n), [p95_exceed_count(n)], limits.bound, np.ones(g)])
    objective = np.concatenate([np.zeros(o + n), [1.0]])
    with silenced():
        result = milp(objective, constraints=LinearConstraint(rows, lb, ub),
                      bounds=Bounds(np.concatenate([lower, np.zeros(n), [floor]]),
                                    np.concatenate([upper, np.ones(n), [np.inf]])),
                      integrality=np.concatenate([np.zeros(o), np.ones(n), [0.0]]),
                      options=SOLVER_OPTIONS)
    if result.status != 0 or result.x is None:
        raise SolverError(f"the solver (HiGHS) stopped without an optimum: {result.message}")
    return solution_of(costs, normalised(np.clip(result.x[:o], 0.0, None), groups))


def cheapest_under_p95(costs: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                       p95_budget_usd: float, field: str = "--p95-budget",
                       share_rows: ShareRows | None = None, fixed: np.ndarray | None = None,
                       groups: np.ndarray | None = None) -> Solution:
    """The mix with the lowest mean cost whose P95 (``np.percentile``'s) is at most the budget.

    A mixed-integer programme: a binary z_i per path lets path i exceed the budget, with
    L_i(w) - M_i z_i <= B and sum z_i <= N - 1 - ceil(0.95 (N - 1)) (``p95_exceed_count``);
    M_i = the most any mix costs on path i minus B bounds any mix's excess on path i. A budget
    no mix meets raises ``BudgetError`` with the least reachable P95 (``least_p95``).
    """
    n, o = costs.shape
    member = indicator(groups, o)
    big = np.maximum(group_sum(costs, member, np.max) - p95_budget_usd, 0.0)
    objective = np.concatenate([costs.mean(axis=0), np.zeros(n)])
    limits = share_rows if share_rows is not None else ShareRows(np.zeros((0, o)), np.zeros(0))
    rows = _p95_rows(costs, big, limits, member, sparse.csr_matrix((n, 0)))
    g = len(member)
    lb = np.concatenate([np.full(n + 1 + len(limits.bound), -np.inf), np.ones(g)])
    ub = np.concatenate([np.full(n, p95_budget_usd), [p95_exceed_count(n)], limits.bound, np.ones(g)])
    lo = np.concatenate([lower, np.zeros(n)])
    hi = np.concatenate([upper, np.ones(n)])
    with silenced():
        result = milp(objective, constraints=LinearConstraint(rows, lb, ub), bounds=Bounds(lo, hi),
                      integrality=np.concatenate([np.zeros(o), np.ones(n)]), options=SOLVER_OPTIONS)
    if result.status == 2:  # infeasible: the least P95 any allowed mix reaches, and that mix
        least = least_p95(costs, lower, upper, share_rows, groups)
        raise BudgetError(field, "P95", p95_budget_usd, least.p95_usd, least)
    if result.status != 0 or result.x is None:
        raise SolverError(f"the solver (HiGHS) stopped without an optimum: {result.message}")
    return solution_of(costs, normalised(np.clip(result.x[:o], 0.0, None), groups))
