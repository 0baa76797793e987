"""The Streamlit page through AppTest: every tab, widgets by key, numbers equal the library's."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

import tco
from tco.format import pct, usd
from tco.report import apply_nominal
from tests.conftest import ROOT, SCENARIOS, story_warnings

APP = str(ROOT / "app.py")
TABS = ["Overview", "Costs", "Risk", "Sensitivity", "Stress tests", "Decide", "History", "Compare",
        "Assumptions", "Export"]


OVERVIEW_EXPANDERS = ("ov_cards", "ov_numbers", "ov_verdict")
"""The Overview's expanders, drawn only when open (``tco.ui.overview.lazy_expander``)."""


def app(embedded: bool = False, closed: bool = False, **query: str) -> AppTest:
    """The page after its first run with ``query`` in the link; unless ``closed``, with every
    expander of the Overview and every input group of the sidebar open (each draws its content
    only when open), so the tests see every number and widget."""
    at = AppTest.from_file(APP, default_timeout=180)
    if embedded:  # the browser says so when the link has embed=true (st.context.is_embedded)
        at.context = {"is_embedded": True}
    for key, value in query.items():
        at.query_params[key] = value
    at.query_params.setdefault("paths", "2000")
    if not closed:  # open before the first run: a link's messages show on that run only
        open_all(at, query.get("scenario", "open-model-goes-closed"))
    return at.run()


def open_all(at: AppTest, stem: str) -> AppTest:
    """Open the Overview's expanders and the sidebar's input groups of shipped scenario ``stem``,
    as a reader clicking each (the next run draws them)."""
    from tco.ui.controls import controls
    from tco.ui.sidebar import group_key

    for key in OVERVIEW_EXPANDERS:
        at.session_state[key] = True
    path = ROOT / "scenarios" / f"{stem}.yaml"
    for title, _ in controls(tco.load_scenario(path)) if path.exists() else ():
        at.session_state[group_key(title)] = True
    return at


def test_closed_expanders_send_nothing_until_opened() -> None:
    """A new page sends the Overview's twenty numbers and the closed input groups' widgets only
    once opened; opened, they show the library's numbers (``test_numbers_on_screen...``)."""
    at = app(scenario="open-model-goes-closed", closed=True)
    assert not at.metric
    drawn = {w.key for w in [*at.sidebar.slider, *at.sidebar.number_input] if w.key.startswith("in:")}
    assert drawn == {
        "in:workload.requests_per_month", "in:workload.input_tokens_per_request",
        "in:workload.output_tokens_per_request", "in:workload.growth_per_month", "in:horizon_months",
        "in:discount_rate_per_year"}
    open_all(at, "open-model-goes-closed").run()
    assert len(at.metric) == 5 * len(tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
                                      .strategies)
    assert "in:options.llama-70b.ops_fte" in {w.key for w in at.sidebar.number_input}


