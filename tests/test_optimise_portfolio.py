"""The optimiser on a portfolio: per-workload shares under one budget for the portfolio, each
workload among its own strategies' options, every answer simulated as a whole portfolio."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from tco.cli import main
from tco.errors import ScenarioError
from tco.optimise import lp, p95
from tco.optimise.portfolio import load_choices, optimise_portfolio, with_mixes
from tco.portfolio import simulate_portfolio
from tests.conftest import ROOT

PORTFOLIO = ROOT / "scenarios" / "portfolio-enterprise.yaml"
PATHS, SEED = 100, 7
GROUPS = np.array([0, 0, 1, 1])
"""Columns: workload A's API and self-hosting, then workload B's."""
FREE = (np.zeros(4), np.ones(4))


def two_workloads() -> np.ndarray:
    """(4 paths, 4 columns): A's API [8, 8, 8, 24] and self-hosting 14 flat (the issue's four
    paths); B's API [2, 2, 2, 8] and self-hosting 5 flat."""
    return np.array([[8, 14, 2, 5], [8, 14, 2, 5], [8, 14, 2, 5], [24, 14, 8, 5]], dtype=float)


@pytest.mark.parametrize(("budget", "a", "b", "mean"), [
    (20.0, 0.0, 1 / 3, 18.5), (22.0, 0.0, 1.0, 17.5), (27.0, 0.5, 1.0, 16.5), (32.0, 1.0, 1.0, 15.5),
    (40.0, 1.0, 1.0, 15.5)])
def test_two_workloads_share_one_cvar_budget(budget: float, a: float, b: float, mean: float) -> None:
    """With API shares a (workload A) and b (B), the portfolio costs (14 - 6a) + (5 - 3b) on the
    three calm paths and (14 + 10a) + (5 + 3b) on the bad one. With beta 0.75 the tail is the
    bad path: CVaR = 19 + 10a + 3b; the mean is (14 - 2a) + (5 - 1.5b) = 19 - 2a - 1.5b.

    Per dollar of CVaR, B's API saves 1.5 / 3 = 0.5 of mean and A's 2 / 10 = 0.2, so the budget
    goes to B first: B = 20 gives b = 1/3 (mean 18.5); 22 gives b = 1 (17.5); 27 then a = 0.5
    (16.5); 32 or more a = b = 1 (15.5). Each workload's shares sum to 1 on their own.
    """
    best = lp.cheapest(two_workloads(), *FREE, cvar_budget_usd=budget, tail_share=0.25,
                       groups=GROUPS)
    np.testing.assert_allclose(best.weights, [a, 1 - a, b, 1 - b], atol=1e-9)
    assert best.mean_usd == pytest.approx(mean, abs=1e-9)
    assert best.cvar_usd == pytest.approx(19 + 10 * a + 3 * b, abs=1e-9)


def test_a_portfolio_budget_below_the_least_names_it() -> None:
    """All self-hosting in both workloads is the least CVaR (and P95): 14 + 5 = 19 on every path."""
    with pytest.raises(lp.BudgetError, match=r"no mix meets \$18; the least reachable CVaR95 is "
                       r"\$19$") as caught:
        lp.cheapest(two_workloads(), *FREE, cvar_budget_usd=18.0, tail_share=0.25, groups=GROUPS)
    np.testing.assert_allclose(caught.value.least.weights, [0, 1, 0, 1], atol=1e-9)
    with pytest.raises(lp.BudgetError, match=r"no mix meets \$18; the least reachable P95 is \$19$"):
        p95.cheapest_under_p95(two_workloads(), *FREE, 18.0, groups=GROUPS)


