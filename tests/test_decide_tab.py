"""The Decide tab and the Sensitivity tab's value of information through AppTest: what the page
shows is what the library computes on the same inputs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from streamlit.testing.v1 import AppTest

import tco
from tco.format import usd
from tco.optimise.decide import optimise
from tco.optimise.information import value_of_information
from tco.ui.decide_tab import OWN_TEXT_CHARS, RUN_LABEL
from tco.ui.safe import escape_markdown
from tests.conftest import ROOT, story_warnings

APP = str(ROOT / "app.py")
SCENARIO = ROOT / "scenarios" / "open-model-goes-closed.yaml"
PATHS, SEED = 1000, 7


def visited(tab: str, scenario: str = SCENARIO.stem) -> AppTest:
    """The page at ``scenario``, ``PATHS`` and ``SEED``, with ``tab`` open."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["scenario"] = scenario
    at.query_params["paths"] = str(PATHS)
    at.query_params["seed"] = str(SEED)
    at.run()
    at.session_state["view"] = tab
    return at.run()


def opened(tab: str, scenario: str = SCENARIO.stem) -> AppTest:
    """``visited``, with the Decide tab's search asked for (other tabs compute on their own)."""
    at = visited(tab, scenario)
    if tab == "Decide":
        at.button(key="decide_run").click()
        at.run()
    return at


def test_decide_opens_on_its_budget_and_a_button_then_keeps_the_answer() -> None:
    """The first visit searches nothing (it cost 4.4 s of CPU at 10,000 paths): the budget, a
    button and a sentence saying what it runs. Once asked, the answer stays while the inputs and
    the budget do (across tabs), and another session with the same inputs sees it at once; a new
    budget asks again."""
    at = visited("Decide", "startup-api-cheaper")
    assert not at.exception and not at.error
    assert not at.get("plotly_chart") and not at.dataframe
    assert at.button(key="decide_run").label == RUN_LABEL
    assert any(c.value.startswith(f"The search costs each option alone on the {PATHS:,} simulated "
                                  "futures") for c in at.caption)
    assert not any("optimise:" in c.value for c in at.caption)  # the file's key is not a word
    at.button(key="decide_run").click()
    at.run()
    assert len(at.get("plotly_chart")) == 1 and at.dataframe
    at.session_state["view"] = "Overview"
    at.run()
    at.session_state["view"] = "Decide"
    at.run()
    assert len(at.get("plotly_chart")) == 1, "the answer stays while nothing changed"
    again = visited("Decide", "startup-api-cheaper")
    assert len(again.get("plotly_chart")) == 1, "kept for every session"
    at.number_input(key="decide_budget_musd").set_value(50.0).run()
    assert not at.get("plotly_chart"), "a new budget waits for the button"


def test_decide_shows_the_frontier_the_card_and_both_seeds() -> None:
    at = opened("Decide")
    assert not at.exception and not at.error
    d = optimise(tco.load_scenario(SCENARIO), PATHS, SEED)
    assert any(d.chosen.card in m.value for m in at.markdown)
    figures = at.dataframe[0].value
    assert list(figures["Expected NPV ($)"]) == [usd(d.chosen.linear.mean_usd),
                                                 usd(d.chosen.exact.mean_usd), usd(d.fresh.mean_usd)]
    assert len(at.get("plotly_chart")) == 1
    names = {b.label for b in at.get("download_button")}
    assert "Download the scenario with this strategy (YAML)" in names


def test_a_budget_below_the_least_cvar_is_one_error_line() -> None:
    at = visited("Decide")
    at.number_input(key="decide_budget_musd").set_value(0.01).run()
    at.button(key="decide_run").click()
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith(escape_markdown(
        "CVaR95 budget: no mix meets $10.0k; the least reachable CVaR95 is $"))


