"""The Overview tab: the recommendation, a compact table of the key numbers and one chart, all above
the fold at 1280x720; the reasons, the strategies in words and the full table below."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import tco.glossary as glossary
import tco.story as story
import tco.tax as tax
from tco.format import pct, usd
from tco.ui.cache import Key, View, figure

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


def header(column: str) -> str:
    label = glossary.describe(column)
    return "P(cheapest) (% of paths)" if column == "p_cheapest" else label.text


def kpi_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy: deterministic, expected, P95 and CVaR95 NPV in dollars, P(cheapest)."""
    out = pd.DataFrame({"Strategy": table.index})
    for column in KPIS:
        values = table[column].to_numpy()
        out[header(column)] = [pct(v) if column == "p_cheapest" else usd(v) for v in values]
    return out


def format_summary(table: pd.DataFrame) -> pd.DataFrame:
    """The summary table as text: money in dollars, probabilities in percent."""
    money_columns = ["deterministic_npv", "mean", "p5", "p50", "p95", "cvar95", "expected_regret",
                     "lock_in_premium", "se_mean", "se_p95", "switching_spend"]
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        if column in money_columns:
            out[column] = table[column].map(usd)
        elif column == "p_cheapest":
            out[column] = table[column].map(pct)
        else:
            out[column] = table[column].map(lambda v: f"{v:.2f}")
    out.columns = [glossary.describe(c).text for c in out.columns]
    out.index.name = "Strategy"
    return out


def overview(view: View, key: Key) -> None:
    table = view.summary
    st.markdown(money(f"**{story.recommendation(view.result)}**"))
    best = table["mean"].idxmin()
    frame = kpi_table(table)
    styled = frame.style.apply(lambda row: ["font-weight: bold; background-color: #E8F4EC"
                                            if row["Strategy"] == best else "" for _ in row], axis=1)
    st.dataframe(styled, hide_index=True, column_config={
        header(c): st.column_config.TextColumn(header(c), help=glossary.describe(c).help) for c in KPIS})
    # The NPV chart and the bridge side by side: both above the fold at 1280x720.
    height = max(MIN_CHART_PX, CHART_PX - ROW_PX * max(0, len(table) - 3))
    left, right = st.columns(2)
    for column, name, chart_key in ((left, "NPV per strategy", "fig_npv_summary"),
                                    (right, "From nominal to expected NPV", "fig_bridge")):
        fig = go.Figure(figure(*key, name))
        # Compact: no legend (the axis names the strategies; the title says what the marks are),
        # no x axis title; in half the width the title takes two lines rather than run off.
        head, _, tail = fig.layout.title.text.partition(": " if chart_key == "fig_bridge" else " (")
        title = (f"{head}:<br>{tail}" if chart_key == "fig_bridge"
                 else f"{head}<br>(whiskers: P5 to P95; diamond: deterministic)")
        fig.update_layout(height=height, margin={"t": 80, "b": 30, "r": 10}, showlegend=False,
                          title={"text": title, "font": {"size": 14}}, xaxis={"title": {"text": ""}})
        if chart_key == "fig_bridge":
            # '+ uncertain<br>inputs': step names break over two lines instead of colliding.
            fig.update_traces(x=[step.replace(" ", "<br>", 2).replace("<br>", " ", 1)
                                 if step.startswith("+") else step for step in fig.data[0].x])
            fig.update_xaxes(tickangle=0)
            fig.update_yaxes(title_text="")  # the title says NPV in $; the axis title met it
        column.plotly_chart(fig, key=chart_key, config={"displaylogo": False})
    st.markdown(money("\n".join(f"- {point}" for point in story.bullets(view.result))))
    if view.after_tax is not None:
        st.markdown(money(f"**NPV before and {tax.basis(view.after_tax)}** (the scenario's tax "
                          "section; percentiles need per-path lines, so expected and deterministic only)"))
        st.dataframe(tax.shown(view.after_tax), hide_index=True)
    with st.expander("What each strategy is"):
        st.markdown(money("\n".join(f"- **{name}**: {story.strategy_card(view.scenario, name)}"
                                     for name in view.scenario.strategies)))
    with st.expander("Each strategy's numbers, with the lock-in premium"):
        for col, (name, row) in zip(st.columns(len(table)), table.iterrows(), strict=True):
            with col:
                st.markdown(f"**{name}**" + (" :green[lowest expected cost]" if name == best else ""))
                st.metric("Expected NPV", usd(row["mean"]), help=glossary.describe("mean").help)
                st.metric("P95 NPV", usd(row["p95"]), help=glossary.describe("p95").help)
                st.metric("CVaR95", usd(row["cvar95"]), help=glossary.describe("cvar95").help)
                st.metric("P(cheapest)", pct(row["p_cheapest"]))
                st.metric("Lock-in premium", usd(row["lock_in_premium"]),
                          help=glossary.describe("lock_in_premium").help)
    with st.expander("The verdict in one paragraph"):
        st.write(view.verdict)
    st.dataframe(format_summary(table), hide_index=False)
    for warning in view.result.resolved.warnings:
        st.warning(glossary.humanize(warning, view.scenario.scenario))
