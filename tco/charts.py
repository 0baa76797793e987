"""Plotly figures built from results: the page, the image export and the deck share them.

Every builder is a pure function of results; strategies keep one colour across every chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tco.format import compact, usd
from tco.inputs import resolve
from tco.kernel import EVENT_KINDS, LINES
from tco.model import Evaluation, monthly_run_rate_usd
from tco.scenario import ApiOption, Scenario, SelfHostedOption
from tco.simulate import SimulationResult

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#7F7F7F", "#000000")
"""Okabe-Ito colour-blind-safe palette, one colour per strategy in scenario order."""
LINE_COLOURS = dict(zip(LINES, ("#0072B2", "#56B4E9", "#E69F00", "#F0E442", "#999933", "#009E73",
                                "#CC79A7", "#882255", "#D55E00", "#7F7F7F", "#000000"), strict=True))
MONEY_AXIS = {"tickprefix": "$", "tickformat": "~s", "separatethousands": True}
LABELS = {line: line.replace("_", " ") for line in LINES}


def strategy_colours(strategies: list[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(strategies)}


def _layout(fig: go.Figure, title: str, x: str, y: str, **extra) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left"}, template="plotly_white",
                      font={"family": "Liberation Sans, Arial, sans-serif", "size": 13},
                      margin={"l": 70, "r": 30, "t": 60, "b": 60}, legend={"orientation": "h",
                                                                           "y": -0.2},
                      xaxis_title=x, yaxis_title=y, **extra)
    return fig


def cost_lines(lines: pd.DataFrame, strategy: str, title_suffix: str = "") -> go.Figure:
    """Stacked monthly cost by line for one strategy. ``lines``: strategy, month, line, usd."""
    frame = lines[lines["strategy"] == strategy]
    fig = go.Figure()
    for line in LINES:
        values = frame[frame["line"] == line]
        if values["usd"].abs().sum() == 0:
            continue
        fig.add_bar(x=values["month"], y=values["usd"], name=LABELS[line],
                    marker_color=LINE_COLOURS[line],
                    hovertemplate="month %{x}: $%{y:,.0f}<extra>" + LABELS[line] + "</extra>")
    fig.update_layout(barmode="stack", yaxis=MONEY_AXIS)
    return _layout(fig, f"Monthly cost by line: {strategy}{title_suffix}", "month", "USD per month")


def cumulative_cost(ev: Evaluation) -> go.Figure:
    """Deterministic cumulative cost per strategy over the horizon."""
    totals = ev.monthly.groupby(["strategy", "month"], sort=False)["usd"].sum().reset_index()
    colours = strategy_colours(list(ev.scenario.strategies))
    fig = go.Figure()
    for name in ev.scenario.strategies:
        values = totals[totals["strategy"] == name]
        fig.add_scatter(x=values["month"], y=values["usd"].cumsum(), name=name, mode="lines",
                        line={"color": colours[name], "width": 3},
                        hovertemplate="month %{x}: $%{y:,.0f}<extra>" + name + "</extra>")
    fig.update_layout(yaxis=MONEY_AXIS)
    return _layout(fig, "Cumulative cost, deterministic (undiscounted)", "month", "USD")


def cost_per_mtok(ev: Evaluation) -> go.Figure:
    colours = strategy_colours(list(ev.scenario.strategies))
    series = ev.cost_per_mtok_usd
    fig = go.Figure(go.Bar(x=list(series.index), y=series.to_numpy(),
                           marker_color=[colours[s] for s in series.index],
                           text=[f"${v:.2f}" for v in series], textposition="outside",
                           hovertemplate="%{x}: $%{y:.2f} per 1M tokens<extra></extra>"))
    fig.update_layout(yaxis={"tickprefix": "$"})
    return _layout(fig, "Cost per million tokens served (all lines, undiscounted)", "strategy",
                   "USD per 1M tokens")


def break_even(sc: Scenario, ev: Evaluation) -> go.Figure:
    """Month-0 monthly run rate of each option against monthly volume, crossings marked."""
    base = max(resolve(sc).params["workload.requests_per_month"].nominal, 1.0)
    volumes = np.geomspace(base / 100, base * 100, 200)
    apis = [n for n, o in sc.options.items() if isinstance(o, ApiOption)]
    fig = go.Figure()
    option_colours = {name: PALETTE[(i + 3) % len(PALETTE)] for i, name in enumerate(sc.options)}
    for name, option in sc.options.items():
        fallback = apis[0] if isinstance(option, SelfHostedOption) and apis else None
        cost = monthly_run_rate_usd(sc, name, volumes, fallback=fallback)
        fig.add_scatter(x=volumes, y=cost, name=name, mode="lines",
                        line={"color": option_colours[name], "width": 3,
                              "shape": "hv" if isinstance(option, SelfHostedOption) else "linear"},
                        hovertemplate="%{x:,.3s} requests/month: $%{y:,.0f}/month<extra>" + name
                        + "</extra>")
    for row in ev.break_even.itertuples():
        if pd.notna(row.break_even_requests_per_month):
            v = row.break_even_requests_per_month
            y = monthly_run_rate_usd(sc, row.api_option, np.array([v]))[0]
            fig.add_scatter(x=[v], y=[y], mode="markers+text", showlegend=False,
                            marker={"size": 12, "color": "black", "symbol": "x"},
                            text=[f"break-even {compact(v)}/month"], textposition="top left",
                            hovertemplate=f"{row.api_option} = {row.self_hosted_option} at "
                            "%{x:,.0f} requests/month<extra></extra>")
    fig.add_vline(x=base, line_dash="dot", line_color="grey", annotation_text="today",
                  annotation_position="bottom right")
    fig.update_layout(xaxis={"type": "log", "tickformat": "~s"}, yaxis={**MONEY_AXIS, "type": "log"})
    return _layout(fig, "Break-even: month-0 run rate against volume", "requests per month",
                   "USD per month")


def fleet(ev: Evaluation) -> go.Figure:
    """GPUs provisioned per month for each self-hosted option and strategy."""
    colours = strategy_colours(list(ev.scenario.strategies))
    fig = go.Figure()
    for (strategy, option), frame in ev.fleet.groupby(["strategy", "option"], sort=False):
        fig.add_scatter(x=frame["month"], y=frame["gpus"], name=f"{strategy}: {option}",
                        mode="lines", line={"color": colours[strategy], "width": 3, "shape": "hv"},
                        customdata=np.round(100 * frame["utilization"].to_numpy(), 1),
                        hovertemplate="month %{x}: %{y:.0f} GPUs, %{customdata}% busy on average"
                        "<extra></extra>")
    return _layout(fig, "Self-hosted fleet: GPUs provisioned (deterministic)", "month", "GPUs")


def npv_distribution(result: SimulationResult) -> go.Figure:
    colours = strategy_colours(result.strategies)
    fig = go.Figure()
    for s_i, name in enumerate(result.strategies):
        fig.add_violin(y=result.npv_usd[:, s_i], name=name, box_visible=True, meanline_visible=True,
                       line_color=colours[name], points=False, spanmode="hard",
                       hoverinfo="y+name")
    fig.update_layout(yaxis=MONEY_AXIS, showlegend=False)
    return _layout(fig, f"NPV of total cost over {result.paths:,} paths", "strategy", "NPV (USD)")


def npv_summary(result: SimulationResult) -> go.Figure:
    """Mean NPV per strategy with P5-P95 whiskers and the deterministic value marked."""
    table = result.summary()
    colours = strategy_colours(result.strategies)
    fig = go.Figure(go.Bar(
        x=result.strategies, y=table["mean"], marker_color=[colours[s] for s in result.strategies],
        error_y={"type": "data", "symmetric": False, "array": table["p95"] - table["mean"],
                 "arrayminus": table["mean"] - table["p5"], "color": "#444"},
        text=[usd(v) for v in table["mean"]], textposition="inside", insidetextanchor="start",
        name="mean",
        hovertemplate="%{x}: mean $%{y:,.0f}<extra></extra>"))
    fig.add_scatter(x=result.strategies, y=table["deterministic_npv"], mode="markers",
                    marker={"symbol": "diamond", "size": 11, "color": "black"}, name="deterministic")
    fig.update_layout(yaxis=MONEY_AXIS)
    return _layout(fig, "Expected NPV per strategy (whiskers: P5 to P95)", "strategy", "NPV (USD)")


def fan_chart(result: SimulationResult) -> go.Figure:
    """Cumulative cost bands per strategy: P5-P95 and P25-P75 with the median."""
    q = result.monthly_percentiles()
    colours = strategy_colours(result.strategies)
    fig = go.Figure()
    for name in result.strategies:
        frame = q[q["strategy"] == name]
        colour = colours[name]
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        for low, high, alpha in (("p5", "p95", 0.15), ("p25", "p75", 0.3)):
            fig.add_scatter(x=frame["month"], y=frame[f"{high}_cumulative_usd"], mode="lines",
                            line={"width": 0}, showlegend=False, hoverinfo="skip", legendgroup=name)
            fig.add_scatter(x=frame["month"], y=frame[f"{low}_cumulative_usd"], mode="lines",
                            line={"width": 0}, fill="tonexty", legendgroup=name, showlegend=False,
                            fillcolor=f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha})",
                            name=f"{name} {low.upper()}-{high.upper()}", hoverinfo="skip")
        fig.add_scatter(x=frame["month"], y=frame["p50_cumulative_usd"], mode="lines", name=name,
                        legendgroup=name, line={"color": colour, "width": 3},
                        hovertemplate="month %{x}: median $%{y:,.0f}<extra>" + name + "</extra>")
    fig.update_layout(yaxis=MONEY_AXIS)
    return _layout(fig, "Cumulative cost: median, P25-P75 and P5-P95 bands", "month", "USD")


def events(result: SimulationResult) -> go.Figure:
    table = result.summary()
    fig = go.Figure()
    for k, kind in enumerate(EVENT_KINDS):
        fig.add_bar(x=result.strategies, y=table[f"events_{kind}"], name=kind.replace("_", " "),
                    marker_color=PALETTE[(k + 3) % len(PALETTE)],
                    hovertemplate="%{x}: %{y:.2f} events per path<extra>" + kind + "</extra>")
    fig.update_layout(barmode="group")
    return _layout(fig, "Events fired on the options each strategy relies on (mean per path)",
                   "strategy", "events per path")


def regret(result: SimulationResult) -> go.Figure:
    table = result.summary()
    colours = strategy_colours(result.strategies)
    fig = go.Figure(go.Bar(x=result.strategies, y=table["expected_regret"],
                           marker_color=[colours[s] for s in result.strategies],
                           text=[usd(v) for v in table["expected_regret"]], textposition="outside"))
    fig.update_layout(yaxis=MONEY_AXIS)
    return _layout(fig, "Expected regret against the best strategy on the same path", "strategy",
                   "USD (NPV)")


def tornado(frame: pd.DataFrame, strategy: str, top: int = 12) -> go.Figure:
    """Swing of one strategy's deterministic NPV as each input moves to its low and high value."""
    rows = frame[frame["strategy"] == strategy].head(top).iloc[::-1]
    fig = go.Figure()
    if rows.empty:
        return _layout(fig, f"Tornado: {strategy} (no inputs to vary)", "NPV change (USD)", "")
    base = float(rows["base_npv_usd"].iloc[0])
    labels = [f"{r.input} ({r.kind})" for r in rows.itertuples()]
    fig.add_bar(y=labels, x=rows["npv_low_usd"] - base, orientation="h", name="input at low value",
                marker_color="#56B4E9", customdata=rows["low_value"],
                hovertemplate="input %{customdata:,.4g}: %{x:$,.0f}<extra></extra>")
    fig.add_bar(y=labels, x=rows["npv_high_usd"] - base, orientation="h", name="input at high value",
                marker_color="#D55E00", customdata=rows["high_value"],
                hovertemplate="input %{customdata:,.4g}: %{x:$,.0f}<extra></extra>")
    fig.update_layout(barmode="overlay", xaxis=MONEY_AXIS, height=max(420, 38 * len(rows) + 160),
                      yaxis={"automargin": True})
    return _layout(fig, f"Tornado: {strategy} NPV change from {usd(base)}", "NPV change (USD)", "")


