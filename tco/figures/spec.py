"""Figure specs and the colour palettes every renderer shares.

A ``FigureSpec`` is what a chart shows, with no drawing library in it: a tidy frame (one row per
point: ``series``, ``x``, ``y`` and optional ``low``/``high`` whiskers or bands, ``inner_low``/
``inner_high`` inner bands, ``text`` labels), axis titles with units, and the colour and line style
of each series. The plotly renderer (page, PNG, SVG) and the python-pptx renderer (deck) draw the
same spec, so a strategy is the same colour and an input carries the same label everywhere.

Colours: strategies, options (break-even curves), event kinds and the few single-purpose roles each
have their own hexes, disjoint from each other and from the cost-line colours in ``tco.lines``, so
no colour means two things.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

import tco.lines as lines

STRATEGY_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#7A5195",
                    "#2F4B7C")
"""Okabe-Ito colour-blind-safe hues, then two dark ones: one colour per strategy in scenario order."""
OPTION_PALETTE = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677",
                  "#882255", "#AA4499")
"""Paul Tol's muted scheme, for options (the break-even curves), never for strategies."""
EVENT_PALETTE = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")
"""Paul Tol's bright scheme, one colour per risk kind in the engine's order."""
ROLES = {
    "tornado_low": "#5AAE61",        # an input at its low value
    "tornado_high": "#9970AB",       # an input at its high value
    "ranking": "#35978F",            # share of NPV variance
    "deterministic": "#1B1B1B",      # the deterministic NPV marker
    "p95_saving": "#8C510A",         # P95 saving marker on the portability chart
    "break_even": "#E7298A",         # crossing markers on the break-even chart
    "reference": "#9E9E9E",          # 'today' line, whiskers: context, not data
}
"""Colours with one job each."""


def strategy_colours(strategies: list[str]) -> dict[str, str]:
    """Colour of each strategy: its position in the scenario picks it from ``STRATEGY_PALETTE``."""
    return {name: STRATEGY_PALETTE[i % len(STRATEGY_PALETTE)] for i, name in enumerate(strategies)}


def option_colours(options: list[str]) -> dict[str, str]:
    """Colour of each option on the break-even chart, from ``OPTION_PALETTE``."""
    return {name: OPTION_PALETTE[i % len(OPTION_PALETTE)] for i, name in enumerate(options)}


def line_colour(name: str) -> str:
    """Colour of a cost line, as declared in ``tco.lines``."""
    return lines.BY_NAME[name].colour


def all_colours() -> list[str]:
    """Every data colour in use, upper case: a test checks no hex appears twice."""
    return [c.upper() for c in (*STRATEGY_PALETTE, *OPTION_PALETTE, *EVENT_PALETTE, *ROLES.values(),
                                *(line.colour for line in lines.LINES))]


@dataclass(frozen=True)
class Axis:
    """One axis: its title with the unit, how ticks read and whether it is logarithmic.

    ``format`` is one of 'usd' ($1.2M), 'usd_cents' ($0.85), 'count' (20M), 'gpus' (whole numbers),
    'share' (38%), 'month', 'number' or 'category'.
    """

    title: str
    format: str = "number"
    log: bool = False


@dataclass(frozen=True)
class Style:
    """How one series is drawn.

    ``marker`` set means points only ('diamond', 'x'), drawn over the bars or lines.
    ``in_legend`` False hides helper series (band edges) from the legend.
    """

    colour: str
    dash: str = "solid"
    step: bool = False
    marker: str | None = None
    in_legend: bool = True
    width_pt: float = 2.5


KINDS = ("bar", "grouped_bar", "stacked_bar", "line", "fan", "hbar", "violin")
"""bar: one bar per category per series, series overlaid (one strategy per category);
grouped_bar: series side by side; stacked_bar: series stacked; line: x-y lines (steps if the style
says so); fan: median lines with low/high and inner bands; hbar: horizontal bars, frame order top
to bottom, series overlaid; violin: the distribution of ``y`` per series."""


@dataclass(frozen=True, eq=False)
class FigureSpec:
    """A chart as data: what to draw, never how a library draws it."""

    name: str
    kind: str
    title: str
    x: Axis
    y: Axis
    frame: pd.DataFrame
    styles: dict[str, Style]
    reference_x: float | None = None
    reference_label: str = ""
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown figure kind '{self.kind}'")
        missing = set(self.frame["series"]) - set(self.styles) if len(self.frame) else set()
        if missing:
            raise ValueError(f"{self.name}: series without a style: {sorted(missing)}")

    def series(self) -> list[tuple[str, Style, pd.DataFrame]]:
        """Each series in legend order with its style and rows (empty series skipped)."""
        out = []
        for name, style in self.styles.items():
            rows = self.frame[self.frame["series"] == name]
            if len(rows):
                out.append((name, style, rows))
        return out

    @property
    def categories(self) -> list:
        """The x values in first-seen order (bar kinds draw one slot per category)."""
        return list(dict.fromkeys(self.frame["x"]))