def test_the_least_p95_lets_the_allowed_paths_past() -> None:
    """21 paths: API costs 8 on 19 paths, 24 and 100 on the last two; self-hosting 14 flat. With
    API share w the sorted costs end 14 + 10w, 14 + 86w; np.percentile's P95 of 21 values is
    the 20th (position 0.95 x 20 = 19 exactly), 14 + 10w. The least is 14 at w = 0; a budget of
    19 allows w = 0.5, mean (19 (14 - 6w) + 28 + 96w) / 21 = 14 - 18w / 21 = 13.571."""
    api = np.array([8.0] * 19 + [24.0, 100.0])
    costs = np.column_stack([api, np.full(21, 14.0)])
    least = p95.least_p95(costs, np.zeros(2), np.ones(2))
    assert least.p95_usd == pytest.approx(14.0) and least.weights[0] == pytest.approx(0.0, abs=1e-9)
    best = p95.cheapest_under_p95(costs, np.zeros(2), np.ones(2), 19.0)
    assert best.weights[0] == pytest.approx(0.5, abs=1e-7)
    assert best.mean_usd == pytest.approx(14 - 18 * 0.5 / 21, abs=1e-6)
    assert best.p95_usd == pytest.approx(19.0, abs=1e-6)
    with pytest.raises(lp.BudgetError, match=r"^--p95-budget: no mix meets \$13; the least "
                       r"reachable P95 is \$14$"):
        p95.cheapest_under_p95(costs, np.zeros(2), np.ones(2), 13.0)


@pytest.fixture(scope="module")
def shipped():
    pf, choices = load_choices(str(PORTFOLIO))
    return pf, choices, optimise_portfolio(pf, PATHS, SEED, choices=choices)


def test_each_workload_chooses_among_its_own_strategies_options(shipped) -> None:
    """The file's strategies name llama and sonnet for the support bot, sonnet alone for the code
    assistant, llama alone for summarisation and haiku and llama for search."""
    _, choices, decision = shipped
    assert choices == {"support-bot": ["sonnet", "llama"], "code-assistant": ["sonnet"],
                       "batch-summarisation": ["llama"], "rag-search": ["haiku", "llama"]}
    for point in [decision.chosen, *decision.frontier]:
        for w, strategy in point.mixes.items():
            assert set(strategy.mix) <= set(choices[w])
            assert sum(strategy.mix.values()) == pytest.approx(1.0)
    assert dict(decision.chosen.mixes["code-assistant"].mix) == {"sonnet": 1.0}


def test_the_chosen_mixes_are_simulated_as_a_portfolio(shipped) -> None:
    """The exact figures are the portfolio's own summary() with the chosen mixes in force (pooling
    and commitments included), on the same seed and the next; the frontier has 15 points."""
    pf, _, decision = shipped
    same = simulate_portfolio(with_mixes(pf, decision.chosen.mixes), PATHS, SEED).summary()
    fresh = simulate_portfolio(with_mixes(pf, decision.chosen.mixes), PATHS, SEED + 1).summary()
    assert decision.chosen.exact.mean_usd == same["mean"]
    assert decision.chosen.exact.cvar95_usd == same["cvar95"]
    assert decision.fresh.cvar95_usd == fresh["cvar95"]
    assert decision.in_force.mean_usd == simulate_portfolio(pf, PATHS, SEED).summary()["mean"]
    assert len(decision.frontier) == 15
    cvars = [p.linear.cvar95_usd for p in decision.frontier]
    assert all(b >= a - 1e-6 * abs(a) for a, b in itertools.pairwise(cvars))