def test_a_p95_budget_below_the_least_p95_is_one_error_line_with_it() -> None:
    """The page's P95 budget: the refusal names the least reachable P95, as the library finds it."""
    at = visited("Decide")
    at.radio(key="decide_budget_measure").set_value("P95").run()
    at.number_input(key="decide_budget_musd").set_value(0.01).run()
    at.button(key="decide_run").click()
    at.run()
    assert not at.exception
    try:
        optimise(tco.load_scenario(SCENARIO), PATHS, SEED, p95_budget_usd=1e4, field="P95 budget")
    except tco.ScenarioError as exc:
        expected = str(exc)
    assert len(at.error) == 1 and at.error[0].value == escape_markdown(expected, OWN_TEXT_CHARS)
    assert expected.startswith("P95 budget: no mix meets $10.0k; the least reachable P95 is $")
    assert "(mix " in expected


def test_a_flat_frontier_says_why_in_full() -> None:
    """regulated-in-house: one mix at every budget, and the whole reason is on the page."""
    at = opened("Decide", "regulated-in-house")
    assert not at.exception and not at.error
    d = optimise(tco.load_scenario(ROOT / "scenarios" / "regulated-in-house.yaml"), PATHS, SEED)
    note = d.frontier_note()
    assert note is not None and len(note) > 200
    assert any(c.value == escape_markdown(note, OWN_TEXT_CHARS) for c in at.caption)
    assert "…" not in escape_markdown(note, OWN_TEXT_CHARS)


def test_the_figures_are_in_a_cfos_words() -> None:
    """The three costings carry the glossary's labels, with the number of futures."""
    at = opened("Decide")
    rows = list(at.dataframe[0].value["Costed by"])
    assert rows == ["Estimate used for the search", f"Recosted on the same {PATHS:,} futures",
                    f"Recosted on {PATHS:,} new futures"]
    assert not any("kernel" in r or "solver" in r.lower() for r in rows)


def test_sensitivity_shows_evppi_as_the_library_computes_it() -> None:
    at = opened("Sensitivity")
    assert not at.exception and not at.error
    info = value_of_information(tco.simulate(tco.load_scenario(SCENARIO), PATHS, SEED))
    table = next(d.value for d in at.dataframe if "EVPPI ($)" in d.value.columns)
    assert list(table["EVPPI ($)"]) == [usd(v) for v in info.table["evppi_usd"]]


def test_the_saved_mix_has_a_link_that_reopens_the_scenario_with_it() -> None:
    """The Decide tab's link, opened afresh, adds the chosen mix as a strategy of the scenario
    (shares exactly, the fallback, the optimiser's reserved GPUs and commitment levels as inputs),
    with no warning; every tab then compares it with the scenario's own strategies."""
    at = opened("Decide")
    link = next(c.value for c in at.code if "strategy=" in c.value)
    params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    d = optimise(tco.load_scenario(SCENARIO), PATHS, SEED)
    again = AppTest.from_file(APP, default_timeout=300)
    for key, value in params.items():
        again.query_params[key] = value
    again.run()
    own = story_warnings(SCENARIO.stem)  # the story's own stale-price line
    assert not again.exception and not again.error and [w.value for w in again.warning] == own
    added = again.session_state["link_strategy"]
    assert (added.name, added.mix, added.fallback) == (
        "optimised", dict(d.chosen.strategy.mix), d.chosen.strategy.chain)
    assert "optimised" in again.session_state["base_scenario"].strategies
    assert again.query_params["strategy"] == params["strategy"]  # kept in the address bar


def test_a_bad_strategy_in_a_link_is_one_warning_line() -> None:
    """An option the scenario lacks: one line naming the parameter and the scenario's rule; the
    page keeps the scenario's own strategies."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["scenario"] = SCENARIO.stem
    at.query_params["strategy"] = "optimised:nope=1"
    at.run()
    assert not at.exception and not at.error
    lines = [w.value for w in at.warning if "strategy=" in w.value]
    assert len(lines) == 1 and lines[0].startswith("Ignored link parameter strategy=")
    assert "nope: is not a defined option" in lines[0]
    assert "link_strategy" not in at.session_state
