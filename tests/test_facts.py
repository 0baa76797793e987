"""Shared facts: one real-world event (a family's licence, a vendor's exit) is one draw per path.

Oracles: the draws themselves (identical months and sizes), the binomial closed form of how often
two independent event streams disagree, and the sampling error of a correlation coefficient.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import API_ONLY, ROOT, Z, build, raw

import tco.figures.data as figure_data
import tco.options as options
import tco.risks as risks
from tco.backtest import backtest
from tco.draws import draw_shocks, fact_unit, facts, inputs_from_uniforms, path_uniforms
from tco.errors import ScenarioError
from tco.load import json_schema, load_scenario, validate
from tco.sensitivity import global_ranking
from tco.simulate import simulate
from tco.stress import stress
from tco.yamlio import to_dict

REGULATED = ROOT / "scenarios" / "regulated-in-house.yaml"


def _shocks(sc, paths: int, seed: int = 7):
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, seed, paths, "random"))
    return draw_shocks(sc, x, seed, 0, paths)


def _regulated(**risk0):
    """regulated-in-house with its licence line (on three Llama options) changed by ``risk0``."""
    sc = load_scenario(REGULATED)
    data = to_dict(sc.scenario)
    data["risks"][0].update(risk0)
    return validate(data)


def test_risk_kinds_declare_their_unit():
    assert risks.kind("licence_change").fact_about == "family"
    assert risks.kind("exit").fact_about == "vendor"
    assert risks.kind("price_change").fact_about == "option"
    assert risks.kind("deprecation").fact_about == "option"


def test_options_know_vendor_and_family():
    sc = load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    found = {name: (options.of(o).vendor(o), options.of(o).family(o)) for name, o in sc.options.items()}
    assert found["llama-70b"] == (None, "meta/llama")  # self-hosted: no vendor sells it
    assert found["llama-hosted"][1] == "meta/llama"
    assert found["llama-hosted"][0] == sc.options["llama-hosted"].provider
    assert found["frontier-api"] == ("anthropic", None)


def test_shared_licence_line_fires_same_month_and_size_on_every_path():
    """Three Llama 3.3 options on one licence line: one family, so one event stream."""
    sc = load_scenario(REGULATED)
    assert {fact_unit(sc, 0, n) for n in sc.risks[0].on} == {"family:meta/llama"}
    shocks = _shocks(sc, 4096)
    owned, rented, reserved = (shocks.fired[(0, n)] for n in ("llama-owned", "llama-rented",
                                                               "llama-reserved"))
    assert owned.any() and (~owned).any()
    np.testing.assert_array_equal(owned, rented)
    np.testing.assert_array_equal(owned, reserved)
    np.testing.assert_array_equal(shocks.impact[(0, "llama-owned")], shocks.impact[(0, "llama-rented")])
    # The price line is about each option: rented and reserved reprice apart.
    assert not np.array_equal(shocks.fired[(1, "llama-rented")], shocks.fired[(1, "llama-reserved")])


def test_issue_disagreement_example_now_zero():
    """The issue's example: bought and rented Llama GPUs under one licence line.

    Drawn apart, the licence tightens within the horizon for one and not the other on a share
    2 h (1 - h) of paths, h = 1 - (1 - p)^(H/12) the chance one option's stream fires at all. At
    the probability the issue was measured with, p = 0.1 a year, over H = 60 months:
    h = 1 - 0.9^5 = 0.40951, so 2 h (1 - h) = 0.48359 (the issue quoted 45% of 20,000 paths).
    Standard error sqrt(d (1 - d) / n) = 0.00353 at n = 20,000; 4 of them fail once in 16,000
    runs. Drawn as one fact the share is exactly 0.
    """
    paths, h = 20_000, 1 - 0.9 ** 5
    expected = 2 * h * (1 - h)
    se = np.sqrt(expected * (1 - expected) / paths)
    apart = _shocks(_regulated(annual_probability=0.1, independent=True), paths)
    one = _shocks(_regulated(annual_probability=0.1), paths)

    def disagree(shocks) -> float:
        return float(np.mean(shocks.fired[(0, "llama-owned")].any(axis=1)
                             != shocks.fired[(0, "llama-rented")].any(axis=1)))

    assert abs(disagree(apart) - expected) < Z * se
    assert disagree(one) == 0.0


def test_independent_restores_uncorrelated_draws():
    """With ``independent: true`` the options' event counts per path are independent.

    Pearson's r of n independent pairs has standard error about 1 / sqrt(n) = 0.0099 at n =
    10,240; |r| < 4 SE fails once in 16,000 runs. Shared, r is exactly 1.
    """
    paths = 10_240
    apart = _shocks(_regulated(independent=True), paths)
    counts = [apart.fired[(0, n)].sum(axis=1) for n in ("llama-owned", "llama-rented")]
    assert abs(np.corrcoef(*counts)[0, 1]) < Z / np.sqrt(paths)
    shared = _shocks(_regulated(), paths)
    counts = [shared.fired[(0, n)].sum(axis=1) for n in ("llama-owned", "llama-rented")]
    assert np.corrcoef(*counts)[0, 1] == pytest.approx(1.0)


def test_first_option_keeps_its_draws():
    """The first option of a line draws as before: sharing copies it, it never redraws it."""
    apart = _shocks(_regulated(independent=True), 2048)
    shared = _shocks(_regulated(), 2048)
    np.testing.assert_array_equal(apart.fired[(0, "llama-owned")], shared.fired[(0, "llama-owned")])
    np.testing.assert_array_equal(apart.fired[(1, "llama-rented")], shared.fired[(1, "llama-rented")])


def test_vendor_exit_shared_by_two_models_of_one_provider():
    """Two models bought from one provider: one exit per path; a third vendor draws its own."""
    data = raw(API_ONLY)
    data["options"] = {
        "sonnet": {"kind": "api", "catalog": "anthropic/claude-sonnet-4-5"},
        "haiku": {"kind": "api", "catalog": "anthropic/claude-haiku-4-5"},
        "gpt": {"kind": "api", "catalog": "openai/gpt-4o"},
    }
    data["strategies"] = {"s": {"mix": {"sonnet": 0.5, "haiku": 0.5}, "fallback": "gpt"}}
    data["risks"] = [{"kind": "exit", "on": ["sonnet", "haiku", "gpt"], "annual_probability": 0.3}]
    sc = validate(data)
    shocks = _shocks(sc, 2048)
    np.testing.assert_array_equal(shocks.fired[(0, "sonnet")], shocks.fired[(0, "haiku")])
    assert not np.array_equal(shocks.fired[(0, "sonnet")], shocks.fired[(0, "gpt")])
    assert facts(sc) == {0: ["sonnet", "haiku"], 2: ["gpt"]}


def test_prices_given_in_file_have_no_vendor():
    """Without a catalog entry the file does not say who sells the model: each its own fact."""
    sc = build(risks=[{"kind": "exit", "on": ["api", "backup"], "annual_probability": 0.3}])
    assert facts(sc) == {0: ["api"], 1: ["backup"]}


def test_global_ranking_counts_a_shared_fact_once():
    sc = load_scenario(REGULATED)
    frame = global_ranking(simulate(sc, paths=1024, seed=3))
    licence = frame[frame["input"].str.startswith("events.licence_change.")]
    assert list(licence["input"].unique()) == ["events.licence_change.llama-owned"]
    assert set(licence["shared_with"]) == {"llama-rented, llama-reserved"}
    price = frame[frame["input"].str.startswith("events.price_change.")]
    assert price["input"].nunique() == 2
    spec = figure_data.ranking(frame, "rent-h200", top=len(frame), scenario=sc.scenario)
    shown = [label for label in spec.frame["x"] if "Licence change" in label]
    assert shown and all("one draw with llama-rented, llama-reserved" in label for label in shown)


def test_stress_on_one_option_reaches_its_family():
    """A forced licence change on the owned fleet is the family's: the rented fleet escalates too.

    Drawn per option (``independent``) the rented-GPU strategy would not move.
    """
    shared = stress(load_scenario(REGULATED), "licence_change", "llama-owned", 12).set_index("strategy")
    apart = stress(_regulated(independent=True), "licence_change", "llama-owned", 12).set_index("strategy")
    assert apart.loc["rent-h200", "impact_usd"] == 0.0
    assert shared.loc["rent-h200", "impact_usd"] > 0.0
    assert shared.loc["buy-h200", "impact_usd"] == apart.loc["buy-h200", "impact_usd"]


def test_backtest_replays_one_licence_turn_on_the_whole_family():
    """The ledger's Llama 4 licence turn (2025-04-05) is one row: replayed, it reaches the three
    Llama fleets in the same month, as the simulation beside it now draws it."""
    events = backtest(load_scenario(REGULATED), paths=512).events
    licence = events[(events["event"] == "Licence change") & events["option"].str.startswith("llama-")]
    assert len(licence) >= 3
    for _, rows in licence.groupby("detail"):
        assert set(rows["option"]) == {"llama-owned", "llama-rented", "llama-reserved"}
        assert rows["month"].nunique() == 1


def test_independent_is_a_documented_schema_field():
    schema = json.dumps(json_schema())
    assert '"independent"' in schema
    assert "Draw each option's events on its own" in schema
    with pytest.raises(ScenarioError, match="independent"):
        build(risks=[{"kind": "exit", "on": ["api"], "annual_probability": 0.1, "independent": "maybe"}])
