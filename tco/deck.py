"""An editable 16:9 PowerPoint deck with native charts (python-pptx), built as bytes."""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.util import Emu, Inches, Pt

from tco import prices
from tco.charts import PALETTE, strategy_colours
from tco.export import provenance
from tco.format import pct, usd
from tco.report import assumptions, verdict
from tco.scenario import Scenario
from tco.sensitivity import tornado
from tco.simulate import SimulationResult

SLIDE_W, SLIDE_H = Emu(12_192_000), Emu(6_858_000)  # 13.333 x 7.5 in, PowerPoint's 16:9
MARGIN = Inches(0.6)
ASSUMPTION_ROWS_PER_SLIDE = 14
TITLE_COLOUR = RGBColor(0x1F, 0x2A, 0x44)


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


def _slide(prs: Presentation, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    shape = slide.shapes.title
    # The default template is 4:3; move the title box to the 16:9 width.
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.3), SLIDE_W - 2 * MARGIN, Inches(0.9)
    shape.text = title
    para = shape.text_frame.paragraphs[0]
    para.font.size, para.font.bold, para.font.color.rgb = Pt(30), True, TITLE_COLOUR
    return slide


def _text(slide, text: str, top: Emu, height: Emu, size: int = 18) -> None:
    box = slide.shapes.add_textbox(MARGIN, top, SLIDE_W - 2 * MARGIN, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = line
        para.font.size = Pt(size)


def _table(slide, rows: list[list[str]], top: Emu, widths: list[float], size: int = 12) -> None:
    shape = slide.shapes.add_table(len(rows), len(rows[0]), MARGIN, top, SLIDE_W - 2 * MARGIN,
                                   Inches(0.4) * len(rows))
    table = shape.table
    total = sum(widths)
    for j, w in enumerate(widths):
        table.columns[j].width = int((SLIDE_W - 2 * MARGIN) * w / total)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.text = value
            for para in cell.text_frame.paragraphs:
                para.font.size = Pt(size)
                para.font.bold = i == 0


def _legend_below(chart) -> None:
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False


def _money_axis(chart, largest_usd: float) -> None:
    """Dollar ticks in millions, or thousands when the chart never reaches $1M (a startup's deck)."""
    axis = chart.value_axis
    axis.tick_labels.number_format = ('"$"#,##0.0,,"M"' if abs(largest_usd) >= 1e6
                                      else '"$"#,##0,"k"')
    axis.tick_labels.number_format_is_linked = False
    axis.has_major_gridlines = True


def build_deck(sc: Scenario, result: SimulationResult) -> bytes:
    """Title, verdict, cost over time, NPV per strategy, tornado, comparison table, assumptions."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    table = result.summary()
    colours = strategy_colours(result.strategies)
    info = provenance(result)

    slide = prs.slides.add_slide(prs.slide_layouts[0])
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, Inches(1.6), SLIDE_W - 2 * MARGIN, Inches(2.0)
    title.text = sc.name
    title.text_frame.paragraphs[0].font.color.rgb = TITLE_COLOUR
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top = MARGIN, Inches(4.0)
    subtitle.width, subtitle.height = SLIDE_W - 2 * MARGIN, Inches(1.8)
    subtitle.text = (f"Total cost of ownership and lock-in risk over {sc.horizon_months} months\n"
                     f"{result.paths:,} simulated paths, seed {result.seed}; API prices as of "
                     f"{prices.snapshot_as_of()}")

    slide = _slide(prs, "Verdict")
    _text(slide, verdict(result), Inches(1.4), Inches(3.0), 20)
    _text(slide, sc.description, Inches(4.6), Inches(2.2), 14)

    # Cost over time: mean cumulative cost per strategy (native line chart, editable data).
    slide = _slide(prs, "Cumulative cost over time (mean of simulated paths, undiscounted)")
    q = result.monthly_percentiles()
    data = CategoryChartData()
    data.categories = [f"M{m}" for m in range(sc.horizon_months)]
    for name in result.strategies:
        data.add_series(name, [round(v, 2) for v in q[q["strategy"] == name]["mean_cumulative_usd"]])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.LINE, MARGIN, Inches(1.3), SLIDE_W - 2 * MARGIN,
                                   Inches(5.8), data).chart
    _legend_below(chart)
    for series, name in zip(chart.series, result.strategies, strict=True):
        series.format.line.color.rgb = _rgb(colours[name])
        series.format.line.width = Pt(3)
        series.smooth = False
    _money_axis(chart, float(q["mean_cumulative_usd"].max()))

    slide = _slide(prs, "NPV of total cost per strategy")
    data = CategoryChartData()
    data.categories = result.strategies
    for key, label in (("p5", "P5"), ("mean", "Mean"), ("p95", "P95"), ("cvar95", "CVaR95")):
        data.add_series(label, [round(float(v), 2) for v in table[key]])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, MARGIN, Inches(1.3),
                                   SLIDE_W - 2 * MARGIN, Inches(5.8), data).chart
    _legend_below(chart)
    for k, series in enumerate(chart.series):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = _rgb(PALETTE[k])
    _money_axis(chart, float(table["cvar95"].max()))

    best = table["mean"].idxmin()
    frame = tornado(sc)
    rows = frame[frame["strategy"] == best].head(8)
    slide = _slide(prs, f"What moves {best}'s NPV most (tornado)")
    data = CategoryChartData()
    data.categories = [r.input for r in rows.itertuples()][::-1]
    base = float(rows["base_npv_usd"].iloc[0]) if len(rows) else 0.0
    data.add_series("Input at low value", [round(v - base, 2) for v in rows["npv_low_usd"]][::-1])
    data.add_series("Input at high value", [round(v - base, 2) for v in rows["npv_high_usd"]][::-1])
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, MARGIN, Inches(1.3),
                                   SLIDE_W - 2 * MARGIN, Inches(5.8), data).chart
    _legend_below(chart)
    chart.plots[0].overlap = 100
    for series, colour in zip(chart.series, ("#56B4E9", "#D55E00"), strict=True):
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = _rgb(colour)
    _money_axis(chart, float((rows[["npv_low_usd", "npv_high_usd"]] - base).abs().to_numpy().max())
                if len(rows) else 0.0)
    chart.category_axis.tick_labels.font.size = Pt(11)
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # labels left of the bars

    slide = _slide(prs, "Strategy comparison")
    header = ["Strategy", "Deterministic", "Mean", "P95", "CVaR95", "P(cheapest)", "Regret",
              "Lock-in premium"]
    body = [[name, usd(r["deterministic_npv"]), usd(r["mean"]), usd(r["p95"]), usd(r["cvar95"]),
             pct(r["p_cheapest"]), usd(r["expected_regret"]), usd(r["lock_in_premium"])]
            for name, r in table.iterrows()]
    _table(slide, [header, *body], Inches(1.4), [2.2, 1.3, 1.2, 1.2, 1.2, 1.2, 1.2, 1.5], 14)
    _text(slide, f"NPV at {pct(result.resolved.params['discount_rate_per_year'].nominal, 1)} a year "
          f"over {sc.horizon_months} months in {sc.currency}. Scenario SHA-256 "
          f"{info['scenario_sha256'][:16]}..., tco {info['tco_version']}, genai-prices "
          f"{info['genai_prices_version']}.", Inches(5.8), Inches(1.0), 12)

    frame = assumptions(sc)
    pages = max(1, -(-len(frame) // ASSUMPTION_ROWS_PER_SLIDE))
    for page in range(pages):
        chunk = frame.iloc[page * ASSUMPTION_ROWS_PER_SLIDE:(page + 1) * ASSUMPTION_ROWS_PER_SLIDE]
        slide = _slide(prs, f"Appendix: assumptions ({page + 1}/{pages})")
        rows = [["Input", "Value", "Unit", "Source", "As of"]] + [
            [r.input, r.value, r.unit, r.source[:110], r.as_of] for r in chunk.itertuples()]
        _table(slide, rows, Inches(1.2), [3.0, 1.8, 1.5, 5.0, 1.0], 9)

    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
