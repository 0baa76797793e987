"""Hostile links and uploads through AppTest: each ends in a visible one-line message naming the
parameter, never a traceback, and the numbers stay those of the plain scenario.

A link is anyone's text, so every case here is one a stranger could send: bad seeds and path
counts, numbers that are not finite or have 5,000 digits, keys given twice, values that break the
scenario's rules, and Markdown or HTML in parameter names, values and file names.
"""

from __future__ import annotations

import os
import re
import shutil
import urllib.parse

import pytest
from streamlit.testing.v1 import AppTest

from tco.ui.safe import escape_markdown
from tests.conftest import ROOT, story_warnings
from tests.test_browser import (  # noqa: F401 - fixtures for the browser check at the end
    CHROMIUM,
    browser_context_args,
    browser_type_launch_args,
    server,
    wait_idle,
)

APP = str(ROOT / "app.py")
SCENARIO = "open-model-goes-closed"
METRICS = ("Expected NPV", "P95 NPV", "CVaR95", "P(cheapest)", "Lock-in premium")
LONG = "1" * 5000
LINK = "[Re-authenticate here](https://evil.example/login)"
IMAGE = "![t](http://evil.example/t.png)"
HTML = "<img src=x onerror=alert(1)>"

# (case id, the hostile parameters, the parameter the message must name)
CASES = [
    ("negative-seed", {"seed": "-1"}, "seed"),
    ("negative-seed-5", {"seed": "-5"}, "seed"),
    ("superscript-seed", {"seed": "²"}, "seed"),
    ("huge-seed", {"seed": "99999999999999999999"}, "seed"),
    ("5000-digit-seed", {"seed": LONG}, "seed"),
    ("superscript-paths", {"paths": "²"}, "paths"),
    ("arabic-indic-paths", {"paths": "١٠٠٠"}, "paths"),
    ("paths-not-offered", {"paths": "3000"}, "paths"),
    ("5000-digit-paths", {"paths": LONG}, "paths"),
    ("repeated-seed", {"seed": ["1", "-3"]}, "seed"),
    ("repeated-input", {"workload.growth_per_month": ["0.01", "0.5"]}, "workload.growth_per_month"),
    ("unknown-scenario", {"scenario": LINK}, "scenario"),
    ("requests-nan", {"workload.requests_per_month": "nan"}, "workload.requests_per_month"),
    ("requests-inf", {"workload.requests_per_month": "inf"}, "workload.requests_per_month"),
    ("requests-minus-inf", {"workload.requests_per_month": "-inf"}, "workload.requests_per_month"),
    ("growth-inf", {"workload.growth_per_month": "inf"}, "workload.growth_per_month"),
    ("growth-nan", {"workload.growth_per_month": "nan"}, "workload.growth_per_month"),
    ("discount-1e400", {"discount_rate_per_year": "1e400"}, "discount_rate_per_year"),
    ("5000-digit-requests", {"workload.requests_per_month": LONG}, "workload.requests_per_month"),
    ("requests-negative", {"workload.requests_per_month": "-5"}, "workload.requests_per_month"),
    ("requests-1e30", {"workload.requests_per_month": "1e30"}, "workload.requests_per_month"),
    ("growth-1e6", {"workload.growth_per_month": "1000000"}, "workload.growth_per_month"),
    ("horizon-too-long", {"horizon_months": "100000"}, "horizon_months"),
    ("horizon-fraction", {"horizon_months": "24.5"}, "horizon_months"),
    ("probability-2", {"risks.0.annual_probability": "2"}, "risks.0.annual_probability"),
    ("tokens-below-widget-min", {"workload.input_tokens_per_request": "0"},
     "workload.input_tokens_per_request"),
    ("unknown-input", {"options.nope.ops_fte": "1"}, "options.nope.ops_fte"),
    ("markdown-link-value", {"foo": LINK}, "foo"),
    ("markdown-image-value", {"foo": IMAGE}, "foo"),
    ("html-value", {"workload.requests_per_month": "<b>1</b>"}, "workload.requests_per_month"),
    ("markdown-link-name", {"[click](https://evil.example)": "2"}, "[click](https://evil.example)"),
    ("html-name", {HTML: "1"}, HTML),
    ("bare-url-name", {"www.evil.example": "1"}, "www.evil.example"),
    ("email-name", {"me@evil.example": "1"}, "me@evil.example"),
    ("colour-and-formula", {":red[$x$]": "1"}, ":red[$x$]"),
    ("newline-heading", {"a\n# Heading": "1"}, "a # Heading"),
]