def metric(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def kpis(at: AppTest) -> list[dict[str, str]]:
    """The Overview's compact table, one dict per strategy (it is the page's first table)."""
    return at.dataframe[0].value.to_dict("records")


def expected_kpis(table) -> list[dict[str, str]]:
    return [{"Strategy": name, "Deterministic NPV ($)": usd(row["deterministic_npv"]),
             "Expected NPV ($)": usd(row["mean"]), "P95 NPV ($)": usd(row["p95"]),
             "CVaR95 ($)": usd(row["cvar95"]), "P(cheapest) (% of paths)": pct(row["p_cheapest"])}
            for name, row in table.iterrows()]


def open_tab(at: AppTest, label: str) -> AppTest:
    """Tabs track the open one (only it renders), so switch by its session-state key."""
    at.session_state["view"] = label
    return at.run()


RUN_BUTTONS = {"Decide": "decide_run", "History": "history_run"}
"""The tabs whose expensive part waits for a button, and that button's key."""


def press(at: AppTest, key: str) -> AppTest:
    """Click a button by its key and rerun."""
    at.button(key=key).click()
    return at.run()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_tab_renders(path) -> None:
    at = app(scenario=path.stem)
    assert [t.label for t in at.tabs] == TABS
    assert at.title[0].value == tco.load_scenario(path).name
    charts = 0
    for label in TABS:
        open_tab(at, label)
        if label in RUN_BUTTONS:  # the first visit computes nothing; the button does
            assert not at.get("plotly_chart"), label
            press(at, RUN_BUTTONS[label])
        assert not at.exception, (label, [e.value for e in at.exception])
        assert not at.error, label
        charts += len(at.get("plotly_chart"))
    assert charts >= 10


def test_numbers_on_screen_equal_the_library() -> None:
    at = app(scenario="open-model-goes-closed", paths="2000", seed="7")
    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    table = tco.simulate(sc, paths=2000, seed=7).summary()
    assert metric(at, "Expected NPV") == [usd(v) for v in table["mean"]]
    assert metric(at, "P95 NPV") == [usd(v) for v in table["p95"]]
    assert metric(at, "CVaR95") == [usd(v) for v in table["cvar95"]]
    assert metric(at, "P(cheapest)") == [pct(v) for v in table["p_cheapest"]]
    assert metric(at, "Lock-in premium") == [usd(v) for v in table["lock_in_premium"]]
    assert kpis(at) == expected_kpis(table)


def test_widgets_change_the_numbers_and_mark_the_change() -> None:
    at = app(scenario="open-model-goes-closed")
    before = metric(at, "Expected NPV")
    at.slider(key="in:workload.growth_per_month").set_value(6.0).run()
    after = metric(at, "Expected NPV")
    assert after != before
    assert at.query_params["workload.growth_per_month"] in ("0.06", ["0.06"])
    base = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    expected = tco.simulate(apply_nominal(base, {"workload.growth_per_month": 0.06}), paths=2000,
                            seed=7).summary()["mean"]
    assert after == [usd(v) for v in expected]
    assert any("changed" in c.value for c in at.caption)
    at.button(key="reset").click().run()
    assert metric(at, "Expected NPV") == before


def test_risk_slider_and_number_input() -> None:
    at = app(scenario="open-model-goes-closed")
    before = metric(at, "Lock-in premium")
    at.slider(key="in:risks.3.annual_probability").set_value(90).run()
    assert metric(at, "Lock-in premium") != before
    at.number_input(key="in:options.llama-70b.ops_fte").set_value(4.0).run()
    assert not at.exception


def test_query_string_round_trip() -> None:
    query = {"scenario": "api-price-shock", "paths": "1000", "seed": "11",
             "workload.requests_per_month": "12000000", "risks.0.annual_probability": "0.45"}
    at = app(**query)
    assert not at.exception
    assert at.number_input(key="in:workload.requests_per_month").value == 12_000_000
    assert at.slider(key="in:risks.0.annual_probability").value == 45
    written = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert written == query
    # The same link gives the same numbers as the library with those inputs.
    base = tco.load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    changed = apply_nominal(base, {"workload.requests_per_month": 12e6, "risks.0.annual_probability": 0.45})
    table = tco.simulate(changed, paths=1000, seed=11).summary()
    assert metric(at, "Expected NPV") == [usd(v) for v in table["mean"]]


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("bad.yaml", b"name: x\nhorizon_months: -3\n",
     "bad.yaml: horizon_months: must be greater than or equal to 1"),
    ("empty.yaml", b"", "empty.yaml: scenario: file is empty"),
    ("binary.yaml", b"\x00\x01\x02", "binary.yaml: scenario: is a binary file, not YAML text"),
])
def test_bad_upload_shows_one_line_and_keeps_the_scenario(name, data, expected) -> None:
    at = app(scenario="startup-api-cheaper")
    title = at.title[0].value
    at.file_uploader(key="upload").set_value((name, data, "application/x-yaml")).run()
    assert [e.value for e in at.error] == [expected]
    assert not at.exception
    assert at.title[0].value == title


def test_good_upload_replaces_the_scenario() -> None:
    at = app(scenario="startup-api-cheaper")
    text = (ROOT / "scenarios" / "regulated-in-house.yaml").read_bytes()
    at.file_uploader(key="upload").set_value(("mine.yaml", text, "application/x-yaml")).run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Regulated enterprise keeps data in-house"


def test_stress_tab_and_assumptions_editor() -> None:
    at = open_tab(app(scenario="open-model-goes-closed"), "Stress tests")
    at.selectbox(key="stress_kind").select("licence_change").run()
    at.selectbox(key="stress_option").select("frontier-api").run()
    assert [w.value for w in at.warning if w.value.startswith("Cannot force")] == [
        "Cannot force this event: --on: licence_change applies to self-hosted options and hosted "
        "open-weight options"]
    open_tab(at, "Assumptions")
    frames = [d.value for d in at.dataframe]
    assumptions = next(f for f in frames if "source" in f.columns and "as_of" in f.columns)
    assert (assumptions["source"].str.len() > 0).all()
    price_rows = assumptions[assumptions["input"].str.endswith("input_usd_per_mtok")]
    # A catalog price is dated by its last upstream check where one is recorded, else by the
    # snapshot: the story's Sonnet (checked 2026-07-29) and Together's Llama (2025-07-03).
    assert set(price_rows["as_of"]) == {"2026-07-29", "2025-07-03"}
    growth = assumptions[assumptions["input"] == "workload.growth_per_month"]["source"].iloc[0]
    assert growth == "scenario file: judgement: adoption ramp"  # the file's trailing comment
    # The sources table under the grid writes its dates with non-breaking hyphens, so a narrow
    # column cannot break '2026-07-29' after '2026-07-'; the dates are the grid's, hyphens aside.
    (sources,) = [t.value for t in at.table if "As of" in t.value.columns]
    dates = set(sources["As of"]) - {""}
    assert dates and all(re.fullmatch("\\d{4}\u2011\\d{2}\u2011\\d{2}", d) for d in dates), dates
    assert {d.replace("\u2011", "-") for d in dates} == set(assumptions["as_of"].dropna()) - {""}