def test_cli_optimises_a_portfolio(capsys) -> None:
    assert main(["optimise", str(PORTFOLIO), "--paths", str(PATHS), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["chosen"]["workloads"]) == {"support-bot", "code-assistant",
                                                "batch-summarisation", "rag-search"}
    assert len(data["frontier"]) == 15 and data["fresh_seed"] == SEED + 1
    reserved = data["reserved_gpus"]
    assert reserved["filed"] == {"h200": 0} and reserved["gpus"]["h200"] >= 0
    assert str(reserved["gpus"]["h200"]) in reserved["costed"]["h200"]
    assert set(data["decided_out_of_sample"]) == {"mean", "cvar95", "p95"}
    assert data["commitment_tiers"]["tiers"]["anthropic"] in (0, 1, 2)


@pytest.mark.parametrize(("args", "message"), [
    (["--p95-budget", "1000"], "--p95-budget: no mix meets $1.00k; the least reachable P95 is $"),
    (["--cvar-budget", "1000"], "--cvar-budget: no mix meets $1.00k; the least reachable CVaR95 is $"),
    (["--save-strategy", "x", "-o", "out.yaml"], "--save-strategy: saves into a scenario file"),
])
def test_cli_portfolio_bad_input_is_one_line_and_exit_2(args, message, capfd, tmp_path,
                                                       monkeypatch) -> None:
    """Read at the file descriptors (``capfd``), so a line the solver's C++ writes straight to
    the process's stderr counts too: stderr holds the refusal and nothing else."""
    monkeypatch.chdir(tmp_path)
    assert main(["optimise", str(PORTFOLIO), "--paths", str(PATHS), *args]) == 2
    out, err = capfd.readouterr()
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert message in err and not out


def test_portfolio_refusal_names_each_workloads_least_mix() -> None:
    pf, choices = load_choices(str(PORTFOLIO))
    with pytest.raises(ScenarioError, match=r"the least reachable P95 is \$[0-9.]+M \(mix "
                       r"support-bot: .*; code-assistant: 100% Claude Sonnet 4.6"):
        optimise_portfolio(pf, PATHS, SEED, p95_budget_usd=1000.0, choices=choices)


def _bounds(a_api_max: float, b_api_min: float) -> tuple[np.ndarray, np.ndarray]:
    """Share bounds of ``two_workloads``' columns: A's API at most ``a_api_max``, B's API at
    least ``b_api_min``; self-hosting free."""
    return np.array([0.0, 0.0, b_api_min, 0.0]), np.array([a_api_max, 1.0, 1.0, 1.0])


@pytest.mark.parametrize(("budget", "a", "b", "mean"), [
    (None, 0.25, 1.0, 17.0), (24.5, 0.25, 1.0, 17.0), (21.0, 0.0, 2 / 3, 18.0),
    (22.0, 0.0, 1.0, 17.5), (23.0, 0.1, 1.0, 17.3)])
def test_per_workload_bounds_under_one_budget(budget, a: float, b: float, mean: float) -> None:
    """``two_workloads`` with A's API share a <= 0.25 and B's b >= 0.5 (each workload's own
    bounds). Mean 19 - 2a - 1.5b, CVaR (the bad path) 19 + 10a + 3b, as above.

    No budget: both API shares as high as allowed, a = 0.25, b = 1: mean 19 - 0.5 - 1.5 = 17.0,
    CVaR 19 + 2.5 + 3 = 24.5 (a budget of 24.5 changes nothing). Budget 21: 10a + 3b <= 2 with
    b >= 0.5; B saves more mean per dollar of CVaR (0.5 against 0.2), so a = 0, b = 2/3: mean
    18.0. Budget 22: b = 1, a = 0 (17.5). Budget 23: b = 1, then 10a <= 1, a = 0.1: 17.3.
    """
    best = lp.cheapest(two_workloads(), *_bounds(0.25, 0.5), cvar_budget_usd=budget,
                       tail_share=0.25, groups=GROUPS)
    np.testing.assert_allclose(best.weights, [a, 1 - a, b, 1 - b], atol=1e-9)
    assert best.mean_usd == pytest.approx(mean, abs=1e-9)


def test_a_budget_below_what_the_bounds_allow_names_the_least() -> None:
    """B must keep half its traffic on its API, so the least CVaR any allowed mix reaches is
    19 + 3 x 0.5 = 20.5 (a = 0, b = 0.5): a budget of 20 is refused with it and that mix."""
    with pytest.raises(lp.BudgetError, match=r"the least reachable CVaR95 is \$20$") as caught:
        lp.cheapest(two_workloads(), *_bounds(0.25, 0.5), cvar_budget_usd=20.0, tail_share=0.25,
                    groups=GROUPS)
    assert caught.value.least_usd == pytest.approx(20.5)
    np.testing.assert_allclose(caught.value.least.weights, [0, 1, 0.5, 0.5], atol=1e-9)


PORTFOLIO_TEXT = PORTFOLIO.read_text()


def _with_bounds(section: str, workload: str = "support-bot", strategy: str = "hybrid") -> str:
    """The shipped portfolio text with ``optimise: section`` on one workload."""
    line = f"    strategy: {strategy}\n"
    assert line in PORTFOLIO_TEXT
    return PORTFOLIO_TEXT.replace(line, f"{line}    optimise: {section}\n", 1)


def test_a_workloads_bounds_come_from_its_optimise_section() -> None:
    """The support bot's strategies name llama and sonnet; a max_share on haiku offers it too (up
    to 20%); the other workloads keep their own options, free."""
    from tco.optimise.portfolio import loads_choices, problems

    pf, choices = loads_choices(_with_bounds(
        "{max_share: {llama: 0.6, haiku: 0.2}, min_share: {sonnet: 0.1}, fallback: [haiku]}"))
    probs = problems(pf, choices)
    bot = probs["support-bot"]
    assert bot.options == ["sonnet", "haiku", "llama"]
    np.testing.assert_array_equal(bot.lower, [0.1, 0.0, 0.0])
    np.testing.assert_array_equal(bot.upper, [1.0, 0.2, 0.6])
    assert bot.chains == [("haiku",)]
    assert probs["rag-search"].options == ["haiku", "llama"]
    np.testing.assert_array_equal(probs["rag-search"].upper, [1.0, 1.0])


def test_the_optimiser_keeps_each_workloads_bounds() -> None:
    """Held on the exact answer: the bot's llama share at most 0.6, its sonnet at least 0.1; the
    search's rag-search keeps haiku at least 0.3."""
    from tco.optimise.portfolio import loads_choices

    text = _with_bounds("{max_share: {llama: 0.6}, min_share: {sonnet: 0.1}}")
    text = text.replace("    strategy: haiku-llama\n",
                        "    strategy: haiku-llama\n    optimise: {min_share: {haiku: 0.3}}\n")
    pf, choices = loads_choices(text)
    decision = optimise_portfolio(pf, PATHS, SEED, choices=choices, budgets=3)
    for point in [decision.chosen, *decision.frontier]:
        bot, rag = point.mixes["support-bot"].mix, point.mixes["rag-search"].mix
        assert bot.get("llama", 0.0) <= 0.6 + 1e-9 and bot.get("sonnet", 0.0) >= 0.1 - 1e-9
        assert rag.get("haiku", 0.0) >= 0.3 - 1e-9


@pytest.mark.parametrize(("section", "message"), [
    ("{min_share: {sonnet: 0.7, llama: 0.5}}",
     "workloads.support-bot.optimise.min_share: the minimum shares sum to 1.2, more than 1 "
     "(sonnet 0.7, llama 0.5)"),
    ("{max_share: {llama: 0.3, sonnet: 0.3}}",
     "workloads.support-bot.optimise.max_share: the options left allowed (sonnet, llama) can "
     "carry at most 0.6 of the traffic, less than 1"),
    ("{exclude: [sonnet, llama]}",
     "workloads.support-bot.optimise.exclude: excludes every option this workload's strategies "
     "use (llama, sonnet)"),
    ("{exclude: [llama], min_share: {llama: 0.2}}",
     "workloads.support-bot.optimise.min_share.llama: is 0.2, but the option is excluded"),
    ("{min_share: {gemini: 0.2}}",
     "workloads.support-bot.optimise.min_share: 'gemini' is not a defined option"),
    ("{max_gpus: {h200: 4}}",
     "workloads.support-bot.optimise.max_gpus: is not set per workload of a portfolio"),
    ("{strategy: api-only}",
     "workloads.support-bot.optimise.strategy: is not set per workload of a portfolio"),
])
def test_infeasible_workload_bounds_are_one_line_exit_2(section, message, tmp_path, capsys) -> None:
    path = tmp_path / "bounded.yaml"
    path.write_text(_with_bounds(section))
    assert main(["optimise", str(path), "--paths", "20"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_the_portfolio_deck_refuses_bounds_no_mix_meets(tmp_path, capsys) -> None:
    """The deck runs the optimiser for its Decide slides: bounds it cannot meet are refused as
    `optimise` refuses them (one line, exit 2, no file), not turned into a deck without slides."""
    path, out = tmp_path / "bounded.yaml", tmp_path / "deck.pptx"
    path.write_text(_with_bounds("{min_share: {sonnet: 0.7, llama: 0.5}}"))
    assert main(["portfolio", "deck", str(path), "-o", str(out), "--paths", "20"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: workloads.support-bot.optimise.min_share: the minimum shares sum "
                          "to 1.2") and "\n" not in err
    assert not out.exists()


def test_the_portfolio_deck_has_the_decision_and_its_frontier(shipped) -> None:
    """``tco portfolio deck``'s Decide slides: each workload's chosen mix in words, the reserved
    GPUs and the tier per vendor against the file's, and the portfolio as filed against as
    decided on the same and on new futures, money as '$5.27M'; then the frontier chart. Nothing
    runs off the slide and no cell is an identifier."""
    import io

    from pptx import Presentation

    from tco.format import usd
    from tco.portfolio.slides import DECIDE_TITLE, contract_lines, deck

    pf, _, decision = shipped
    result = simulate_portfolio(pf, PATHS, SEED)
    prs = Presentation(io.BytesIO(deck(result, decision)))
    assert len(prs.slides) == 9  # main part: title, NPV, workloads, vendors, decision; backup: 4
    page = prs.slides[4]
    assert page.shapes.title.text == DECIDE_TITLE
    cells = [cell.text for shape in page.shapes if shape.has_table
             for row in shape.table.rows for cell in row.cells]
    for w, text in decision.chosen.cards.items():
        assert w in cells and text in cells
    fresh = decision.decided_fresh
    row = cells.index(f"As decided, {PATHS} new futures")
    assert cells[row + 1:row + 4] == [usd(fresh.mean_usd), usd(fresh.cvar95_usd), usd(fresh.p95_usd)]
    assert decision.decided == decision.tiers.costed["anthropic"][decision.tiers.tiers["anthropic"]]
    assert not [c for c in cells if "_" in c]
    # One money format: the amounts read '$5.27M', so the headers say '($)' as every table does.
    assert cells[cells.index("Simulated as a portfolio"):][:4] == [
        "Simulated as a portfolio", "Expected NPV ($)", "CVaR95 ($)", "P95 NPV ($)"]
    words = " ".join(p.text for shape in page.shapes if shape.has_text_frame
                     for p in shape.text_frame.paragraphs)
    lines = contract_lines(decision)
    assert lines == decision.reserved.sentences() + decision.tiers.sentences()
    count = decision.reserved.gpus["h200"]
    assert lines[0].startswith(f"NVIDIA H200 SXM 141GB: reserve {count:,} (0 as filed) on the offer "
                               "at $2.60 a GPU-hour for 36 months; expected NPV ")
    assert lines[1].startswith("anthropic: ") and "at the file's tier 1." in lines[1]
    assert all(line in words for line in lines)
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.top + shape.height <= prs.slide_height, slide.shapes.title.text
            assert shape.left + shape.width <= prs.slide_width
    assert [s.has_chart for s in prs.slides[7].shapes].count(True) == 1  # the frontier, in the backup


def test_the_page_costs_the_decision_in_the_slide_rows(shipped) -> None:
    """The page's Decide table is the chosen mix costed three ways, then the slide's rows
    (``figure_rows``, from ``PortfolioDecision.simulated``) word for word and dollar for dollar:
    the page used to build its own rows and left out 'as decided, on the futures searched'."""
    from tco.portfolio.slides import figure_rows
    from tco.ui.portfolio_decide import costed_table

    _, _, decision = shipped
    table = costed_table(decision)
    slide_rows = figure_rows(decision)[1:]
    assert len(table) == 3 + len(slide_rows) and len(slide_rows) == 4
    assert table.iloc[3:].values.tolist() == slide_rows
    assert f"As decided, the {PATHS} futures searched" in table.iloc[:, 0].tolist()
