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
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

import tco.lines as lines

STRATEGY_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#6A3D9A",
                    "#5C4033")
"""Okabe-Ito colour-blind-safe hues, then two dark ones: one colour per strategy, by its name
(``strategy_colours``)."""
OPTION_PALETTE = ("#333355", "#99DDFF", "#997744", "#E76F51", "#553355", "#A3B18A", "#336677",
                  "#FF9966", "#3A5A40")
"""Options (the break-even curves), never strategies: at least ``MIN_DELTA_E`` from every other
palette here, so an option never reads as a strategy or a risk kind."""
EVENT_PALETTE = ("#332288", "#DDCC77", "#CC6677", "#999933", "#AA4499", "#117733", "#BBBBBB")
"""Paul Tol's muted hues, one colour per risk kind in the engine's order (none of them a strategy's)."""
ROLES = {
    "tornado_low": "#5AAE61",        # an input at its low value
    "tornado_high": "#9970AB",       # an input at its high value
    "ranking": "#0099AA",            # share of NPV variance
    "deterministic": "#1B1B1B",      # the deterministic NPV marker
    "p95_saving": "#8C510A",         # P95 saving marker on the portability chart
    "break_even": "#E7298A",         # crossing markers on the break-even chart
    "reference": "#888888",          # 'today' line, whiskers: context, not data
    "published_runs": "#BB1133",     # published benchmark runs on the throughput-latency chart
    "own_runs": "#01665E",           # the user's own benchmark runs on the same chart
    "bridge_up": "#3B3B3B",          # a bridge step that adds cost: a dark grey, as no strategy
                                     # is grey (an orange step met the orange strategies' ends)
    "bridge_down": "#CCCCEE",        # a bridge step that takes cost off: pale, far from the blues
    "frontier": "#9900EE",           # the efficient frontier of mixes (Decide)
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


OTHER_LINE_CIEDE2000 = 15.0
"""Smallest CIEDE2000 distance of a scenario's own cost line from every other line of the same
chart: the small top segments of a stacked bar are told apart by colour alone, so they need more
than ``MIN_CIEDE2000`` (the flagship's 'platform staff' lavender and 'egress' purple, 21.1 apart in
CIE76, read as one)."""


def line_colours(names: Iterable[str]) -> dict[str, str]:
    """Colour of each cost line of one chart: declared lines keep their own; a scenario's named
    ``other_costs`` take ``lines.OTHER_PALETTE`` in order of first appearance, skipping a colour
    closer than ``OTHER_LINE_CIEDE2000`` to one already on the chart (a hash of the name let 'log
    storage' and 'LLM observability' share a green). Give every line of the scenario, not one
    strategy's, so a name keeps its colour across strategies."""
    names = list(dict.fromkeys(names))
    taken = {name: lines.BY_NAME[name].colour for name in names if name in lines.NAMES}
    free = list(lines.OTHER_PALETTE)
    for name in names:
        if name in taken:
            continue
        if not free:  # more own lines than colours: the name's own hash
            taken[name] = lines.BY_NAME[name].colour
            continue
        # The first free colour far enough from every line on the chart; failing that, the free
        # colour farthest from its nearest (a hash could land on the Tokens navy).
        pick = next((c for c in free if all(ciede2000(c, t) >= OTHER_LINE_CIEDE2000
                                            for t in taken.values())), None)
        pick = pick or max(free, key=lambda c: min(ciede2000(c, t) for t in taken.values()))
        taken[name] = pick
        free.remove(pick)
    return taken


MIN_DELTA_E = 12.0
"""Smallest CIE76 distance between two colours of different meaning among the strategy, option,
risk-kind and role palettes (a coarse floor; ``MIN_CIEDE2000`` is the rule a reader feels)."""
MIN_CIEDE2000 = 10.0
"""Smallest CIEDE2000 distance between any two colours of different meaning: the strategy, option,
risk-kind and role palettes and the declared cost lines. CIE76 overstates the gap between dark
blues and purples (indigo '#4B0082' and risk-kind '#332288' were 14.1 apart in CIE76 and read as
one; CIEDE2000 puts them at 6.7), so the rule is stated in the metric that weights hue and chroma
as people see them."""


def lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* of a '#RRGGBB' colour (sRGB, D65 white)."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(a: str, b: str) -> float:
    """CIE76 colour difference of two '#RRGGBB' colours: the Euclidean distance in L*a*b*."""
    return sum((x - y) ** 2 for x, y in zip(lab(a), lab(b), strict=True)) ** 0.5


def ciede2000_lab(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIEDE2000 difference of two L*a*b* colours (kL = kC = kH = 1).

    Notes
    -----
    Sharma, Wu and Dalal, "The CIEDE2000 color-difference formula: implementation notes,
    supplementary test data, and mathematical observations", Color Research & Application 30(1),
    2005, equations 1-22; their test pairs are the unit test's oracle.
    """
    (l1, a1, b1), (l2, a2, b2) = first, second
    chroma_mean7 = ((math.hypot(a1, b1) + math.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - math.sqrt(chroma_mean7 / (chroma_mean7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    d_hue = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    h_mean = h1p + h2p
    if c1p * c2p != 0:
        h_mean = (h_mean / 2 if abs(h1p - h2p) <= 180
                  else (h_mean + 360) / 2 if h_mean < 360 else (h_mean - 360) / 2)
    t = (1 - 0.17 * math.cos(math.radians(h_mean - 30)) + 0.24 * math.cos(math.radians(2 * h_mean))
         + 0.32 * math.cos(math.radians(3 * h_mean + 6)) - 0.20 * math.cos(math.radians(4 * h_mean - 63)))
    rotation = 30 * math.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    r_t = -math.sin(math.radians(2 * rotation)) * r_c
    dl, dc, dhh = (l2 - l1) / s_l, (c2p - c1p) / s_c, d_hue / s_h
    return math.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + r_t * dc * dhh)


def ciede2000(a: str, b: str) -> float:
    """CIEDE2000 difference of two '#RRGGBB' colours: about 1 is just noticeable side by side;
    below ``MIN_CIEDE2000`` two small chart marks read as one colour."""
    return ciede2000_lab(lab(a), lab(b))


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
