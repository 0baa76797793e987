"""Linear programmes over per-path costs: the cheapest mix under a CVaR95 or P95 budget.

Rockafellar and Uryasev (2000), "Optimization of conditional value-at-risk", J. Risk 2(3): the
mean of the worst k of N path costs L_i is min over alpha of alpha + (1/k) sum_i max(L_i - alpha, 0),
so "CVaR at most B" becomes linear constraints in the decision and N auxiliary variables. With
k = ceil(0.05 N), the tail ``tco.metrics.cvar`` averages, the CVaR this module reports is the one
``summary()`` shows, not an approximation of it. Nothing here draws random numbers or knows about
scenarios: it takes a (paths, options) cost matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

import tco.metrics as metrics
from tco.errors import ScenarioError
from tco.format import usd
from tco.optimise.quiet import SOLVER_OPTIONS, silenced

MIN_USED_SHARE = 0.005
"""With fixed costs, an option in the mix carries at least half a percent of the traffic: a
smaller share would pay the option's setup and staff for almost no traffic."""
BUDGET_TOLERANCE_SHARE = 1e-9
"""A budget this close above the least CVaR (as a share of it) counts as reaching it: HiGHS's
feasibility tolerance is 1e-7 in absolute terms on rows scaled to the costs."""


class SolverError(ScenarioError):
    """HiGHS stopped without an optimum (numerical trouble, an iteration limit): one line."""

    def __init__(self, rule: str) -> None:
        super().__init__("optimise", rule)


@dataclass(frozen=True)
class Solution:
    """One optimum: shares per option and the metrics of its per-path costs.

    ``cvar_usd`` and ``p95_usd`` are recomputed from the path costs with ``tco.metrics``, the
    summary's own rules, so they never carry the solver's rounding.
    """

    weights: np.ndarray
    """(options,) share of traffic on each option; sums to 1."""
    mean_usd: float
    cvar_usd: float
    p95_usd: float
    reserved: float = 0.0
    """Reserved units (GPUs) when the problem had a reservation block, else 0."""


@dataclass(frozen=True)
class ShareRows:
    """Linear limits on the shares, ``matrix @ w <= bound``: a fleet ceiling linearised as GPUs
    per unit share of each option."""

    matrix: np.ndarray
    """(rows, options)"""
    bound: np.ndarray
    """(rows,)"""


@dataclass(frozen=True)
class Reservation:
    """A pool of reservable units (GPUs of one type) beside the mix.

    Path cost becomes (C - on_demand_usd x G) w + reserved_usd x r + on_demand_usd x e_i with
    e_i >= G_i w - r, e_i >= 0: every unit the mix needs is billed on demand except the r reserved,
    which are paid whether used or not.
    """

    units_per_share: np.ndarray
    """(paths, options) units needed on each path per unit share of each option (0 for options
    that use none)."""
    reserved_usd_per_unit: float
    on_demand_usd_per_unit: float
    max_units: float = math.inf
    """The fleet ceiling: reserved units and every path's need are at most this."""


def indicator(groups: np.ndarray | None, count: int) -> np.ndarray:
    """(groups, options) 1 where an option's share belongs to a group whose shares sum to 1.

    One group (``groups`` None) is one mix; a portfolio has one group per workload, each
    workload's shares over the options summing to 1 on their own.
    """
    if groups is None:
        return np.ones((1, count))
    labels = np.asarray(groups)
    return (labels[None, :] == np.unique(labels)[:, None]).astype(float)