def ranking(frame: pd.DataFrame, strategy: str, top: int = 12) -> go.Figure:
    rows = frame[frame["strategy"] == strategy].head(top).iloc[::-1]
    labels = [f"{r.input}{' *' if r.correlated else ''}" for r in rows.itertuples()]
    fig = go.Figure(go.Bar(y=labels, x=rows["variance_share"], orientation="h",
                           marker_color="#0072B2", customdata=rows["spearman_rho"],
                           hovertemplate="share of variance %{x:.1%}, rank correlation "
                           "%{customdata:.2f}<extra></extra>"))
    fig.update_layout(xaxis={"tickformat": ".0%"}, height=max(420, 38 * len(rows) + 160),
                      yaxis={"automargin": True})
    return _layout(fig, f"Global ranking: drivers of {strategy}'s NPV spread (* correlated)",
                   "first-order share of NPV variance", "")


def portability(frame: pd.DataFrame, strategies: list[str]) -> go.Figure:
    colours = strategy_colours(strategies)
    fig = go.Figure()
    fig.add_bar(x=frame["strategy"], y=frame["mean_saving_usd"], name="expected NPV saving",
                marker_color=[colours[s] for s in frame["strategy"]])
    fig.add_bar(x=frame["strategy"], y=frame["p95_saving_usd"], name="P95 NPV saving",
                marker_color="#7F7F7F")
    fig.update_layout(barmode="group", yaxis=MONEY_AXIS)
    return _layout(fig, "Value of portability: saving from portability 0 to 1 (most worth paying "
                   "for a gateway and evals)", "strategy", "USD (NPV)")


def stress_impact(frame: pd.DataFrame, title: str) -> go.Figure:
    colours = strategy_colours(list(frame["strategy"]))
    fig = go.Figure(go.Bar(x=frame["strategy"], y=frame["impact_usd"],
                           marker_color=[colours[s] for s in frame["strategy"]],
                           text=[usd(v) for v in frame["impact_usd"]], textposition="outside"))
    fig.update_layout(yaxis=MONEY_AXIS)
    return _layout(fig, title, "strategy", "NPV impact (USD)")