DOTTED_PATH = re.compile(r"\b(options|risks|strategies|workload|switching)\.[\w-]+")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_no_dotted_path_reaches_a_reader(path) -> None:
    """Labels come from the glossary: no scenario path in any text, warning, table header, widget
    label or chart (titles, axes, legends, bar labels) on any tab. The assumptions editor keeps
    the path as one secondary column for scenario authors, so its cells are not checked."""
    at = app(scenario=path.stem)
    seen: list[str] = []
    for label in TABS:
        open_tab(at, label)
        seen += [e.value for e in (*at.markdown, *at.caption, *at.warning, *at.info, *at.title)]
        seen += [w.label for w in (*at.slider, *at.number_input, *at.selectbox)]
        seen += [str(c) for frame in at.dataframe for c in frame.value.columns]
        seen += [chart.proto.spec for chart in at.get("plotly_chart")]
    leaks = sorted({m.group(0) for text in seen for m in DOTTED_PATH.finditer(text)})
    assert not leaks, leaks


# The page's caches are bounded in bytes (tco.ui.lru), not in entries.


def test_the_result_cache_never_exceeds_its_byte_limit() -> None:
    from tco.ui import cache
    from tco.ui.lru import ByteLRU, memoize, size_of

    assert cache.RESULT_CACHE.max_bytes == cache.RESULT_BYTES == 600 * 2**20
    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    one = size_of(cache.compute(*cache.inputs_key(sc, 1000, 1)))
    small = ByteLRU(int(3.5 * one))  # room for three runs
    compute = memoize(small)(cache.compute.__wrapped__)  # the page's function on a smaller cache
    for seed in range(40):
        view = compute(*cache.inputs_key(sc, 1000, 1000 + seed))
        # Within the limit once stored, with the earlier runs' grown tables measured again.
        assert small.nbytes() <= small.max_bytes
        _ = view.ranking, view.result.inputs  # tables computed later, when a tab needs them (+86%)
    assert 2 <= len(small) <= 3
    assert compute(*cache.inputs_key(sc, 1000, 1039)) is view  # the latest is kept


def test_a_byte_lru_drops_the_least_recently_used_and_never_keeps_an_oversized_value() -> None:
    from tco.ui.lru import ByteLRU

    lru = ByteLRU(100, sizer=len)
    for key in "abc":
        lru.get(key, lambda k=key: k * 30)
    lru.get("a", lambda: "unused")  # touch a: b is now the oldest
    lru.get("d", lambda: "d" * 30)
    assert ("b" in lru, "a" in lru, "d" in lru) == (False, True, True)
    assert lru.get("big", lambda: "x" * 101) == "x" * 101
    assert "big" not in lru and lru.nbytes() <= 100


def test_a_byte_lru_of_fixed_values_measures_each_once_and_a_growing_one_every_time() -> None:
    """Charts and files never change once cached: their cache measures each value when it is
    stored (measuring every kept chart on each insertion was a twentieth of a slider step). A
    cache of values that grow (a run computing tables later) measures them all again, so growth
    still evicts: four 20-byte lists in 100 bytes, the first grows to 50, and a 10-byte insertion
    drops it (50 + 20 x 3 + 10 > 100; as first measured, 80 + 10 would have fit)."""
    from tco.ui.lru import ByteLRU

    measured: list[str] = []

    def sizer(value: list[str]) -> int:
        measured.append(value[0])
        return len(value)

    fixed = ByteLRU(10**6, sizer=sizer, values_grow=False)
    for key in "abcd":
        fixed.get(key, lambda k=key: [k] * 30)
    assert measured == list("abcd")  # each once, at insertion

    growing, kept = ByteLRU(100, sizer=len), {}
    for key in "abcd":
        kept[key] = growing.get(key, lambda k=key: [k] * 20)
    kept["a"].extend(["a"] * 30)  # 'a' grows after it was stored
    growing.get("e", lambda: ["e"] * 10)
    assert [k in growing for k in "abcde"] == [False, True, True, True, True]
    assert growing.nbytes() <= 100
    from tco.ui import cache

    assert not cache.FIGURE_CACHE.values_grow and not cache.FILE_CACHE.values_grow
    assert cache.RESULT_CACHE.values_grow  # a View computes its tables when a tab first asks


