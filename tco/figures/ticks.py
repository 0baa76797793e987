"""Value axes of the deck's charts: the round scale a linear axis gets and the Excel number format
that writes its ticks ('$0.2M' to '$1.0M', never '$1,000k'), chosen together so they agree.

``tco.figures.pptx`` sets both on every chart; a log axis keeps its decades (conditional formats).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tco.figures.spec import Axis, FigureSpec

AXIS_HEAD_ROOM = 1.05
"""Room past the data on a linear value axis, so a bar's label above it stays inside the plot."""
TICKS = 6
"""About this many ticks on a linear value axis."""

def linear_scale(values: pd.Series | np.ndarray, from_zero: bool = True, across: bool = False
                 ) -> tuple[float, float, float] | None:
    """Round ends and tick step of a linear value axis: (low, high, step), the step 1, 2 or 5
    times a power of ten giving about six ticks, with head room past the data for bar labels;
    None without finite data. The deck sets these on the axis, so the tick format (``number_format``)
    knows every tick it has to write.

    ``across``: the horizontal axis of an XY chart, whose room past the data is 5% of the data's
    span rather than of its largest value: the startup story's Decide chart had its points between
    $515k and $521k of CVaR95 on an axis to $550k, all in its first eighth. (The vertical axis keeps
    its room above the top point for the labels written above points.)"""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return None
    low, high = float(finite.min()), float(finite.max())
    if from_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if across and not from_zero and low > 0:
        high += (AXIS_HEAD_ROOM - 1.0) * (high - low)
    else:
        low, high = low * (AXIS_HEAD_ROOM if low < 0 else 1.0), high * (AXIS_HEAD_ROOM if high > 0 else 1.0)
    span = high - low or abs(high) or 1.0
    raw = span / TICKS
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def number_format(axis: Axis, values: pd.Series | np.ndarray, from_zero: bool = True,
                  across: bool = False) -> str:
    """Excel number format of an axis: '$1.2M', '$500k', '20M', whole GPUs, '38%'.

    A linear money or count axis takes the unit of its largest tick and as many decimals as its
    step needs (``linear_scale``): ticks of $0.2M to $1.0M read '$0.2M'...'$1.0M', never
    '$200k'...'$1,000k'; ticks of $5M to $25M read '$5M'...'$25M'. Zero reads '$0' (or '0'),
    without the unit or decimals of the other ticks.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    prefix = '"$"' if axis.format in ("usd", "usd_cents") else ""
    if axis.format == "usd_cents":
        return '"$"#,##0.00'
    if axis.format == "share":
        return "0%"
    if axis.format in ("gpus", "month"):
        return "0"
    if axis.format == "number":
        return _plain_number_format(axis, finite)
    if axis.format not in ("usd", "count"):
        return "General"
    if axis.log:
        # Decades from $10 to $1B share one axis: conditional sections pick each tick's unit.
        # Excel allows two conditions, so the three units are the ones the data reaches.
        # Decide on the whole decades the axis spans (``_fit``), not the data inside them.
        positive = finite[finite > 0] if (finite > 0).any() else np.ones(1)
        smallest = 10.0 ** math.floor(math.log10(positive.min()))
        if 10.0 ** math.ceil(math.log10(positive.max())) >= 1e9 and smallest >= 1e3:
            return f'[>=1000000000]{prefix}#,##0,,,"B";[>=1000000]{prefix}#,##0,,"M";{prefix}#,##0,"k"'
        return f'[>=1000000]{prefix}#,##0,,"M";[>=1000]{prefix}#,##0,"k";{prefix}#,##0'
    scale = linear_scale(finite, from_zero, across)
    if scale is None:
        return f"{prefix}#,##0"
    low, high, step = scale
    top = max(abs(low), abs(high))
    # Thousands from $10k: below, '$0.2k' reads worse than '$200'.
    commas, suffix, unit = next(((c, u, v) for c, u, v in ((3, "B", 1e9), (2, "M", 1e6), (1, "k", 1e3))
                                 if top >= max(v, 1e4)), (0, "", 1.0))
    decimals = max(0, math.ceil(-math.log10(step / unit) - 1e-9))
    ticks = (f'{prefix}#,##0{"." + "0" * decimals if decimals else ""}{"," * commas}'
             + (f'"{suffix}"' if suffix else ""))
    # Sections positive;negative;zero: the zero line reads '$0', never '$0M' or '$0.0M' (the
    # tornado's middle tick). A stated negative section drops Excel's own minus sign, so it writes one.
    return f"{ticks};-{ticks};{prefix}0"


def _plain_number_format(axis: Axis, finite: np.ndarray) -> str:
    """A plain number axis ('Output tokens per second per GPU'): thousands separated where every
    tick is a whole number (decades from 1 up on a log axis, anything from 1,000 on a linear one),
    so ticks read '10,000' as the page's do, never '10000'; 'General' otherwise (0.5, 2.5)."""
    if not finite.size:
        return "General"
    if axis.log:
        positive = finite[finite > 0]
        whole = positive.size and positive.min() >= 1
    else:
        whole = np.abs(finite).max() >= 1000
    return "#,##0" if whole else "General"


def value_extent(spec: FigureSpec) -> np.ndarray:
    """The values a category chart's value axis must reach: each stack's total for stacked bars,
    the whisker ends where there are whiskers, else the values."""
    frame = spec.frame
    if spec.kind == "stacked_bar" and len(frame):
        y = frame["y"].astype(float)
        return np.concatenate([y.clip(lower=0).groupby(frame["x"]).sum().to_numpy(),
                               y.clip(upper=0).groupby(frame["x"]).sum().to_numpy()])
    parts = [frame[c].to_numpy(dtype=float) for c in ("y", "low", "high") if c in frame]
    return np.concatenate(parts) if parts else np.zeros(0)
