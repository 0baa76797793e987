"""The executive summary's words follow the numbers: recommendation, flips, tail, cards, stresses."""

from __future__ import annotations

import pytest

import tco
from tco.format import usd
from tco.story import bullets, recommendation, strategy_card, stress_story
from tco.stress import stress
from tests.conftest import ROOT, SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_ranking_sentence_says_whether_it_flips(path) -> None:
    """'flips' exactly when the cheapest strategy on nominal inputs is not the cheapest in
    expectation; the recommendation names the lowest expected cost."""
    sc = tco.load_scenario(path)
    result = tco.simulate(sc, paths=1000, seed=5)
    table = result.summary()
    best, nominal_best = table["mean"].idxmin(), table["deterministic_npv"].idxmin()
    assert recommendation(result).startswith(f"Choose {best}:")
    said = bullets(result)
    assert said[0].startswith(f"Expected cost {usd(table.loc[best, 'mean'])}")
    assert said[2].startswith("The ranking flips" if best != nominal_best else "The ranking holds")
    if best != nominal_best:
        # The flip adds up: nominal + uncertain inputs + vendor shocks = expected, each signed
        # ('take off' where shocks lower the cost, never 'a premium of -$2.71M makes it dearer').
        other = table.loc[nominal_best]
        shocks = other["lock_in_premium"]
        drift = other["mean"] - other["deterministic_npv"] - shocks
        word = {True: "add", False: "take off"}
        assert (f"in expectation it costs {usd(other['mean'])} (uncertain inputs "
                f"{word[drift >= 0]} {usd(abs(drift))}, vendor shocks {word[shocks >= 0]} "
                f"{usd(abs(shocks))}), more than {best}'s {usd(table.loc[best, 'mean'])}.") in said[2]


def test_a_strategy_card_reads_its_mix_fallback_and_portability() -> None:
    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    card = strategy_card(sc, "hybrid")
    assert card.startswith("70% on llama-70b (self-hosted llama-3.3-70b on h100-sxm); 30% on frontier-api")
    assert "Falls back to frontier-api." in card and "Portability 80%" in card
    assert card.endswith("overhead $4.00k a month.")


def test_a_stress_that_lowers_a_cost_says_why() -> None:
    """An API exit moves api-only's traffic to its cheaper self-hosted fallback: its NPV falls."""
    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    frame = stress(sc, "exit", "frontier-api", 6)
    assert frame.set_index("strategy").loc["api-only", "impact_usd"] < 0
    story = stress_story(sc, frame, "exit", "frontier-api", 6)
    assert story.startswith("Vendor exit on frontier-api in month 6: frontier-api loses all its traffic.")
    # self-host loses its only fallback too: its escalated share stays on its own fleet (cheaper).
    assert "api-only, self-host, hosted-then-own cost less afterwards" in story


def test_the_stale_price_check_counts_what_it_leaves_out() -> None:
    """The flagship has six catalog prices older than the limit: the check names four and says how
    many more, where it ended in '....' (an ellipsis, then the full stop)."""
    from tco.report import assumptions
    from tco.story import checks

    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    stale = int((assumptions(sc)["warning"] != "").sum())
    assert stale > 4
    (line,) = [c for c in checks(tco.simulate(sc, paths=100, seed=1)) if "older than" in c]
    assert "..." not in line
    assert line.endswith(f" and {stale - 4} more (the appendix dates each).")