def test_a_growing_byte_lru_measures_again_only_what_grew() -> None:
    """Measuring every kept run at each insertion walked each one's scenario and arrays again (6 ms
    per kept run): a growing cache measures a kept value again only when it gained an attribute
    (a table computed when a tab asks) on itself or on what it holds. Runs of 20 bytes plus 30 per
    table in 100 bytes: three fit; 'a' gains a table on its result (20 + 30 = 50 bytes), so the
    next insertion measures 'a' alone again, finds 50 + 20 + 20 + 20 > 100 and drops it."""
    from types import SimpleNamespace

    from tco.ui.lru import ByteLRU

    measured: list[str] = []

    def sizer(run: SimpleNamespace) -> int:
        measured.append(run.name)
        return 20 + 30 * (len(vars(run)) - 2 + len(vars(run.result)))

    lru, kept = ByteLRU(100, sizer=sizer), {}
    for key in "abc":
        kept[key] = lru.get(key, lambda k=key: SimpleNamespace(name=k, result=SimpleNamespace()))
    assert measured == list("abc")  # each once, when stored: none of them grew
    kept["a"].result.table = "computed when a tab asked"
    lru.get("d", lambda: SimpleNamespace(name="d", result=SimpleNamespace()))
    assert measured == [*"abc", "d", "a"]  # 'd' stored, 'a' measured again: it grew
    assert [k in lru for k in "abcd"] == [False, True, True, True]


def test_edits_are_applied_once_per_base_and_edits() -> None:
    """A slider step applied the same edits to the same scenario three times, and every rerun
    once more: the edited scenario is kept by base (by identity: a scenario is never changed) and
    edits, and equals a fresh application; another base object, or other edits, computes anew."""
    from tco.load import dumps
    from tco.ui.edits import _apply_edits, apply_edits

    path = ROOT / "scenarios" / "open-model-goes-closed.yaml"
    base, twin = tco.load_scenario(path), tco.load_scenario(path)
    edits = {"workload.growth_per_month": 0.05, "workload.requests_per_month": 2.5e7}
    first = apply_edits(base, edits)
    assert apply_edits(base, dict(reversed(edits.items()))) is first  # same edits, any order
    assert dumps(first) == dumps(_apply_edits(base, edits))
    assert apply_edits(twin, edits) is not first
    assert apply_edits(base, {"workload.growth_per_month": 0.06}) is not first
    assert apply_edits(base, {}) is base


def test_a_byte_lru_computes_once_for_many_threads_at_once() -> None:
    import threading
    import time

    from tco.ui.lru import ByteLRU

    lru, calls = ByteLRU(10**6), []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "value"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(lru.get("k", slow))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["value"] * 8 and len(calls) == 1


# One state for every input: sidebar, Assumptions table and link (tco.ui.edits, tco.ui.state).

EDITED = {"workload.cached_input_share": "0.45",  # not a sidebar input: only the table edits it
          "workload.growth_per_month": "triangular:0.01,0.04,0.09",  # a distribution, reshaped
          "options.frontier-api.output_usd_per_mtok": "12"}


def test_the_flagships_one_warning_is_its_stale_catalog_price_in_words() -> None:
    """The flagship's hosted Llama price was last checked upstream 516 days before its start: the
    page says so in one line that names the option and the field in words, not as a path."""
    assert story_warnings("open-model-goes-closed") == [
        "llama-hosted: price catalog entry: together/meta-llama/Llama-3.3-70B-Instruct-Turbo's "
        "prices were last checked upstream on 2025-07-03, 516 days before 2026-12; give the "
        "option's prices with their source to override them"]


