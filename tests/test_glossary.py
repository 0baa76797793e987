"""Every input and output column has one human label, unit and help text, and nothing else passes."""

from __future__ import annotations

import re

import pytest

import tco
from tco import glossary
from tco.glossary import UnknownPath, describe
from tests.conftest import SCENARIOS, build

DOTTED = re.compile(r"[A-Za-z_-]+\.[A-Za-z_-]+")
IDENTIFIER = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
STORY = next(p for p in SCENARIOS if p.stem == "open-model-goes-closed")


def _readable(text: str) -> bool:
    return not DOTTED.search(text) and not IDENTIFIER.search(text)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_input_of_every_shipped_scenario_has_a_label(path) -> None:
    sc = tco.load_scenario(path)
    params = sc.inputs.params
    assert params
    for name in params:
        label = describe(name, sc)
        assert label.path == name
        assert label.label and _readable(label.label), (name, label.label)
        assert label.unit and label.help.endswith("."), name
        assert _readable(label.help), (name, label.help)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_output_column_has_a_label(path) -> None:
    result = tco.simulate(tco.load_scenario(path), paths=64, seed=1)
    columns = [*result.summary().columns, *result.monthly_percentiles().columns,
               *result.paths_frame().columns]
    for column in columns:
        label = describe(column, result.scenario)
        assert label.label and _readable(label.label), (column, label.label)


def test_labels_name_their_subject() -> None:
    sc = tco.load_scenario(STORY)
    assert describe("options.frontier-api.output_usd_per_mtok", sc).text == (
        "frontier-api: output price ($ per 1M tokens)")
    assert describe("risks.3.escalation_cap", sc).label == (
        "Licence change on llama-70b, llama-hosted: escalation cap")
    assert describe("strategies.hybrid.portability", sc).label == "Strategy hybrid: portability"
    assert describe("options.llama-70b.missing_components.0.setup_usd", sc).label == (
        "llama-70b: safety classifier (missing component) setup")
    assert describe("options.llama-70b.usd_per_gpu_hour", sc).label == "llama-70b: GPU rent"
    assert describe("workload.growth_per_month").label == "Traffic growth"
    assert describe("input.switching.engineer_weeks").label == "Switching: engineer-weeks per migration"
    assert describe("events.licence_change.llama-70b").text == (
        "Licence change on llama-70b: events drawn (events per path)")
    assert describe("events_licence_change.hybrid").text == (
        "Strategy hybrid: Licence change events fired (events per path)")


def test_summary_columns_read_as_headers() -> None:
    assert describe("mean").text == "Expected NPV ($)"
    assert describe("p_cheapest").text == "P(cheapest)"
    assert describe("cvar95").text == "CVaR95 ($)"
    assert describe("events_deprecation").label == "Deprecation: mean events per path"
    assert describe("npv_usd.hybrid").text == "Strategy hybrid: NPV ($)"


def test_without_a_scenario_risks_and_components_are_numbered() -> None:
    assert describe("risks.0.annual_probability").label == "Risk 1: annual probability"
    assert describe("options.x.missing_components.1.usd_per_month").label == (
        "x: missing component 2 monthly cost")


@pytest.mark.parametrize("path", ["options.api.new_field", "workload", "risks.0.multiplier.extra",
                                  "events.meteor_strike.api", "summary", "input.nope",
                                  "risks.first.multiplier"])
def test_an_unknown_path_raises_and_names_it(path) -> None:
    with pytest.raises(UnknownPath, match=re.escape(path.removeprefix("input."))):
        describe(path, build())


def test_a_risk_or_component_the_scenario_lacks_raises() -> None:
    sc = build()
    with pytest.raises(UnknownPath, match="risks"):
        describe("risks.2.annual_probability", sc)
    with pytest.raises(UnknownPath, match="missing component"):
        describe("options.api.missing_components.0.setup_usd", sc)


def test_columns_table_keeps_order_and_drops_repeats() -> None:
    labels = glossary.columns_table(["strategy", "mean", "strategy", "month"])
    assert [label.path for label in labels] == ["strategy", "mean", "month"]


OWN_HELP = {"options.*.other_costs.*.usd_per_month", "options.*.other_costs.*.usd_per_mtok",
            "options.*.other_costs.*.setup_usd", "strategies.*.other_costs.*.usd_per_month",
            "strategies.*.other_costs.*.usd_per_mtok", "strategies.*.other_costs.*.setup_usd"}
"""Entries that say more than their field can: a named cost's field does not know its owner."""


def test_an_inputs_help_is_written_once_on_its_schema_field() -> None:
    """No glossary entry copies a schema field's description: the help of an input comes from the
    field (its unit parenthesis dropped, the unit column shows it)."""
    copied = [pattern for pattern, entry in glossary.GLOSSARY.items()
              if entry.help and pattern not in OWN_HELP
              and glossary.help_of(pattern.replace("*", "x"))
              and pattern not in ("sampling", "as_of")]  # table columns named like a top-level field
    assert copied == []
    assert glossary.entry("options.x.purchase.pue").help == (
        "Power usage effectiveness: facility power over IT power, cooling and losses on top of "
        "the GPUs.")
    assert glossary.entry("options.x.input_usd_per_mtok").help == (
        "List price of a million prompt tokens; required without catalog.")


def test_the_finder_reaches_fields_through_maps_lists_and_kinds() -> None:
    assert glossary.help_of("options.x.missing_components.0.setup_usd").startswith("One-off cost")
    assert glossary.help_of("options.x.same_weights_switching_share").startswith("Share of a")
    assert glossary.help_of("options.x.no_such_field") == ""
    assert glossary.help_of("workload") != "" and glossary.help_of("workload.x.y") == ""


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_page_shows_the_decks_unit(path) -> None:
    """Every sidebar input's unit is the glossary's (the deck's and the workbook's), or for a
    fraction shown x100 its percentage form: never a unit typed on the page."""
    from tco.ui.controls import controls

    sc = tco.load_scenario(path)
    for _, items in controls(sc):
        for control in items:
            unit = glossary.entry(control.path).unit
            shown = glossary.as_percent(unit) if control.display_scale == 100 else unit
            named = control.label.endswith(f"({shown})") or control.label.lower() == shown.lower()
            assert named or not unit, (control.label, unit)
