"""Reserved GPUs per GPU type of a portfolio, chosen on the pooled fleets.

Closed form (the pools of ``tests.test_portfolio._two_options_on_one_gpu_type``, autoscaled): a
needs 8 GPUs in hours 0-11 and 2 in hours 12-23, b 1 then 6, so the type needs G = 9 GPUs in
hours 0-11 and 8 in hours 12-23. With R reserved at c_r a GPU-hour and the rest on demand at c_d,
the day's average cost is c_r R + c_d mean_h max(0, G_h - R):

- R <= 8: c_r R + c_d (8.5 - R); 8 <= R <= 9: c_r R + c_d (9 - R) / 2; R >= 9: c_r R.

One more reserved GPU costs c_r and saves c_d x the share of hours it is needed, P(G > R): 1
below 8, 1/2 from 8 to 9, 0 from 9. At c_d = $2.00 and c_r = $1.30 (0.65 of it) reserving pays up
to 8 (1 > 0.65 > 1/2): cost 10.4 + 1.0 = 11.4, against 12.1 at 7 and 11.7 at 9. At c_r = $0.90
(0.45) it pays up to 9 (1/2 > 0.45): 8.1 against 8.2 at 8. At c_r = $2.10 (above c_d) none:
17.0 at 0.

Two equiprobable paths, the second with every load doubled: a needs ceil(7.0) = 7 replicas (14
GPUs) then ceil(1.0) = 1 (2 GPUs), b 1 (1 GPU) then 11, so G = 15 then 13 (whole replicas: not
twice 9 and 8). P(G > R) over hours and paths is 1 below 8, 3/4 from 8 to 9, 1/2 from 9 to 13,
1/4 from 13 to 15, 0 from 15. At c_r / c_d = 0.65 reserving pays up to 9 (3/4 > 0.65 > 1/2); at
0.45 up to 13 (1/2 > 0.45 > 1/4).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tco.optimise.portfolio_reserve import (
    choose_reserved,
    filed_gpus,
    with_reserved_gpus,
)
from tco.optimise.reserve import least_count
from tco.portfolio import simulate_portfolio
from tco.portfolio.pooling import price_gpu_type
from tco.portfolio.spec import validate_portfolio
from tco.yamlio import parse_document
from tests.conftest import ROOT, two_h200_models

SHIPPED = ROOT / "scenarios" / "portfolio-enterprise.yaml"
ON_DEMAND = 2.00


def _needs(scales: tuple[float, ...]) -> np.ndarray:
    """(2 pools, paths, 1 month, 24 h) replicas' worth of load: a (2 GPUs a replica) 4 replicas
    in hours 0-11 and 1 after; b (1 GPU) 1 then 6; path k's loads times ``scales[k]``."""
    a = np.array([3.5] * 12 + [0.5] * 12)
    b = np.array([0.5] * 12 + [5.5] * 12)
    return np.stack([np.stack([a * s for s in scales]), np.stack([b * s for s in scales])]
                    )[:, :, None, :]


def _day_cost(need: np.ndarray, reserved: int, usd_per_reserved_hour: float) -> float:
    """Expected cost of an average hour: reserved GPUs at their price, the rest on demand, from
    the pooling function itself (``price_gpu_type``)."""
    pools, paths = need.shape[:2]
    rented, top = np.empty((pools, paths, 1)), np.empty((pools, paths, 1))
    provisioned = np.empty((paths, 1))
    price_gpu_type(need, np.array([1.0, 1.0]), np.array([2.0, 1.0]), np.array([True, True]),
                   np.full((paths, 1), float(reserved)), rented, provisioned, top)
    return usd_per_reserved_hour * reserved + ON_DEMAND * float(rented.sum(axis=0).mean())


@pytest.mark.parametrize(("scales", "usd_per_reserved_hour", "best", "cost"), [
    ((1.0,), 1.30, 8, 11.4), ((1.0,), 0.90, 9, 8.1), ((1.0,), 2.10, 0, 17.0),
    ((1.0, 2.0), 1.30, 9, None), ((1.0, 2.0), 0.90, 13, None)])
