"""The shared-link codec on its own: query parameters to page state and back, without streamlit."""

from __future__ import annotations

import subprocess
import sys

import pytest

import tco
from tco.ui.controls import Control, by_path
from tco.ui.links import Link, encode, parse, widget_values
from tests.conftest import ROOT

STEMS = ("api-price-shock", "open-model-goes-closed")
CHOICES = (1_000, 2_000, 5_000)
GROWTH = Control("workload.growth_per_month", "Traffic growth (% per month)", "slider", 100, -10, 30, 0.5,
                 "%.1f")
REQUESTS = Control("workload.requests_per_month", "Requests per month", "number", 1, 0, None, 100_000, "%d")
KNOWN = {c.path: c for c in (GROWTH, REQUESTS)}


def test_encode_writes_settings_then_sorted_inputs() -> None:
    changes = {"workload.requests_per_month": 12e6, "risks.0.annual_probability": 0.3}
    params = encode("api-price-shock", changes, 1000, 11)
    assert list(params.items()) == [("scenario", "api-price-shock"), ("paths", "1000"), ("seed", "11"),
                                    ("risks.0.annual_probability", "0.3"),
                                    ("workload.requests_per_month", "12000000")]


def test_encode_leaves_out_an_uploaded_scenario_and_keeps_embed() -> None:
    assert encode(None, {}, 2000, 7, embed="true") == {"paths": "2000", "seed": "7", "embed": "true"}


def test_encode_rounds_away_float_noise() -> None:
    noisy = 0.1 + 0.2
    assert repr(noisy) == "0.30000000000000004"  # the noise the link must not carry
    assert encode(None, {"workload.growth_per_month": noisy}, 1000, 1)["workload.growth_per_month"] == "0.3"


def test_parse_reads_settings_and_keeps_inputs_as_text() -> None:
    link = parse({"scenario": "api-price-shock", "paths": "2000", "seed": "-4", "embed": "true",
                  "workload.growth_per_month": "0.05"}, STEMS, CHOICES)
    assert link == Link("api-price-shock", 2000, -4, {"workload.growth_per_month": "0.05"})


@pytest.mark.parametrize("params", [
    {"scenario": "no-such-file"}, {"paths": "3000"}, {"paths": "-1000"}, {"paths": "many"}, {"seed": "7.5"},
    {"seed": "x"}, {},
])
def test_parse_leaves_out_what_the_page_does_not_offer(params) -> None:
    assert parse(params, STEMS, CHOICES) == Link()


def test_widget_values_scale_to_displayed_units() -> None:
    values, ignored = widget_values({"workload.growth_per_month": "0.06",
                                     "workload.requests_per_month": "12000000.4"}, KNOWN)
    assert ignored == []
    assert values == {"workload.growth_per_month": 6.0, "workload.requests_per_month": 12_000_000}
    assert type(values["workload.requests_per_month"]) is int  # "%d" widgets reject floats
    assert type(values["workload.growth_per_month"]) is float


def test_non_numbers_and_unknown_inputs_are_reported_not_applied() -> None:
    values, ignored = widget_values({"workload.growth_per_month": "5%", "workload.requests_per_month": "",
                                     "horizon_months": "24"}, KNOWN)
    assert values == {}
    assert ignored == ["Ignored link parameter workload.growth_per_month='5%': not a number",
                       "Ignored link parameter workload.requests_per_month='': not a number",
                       "Ignored link parameter horizon_months: not an input of this page"]


def test_round_trip_gives_the_same_values() -> None:
    sc = tco.load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    changes = {"workload.requests_per_month": 12e6, "risks.0.annual_probability": 0.3,
               "workload.growth_per_month": 0.025, "discount_rate_per_year": 0.085}
    link = parse(encode("api-price-shock", changes, 5000, -2), STEMS, CHOICES)
    assert (link.scenario, link.paths, link.seed) == ("api-price-shock", 5000, -2)
    values, ignored = widget_values(link.inputs, by_path(sc))
    assert ignored == []
    # Widget values are the stored values in displayed units: counts as is, fractions as percentages.
    assert values == {"workload.requests_per_month": 12_000_000, "risks.0.annual_probability": 30,
                      "workload.growth_per_month": 2.5, "discount_rate_per_year": 8.5}


def test_the_codec_does_not_import_streamlit() -> None:
    code = "import sys, tco.ui.links; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
