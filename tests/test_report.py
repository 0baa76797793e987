"""The words around the numbers: glossary labels in the assumptions table, risk phrases in the verdict."""

from __future__ import annotations

import datetime as dt

import tco
from tco import risks
from tco.format import usd
from tco.glossary import describe
from tco.report import assumptions, stale_days, verdict
from tests.conftest import build
from tests.test_figures import mixed


def test_assumptions_carry_a_label_and_keep_the_path() -> None:
    sc = mixed()
    frame = assumptions(sc)
    assert list(frame["input"]) == list(sc.inputs.params)
    assert list(frame["label"]) == [describe(p, sc).label for p in frame["input"]]
    assert frame.set_index("input").loc["options.hosted.missing_components.0.setup_usd", "label"] == (
        "hosted: guard model (missing component) setup")
    assert frame.set_index("input").loc["workload.requests_per_month", "nominal"] == 1_000_000


def test_verdict_names_the_scenarios_shocks_in_risk_phrases() -> None:
    result = tco.simulate(mixed(), paths=500, seed=4)
    text = verdict(result)
    phrases = f"{risks.phrase('price_change')} and {risks.phrase('exit')}"
    assert f"Vendor shocks ({phrases}) add" in text
    assert risks.phrase("licence_change") not in text
    table = result.summary()
    exposed = table["lock_in_premium"].idxmax()
    assert f"add {usd(table.loc[exposed, 'lock_in_premium'])} to {exposed}'s" in text


def test_verdict_without_risks_names_every_kind() -> None:
    text = verdict(tco.simulate(build(), paths=100, seed=1))
    assert all(risks.phrase(k) in text for k in ("price_change", "deprecation", "exit",
                                                 "licence_change"))


def test_stale_prices_are_flagged_and_nothing_else() -> None:
    story = tco.load_scenario("scenarios/open-model-goes-closed.yaml")
    params = story.inputs.params
    today = dt.date(2026, 8, 11)  # Claude Sonnet 4.6's prices were last checked on 2026-07-29
    assert stale_days(params["options.frontier-api.input_usd_per_mtok"], today) is None  # 13 days
    old = build(options__api__catalog="anthropic/claude-sonnet-4-6").inputs.params
    assert stale_days(old["options.api.batch_discount"], today) is None  # not a price in USD
    assert stale_days(params["options.frontier-api.input_usd_per_mtok"], dt.date(2027, 3, 1)) == 215
    assert stale_days(params["workload.requests_per_month"], dt.date(2030, 1, 1)) is None


def test_an_input_left_at_its_default_is_as_of_the_files_date_and_never_stale() -> None:
    """The flagship leaves peak-to-average traffic (1), user growth (0) and api-only's other-cost
    setup ($0) at the model's defaults: each is dated as the file is (its ``as_of``, 2026-12-05),
    like the values it sets, so every row of the assumptions table has a date; a $0 default is no
    observed price, so it is never flagged as stale, even years on, while the file's own price is
    (215 days after 2026-07-29 on 2027-03-01). A file without ``as_of`` dates neither."""
    from tco.options.table import DEFAULT_SOURCE

    story = tco.load_scenario("scenarios/open-model-goes-closed.yaml")
    params = story.inputs.params
    frame = assumptions(story)
    defaults = frame[frame["source"] == DEFAULT_SOURCE]
    assert {"workload.peak_to_average", "workload.mau_growth_per_month",
            "strategies.api-only.other_costs.0.setup_usd"} <= set(defaults["input"])
    assert set(defaults["as_of"]) == {"2026-12-05"} and (frame["as_of"] != "").all()
    setup = params["strategies.api-only.other_costs.0.setup_usd"]
    assert describe(setup.path, story).unit == "$" and stale_days(setup, dt.date(2030, 1, 1)) is None
    assert stale_days(params["options.frontier-api.input_usd_per_mtok"], dt.date(2027, 3, 1)) == 215
    undated = assumptions(build())
    assert (undated.loc[undated["source"] == DEFAULT_SOURCE, "as_of"] == "").all()
