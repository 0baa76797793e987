"""Figure specs of the seeds' stories: release tracks (the deployed weights' age, upgrades) and
fine-tuning (runs, platform and upgrade costs). Pure functions of a ``SimulationResult``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import tco.calendar as calendar
import tco.lines as lines
from tco.figures.data import STRATEGY, _concat, _month, _rows
from tco.figures.spec import Axis, FigureSpec, Style, option_colours
from tco.format import pct, usd
from tco.releases import still_on_month0_weights

if TYPE_CHECKING:
    from tco.simulate import SimulationResult


def weights_age(result: SimulationResult) -> FigureSpec:
    """Age of each release-tracked option's deployed weights: median, P25-P75 and P5-P95 bands."""
    rows = []
    notes = []
    start = result.resolved.start
    for name, age in result.weights_age.items():
        q = np.percentile(age, (5, 25, 50, 75, 95), axis=0)
        months = np.arange(age.shape[1])
        rows.append(_rows(name, months, q[2], low=q[0], high=q[4], inner_low=q[1], inner_high=q[3]))
        notes.append(upgrade_note(name, result.first_upgrade[name], age.shape[1], start))
    return FigureSpec("weights_age", "fan", "Age of the deployed open weights: median, "
                      "P25-P75 and P5-P95 bands", _month(result.scenario),
                      Axis("Age of the deployed weights (months)",
                                                              "number"),
                      _concat(rows), {name: Style(colour) for name, colour in
                                      option_colours(list(result.weights_age)).items()},
                      notes=tuple(notes))


def still_on_weights(result: SimulationResult) -> FigureSpec:
    """Share of futures still running the weights deployed in month 0, month by month."""
    rows = [_rows(name, np.arange(result.scenario.horizon_months),
                  still_on_month0_weights(first, result.scenario.horizon_months))
            for name, first in result.first_upgrade.items()]
    return FigureSpec("still_on_weights", "line", "Share of futures still on today's open weights",
                      _month(result.scenario), Axis("Share of simulated futures", "share"),
                      _concat(rows), {name: Style(colour) for name, colour in
                                      option_colours(list(result.first_upgrade)).items()},
                      notes=("A release arriving after a licence change is cancelled: those futures "
                             "stay on today's weights.",))


def upgrade_note(name: str, first_upgrade: np.ndarray, months: int, start: str) -> str:
    """When the option first upgrades, in words: median month and calendar month, and how often
    no release arrives within the horizon."""
    upgraded = first_upgrade[first_upgrade >= 0]
    never = 1.0 - upgraded.size / max(1, first_upgrade.size)
    if upgraded.size == 0:
        return f"{name}: no release arrives within {months} months on any path."
    median = int(np.median(upgraded))
    late = int(np.percentile(upgraded, 90))
    still = still_on_month0_weights(first_upgrade, months)
    checkpoints = [m for m in (6, 12, 24) if m < months]
    held = ", ".join(f"{pct(still[m])} at month {m}" for m in checkpoints)
    return (f"{name}: first upgrade in month {median} ({calendar.shift(start, median)}) at the "
            f"median, month {late} at P90 of the paths that upgrade; still on today's weights: "
            f"{held}; no upgrade within the horizon in {pct(never)} of paths.")


def fine_tuning(result: SimulationResult) -> FigureSpec:
    """Mean fine-tuning cost per strategy over the horizon (undiscounted), runs and platform,
    with the expected number of runs on the bars."""
    mean = result.mean_lines()
    rows, styles = [], {}
    runs = result.fine_tune_runs.mean(axis=0)
    for name in ("fine_tune_runs", "fine_tune_platform", "release_upgrades"):
        line = lines.BY_NAME[name]
        totals = [float(mean.loc[(mean["strategy"] == s) & (mean["line"] == name), "usd"].sum())
                  for s in result.strategies]
        if not any(totals):
            continue
        text = ([f"{r:.1f} runs" for r in runs] if name == "fine_tune_runs" else
                [usd(v) for v in totals])
        rows.append(_rows(line.label, result.strategies, np.array(totals), text=text))
        styles[line.label] = Style(line.colour)
    return FigureSpec("fine_tuning", "stacked_bar", "Fine-tuning and upgrades per strategy "
                      "(mean over paths, undiscounted)", STRATEGY, Axis("Cost over the horizon ($)",
                                                                         "usd"),
                      _concat(rows), styles,
                      notes=("Runs: first month on an option, every retrain period, and after each "
                             "deprecation, move or release upgrade. A vendor's fine-tuned token "
                             "premium is in its API tokens.",))