def normalised(weights: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """(options,) shares rescaled so that each group's sum to 1 (the solver's rounding off)."""
    member = indicator(groups, len(weights))
    return weights / (member.T @ (member @ weights))


def tail_count(paths: int, tail_share: float = metrics.TAIL_SHARE) -> int:
    """Paths in the CVaR tail, as ``tco.metrics.cvar`` counts them."""
    return max(1, int(math.ceil(tail_share * paths)))


def solution_of(costs: np.ndarray, weights: np.ndarray, reserved: float = 0.0,
              reservation: Reservation | None = None, fixed: np.ndarray | None = None
              ) -> Solution:
    path_usd = path_costs(costs, weights, reserved, reservation, fixed)
    return Solution(weights=weights, mean_usd=float(path_usd.mean()),
                    cvar_usd=float(metrics.cvar(path_usd)),
                    p95_usd=float(np.percentile(path_usd, 95)), reserved=reserved)


def path_costs(costs: np.ndarray, weights: np.ndarray, reserved: float = 0.0,
               reservation: Reservation | None = None, fixed: np.ndarray | None = None
               ) -> np.ndarray:
    """(paths,) cost of a mix on each path (with ``reserved`` units of ``reservation``; with
    ``fixed``, each option used pays its fixed cost whole and the rest in proportion)."""
    path_usd = costs @ weights
    if fixed is not None:
        used = (weights > 0).astype(float)
        path_usd = path_usd - fixed @ weights + fixed @ used
    if reservation is not None:
        need = reservation.units_per_share @ weights
        path_usd = (path_usd - reservation.on_demand_usd_per_unit * need
                    + reservation.reserved_usd_per_unit * reserved
                    + reservation.on_demand_usd_per_unit * np.maximum(need - reserved, 0.0))
    return path_usd


def check_bounds(names: list[str], lower: np.ndarray, upper: np.ndarray, where: str = "optimise"
                 ) -> None:
    """Refuse share bounds no mix can meet, naming them at ``where`` (the ``optimise:`` section's
    path: a scenario's, or a portfolio workload's)."""
    for name, lo, hi in zip(names, lower, upper, strict=True):
        if lo > hi:
            raise ScenarioError(f"{where}.max_share.{name}", f"is {hi:g}, below its min_share {lo:g}")
    if lower.sum() > 1.0 + 1e-12:
        listed = ", ".join(f"{n} {lo:g}" for n, lo in zip(names, lower, strict=True) if lo > 0)
        raise ScenarioError(f"{where}.min_share", f"the minimum shares sum to {lower.sum():g}, "
                            f"more than 1 ({listed})")
    if upper.sum() < 1.0 - 1e-12:
        raise ScenarioError(f"{where}.max_share", f"the options left allowed ({', '.join(names)}) "
                            f"can carry at most {upper.sum():g} of the traffic, less than 1; "
                            "allow another option or raise a max_share")


def group_sum(costs: np.ndarray, member: np.ndarray, pick: np.ufunc) -> np.ndarray:
    """(paths,) the least (``np.min``) or most (``np.max``) any mix can cost on each path: each
    group's cheapest or dearest column, summed over groups."""
    return sum(pick(costs[:, g > 0], axis=1) for g in member)


def _tail_candidates(costs: np.ndarray, fixed: np.ndarray | None, k: int, reserving: bool,
                     member: np.ndarray) -> tuple[np.ndarray, float]:
    """(paths,) bool: the paths some mix could put among its worst k, and a floor for alpha.

    Every mix costs path i at least l_i = min over options of its proportional part V_io (plus
    the negative fixed parts) and at most h_i = max V_io plus every positive fixed part. The k-th
    largest cost of any mix is then at least t, the k-th largest l_i, and RU's minimising alpha
    is that k-th largest cost, so alpha >= t loses nothing; a path with h_i < t then has
    L_i - alpha < 0 for every alpha allowed and its tail row can never bind. Dropping those rows
    is exact and leaves the programme a fraction of its size on heavy-tailed costs. With a
    reservation the bounds are not worked out here and every path is kept. With several groups
    (``member``, one per workload) the bounds are the sums of each group's.
    """
    n = costs.shape[0]
    if reserving:
        return np.ones(n, dtype=bool), -np.inf
    variable = costs - fixed if fixed is not None else costs
    low, high = group_sum(variable, member, np.min), group_sum(variable, member, np.max)
    if fixed is not None:
        low = low + np.minimum(fixed, 0.0).sum(axis=1)
        high = high + np.maximum(fixed, 0.0).sum(axis=1)
    floor = float(np.partition(low, n - k)[n - k])
    return high >= floor, floor


class _Programme:
    """The variables and the rows every variant shares, built once.

    Variables, in order: w (options) the shares; y (options, with ``fixed``) 1 where an option
    is used, so its fixed cost is paid whole; r (0 or 1) reserved units; alpha the RU threshold;
    u (paths) the tail excesses; e (paths, with a reservation) units bought on demand. The
    shares of each group (``groups``: one per workload of a portfolio) sum to 1.
    """

    def __init__(self, costs: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 reservation: Reservation | None, tail_share: float,
                 share_rows: ShareRows | None = None, fixed: np.ndarray | None = None,
                 groups: np.ndarray | None = None) -> None:
        self.costs, self.reservation, self.fixed, self.groups = costs, reservation, fixed, groups
        n, o = costs.shape
        self.n, self.o, self.k = n, o, tail_count(n, tail_share)
        member = indicator(groups, o)
        self.keep, self.floor = _tail_candidates(costs, fixed, self.k, reservation is not None,
                                                 member)
        kept = int(self.keep.sum())
        sizes = {"w": o, "y": o if fixed is not None else 0, "r": 1 if reservation else 0,
                 "alpha": 1, "u": kept, "e": n if reservation else 0}
        starts = np.cumsum([0, *sizes.values()])
        self.block = {name: slice(int(a), int(a) + size)
                      for (name, size), a in zip(sizes.items(), starts, strict=False)}
        self.size = int(starts[-1])
        b = self.block
        lo, hi = np.zeros(self.size), np.full(self.size, np.inf)
        lo[b["w"]], hi[b["w"]] = lower, upper
        hi[b["y"]] = 1.0
        lo[b["alpha"]] = self.floor
        if reservation is not None:
            hi[b["r"]] = reservation.max_units
        self.bounds = (lo, hi)
        self.integrality = np.zeros(self.size)
        self.integrality[b["y"]] = 1
        self.integrality[b["r"]] = 1
        linear = costs - (fixed if fixed is not None else 0.0)
        if reservation is not None:
            linear = linear - reservation.on_demand_usd_per_unit * reservation.units_per_share
        eye = sparse.identity(n, format="csr")

        def row_block(**parts: sparse.spmatrix | np.ndarray) -> sparse.csr_matrix:
            """(n, size) matrix from blocks by variable name; missing blocks are zero."""
            cols = []
            for name, size in sizes.items():
                if size == 0:
                    continue
                part = parts.get(name)
                cols.append(sparse.csr_matrix((n, size)) if part is None else sparse.csr_matrix(part))
            return sparse.hstack(cols, format="csr")

        # Path cost: L_i = linear_i w + fixed_i y + reserved_usd r + on_demand e_i
        loss = {"w": linear}
        if fixed is not None:
            loss["y"] = fixed
        if reservation is not None:
            loss["r"] = np.full((n, 1), reservation.reserved_usd_per_unit)
            loss["e"] = reservation.on_demand_usd_per_unit * eye
        self.loss = row_block(**loss)
        self.mean_row = np.asarray(self.loss.mean(axis=0)).ravel()
        one = np.zeros((len(member), self.size))
        one[:, b["w"]] = member
        self.rows: list[tuple[sparse.spmatrix, np.ndarray, np.ndarray]] = [
            (sparse.csr_matrix(one), np.ones(len(member)), np.ones(len(member)))]
        # RU tail rows, L_i - alpha - u_i <= 0, for the paths that can reach the tail
        kept_eye = sparse.identity(kept, format="csr")
        tail = self.loss[self.keep]
        tail = tail + sparse.hstack([
            sparse.csr_matrix((kept, b["alpha"].start)), sparse.csr_matrix(np.full((kept, 1), -1.0)),
            -kept_eye, sparse.csr_matrix((kept, self.size - b["u"].stop))], format="csr")
        self.rows.append((tail, np.full(kept, -np.inf), np.zeros(kept)))
        if fixed is not None:
            # w_o <= y_o, and a used option carries at least MIN_USED_SHARE: y_o says whether
            # the option is in the mix, both ways.
            link = np.zeros((2 * o, self.size))
            link[np.arange(o), b["w"].start + np.arange(o)] = 1.0
            link[np.arange(o), b["y"].start + np.arange(o)] = -1.0
            link[o + np.arange(o), b["w"].start + np.arange(o)] = -1.0
            link[o + np.arange(o), b["y"].start + np.arange(o)] = MIN_USED_SHARE
            self.rows.append((sparse.csr_matrix(link), np.full(2 * o, -np.inf), np.zeros(2 * o)))
        if reservation is not None:
            # Excess rows: G_i w - r - e_i <= 0; and the ceiling on every path's need
            g = reservation.units_per_share
            self.rows.append((row_block(w=g, r=np.full((n, 1), -1.0), e=-eye),
                              np.full(n, -np.inf), np.zeros(n)))
            if math.isfinite(reservation.max_units):
                self.rows.append((row_block(w=g), np.full(n, -np.inf),
                                  np.full(n, reservation.max_units)))
        if share_rows is not None and len(share_rows.bound):
            limits = np.zeros((len(share_rows.bound), self.size))
            limits[:, b["w"]] = share_rows.matrix
            self.rows.append((sparse.csr_matrix(limits), np.full(len(share_rows.bound), -np.inf),
                              np.asarray(share_rows.bound, dtype=float)))
        cvar = np.zeros((1, self.size))
        cvar[0, b["alpha"]] = 1.0
        cvar[0, b["u"]] = 1.0 / self.k
        self.cvar_row = cvar

    def solve(self, objective: np.ndarray, extra: list | None = None) -> np.ndarray | None:
        """The optimum's variables, None when infeasible; a solver failure is one line."""
        rows = self.rows + (extra or [])
        a = sparse.vstack([m for m, _, _ in rows], format="csr")
        lb = np.concatenate([b for _, b, _ in rows])
        ub = np.concatenate([b for _, _, b in rows])
        if self.integrality.any():
            with silenced():
                result = milp(objective, constraints=LinearConstraint(a, lb, ub),
                              bounds=Bounds(*self.bounds), integrality=self.integrality,
                              options=SOLVER_OPTIONS)
        else:
            eq = lb == ub
            a_ub = sparse.vstack([a[~eq], -a[~eq & np.isfinite(lb)]], format="csr")
            b_ub = np.concatenate([ub[~eq], -lb[~eq & np.isfinite(lb)]])
            with silenced():
                result = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a[eq], b_eq=ub[eq],
                                 bounds=list(zip(*self.bounds, strict=True)), method="highs",
                                 options=SOLVER_OPTIONS)
        if result.status == 2:
            return None
        if result.status != 0 or result.x is None:
            raise SolverError(f"the solver (HiGHS) stopped without an optimum: {result.message}")
        return result.x

    def solution(self, x: np.ndarray) -> Solution:
        weights = normalised(np.clip(x[self.block["w"]], 0.0, None), self.groups)
        reserved = float(round(x[self.block["r"]][0])) if self.reservation is not None else 0.0
        return solution_of(self.costs, weights, reserved, self.reservation, self.fixed)


