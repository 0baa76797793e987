"""The optimiser on a shipped scenario: exact re-costing, the out-of-sample check, the frontier,
the optimise: section's rules and the command line."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from tco.cli import main
from tco.errors import ScenarioError
from tco.format import usd
from tco.load import load_scenario, with_changes
from tco.optimise.decide import Costed, Point, efficient, frontier_note, optimise
from tco.optimise.paths import CommonPaths, with_strategies
from tco.optimise.problem import card, problem
from tco.schema import Strategy
from tco.simulate import simulate
from tests.conftest import ROOT

SCENARIO = ROOT / "scenarios" / "open-model-goes-closed.yaml"
PATHS, SEED = 200, 7
SECTION = {"exclude": ["llama-hosted"], "min_share": {"frontier-api": 0.2}, "strategy": "hybrid"}


@pytest.fixture(scope="module")
def scenario():
    return with_changes(load_scenario(SCENARIO), {"optimise": SECTION})


@pytest.fixture(scope="module")
def decision(scenario):
    return optimise(scenario, PATHS, SEED)


def test_the_chosen_mix_is_recosted_exactly_in_and_out_of_sample(scenario, decision) -> None:
    """The exact figures are simulate()'s summary of a scenario holding the chosen mix, on the
    same seed and on the next one: the CVaR95 reported is the summary's CVaR95."""
    alone = with_strategies(scenario, {"chosen": decision.chosen.strategy})
    same = simulate(alone, PATHS, SEED).summary().loc["chosen"]
    fresh = simulate(alone, PATHS, SEED + 1).summary().loc["chosen"]
    assert decision.chosen.exact.mean_usd == same["mean"]
    assert decision.chosen.exact.cvar95_usd == same["cvar95"]
    assert decision.fresh.mean_usd == fresh["mean"] and decision.fresh_seed == SEED + 1
    assert decision.fresh.cvar95_usd == fresh["cvar95"]


def test_bounds_hold_and_the_frontier_has_fifteen_points(decision) -> None:
    mix = decision.chosen.strategy.mix
    assert "llama-hosted" not in mix and mix["frontier-api"] >= 0.2 - 1e-9
    assert len(decision.frontier) == 15
    cvars = [p.linear.cvar95_usd for p in decision.frontier]
    assert all(b >= a - 1e-6 for a, b in itertools.pairwise(cvars))
    assert set(decision.strategies) == {"api-only", "self-host", "hybrid", "hosted-then-own"}


def test_no_budget_matches_a_grid_costed_by_the_kernel(scenario, decision) -> None:
    """Every mix of the two allowed options on a 0.01 grid (API share 0.2 to 1), costed by the
    exact kernel on the same paths: the optimiser's exact mean is within two standard errors of
    the paired difference of the grid's best (a false failure about once in 40 runs at most if
    the two were equally good; the seed is fixed)."""
    prob = problem(scenario)
    chain = decision.chosen.strategy.chain
    grid = {f"api-{k}": prob.mix({"frontier-api": k / 100, "llama-70b": 1 - k / 100}
                                 if k < 100 else {"frontier-api": 1.0}, chain)
            for k in range(20, 101)}
    npv = CommonPaths(scenario, PATHS, SEED).npv_usd({"chosen": decision.chosen.strategy, **grid})
    means = npv.mean(axis=0)
    best = int(np.argmin(means[1:])) + 1
    diff = npv[:, 0] - npv[:, best]
    se = diff.std(ddof=1) / np.sqrt(PATHS)
    assert means[0] <= means[best] + 2 * se + 1e-6


def test_a_budget_below_the_least_cvar_names_it(scenario, decision) -> None:
    least = min(p.linear.cvar95_usd for p in decision.frontier)
    with pytest.raises(ScenarioError, match=r"^--cvar-budget: no mix meets \$.*; the least "
                       r"reachable CVaR95 is \$[0-9.]+M \(mix [0-9]+% .*; fallback .*\)$"):
        optimise(scenario, PATHS, SEED, cvar_budget_usd=0.5 * least)


def test_a_p95_budget_below_the_least_p95_names_it_and_its_mix(scenario, decision) -> None:
    """The least reachable P95 in the refusal is the P95 (np.percentile's) of the mix it names,
    recosted here on the same paths by the solver's model (the options alone, mixed linearly),
    and no mix on a 1% grid of the two allowed options has a lower one."""
    prob = problem(scenario)
    chain = decision.chosen.strategy.chain
    alone = CommonPaths(scenario, PATHS, SEED).npv_usd(prob.candidates(chain))
    assert prob.options == ["frontier-api", "llama-70b"]
    grid = [np.percentile(alone @ [k, 1 - k], 95) for k in np.linspace(0.2, 1.0, 81)]
    with pytest.raises(ScenarioError) as caught:
        optimise(scenario, PATHS, SEED, p95_budget_usd=0.5 * min(grid))
    line = str(caught.value)
    assert line.startswith(f"--p95-budget: no mix meets {usd(0.5 * min(grid))}; the least "
                           "reachable P95 is ")
    assert "(mix " in line and "\n" not in line
    printed = line.split("the least reachable P95 is $")[1].split("M", maxsplit=1)[0]
    least = float(printed) * 1e6
    # Within half a unit of the last digit printed ('$10.3M': 3 significant figures, +-$0.05M).
    decimals = len(printed.partition(".")[2])
    assert least <= min(grid) + 0.5 * 10.0**-decimals * 1e6


