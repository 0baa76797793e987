"""Where a marker's text label goes: above and to the left of its point, or, where that box would
cover a label already placed, below and to the right, so two strategies with close costs
(self-host and hosted-then-own on the Decide chart) never write their names over each other. A deck
chart centres a label on one side of its point, so it takes its own side (``deck_sides``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tco.figures.spec import Axis, FigureSpec
from tco.figures.ticks import linear_scale

CHAR_WIDTH = 0.011
"""Width of one label character as a share of the plot's width (about 8 px of a 750 px plot)."""
LINE_HEIGHT = 0.07
"""Height of a label as a share of the plot's height (about 18 px of a 260 px plot)."""
OFFSET_X, OFFSET_Y = 0.04, 0.12
"""How far the label's near corner sits from its point, as shares of the plot (the page draws it
30 px across and 34 px up or down)."""


def _unit(values: pd.Series, log: bool) -> np.ndarray:
    """Values rescaled to 0..1 across the plot (log10 first on a log axis)."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if log:
        v = np.log10(np.where(v > 0, v, np.nan))
    low, high = np.nanmin(v), np.nanmax(v)
    return (v - low) / (high - low) if high > low else np.full_like(v, 0.5)


def _box(x: float, y: float, chars: int, below: bool) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of a label: up-left of its point, or down-right when below."""
    width = chars * CHAR_WIDTH
    if below:
        return x + OFFSET_X, y - OFFSET_Y - LINE_HEIGHT, x + OFFSET_X + width, y - OFFSET_Y
    return x - OFFSET_X - width, y + OFFSET_Y, x - OFFSET_X, y + OFFSET_Y + LINE_HEIGHT


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _overlap_area(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Area two (left, bottom, right, top) boxes share, in squared plot shares."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def labels_below(spec: FigureSpec) -> pd.Series:
    """True for each labelled marker row whose label goes below-right, indexed like ``spec.frame``.

    Labels are placed left to right (then bottom to top); each takes the up-left place unless that
    box meets one already placed, or a line runs through it and the down-right place is clear of
    both, then the down-right place.
    """
    frame = spec.frame
    below = pd.Series(False, index=frame.index)
    if "text" not in frame or not len(frame):
        return below
    xs, ys = _unit(frame["x"], spec.x.log), _unit(frame["y"], spec.y.log)
    texts = frame["text"].fillna("").astype(str).to_numpy()
    labelled = [i for i in np.lexsort((ys, xs)) if texts[i] and np.isfinite(xs[i]) and np.isfinite(ys[i])]
    lines = _line_points(spec, xs, ys)
    placed: list[tuple[float, float, float, float]] = []
    for i in labelled:
        up = _box(xs[i], ys[i], len(texts[i]), below=False)
        down = _box(xs[i], ys[i], len(texts[i]), below=True)
        flip = any(_overlap(up, other) for other in placed) or (
            # A line through the up-left place (the portfolio frontier through 'Chosen mixes')
            # sends the label down-right where that place is clear of labels and lines.
            any(_crosses(up, line) for line in lines)
            and not any(_overlap(down, other) for other in placed)
            and not any(_crosses(down, line) for line in lines))
        placed.append(down if flip else up)
        below.iloc[i] = flip
    return below


DECK_SIDES = ("above", "right", "below", "left")
"""Where a deck chart may put a marker's label (python-pptx's label positions, tried in this
order): PowerPoint centres a label on its point's side, so the page's up-left or down-right
corners do not carry over, and a label centred above a point at the plot's left edge ran over
the axis's tick labels ('$4Chosen mix' on api-price-shock's Decide slide)."""
MARKER_HALF = (0.015, 0.035)
"""Half the width and height of a marker (11 pt) as shares of the deck's plot."""
DECK_GAP = 0.03
"""Gap between a marker's centre and a label beside it, as a share of the plot's width."""
DECK_GAP_Y = MARKER_HALF[1] + 0.01
"""Gap between a marker's centre and a label above or below it, as a share of the plot's height:
clear of the marker itself, or above and below always met their own marker and two labels of one
point (a strategy and the chosen mix at the same cost) both went right, one over the other."""


@dataclass(frozen=True)
class DeckScale:
    """One label character's width and one line's height as shares of a deck chart's plot."""

    char_width: float = CHAR_WIDTH
    line_height: float = LINE_HEIGHT


EM_WIDTH = 0.62
"""Average glyph width of DejaVu Sans (LibreOffice's stand-in for Calibri) as a share of the type
size, erring wide (its prose averages about 0.55; ``tco.slides.GLYPH_WIDTHS`` has each glyph's)."""
PLOT_INSET_W_IN, PLOT_INSET_H_IN, LEGEND_ROW_IN = 1.3, 0.9, 0.25
"""What a deck chart's frame holds besides its plot: the value axis's title and ticks (width),
the category axis's ticks and title (height), and a legend row per two entries below."""


def deck_scale(width_in: float, height_in: float, font_pt: float, legend_entries: int) -> DeckScale:
    """Label sizes as shares of the plot of a deck chart ``width_in`` by ``height_in`` with type of
    ``font_pt``: a label is the same size in inches on every chart, so it takes a larger share of a
    smaller plot (the Decide slide's 6-inch plot at 11 pt: 0.016 a character, where the fixed 0.011
    let 'Chosen mix' and 'hosted-then-own' overprint)."""
    plot_w = max(width_in - PLOT_INSET_W_IN, 1.0)
    plot_h = max(height_in - PLOT_INSET_H_IN - LEGEND_ROW_IN * -(-legend_entries // 2), 1.0)
    return DeckScale(font_pt * EM_WIDTH / 72 / plot_w, font_pt * 1.25 / 72 / plot_h)


def _deck_box(x: float, y: float, chars: int, side: str, scale: DeckScale = DeckScale()
              ) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of a label centred on ``side`` of its point, in plot shares."""
    width, line = chars * scale.char_width, scale.line_height
    gap_y = max(DECK_GAP_Y, MARKER_HALF[1] + line / 4)
    if side == "above":
        return x - width / 2, y + gap_y, x + width / 2, y + gap_y + line
    if side == "below":
        return x - width / 2, y - gap_y - line, x + width / 2, y - gap_y
    if side == "right":
        return x + DECK_GAP, y - line / 2, x + DECK_GAP + width, y + line / 2
    return x - DECK_GAP - width, y - line / 2, x - DECK_GAP, y + line / 2


def _deck_axis(values: np.ndarray, extent: np.ndarray, axis: Axis, across: bool = False) -> np.ndarray:
    """``values`` as shares of a deck axis drawn over ``extent``: the axis ends ``tco.figures.pptx``
    sets (whole decades on a log axis, 0 to the last month, ``linear_scale``'s round ends on money
    and counts), so a label's estimated box is measured against the plot it is drawn on."""
    finite = extent[np.isfinite(extent)]
    if axis.log:
        positive = finite[finite > 0]
        if not positive.size:
            return np.full_like(values, np.nan)
        low, high = np.floor(np.log10(positive.min())), np.ceil(np.log10(positive.max()))
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log10(np.where(values > 0, values, np.nan))
        return (logs - low) / (high - low) if high > low else np.full_like(values, 0.5)
    scale = linear_scale(finite, from_zero=False, across=across) if axis.format in ("usd", "count") else None
    if axis.format == "month" and finite.size:
        low, high = 0.0, float(finite.max())
    elif scale is not None:
        low, high = scale[0], scale[1]
    elif finite.size:
        low, high = float(finite.min()), float(finite.max())
    else:
        return np.full_like(values, np.nan)
    return (values - low) / (high - low) if high > low else np.full_like(values, 0.5)


def deck_units(spec: FigureSpec) -> tuple[np.ndarray, np.ndarray]:
    """Each row's x and y as shares (0 to 1) of a deck chart's plot, on the axes the deck draws:
    the data range understated how far apart points sit where the axis runs past the data
    (the portfolio frontier's $8.1M-$9.6M on an $8.0M-$10.5M axis), and labels estimated clear of
    each other met."""
    frame = spec.frame
    x = pd.to_numeric(frame["x"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame["y"], errors="coerce").to_numpy(dtype=float)
    y_extent = np.concatenate([y, *(pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
                                    for c in ("low", "high") if c in frame)])
    x_extent = np.append(x, spec.reference_x) if spec.reference_x is not None else x
    return _deck_axis(x, x_extent, spec.x, across=True), _deck_axis(y, y_extent, spec.y)


LINE_STEP = 0.01
"""Spacing, as a share of the plot, of the points a deck label is tested against along each line."""


def _line_points(spec: FigureSpec, xs: np.ndarray, ys: np.ndarray) -> list[np.ndarray]:
    """Points along each unmarked series' line (plot shares), one array of (x, y) per line."""
    out = []
    series = spec.frame["series"].to_numpy()
    for name, style in spec.styles.items():
        if style.marker:
            continue
        idx = [i for i in np.flatnonzero(series == name) if np.isfinite(xs[i]) and np.isfinite(ys[i])]
        idx.sort(key=lambda i: xs[i])
        pts = []
        for a, b in itertools.pairwise(idx):
            steps = max(1, int(np.hypot(xs[b] - xs[a], ys[b] - ys[a]) / LINE_STEP))
            t = np.linspace(0.0, 1.0, steps + 1)
            pts.append(np.column_stack([xs[a] + t * (xs[b] - xs[a]), ys[a] + t * (ys[b] - ys[a])]))
        if pts:
            out.append(np.concatenate(pts))
    return out


def _reference_points(spec: FigureSpec, ys: np.ndarray) -> list[np.ndarray]:
    """The deck's dotted reference line ('today: 30M/month'), drawn from the lowest to the highest
    value, as points (plot shares) a label is tested against like any line: api-price-shock's
    break-even labels were written across it, right of 28.3M and under 23.5M."""
    finite = ys[np.isfinite(ys)]
    if spec.reference_x is None or not finite.size:
        return []
    x = pd.to_numeric(spec.frame["x"], errors="coerce").to_numpy(dtype=float)
    share = _deck_axis(np.array([float(spec.reference_x)]), np.append(x, spec.reference_x), spec.x,
                       across=True)[0]
    if not np.isfinite(share):
        return []
    y = np.arange(finite.min(), finite.max() + LINE_STEP, LINE_STEP)
    return [np.column_stack([np.full_like(y, share), y])]


def _crosses(box: tuple[float, float, float, float], line: np.ndarray) -> bool:
    return bool(((line[:, 0] > box[0]) & (line[:, 0] < box[2]) & (line[:, 1] > box[1])
                 & (line[:, 1] < box[3])).any())


REPLACEMENT_ROUNDS = 5
"""Most passes of moving labels to freer sides after the first placement."""


def deck_sides(spec: FigureSpec, scale: DeckScale = DeckScale()) -> pd.Series:
    """The side of its point each labelled marker's label takes on a deck chart ('' unlabelled).

    Labels are placed left to right (then bottom to top), in shares of the plot the deck draws
    (``deck_units``), each the size ``scale`` gives (``deck_scale``); each takes the first of
    ``DECK_SIDES`` whose box stays within the plot's width and covers neither a label already
    placed nor any marker, and among those one that no line runs through; where none is free,
    the side that covers least. Then each label in turn moves to a side that covers less of
    all the other labels and markers, until none moves: placed first, 'Chosen mix' took the only place left
    for 'hosted-then-own' beside it.
    """
    frame = spec.frame
    sides = pd.Series("", index=frame.index, dtype=object)
    if "text" not in frame or not len(frame):
        return sides
    xs, ys = deck_units(spec)
    texts = frame["text"].fillna("").astype(str).to_numpy()
    shown = [i for i in range(len(frame)) if np.isfinite(xs[i]) and np.isfinite(ys[i])]
    # Only points drawn as markers: a line's every point (the break-even curves) is not one; a
    # line through a label only breaks ties.
    marked = {name for name, style in spec.styles.items() if style.marker}
    series = frame["series"].to_numpy()
    markers = [(xs[i] - MARKER_HALF[0], ys[i] - MARKER_HALF[1], xs[i] + MARKER_HALF[0],
                ys[i] + MARKER_HALF[1]) for i in shown if series[i] in marked]
    lines = _line_points(spec, xs, ys) + _reference_points(spec, ys)
    order = sorted((i for i in shown if texts[i]), key=lambda i: (xs[i], ys[i]))
    boxes: dict[int, tuple[float, float, float, float]] = {}

    def clashes(i: int, side: str) -> tuple[float, int, int]:
        box = _deck_box(xs[i], ys[i], len(texts[i]), side, scale)
        # How much the box covers, not how many things it touches: where every side meets
        # something (the flagship's close points), the side that grazes a marker beats the one
        # that writes across it. Past the plot's sides or bottom it covers the axes' ticks.
        inside = (max(box[0], 0.0), max(box[1], 0.0), min(box[2], 1.0), box[3])
        outside = (box[2] - box[0]) * (box[3] - box[1]) - _overlap_area(box, inside)
        others = [b for j, b in boxes.items() if j != i]
        covered = outside + sum(_overlap_area(box, other) for other in [*others, *markers])
        return round(covered, 6), sum(_crosses(box, line) for line in lines), DECK_SIDES.index(side)

    for i in order:  # first pass: each label against those already placed
        sides.iloc[i] = min(DECK_SIDES, key=lambda side, i=i: clashes(i, side))
        boxes[i] = _deck_box(xs[i], ys[i], len(texts[i]), sides.iloc[i], scale)
    for _ in range(REPLACEMENT_ROUNDS):  # then each against all the others, until none moves
        moved = False
        for i in order:
            best = min(DECK_SIDES, key=lambda side, i=i: clashes(i, side))
            if clashes(i, best)[:2] < clashes(i, sides.iloc[i])[:2]:
                sides.iloc[i], moved = best, True
                boxes[i] = _deck_box(xs[i], ys[i], len(texts[i]), best, scale)
        if not moved:
            break
    return sides
