"""Draw a ``FigureSpec`` as a native, editable PowerPoint chart (python-pptx) for the deck.

The chart's data sheet holds the spec's numbers and each series takes the spec's colour, so the
deck shows the page's figures. Where PowerPoint has no native form, the nearest editable one
stands in: a fan's bands become dashed P5 and P95 lines, a violin becomes a histogram of paths, and
markers over bars become a marker-only line series in the same plot. ``caption`` says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from lxml import etree
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import (
    XL_CHART_TYPE,
    XL_LABEL_POSITION,
    XL_LEGEND_POSITION,
    XL_MARKER_STYLE,
    XL_TICK_LABEL_POSITION,
)
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.oxml.ns import qn
from pptx.util import Pt

import tco.calendar as calendar
from tco.figures.labels import DeckScale, deck_scale, deck_sides
from tco.figures.plotly import nice_step
from tco.figures.spec import ROLES, Axis, FigureSpec, Style
from tco.figures.ticks import linear_scale, number_format, value_extent

HISTOGRAM_BINS = 40
BAND_WIDTH_PT = 1.25
DASH = {"solid": MSO_LINE_DASH_STYLE.SOLID, "dash": MSO_LINE_DASH_STYLE.DASH,
        "dot": MSO_LINE_DASH_STYLE.ROUND_DOT, "dashdot": MSO_LINE_DASH_STYLE.DASH_DOT}
MARKER = {"diamond": XL_MARKER_STYLE.DIAMOND, "x": XL_MARKER_STYLE.X, "square": XL_MARKER_STYLE.SQUARE}
EMU_PER_INCH = 914_400

SIDE_POSITIONS = {"above": XL_LABEL_POSITION.ABOVE, "below": XL_LABEL_POSITION.BELOW,
                  "right": XL_LABEL_POSITION.RIGHT, "left": XL_LABEL_POSITION.LEFT}
"""A marker label's side (``tco.figures.labels.deck_sides``) as PowerPoint's position."""
MAX_CATEGORY_LABELS = 18
"""Beyond this many categories (months) only every n-th is labelled, so labels never collide."""


def rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#"))


DECK_DRAWS = {"fan": "Solid: median. Dashed: P5 and P95 of simulated paths (the page also shades P25 "
                     "to P75).",
              "violin": "Share of simulated paths in each NPV bin (the page draws violins)."}
"""What the deck's chart of a kind draws instead of the page's figure: its caption says so, and
replaces the spec's notes, which describe the page's drawing."""


def caption(spec: FigureSpec) -> str:
    """What the deck's chart shows: the spec's notes, or what it draws instead of the page."""
    return DECK_DRAWS.get(spec.kind, " ".join(spec.notes))


def deck_title(spec: FigureSpec) -> str:
    """The slide title of a chart: the spec's, except where the deck draws a fan's bands as lines
    (no P25-P75 band on the slide, so the title does not promise one)."""
    if spec.kind == "fan":
        return spec.title.replace(", P25-P75 and P5-P95 bands", ", P5 and P95")
    return spec.title


def _style_axis(axis, spec_axis: Axis, values, font_pt: int, from_zero: bool = True,
                across: bool = False) -> None:
    axis.has_title = True
    title = spec_axis.title
    if spec_axis.format == "month" and spec_axis.start:  # the chart's numbers stay month indices
        title += f" (month 0 = {calendar.readable(spec_axis.start, 0)})"
    axis.axis_title.text_frame.text = title
    axis.axis_title.text_frame.paragraphs[0].font.size = Pt(font_pt)
    axis.axis_title.text_frame.paragraphs[0].font.bold = False
    axis.tick_labels.font.size = Pt(font_pt)
    if spec_axis.format != "category":
        axis.tick_labels.number_format = number_format(spec_axis, values, from_zero, across)
        axis.tick_labels.number_format_is_linked = False
    scale = linear_scale(values, from_zero, across) if spec_axis.format in ("usd", "count") else None
    if scale is not None and not spec_axis.log:  # the ticks the format was chosen for
        axis.minimum_scale, axis.maximum_scale, axis.major_unit = scale
    if spec_axis.format == "gpus" and len(values):
        axis.major_unit = nice_step(float(np.max(values)))
    if spec_axis.log:
        log_base = etree.Element(qn("c:logBase"))
        log_base.set("val", "10")
        axis._element.find(qn("c:scaling")).insert(0, log_base)  # logBase comes first in c:scaling


def _finish(chart, spec: FigureSpec, x_values, y_values, font_pt: int) -> None:
    chart.has_title = False
    chart.font.size = Pt(font_pt)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(font_pt)
    bars = spec.kind not in ("line", "fan")  # bars stand on zero; an XY chart's axes need not
    _style_axis(chart.category_axis, spec.x, x_values, font_pt, from_zero=bars, across=True)
    _style_axis(chart.value_axis, spec.y, y_values, font_pt, from_zero=bars)
    chart.value_axis.has_major_gridlines = True
    hidden = [i for i, s in enumerate(chart.plots[0].series) if not _in_legend(spec, s.name)]
    _hide_legend_entries(chart, hidden)


def _in_legend(spec: FigureSpec, name: str) -> bool:
    style = spec.styles.get(name)
    return style.in_legend if style is not None else False


def _hide_legend_entries(chart, indices: list[int]) -> None:
    anchor = chart.legend._element.find(qn("c:legendPos"))  # entries follow legendPos in the schema
    for index in indices:
        entry = etree.Element(qn("c:legendEntry"))
        etree.SubElement(entry, qn("c:idx"), val=str(index))
        etree.SubElement(entry, qn("c:delete"), val="1")
        anchor.addnext(entry)
        anchor = entry


def _fill(series, colour: str) -> None:
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = rgb(colour)
    series.invert_if_negative = False


def _line(series, style: Style, width_pt: float | None = None, dash: str | None = None) -> None:
    series.format.line.color.rgb = rgb(style.colour)
    series.format.line.width = Pt(width_pt or style.width_pt)
    series.format.line.dash_style = DASH[dash or style.dash]
    series.smooth = False


def _num_lit(values: list[float]) -> etree._Element:
    lit = etree.Element(qn("c:numLit"))
    etree.SubElement(lit, qn("c:formatCode")).text = "General"
    etree.SubElement(lit, qn("c:ptCount"), val=str(len(values)))
    for i, v in enumerate(values):
        etree.SubElement(etree.SubElement(lit, qn("c:pt"), idx=str(i)), qn("c:v")).text = repr(float(v))
    return lit


def _whiskers(series, plus: list[float], minus: list[float]) -> None:
    """Custom error bars (P5 to P95 around the mean) on a bar series; python-pptx has no API."""
    bars = etree.Element(qn("c:errBars"))
    etree.SubElement(bars, qn("c:errBarType"), val="both")
    etree.SubElement(bars, qn("c:errValType"), val="cust")
    etree.SubElement(bars, qn("c:noEndCap"), val="0")
    etree.SubElement(bars, qn("c:plus")).append(_num_lit(plus))
    etree.SubElement(bars, qn("c:minus")).append(_num_lit(minus))
    line = etree.SubElement(etree.SubElement(bars, qn("c:spPr")), qn("a:ln"), w=str(Pt(1.5)))
    etree.SubElement(etree.SubElement(line, qn("a:solidFill")), qn("a:srgbClr"),
                     val=ROLES["reference"].lstrip("#"))
    series._element.find(qn("c:cat")).addprevious(bars)


def _marker_xml(style: Style) -> etree._Element:
    marker = etree.Element(qn("c:marker"))
    etree.SubElement(marker, qn("c:symbol"), val=style.marker or "none")
    etree.SubElement(marker, qn("c:size"), val="11")
    fill = etree.SubElement(marker, qn("c:spPr"))
    colour = style.colour.lstrip("#")
    etree.SubElement(etree.SubElement(fill, qn("a:solidFill")), qn("a:srgbClr"), val=colour)
    line = etree.SubElement(fill, qn("a:ln"), w=str(Pt(2)))
    etree.SubElement(etree.SubElement(line, qn("a:solidFill")), qn("a:srgbClr"), val=colour)
    return marker


def _overlay_markers(chart, styles: dict[str, Style]) -> None:
    """Move marker series out of the bar plot into a marker-only line plot on the same axes."""
    bar_chart = chart.plots[0]._element
    moving = [s for s in bar_chart.findall(qn("c:ser"))
              if styles[s.find(qn("c:tx")).findtext(".//" + qn("c:v"))].marker]
    if not moving:
        return
    line_chart = etree.Element(qn("c:lineChart"))
    etree.SubElement(line_chart, qn("c:grouping"), val="standard")
    etree.SubElement(line_chart, qn("c:varyColors"), val="0")
    for ser in moving:
        name = ser.find(qn("c:tx")).findtext(".//" + qn("c:v"))
        for tag in ("c:spPr", "c:invertIfNegative", "c:dLbls", "c:errBars"):
            for child in ser.findall(qn(tag)):
                ser.remove(child)
        sp = etree.Element(qn("c:spPr"))
        etree.SubElement(etree.SubElement(sp, qn("a:ln")), qn("a:noFill"))
        ser.find(qn("c:tx")).addnext(sp)
        sp.addnext(_marker_xml(styles[name]))
        etree.SubElement(ser, qn("c:smooth"), val="0")
        line_chart.append(ser)
    etree.SubElement(line_chart, qn("c:marker"), val="1")
    for ax in bar_chart.findall(qn("c:axId")):
        etree.SubElement(line_chart, qn("c:axId"), val=ax.get("val"))
    bar_chart.addnext(line_chart)


def _skip_labels(chart, categories: int) -> None:
    if categories <= MAX_CATEGORY_LABELS:
        return
    axis = chart.category_axis._element
    skip = etree.Element(qn("c:tickLblSkip"))
    skip.set("val", str(math.ceil(categories / MAX_CATEGORY_LABELS)))
    anchor = axis.find(qn("c:noMultiLvlLbl"))
    anchor.addprevious(skip) if anchor is not None else axis.append(skip)


def _has_whiskers(rows: pd.DataFrame) -> bool:
    return {"low", "high"} <= set(rows) and bool(rows[["low", "high"]].notna().all().all())


def _labels_under_categories(spec: FigureSpec, drawn) -> dict:
    """A bar chart's value labels, by category, where they go under the category's name.

    A label at the bar's end meets the P95 whisker, and one at its base meets the marker drawn
    over the bar (the deterministic NPV's diamond on a small bar): with whiskers or markers the
    value reads on its own line under the category's name, where nothing else is drawn.
    Empty where the labels can sit outside the bars' ends."""
    if spec.kind != "bar":
        return {}
    crowded = any(s.marker for s in spec.styles.values()) or any(
        _has_whiskers(rows) for _, style, rows in drawn if not style.marker)
    if not crowded:
        return {}
    return {r.x: str(r.text) for _, style, rows in drawn if not style.marker and "text" in rows
            for r in rows.itertuples() if isinstance(r.text, str) and r.text}


def _category_chart(shapes, spec: FigureSpec, box, font_pt: int):
    hbar = spec.kind == "hbar"
    categories = spec.categories[::-1] if hbar else spec.categories  # PowerPoint lists bars bottom up
    drawn = spec.series()
    under = _labels_under_categories(spec, drawn)
    data = CategoryChartData()
    data.categories = [f"{c}\n{under[c]}" if c in under else str(c) for c in categories]
    for name, _, rows in drawn:
        by_x = dict(zip(rows["x"], rows["y"], strict=True))
        data.add_series(name, [None if c not in by_x else float(by_x[c]) for c in categories])
    kind = {"hbar": XL_CHART_TYPE.BAR_CLUSTERED, "stacked_bar": XL_CHART_TYPE.COLUMN_STACKED}.get(
        spec.kind, XL_CHART_TYPE.COLUMN_CLUSTERED)
    chart = shapes.add_chart(kind, *box, data).chart
    plot = chart.plots[0]
    plot.gap_width = 40 if spec.kind == "stacked_bar" else 60
    if spec.kind in ("bar", "hbar", "stacked_bar"):
        plot.overlap = 100  # one bar per category, or series overlaid (tornado) or stacked
    for series, (_, style, rows) in zip(plot.series, drawn, strict=True):
        if style.marker:
            continue
        _fill(series, style.colour)
        slot = {x: categories.index(x) for x in rows["x"]}
        if _has_whiskers(rows):
            plus, minus = [0.0] * len(categories), [0.0] * len(categories)
            for r in rows.itertuples():
                plus[slot[r.x]], minus[slot[r.x]] = r.high - r.y, r.y - r.low
            _whiskers(series, plus, minus)
        if "text" in rows and spec.kind == "bar" and not under:
            for r in rows.itertuples():
                label = series.points[slot[r.x]].data_label
                label.text_frame.text = str(r.text)
                label.text_frame.paragraphs[0].runs[0].font.size = Pt(font_pt)
                label.position = XL_LABEL_POSITION.OUTSIDE_END
    # The value axis spans the whiskers too: LibreOffice would scale it to the bars alone and
    # clip the P95 whiskers.
    _finish(chart, spec, spec.frame["x"], value_extent(spec), font_pt)
    _overlay_markers(chart, spec.styles)
    if hbar:
        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # labels left of bars
    _skip_labels(chart, len(categories))
    return chart


def _steps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A staircase as plain points: each value holds until the next x."""
    return np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]


def label_scale(spec: FigureSpec, width_emu: int, height_emu: int, font_pt: float) -> DeckScale:
    """The size of ``spec``'s marker labels on a deck chart of this frame and type size, as shares
    of its plot (``tco.figures.labels.deck_scale``)."""
    entries = sum(style.in_legend for style in spec.styles.values()) + (spec.reference_x is not None)
    return deck_scale(width_emu / EMU_PER_INCH, height_emu / EMU_PER_INCH, font_pt, entries)


def _xy_chart(shapes, spec: FigureSpec, box, font_pt: int):
    plan: list[tuple[str, Style, str, np.ndarray, np.ndarray, list | None]] = []
    # Clear of the other labels, the markers, lines and the axis, at the labels' size on this chart.
    sides = deck_sides(spec, label_scale(spec, box[2], box[3], font_pt))
    for name, style, rows in spec.series():
        x, y = rows["x"].to_numpy(dtype=float), rows["y"].to_numpy(dtype=float)
        if style.marker:
            plan.append((name, style, "marker", x, y,
                         list(zip(rows["text"], sides[rows.index], strict=True)) if "text" in rows else None))
            continue
        if spec.kind == "fan":
            for edge, label in (("low", "P5"), ("high", "P95")):
                plan.append((f"{name} {label}", Style(style.colour, "dash", in_legend=False), "band", x,
                             rows[edge].to_numpy(dtype=float), None))
        plan.append((name, style, "line", *(_steps(x, y) if style.step else (x, y)), None))
    xs = np.concatenate([p[3] for p in plan]) if plan else np.zeros(0)
    ys = np.concatenate([p[4] for p in plan]) if plan else np.zeros(0)
    if spec.reference_x is not None and ys.size:
        plan.append((spec.reference_label, Style(ROLES["reference"], "dot"), "reference",
                     np.full(2, spec.reference_x), np.array([np.nanmin(ys), np.nanmax(ys)]), None))
    # LibreOffice drops the first series of a scatter chart whose series differ in length, so
    # every series is padded to the longest by repeating its last point (which draws nothing new).
    longest = max((len(p[3]) for p in plan), default=0)
    data = XyChartData()
    for name, _, _, x, y, _ in plan:
        series = data.add_series(name)
        for a, b in zip(_pad(x, longest), _pad(y, longest), strict=True):
            series.add_data_point(float(a), float(b))
    chart = shapes.add_chart(XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS, *box, data).chart
    for series, (_, style, role, _, _, text) in zip(chart.plots[0].series, plan, strict=True):
        if role == "marker":
            series.format.line.fill.background()
            series.marker.style = MARKER[style.marker]
            series.marker.size = 11
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = rgb(style.colour)
            series.marker.format.line.color.rgb = rgb(style.colour)
            for i, (label_text, side) in enumerate(text or []):
                if not label_text:
                    continue
                label = series.points[i].data_label
                label.text_frame.text = str(label_text)
                label.text_frame.paragraphs[0].runs[0].font.size = Pt(font_pt)
                label.position = SIDE_POSITIONS[side]
        else:
            _line(series, style, BAND_WIDTH_PT if role == "band" else None)
    legend_spec = FigureSpec(spec.name, spec.kind, spec.title, spec.x, spec.y, spec.frame,
                             {**spec.styles, **{p[0]: p[1] for p in plan}})
    _finish(chart, legend_spec, xs, ys, font_pt)
    _fit(chart.category_axis, spec.x, xs)
    _fit(chart.value_axis, spec.y, ys)
    return chart


def _pad(values: np.ndarray, length: int) -> np.ndarray:
    return np.concatenate([values, np.repeat(values[-1:], length - len(values))])


def _fit(axis, spec_axis: Axis, values: np.ndarray) -> None:
    """Bound an axis to its data: whole decades on a log axis, 0 to the last month on a month axis
    (LibreOffice otherwise pads a log axis to 1,000B and a 36-month axis to 40)."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return
    if spec_axis.log:
        positive = finite[finite > 0]
        axis.minimum_scale = 10.0 ** math.floor(math.log10(positive.min()))
        axis.maximum_scale = 10.0 ** math.ceil(math.log10(positive.max()))
        axis.major_unit = 10.0
    elif spec_axis.format == "month":
        axis.minimum_scale, axis.maximum_scale = 0.0, float(finite.max())


def _histogram(spec: FigureSpec) -> FigureSpec:
    """The violin's paths as a share of paths per NPV bin, one line per strategy."""
    values = spec.frame["y"].to_numpy(dtype=float)
    edges = np.histogram_bin_edges(values, bins=HISTOGRAM_BINS)
    centres = (edges[:-1] + edges[1:]) / 2
    frames = []
    for name, _, rows in spec.series():
        counts, _ = np.histogram(rows["y"].to_numpy(dtype=float), bins=edges)
        frames.append(pd.DataFrame({"series": name, "x": centres, "y": counts / len(rows)}))
    return FigureSpec(spec.name, "line", spec.title, Axis(spec.y.title, spec.y.format),
                      Axis("Share of simulated paths", "share"), pd.concat(frames, ignore_index=True),
                      spec.styles)


BASE = "_base"
"""The hidden series a waterfall stands on in the deck (no fill, out of the legend)."""
LABELS = "_labels"
"""A zero-height series on top of each waterfall bar that carries its label, just above the bar
(a stacked chart has no 'outside end' label position)."""


def _floating_bars(spec: FigureSpec) -> FigureSpec:
    """A waterfall as stacked bars: each relative step floats on a hidden base at the lower of
    the running totals before and after it; absolute steps stand on zero."""
    name, style, rows = spec.series()[0]
    base, height, running = [], [], 0.0
    for y, measure in zip(rows["y"], rows["measure"], strict=True):
        if measure == "absolute":
            base.append(0.0)
            height.append(float(y))
            running = float(y)
        else:
            base.append(min(running, running + float(y)))
            height.append(abs(float(y)))
            running += float(y)
    frame = pd.concat([pd.DataFrame({"series": BASE, "x": rows["x"], "y": base}),
                       pd.DataFrame({"series": name, "x": rows["x"], "y": height}),
                       pd.DataFrame({"series": LABELS, "x": rows["x"], "y": 0.0})], ignore_index=True)
    styles = {BASE: Style("#FFFFFF", in_legend=False), name: style,
              LABELS: Style("#FFFFFF", in_legend=False)}
    return FigureSpec(spec.name, "stacked_bar", spec.title, spec.x, spec.y, frame, styles, notes=spec.notes)


def _style_bridge(chart, spec: FigureSpec, font_pt: int) -> None:
    """The deck's waterfall read as the page's: the base it stands on unfilled (so gridlines show
    through), rises and falls in their own colours, the ends in the strategy's, each bar labelled
    above with its amount ('+$598k')."""
    base, steps, labels = chart.plots[0].series
    base.format.fill.background()
    labels.format.fill.background()
    _, _, rows = spec.series()[0]
    for i, (y, measure, text) in enumerate(zip(rows["y"], rows["measure"], rows["text"], strict=True)):
        if measure == "relative":
            point = steps.points[i].format.fill
            point.solid()
            point.fore_color.rgb = rgb(ROLES["bridge_up"] if y >= 0 else ROLES["bridge_down"])
        label = labels.points[i].data_label
        label.text_frame.text = str(text)
        label.text_frame.paragraphs[0].runs[0].font.size = Pt(font_pt)
        label.position = XL_LABEL_POSITION.INSIDE_BASE


def add_chart(slide, spec: FigureSpec, left: int, top: int, width: int, height: int,
              font_pt: int = 12):
    """Draw ``spec`` on ``slide`` as a native chart in the given box (EMU); return the chart.

    A spec with no rows (no self-hosted fleet, no input to vary) becomes a sentence saying so,
    and the function returns None: PowerPoint cannot open a chart without series.
    """
    box = (left, top, width, height)
    if spec.frame.empty:
        frame = slide.shapes.add_textbox(*box).text_frame
        frame.word_wrap = True
        frame.text = " ".join(("Nothing to show.", *spec.notes))
        frame.paragraphs[0].runs[0].font.size = Pt(font_pt + 6)
        return None
    if spec.kind == "violin":
        return _xy_chart(slide.shapes, _histogram(spec), box, font_pt)
    if spec.kind == "waterfall":
        chart = _category_chart(slide.shapes, _floating_bars(spec), box, font_pt)
        _style_bridge(chart, spec, font_pt)
        return chart
    if spec.kind in ("line", "fan"):
        return _xy_chart(slide.shapes, spec, box, font_pt)
    return _category_chart(slide.shapes, spec, box, font_pt)
