"""The page's side of the third hostile-input audit: links and uploads follow the scenario rules,
never round a value silently, say when a query string was lost or cut, and stay readable when a
link carries hundreds of unknown parameters. Pure functions first, then the page through AppTest.
"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from tco.simulate import MAX_SEED
from tco.ui import links
from tco.ui.controls import Control
from tco.ui.edits import parse_value
from tests.conftest import ROOT, story_warnings
from tests.test_hostile_links import plain

APP = str(ROOT / "app.py")
SCENARIO = "open-model-goes-closed"
UTILISATION = Control("options.x.target_utilization", "Utilisation", "slider", 100, 5, 100, 5, "%d")
GROWTH = Control("workload.growth_per_month", "Growth", "slider", 100, -10, 30, 0.5, "%.1f")


@pytest.mark.parametrize("text", ["١٠٠", "１００", "1_0_0", "²", "0x10", " 5", "5 ", "1,5", "+-1"])
def test_link_numbers_are_ascii_digits_only(text: str) -> None:
    """Arabic-Indic digits and '1_0_0' were read as numbers in values but refused in the seed."""
    with pytest.raises(ValueError, match="^not a number"):
        parse_value(text)
    with pytest.raises(ValueError):
        parse_value(f"triangular:1,{text},3")


@pytest.mark.parametrize(("text", "value"), [("100", 100), ("-0.5", -0.5), ("1e6", 1e6), (".5", 0.5),
                                             ("2.", 2.0), ("1E-3", 0.001)])
def test_ascii_numbers_are_read(text: str, value: float) -> None:
    assert parse_value(text) == value


@pytest.mark.parametrize(("control", "shown", "expected"), [
    (UTILISATION, 55.5, "give 0.55 or 0.56"),
    (UTILISATION, 1e-298, "give 0 or 0.01"),
    (GROWTH, 1.23, "give 0.012 or 0.013"),
    (UTILISATION, 56.0, None),
    (UTILISATION, 0.07 * 100, None),  # 7.000000000000001: float noise, not a digit the user gave
    (GROWTH, 1.5, None),
])
def test_a_value_the_widget_would_round_is_said(control: Control, shown: float, expected) -> None:
    """target_utilization=0.555 became 0.56 and 1e-300 became 0 without a word."""
    stored = shown / control.display_scale
    rule = links._broken_rule(control, stored, control.shown(stored), None, {})
    if expected is None:
        assert rule is None
    else:
        assert rule.startswith(f"this page's {control.widget} holds") and rule.endswith(expected)


def test_query_problems() -> None:
    assert links.query_problems("", 0) == []
    assert links.query_problems("seed=5&paths=1000", 2) == []
    lost = links.query_problems("&".join(f"k{i}=1" for i in range(1001)), 0)
    assert lost == ["This link's settings were not read: its query string has 1,001 parameters and "
                    "6,897 characters, more than the page reads (1,000 parameters, 512 KiB); the "
                    "scenario's own values are shown"]
    for cut in ("seed=5&paths=10", "seed=5&paths", "seed=5&paths=", "a=1&b=%2", "a=1&b=%"):
        if cut == "seed=5&paths=10":
            assert links.query_problems(cut, 2) == []  # a number cut short looks whole
            continue
        [message] = links.query_problems(cut, 2)
        assert message.startswith("This link looks cut short: its last parameter")


def test_messages_are_capped_with_the_rules_first() -> None:
    unknown = [f"Ignored link parameter u{i}: not an input of this scenario" for i in range(590)]
    rules = ["Ignored link parameter seed='-1': must be a whole number from 0 to 4,294,967,295"]
    shown = links.capped([*unknown[:3], *rules, *unknown[3:]])
    assert len(shown) == links.MAX_MESSAGES
    assert shown[0] == rules[0]
    assert shown[-1] == f"…and {590 - links.MAX_MESSAGES + 2} more unknown parameters"
    assert links.capped(rules) == rules


def test_one_seed_range_for_the_page_and_the_command_line() -> None:
    """CLI seeds went to 2^63-1 but links to 2^32-1."""
    import tco.cli.common as common
    import tco.ui.state as state

    assert common.MAX_SEED == state.MAX_SEED == links.MAX_SEED == MAX_SEED == 2**32 - 1
    _, problems = links.read({"seed": [str(MAX_SEED + 1)]}, [SCENARIO], [1000])
    assert problems == [f"Ignored link parameter seed='{MAX_SEED + 1}': must be a whole number from 0 to "
                        "4,294,967,295"]
    assert links.read({"seed": [str(MAX_SEED)]}, [SCENARIO], [1000])[0].seed == MAX_SEED


# The page, through AppTest.

def run(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in {"scenario": SCENARIO, "paths": "1000", "seed": "5", **query}.items():
        at.query_params[key] = value
    return at.run()


def test_a_query_string_streamlit_drops_is_said_in_one_line() -> None:
    """1,100 parameters: Streamlit keeps none of them (its 1,000-parameter limit) and the page
    applied its defaults without a word (paths=1000&seed=5 became 10,000 paths and seed 7)."""
    at = run({f"u{i}": "1" for i in range(1100)})
    assert not at.exception
    warnings = [w.value for w in at.warning if w.value not in story_warnings(SCENARIO)]
    assert len(warnings) == 1 and warnings[0].startswith("This link's settings were not read: its "
                                                         "query string has 1,103 parameters")


def test_hundreds_of_unknown_parameters_give_a_few_lines() -> None:
    """600 unknown parameters gave 600 warning boxes; the refused values come first."""
    at = run({**{f"u{i}": "1" for i in range(600)},
              "options.llama-70b.target_utilization": "0.555",
              "risks.0.annual_probability": "1e-300",
              "workload.requests_per_month": "١٠٠"})
    assert not at.exception
    warnings = [plain(w.value) for w in at.warning if w.value not in story_warnings(SCENARIO)]
    assert len(warnings) == links.MAX_MESSAGES
    assert any("target" in w and "give 0.55 or 0.56" in w for w in warnings[:3]), warnings
    assert any("annual" in w and "give 0 or 0.01" in w for w in warnings[:3]), warnings
    assert any("requests" in w and "ASCII digits" in w for w in warnings[:3]), warnings
    assert warnings[-1] == f"…and {603 - (links.MAX_MESSAGES - 1)} more unknown parameters"
    assert at.number_input(key="seed").value == 5


def test_a_cut_link_is_said() -> None:
    at = run({"options.llama-70b.ops_fte": ""})
    assert not at.exception
    assert any(w.value.startswith("This link looks cut short") for w in at.warning)


def _upload(at: AppTest, data: bytes) -> AppTest:
    return at.file_uploader(key="upload").set_value(("x.yaml", data, "application/x-yaml")).run()


BASE = (ROOT / "scenarios" / "startup-api-cheaper.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: t.replace("name: ", 'name: "bad\\ud800" #', 1), "lone UTF-16 surrogate"),
    (lambda t: t.replace("name: ", 'name: "a\\u202eb" #', 1), "name: must not contain an invisible"),
    (lambda t: t.replace("name: ", 'name: " " #', 1), "name: must not be empty or only spaces"),
    (lambda t: t.replace("horizon_months: 24", 'horizon_months: "24"'),
     "horizon_months: must be a number, got the text"),
    (lambda t: t.replace("discount_rate_per_year: 0.15", "discount_rate_per_year: 5"),
     "discount_rate_per_year: must be between -0.05 and 0.5"),
    (lambda t: t + "zz: {" + ", ".join(f"k{i}: 1" for i in range(49_000)) + "}\n",
     "a mapping holds more than 10,000 keys"),
], ids=["surrogate", "rtl override", "blank name", "number as text", "discount 500%", "49,000 keys"])
def test_an_upload_follows_the_file_rules(change, expected: str) -> None:
    """A surrogate in an upload reached the Export tab as Streamlit's exception box; a 49,000-key
    mapping cost the server its full parse."""
    at = run({})
    start = time.process_time()
    _upload(at, change(BASE).encode("utf-8"))
    assert not at.exception, [e.value for e in at.exception]
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 1 and expected in errors[0], errors
    assert time.process_time() - start < 5


def test_a_high_discount_rate_in_an_upload_is_warned_of() -> None:
    at = run({})
    _upload(at, BASE.replace("discount_rate_per_year: 0.15", "discount_rate_per_year: 0.3").encode())
    assert not at.exception and not at.error
    assert any("venture hurdle rate" in w.value for w in at.warning), [w.value for w in at.warning]