def least_cvar(costs: np.ndarray, lower: np.ndarray, upper: np.ndarray,
               reservation: Reservation | None = None,
               tail_share: float = metrics.TAIL_SHARE, share_rows: ShareRows | None = None,
               fixed: np.ndarray | None = None, groups: np.ndarray | None = None) -> Solution:
    """The mix with the smallest CVaR95 (ties broken by mean cost).

    Parameters
    ----------
    costs : (paths, options) cost of each option at 100% share on each path.
    lower, upper : (options,) share bounds.
    groups : (options,) the group of each column whose shares sum to 1 (a portfolio's workload);
        None: one mix.
    """
    prog = _Programme(costs, lower, upper, reservation, tail_share, share_rows, fixed, groups)
    x = prog.solve(prog.cvar_row.ravel())
    if x is None:
        raise SolverError("no mix meets the share bounds and the fleet ceiling")
    return prog.solution(x)


def cheapest(costs: np.ndarray, lower: np.ndarray, upper: np.ndarray,
             cvar_budget_usd: float | None = None, reservation: Reservation | None = None,
             tail_share: float = metrics.TAIL_SHARE, field: str = "--cvar-budget",
             share_rows: ShareRows | None = None, fixed: np.ndarray | None = None,
             groups: np.ndarray | None = None) -> Solution:
    """The mix with the lowest mean cost whose CVaR95 is at most ``cvar_budget_usd``.

    Parameters
    ----------
    costs : (paths, options) cost of each option at 100% share on each path.
    lower, upper : (options,) share bounds.
    cvar_budget_usd : None for no budget.
    groups : (options,) as ``least_cvar`` takes them.

    Notes
    -----
    minimise mean_i L_i(w) subject to alpha + (1/k) sum u_i <= B, u_i >= L_i(w) - alpha, u_i >= 0,
    sum w = 1 (per group), lower <= w <= upper (Rockafellar and Uryasev 2000, with
    k = ceil(0.05 N)). A budget below the least CVaR95 raises ``BudgetError`` carrying the mix
    that reaches it.
    """
    prog = _Programme(costs, lower, upper, reservation, tail_share, share_rows, fixed, groups)
    extra = []
    if cvar_budget_usd is not None:
        extra.append((sparse.csr_matrix(prog.cvar_row), np.full(1, -np.inf),
                      np.full(1, cvar_budget_usd)))
    x = prog.solve(prog.mean_row, extra)
    if x is None:
        least = least_cvar(costs, lower, upper, reservation, tail_share, share_rows, fixed, groups)
        if cvar_budget_usd is not None and cvar_budget_usd < least.cvar_usd * (1 + BUDGET_TOLERANCE_SHARE):
            raise BudgetError(field, "CVaR95", cvar_budget_usd, least.cvar_usd, least)
        raise SolverError("the solver (HiGHS) found no mix within the constraints")
    return prog.solution(x)