def test_a_table_edit_survives_a_link_round_trip_with_the_same_numbers() -> None:
    from tco.ui.edits import apply_edits, parse_value

    at = app(scenario="open-model-goes-closed", paths="1000", seed="5", **EDITED)
    assert [w.value for w in at.warning] == story_warnings("open-model-goes-closed")
    assert not at.exception
    link = {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert {k: link[k] for k in EDITED} == EDITED  # every edit is in the link, as given
    again = app(**link)
    base = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    changed = apply_edits(base, {k: parse_value(v) for k, v in EDITED.items()})
    assert changed.inputs.params["workload.growth_per_month"].value.high == 0.09
    table = tco.simulate(changed, paths=1000, seed=5).summary()
    assert kpis(at) == kpis(again) == expected_kpis(table)
    # The sidebar shows the same state: the distribution's mode, in percent.
    assert again.slider(key="in:workload.growth_per_month").value == 4.0


def test_table_cells_become_edits_that_a_link_carries_exactly() -> None:
    """The Assumptions table's cells (the data editor's delta, as its callback gets it) become
    edits; through a link and back they give the same scenario, bit for bit. AppTest cannot type
    into the grid: the browser test edits a real cell."""
    from tco.load import dumps
    from tco.ui.controls import by_path
    from tco.ui.edits import apply_cells, apply_edits, table
    from tco.ui.links import edits_from_link, encode

    base = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    paths = list(table(base)["input"])
    row = {path: str(i) for i, path in enumerate(paths)}
    edits, refused = apply_cells(base, {}, {  # fractions are typed in percent, as the table shows them
        row["workload.growth_per_month"]: {"high": 9.12345678901234},
        row["workload.cached_input_share"]: {"low": 10.0},  # a fixed input becomes triangular
        row["workload.requests_per_month"]: {"nominal": 3e7},
        row["workload.batchable_share"]: {"nominal": 700.0}}, paths)  # a share above 100%: refused
    assert [(p, v) for p, v, _ in refused] == [("workload.batchable_share", 7.0)]
    assert edits == {"workload.growth_per_month": {"triangular": [0.0, 0.03, 0.0912345678901]},
                     "workload.cached_input_share": {"triangular": [0.1, 0.3, 0.3]},
                     "workload.requests_per_month": 3e7}
    link = encode("open-model-goes-closed", edits, 1000, 7)
    back, ignored = edits_from_link({k: v for k, v in link.items()
                                     if k not in ("scenario", "paths", "seed")}, base, by_path(base))
    assert ignored == [] and back == edits
    assert dumps(apply_edits(base, back)) == dumps(apply_edits(base, edits))


def test_stress_tables_name_their_units() -> None:
    """Every money column of a stress table says it is in dollars, the share what it is of."""
    at = open_tab(app(scenario="open-model-goes-closed", paths="1000"), "Stress tests")
    headers = {c for t in at.table for c in [*t.value.columns, t.value.index.name]}
    assert {"NPV impact ($)", "Impact (% of base)", "Base NPV ($)", "Stressed NPV ($)", "Why",
            "Strategy"} == headers
    import json

    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    # A stress is evaluated on nominal inputs: its chart says so, as the monthly cost chart does.
    assert titles and all(t.endswith("NPV impact per strategy (deterministic: nominal inputs)")
                          for t in titles)


def test_the_monthly_cost_chart_says_it_is_deterministic() -> None:
    """The page's monthly bars are the nominal run's, the deck's the mean of the paths: each title
    says which, so one title never covers two different charts."""
    import json

    at = open_tab(app(scenario="open-model-goes-closed", paths="1000"), "Costs")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert "Monthly cost by line: api-only (deterministic: nominal inputs, no vendor events)" in titles
    assert "Cumulative cost, deterministic (undiscounted)" in titles


def test_wide_tables_wrap_instead_of_clipping() -> None:
    """The tables whose last columns a grid clipped at 1280 px are static tables, which wrap: the
    Overview's full numbers (strategies as columns, measures as rows, every measure there), the
    break-even and the fleet tables with their 'Reading' and 'Regime'."""
    path = ROOT / "scenarios" / "open-model-goes-closed.yaml"
    at = app(scenario=path.stem, paths="1000")
    (full,) = [t.value for t in at.table if t.value.index.name == "Measure"]
    (taxed,) = [t.value for t in at.table if t.value.index.name == "Strategy"]  # the after-tax view
    assert list(taxed.columns)[-1] == "Deterministic NPV after tax ($)"
    summary = tco.simulate(tco.load_scenario(path), paths=1000, seed=7).summary()
    assert list(full.columns) == list(summary.index)
    assert full.loc["Expected NPV ($)"].tolist() == [usd(v) for v in summary["mean"]]
    kinds = {f"events_{r.kind}" for r in tco.load_scenario(path).risks}
    shown = [c for c in summary.columns if not c.startswith("events_") or c in kinds]
    assert len(full) == len(shown) < len(summary.columns)  # no row for kinds it has no risk of
    assert full.loc["P(cheapest) (% of paths)"].tolist() == [pct(v) for v in summary["p_cheapest"]]
    # Every measure names its unit: money in $, shares in % of paths, events per path.
    assert all(m.endswith(("($)", "(% of paths)", "events per path (mean)")) for m in full.index)
    assert full.loc["Licence change: events per path (mean)"].tolist() == [
        f"{v:.2f}" for v in summary["events_licence_change"]]
    open_tab(at, "Costs")
    columns = {c for t in at.table for c in t.value.columns}
    assert {"Reading", "Regime", "Break-even volume (requests per month)"} <= columns


def test_history_events_wrap_with_their_note_and_source() -> None:
    """The History tab's events were a grid whose Note and Source columns were cut off at 1280 px:
    they are a static table now (its cells wrap), every column there, the source a link named by
    its site, the note whole."""
    at = press(open_tab(app(scenario="open-model-goes-closed", paths="500"), "History"), "history_run")
    assert not at.exception and not at.error
    (events,) = [t.value for t in at.table if "Note" in t.value.columns]
    assert list(events.columns) == ["Date", "Option", "Event", "Size", "What happened", "Applied",
                                    "Note", "Source"]
    assert len(events) and events["Source"].str.fullmatch(r"\[[^\]]+\]\(https?://[^ ()]+\)").all()
    assert not [d for d in at.dataframe if "Note" in d.value.columns]  # no clipping grid left


def test_history_opens_on_its_window_and_a_button_then_keeps_the_replay() -> None:
    """The first visit replays nothing (the replay and calibration cost 6 s of CPU): the window,
    which history each option follows, the options with none named as a reader knows them (the
    catalog's model name, not its key), and a button saying what it runs. Once pressed, the replay
    stays while the scenario and the window do."""
    from tco.option_labels import option_label
    from tco.ui.history_tab import RUN_LABEL

    at = open_tab(app(scenario="api-price-shock", paths="500", seed="4"), "History")
    assert not at.exception and not at.error
    assert not at.get("plotly_chart") and not at.table
    assert at.button(key="history_run").label == RUN_LABEL
    sc = tco.load_scenario(ROOT / "scenarios" / "api-price-shock.yaml")
    named = ", ".join(f"{n} ({option_label(sc, n)})" for n in ("gemini", "gpt"))
    assert "google/gemini" not in named and "Gemini" in named
    line = next(c.value for c in at.caption if c.value.startswith("Histories replayed: "))
    assert f"No history to replay for {named}: " in line.replace("\\", "")
    # The Qwen options follow their family, named as a reader knows it, not by the ledger's key.
    assert "the Qwen family (Alibaba)" in line and "alibaba/" not in line
    assert any(c.value.startswith("The button replays the ledger's dated events") for c in at.caption)
    press(at, "history_run")
    assert not at.exception and not at.error and len(at.get("plotly_chart")) == 1
    open_tab(open_tab(at, "Overview"), "History")
    assert len(at.get("plotly_chart")) == 1, "the replay stays while nothing changed"
    at.selectbox(key="history_from").select("2024-01").run()
    assert not at.get("plotly_chart"), "a new window waits for the button"


def test_events_table_cells_are_markdown_that_shows_the_ledger_text() -> None:
    """A source becomes '[site](address)'; text that Markdown would read (an asterisk, a leading
    dash) is escaped, and a long note is kept whole."""
    import pandas as pd

    from tco.ui.history_tab import EVENT_COLUMNS, events_table

    note = "price cut by 50% * on cached input; " * 12
    events = pd.DataFrame([{"date": "2024-05-13", "option": "api", "event": "Price change", "size": "-50%",
                            "detail": "gpt-4o launch", "applied": "yes", "note": note,
                            "source": "https://www.openai.com/api/pricing (archived)"}])
    shown = events_table(events).iloc[0]
    assert list(shown.index) == list(EVENT_COLUMNS.values())
    assert shown["Source"] == "[openai.com](https://www.openai.com/api/pricing%20%28archived%29)"
    assert shown["Size"] == "\\-50%" and shown["Note"] == note.replace("*", "\\*")
    assert events_table(events.assign(source="ledger row 12"))["Source"].iloc[0] == "ledger row 12"
    # A ledger key reads as the model and its vendor, as the History caption names them.
    keyed = events.assign(detail="anthropic/claude-sonnet-4-6 list price")
    assert events_table(keyed)["What happened"].iloc[0] == "claude-sonnet-4-6 (Anthropic) list price"


def test_the_assumptions_numbers_have_thousands_separators_and_read_back_exactly() -> None:
    """The editable columns show 20,000,000, not 20000000 or 2e+07: the grid's format groups
    thousands at the 12 significant digits an edit keeps. Python's ',.12g' writes what that format
    writes for these values, and every shown number reads back to the stored cell exactly."""
    from tco.ui.edits import COLUMNS, table
    from tco.ui.tabs import EDITABLE_FORMAT

    at = open_tab(app(scenario="open-model-goes-closed", paths="500"), "Assumptions")
    (editor,) = [d for d in at.dataframe if "nominal" in d.value.columns]
    config = json.loads(editor.proto.columns)
    assert {config[c]["type_config"]["format"] for c in COLUMNS} == {EDITABLE_FORMAT} == {"%,.12g"}
    # Input to As of fit a 1280 px window's main column (the rest scrolls, the input's name pinned).
    from tco.ui.tabs import ASSUMPTION_COLUMNS, MAIN_PX_AT_1280

    first = ASSUMPTION_COLUMNS[:ASSUMPTION_COLUMNS.index("value") + 1]
    assert first == ["label", "low", "nominal", "high", "unit", "as_of", "value"]
    assert sum(config[c]["width"] for c in first) <= MAIN_PX_AT_1280 and config["label"]["pinned"]
    # The source is not a grid column (a cell clipped it); the wrapping table under the grid holds
    # every source whole, once, with the inputs it gives.
    assert "source" not in ASSUMPTION_COLUMNS
    (sources,) = [t.value for t in at.table if "Source" in t.value.columns]
    frame_sources = table(tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml"))
    from tco.options.table import DEFAULT_SOURCE

    order = list(dict.fromkeys(frame_sources["source"]))
    assert list(sources["Source"]) == [s for s in order if s != DEFAULT_SOURCE] + [DEFAULT_SOURCE]
    # Rows taller than 4rem, the height from which the grid wraps a cell instead of cutting it.
    from tco.ui.tabs import GRID_ROW_PX

    assert editor.proto.row_height == GRID_ROW_PX > 64
    assert sorted("; ".join(sources.index).split("; ")) == sorted(frame_sources["label"])
    frame = table(tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml"))
    cells = [v for c in COLUMNS for v in frame[c].dropna()]
    shown = {v: f"{v:,.12g}" for v in cells}
    assert shown[20_000_000.0] == "20,000,000"
    assert all(float(text.replace(",", "")) == v for v, text in shown.items())


def test_the_assumptions_table_shows_fractions_in_percent_in_every_editable_column() -> None:
    """Growth is triangular(0, 0.03, 0.08) a month in the file: the table reads 0, 3 and 8 in its
    low, value and high columns with the unit '% per month', as the sidebar's slider does; a
    dollar figure keeps its own unit and number."""
    from tco.ui.edits import table

    base = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    frame = table(base).set_index("input")
    growth = frame.loc["workload.growth_per_month"]
    assert (growth["low"], growth["nominal"], growth["high"], growth["unit"]) == (0.0, 3.0, 8.0,
                                                                                 "% per month")
    cached = frame.loc["workload.cached_input_share"]
    assert (cached["nominal"], cached["unit"]) == (30.0, "%")
    assert frame.loc["discount_rate_per_year", "unit"] == "% per year"
    fte = frame.loc["options.llama-70b.usd_per_fte_year"]
    assert (fte["nominal"], fte["unit"]) == (220_000, "$ per FTE-year")
    assert not frame["unit"].str.startswith(("fraction", "probability")).any()


def test_an_out_of_range_link_value_shows_the_rule_and_leaves_the_numbers() -> None:
    plain = kpis(app(scenario="open-model-goes-closed", paths="1000"))
    at = app(scenario="open-model-goes-closed", paths="1000", **{"workload.cached_input_share": "1.5",
                                                                 "workload.growth_per_month":
                                                                     "triangular:0.05,0.01,0.02"})
    messages = [w.value for w in at.warning if w.value not in story_warnings("open-model-goes-closed")]
    assert len(messages) == 2
    assert messages[0] == ("Ignored link parameter workload.cached_input_share='1.5': must be between "
                           "0 and 1")
    assert messages[1].startswith("Ignored link parameter workload.growth_per_month='triangular:")
    assert kpis(at) == plain
    assert set(at.query_params) == {"scenario", "paths", "seed"}


def test_an_unknown_link_key_is_reported() -> None:
    at = app(scenario="open-model-goes-closed", paths="1000", **{"options.nope.ops_fte": "2"})
    assert [w.value for w in at.warning] == [
        "Ignored link parameter options.nope.ops_fte: not an input of this scenario",
        *story_warnings("open-model-goes-closed")]


def test_embed_mode_shows_results_without_the_sidebar() -> None:
    at = app(scenario="open-model-goes-closed", paths="1000", embedded=True,
             **{"workload.growth_per_month": "0.05"})
    assert not at.exception
    assert len(at.sidebar.children) == 0
    assert not at.get("file_uploader") and not at.slider
    assert [t.label for t in at.tabs] == ["Overview", "Costs", "Risk", "Sensitivity", "Stress tests",
                                          "History"]
    base = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    table = tco.simulate(apply_nominal(base, {"workload.growth_per_month": 0.05}), paths=1000,
                         seed=7).summary()
    assert kpis(at) == expected_kpis(table)


def test_compare_view_differences_equal_two_independent_runs() -> None:
    import numpy as np

    at = open_tab(app(scenario="open-model-goes-closed", paths="1000", seed="3",
                      **{"workload.growth_per_month": "0.05"}), "Compare")
    shown = at.dataframe[0].value
    base = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    a = tco.simulate(base, paths=1000, seed=3)
    b = tco.simulate(apply_nominal(base, {"workload.growth_per_month": 0.05}), paths=1000, seed=3)
    for s_i, name in enumerate(a.strategies):
        row = shown[shown["Strategy"] == name].iloc[0]
        diff = b.npv_usd[:, s_i] - a.npv_usd[:, s_i]  # paired: the same uncertain inputs and risks
        assert row["Expected A ($)"] == usd(a.npv_usd[:, s_i].mean())
        assert row["Expected B ($)"] == usd(b.npv_usd[:, s_i].mean())
        assert row["B - A ($)"] == ("+" if diff.mean() > 0 else "-") + usd(abs(diff.mean()))
        assert row["Std error ($)"] == usd(diff.std(ddof=1) / np.sqrt(diff.size))
        assert row["P95 B ($)"] == usd(np.percentile(b.npv_usd[:, s_i], 95))
    (differ,) = [t.value for t in at.table if t.value.index.name == "Input"]  # wraps: a static table
    assert list(differ.index) == ["Traffic growth"]
    # Two shipped scenarios: independent runs, standard errors combined.
    at.selectbox(key="compare_b").select("Closed-API price shock and forced deprecation").run()
    assert any("independent" in c.value for c in at.caption)


def test_costs_tab_draws_each_self_hosted_option_s_throughput_latency_chart() -> None:
    """startup-api-cheaper self-hosts Llama 3.1 8B: its Costs tab shows the throughput-latency
    chart (model curve and chosen point) and the benchmark upload beside it."""
    at = open_tab(app(scenario="startup-api-cheaper"), "Costs")
    assert not at.exception and not at.error
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    chart = next(spec for spec in specs if "Throughput and speed per user: llama-8b" in spec)
    assert "chosen operating point" in chart and "capacity model" in chart


def _capacity_panel_page() -> None:
    import tco
    from tco.ui import capacity_panel

    loaded = tco.load_scenario("scenarios/startup-api-cheaper.yaml")
    capacity_panel.panel("llama-8b", loaded.inputs.plans["llama-8b"], loaded.workload)


def test_capacity_panel_alone() -> None:
    """The panel by itself: the chart of the option's replica and the upload, no error."""
    at = AppTest.from_function(_capacity_panel_page, default_timeout=60).run()
    assert not at.exception and not at.error
    (chart,) = at.get("plotly_chart")
    assert "Throughput and speed per user: llama-8b" in chart.proto.spec
    assert len(at.get("file_uploader")) == 1


def test_capacity_panel_shows_an_uploaded_run_before_and_after() -> None:
    """An uploaded vllm bench serve result of the option's model at its request shape: the runs
    table (before and after), no error, and the run on the chart beside the model's curve."""
    run = {"date": "20261205-000000", "backend": "vllm", "model_id": "meta-llama/Llama-3.1-8B-Instruct",
           "num_prompts": 100, "completed": 100, "failed": 0, "mean_ttft_ms": 50.0,
           "total_input_tokens": 120000, "total_output_tokens": 30000, "output_throughput": 3000.0,
           "mean_tpot_ms": 20.0}
    at = AppTest.from_function(_capacity_panel_page, default_timeout=60).run()
    (upload,) = at.get("file_uploader")
    at.file_uploader(key=upload.key).set_value(("run.json", json.dumps(run).encode(), "application/json"))
    at.run()
    assert not at.exception and not at.error
    assert len(at.dataframe) == 1
    (chart,) = at.get("plotly_chart")
    assert "your runs" in chart.proto.spec and "capacity model" in chart.proto.spec


def test_compare_opens_on_the_edits_and_otherwise_asks() -> None:
    """Without edits the Compare tab compares nothing until a scenario is chosen; it never opens
    on two unrelated scenarios."""
    at = open_tab(app(scenario="open-model-goes-closed", paths="1000"), "Compare")
    assert not at.exception and not at.dataframe
    assert any("Choose a scenario to compare with" in i.value for i in at.info)
    assert at.selectbox(key="compare_b").value is None
