"""Draw a ``FigureSpec`` with plotly: the page's interactive charts and the PNG / SVG exports."""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

import tco.calendar as calendar
from tco.figures.draft import Draft
from tco.figures.labels import labels_below
from tco.figures.spec import ROLES, Axis, FigureSpec, Style
from tco.format import compact, usd

FONT = {"family": "Liberation Sans, Arial, sans-serif", "size": 13}
MARKER_SIZE_PX = 12
HBAR_ROW_PX = 38
"""Height per bar of a horizontal bar chart, so long input labels never overlap."""
BAND_ALPHA = {"outer": 0.15, "inner": 0.3}
GPU_TICKS = 8
"""At most this many ticks on the GPU axis, each a whole number of GPUs."""


def nice_step(top: float, ticks: int = GPU_TICKS) -> int:
    """A whole tick step of 1, 2 or 5 times a power of ten giving at most ``ticks`` ticks to ``top``."""
    raw = max(top / ticks, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _log_ticks(axis: Axis, values: pd.Series) -> dict:
    """One labelled tick per decade, written as people read them: '$10k', '20M', never '2e7'."""
    low, high = (math.floor(math.log10(max(float(values.min()), 1e-9))),
                 math.ceil(math.log10(max(float(values.max()), 1e-9))))
    ticks = [10.0 ** e for e in range(low, high + 1)]
    if high - low < 3:  # two or three decades: label 2 and 5 too, so the axis has enough ticks
        ticks = [m * 10.0 ** e for e in range(low, high + 1) for m in (1, 2, 5)
                 if m * 10.0 ** e <= 10.0 ** high]
    # A decade is exact, so '10.0M' loses its zeros: '10M'.
    text = [re.sub(r"\.0+(?=[A-Za-z]|$)", "", usd(t) if axis.format == "usd" else compact(t))
            for t in ticks]
    return {"tickvals": ticks, "ticktext": text}


def _axis_layout(axis: Axis, values: pd.Series | None = None, step_months: int | None = None) -> dict:
    """Tick format of an axis: '$20M' for money, '20M' for counts, whole GPUs, '38%'."""
    out: dict = {"title": {"text": axis.title}}
    if axis.log:
        out["type"] = "log"
        if values is not None and len(values):
            out.update(_log_ticks(axis, values))
            return out
    if axis.format == "usd":
        # '$' inside the d3 format puts the sign first: -$500k, not $-500k.
        out.update(tickformat="$~s")
    elif axis.format == "usd_cents":
        out.update(tickformat="$,.2f")
    elif axis.format == "count":
        out.update(tickformat="~s")
    elif axis.format == "share":
        out.update(tickformat=".0%")
    elif axis.format == "gpus":
        # Whole GPUs only, and head room above the top line so it never sits on the frame.
        top = float(values.max()) if values is not None and len(values) else 0.0
        step = nice_step(top)
        out.update(tickformat="d", dtick=step, tick0=0, range=[0, top + max(step * 0.6, 0.6)])
    elif axis.format == "month" and axis.start and values is not None and len(values):
        last = int(np.nanmax(values))
        step = step_months or (6 if last <= 48 else 12)
        ticks = list(range(0, last + 1, step))
        out.update(tickmode="array", tickvals=ticks, rangemode="tozero",
                   ticktext=[calendar.readable(axis.start, t) for t in ticks])
    elif axis.format == "month":
        out.update(tickformat="d", rangemode="tozero")
    elif axis.format == "category":
        out.update(type="category", automargin=True)
    return out


def _hover(axis: Axis, letter: str) -> str:
    """Hover text of a value: '$1,234,567', '20.0M', '38.2%'."""
    token = "%{" + letter
    return {"usd": "$" + token + ":,.0f}", "usd_cents": "$" + token + ":,.2f}",
            "count": token + ":,.0f}", "share": token + ":.1%}", "gpus": token + ":.0f}",
            "number": token + ":,.3g}"}.get(axis.format, token + "}")


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _markers(fig: go.Figure | Draft, spec: FigureSpec, name: str, style: Style, rows: pd.DataFrame) -> None:
    fig.add_scatter(x=rows["x"], y=rows["y"], name=name, mode="markers", showlegend=True,
                    marker={"symbol": style.marker, "size": MARKER_SIZE_PX, "color": style.colour,
                            "line": {"width": 2, "color": style.colour}},
                    customdata=rows.get("detail"),
                    hovertemplate=("%{customdata}: " if "detail" in rows else "%{x}: ")
                    + _hover(spec.y, "y") + f"<extra>{name}</extra>")
    if spec.kind == "line" and "text" in rows:
        # Labels in a white box up and to the left of the point, so no line runs through them;
        # down and to the right where that would cover another label.
        below = labels_below(spec)
        for key, x, y, text in zip(rows.index, rows["x"], rows["y"], rows["text"], strict=True):
            if text:
                flip = bool(below[key])
                fig.add_annotation(x=_coord(spec.x, x), y=_coord(spec.y, y), text=text, showarrow=True,
                                   arrowcolor=style.colour, ax=30 if flip else -30, ay=34 if flip else -34,
                                   xanchor="left" if flip else "right",
                                   bgcolor="rgba(255,255,255,0.9)", font={"color": "#1B1B1B"})


def _coord(axis: Axis, value: float) -> float:
    """Annotation coordinate of a data value: log axes take log10 of it."""
    return math.log10(value) if axis.log and value > 0 else value


def _bars(fig: go.Figure | Draft, spec: FigureSpec, name: str, style: Style, rows: pd.DataFrame) -> None:
    whiskers = {"low", "high"} <= set(rows) and rows[["low", "high"]].notna().all().all()
    error = ({"type": "data", "symmetric": False, "array": rows["high"] - rows["y"],
              "arrayminus": rows["y"] - rows["low"], "color": ROLES["reference"], "thickness": 2}
             if whiskers else None)
    text = rows.get("text")
    # Whiskers or markers would cover a label on or in the bar: it goes above the highest of them.
    above = whiskers or any(s.marker for s in spec.styles.values())
    fig.add_bar(x=rows["x"], y=rows["y"], name=name, marker={"color": style.colour}, error_y=error,
                text=None if above else text, textposition="outside", cliponaxis=False,
                showlegend=True,
                hovertemplate="%{x}: " + _hover(spec.y, "y") + f"<extra>{name}</extra>")
    if above and text is not None:
        tops = label_tops(spec) if whiskers else marker_clear_tops(spec, rows)
        # A marker is drawn centred on its value: the label clears its upper half too.
        shift = 4 + (MARKER_SIZE_PX // 2 + 2 if any(s.marker for s in spec.styles.values()) else 0)
        for x, label in zip(rows["x"], text, strict=True):
            fig.add_annotation(x=x, y=max(float(tops[x]), 0.0), text=label, showarrow=False,
                               yanchor="bottom", yshift=shift, font={"color": "#1B1B1B"})


LABEL_CLEARANCE_SHARE = 0.14
"""Height a bar's label and a marker's upper half take above the bar, as a share of the chart's
highest mark (a 16 px label and 8 px of marker in the 300 px a page chart's plot leaves, with room
to spare): a marker higher than that above the bar leaves the label room on the bar itself."""


def marker_clear_tops(spec: FigureSpec, rows: pd.DataFrame) -> dict:
    """Where each bar's label goes when only markers (no whiskers) could cover it: on the bar's
    top, unless a marker at that x sits in the label's band just above it, then above the marker.

    The portability chart put '$109k' over a P95 diamond at $138k, $29k above its bar: the label
    read as the diamond's value. A marker inside the bar or well above it leaves the label on its
    bar; one just above the bar would be covered, so the label clears it (``label_tops``).
    """
    highest = label_tops(spec)
    span = max([abs(v) for v in highest.values() if not math.isnan(v)] or [0.0])
    band = LABEL_CLEARANCE_SHARE * span
    marks = spec.frame[spec.frame["series"].isin(
        [name for name, style in spec.styles.items() if style.marker])]
    out: dict = {}
    for x, top in zip(rows["x"], rows["y"], strict=True):
        near = marks.loc[marks["x"] == x, "y"].to_numpy(dtype=float)
        covers = ((near >= top - band / 3) & (near <= top + band)).any()
        out[x] = highest[x] if covers else float(top)
    return out


def label_tops(spec: FigureSpec) -> dict:
    """The top of the highest mark (bar or whisker) at each x, NaN values skipped: where a label
    above the bars goes. Plain loops over the few rows of a bar chart (a pandas group-by per
    series was a third of the Overview chart's build)."""
    y = spec.frame["y"].to_numpy(dtype=float)
    tops = np.fmax(y, spec.frame["high"].to_numpy(dtype=float)) if "high" in spec.frame else y
    out: dict = {}
    for x, top in zip(spec.frame["x"], tops, strict=True):
        kept = out.setdefault(x, math.nan)
        if not math.isnan(top):
            out[x] = top if math.isnan(kept) else max(kept, top)
    return out


def _hbar(fig: go.Figure | Draft, spec: FigureSpec, name: str, style: Style, rows: pd.DataFrame) -> None:
    rows = rows.iloc[::-1]  # plotly lists horizontal categories bottom up; the spec top down
    detail = "detail" in rows
    fig.add_bar(y=rows["x"], x=rows["y"], orientation="h", name=name, marker={"color": style.colour},
                showlegend=True,
                customdata=rows["detail"] if detail else None,
                hovertemplate=("%{customdata}: " if detail else "") + _hover(spec.y, "x")
                + f"<extra>{name}</extra>")


def _line(fig: go.Figure | Draft, spec: FigureSpec, name: str, style: Style, rows: pd.DataFrame,
          **where: int) -> None:
    detail = "detail" in rows
    fig.add_scatter(x=rows["x"], y=rows["y"], name=name, mode="lines", showlegend=style.in_legend, **where,
                    legendgroup=name,
                    line={"color": style.colour, "width": style.width_pt * 4 / 3, "dash": style.dash,
                          "shape": "hv" if style.step else "linear"},
                    customdata=rows["detail"] if detail else None,
                    hovertemplate=_hover(spec.x, "x") + ": " + _hover(spec.y, "y")
                    + (" (utilisation %{customdata:.0%})" if detail and spec.y.format == "gpus" else "")
                    + f"<extra>{name}</extra>")


def _fan(fig: go.Figure | Draft, spec: FigureSpec, name: str, style: Style, rows: pd.DataFrame,
         **where: int) -> None:
    for low, high, band in (("low", "high", "outer"), ("inner_low", "inner_high", "inner")):
        fig.add_scatter(x=rows["x"], y=rows[high], mode="lines", line={"width": 0}, showlegend=False,
                        hoverinfo="skip", legendgroup=name, **where)
        fig.add_scatter(x=rows["x"], y=rows[low], mode="lines", line={"width": 0}, fill="tonexty",
                        fillcolor=_rgba(style.colour, BAND_ALPHA[band]), showlegend=False,
                        hoverinfo="skip", legendgroup=name, **where)
    _line(fig, spec, name, style, rows, **where)


FAN_COLUMNS = 3
"""A fan chart draws one panel per strategy, this many to a row, on one shared money axis: bands of
several strategies laid over each other blend into one colour."""

PANEL_MONTH_LABELS = 3
"""Most calendar labels on one fan panel's month axis (a third of a 1280 px page holds three
'Dec 2027' labels level)."""


def _fan_panels(spec: FigureSpec) -> go.Figure:
    drawn = spec.series()
    columns = min(FAN_COLUMNS, max(len(drawn), 1))
    rows = max(1, math.ceil(len(drawn) / columns))
    fig = make_subplots(rows=rows, cols=columns, shared_yaxes="all", shared_xaxes="all",
                        subplot_titles=[name for name, _, _ in drawn], horizontal_spacing=0.05,
                        vertical_spacing=0.16 if rows > 1 else 0.1, figure=_blank())
    for k, (name, style, frame) in enumerate(drawn):
        _fan(fig, spec, name, style, frame, row=k // columns + 1, col=k % columns + 1)
    return fig


def _violin(fig: go.Figure | Draft, spec: FigureSpec, name: str, style: Style, rows: pd.DataFrame) -> None:
    fig.add_violin(x=rows["x"], y=rows["y"], name=name, box={"visible": True},
                   meanline={"visible": True}, showlegend=True,
                   line={"color": style.colour}, points=False, spanmode="hard", hoverinfo="y+name")


def _waterfall(fig: go.Figure | Draft, spec: FigureSpec, name: str, style: Style, rows: pd.DataFrame) -> None:
    """Steps from the running total: rises in a dark grey, falls in a pale blue (``ROLES``), the two
    ends in the series' colour; each step labelled outside its bar."""
    fig.add_waterfall(x=rows["x"], y=rows["y"], measure=rows["measure"], name=name,
                      text=rows.get("text"), textposition="outside", cliponaxis=False,
                      showlegend=True, connector={"line": {"color": ROLES["reference"], "width": 1}},
                      totals={"marker": {"color": style.colour}},
                      increasing={"marker": {"color": ROLES["bridge_up"]}},
                      decreasing={"marker": {"color": ROLES["bridge_down"]}},
                      hovertemplate="%{x}: " + _hover(spec.y, "y") + f"<extra>{name}</extra>")


DRAW = {"bar": _bars, "grouped_bar": _bars, "stacked_bar": _bars, "line": _line, "fan": _fan,
        "hbar": _hbar, "violin": _violin, "waterfall": _waterfall}
SUBTITLE_CHARS = 150
"""Characters per line of a chart's notes under its title."""
BARMODE = {"bar": "relative", "grouped_bar": "group", "stacked_bar": "relative", "hbar": "overlay"}
"""'relative' for one-bar-per-category charts, so each strategy's bar is full width."""


TRACE_TYPES = ("bar", "scatter", "violin", "waterfall")
"""The plotly trace types ``DRAW`` makes (lines, markers and fans are scatter traces)."""
TEMPLATE = "tco"
"""plotly_white's layout, with its trace defaults for ``TRACE_TYPES`` only: a template's defaults
for a trace type apply to traces of that type alone, so charts look the same as on plotly_white,
and each figure copies and validates a third of the template (4 ms, not 12: a chart is built per
chart per slider step) and sends 3 kB of it to the browser, not 7 kB."""
_white = pio.templates["plotly_white"]
pio.templates[TEMPLATE] = go.layout.Template(
    layout=_white.layout, data={t: _white.data[t] for t in TRACE_TYPES if _white.data[t]})


def _blank() -> go.Figure:
    """An empty figure on the page's template. Given at construction, the template is built once:
    a bare ``go.Figure()`` builds plotly's default template first, and setting ours later builds
    a second (each a few milliseconds of validated objects, a tenth of a slider step in all)."""
    return go.Figure(layout={"template": TEMPLATE})


def to_figure(spec: FigureSpec) -> go.Figure:
    """Draw a spec as a plotly figure with a legend, unit-bearing axis titles and $ money ticks.

    Fans are drawn on plotly's subplots; every other kind as a ``Draft``, plotly's JSON written
    directly (a tenth of the time: the Overview's two charts are rebuilt on every slider step).
    """
    fig = _fan_panels(spec) if spec.kind == "fan" else Draft(TEMPLATE)
    _draw(fig, spec)
    return fig.figure() if isinstance(fig, Draft) else fig


def to_draft(spec: FigureSpec) -> Draft:
    """A spec other than a fan as a ``Draft``, for a view that changes its layout before it is
    made a figure (the Overview's compact charts): changing a made figure validates again."""
    if spec.kind == "fan":
        raise ValueError("a fan chart is drawn on plotly's subplots, not as a draft")
    draft = Draft(TEMPLATE)
    _draw(draft, spec)
    return draft


def _draw(fig: go.Figure | Draft, spec: FigureSpec) -> None:
    """Draw ``spec``'s marks, reference line, axes and title on ``fig``."""
    for name, style, rows in ([] if spec.kind == "fan" else spec.series()):
        if style.marker is not None:
            _markers(fig, spec, name, style, rows)
        else:
            DRAW[spec.kind](fig, spec, name, style, rows)
    if spec.reference_x is not None:
        # On monthly bars a change from month m starts at the bar's left edge.
        x = spec.reference_x - (0.5 if spec.kind in BARMODE and spec.x.format == "month" else 0.0)
        fig.add_vline(x=x, line={"dash": "dot", "color": ROLES["reference"]})
        # Labelled just above the plot area, where no curve or crossing label can run into it;
        # anchored on the side away from the nearer edge so it is never cut off.
        # Annotations on a log axis take log10 coordinates; add_vline's own label would not.
        xs = pd.to_numeric(spec.frame["x"], errors="coerce") if len(spec.frame) else pd.Series([x])
        if spec.x.log:
            xs = np.log10(xs[xs > 0])
        low, high = float(np.nanmin(xs)), float(np.nanmax(xs))
        where = (_coord(spec.x, x) - low) / (high - low) if high > low else 0.5
        anchor = "left" if where < 0.3 else "right" if where > 0.7 else "center"
        fig.add_annotation(x=_coord(spec.x, x), y=1, yref="paper", showarrow=False,
                           text=spec.reference_label, xanchor=anchor, yanchor="bottom",
                           bgcolor="white", font={"color": "#1B1B1B"})
    empty = not len(spec.frame)
    x_axis = _axis_layout(spec.x, None if empty or spec.kind == "hbar" else spec.frame["x"])
    y_axis = _axis_layout(spec.y, None if empty else spec.frame["y"])
    if spec.kind == "hbar":
        x_axis, y_axis = y_axis, {**x_axis, "automargin": True}
    # Notes wrap at a width that fits a 1,000 px chart, each extra line given its own room.
    wrapped = textwrap.wrap(" ".join(spec.notes), SUBTITLE_CHARS)
    subtitle = "<br>".join(wrapped)
    top = (64 + 16 * len(wrapped) if wrapped else 60) + (30 if spec.kind == "fan" else 0)
    fig.update_layout(
        title={"text": spec.title, "x": 0.01, "xanchor": "left",
               **({"subtitle": {"text": subtitle}} if subtitle else {})},
        font=FONT, showlegend=True, xaxis=x_axis, yaxis=y_axis,
        margin={"l": 70, "r": 30, "t": top, "b": 60},
        legend={"orientation": "h", "y": -0.2, "yanchor": "top"},
        barmode=BARMODE.get(spec.kind))
    if spec.kind == "hbar":
        rows = len(spec.categories)
        fig.update_layout(height=max(420, HBAR_ROW_PX * rows + 160), legend={"y": -0.12})
    if spec.kind == "fan":
        panels = min(len(spec.series()), FAN_COLUMNS)
        if spec.x.format == "month" and spec.x.start and panels > 1 and "tickvals" in x_axis:
            # A narrow panel takes at most PANEL_MONTH_LABELS calendar labels, whole years apart:
            # five on a 60-month horizon tilted them, and the tilted dates pushed the axis title
            # into the legend (regulated-in-house's Risk tab at 1280 and 1440 px).
            months = int(np.nanmax(spec.frame["x"])) + 1
            step = 12 * math.ceil(months / (12 * PANEL_MONTH_LABELS))
            x_axis = _axis_layout(spec.x, spec.frame["x"], step_months=step)
        # Every panel keeps its own month labels: shared axes hide them on all but the bottom row,
        # which left the upper panels with an axis title and no dates.
        fig.update_xaxes(**{k: v for k, v in x_axis.items() if k != "title"}, title_text=spec.x.title,
                         showticklabels=True)
        fig.update_yaxes(**{k: v for k, v in y_axis.items() if k != "title"})
        fig.update_yaxes(title_text=spec.y.title, col=1)
        panel_rows = math.ceil(len(spec.series()) / FAN_COLUMNS)
        fig.update_layout(height=max(450, 330 * panel_rows + 120), legend={"y": -0.25 / panel_rows})
