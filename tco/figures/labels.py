"""Where a marker's text label goes: above and to the left of its point, or, where that box would
cover a label already placed, below and to the right. Page and deck use the same choice, so two
strategies with close costs (self-host and hosted-then-own on the Decide chart) never write their
names over each other."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tco.figures.spec import FigureSpec

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


def labels_below(spec: FigureSpec) -> pd.Series:
    """True for each labelled marker row whose label goes below-right, indexed like ``spec.frame``.

    Labels are placed left to right (then bottom to top); each takes the up-left place unless that
    box meets one already placed, then the down-right place.
    """
    frame = spec.frame
    below = pd.Series(False, index=frame.index)
    if "text" not in frame or not len(frame):
        return below
    xs, ys = _unit(frame["x"], spec.x.log), _unit(frame["y"], spec.y.log)
    texts = frame["text"].fillna("").astype(str).to_numpy()
    labelled = [i for i in np.lexsort((ys, xs)) if texts[i] and np.isfinite(xs[i]) and np.isfinite(ys[i])]
    placed: list[tuple[float, float, float, float]] = []
    for i in labelled:
        up = _box(xs[i], ys[i], len(texts[i]), below=False)
        flip = any(_overlap(up, other) for other in placed)
        placed.append(_box(xs[i], ys[i], len(texts[i]), below=True) if flip else up)
        below.iloc[i] = flip
    return below
