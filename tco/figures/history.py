"""The History tab's chart: what each strategy really would have cost, over its simulated futures.

``history_spec`` is the simulated fan of the replay's window (median, P25-P75 and P5-P95 of cumulative
cost, one panel per strategy) as a ``FigureSpec``; ``realised_frame`` and ``event_frame`` hold the
realised path and the events forced on it. ``history_figure`` draws the fan with the shared plotly
renderer and lays the realised line and the event markers over each panel (named in the legend,
detailed on hover).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

import tco.calendar as calendar
import tco.risks as risks
from tco.figures.plotly import FAN_COLUMNS, MARKER_SIZE_PX, to_figure
from tco.figures.spec import EVENT_PALETTE, ROLES, Axis, FigureSpec, Style, strategy_colours
from tco.format import usd

if TYPE_CHECKING:
    from tco.backtest import Backtest

REALISED = "Realised: the ledger's events replayed"
CALENDAR = Axis("Calendar month", "date")
MONEY = Axis("Cumulative cost, undiscounted ($)", "usd")


def _days(result: Backtest, months: pd.Series | list[int]) -> list:
    """Calendar dates (the first of each month) of window months, so the axis reads as dates."""
    return [calendar.first_day(result.window.start, int(t)) for t in months]


def history_spec(result: Backtest) -> FigureSpec:
    """The simulated fan of every strategy over the replay's window; panel titles carry the
    realised path's NPV percentile."""
    q = result.simulation.monthly_percentiles()
    table = result.summary().set_index("strategy")
    frames, styles = [], {}
    for (name, f), colour in zip(q.groupby("strategy", sort=False),
                                 strategy_colours(result.simulation.strategies).values(), strict=True):
        title = (f"{name}: realised at P{table.loc[name, 'percentile']:.0f}" if result.replayed[name]
                 else f"{name}: no history to replay")
        styles[title] = Style(colour)
        frames.append(pd.DataFrame({
            "series": title, "x": _days(result, f["month"]), "y": f["p50_cumulative_usd"].to_numpy(),
            "low": f["p5_cumulative_usd"].to_numpy(), "high": f["p95_cumulative_usd"].to_numpy(),
            "inner_low": f["p25_cumulative_usd"].to_numpy(),
            "inner_high": f["p75_cumulative_usd"].to_numpy()}))
    paths = result.simulation.paths
    return FigureSpec(
        "history", "fan", f"Realised cost against {paths:,} simulated futures, {result.window.label}",
        CALENDAR, MONEY, pd.concat(frames, ignore_index=True), styles,
        notes=("Bands: P25-P75 and P5-P95 of simulated paths; coloured line: median; black line: realised.",))


def realised_frame(result: Backtest) -> pd.DataFrame:
    """strategy, month, date, realised cumulative cost (undiscounted)."""
    months = result.window.months
    return pd.concat([pd.DataFrame({"strategy": name, "month": range(months),
                                    "date": _days(result, list(range(months))),
                                    "cumulative_usd": result.realised_cumulative_usd[s]})
                      for s, name in enumerate(result.simulation.strategies)], ignore_index=True)


def event_label(row: pd.Series) -> str:
    """What a marker says: 'Deprecation on gemini, x0.06 successor price (2025-06-06)'."""
    size = f", {row['size']}" if row["size"] else ""
    return f"{row['event']} on {row['option']}{size} ({row['date']})"


def event_frame(result: Backtest) -> pd.DataFrame:
    """Applied events on each strategy that relies on their option: strategy, date, cumulative cost
    there, label (words, never an internal name) and kind (for its colour)."""
    realised = realised_frame(result).set_index(["strategy", "month"])["cumulative_usd"]
    kinds = {risks.label(k): k for k in risks.REGISTRY}
    rows = []
    for name, strategy in result.scenario.strategies.items():
        relied = set(strategy.mix) | set(strategy.chain)
        for _, e in result.events[result.events["applied"]].iterrows():
            if e["option"] in relied:
                rows.append({"strategy": name, "date": calendar.first_day(result.window.start, e["month"]),
                             "cumulative_usd": realised[(name, e["month"])], "label": event_label(e),
                             "kind": kinds.get(e["event"], "")})
    return pd.DataFrame(rows, columns=["strategy", "date", "cumulative_usd", "label", "kind"])


def history_figure(result: Backtest) -> go.Figure:
    """The fan panels with each strategy's realised line and its events marked and labelled."""
    spec = history_spec(result)
    fig = to_figure(spec)
    realised, events = realised_frame(result), event_frame(result)
    kinds = list(risks.REGISTRY)
    shown: set[str] = set()
    for k, name in enumerate(result.simulation.strategies):
        where = {"row": k // FAN_COLUMNS + 1, "col": k % FAN_COLUMNS + 1}
        path = realised[realised["strategy"] == name]
        fig.add_scatter(x=path["date"], y=path["cumulative_usd"], mode="lines", name=REALISED,
                        legendgroup=REALISED, showlegend=not shown, **where,
                        line={"color": ROLES["deterministic"], "width": 3},
                        hovertemplate="%{x|%Y-%m}: realised %{y:$,.0f}<extra></extra>")
        shown.add(REALISED)
        for kind, marks in events[events["strategy"] == name].groupby("kind", sort=False):
            label = risks.label(kind) if kind else "Event"
            colour = EVENT_PALETTE[kinds.index(kind) % len(EVENT_PALETTE)] if kind else ROLES["reference"]
            # No text beside the markers: two events a few weeks apart wrote their labels over each
            # other and over the lines. The legend names each kind by its colour; hover gives the event.
            fig.add_scatter(x=marks["date"], y=marks["cumulative_usd"], mode="markers", name=label,
                            legendgroup=label, showlegend=label not in shown, **where,
                            marker={"symbol": "diamond", "size": MARKER_SIZE_PX, "color": colour,
                                    "line": {"width": 1, "color": "#1B1B1B"}},
                            customdata=marks["label"], hovertemplate="%{customdata}<extra></extra>")
            shown.add(label)
    fig.update_xaxes(tickformat="%Y-%m")
    return fig


def realised_summary(result: Backtest) -> pd.DataFrame:
    """The table under the chart: realised NPV, the simulated range and the percentile, as text."""
    table = result.summary()
    return pd.DataFrame({
        "Strategy": table["strategy"], "Realised NPV ($)": table["realised_npv_usd"].map(usd),
        "Simulated P5 ($)": table["simulated_p5_usd"].map(usd),
        "Simulated median ($)": table["simulated_p50_usd"].map(usd),
        "Simulated P95 ($)": table["simulated_p95_usd"].map(usd),
        "Simulated mean ($)": table["simulated_mean_usd"].map(usd),
        "Percentile of the realised NPV": [f"P{v:.0f}" if result.replayed[name] else
                                           "no history to replay (nominal run)"
                                           for name, v in zip(table["strategy"], table["percentile"],
                                                              strict=True)]})
