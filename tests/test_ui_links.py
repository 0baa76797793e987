"""The shared-link codec on its own: query parameters to page state and back, without streamlit."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import tco
from tco.ui import links
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
                                     "workload.requests_per_month": "12000000"}, KNOWN)
    assert ignored == []
    assert values == {"workload.growth_per_month": 6.0, "workload.requests_per_month": 12_000_000}
    assert type(values["workload.requests_per_month"]) is int  # "%d" widgets reject floats
    assert type(values["workload.growth_per_month"]) is float
    # A value the widget would round is said, not rounded silently (it was 12,000,000 before).
    values, ignored = widget_values({"workload.requests_per_month": "12000000.4"}, KNOWN)
    assert values == {} and ignored == [
        "Ignored link parameter workload.requests_per_month='12000000.4': this page's number holds "
        "whole numbers, so it would be rounded; give 12000000 or 12000001"]


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


# Hostile links: everything left out is said, with the parameter's name (see tests/test_hostile_links.py).


def test_read_refuses_repeated_keys_bad_seeds_and_non_ascii_digits() -> None:
    from tco.ui.links import MAX_SEED, read

    link, problems = read({"seed": ["1", "-3"], "paths": ["²"], "scenario": ["nope"],
                           "workload.growth_per_month": ["0.05"]}, STEMS, CHOICES)
    assert link == Link(inputs={"workload.growth_per_month": "0.05"})
    assert problems == ["Ignored link parameter seed: given 2 times; a link gives each once",
                        "Ignored link parameter scenario='nope': not a shipped scenario",
                        "Ignored link parameter paths='²': must be one of 1,000, 2,000, 5,000"]
    for seed in ("-1", "١", str(MAX_SEED + 1), "1" * 5000):
        link, problems = read({"seed": [seed]}, STEMS, CHOICES)
        assert link.seed is None
        assert len(problems) == 1 and problems[0].startswith("Ignored link parameter seed=")
    assert read({"seed": [str(MAX_SEED)], "paths": ["1000"]}, STEMS, CHOICES)[0] == Link(None, 1000, MAX_SEED)


def test_widget_values_refuse_what_is_not_finite_or_breaks_the_scenario_s_rules() -> None:
    sc = tco.load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    link = {"workload.growth_per_month": "nan", "workload.requests_per_month": "1" * 400,
            "horizon_months": "100000", "risks.0.annual_probability": "0.3"}
    values, ignored = widget_values(link, by_path(sc), sc)
    assert values == {"risks.0.annual_probability": 30}
    assert ignored == [
        "Ignored link parameter workload.growth_per_month='nan': not a finite number",
        f"Ignored link parameter workload.requests_per_month='{'1' * 39}…': not a finite number",
        "Ignored link parameter horizon_months='100000': must be less than or equal to 240"]


@pytest.mark.parametrize(("text", "shown"), [
    ("bad.yaml: horizon_months: must be greater than or equal to 1",
     "bad.yaml: horizon_months: must be greater than or equal to 1"),
    ("[a](https://e.example)", "\\[a\\](https:\u2060//e.example)"),
    ("![i](http://e.example/i.png)", "\\!\\[i\\](http:\u2060//e.example/i.png)"),
    ("<script>x</script> &amp;", "\\<script\\>x\\</script\\> \\&amp;"),
    ("www.e.example me@e.example", "www\u2060.e.example me@\u2060e.example"),
    (":red[x] :smile: $y$", ":\u2060red\\[x\\] :\u2060smile: \\$y\\$"),
    ("# h\n- item\u202e", "\\# h - item "),
    ("_a_ b_c", "\\_a\\_ b_c"),
])
def test_escape_markdown_keeps_plain_text_and_neutralises_markup(text, shown) -> None:
    from tco.ui.safe import escape_markdown

    assert escape_markdown(text) == shown
    assert len(escape_markdown("x" * 1000)) == 200


def test_an_added_strategy_round_trips_exactly() -> None:
    """Shares are written with repr, so a link gives back the very floats the optimiser chose."""
    added = links.AddedStrategy("optimised", {"gpt": 0.1 + 0.2, "qwen": 1 - (0.1 + 0.2)},
                                ("gemini", "qwen"))
    text = links.encode_strategy(added)
    assert text == f"optimised:gpt={0.1 + 0.2!r},qwen={1 - (0.1 + 0.2)!r}/gemini,qwen"
    assert links.parse_strategy(text) == added
    assert links.encode("s", {}, 1000, 7, strategy=added)["strategy"] == text
    assert links.parse({"strategy": text}, ["s"], [1000]).strategy == text


@pytest.mark.parametrize(("text", "rule"), [
    ("optimised", "must be NAME:OPTION=SHARE"),
    ("has space:gpt=1", "must be NAME:OPTION=SHARE"),
    ("o:gpt=1,gpt=0", "is not OPTION=SHARE for a new option"),
    ("o:gpt", "is not OPTION=SHARE"),
    ("o:gpt=1.5", "the share of gpt must be a number from 0 to 1"),
    ("o:gpt=nan", "the share of gpt must be a number from 0 to 1"),
    ("o:gpt=1/a b", "the fallback after '/' must be option names"),
    ("o:" + ",".join(f"x{k}=0" for k in range(17)), "mixes more than 16 options"),
    ("o:gpt=1" + "0" * 600, "longer than 600 characters")])
def test_a_bad_added_strategy_names_the_rule(text: str, rule: str) -> None:
    with pytest.raises(ValueError, match=re.escape(rule)):
        links.parse_strategy(text)