def test_the_search_finds_the_closed_form_count(scales, usd_per_reserved_hour, best, cost) -> None:
    need = _needs(scales)
    seen: dict[int, float] = {}

    def expected(count: int) -> float:
        if count not in seen:
            seen[count] = _day_cost(need, count, usd_per_reserved_hour)
        return seen[count]

    assert least_count(expected, 0, 40) == best
    if cost is not None:
        assert expected(best) == pytest.approx(cost, rel=1e-12)
    assert all(expected(best) <= expected(k) for k in range(41))  # the whole range, by brute force
    assert len(seen) == 41  # the brute force added the counts the search skipped


def test_a_budget_that_leaves_a_narrow_band_of_counts_is_searched_whole() -> None:
    """Over the budget a count costs infinity. With only 9 and 10 within it (mean cost (g - 20)^2,
    convex, least at 20, outside the band), ternary search's first probes, 4 and 8, are both over:
    comparing inf with inf dropped the top third and returned 0, over the budget. The search now
    costs every count once a probe is over and returns 10, the band's cheaper count; with no
    count within the budget it returns 0, costing infinity, which callers treat as no choice."""
    def banded(g: int) -> float:
        return float((g - 20) ** 2) if g in (9, 10) else math.inf

    assert least_count(banded, 0, 12) == 10
    assert least_count(lambda g: math.inf, 0, 12) == 0  # nothing within: the callers see inf
    assert least_count(lambda g: float((g - 7) ** 2), 0, 12) == 7  # no budget: still the optimum


def _two_models(reserved_gpus: int = 4) -> dict:
    """The shipped bot on Llama and nightly summarisation on Qwen, both on H200s, each option
    reserving ``reserved_gpus`` at $2.50 an hour (below the on-demand mode of $3.80)."""
    raw = two_h200_models(reserved_gpus)
    raw.pop("optimise")  # the options' own contracts price the reservation here
    return raw


PATHS, SEED = 64, 5


def test_a_decided_count_equal_to_the_files_costs_the_same() -> None:
    """The file's reservation (4 + 4 = 8 H200s: each signing workload's) and a decided 8 for the
    type price the same fleet: the same NPV on every path (the decided one bills its contract on
    one pool instead of two, and the pooled total is the same sum)."""
    pf = validate_portfolio(_two_models())
    assert filed_gpus(pf, "h200") == 8
    filed = simulate_portfolio(pf, PATHS, SEED).npv_usd
    decided = simulate_portfolio(with_reserved_gpus(pf, "h200", 8), PATHS, SEED).npv_usd
    np.testing.assert_allclose(decided, filed, rtol=1e-12)
    none = simulate_portfolio(with_reserved_gpus(pf, "h200", 0), PATHS, SEED).npv_usd
    assert not np.allclose(none, filed)


def test_the_portfolio_search_equals_brute_force_and_is_recosted() -> None:
    """The chosen count has the least expected NPV of every count from 0 to the search's ceiling,
    each simulated as the whole portfolio on the same paths (an independent brute force)."""
    pf = validate_portfolio(_two_models())
    choice = choose_reserved(pf, PATHS, SEED)
    assert choice is not None and choice.contract == {"h200": "Llama 3.3 70B Instruct's contract"}
    best = choice.gpus["h200"]
    ceiling = max(choice.costed["h200"])
    brute = {k: simulate_portfolio(with_reserved_gpus(pf, "h200", k), PATHS, SEED).npv_usd.mean()
             for k in range(ceiling + 1)}
    assert best == min(brute, key=lambda k: (brute[k], k))
    assert choice.costed["h200"][best].mean_usd == brute[best]
    assert choice.portfolio.reserved_gpus == {"h200": best}
    assert "NVIDIA H200" in choice.sentences()[0] and "as filed" in choice.sentences()[0]