class BudgetError(ScenarioError):
    """A risk budget below the least any allowed mix reaches: one line with that least value, and
    the mix that reaches it (``least``) for a caller to name in words."""

    def __init__(self, field: str, measure: str, budget_usd: float, least_usd: float,
                 least: Solution) -> None:
        super().__init__(field, f"no mix meets {usd(budget_usd)}; the least reachable {measure} "
                         f"is {usd(least_usd)}")
        self.measure, self.budget_usd, self.least_usd, self.least = (measure, budget_usd,
                                                                     least_usd, least)

    def with_mix(self, words: str) -> ScenarioError:
        """The same line ending with the least mix in words: '... is $9.1M (mix 100% Llama)'."""
        return ScenarioError(self.field, f"{self.rule} (mix {words})")


def frontier(costs: np.ndarray, lower: np.ndarray, upper: np.ndarray, budgets: int = 15,
             reservation: Reservation | None = None,
             tail_share: float = metrics.TAIL_SHARE, share_rows: ShareRows | None = None,
             fixed: np.ndarray | None = None, groups: np.ndarray | None = None) -> list[Solution]:
    """The efficient frontier: the cheapest mix at ``budgets`` CVaR95 budgets, evenly spaced from
    the least CVaR any mix reaches to the CVaR of the cheapest mix with no budget.

    The rows (``_Programme``) are built once and only the budget row changes between solves.
    """
    prog = _Programme(costs, lower, upper, reservation, tail_share, share_rows, fixed, groups)
    low = prog.solve(prog.cvar_row.ravel())
    if low is None:
        raise SolverError("no mix meets the share bounds and the fleet ceiling")
    free = prog.solution(prog.solve(prog.mean_row))
    least = prog.solution(low)
    points = []
    for budget in np.linspace(least.cvar_usd, max(free.cvar_usd, least.cvar_usd), budgets):
        # The lowest budget gets the solver's own tolerance on top, so it is reachable.
        row = (sparse.csr_matrix(prog.cvar_row), np.full(1, -np.inf),
               np.full(1, budget * (1 + BUDGET_TOLERANCE_SHARE) + 1e-9))
        x = prog.solve(prog.mean_row, [row])
        if x is None:
            raise SolverError(f"the solver (HiGHS) found no mix at the CVaR95 budget {usd(budget)}")
        points.append(prog.solution(x))
    return points
