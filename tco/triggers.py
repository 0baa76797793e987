"""What would change our mind: the input values and event months that flip the recommendation.

The recommendation is the strategy with the lowest expected NPV; the runner-up is the next one.
An input *trigger* is the value of one input at which the runner-up becomes the cheaper of the
two; an event trigger is the months in which one of the scenario's named stresses, forced, does
the same. Both hold the rest of the expected gap as it is: the gap moves by the deterministic
model's change (the tornado's kernel, all values of all inputs as paths of one call), so the
expected-minus-nominal part of the gap (uncertain inputs and vendor shocks) is carried over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import tco.glossary as glossary
import tco.kernel as kernel
from tco.draws import Shocks
from tco.format import capitalised, quantity
from tco.load import Loaded
from tco.model import nominal_inputs
from tco.sensitivity import tornado
from tco.simulate import SimulationResult
from tco.stress import stress

SEARCH_FACTOR = 4.0
"""Each input is searched from a quarter of its nominal value to four times it (within its
bounds): a move beyond that is a different scenario, not a trigger."""
GRID_POINTS = 81
TOP_INPUTS = 5
"""The inputs whose low-high swing moves the gap the most are searched."""
MAX_MONTHS = 24
"""Event months tried per stress (evenly spread over the horizon)."""


@dataclass(frozen=True)
class Trigger:
    """One thing that would flip the ranking, in words."""

    watch: str
    """What to watch: an input's label or a named stress."""
    now: str
    """Its value today (or 'not expected' for an event)."""
    flips_when: str
    """The threshold or the months that flip the ranking."""


def said(x: float, unit: str, significant: int = 3) -> str:
    """A value with its unit in words, to ``significant`` figures: '$153,000 per FTE-year',
    '14.6% per month', '6,590,000 requests per month', '1.36x'."""
    x = float(f"{x:.{significant}g}")
    text = quantity(x, unit, significant)
    if unit in ("multiplier", "ratio"):
        return f"{text}x"
    if unit.startswith("$"):
        return text + unit[1:]
    if unit.startswith(("fraction", "probability")):
        rest = unit.partition(" per ")[2]
        return text + (f" per {rest}" if rest else "")
    return f"{text} {unit}".strip()


def contenders(result: SimulationResult) -> tuple[str, str] | None:
    """(recommended, runner-up) by expected NPV; None with one strategy."""
    means = result.summary()["mean"].sort_values(kind="stable")
    return (str(means.index[0]), str(means.index[1])) if len(means) > 1 else None


def _grid(nominal: float, bounds) -> np.ndarray:
    low, high = nominal / SEARCH_FACTOR, nominal * SEARCH_FACTOR
    if bounds.le is not None:
        high = min(high, bounds.le)
    if bounds.lt is not None:
        high = min(high, bounds.lt * (1 - 1e-9))
    if bounds.ge is not None:
        low = max(low, bounds.ge)
    if bounds.gt is not None:
        low = max(low, bounds.gt * (1 + 1e-9) if bounds.gt > 0 else bounds.gt + 1e-12)
    return np.geomspace(low, high, GRID_POINTS) if low > 0 else np.linspace(low, high, GRID_POINTS)


def _crossing(values: np.ndarray, gap: np.ndarray, nominal: float) -> float | None:
    """The value nearest ``nominal`` where ``gap`` (recommended minus runner-up) turns positive,
    linearly interpolated between grid points."""
    best: float | None = None
    for i in range(len(values) - 1):
        a, b = gap[i], gap[i + 1]
        if (a <= 0) == (b <= 0):
            continue
        x = values[i] + (values[i + 1] - values[i]) * (-a / (b - a))
        if best is None or abs(x - nominal) < abs(best - nominal):
            best = float(x)
    return best


