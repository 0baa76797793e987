"""The deck draws the page's figure specs as native charts, in the page's colours and labels."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from pptx import Presentation
from pptx.util import Inches, Pt

import tco
from tco import lines
from tco.deck import backup_title, build_deck, figure_specs
from tco.distributions import nominal
from tco.figures import capacity as capacity_figures
from tco.figures import data
from tco.figures.pptx import add_chart, deck_title
from tco.figures.spec import ROLES, strategy_colours
from tco.glossary import as_percent, describe
from tco.report import assumptions
from tests.conftest import ROOT, build
from tests.test_figures import DOTTED, mixed

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@pytest.fixture(scope="module", params=["mixed", "open-model-goes-closed"])
def built(request):
    sc = mixed() if request.param == "mixed" else tco.load_scenario(
        ROOT / "scenarios" / f"{request.param}.yaml")
    result = tco.simulate(sc, paths=400, seed=9)
    return sc, result, Presentation(io.BytesIO(build_deck(sc, result)))


def _charts(prs):
    return [shape.chart for slide in prs.slides for shape in slide.shapes if shape.has_chart]


def _series_colours(chart) -> list[tuple[str, str]]:
    """(series name, colour) for every series of a chart, read from its XML: a bar's fill, a
    line's stroke or a marker-only series' marker fill."""
    out = []
    for ser in chart._chartSpace.iter(f"{C}ser"):
        name = ser.find(f"{C}tx").findtext(f".//{C}v")
        fill = (ser.find(f"{C}spPr/{A}solidFill/{A}srgbClr")
                if ser.find(f"{C}spPr/{A}solidFill") is not None
                else ser.find(f"{C}spPr/{A}ln/{A}solidFill/{A}srgbClr"))
        if fill is None:
            fill = ser.find(f"{C}marker/{C}spPr/{A}solidFill/{A}srgbClr")
        out.append((name, "#" + fill.get("val")))
    return out


def test_deck_has_one_native_chart_per_figure_spec_and_the_bridge(built) -> None:
    sc, result, prs = built
    charts = _charts(prs)
    specs = figure_specs(sc, result)
    titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    assert "Expected NPV and the bad tail" in titles  # the NPV chart, beside the tail
    assert all(deck_title(spec) in titles or backup_title(deck_title(spec)) in titles for spec in specs
               if spec.name != "npv_summary")
    kinds = {str(c.chart_type).split(" ")[0] for c in charts}
    assert {"COLUMN_CLUSTERED", "COLUMN_STACKED", "BAR_CLUSTERED"} <= kinds
    assert any(k.startswith("XY_SCATTER") for k in kinds)
    assert all(c.has_legend for c in charts[1:]), "every spec chart has a legend (the bridge needs none)"


def test_strategy_series_take_their_palette_colour(built) -> None:
    _, result, prs = built
    palette = strategy_colours(result.strategies)
    line_colours = {line.label: line.colour for line in lines.LINES}
    seen = set()
    for chart in _charts(prs)[1:]:  # the bridge's invisible base has no colour to check
        for name, colour in _series_colours(chart):
            if name in palette:
                assert colour == palette[name], (name, colour)
                seen.add(name)
            elif name in line_colours:
                assert colour == line_colours[name], (name, colour)
            elif name.rsplit(" ", 1)[0] in palette:  # the fan's P5 and P95 edges
                assert colour == palette[name.rsplit(" ", 1)[0]], (name, colour)
    assert seen == set(result.strategies)


def test_npv_chart_holds_the_simulated_means_and_marks_the_deterministic_npv(built) -> None:
    _, result, prs = built
    chart = _charts(prs)[1]  # after the bridge
    means = result.npv_usd.mean(axis=0)
    bars = {s.name: [v for v in s.values if v is not None] for s in chart.plots[0].series}
    assert {k: v[0] for k, v in bars.items()} == pytest.approx(dict(zip(result.strategies, means,
                                                                        strict=True)))
    marker = chart._chartSpace.find(f".//{C}lineChart/{C}ser")
    assert marker.findtext(f"{C}tx//{C}v") == "Deterministic NPV"
    assert marker.find(f"{C}marker/{C}spPr/{A}solidFill/{A}srgbClr").get("val") == (
        ROLES["deterministic"].lstrip("#"))
    plus = [float(v.text) for v in chart._chartSpace.find(f".//{C}errBars/{C}plus").iter(f"{C}v")]
    first = plus[result.strategies.index(chart.plots[0].series[0].name)]
    assert first == pytest.approx(float(result.summary()["p95"].iloc[0] - means[0]))


def test_npv_values_read_under_the_strategy_names_clear_of_whiskers_and_diamonds(built) -> None:
    """The NPV chart's expected values sat inside each bar's base, where the deterministic NPV's
    diamond covered them on a small bar (and at the bar's end they meet the P95 whisker). Each
    value now reads on its own line under the strategy's name, and no bar carries a label."""
    from tco.format import usd

    _, result, prs = built
    chart = _charts(prs)[1]
    means = dict(zip(result.strategies, result.npv_usd.mean(axis=0), strict=True))
    assert list(chart.plots[0].categories) == [f"{s}\n{usd(means[s])}" for s in result.strategies]
    bars = chart._chartSpace.find(f".//{C}barChart")
    assert [t.text for t in bars.iter(f"{C}dLbl") for t in t.iter(f"{A}t")] == []


def test_tornado_shows_glossary_labels(built) -> None:
    sc, _, prs = built
    tornado_chart = next(c for c in _charts(prs) if str(c.chart_type).startswith("BAR_CLUSTERED"))
    labels = list(tornado_chart.plots[0].categories)
    assert labels and not any(DOTTED.search(label) for label in labels)
    paths = {describe(p, sc).label for p in assumptions(sc)["input"]}
    assert set(labels) <= paths


def test_appendix_labels_full_sources_and_readable_type(built) -> None:
    sc, _, prs = built
    frame = assumptions(sc)
    appendix = [s for s in prs.slides if s.shapes.title is not None
                and s.shapes.title.text.startswith("Backup: assumptions")]
    cells = [(cell, shape) for slide in appendix for shape in slide.shapes if shape.has_table
             for row in shape.table.rows for cell in row.cells]
    texts = {cell.text for cell, _ in cells}
    assert set(frame["source"]) <= texts, "sources appear in full, never cut"
    named = {label for text in texts for label in text.split("; ")}
    assert set(frame["label"]) <= named and not set(frame["input"]) & named, "labels, never paths"
    # Inputs left at their defaults share a row per value and unit; every other input has its own.
    from tco.options.table import DEFAULT_SOURCE

    default = frame["source"] == DEFAULT_SOURCE
    assert set(frame.loc[~default, "label"]) <= texts
    shared = [[c.text for c in row.cells] for slide in appendix for shape in slide.shapes
              if shape.has_table for row in list(shape.table.rows)[1:]
              if row.cells[3].text == DEFAULT_SOURCE]
    assert len(shared) == len(set(zip(frame.loc[default, "value"], frame.loc[default, "unit"].map(
        as_percent), strict=True)))
    assert sum(len(r[0].split("; ")) for r in shared) == int(default.sum())
    sizes = {run.font.size for cell, _ in cells for para in cell.text_frame.paragraphs
             for run in para.runs}
    assert min(sizes) >= Pt(10)
    for slide in appendix:
        table = next(shape for shape in slide.shapes if shape.has_table)
        assert table.top + sum(row.height for row in table.table.rows) <= prs.slide_height
    # A value written '20%' sits beside the unit '%', never 'fraction 0-1'.
    rows = [[c.text for c in row.cells] for slide in appendix for shape in slide.shapes
            if shape.has_table for row in list(shape.table.rows)[1:]]
    growth = next(r for r in rows if "Traffic growth" in r[0].split("; "))
    assert growth[2] == "% per month" and "%" in growth[1]
    assert not [r for r in rows if r[2].startswith(("fraction", "probability"))]


def test_an_empty_figure_becomes_a_sentence_not_a_broken_chart() -> None:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    assert add_chart(slide, data.fleet(tco.evaluate(mixed())), 0, 0, Inches(8), Inches(5)) is not None
    assert add_chart(slide, data.fleet(tco.evaluate(build())), 0, 0, Inches(8), Inches(5)) is None
    assert slide.shapes[-1].text_frame.text == "Nothing to show. No strategy runs a self-hosted option."


def test_the_deck_tells_the_story_a_board_reads(output_dir) -> None:
    """The decision and the bridge first, one tornado, the named stresses with what happens, the
    strategies in words and the checks in the backup, and provenance in every slide's notes."""
    import tco
    from tco.deck import build_deck
    from tco.export import scenario_hash
    from tests.conftest import ROOT

    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    result = tco.simulate(sc, paths=500, seed=3)
    prs = Presentation(io.BytesIO(build_deck(sc, result)))
    titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    best = result.summary()["mean"].idxmin()
    assert titles[1:3] == [f"Decision: {best}", f"From nominal to expected NPV: {best}"]
    assert "Backup: the strategies compared" in titles
    assert sum(t.startswith("What moves the answer") for t in titles) == 1
    assert "Stresses: one forced event each, on nominal inputs" in titles
    assert "Backup: before relying on these numbers" in titles
    summary = " ".join(shape.text_frame.text for shape in prs.slides[1].shapes if shape.has_text_frame)
    best = result.summary()["mean"].idxmin()
    assert summary.count("\u2022") == 4 and f"Choose {best}" in summary and "The ask: " in summary
    row = result.summary().loc[best]
    # The ask names the expected figure and then the tail figure with its definition.
    assert (f"an expected {tco.format.usd(row['mean'])} in present value, and "
            f"{tco.format.usd(row['cvar95'])} in the bad tail (the average of the worst 5%") in summary
    digest = scenario_hash(sc)
    assert all(digest in s.notes_slide.notes_text_frame.text for s in prs.slides)
    npv = next(s for s in prs.slides if s.shapes.title is not None
               and s.shapes.title.text == "Expected NPV and the bad tail")
    words = " ".join(shape.text_frame.text for shape in npv.shapes if shape.has_text_frame)
    assert "Whiskers: P5 to P95" in words and "Diamonds: deterministic NPV" in words  # as the page says


def test_backup_has_each_self_hosted_options_throughput_latency_chart(built) -> None:
    """One backup slide per self-hosted option with the Costs tab's chart: the model's curve and
    the chosen operating point, whose tokens/s per GPU is the plan's own (what the costs use)."""
    sc, _, prs = built
    plans = sc.inputs.plans
    assert plans, "both decks have a self-hosted option with a capacity plan"
    by_title = {s.shapes.title.text: s for s in prs.slides if s.shapes.title is not None}
    for name, plan in plans.items():
        spec = capacity_figures.option_chart(name, plan, float(nominal(sc.workload.input_tokens_per_request)),
                                             float(nominal(sc.workload.output_tokens_per_request)))
        page = by_title[backup_title(spec.title)]
        chart = next(shape.chart for shape in page.shapes if shape.has_chart)
        assert str(chart.chart_type).startswith("XY_SCATTER")
        series = {s.name: s for plot in chart.plots for s in plot.series}
        assert {capacity_figures.MODEL_CURVE, capacity_figures.CHOSEN} <= set(series)
        assert next(iter(series[capacity_figures.CHOSEN].values)) == pytest.approx(
            plan.output_tokens_per_s_per_gpu, rel=1e-9)


@pytest.mark.parametrize(("largest", "expected"), [
    (940_000.0, '"$"#,##0.0,,"M"'),   # a $1.0M top tick: never '$1,000k'
    (-1_020_000.0, '"$"#,##0.0,,"M"'),  # a tornado's widest bar to the left
    (400_000.0, '"$"#,##0,"k"'),       # top tick $500k: thousands read best
    (50_000.0, '"$"#,##0,"k"'),
    (5_000.0, '"$"#,##0'),             # '$6,000', not '$6k' with ticks of '$1k'
    (3_000_000.0, '"$"#,##0,,"M"'),    # steps of $1M need no decimal
    (2.5e8, '"$"#,##0,,"M"'),
])
def test_a_money_axis_takes_the_unit_of_its_top_tick(largest, expected) -> None:
    """The unit is the top tick's and the decimals are the step's: 940k x 1.05 head room = 987k,
    in about six steps of 164.5k rounded to 200k, tops out at $1.0M, which a thousands format
    would write '$1,000k'; 400k x 1.05 = 420k in steps of 100k tops out at 500k, thousands."""
    from tco.figures.spec import Axis
    from tco.figures.ticks import linear_scale, number_format

    assert number_format(Axis("NPV ($)", "usd"), [0.0, largest]).split(";")[0] == expected
    if largest == 940_000.0:
        assert linear_scale([0.0, largest]) == pytest.approx((0.0, 1_000_000.0, 200_000.0))
    if largest < 0:
        assert linear_scale([0.0, largest]) == pytest.approx((-1_200_000.0, 0.0, 200_000.0))


@pytest.mark.parametrize(("values", "across", "expected"), [
    ([515_600.0, 520_400.0], True, (515_000.0, 521_000.0, 1_000.0)),
    ([515_600.0, 520_400.0], False, (510_000.0, 550_000.0, 10_000.0)),
    ([0.0, 1_000_000.0], True, (0.0, 1_200_000.0, 200_000.0)),
])
def test_an_xy_charts_horizontal_axis_has_room_for_its_span(values, across, expected) -> None:
    """The horizontal axis of an XY chart gets 5% of the data's span past its largest value, not
    5% of the value: CVaR95 between 515.6k and 520.4k (the startup story's Decide slide): room
    240 -> 520.64k, span 5,040 / 6 = 840, step 1k -> 515k..521k; the vertical axis's rule, 520.4k
    x 1.05 = 546.4k, 30.8k / 6 = 5.1k, step 10k -> 510k..550k, had the points in its first eighth.
    From 0 both rules agree: 0..1M -> 1.05M, step 200k -> 0..1.2M."""
    from tco.figures.ticks import linear_scale

    assert linear_scale(values, from_zero=False, across=across) == pytest.approx(expected)


def excel_text(number_format: str, value: float) -> str:
    """What Excel (and LibreOffice) write for ``value`` under the formats the deck's linear axes use:
    sections positive;negative;zero, '#,##0' with optional decimals, each trailing comma dividing
    by 1,000, quoted literals kept. An independent reading of the format, for the tests."""
    import re

    sections = number_format.split(";")
    section = (sections[2] if value == 0 and len(sections) > 2
               else sections[1] if value < 0 and len(sections) > 1 else sections[0])
    magnitude = abs(value) if value < 0 and len(sections) > 1 else value
    bare = re.sub(r'"[^"]*"', "", section)
    body = re.search(r"[#0,]*0(\.0+)?,*", bare).group(0)
    decimals = len(body.split(".")[1].rstrip(",")) if "." in body else 0
    scaled = magnitude / 1000 ** (len(body) - len(body.rstrip(",")))
    number = f"{scaled:,.{decimals}f}" if "#,##0" in body else f"{scaled:.{decimals}f}"
    out, rest = "", section
    for literal, code in re.findall(r'"([^"]*)"|([^"]+)', rest):
        out += literal if literal else (number if re.search(r"0", code) else code)
    return out


@pytest.mark.parametrize(("values", "ticks"), [
    ([-1_020_000.0, 0.0, 300_000.0], {-1_200_000.0: "-$1.2M", -200_000.0: "-$0.2M", 0.0: "$0",
                                       200_000.0: "$0.2M"}),   # a tornado: zero mid-axis
    ([0.0, 3_000_000.0], {0.0: "$0", 1_000_000.0: "$1M", 3_000_000.0: "$3M"}),
    ([0.0, 50_000.0], {0.0: "$0", 10_000.0: "$10k", 50_000.0: "$50k"}),
    ([0.0, 5_000.0], {0.0: "$0", 1_000.0: "$1,000", 6_000.0: "$6,000"}),
])
def test_the_zero_tick_reads_zero_without_a_unit(values, ticks) -> None:
    """The tornado slide's middle tick read '$0M': zero now reads '$0' on every linear money axis,
    and the other ticks keep their unit, decimals and sign (read by ``excel_text``, which applies
    the format as Excel does)."""
    from tco.figures.spec import Axis
    from tco.figures.ticks import number_format

    fmt = number_format(Axis("NPV change ($)", "usd"), values)
    assert {v: excel_text(fmt, v) for v in ticks} == ticks
    assert excel_text(number_format(Axis("Requests", "count"), [0.0, 3e7]), 0.0) == "0"


@pytest.mark.parametrize(("log", "values", "expected"), [
    (True, [28.0, 740.0, 9_900.0], "#,##0"),   # the throughput chart: 10 to 10,000 tokens/s per GPU
    (True, [0.4, 12.0], "General"),            # a decade below 1 has no whole ticks
    (False, [0.0, 2.6], "General"),            # events per path
    (False, [0.0, 48_000.0], "#,##0"),
])
def test_a_plain_number_axis_separates_thousands(log, values, expected) -> None:
    """The deck's throughput-latency chart read '10000' and '1000' on its GPU axis ('General');
    the page writes '10,000'. Whole-number ticks now take separators."""
    from tco.figures.spec import Axis
    from tco.figures.ticks import number_format

    assert number_format(Axis("Output tokens per second per GPU", "number", log=log),
                         np.array(values)) == expected


def test_the_deck_sets_the_ticks_its_format_was_chosen_for() -> None:
    """A money bar chart's value axis carries the scale of ``linear_scale``, so no renderer can pick
    ticks the format was not made for."""
    from tco.figures.ticks import linear_scale, value_extent

    result = tco.simulate(mixed(), paths=200, seed=3)
    prs = Presentation()
    spec = data.regret(result)
    chart = add_chart(prs.slides.add_slide(prs.slide_layouts[6]), spec, 0, 0, Inches(8), Inches(5))
    axis = chart.value_axis
    assert (axis.minimum_scale, axis.maximum_scale, axis.major_unit) == linear_scale(value_extent(spec))


def test_a_stacked_money_axis_is_scaled_on_the_stack_totals() -> None:
    """Monthly cost lines of $600k and $400k stack to $1.0M: the axis unit is millions, though no
    single line reaches one."""
    import pandas as pd

    from tco.figures.spec import Axis, FigureSpec, Style
    from tco.figures.ticks import number_format, value_extent

    frame = pd.DataFrame({"series": ["rent", "rent", "staff", "staff"], "x": [0, 1, 0, 1],
                          "y": [600_000.0, 500_000.0, 400_000.0, 300_000.0]})
    spec = FigureSpec("lines", "stacked_bar", "t", Axis("Month", "month"), Axis("Cost ($)", "usd"),
                      frame, {"rent": Style("#000000"), "staff": Style("#111111")})
    assert sorted(value_extent(spec)) == [0.0, 0.0, 800_000.0, 1_000_000.0]
    assert number_format(spec.y, value_extent(spec)).split(";")[0] == '"$"#,##0.0,,"M"'


def test_the_fan_slide_promises_only_what_the_deck_draws() -> None:
    """The deck draws a fan as its median and dashed P5 and P95 lines: its title and caption name
    those, and never the page's shaded P25-P75 band as if it were on the slide."""
    from tco.figures.pptx import caption

    spec = data.fan_chart(tco.simulate(mixed(), paths=200, seed=3))
    assert "P25-P75" in spec.title  # the page's figure shades it
    assert deck_title(spec) == "Cumulative cost: median, P5 and P95"
    assert caption(spec).startswith("Solid: median. Dashed: P5 and P95")
    assert "Bands:" not in caption(spec)


def test_a_stress_impact_keeps_its_sign_with_its_number() -> None:
    """The flagship's 'API vendor exits in month 6' cuts api-only by $4.47M (-61%): in a narrow
    column LibreOffice broke it as '-$4.47M (-' / '61%)'. The share now has its own line, so no
    line of a cell ends in a sign or an opening bracket. A rise carries its '+' as a fall its '-'."""
    import tco
    from tco import slides
    from tco.deck import _stresses
    from tests.conftest import ROOT

    sc = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    prs = slides.new_deck()
    _stresses(prs, sc)
    cells = [cell.text for slide in prs.slides for shape in slide.shapes if shape.has_table
             for row in list(shape.table.rows)[1:] for cell in list(row.cells)[2:]]
    assert cells and all(re.fullmatch(r"[-+]?\$[\d.,]+[kM]?(\n\([-+]?\d+%\))?", c) for c in cells), cells
    assert any(c.startswith("-$") and "\n(-" in c for c in cells)
    assert any(c.startswith("+$") and "\n(+" in c for c in cells)
