"""The commitment level chosen for the optimised mix, against the simulator costing each level
on its own, and the ``optimise.commitment_tiers`` field's rules."""

from __future__ import annotations

import pytest

import tco
from tco.errors import ScenarioError
from tco.load import with_changes
from tco.optimise import commit
from tco.optimise.decide import optimise, with_strategy
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "api-price-shock.yaml"
PATHS, SEED = 200, 7
TIERS = [{"usd_per_month": 30_000, "discount": 0.10}, {"usd_per_month": 80_000, "discount": 0.20},
         {"usd_per_month": 120_000, "discount": 0.25}]


def api_only() -> tco.Loaded:
    """The shipped scenario with the self-hosted option excluded, so the mix is GPT and Gemini
    and GPT's commitment is a live decision (its own contract: $60k a month at 15% off; on these
    200 paths the $80k tier at 20% is cheapest, so the level moves)."""
    return with_changes(tco.load_scenario(SCENARIO), {"optimise": {
        "exclude": ["qwen"], "commitment_tiers": {"gpt": TIERS}}})


def test_the_chosen_level_is_the_simulators_cheapest_and_is_saved() -> None:
    """Each level (not signed and the three tiers, which replace the file's $60k at 15%) is costed
    by ``simulate`` on the chosen mix as a saved strategy, independently of the optimiser's own
    costing; the optimiser's level is the least mean among them. The scenario it saves carries
    that level, and simulating the saved strategy gives the exact figures it reports."""
    sc = api_only()
    d = optimise(sc, PATHS, SEED)
    assert "gpt" in d.chosen.strategy.mix
    levels = commit.levels(sc, "gpt")
    assert levels == [commit.NOT_SIGNED, commit.Level(30_000, 0.10), commit.Level(80_000, 0.20),
                      commit.Level(120_000, 0.25)]
    means = []
    for level in levels:
        priced = with_strategy(commit.with_level(sc, "gpt", level), "optimised", d.chosen.strategy)
        means.append(float(tco.simulate(priced, PATHS, SEED).npv_usd[:, -1].mean()))
    best = min(range(len(levels)), key=lambda k: (means[k], k))
    assert d.commitments == {"gpt": levels[best]}
    saved = with_strategy(d.decided, "optimised", d.chosen.strategy)
    assert saved.options["gpt"].commitment.usd_per_month == levels[best].usd_per_month
    assert float(tco.simulate(saved, PATHS, SEED).npv_usd[:, -1].mean()) == pytest.approx(
        d.chosen.exact.mean_usd, rel=1e-12)
    assert d.to_json()["commitments"]["gpt"] == levels[best].to_json()
    if levels[best].signed:
        assert f"commitment ({round(100 * levels[best].discount)}% off) on GPT-6.1 Sol" in d.chosen.card
    assert d.commitments == {"gpt": commit.Level(80_000, 0.20)}  # the file's $60k moved


@pytest.mark.parametrize(("tiers", "message"), [
    ({"gemini": [{"usd_per_month": 1000}]}, "optimise.commitment_tiers.gemini: needs the option's "
                                           "own commitment"),
    ({"nope": [{"usd_per_month": 1000}]}, "'nope' is not a defined option"),
    ({"gpt": [{"usd_per_month": 1000}] * 9}, "must list 1 to 8 tiers"),
    ({"gpt": [{"usd_per_month": -5}]}, "usd_per_month"),
    ({"gpt": [{"usd_per_month": 1000, "discount": 1.5}]}, "discount")])
def test_bad_tiers_are_one_line(tiers: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("(", r"\(").replace(")", r"\)")):
        with_changes(tco.load_scenario(SCENARIO), {"optimise": {"commitment_tiers": tiers}})


def test_the_share_link_reproduces_the_saved_scenario() -> None:
    """The Decide tab's link carries the commitment level as input values and the mix as an added
    strategy; applying both to the scenario, as the page does when the link is opened, gives the
    exact figures the optimiser reports for the chosen mix (same seed, same paths)."""
    from tco.optimise.decide import with_mix
    from tco.ui import links
    from tco.ui.controls import by_path
    from tco.ui.decide_tab import decided_changes
    from tco.ui.edits import apply_edits

    sc = api_only()
    d = optimise(sc, PATHS, SEED)
    changes, removed = decided_changes(sc, d.decided)
    assert removed == []
    assert d.commitments["gpt"] == commit.Level(80_000, 0.20)
    assert changes == {"options.gpt.commitment.usd_per_month": 80_000.0,
                       "options.gpt.commitment.discount": 0.20}
    query = links.encode("api-price-shock", changes, PATHS, SEED, strategy=links.AddedStrategy(
        "optimised", dict(d.chosen.strategy.mix), d.chosen.strategy.chain))
    added = links.parse_strategy(query["strategy"])
    base = with_mix(sc, added.name, added.mix, added.fallback)
    inputs = {k: v for k, v in query.items() if k not in links.RESERVED}
    edits, ignored = links.edits_from_link(inputs, base, by_path(base))
    assert ignored == []
    reopened = apply_edits(base, edits)
    assert float(tco.simulate(reopened, PATHS, SEED).npv_usd[:, -1].mean()) == pytest.approx(
        d.chosen.exact.mean_usd, rel=1e-12)


def test_a_p95_budget_caps_the_level_by_its_p95() -> None:
    """Under a P95 budget just below the P95 of the level chosen with no budget, that level is
    refused and the one kept has its P95 (``simulate``'s, recomputed here level by level) within
    the budget, or, with none within it, the file's own contract is kept."""
    import numpy as np

    sc = api_only()
    strategy = next(s for s in sc.strategies.values() if "gpt" in s.mix)
    free = commit.choose(sc, strategy, PATHS, SEED).levels["gpt"]
    p95 = {level: float(np.percentile(tco.simulate(with_strategy(
        commit.with_level(sc, "gpt", level), "candidate", strategy), PATHS, SEED).npv_usd[:, -1], 95))
        for level in commit.levels(sc, "gpt")}
    budget = p95[free] * (1 - 1e-9)
    kept = commit.choose(sc, strategy, PATHS, SEED, budget, "p95").levels["gpt"]
    assert kept != free
    own = sc.options["gpt"].commitment
    assert p95.get(kept, np.inf) <= budget or kept == commit.Level(own.usd_per_month, own.discount)
