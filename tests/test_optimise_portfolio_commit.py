"""The commitment tier per vendor of a portfolio, chosen on the portfolio simulation.

Closed form: one API option of vendor anthropic at $1/Mtok in and $10/Mtok out, no growth, no
shocks, no discounting, 12 months; a workload of 1M requests x (1,000 in, 100 out) tokens uses
1e6 x (1,000 x 1 + 100 x 10) / 1e6 = $2,000 a month at list price. Each month of the 12-month
term bills max(C, (1 - d) U) on the pooled usage U:

| level              | two workloads, U = $4,000 | one workload, U = $2,000 |
|--------------------|---------------------------|--------------------------|
| not signed         | 4,000                     | 2,000                    |
| tier 1: 3,000, 10% | max(3,000, 3,600) = 3,600 | max(3,000, 1,800) = 3,000 |
| tier 2: 4,000, 20% | max(4,000, 3,200) = 4,000 | 4,000                    |
| tier 3: 3,500, 15% | max(3,500, 3,400) = 3,500 | 3,500                    |

so the pooled pair signs tier 3 (NPV 12 x 3,500 = $42,000) while one workload alone signs
nothing ($24,000): the tier is a portfolio decision.
"""

from __future__ import annotations

import pytest

from tco.optimise.portfolio_commit import NOT_SIGNED, choose_tiers, with_tier
from tco.portfolio import simulate_portfolio
from tco.portfolio.spec import validate_portfolio

MONTHS = 12


def portfolio(workloads: int, tier: int = 1) -> dict:
    workload = {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                "output_tokens_per_request": 100, "growth_per_month": 0.0}
    return {
        "name": "tiers", "horizon_months": MONTHS, "discount_rate_per_year": 0.0,
        "options": {"api": {"kind": "api", "catalog": "anthropic/claude-haiku-4-5",
                            "input_usd_per_mtok": 1.0,
                            "cached_input_usd_per_mtok": 0.1, "output_usd_per_mtok": 10.0,
                            "price_trend_per_year": 0.0, "price_volatility_per_year": 0.0}},
        "risks": [], "pooling": False,
        "commitments": {"anthropic": {"tiers": [{"usd_per_month": 3000, "discount": 0.10},
                                           {"usd_per_month": 4000, "discount": 0.20},
                                           {"usd_per_month": 3500, "discount": 0.15}],
                                 "tier": tier}},
        "workloads": {f"w{k}": {"workload": dict(workload),
                                "strategies": {"api": {"mix": {"api": 1.0}}}, "strategy": "api"}
                      for k in range(workloads)},
    }


@pytest.mark.parametrize(("workloads", "monthly_usd"), [
    (2, [4000, 3600, 4000, 3500]), (1, [2000, 3000, 4000, 3500])])
def test_every_level_costs_its_closed_form(workloads: int, monthly_usd: list[float]) -> None:
    choice = choose_tiers(validate_portfolio(portfolio(workloads)), paths=4, seed=3)
    means = [c.mean_usd for c in choice.costed["anthropic"]]
    assert means == pytest.approx([MONTHS * m for m in monthly_usd], rel=1e-12)


def test_the_pooled_pair_signs_tier_3_and_one_workload_signs_nothing() -> None:
    pair = choose_tiers(validate_portfolio(portfolio(2)), paths=4, seed=3)
    assert pair.tiers == {"anthropic": 3}
    assert pair.portfolio.commitments["anthropic"].tier == 3
    assert simulate_portfolio(pair.portfolio, 4, 3).npv_usd.mean() == pytest.approx(42_000)
    alone = choose_tiers(validate_portfolio(portfolio(1)), paths=4, seed=3)
    assert alone.tiers == {"anthropic": NOT_SIGNED}
    assert "anthropic" not in alone.portfolio.commitments
    assert simulate_portfolio(alone.portfolio, 4, 3).npv_usd.mean() == pytest.approx(24_000)


@pytest.mark.parametrize(("budget_usd", "expected"), [(43_200, 3), (42_000, 3), (41_000, 2)])
def test_the_cvar_budget_refuses_levels_above_it(budget_usd: float, expected: int) -> None:
    """Deterministic paths: CVaR95 = the NPV. Within $43,200 tier 1 ($43,200) and tier 3
    ($42,000) qualify and tier 3 is cheaper; within $42,000 still tier 3; within $41,000 no level
    does and the file's tier (2 here) is kept."""
    pf = validate_portfolio(portfolio(2, tier=2))
    assert choose_tiers(pf, paths=4, seed=3, budget_usd=budget_usd).tiers == {"anthropic": expected}


def test_not_signing_removes_the_contract_and_a_tier_keeps_its_term() -> None:
    pf = validate_portfolio(portfolio(2))
    assert with_tier(pf, "anthropic", NOT_SIGNED).commitments == {}
    kept = with_tier(pf, "anthropic", 2).commitments["anthropic"]
    assert (kept.tier, kept.term_months, kept.tiers) == (2, MONTHS, pf.commitments["anthropic"].tiers)


def test_the_sentence_names_the_tier_and_the_files() -> None:
    pf = validate_portfolio(portfolio(2))
    assert choose_tiers(pf, paths=4, seed=3).sentences() == [
        "anthropic: tier 3 ($3.50k a month at 15% off); expected NPV $42.0k, CVaR95 $42.0k, "
        "against $43.2k and $43.2k at the file's tier 1."]


@pytest.mark.parametrize(("budget_usd", "expected"), [(43_200, 3), (42_000, 3), (41_000, 2)])
def test_the_p95_budget_refuses_levels_above_it(budget_usd: float, expected: int) -> None:
    """The same levels under a P95 budget: on deterministic paths P95 = the NPV, so tier 3
    ($42,000) is the cheapest within $43,200 or $42,000, and nothing is within $41,000 (the
    file's tier 2 is kept); the sentence shows P95."""
    choice = choose_tiers(validate_portfolio(portfolio(2, tier=2)), paths=4, seed=3,
                          budget_usd=budget_usd, measure="p95")
    assert choice.tiers == {"anthropic": expected}
    assert ", P95 NPV $" in choice.sentences()[0]


def test_a_p95_budget_caps_p95_and_a_cvar_budget_cvar95() -> None:
    """Two levels of (mean, CVaR95, P95): A (10, 30, 20), B (12, 25, 25). Within 22 on P95 only
    A qualifies (20 <= 22 < 25); on CVaR95 neither does (30 and 25 > 22); within 26 on CVaR95
    only B (25 <= 26 < 30), on P95 both, and A is cheaper."""
    from tco.optimise.commit import cheapest
    from tco.optimise.decide import Costed

    levels = [Costed(10.0, 30.0, 20.0), Costed(12.0, 25.0, 25.0)]

    def pick(budget: float, measure: str) -> int | None:
        return cheapest([(c.mean_usd, c.risk_usd(measure)) for c in levels], budget)

    assert (pick(22.0, "p95"), pick(22.0, "cvar95")) == (0, None)
    assert (pick(26.0, "p95"), pick(26.0, "cvar95")) == (0, 1)
