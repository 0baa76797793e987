"""The Decide tab and the Sensitivity tab's value of information through AppTest: what the page
shows is what the library computes on the same inputs."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

import tco
from tco.format import usd
from tco.optimise.decide import optimise
from tco.optimise.information import value_of_information
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
SCENARIO = ROOT / "scenarios" / "open-model-goes-closed.yaml"
PATHS, SEED = 1000, 7


def opened(tab: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["scenario"] = SCENARIO.stem
    at.query_params["paths"] = str(PATHS)
    at.query_params["seed"] = str(SEED)
    at.run()
    at.session_state["view"] = tab
    return at.run()


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
    at = opened("Decide")
    at.number_input(key="decide_budget_musd").set_value(0.01).run()
    assert not at.exception
    assert len(at.error) == 1 and "below the least CVaR95 any allowed mix reaches" in at.error[0].value


def test_sensitivity_shows_evppi_as_the_library_computes_it() -> None:
    at = opened("Sensitivity")
    assert not at.exception and not at.error
    info = value_of_information(tco.simulate(tco.load_scenario(SCENARIO), PATHS, SEED))
    table = next(d.value for d in at.dataframe if "EVPPI ($)" in d.value.columns)
    assert list(table["EVPPI ($)"]) == [usd(v) for v in info.table["evppi_usd"]]
