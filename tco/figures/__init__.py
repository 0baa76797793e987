"""Charts as data (``tco.figures.data``) drawn by plotly (page, PNG, SVG) or python-pptx (deck).

The functions here keep the names and signatures of the old ``tco.charts`` and return plotly
figures, so the page switches with one import change. ``tornado`` and ``ranking`` also take an
optional ``scenario`` that names missing components and risks in their labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from tco.figures import data
from tco.figures.plotly import to_figure
from tco.figures.spec import (
    STRATEGY_PALETTE,
    Axis,
    FigureSpec,
    Style,
    line_colour,
    option_colours,
    strategy_colours,
)

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario
    from tco.model import Evaluation
    from tco.simulate import SimulationResult

PALETTE = STRATEGY_PALETTE
"""The strategy palette under its old ``tco.charts`` name."""

__all__ = ["PALETTE", "STRATEGY_PALETTE", "Axis", "FigureSpec", "Style", "break_even", "cost_lines",
           "cost_per_mtok", "cumulative_cost", "data", "events", "fan_chart", "fleet", "line_colour",
           "npv_distribution", "npv_summary", "option_colours", "portability", "ranking", "regret",
           "strategy_colours", "stress_impact", "to_figure", "tornado"]


def cost_lines(lines: pd.DataFrame, strategy: str, title_suffix: str = "") -> go.Figure:
    """Stacked monthly cost by line for one strategy. ``lines``: strategy, month, line, usd."""
    return to_figure(data.cost_lines(lines, strategy, title_suffix))


def cumulative_cost(ev: Evaluation) -> go.Figure:
    """Deterministic cumulative cost per strategy over the horizon."""
    return to_figure(data.cumulative_cost(ev))


def cost_per_mtok(ev: Evaluation) -> go.Figure:
    """Cost per million tokens served, per strategy."""
    return to_figure(data.cost_per_mtok(ev))


def break_even(sc: Scenario, ev: Evaluation) -> go.Figure:
    """Month-0 run rate of each option against monthly volume, crossings marked."""
    return to_figure(data.break_even(sc, ev))


def fleet(ev: Evaluation) -> go.Figure:
    """GPUs provisioned per month for each self-hosted option and strategy."""
    return to_figure(data.fleet(ev))


def npv_distribution(result: SimulationResult) -> go.Figure:
    """Violin of every path's NPV per strategy."""
    return to_figure(data.npv_distribution(result))


def npv_summary(result: SimulationResult) -> go.Figure:
    """Expected NPV per strategy with P5-P95 whiskers and the deterministic value marked."""
    return to_figure(data.npv_summary(result))


def fan_chart(result: SimulationResult) -> go.Figure:
    """Cumulative cost bands per strategy: P5-P95 and P25-P75 with the median."""
    return to_figure(data.fan_chart(result))


def events(result: SimulationResult) -> go.Figure:
    """Mean events per path of each risk kind, per strategy."""
    return to_figure(data.events(result))


def regret(result: SimulationResult) -> go.Figure:
    """Expected regret against the best strategy on the same path."""
    return to_figure(data.regret(result))


def tornado(frame: pd.DataFrame, strategy: str, top: int = 12,
            scenario: Scenario | None = None) -> go.Figure:
    """Swing of one strategy's deterministic NPV per input, labelled from the glossary."""
    return to_figure(data.tornado(frame, strategy, top, scenario))


def ranking(frame: pd.DataFrame, strategy: str, top: int = 12,
            scenario: Scenario | None = None) -> go.Figure:
    """Drivers of one strategy's NPV spread, labelled from the glossary."""
    return to_figure(data.ranking(frame, strategy, top, scenario))


def portability(frame: pd.DataFrame, strategies: list[str]) -> go.Figure:
    """Expected and P95 NPV saving from portability 0 to 1, per strategy."""
    return to_figure(data.portability(frame, strategies))


def stress_impact(frame: pd.DataFrame, title: str) -> go.Figure:
    """NPV impact of one forced event, per strategy."""
    return to_figure(data.stress_impact(frame, title))