def input_triggers(sc: Loaded, result: SimulationResult) -> list[Trigger]:
    """The inputs that, moved alone within a factor of four, make the runner-up cheaper."""
    pair = contenders(result)
    if pair is None:
        return []
    best, runner = pair
    swings = tornado(sc)
    if swings.empty:
        return []
    wide = swings.pivot_table(index="input", columns="strategy", values=["npv_low_usd", "npv_high_usd"],
                              sort=False)
    moves = ((wide["npv_high_usd"][best] - wide["npv_high_usd"][runner])
             - (wide["npv_low_usd"][best] - wide["npv_low_usd"][runner])).abs()
    chosen = [str(p) for p in moves.sort_values(ascending=False, kind="stable").index[:TOP_INPUTS]
              if moves[p] > 0]
    params = sc.inputs.params
    grids = [(p, _grid(params[p].nominal, params[p].bounds)) for p in chosen if params[p].nominal > 0]
    if not grids:
        return []
    n = 1 + GRID_POINTS * len(grids)
    x = {k: np.repeat(v, n) for k, v in nominal_inputs(sc.inputs).items()}
    for j, (path, values) in enumerate(grids):
        x[path][1 + j * GRID_POINTS: 1 + (j + 1) * GRID_POINTS] = values
    npv = kernel.run(sc, x, Shocks(paths=n)).npv_usd  # (variants, strategies)
    s_best, s_runner = list(sc.strategies).index(best), list(sc.strategies).index(runner)
    table = result.summary()
    carried = (table.loc[best, "mean"] - table.loc[runner, "mean"]) - (npv[0, s_best] - npv[0, s_runner])
    out = []
    for j, (path, values) in enumerate(grids):
        rows = slice(1 + j * GRID_POINTS, 1 + (j + 1) * GRID_POINTS)
        gap = npv[rows, s_best] - npv[rows, s_runner] + carried
        nominal = params[path].nominal
        at = _crossing(values, gap, nominal)
        if at is None:
            continue
        label = glossary.describe(path, sc)
        direction = "rises above" if at > nominal else "falls below"
        out.append(Trigger(label.label, said(nominal, label.unit, 6),
                           f"{direction} {said(at, label.unit)}: {runner} becomes cheaper"))
    return out


def _months(horizon_months: int) -> list[int]:
    return sorted({int(m) for m in np.linspace(0, horizon_months - 1, min(MAX_MONTHS, horizon_months))})


def event_triggers(sc: Loaded, result: SimulationResult) -> list[Trigger]:
    """The named stresses that, forced in some months, make the runner-up cheaper."""
    pair = contenders(result)
    if pair is None:
        return []
    best, runner = pair
    table = result.summary()
    gap = table.loc[best, "mean"] - table.loc[runner, "mean"]
    out = []
    for s in sc.stresses:
        flipped = []
        for month in _months(sc.horizon_months):
            frame = stress(sc, s.kind, s.on, month).set_index("strategy")["impact_usd"]
            if gap + frame[best] - frame[runner] > 0:
                flipped.append(month)
        if flipped:
            out.append(Trigger(capitalised(s.name), "not expected (a risk, not a plan)",
                               f"{_span(flipped, _months(sc.horizon_months))}: {runner} becomes "
                               "cheaper"))
    return out


def _span(months: list[int], tried: list[int]) -> str:
    """'if it happens by month 14', 'from month 20 on' or 'in months 3 to 9', numbered as the
    scenario's stresses number them."""
    first, last = months[0], months[-1]
    if first == tried[0] and last == tried[-1]:
        return "if it happens at any time"
    if first == tried[0]:
        return f"if it happens by month {last}"
    if last == tried[-1]:
        return f"if it happens from month {first} on"
    return f"if it happens in months {first} to {last}"


def triggers(sc: Loaded, result: SimulationResult) -> pd.DataFrame:
    """Every trigger as rows: watch, now, flips_when (inputs first, then events)."""
    found = [*input_triggers(sc, result), *event_triggers(sc, result)]
    return pd.DataFrame([t.__dict__ for t in found], columns=["watch", "now", "flips_when"])