def test_contradictory_constraints_are_one_line() -> None:
    base = load_scenario(SCENARIO)
    with pytest.raises(ScenarioError, match="optimise.exclude: excludes every option"):
        with_changes(base, {"optimise": {"exclude": list(base.options)}})
    with pytest.raises(ScenarioError, match=r"optimise.min_share: the minimum shares sum to 1.3"):
        with_changes(base, {"optimise": {"min_share": {"frontier-api": 0.7, "llama-70b": 0.6}}})
    with pytest.raises(ScenarioError, match=r"optimise.max_gpus: is not a known field|"
                       r"optimise.max_gpu: is not a known field"):
        with_changes(base, {"optimise": {"max_gpu": {"h100-sxm": 4}}})


def test_the_card_names_labels_not_keys(scenario, decision) -> None:
    text = card(scenario, decision.chosen.strategy)
    assert "Claude Sonnet 4.6" in text and "Llama 3.3 70B" in text
    assert "frontier-api" not in text and "llama-70b" not in text
    assert text.startswith("80% ") and "; fallback Claude Sonnet 4.6" in text


def test_cli_json_and_save_strategy(tmp_path, capsys) -> None:
    source = tmp_path / "in.yaml"
    source.write_text(SCENARIO.read_text(encoding="utf-8") + "optimise:\n  exclude: [llama-hosted]\n"
                      "  min_share: {frontier-api: 0.2}\n  strategy: hybrid\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    assert main(["optimise", str(source), "--paths", str(PATHS), "--json", "--save-strategy",
                 "optimised", "-o", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["frontier"]) == 15 and data["fresh_seed"] == SEED + 1
    saved = load_scenario(out)
    assert saved.strategies["optimised"].mix == pytest.approx(data["chosen"]["mix"])


