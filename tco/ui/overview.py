"""The Overview tab: the recommendation, a compact table of the key numbers and one chart, all above
the fold at 1280x720; the reasons, the strategies in words and the full table below."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.elements.lib.mutable_expander_container import ExpanderContainer

import tco.glossary as glossary
import tco.story as story
import tco.tax as tax
from tco.figures.data import NPV_SUMMARY_TITLE, NPV_WHISKERS
from tco.figures.plotly import to_draft
from tco.format import pct, usd
from tco.ui.cache import FIGURE_CACHE, FIGURES, Key, View, compute
from tco.ui.lru import memoize

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

PAGE_CSS = ("<style>.block-container{padding-top:2.2rem;padding-bottom:1rem}"
            "h1{padding-top:0;padding-bottom:0.4rem;font-size:2rem}</style>")
"""Less white space above the title, so the recommendation, its table and a chart fit in 720 px."""
KPIS = ("deterministic_npv", "mean", "p95", "cvar95", "p_cheapest")
"""The compact table's columns, in order (``SimulationResult.summary`` names)."""
CHART_PX = 270
"""The Overview chart's height with up to three strategies: with the title, the sentence and the
table it fits in 720 px. Each further strategy adds a table row, so the chart gives up a row's
height (``ROW_PX``), down to ``MIN_CHART_PX``."""
ROW_PX, MIN_CHART_PX = 35, 200


def money(text: str) -> str:
    """Dollar signs as text: two of them on a line would otherwise start a formula."""
    return text.replace("$", "\\$")


SHARE_HEADERS = {"p_cheapest": "P(cheapest) (% of paths)",
                 "p_no_live_fallback": "P(no live fallback) (% of paths)"}
"""Shares are shown in percent here; the glossary's unit is the CSVs' (a fraction)."""


def header(column: str) -> str:
    """A column's label with its unit as the page shows it."""
    return SHARE_HEADERS.get(column) or glossary.describe(column).text


def kpi_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy: deterministic, expected, P95 and CVaR95 NPV in dollars, P(cheapest)."""
    out = pd.DataFrame({"Strategy": table.index})
    for column in KPIS:
        values = table[column].to_numpy()
        out[header(column)] = [pct(v) if column == "p_cheapest" else usd(v) for v in values]
    return out


def kpi_grid(table: pd.DataFrame) -> tuple[Styler, dict]:
    """The Overview's KPI table as the page draws it: the lowest expected cost's row highlighted,
    and each column's glossary help on its header: (styled frame, column config)."""
    best = table["mean"].idxmin()
    styled = kpi_table(table).style.apply(lambda row: ["font-weight: bold; background-color: #E8F4EC"
                                                       if row["Strategy"] == best else "" for _ in row],
                                          axis=1)
    return styled, {header(c): st.column_config.TextColumn(header(c), help=glossary.describe(c).help)
                    for c in KPIS}


def format_summary(table: pd.DataFrame, kinds: set[str] | None = None) -> pd.DataFrame:
    """The summary table as text: money in dollars, probabilities in percent, events per path;
    with ``kinds``, only the event kinds the scenario has a risk of (the others are always 0)."""
    money_columns = ["deterministic_npv", "mean", "p5", "p50", "p95", "cvar95", "expected_regret",
                     "lock_in_premium", "se_mean", "se_p95", "switching_spend"]
    shares = ("p_cheapest", "p_no_live_fallback")
    shown = {}
    # Plain lists, one frame at the end: a pandas map per column was a tenth of a slider step.
    for column in table.columns:
        if column.startswith("events_") and kinds is not None and column.removeprefix("events_") not in kinds:
            continue
        write = usd if column in money_columns else pct if column in shares else "{:.2f}".format
        # 'Price change: events per path', not '...: mean events per path (events per path)'.
        name = (f"{glossary.describe(column).label.split(':')[0]}: events per path (mean)"
                if column.startswith("events_") else header(column))
        shown[name] = [write(v) for v in table[column].tolist()]
    return pd.DataFrame(shown, index=table.index.rename("Strategy"))


NPV_CHART, BRIDGE_CHART = "NPV per strategy", "From nominal to expected NPV"
CHART_KEYS = {NPV_CHART: "fig_npv_summary", BRIDGE_CHART: "fig_bridge"}


