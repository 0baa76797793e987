"""The after-tax view: closed forms for the tax shield of opex and of depreciation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tco.cli import main
from tco.format import usd
from tco.model import evaluate
from tco.simulate import simulate
from tco.tax import MACRS_5_SHARES, after_tax, schedule
from tco.units import discount_factors
from tests.conftest import HOSTED, PER_REQUEST_API, SCENARIOS, build, raw

ONE_API = raw()
ONE_API["options"].pop("backup")
ONE_API["strategies"] = {"api-only": {"mix": {"api": 1.0}}}


def _bought(horizon: int, rate: float) -> dict:
    data = raw()
    hosted = {k: v for k, v in HOSTED.items() if k != "usd_per_gpu_hour"}
    data["options"] = {"llm": {**hosted, "purchase": {"usd_per_gpu": 30_000, "years": 5}}}
    data["strategies"] = {"own": {"mix": {"llm": 1.0}}}
    data["horizon_months"], data["discount_rate_per_year"] = horizon, rate
    return data


def test_opex_only_is_shielded_at_the_tax_rate() -> None:
    """$72,000 of API tokens over 12 months, no discounting, 25% tax: $54,000 after tax."""
    result = simulate(build(ONE_API), paths=32, seed=1)
    row = after_tax(result, 0.25).table.iloc[0]
    assert row["mean_npv_usd"] == pytest.approx(12 * 1_000_000 * PER_REQUEST_API, rel=1e-12)
    assert row["mean_after_tax_npv_usd"] == pytest.approx(54_000, rel=1e-12)
    assert row["deterministic_after_tax_npv_usd"] == pytest.approx(54_000, rel=1e-12)


@pytest.mark.parametrize("depreciation", ["straight_line", "macrs_5"])
def test_undiscounted_the_shield_is_the_rate_times_the_net_cost(depreciation) -> None:
    """With r = 0 timing does not matter: over the horizon the deductions are the opex, the
    depreciation to date and less the gain (residual minus remaining basis), which add up to
    opex + purchases - residual, the total cost. So after tax = (1 - T) x before, whatever the
    schedule (24 months: straight-line deducts 40%, MACRS 52% and then taxes a 12% gain)."""
    result = simulate(build(_bought(24, 0.0)), paths=32, seed=1)
    row = after_tax(result, 0.3, depreciation).table.iloc[0]
    assert row["deterministic_after_tax_npv_usd"] == pytest.approx(0.7 * row["deterministic_npv_usd"],
                                                                   rel=1e-12)


def test_macrs_shields_more_than_straight_line_when_discounted() -> None:
    """At r = 10% a year over 24 months, a purchase C in month 0: MACRS deducts 20% in months
    0-11 and 32% in 12-23 (then the 12% gain above the 48% basis against the residual's 60% is
    taxed in month 23); straight-line 20% and 20%. The shields differ by
    T C [sum_t DF_t (m_t - s_t) - DF_23 x 0.12], DF_t = 1.1^-((t + 1) / 12)."""
    sc = build(_bought(24, 0.1))
    result = simulate(sc, paths=32, seed=1)
    det = evaluate(sc).monthly
    capex = det[det["line"] == "gpu_capex"]["usd"].to_numpy()
    assert capex[0] > 0 and not capex[1:].any()
    df = 1.1 ** -((np.arange(24) + 1) / 12)
    m = np.repeat([0.20 / 12, 0.32 / 12], 12)
    s = np.full(24, 0.2 / 12)
    expected = 0.25 * capex[0] * (df @ (m - s) - df[23] * 0.12)
    macrs = after_tax(result, 0.25, "macrs_5").table.iloc[0]
    straight = after_tax(result, 0.25, "straight_line").table.iloc[0]
    got = straight["deterministic_after_tax_npv_usd"] - macrs["deterministic_after_tax_npv_usd"]
    assert got == pytest.approx(expected, rel=1e-9)
    assert got > 0


def test_schedules_sum_to_the_price() -> None:
    assert schedule("macrs_5", 72, 5).sum() == pytest.approx(1.0)
    assert schedule("straight_line", 72, 5).sum() == pytest.approx(1.0)
    assert sum(MACRS_5_SHARES) == pytest.approx(1.0)


@pytest.mark.parametrize("path", SCENARIOS[:3], ids=[p.stem for p in SCENARIOS[:3]])
def test_before_tax_mean_from_the_lines_matches_the_summary(path) -> None:
    """The shield is computed from the expected lines; discounted, those lines give back the
    expected NPV of the summary (the discount rate is fixed in these files)."""
    from tco.load import load_scenario

    sc = load_scenario(path)
    result = simulate(sc, paths=500, seed=2)
    factors = discount_factors(sc.inputs.params["discount_rate_per_year"].nominal, sc.horizon_months)
    np.testing.assert_allclose(result.line_mean_usd.sum(axis=1) @ factors, result.summary()["mean"],
                               rtol=1e-9)


def test_run_tax_rate_prints_and_writes_json(capsys) -> None:
    assert main(["run", str(SCENARIOS[0]), "--paths", "200", "--tax-rate", "0.21", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["after_tax"]["tax_rate"] == 0.21 and data["units"]["mean_after_tax_npv_usd"]
    assert main(["run", str(SCENARIOS[0]), "--paths", "200", "--tax-rate", "1.5"]) == 2
    assert capsys.readouterr().err.startswith("error: --tax-rate: ")


def test_the_scenarios_tax_section_gives_the_after_tax_view(tmp_path, capsys) -> None:
    """A tax: section gives the same after-tax NPVs as --tax-rate with the same depreciation
    ($72,000 of API tokens at 25%: $54,000 after tax); the flag overrides the section."""
    from tco.load import dumps
    path = tmp_path / "taxed.yaml"
    path.write_text(dumps(build(ONE_API, tax={"rate": 0.25, "depreciation": "macrs_5"})))
    assert main(["run", str(path), "--paths", "64", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["after_tax"]
    assert (data["tax_rate"], data["depreciation"]) == (0.25, "macrs_5")
    row = data["strategies"]["api-only"]
    assert row["deterministic_after_tax_npv_usd"] == pytest.approx(54_000, rel=1e-12)
    assert main(["run", str(path), "--paths", "64", "--json", "--tax-rate", "0.1"]) == 0
    data = json.loads(capsys.readouterr().out)["after_tax"]
    assert (data["tax_rate"], data["depreciation"]) == (0.1, "straight_line")
    assert main(["run", str(path), "--paths", "64"]) == 0
    assert "NPV before and after tax at 25.0% (MACRS 5-year" in capsys.readouterr().out


def test_a_tax_rate_of_one_or_more_is_refused() -> None:
    from tests.conftest import message
    assert message(raw(ONE_API) | {"tax": {"rate": 1.0}}).startswith("tax.rate: ")


def _taxed_api(rate_per_year: float):
    data = raw(ONE_API)
    data["discount_rate_per_year"] = rate_per_year
    return build(data, tax={"rate": 0.25})


def test_the_shield_of_a_constant_discounted_opex_is_a_geometric_sum() -> None:
    """Tax shield, closed form: with a constant deductible cost c a month over H months at tax
    rate T and discount rate r, shield = T c sum_{t=0}^{H-1} v^(t+1) = T c v (1 - v^H) / (1 - v),
    v = (1 + r)^(-1/12). Here c = $6,000 (1M requests at $0.006), H = 12, r = 10%, T = 25%:
    v = 0.992089..., sum = 11.40049..., shield = 0.25 x 6,000 x 11.40049 = $17,100.73; after tax
    NPV = before - shield, and the page and the deck show exactly these."""
    import tco.tax as tax

    result = simulate(_taxed_api(0.10), paths=64, seed=3)
    taxed = tax.of_scenario(result)
    v = 1.1 ** (-1 / 12)
    shield = 0.25 * 6_000 * v * (1 - v**12) / (1 - v)
    row = taxed.table.iloc[0]
    assert row["mean_tax_shield_usd"] == pytest.approx(shield, rel=1e-12)
    assert row["mean_after_tax_npv_usd"] == pytest.approx(row["mean_npv_usd"] - shield, rel=1e-12)
    assert shield == pytest.approx(17_100.73, abs=0.01)
    shown = tax.shown(taxed).iloc[0]
    assert shown["Expected NPV after tax ($)"] == usd(row["mean_after_tax_npv_usd"])
    assert all(c == "Strategy" or c.endswith("($)") for c in tax.shown(taxed).columns)  # units shown
    assert tax.short(taxed) == f"Expected after tax at 25.0%: api-only {usd(row['mean_after_tax_npv_usd'])}"


def test_without_a_tax_section_there_is_no_after_tax_view() -> None:
    import tco.tax as tax

    assert tax.of_scenario(simulate(build(ONE_API), paths=32, seed=1)) is None


def test_the_deck_carries_the_after_tax_line() -> None:
    """One line on the NPV slide and one sentence in the comparison's note, no new slide."""
    import io

    from pptx import Presentation

    import tco.tax as tax
    from tco.deck import build_deck

    sc = _taxed_api(0.10)
    result = simulate(sc, paths=64, seed=3)
    taxed = tax.of_scenario(result)
    plain = Presentation(io.BytesIO(build_deck(build(ONE_API), simulate(build(ONE_API), paths=64,
                                                                          seed=3))))
    prs = Presentation(io.BytesIO(build_deck(sc, result)))
    assert len(prs.slides) == len(plain.slides)
    texts = [shape.text_frame.text for slide in prs.slides for shape in slide.shapes
             if shape.has_text_frame]
    assert any(tax.short(taxed) in text for text in texts)
    assert any(tax.sentence(taxed) in text for text in texts)


def test_the_overview_shows_npv_before_and_after_tax(tmp_path) -> None:
    """The page's Overview shows the view's table where the scenario has a tax: section."""
    from streamlit.testing.v1 import AppTest

    import tco.tax as tax
    from tco.load import dumps
    from tests.conftest import ROOT

    sc = _taxed_api(0.10)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["paths"] = "2000"
    at.run()
    at.file_uploader(key="upload").set_value(("taxed.yaml", dumps(sc).encode(),
                                              "application/x-yaml")).run()
    assert not at.exception and not at.error
    taxed = tax.of_scenario(simulate(sc, paths=2000, seed=int(at.session_state["seed"])))
    # A static table (it wraps; a grid clipped its last column at 1280 px), strategies as rows.
    frames = [t.value for t in at.table if "Expected NPV after tax ($)" in t.value.columns]
    assert len(frames) == 1
    assert frames[0].reset_index().to_dict("records") == tax.shown(taxed).to_dict("records")