@pytest.mark.parametrize(("args", "message"), [
    (["--cvar-budget", "1"], "--cvar-budget: no mix meets $1; the least reachable CVaR95 is $"),
    (["--p95-budget", "1"], "--p95-budget: no mix meets $1; the least reachable P95 is $"),
    (["--cvar-budget", "-5"], "--cvar-budget: must be a positive amount of money"),
    (["--save-strategy", "x"], "--save-strategy: and -o go together"),
    (["--cvar-budget", "1e9", "--p95-budget", "1e9"], "not allowed with argument"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args, message, capsys) -> None:
    assert main(["optimise", str(SCENARIO), "--paths", "100", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_run_json_carries_evpi_and_evppi(capsys) -> None:
    """EVPI is the smallest expected regret of the run's strategies (summary()'s), and every
    EVPPI lies between 0 and it."""
    assert main(["run", str(SCENARIO), "--paths", str(PATHS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    summary = simulate(load_scenario(SCENARIO), PATHS, SEED).summary()
    assert data["evpi_usd"] == pytest.approx(summary["expected_regret"].min(), rel=1e-12)
    risks = [k for k in data["evppi"] if k.startswith("risks.")]
    assert len(risks) == len(load_scenario(SCENARIO).risks)
    for entry in data["evppi"].values():
        assert 0.0 <= entry["usd"] <= data["evpi_usd"] + 1e-9
        assert entry["label"] and "share_of_evpi" in entry
    assert data["units"]["evpi_usd"] == "USD, present value"


def test_the_deck_has_the_decide_slide(scenario) -> None:
    """The slide carries the chosen mix in words and both seeds' figures, and the deck still
    builds when the optimiser has nothing to decide (it is then left out)."""
    import io

    from pptx import Presentation

    from tco.deck import build_deck
    from tco.optimise.slide import TITLE

    result = simulate(scenario, PATHS, SEED)
    prs = Presentation(io.BytesIO(build_deck(scenario, result)))
    slides = [s for s in prs.slides if s.shapes.title is not None and s.shapes.title.text == TITLE]
    assert len(slides) == 1
    text = " ".join(shape.text_frame.text for shape in slides[0].shapes if shape.has_text_frame)
    assert "Chosen mix: 80% Llama 3.3 70B" in text and f"seed {SEED + 1}" in text
    assert any(shape.has_chart for shape in slides[0].shapes)
    # Its title in the colour of every other slide's title (it was the theme's black).
    colours = {str(r.font.color.rgb) for s in prs.slides if s.shapes.title is not None
               for p in s.shapes.title.text_frame.paragraphs for r in p.runs}
    assert colours == {"1F2A44"}


def test_reserved_gpus_are_refined_on_the_exact_kernel() -> None:
    """With the mix forced onto the reserved H200 option, the optimiser's reserved count is the
    best of every count from 0 to 16, each costed by the exact kernel on the same paths (the
    scenario's own contract is 4 GPUs; the search reaches 4 x 4). The card names it and the saved
    scenario carries it."""
    from tco.optimise.reserve import with_reserved

    base = load_scenario(ROOT / "scenarios" / "regulated-in-house.yaml")
    sc = with_changes(base, {"optimise": {"exclude": ["llama-owned", "llama-rented", "qwen-fallback"],
                                          "strategy": "reserve-h200"}})
    d = optimise(sc, PATHS, SEED)
    assert d.chosen.strategy.mix == {"llama-reserved": 1.0}
    means = [CommonPaths(with_reserved(sc, "llama-reserved", g), PATHS, SEED).npv_usd(
        {"c": d.chosen.strategy})[:, 0].mean() for g in range(17)]
    best = int(np.argmin(means))
    assert d.reserved_gpus == {"llama-reserved": best}
    assert d.chosen.exact.mean_usd == pytest.approx(means[best], rel=1e-12)
    gpus = d.decided.options["llama-reserved"].reserved
    assert (gpus.gpus if gpus is not None else 0) == best
    assert (f"on {best} reserved NVIDIA H200" in d.chosen.card) == (best > 0)


def _point(card_text: str, mean: float, cvar: float) -> Point:
    figures = Costed(mean, cvar, cvar)
    return Point(Strategy(mix={"a": 1.0}), card_text, figures, figures)


def test_the_frontier_shown_keeps_only_mixes_nothing_beats_on_both() -> None:
    """A (mean 10, CVaR 20) and B (12, 18) trade off; C (13, 21) costs more than A on both counts
    and is dropped; a repeat of A is kept once. Ordered by CVaR95: B, then A."""
    a, b, c = _point("A", 10, 20), _point("B", 12, 18), _point("C", 13, 21)
    assert [p.card for p in efficient([a, b, c, _point("A", 10, 20)])] == ["B", "A"]
    assert frontier_note([a, b, c]) is None
    note = frontier_note([a, c, _point("D", 11, 25)])
    assert note.startswith("One mix at every budget: A has both the lowest expected NPV and the "
                           "least CVaR95 ($20). The search's 2 other blends cost more on both")
    assert frontier_note([a, a]).endswith("($20). No share of another option lowers the worst 5% "
                                          "of futures.")


def test_the_regulated_story_says_why_its_frontier_is_one_point() -> None:
    """regulated-in-house's optimise: section (Qwen is the fallback family; the mix is among the
    owned, rented and reserved Llama fleets): the reserved fleet alone beats every blend on both
    expected NPV and CVaR95 once recosted, and the tab, the command line and the deck say so."""
    sc = load_scenario(ROOT / "scenarios" / "regulated-in-house.yaml")
    assert sc.optimise.exclude == ("qwen-fallback",)
    d = optimise(sc, PATHS, SEED)
    assert d.chosen.strategy.mix == {"llama-reserved": 1.0}
    assert [p.card for p in d.efficient] == [d.frontier[-1].card]
    assert d.frontier_note().startswith(f"One mix at every budget: {d.frontier[-1].card} has both")
    own = d.strategies["reserve-h200"]
    assert (d.efficient[0].exact.mean_usd, d.efficient[0].exact.cvar95_usd) == (
        own.mean_usd, own.cvar95_usd)


def test_a_strategy_with_the_chosen_shares_says_why_it_costs_otherwise() -> None:
    """The flagship's unconstrained optimum is all traffic on hosted Llama, the shares of its own
    hosted-then-own, which costs more: that strategy falls back to self-hosted Llama, then the
    frontier API, where the chosen mix (on api-only's terms, the optimiser's base) stops at
    self-hosted Llama. The note names both chains, the base and hosted-then-own's own expected NPV
    on the same paths; a strategy with the chosen shares, chain and terms gets no note."""
    sc = load_scenario(SCENARIO)
    d = optimise(sc, PATHS, SEED)
    assert d.chosen.strategy.mix == {"llama-hosted": 1.0} and d.chosen.strategy.chain == ("llama-70b",)
    notes = d.same_mix_notes()
    assert len(notes) == 1 and notes[0].startswith(
        f"hosted-then-own has the same shares and costs {usd(d.strategies['hosted-then-own'].mean_usd)}")
    assert ("falls back to Llama 3.3 70B Instruct (self-hosted open weights), then Claude Sonnet 4.6, "
            "where the chosen mix falls back to Llama 3.3 70B Instruct (self-hosted open weights)"
            ) in notes[0] and "from api-only" in notes[0]
    twin = sc.strategies["api-only"].model_copy(update={"mix": {"llama-hosted": 1.0},
                                                        "fallback": ("llama-70b",)})
    with_twin = with_changes(sc, {"strategies.twin": twin.model_dump(mode="json", exclude_defaults=True)})
    assert not any(n.startswith("twin") for n in optimise(with_twin, PATHS, SEED).same_mix_notes())
