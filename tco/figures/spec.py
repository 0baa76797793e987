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

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

import tco.lines as lines

STRATEGY_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#6A3D9A",
                    "#5C4033")
"""Okabe-Ito colour-blind-safe hues, then two dark ones: one colour per strategy, by its name
(``strategy_colours``)."""
OPTION_PALETTE = ("#1D3557", "#88CCEE", "#8C6D31", "#E76F51", "#5F0F40", "#A3B18A", "#264653",
                  "#F4A261", "#3A5A40")
"""Options (the break-even curves), never strategies: at least ``MIN_DELTA_E`` from every other
palette here, so an option never reads as a strategy or a risk kind."""
EVENT_PALETTE = ("#332288", "#DDCC77", "#CC6677", "#999933", "#AA4499", "#117733", "#BBBBBB")
"""Paul Tol's muted hues, one colour per risk kind in the engine's order (none of them a strategy's)."""
ROLES = {
    "tornado_low": "#5AAE61",        # an input at its low value
    "tornado_high": "#9970AB",       # an input at its high value
    "ranking": "#35978F",            # share of NPV variance
    "deterministic": "#1B1B1B",      # the deterministic NPV marker
    "p95_saving": "#8C510A",         # P95 saving marker on the portability chart
    "break_even": "#E7298A",         # crossing markers on the break-even chart
    "reference": "#7F7F7F",          # 'today' line, whiskers: context, not data
    "published_runs": "#B2182B",     # published benchmark runs on the throughput-latency chart
    "own_runs": "#01665E",           # the user's own benchmark runs on the same chart
    "bridge_up": "#3B3B3B",          # a bridge step that adds cost: a dark grey, as no strategy
                                     # is grey (an orange step met the orange strategies' ends)
    "bridge_down": "#C6DBEF",        # a bridge step that takes cost off: pale, far from the blues
    "frontier": "#4B0082",           # the efficient frontier of mixes (Decide)
    "chosen_mix": "#00CED1",         # the optimiser's chosen mix on the same chart
    "decision": "#B8860B",           # a portfolio's whole decision (mixes, reserved GPUs, tiers)
}
"""Colours with one job each."""


def _palette_slot(name: str) -> int:
    """A strategy name's own slot in ``STRATEGY_PALETTE``: a hash that is the same in every process
    (Python's ``hash`` of a string changes per process)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % len(STRATEGY_PALETTE)


def strategy_colours(strategies: list[str]) -> dict[str, str]:
    """Colour of each strategy, chosen by its name, so that 'self-host' is the same colour in every
    scenario, page and deck whatever its place in the file.

    Each name has its own slot (``_palette_slot``); where two strategies of one scenario want the
    same slot, the first by name keeps it and the other takes the next free one. The choice depends
    only on the set of names, never on their order; beyond eight strategies colours repeat.
    """
    size, chosen = len(STRATEGY_PALETTE), {}
    for name in sorted(strategies):
        slot = _palette_slot(name)
        free = [(slot + k) % size for k in range(size) if (slot + k) % size not in chosen.values()]
        chosen[name] = free[0] if free else slot
    return {name: STRATEGY_PALETTE[chosen[name]] for name in strategies}


def option_colours(options: list[str]) -> dict[str, str]:
    """Colour of each option on the break-even chart, from ``OPTION_PALETTE``."""
    return {name: OPTION_PALETTE[i % len(OPTION_PALETTE)] for i, name in enumerate(options)}


def line_colour(name: str) -> str:
    """Colour of a cost line, as declared in ``tco.lines``."""
    return lines.BY_NAME[name].colour


OTHER_LINE_DELTA_E = 20.0
"""Smallest distance of a scenario's own cost line from every other line of the same chart: the
small top segments of a stacked bar are told apart by colour alone, so they need more than
``MIN_DELTA_E`` (navy 'egress' against navy 'Tokens' at 16.5 read as one)."""


def line_colours(names: Iterable[str]) -> dict[str, str]:
    """Colour of each cost line of one chart: declared lines keep their own; a scenario's named
    ``other_costs`` take ``lines.OTHER_PALETTE`` in order of first appearance, skipping a colour
    closer than ``OTHER_LINE_DELTA_E`` to one already on the chart (a hash of the name let 'log
    storage' and 'LLM observability' share a green). Give every line of the scenario, not one
    strategy's, so a name keeps its colour across strategies."""
    names = list(dict.fromkeys(names))
    taken = {name: lines.BY_NAME[name].colour for name in names if name in lines.NAMES}
    free = list(lines.OTHER_PALETTE)
    for name in names:
        if name in taken:
            continue
        pick = next((c for c in free if all(delta_e(c, t) >= OTHER_LINE_DELTA_E
                                            for t in taken.values())), None)
        taken[name] = pick or lines.BY_NAME[name].colour  # palette spent: the name's own hash
        if pick:
            free.remove(pick)
    return taken


MIN_DELTA_E = 12.0
"""Smallest perceptual distance (CIE76 Delta E) between two colours of different meaning among the
strategy, option, risk-kind and role palettes: below about 10 people read two colours as one."""


def delta_e(a: str, b: str) -> float:
    """CIE76 colour difference of two '#RRGGBB' colours (sRGB, D65)."""
    def lab(hex_colour: str) -> tuple[float, float, float]:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
        xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
               (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
        f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz]
        return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])

    return sum((x - y) ** 2 for x, y in zip(lab(a), lab(b), strict=True)) ** 0.5


def palettes() -> dict[str, tuple[str, ...]]:
    """The colour sets this module owns, by meaning (cost lines are ``tco.lines``'s)."""
    return {"strategy": STRATEGY_PALETTE, "option": OPTION_PALETTE, "risk kind": EVENT_PALETTE,
            "role": tuple(ROLES.values())}


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
    start: str = ""
    """On a 'month' axis, the calendar month of month 0 ('YYYY-MM'): ticks then read as calendar
    months. Empty: month numbers."""


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


KINDS = ("bar", "grouped_bar", "stacked_bar", "line", "fan", "hbar", "violin", "waterfall")
"""bar: one bar per category per series, series overlaid (one strategy per category);
grouped_bar: series side by side; stacked_bar: series stacked; line: x-y lines (steps if the style
says so); fan: median lines with low/high and inner bands; hbar: horizontal bars, frame order top
to bottom, series overlaid; violin: the distribution of ``y`` per series; waterfall: steps in frame order,
``measure`` 'absolute' (a bar from zero) or 'relative' (a step from the running total)."""


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
