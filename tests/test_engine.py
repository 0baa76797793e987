"""Draw once, evaluate many (``tco.engine``): the same futures for every candidate.

The API's promise is an identity, not an approximation: a candidate equal to one of the
scenario's strategies costs, on every path, exactly what ``simulate`` says it costs with the same
seed and paths; so the optimiser's and the portfolio's numbers are the page's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import tco.engine as engine
from tco.errors import ScenarioError
from tco.load import load_scenario
from tco.schema import Strategy
from tco.simulate import simulate
from tests.conftest import ROOT, build

PATHS = 3_000  # two chunks of paths, the second one partial


@pytest.mark.parametrize("name", ["partial-open-release", "open-model-goes-closed", "own-fine-tuning",
                                  "licence-threshold"])
def test_the_scenarios_own_strategies_cost_what_simulate_says_bit_for_bit(name: str) -> None:
    """Every feature the kernel has (bought and rented fleets, reservations, commitments, release
    tracks, fine-tuning, fallback chains, named costs on options and strategies) goes through the
    same kernel on the same drawn paths: equal bits, with the lock-in reference too."""
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    drawn = engine.draw(sc, PATHS, seed=11)
    result = engine.evaluate(drawn, sc.strategies, reference=True)
    sim = simulate(sc, PATHS, seed=11)
    assert result.names == tuple(sc.strategies)
    assert np.array_equal(result.npv_usd, sim.npv_usd)
    assert np.array_equal(result.npv_no_events_usd, sim.npv_no_events_usd)


def test_candidates_are_costed_independently_of_their_order_and_company() -> None:
    """A candidate's column depends on it and the paths only: reversing the candidates, or costing
    one alone, gives the same bits."""
    sc = load_scenario(ROOT / "scenarios" / "partial-open-release.yaml")
    drawn = engine.draw(sc, 1_500, seed=3)
    both = engine.evaluate(drawn, sc.strategies)
    reversed_ = engine.evaluate(drawn, dict(reversed(list(sc.strategies.items()))))
    last = list(sc.strategies)[-1]
    alone = engine.evaluate(drawn, {last: sc.strategies[last]})
    assert np.array_equal(both.npv_usd, reversed_.npv_usd[:, ::-1])
    assert np.array_equal(both.npv_usd[:, -1], alone.npv_usd[:, 0])
    assert both.npv_no_events_usd is None


def test_a_new_mix_of_two_token_priced_options_costs_the_share_weighted_sum() -> None:
    """Without commitments, escalation or exits, an API's monthly bill is share x R(t) x c(t), so
    NPV is linear in the share: NPV(0.3 A + 0.7 B) = 0.3 NPV(A) + 0.7 NPV(B) on every path (to
    rounding: the kernel adds per option, then discounts)."""
    sc = build(horizon_months=24, discount_rate_per_year=0.08,
               options__api__price_volatility_per_year=0.2,
               options__backup__price_volatility_per_year=0.3)
    drawn = engine.draw(sc, 2_000, seed=5)
    result = engine.evaluate(drawn, {
        "a": Strategy(mix={"api": 1.0}), "b": Strategy(mix={"backup": 1.0}),
        "mix": Strategy(mix={"api": 0.3, "backup": 0.7})})
    a, b, mix = result.npv_usd.T
    np.testing.assert_allclose(mix, 0.3 * a + 0.7 * b, rtol=1e-12)
    assert np.std(a) > 0.0  # the noise is drawn, so the identity is checked on 2,000 futures


def test_a_candidates_overhead_is_its_own_nominal_value() -> None:
    """A candidate that is not the scenario's strategy takes its own fields: $1,000 a month of
    overhead for 12 months, undiscounted (rate 0), adds exactly $12,000 on every path."""
    sc = build()
    drawn = engine.draw(sc, 500, seed=1)
    result = engine.evaluate(drawn, {
        "plain": Strategy(mix={"api": 1.0}, fallback="backup"),
        "gateway": Strategy(mix={"api": 1.0}, fallback="backup", overhead_usd_per_month=1_000.0)})
    np.testing.assert_allclose(result.npv_usd[:, 1] - result.npv_usd[:, 0], 12_000.0, rtol=1e-12)


def test_a_candidate_naming_an_unknown_option_is_refused_in_one_line() -> None:
    sc = build()
    drawn = engine.draw(sc, 100, seed=1)
    with pytest.raises(ScenarioError) as caught:
        engine.evaluate(drawn, {"odd": Strategy(mix={"nope": 1.0})})
    assert str(caught.value).count("\n") == 0
    assert "candidates.odd" in str(caught.value) and "'nope'" in str(caught.value)


def test_drawn_inputs_are_the_paths_inputs() -> None:
    """``Drawn.inputs`` gives each path's drawn value, as ``simulate``'s result lists them."""
    sc = load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    drawn = engine.draw(sc, 2_500, seed=9)
    sim = simulate(sc, 2_500, seed=9)
    path = sc.inputs.sampled[0].path
    assert np.array_equal(drawn.inputs(path), sim.inputs[path])