def run(query: dict[str, str | list[str]]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in {"scenario": SCENARIO, "paths": "1000", "seed": "7", **query}.items():
        at.query_params[key] = value
    at.session_state["ov_numbers"] = True  # the Overview's numbers are drawn once it is open
    return at.run()


def numbers(at: AppTest) -> dict[str, list[str]]:
    return {label: [m.value for m in at.metric if m.label == label] for label in METRICS}


def plain(markdown: str) -> str:
    """What a reader sees: backslash escapes and word joiners removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def assert_inert(markdown: str) -> None:
    """No Markdown or HTML construct can start: every special character is escaped, and no bare web
    or e-mail address or ':name' colour, emoji or icon is left whole."""
    unescaped = re.sub(r"\\.", "", markdown)
    assert not set(unescaped) & set("[]<>!`*$&|~#"), markdown
    assert not re.search(r"https?://|www\.|@[\w-]|:[a-z]", unescaped, re.IGNORECASE), markdown
    assert "\n" not in markdown


@pytest.fixture(scope="module")
def baselines() -> dict[str, dict[str, list[str]]]:
    """The plain scenario's numbers at the default path count and at 1,000 paths."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["scenario"] = SCENARIO
    at.session_state["ov_numbers"] = True
    default_paths = numbers(at.run())
    return {"default": default_paths, "1000": numbers(run({}))}


@pytest.mark.parametrize(("query", "name"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_hostile_link_gives_a_message_and_the_plain_numbers(query, name, baselines) -> None:
    at = run(query)
    assert not at.exception, [e.value for e in at.exception]
    messages = [w.value for w in at.warning]
    named = [m for m in messages if plain(name) in plain(m) or escape_markdown(name) in m]
    assert named, (name, messages)
    assert all("\n" not in m and len(m) < 400 for m in messages)
    for message in messages:
        assert_inert(message)
    expected = baselines["default" if "paths" in query else "1000"]
    assert numbers(at) == expected
    assert all(expected.values())
    # The address bar is rewritten to the page's state: nothing hostile is kept in it.
    assert set(at.query_params) <= {"scenario", "paths", "seed"}


def test_the_seed_box_refuses_a_negative_seed() -> None:
    at = run({})
    before = numbers(at)
    at.number_input(key="seed").set_value(-1).run()
    assert not at.exception
    assert at.number_input(key="seed").value >= 0
    at.number_input(key="seed").set_value(7).run()
    assert numbers(at) == before


def test_a_run_over_the_page_budget_is_one_line_not_a_traceback() -> None:
    at = run({"paths": "50000", "horizon_months": "240"})
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [
        "paths: 50,000 paths x 4 strategies x 240 months is 48,000,000 cells, more than the 30,000,000 "
        "allowed here; lower the paths, the strategies or horizon_months"]


@pytest.mark.parametrize("file_name", [f"{LINK}.yaml", f"{HTML}.yaml", f"{IMAGE}.yaml"])
def test_an_upload_name_is_shown_as_text(file_name) -> None:
    at = run({})
    text = (ROOT / "scenarios" / "regulated-in-house.yaml").read_bytes()
    at.file_uploader(key="upload").set_value((file_name, text, "application/x-yaml")).run()
    assert not at.exception
    label = at.toggle(key="use_upload").label
    assert plain(label) == f"Use uploaded {file_name}"
    assert_inert(label.removeprefix("Use uploaded "))
    bad = b"name: [x](https://e.example)\nhorizon_months: -3\n"
    at.file_uploader(key="upload").set_value((file_name, bad, "application/x-yaml")).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and plain(errors[0]).startswith(file_name)
    assert_inert(errors[0])


def test_an_uploaded_scenario_s_own_text_is_shown_as_text() -> None:
    at = run({})
    text = (ROOT / "scenarios" / "startup-api-cheaper.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^name: .*$", f"name: \"{LINK} {HTML}\"", text, count=1)
    at.file_uploader(key="upload").set_value(("x.yaml", text.encode(), "application/x-yaml")).run()
    assert not at.exception and not at.error
    assert plain(at.title[0].value) == f"{LINK} {HTML}"
    assert_inert(at.title[0].value)



@pytest.mark.e2e
@pytest.mark.skipif(not os.path.exists(CHROMIUM) and shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed")
def test_hostile_text_renders_as_text_in_a_real_browser(server, page) -> None:  # noqa: F811
    """What Streamlit's Markdown renderer makes of the escaped messages: no link, image, formula or
    colour, and no request to another host."""
    hostile = [("foo", LINK), ("bar", IMAGE), ("baz", "https://evil.example/plain"), (HTML, "1"),
               ("www.evil.example", "1"), ("me@evil.example", "1"), (":red[$x^2$]", "1")]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/?" + urllib.parse.urlencode([("scenario", SCENARIO), ("paths", "1000"), *hostile]))
    wait_idle(page)
    alerts = page.get_by_test_id("stAlert")
    own = story_warnings(SCENARIO)  # the story's own stale-price line, below the link's
    assert alerts.count() == len(hostile) + len(own)
    texts = [t.replace("\u2060", "") for t in alerts.all_inner_texts()]
    assert texts[len(hostile):] == own
    for (name, value), text in zip(hostile, texts[:len(hostile)], strict=True):
        assert name in text and (value in text or value == "1" or value[:30] in text), text
    for kind in ("a", "img", ".katex", "span[style*=color]", "h1, h2, h3, ul, ol"):
        assert alerts.locator(kind).count() == 0, kind
    assert [u for u in requests if not u.startswith(server)] == []