def test_a_budget_refuses_counts_above_it() -> None:
    """Under a CVaR95 budget just below the unconstrained choice's, that count is refused: the
    chosen count's CVaR95 is within the budget (or, with none within it, the file's is kept)."""
    pf = validate_portfolio(_two_models())
    free = choose_reserved(pf, PATHS, SEED)
    best = free.gpus["h200"]
    budget = free.costed["h200"][best].cvar95_usd * (1 - 1e-9)
    capped = choose_reserved(pf, PATHS, SEED, budget_usd=budget)
    count = capped.gpus["h200"]
    assert count != best
    assert (capped.costed["h200"][count].cvar95_usd <= budget or count == capped.filed["h200"])
    # Every count the file's paths can use, brute force: the search kept none within the budget
    # cheaper than its answer.
    within = [k for k in range(0, 13) if choose_reserved_cost(pf, k).cvar95_usd <= budget]
    if within:
        least = min(within, key=lambda k: (choose_reserved_cost(pf, k).mean_usd, k))
        assert count == least
    else:  # none within: the file's own contracts stay, and its figure is the portfolio as filed
        assert "h200" not in capped.portfolio.reserved_gpus
        assert capped.costed["h200"][count] == capped.as_filed


def choose_reserved_cost(pf, count: int):
    """The whole portfolio with ``count`` H200s reserved for all workloads, on the test's paths."""
    from tco.optimise.decide import Costed

    return Costed.of(simulate_portfolio(with_reserved_gpus(pf, "h200", count), paths=PATHS,
                                        seed=SEED).npv_usd)


def test_no_contract_no_reservation_to_size() -> None:
    raw = _two_models()
    for name in ("llama", "qwen"):
        raw["options"][name].pop("reserved")
    assert choose_reserved(validate_portfolio(raw), PATHS, SEED) is None


def test_the_shipped_offer_is_sized_and_costs_nothing_as_filed() -> None:
    """The shipped portfolio offers H200s at $2.60 a GPU-hour for 36 months (``optimise.reserved``):
    as filed nothing is reserved, so its NPVs are those of the file without the offer, bit for
    bit; the search prices the offer: R reserved H200s cost R x 730 h x $2.60 a month, which the
    search's zero count does not pay."""
    text = SHIPPED.read_text()
    start = text.index("optimise:")
    without = text[:start] + text[text.index("risks:", start):]
    pf = validate_portfolio(parse_document(text)[0])
    bare = validate_portfolio(parse_document(without)[0])
    assert pf.reserved_offers["h200"].usd_per_gpu_hour == 2.6 and not bare.reserved_offers
    np.testing.assert_array_equal(simulate_portfolio(pf, 32, SEED).npv_usd,
                                  simulate_portfolio(bare, 32, SEED).npv_usd)
    choice = choose_reserved(pf, 32, SEED)
    assert choice.filed == {"h200": 0} and choice.gpus["h200"] > 0
    assert "the offer at $2.60 a GPU-hour for 36 months" in choice.sentences()[0]


@pytest.mark.parametrize(("offer", "message"), [
    ("{b200: {usd_per_gpu_hour: 2.6, term_months: 36}}",
     "optimise.reserved.b200: no pooled rented fleet runs on this GPU type (pooled types: h200)"),
    ("{h200: {usd_per_gpu_hour: 0, term_months: 36}}",
     "optimise.reserved.h200.usd_per_gpu_hour: must be greater than 0 and at most 1000"),  # Reserved's rule
    ("{h200: {usd_per_gpu_hour: {uniform: [2, 3]}, term_months: 36}}",
     "optimise.reserved.h200.usd_per_gpu_hour: must be a number: the optimiser prices one offer"),
    ("{h200: {usd_per_gpu_hour: 2.6, term_months: 0}}",
     "optimise.reserved.h200.term_months: must be greater than or equal to 1"),
    ("{h200: {usd_per_gpu_hour: 2.6}}", "optimise.reserved.h200.term_months: is required"),
    ("{h200: {usd_per_gpu_hour: 2.6, term_months: 12, start_month: 36}}",
     "optimise.reserved.h200.start_month: must be less than the horizon (36 months)"),
    ("{h200: {usd_per_gpu_hour: 2.6, term_month: 12}}",
     "optimise.reserved.h200.term_month: is not a known field (did you mean 'term_months'?)"),
])
def test_a_bad_offer_is_one_line(offer: str, message: str) -> None:
    from tco.errors import ScenarioError

    text = SHIPPED.read_text()
    line = next(x for x in text.splitlines() if x.startswith("    h200: {usd_per_gpu_hour"))
    bad = text.replace("  reserved:\n" + line, f"  reserved: {offer}")
    with pytest.raises(ScenarioError) as caught:
        validate_portfolio(parse_document(bad)[0])
    assert str(caught.value) == message
