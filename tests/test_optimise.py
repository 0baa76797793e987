"""The optimiser's solvers and the value of information, against answers worked by hand."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import tco.metrics as metrics
from tco.errors import ScenarioError
from tco.optimise import commit, lp, p95, voi
from tco.optimise.quiet import silenced

API, SELF = 0, 1


def four_paths() -> np.ndarray:
    """Four equiprobable paths: an API costing [8, 8, 8, 24], self-hosting 14 flat."""
    return np.array([[8.0, 14.0], [8.0, 14.0], [8.0, 14.0], [24.0, 14.0]])


FREE = (np.zeros(2), np.ones(2))


@pytest.mark.parametrize(("budget", "api_share", "mean"), [
    (16.0, 0.2, 13.6), (20.0, 0.6, 12.8), (24.0, 1.0, 12.0), (30.0, 1.0, 12.0)])
def test_cvar_budget_on_four_paths(budget: float, api_share: float, mean: float) -> None:
    """With API share w a path costs 14 - 6w on the three calm paths and 14 + 10w on the bad one.

    With beta 0.75 the tail is one path of four, so CVaR = 14 + 10w <= B gives w <= (B - 14) / 10,
    and the mean (3 (14 - 6w) + 14 + 10w) / 4 = 14 - 2w falls with w: the optimum takes the most
    API the budget allows, w = min(1, (B - 14) / 10). B = 16: w = 0.2, mean 13.6; B = 20: 0.6,
    12.8; B >= 24: 1.0, 12.0.
    """
    best = lp.cheapest(four_paths(), *FREE, cvar_budget_usd=budget, tail_share=0.25)
    assert best.weights[API] == pytest.approx(api_share, abs=1e-9)
    assert best.mean_usd == pytest.approx(mean, abs=1e-9)
    assert best.cvar_usd == pytest.approx(min(budget, 24.0), abs=1e-9)


@pytest.mark.parametrize(("budget", "api_share", "mean"), [(16.0, 0.0, 14.0), (20.0, 0.0, 14.0),
                                                       (24.0, 1.0, 12.0)])
def test_fixed_costs_are_paid_whole(budget: float, api_share: float, mean: float) -> None:
    """The same four paths, but 6 of self-hosting's 14 is fixed (staff, setup): paid whole by any
    mix that uses it. A mix with API share w in (0, 1) then costs 6 + 8 (1 - w) + 8 w = 14 on a
    calm path and 6 + 8 (1 - w) + 24 w = 14 + 16 w on the bad one: mean 14 + 4 w, never below
    all self-hosting's 14. So a budget under 24 keeps 100% self-hosting (mean 14, where the
    linear model would have bought 0.2 or 0.6 API), and 24 allows 100% API (mean 12)."""
    fixed = np.column_stack([np.zeros(4), np.full(4, 6.0)])
    best = lp.cheapest(four_paths(), *FREE, cvar_budget_usd=budget, tail_share=0.25, fixed=fixed)
    assert best.weights[API] == pytest.approx(api_share, abs=1e-9)
    assert best.mean_usd == pytest.approx(mean, abs=1e-9)
    mixed = lp.path_costs(four_paths(), np.array([0.5, 0.5]), fixed=fixed)
    np.testing.assert_allclose(mixed, [14.0, 14.0, 14.0, 22.0])


def test_budget_below_the_least_cvar_names_it() -> None:
    """All self-hosting has CVaR 14, the least: w = 0 in 14 + 10w. A budget of 13 is refused."""
    with pytest.raises(lp.BudgetError, match=r"^--cvar-budget: no mix meets \$13; the least "
                       r"reachable CVaR95 is \$14$") as caught:
        lp.cheapest(four_paths(), *FREE, cvar_budget_usd=13.0, tail_share=0.25)
    np.testing.assert_allclose(caught.value.least.weights, [0.0, 1.0])


def test_cvar_at_the_optimum_equals_the_summary_cvar() -> None:
    """The LP's tail (k = ceil(0.05 N)) is metrics.cvar's, so the CVaR the optimiser holds to the
    budget is the one summary() shows: at a binding budget, metrics.cvar of the optimum's path
    costs equals the budget (1,003 paths: k = 51, not a multiple of 20)."""
    rng = np.random.default_rng(3)
    costs = np.column_stack([rng.lognormal(2.0, 0.6, 1003), rng.normal(9.0, 0.5, 1003),
                             rng.gamma(4.0, 2.0, 1003)])
    low = lp.least_cvar(costs, np.zeros(3), np.ones(3))
    free = lp.cheapest(costs, np.zeros(3), np.ones(3))
    budget = 0.5 * (low.cvar_usd + free.cvar_usd)
    best = lp.cheapest(costs, np.zeros(3), np.ones(3), cvar_budget_usd=budget)
    assert float(metrics.cvar(costs @ best.weights)) == pytest.approx(budget, rel=1e-7)
    assert best.cvar_usd == float(metrics.cvar(costs @ best.weights))


def test_no_budget_equals_a_fine_grid() -> None:
    """With no budget the optimum is the cheapest mix: a 0.01-step grid over two options finds
    the same mean (the mean is linear in w, so the grid's best is a vertex too)."""
    rng = np.random.default_rng(5)
    costs = np.column_stack([rng.normal(10.0, 3.0, 500), rng.normal(10.2, 0.5, 500)])
    best = lp.cheapest(costs, np.zeros(2), np.ones(2))
    grid = np.linspace(0.0, 1.0, 101)
    means = [(costs @ np.array([w, 1 - w])).mean() for w in grid]
    assert best.mean_usd == pytest.approx(min(means), abs=1e-9)


def test_share_bounds_hold_and_contradictions_are_named() -> None:
    best = lp.cheapest(four_paths(), np.array([0.0, 0.3]), np.array([1.0, 1.0]))
    assert best.weights[SELF] == pytest.approx(0.3)
    with pytest.raises(ScenarioError, match="minimum shares sum to 1.2"):
        lp.check_bounds(["api", "self"], np.array([0.6, 0.6]), np.ones(2))
    with pytest.raises(ScenarioError, match="at most 0.5 of the traffic"):
        lp.check_bounds(["api", "self"], np.zeros(2), np.array([0.5, 0.0]))


def test_reservation_is_the_newsvendor_quantile() -> None:
    """Reserved units at $1.30 against $2.00 on demand, demand uniform on 1..100 (one path each).

    Cost(r) = 1.30 r + 2.00 E[max(D - r, 0)]; one more reserved unit changes it by
    1.30 - 2.00 P(D > r) = 1.30 - 2.00 (100 - r) / 100, zero at r = 35: the 35th percentile, with
    35 and 36 tied (cost 1.30 x 35 + 2 x sum_{d=36}^{100} (d - 35) / 100 = 45.5 + 42.9 = 88.4).
    """
    demand = np.arange(1.0, 101.0)
    reservation = lp.Reservation(units_per_share=demand[:, None], reserved_usd_per_unit=1.30,
                                 on_demand_usd_per_unit=2.00)
    best = lp.cheapest(2.00 * demand[:, None], np.ones(1), np.ones(1), reservation=reservation)
    assert best.reserved in (35.0, 36.0)
    assert best.mean_usd == pytest.approx(88.4, abs=1e-9)
    costs = [1.30 * r + 2.00 * np.maximum(demand - r, 0).mean() for r in range(101)]
    assert min(costs) == pytest.approx(88.4) and costs[35] == pytest.approx(costs[36])


def test_fleet_ceiling_caps_the_reservation() -> None:
    """Reserving at $0.10 against $2.00 would cover all 100 units of need on every path; a
    ceiling of 60 units caps it there (and the need, 50 on every path, stays under it)."""
    need = np.full((100, 1), 50.0)
    cheap = lp.Reservation(need, 0.10, 2.00, max_units=60.0)
    assert lp.cheapest(2.00 * need, np.ones(1), np.ones(1), reservation=cheap).reserved == 50.0
    tight = lp.Reservation(np.full((100, 1), 100.0), 0.10, 2.00, max_units=100.0)
    assert lp.cheapest(200.0 * np.ones((100, 1)), np.ones(1), np.ones(1),
                       reservation=tight).reserved == 100.0
    with pytest.raises(ScenarioError, match="fleet ceiling"):
        lp.least_cvar(200.0 * np.ones((100, 1)), np.ones(1), np.ones(1),
                      reservation=lp.Reservation(np.full((100, 1), 100.0), 0.10, 2.00, max_units=60.0))


def test_p95_budget_holds_np_percentile() -> None:
    """The MILP lets at most N - 1 - ceil(0.95 (N - 1)) paths exceed the budget: the sorted cost
    at position ceil(0.95 (N - 1)) is within it, and np.percentile(costs, 95), which interpolates
    below that position, is too. Its answer is the cheapest mix on a 0.01-step grid that meets the
    same order-statistic rule (N = 200: position ceil(189.05) = 190, 9 paths may exceed)."""
    rng = np.random.default_rng(11)
    costs = np.column_stack([rng.lognormal(2.0, 0.5, 200), rng.normal(9.0, 0.3, 200)])
    assert p95.p95_exceed_count(200) == 9
    grid = np.linspace(0.0, 1.0, 101)
    mixes = [costs @ np.array([w, 1 - w]) for w in grid]
    order_stat = np.array([np.sort(m)[190] for m in mixes])
    budget = float(np.median(order_stat))
    best = p95.cheapest_under_p95(costs, np.zeros(2), np.ones(2), budget)
    assert best.p95_usd <= budget + 1e-7
    means = np.array([m.mean() for m in mixes])
    assert best.mean_usd <= means[order_stat <= budget].min() + 1e-9


def test_frontier_is_monotone() -> None:
    """Fifteen budgets from the least CVaR to the free optimum's: CVaR rises, mean falls."""
    rng = np.random.default_rng(2)
    costs = np.column_stack([rng.lognormal(2.0, 0.6, 400), rng.normal(9.0, 0.5, 400),
                             rng.gamma(4.0, 2.0, 400)])
    points = lp.frontier(costs, np.zeros(3), np.ones(3), budgets=15)
    assert len(points) == 15
    cvars = np.array([p.cvar_usd for p in points])
    means = np.array([p.mean_usd for p in points])
    assert np.all(np.diff(cvars) >= -1e-7) and np.all(np.diff(means) <= 1e-7)
    assert means[-1] == pytest.approx(lp.cheapest(costs, np.zeros(3), np.ones(3)).mean_usd)


def two_state_paths(copies: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """P(licence change) 0.3: seven of every ten paths calm, three with the change."""
    changed = np.tile(np.r_[np.zeros(7), np.ones(3)], copies)
    npv = np.column_stack([np.where(changed == 1, 6.0e6, 3.0e6),    # self-host
                           np.where(changed == 1, 4.6e6, 4.0e6)])   # hybrid
    return npv, changed


def test_evppi_two_state_example() -> None:
    """Without knowing: self-host 0.7 x 3.0 + 0.3 x 6.0 = 3.90M, hybrid 0.7 x 4.0 + 0.3 x 4.6 =
    4.18M, so self-host, 3.90M. Knowing: self-host when calm (3.0), hybrid on a change (4.6):
    0.7 x 3.0 + 0.3 x 4.6 = 3.48M. EVPPI = 3.90 - 3.48 = 0.42M, and it is all the information
    there is (EVPI = 0.42M)."""
    npv, changed = two_state_paths()
    assert voi.evpi(npv) == pytest.approx(0.42e6)
    value = voi.evppi(npv, changed)
    assert value.value_usd == pytest.approx(0.42e6)
    assert value.share_of_evpi == pytest.approx(1.0)


def test_evppi_bounds_and_an_irrelevant_input() -> None:
    """0 <= EVPPI <= EVPI for every input; an input the NPVs do not depend on has EVPPI within
    four standard errors of 0 (a false failure about once in 30,000 runs; the seed is fixed)."""
    rng = np.random.default_rng(17)
    paths = 10_000
    driver, noise = rng.normal(size=paths), rng.normal(size=paths)
    npv = np.column_stack([10.0 + 2.0 * driver + rng.normal(size=paths),
                           10.3 - 1.0 * driver + rng.normal(size=paths),
                           10.5 + rng.normal(size=paths)])
    total = voi.evpi(npv)
    for values in (driver, noise, (driver > 1).astype(float)):
        value = voi.evppi(npv, values)
        assert 0.0 <= value.value_usd <= total
    relevant, irrelevant = voi.evppi(npv, driver), voi.evppi(npv, noise)
    assert relevant.value_usd > 10 * relevant.se_usd
    assert irrelevant.value_usd <= 4 * irrelevant.se_usd


def test_halves_keep_each_group_in_proportion() -> None:
    groups = np.r_[np.zeros(7, int), np.ones(3, int)]
    first = voi.halves(groups)
    assert first[groups == 0].sum() == 4 and first[groups == 1].sum() == 2


def usage_grid_costs(level: commit.Level) -> tuple[float, float]:
    """Mean and CVaR95 of one month's bill at ``level``, usage U uniform on 1..100 (one path each):
    U at list price when not signed, else max(C, (1 - d) U) (``tco.kernel.bills.token_bill``)."""
    usage = np.arange(1.0, 101.0)
    bill = np.maximum(level.usd_per_month, (1.0 - level.discount) * usage) if level.signed else usage
    return float(bill.mean()), float(metrics.cvar(bill))


TIERS = [commit.NOT_SIGNED, commit.Level(20.0, 0.10), commit.Level(40.0, 0.20),
         commit.Level(60.0, 0.30)]


@pytest.mark.parametrize(("budget", "chosen"), [(None, 1), (80.0, 2), (60.0, None)])
def test_commitment_tier_on_a_usage_grid(budget: float | None, chosen: int | None) -> None:
    """List usage U uniform on 1..100 ($k a month); bill max(C, (1 - d) U) when signed, U when not.

    Not signed: E[U] = 50.5. C = 20 at 10% off: 0.9 U < 20 for U <= 22, so (22 x 20 + 0.9 x
    sum_{23}^{100} U) / 100 = (440 + 0.9 x 4797) / 100 = 47.573. C = 40 at 20%: 0.8 U < 40 for
    U <= 49: (49 x 40 + 0.8 x 3825) / 100 = 50.20. C = 60 at 30%: 0.7 U < 60 for U <= 85:
    (85 x 60 + 0.7 x 1395) / 100 = 60.765. So with no budget the 20 tier wins (47.573).
    CVaR95 is the mean of the worst 5 paths (U = 96..100, mean 98): 98, 88.2, 78.4, 68.6. A budget
    of 80 leaves the 40 and 60 tiers, and 40 wins (50.20); 60 leaves none: None (the caller keeps
    the scenario's own level).
    """
    costs = [usage_grid_costs(level) for level in TIERS]
    np.testing.assert_allclose([c[0] for c in costs], [50.5, 47.573, 50.20, 60.765])
    np.testing.assert_allclose([c[1] for c in costs], [98.0, 88.2, 78.4, 68.6])
    assert commit.cheapest(costs, budget) == chosen


def test_at_one_discount_the_least_minimum_wins_and_ties_go_to_the_smaller() -> None:
    """At one discount d the expected bill E[max(C, (1 - d) U)] rises with C: its slope in C is
    P((1 - d) U < C) >= 0, so no interior level balances a marginal saving (the newsvendor's
    P = d condition needs a discount bought per unit committed, which this contract has not):
    signing pays at the least minimum or not at all. At d = 0.2, U on 1..100: C = 20 gives
    (24 x 20 + 0.8 x 4750) / 100 = 42.80 < 50.5 (not signed) < 50.20 (C = 40). C = 0.5 and
    C = 0.8 both lie at or below (1 - d) U's least value 0.8, so both bill 0.8 E[U] = 40.4 (a tie:
    the smaller minimum is kept, less owed if traffic leaves)."""
    levels = [commit.NOT_SIGNED, commit.Level(0.5, 0.2), commit.Level(0.8, 0.2),
              commit.Level(20.0, 0.2), commit.Level(40.0, 0.2)]
    costs = [usage_grid_costs(level) for level in levels]
    np.testing.assert_allclose([c[0] for c in costs], [50.5, 40.4, 40.4, 42.80, 50.20])
    assert commit.cheapest(costs, None) == 1
    assert commit.cheapest(costs[3:] + costs[:1], None) == 0  # without the ties: C = 20


def test_what_the_solver_writes_to_the_descriptors_is_silenced(capfd) -> None:
    """HiGHS writes some lines from C++ straight to descriptors 1 and 2, past its output_flag:
    a line written there inside ``silenced`` reaches neither, Python's own lines before and after
    arrive in order, and the descriptors come back even when the block raises."""
    print("before")
    with silenced():
        os.write(1, b"raw stdout\n")
        os.write(2, b"raw stderr\n")
    print("after", file=sys.stderr)
    with pytest.raises(RuntimeError), silenced():
        os.write(2, b"raw again\n")
        raise RuntimeError
    os.write(2, b"restored\n")
    out, err = capfd.readouterr()
    assert out == "before\n" and err == "after\nrestored\n"