@memoize(FIGURE_CACHE)
def compact_figure(scenario_yaml: str, paths: int, seed: int, comments: str, name: str,
                   height: int) -> go.Figure:
    """The Overview's half-width version of a chart, kept like the full one: no legend (the axis
    names the strategies; the title says what the marks are), no x axis title, and a title in
    two lines rather than one that runs off. Changed as a draft, before it is made a figure
    (changing a made figure validates every property again: a tenth of a slider step)."""
    draft = to_draft(FIGURES[name](compute(scenario_yaml, paths, seed, comments)))
    bridge = name == BRIDGE_CHART
    if bridge:
        head, _, tail = draft.layout["title"]["text"].partition(": ")
        title = f"{head}:<br>{tail}"
    else:
        title = f"{NPV_SUMMARY_TITLE}<br>({NPV_WHISKERS}; diamond: deterministic)"
    draft.update_layout(height=height, margin={"t": 80, "b": 30, "r": 10}, showlegend=False,
                        title={"text": title, "font": {"size": 14}}, xaxis={"title": {"text": ""}})
    if bridge:
        # '+ uncertain<br>inputs': step names break over two lines instead of colliding.
        for trace in draft.data:
            trace["x"] = [step.replace(" ", "<br>", 2).replace("<br>", " ", 1)
                          if step.startswith("+") else step for step in draft.data[0]["x"]]
        # The title says NPV in $; the axis title met it.
        draft.update_layout(xaxis={"tickangle": 0}, yaxis={"title": {"text": ""}})
    return draft.figure()


def lazy_expander(label: str, key: str) -> ExpanderContainer:
    """A closed expander that reruns the page when opened; its ``open`` says whether to draw."""
    return st.expander(label, key=key, on_change="rerun")


def chart_height(strategies: int) -> int:
    """The Overview charts' height in px with ``strategies`` rows in the table above them."""
    return max(MIN_CHART_PX, CHART_PX - ROW_PX * max(0, strategies - 3))


def prepare(view: View, key: Key) -> None:
    """Build the Overview's two charts into the shared cache (a server warming up: ``tco.ui.server``)."""
    for name in CHART_KEYS:
        compact_figure(*key, name, chart_height(len(view.summary)))


def overview(view: View, key: Key) -> None:
    table = view.summary
    st.markdown(money(f"**{story.recommendation(view.result)}**"))
    best = table["mean"].idxmin()
    styled, columns = kpi_grid(table)
    st.dataframe(styled, hide_index=True, column_config=columns)
    # The NPV chart and the bridge side by side: both above the fold at 1280x720.
    height = chart_height(len(table))
    left, right = st.columns(2)
    for column, name in ((left, NPV_CHART), (right, BRIDGE_CHART)):
        column.plotly_chart(compact_figure(*key, name, height), key=CHART_KEYS[name],
                            config={"displaylogo": False})
    st.markdown(money("\n".join(f"- {point}" for point in story.bullets(view.result))))
    if view.after_tax is not None:
        st.markdown(money(f"**NPV before and {tax.basis(view.after_tax)}** (the scenario's tax "
                          "section; percentiles need per-path lines, so expected and deterministic only)"))
        # A static table wraps its headers; a grid cut the last column off at 1280 px.
        st.table(tax.shown(view.after_tax).set_index("Strategy"))
    # The expanders below draw their content only when open (opening one reruns the page from its
    # caches): the browser redraws every element the page sends at each rerun, and the twenty
    # numbers in the second were a fifth of what a slider step sent.
    if (box := lazy_expander("What each strategy is", "ov_cards")).open:
        box.markdown(money("\n".join(f"- **{name}**: {story.strategy_card(view.scenario, name)}"
                                     for name in view.scenario.strategies)))
    if (box := lazy_expander("Each strategy's numbers, with the lock-in premium", "ov_numbers")).open:
        for col, (name, row) in zip(box.columns(len(table)), table.iterrows(), strict=True):
            with col:
                st.markdown(f"**{name}**" + (" :green[lowest expected cost]" if name == best else ""))
                st.metric("Expected NPV", usd(row["mean"]), help=glossary.describe("mean").help)
                st.metric("P95 NPV", usd(row["p95"]), help=glossary.describe("p95").help)
                st.metric("CVaR95", usd(row["cvar95"]), help=glossary.describe("cvar95").help)
                st.metric("P(cheapest)", pct(row["p_cheapest"]))
                st.metric("Lock-in premium", usd(row["lock_in_premium"]),
                          help=glossary.describe("lock_in_premium").help)
    if (box := lazy_expander("The verdict in one paragraph", "ov_verdict")).open:
        box.write(view.verdict)
    # Strategies as columns and measures as rows: sixteen measures across would clip at 1280 px.
    kinds = {risk.kind for risk in view.scenario.risks}
    st.table(format_summary(table, kinds).T.rename_axis("Measure"))
    for warning in view.result.resolved.warnings:
        st.warning(glossary.humanize(warning, view.scenario.scenario))
