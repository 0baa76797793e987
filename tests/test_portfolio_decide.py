"""The portfolio page's Decide section through AppTest: nothing runs until asked; then the
mixes, the costings and the frontier are what ``tco.optimise.portfolio`` computes on the same
text, paths and seed; a budget below the least reachable is one error line."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tco.format import usd
from tco.optimise.portfolio import loads_choices, optimise_portfolio
from tco.optimise.portfolio_commit import choose_tiers
from tco.ui.decide_tab import OWN_TEXT_CHARS
from tco.ui.portfolio_decide import RUN_LABEL
from tco.ui.portfolio_page import DECIDED_DECK_LABEL
from tco.ui.safe import escape_markdown
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
SHIPPED = ROOT / "scenarios" / "portfolio-enterprise.yaml"
PATHS, SEED = 1000, 7


def opened() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.selectbox(key="portfolio").select("portfolio-enterprise").run()
    at.select_slider(key="portfolio_paths").set_value(PATHS).run()
    assert not at.exception
    return at


def test_the_optimiser_runs_only_when_asked_and_shows_what_the_library_computes() -> None:
    at = opened()
    assert len(at.get("plotly_chart")) == 1  # the fan chart only: nothing optimised yet
    assert any(f"{PATHS:,} paths, seed {SEED}" in c.value for c in at.caption)
    next(b for b in at.button if b.label == RUN_LABEL).click().run()
    assert not at.exception and not at.error
    pf, choices = loads_choices(SHIPPED.read_text(encoding="utf-8"))
    d = optimise_portfolio(pf, PATHS, SEED, choices=choices, field="CVaR95 budget")
    mixes = next(t.value for t in at.dataframe if "Chosen mix" in t.value.columns)
    assert dict(zip(mixes["Workload"], mixes["Chosen mix"], strict=True)) == d.chosen.cards
    costs = next(t.value for t in at.dataframe if "Costed by" in t.value.columns)
    assert list(costs["Expected NPV ($)"]) == [usd(c.mean_usd) for c in (
        d.chosen.linear, d.chosen.exact, d.fresh, d.in_force, d.decided, d.in_force_fresh,
        d.decided_fresh)]
    assert list(costs["CVaR95 ($)"])[3] == usd(d.in_force.cvar95_usd)
    assert len(at.get("plotly_chart")) == 2
    # The shipped file's Anthropic contract: its tier chosen with the mixes in force.
    assert d.tiers == choose_tiers(d.reserved.portfolio, PATHS, SEED)
    assert d.reserved.portfolio.reserved_gpus == {"h200": d.reserved.gpus["h200"]}
    # The shipped H200 offer: the pooled reservation chosen with the mixes in force, in words.
    reserved = escape_markdown(d.reserved.sentences()[0], OWN_TEXT_CHARS)
    assert reserved.startswith("NVIDIA H200") and any(reserved in m.value for m in at.markdown)
    line = escape_markdown(d.tiers.sentences()[0], OWN_TEXT_CHARS)
    assert line.startswith("anthropic: ") and any(line in m.value for m in at.markdown)
    # Once decided, the page offers the deck with the decision's slides (the plain deck stays).
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Slide deck (.pptx)" in labels and DECIDED_DECK_LABEL in labels


def test_the_decided_deck_holds_the_decision_slides() -> None:
    """The page's decided deck is ``deck(result, decision)``: the plain deck's slides plus the
    two Decide slides (the decision, the frontier), read back with python-pptx."""
    from io import BytesIO

    from pptx import Presentation

    from tco.portfolio import loads_portfolio, simulate_portfolio
    from tco.portfolio.slides import deck

    text = SHIPPED.read_text(encoding="utf-8")
    pf, choices = loads_choices(text)
    d = optimise_portfolio(pf, PATHS, SEED, choices=choices, field="CVaR95 budget")
    result = simulate_portfolio(loads_portfolio(text), paths=PATHS, seed=SEED)
    plain = Presentation(BytesIO(deck(result))).slides
    decided = Presentation(BytesIO(deck(result, d))).slides
    assert len(decided) == len(plain) + 2


def test_a_portfolio_budget_below_the_least_is_one_error_line() -> None:
    at = opened()
    at.number_input(key="portfolio_decide_budget_musd").set_value(0.01).run()
    next(b for b in at.button if b.label == RUN_LABEL).click().run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith(escape_markdown(
        "CVaR95 budget: no mix meets $10.0k; the least reachable CVaR95 is $"))


def test_the_portfolio_page_reads_like_the_scenario_page() -> None:
    """One header form: the cost-per-workload and vendor tables say 'Expected NPV ($)'-style
    headers from the glossary, as Decide does (they said '(USD NPV)'), on the page and the deck;
    the fan chart reads in calendar months from the file's start (2027-01), not month numbers."""
    import io
    import json

    from pptx import Presentation

    from tco.portfolio import load_portfolio, simulate_portfolio
    from tco.portfolio.slides import deck

    at = opened()
    # Static tables (they wrap; a grid cut the last column off at 1280 px).
    workloads = next(t.value for t in at.table if "Workload" in t.value.columns)
    vendors = next(t.value for t in at.table if "Vendor" in t.value.columns)
    money = ["Alone, expected NPV ($)", "Usage basis, expected NPV ($)",
             "Allocation basis, expected NPV ($)"]
    assert list(workloads.columns) == ["Workload", "Strategy in force", *money]
    assert list(vendors.columns) == ["Vendor", "Expected spend, NPV ($)", "In the worst 5%, NPV ($)",
                                     "Share of CVaR95"]
    fan = json.loads(at.get("plotly_chart")[0].proto.spec)
    ticks = fan["layout"]["xaxis"]["ticktext"]
    assert ticks[:2] == ["Jan 2027", "Jul 2027"]
    result = simulate_portfolio(load_portfolio(str(SHIPPED)), paths=200, seed=1)
    cells = {cell.text for slide in Presentation(io.BytesIO(deck(result))).slides
             for shape in slide.shapes if shape.has_table for row in shape.table.rows for cell in row.cells}
    assert set(money) <= cells and "In the worst 5%, NPV ($)" in cells
    assert not [c for c in cells if "NPV USD" in c or "USD NPV" in c]
