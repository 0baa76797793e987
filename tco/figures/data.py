"""Figure specs built from results: pure functions, no drawing library.

Each builder returns a ``FigureSpec`` whose frame holds exactly the numbers the chart shows, so a
test can recompute them from the result and both renderers draw the same thing. Labels come from
``tco.glossary`` and ``tco.lines``; colours from ``tco.figures.spec``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import tco.lines as lines
import tco.narrative as narrative
import tco.options as options
import tco.risks as risks
from tco.figures.spec import (
    EVENT_PALETTE,
    ROLES,
    Axis,
    FigureSpec,
    Style,
    line_colours,
    option_colours,
    strategy_colours,
)
from tco.format import compact, usd
from tco.glossary import describe
from tco.model import Evaluation, run_rate_curves

if TYPE_CHECKING:
    from tco.load import Loaded as Scenario
    from tco.portfolio.result import PortfolioResult
    from tco.simulate import SimulationResult

MONTH = Axis("Month", "month")


def _month(sc: Scenario) -> Axis:
    """The month axis of a scenario's charts: ticks read as calendar months from its start."""
    return Axis("Month", "month", start=sc.inputs.start)
STRATEGY = Axis("Strategy", "category")
DASHES = ("solid", "dash", "dot", "dashdot")
"""Line dashes that tell apart two options of one strategy on the fleet chart (same colour)."""
DETERMINISTIC = "Deterministic NPV"
BREAK_EVEN = "Break-even volume"
P95_SAVING = "P95 NPV saving"
TORNADO_LOW, TORNADO_HIGH = "Input at low value", "Input at high value"
VARIANCE_SHARE = "Share of NPV variance"


def _rows(series: str, x, y, **extra) -> pd.DataFrame:
    return pd.DataFrame({"series": series, "x": x, "y": y, **extra})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=["series", "x", "y"]))


def _strategy_styles(strategies: list[str]) -> dict[str, Style]:
    return {name: Style(colour) for name, colour in strategy_colours(strategies).items()}


def _per_strategy_bars(name: str, title: str, y: Axis, strategies: list[str], values_usd,
                       text: list[str] | None = None) -> FigureSpec:
    """One bar per strategy in its own colour, a legend entry each."""
    values = np.asarray(values_usd, dtype=float)
    frame = pd.DataFrame({"series": strategies, "x": strategies, "y": values,
                          "text": text if text is not None else [usd(v) for v in values]})
    return FigureSpec(name, "bar", title, STRATEGY, y, frame, _strategy_styles(strategies))


def _column_axis(column: str) -> Axis:
    """Value axis titled from the glossary: 'Expected regret ($)'."""
    label = describe(column)
    return Axis(label.text, "usd" if label.unit == "$" else "number")


def cost_lines(lines_frame: pd.DataFrame, strategy: str, title_suffix: str = "",
               sc: Scenario | None = None) -> FigureSpec:
    """Stacked monthly cost by line for one strategy; lines that are zero throughout are left out.
    With the scenario, months read as calendar months and the first announced catalog price
    change on an option the strategy relies on is a labelled line.

    Parameters
    ----------
    lines_frame
        Tidy strategy, month, line, usd (``Evaluation.monthly`` or ``SimulationResult.mean_lines()``).
    """
    frame = lines_frame[lines_frame["strategy"] == strategy]
    used = lines_frame.groupby("line", sort=False)["usd"].apply(lambda v: v.abs().sum() > 0)
    colours = line_colours(name for name, nonzero in used.items() if nonzero)
    rows, styles = [], {}
    for name in dict.fromkeys(frame["line"]):
        line = lines.BY_NAME[name]
        values = frame[frame["line"] == name]
        if values["usd"].abs().sum() == 0:
            continue
        styles[line.label] = Style(colours[name])
        rows.append(_rows(line.label, values["month"].to_numpy(), values["usd"].to_numpy(), line=name))
    reference_x, reference_label = None, ""
    if sc is not None:
        relied = set(sc.strategies[strategy].mix) | set(sc.strategies[strategy].chain)
        changes = sorted((month, name, mult, day) for name, steps in sc.inputs.scheduled.items()
                         if name in relied for month, mult, day in steps)
        if changes:
            month, name, mult, day = changes[0]
            reference_x = float(month)
            reference_label = f"{name}: announced price change x{mult:.3g} ({day})"
    return FigureSpec("cost_lines", "stacked_bar", f"Monthly cost by line: {strategy}{title_suffix}",
                      MONTH if sc is None else _month(sc), Axis("Cost ($ per month)", "usd"),
                      _concat(rows), styles, reference_x=reference_x, reference_label=reference_label)


def cumulative_cost(ev: Evaluation) -> FigureSpec:
    """Deterministic cumulative cost per strategy over the horizon (undiscounted)."""
    strategies = list(ev.scenario.strategies)
    totals = ev.monthly.groupby(["strategy", "month"], sort=False)["usd"].sum()
    rows = [_rows(name, totals[name].index.to_numpy(), totals[name].cumsum().to_numpy())
            for name in strategies]
    return FigureSpec("cumulative_cost", "line", "Cumulative cost, deterministic (undiscounted)",
                      _month(ev.scenario),
                      Axis("Cumulative cost ($)", "usd"), _concat(rows), _strategy_styles(strategies))


def cost_per_mtok(ev: Evaluation) -> FigureSpec:
    """Undiscounted total cost over the horizon per million tokens served, per strategy, on the
    deterministic run (nominal inputs, no vendor events): the title says so, as the cumulative
    cost chart beside it on the Costs tab does."""
    series = ev.cost_per_mtok_usd
    return _per_strategy_bars("cost_per_mtok",
                              "Cost per million tokens served, deterministic (all lines, undiscounted)",
                              Axis("Cost ($ per 1M tokens)", "usd_cents"), list(series.index),
                              series.to_numpy(), [f"${v:.2f}" for v in series])


def _short(value: float) -> str:
    """A count as people read it: '20M', '6.21M', never '20.0M' or '2e7'."""
    return re.sub(r"\.0+(?=[A-Za-z]|$)", "", compact(value))


def _merge_identical(rows: list[pd.DataFrame], styles: dict[str, Style]) -> tuple[list[pd.DataFrame],
                                                                                 dict[str, Style]]:
    """Series with the same points drawn as one, named for all of them ('a = b'), so no line hides
    another exactly under it; the first one's style is kept."""
    kept: list[pd.DataFrame] = []
    names: list[list[str]] = []
    for frame in rows:
        for k, other in enumerate(kept):
            if (len(other) == len(frame) and np.array_equal(other["x"].to_numpy(), frame["x"].to_numpy())
                    and np.allclose(other["y"].to_numpy(float), frame["y"].to_numpy(float), rtol=1e-9)):
                names[k].append(frame["series"].iloc[0])
                break
        else:
            kept.append(frame)
            names.append([frame["series"].iloc[0]])
    out_rows, out_styles = [], {}
    for frame, group in zip(kept, names, strict=True):
        name = " = ".join(group)
        out_rows.append(frame.assign(series=name))
        out_styles[name] = styles[group[0]]
    return out_rows, out_styles


def break_even(sc: Scenario, ev: Evaluation) -> FigureSpec:
    """Month-0 run rate of each option against monthly volume, crossings and today's volume marked.

    The curves are ``tco.model.run_rate_curves``; the crossings and their run rates are
    ``ev.break_even`` (self-hosted options draw as steps: they add whole replicas). A scenario
    without both an API and a self-hosted option has nothing to break even: the spec is empty and
    says so. Options with the same curve are drawn as one line named for both.
    """
    today = sc.inputs.params["workload.requests_per_month"].nominal
    title = "Break-even: month-0 run rate against volume"
    x_axis = Axis("Requests per month (log scale)", "count", log=True)
    y_axis = Axis("Run rate ($ per month, log scale)", "usd", log=True)
    sides = {options.of(option).side for option in sc.options.values()}
    if not {"tokens", "fleet"} <= sides:
        missing = "per-token (API or hosted)" if "tokens" not in sides else "self-hosted"
        return FigureSpec("break_even", "line", title, x_axis, y_axis, _concat([]), {},
                          notes=(f"No {missing} option in this scenario: there is no break-even volume.",))
    curves = run_rate_curves(sc)
    colours = option_colours(list(sc.options))
    styles = {name: Style(colours[name], step=side == "fleet")
              for name, side in dict(zip(curves["option"], curves["side"], strict=True)).items()}
    rows, styles = _merge_identical([_rows(name, c["requests_per_month"].to_numpy(),
                                           c["usd_per_month"].to_numpy())
                                     for name, c in curves.groupby("option", sort=False)], styles)
    crossings = ev.break_even.dropna(subset=["break_even_requests_per_month"])
    notes: tuple[str, ...] = ()
    if len(crossings):
        styles[BREAK_EVEN] = Style(ROLES["break_even"], marker="x")
        volumes = crossings["break_even_requests_per_month"].to_numpy()
        # Every crossing is labelled (one label for two crossings read as one break-even); a label
        # that would cover another goes on the other side (``tco.figures.labels``). Only a volume
        # that reads the same as an earlier one is labelled once.
        texts = [f"break-even {_short(v)}/month" for v in volumes]
        rows.append(_rows(BREAK_EVEN, volumes, crossings["run_rate_usd_per_month"].to_numpy(),
                          text=["" if t in texts[:i] else t for i, t in enumerate(texts)],
                          detail=[f"{a} = {h}" for a, h in zip(crossings["api_option"],
                                                               crossings["self_hosted_option"],
                                                               strict=True)]))
    else:
        notes = ("The curves do not cross within the range shown: no break-even volume.",)
    return FigureSpec("break_even", "line", title, x_axis, y_axis, _concat(rows), styles,
                      reference_x=today, reference_label=f"today: {_short(today)}/month", notes=notes)


def fleet(ev: Evaluation) -> FigureSpec:
    """GPUs provisioned per month for each self-hosted option and strategy (deterministic).

    A strategy keeps its colour; its options differ by dash. Identical fleets are one line named
    for each ('self-host: llama = hybrid: llama').
    """
    colours = strategy_colours(list(ev.scenario.strategies))
    options = list(dict.fromkeys(ev.fleet["option"]))
    rows, styles = [], {}
    for (strategy, option), frame in ev.fleet.groupby(["strategy", "option"], sort=False):
        name = f"{strategy}: {option}"
        styles[name] = Style(colours[strategy], dash=DASHES[options.index(option) % len(DASHES)],
                             step=True)
        rows.append(_rows(name, frame["month"].to_numpy(), frame["gpus"].to_numpy(),
                          detail=frame["utilization"].to_numpy()))
    rows, styles = _merge_identical(rows, styles)
    notes = () if rows else ("No strategy runs a self-hosted option.",)
    if rows and (ev.fleet["gpus"] % 1 != 0).any():
        # regulated-in-house's rented fleet read 4.6 and 5.3 'GPUs provisioned': a fleet sized
        # hour by hour is a month's average, which the chart must say.
        notes = ("A line between whole GPUs is a fleet sized hour by hour (autoscale): the "
                 "month's average GPUs in service.",)
    return FigureSpec("fleet", "line", "Self-hosted fleet: GPUs provisioned (deterministic)",
                      _month(ev.scenario),
                      Axis("GPUs provisioned", "gpus"), _concat(rows), styles, notes=notes)


CLIP_PERCENT = (0.5, 99.5)
"""The NPV distribution shows each strategy's paths between these percentiles; a note counts the rest."""


def npv_distribution(result: SimulationResult) -> FigureSpec:
    """Each strategy's path NPVs between its P0.5 and P99.5 (the violin plot's points).

    A few extreme paths would otherwise flatten every violin into a line; the note says how many
    paths lie outside and how far the largest goes.
    """
    rows, outside, largest = [], 0, -np.inf
    for s_i, name in enumerate(result.strategies):
        values = result.npv_usd[:, s_i]
        low, high = np.percentile(values, CLIP_PERCENT)
        inside = (values >= low) & (values <= high)
        outside += int((~inside).sum())
        largest = max(largest, float(values.max()))
        rows.append(_rows(name, name, values[inside]))
    lo, hi = CLIP_PERCENT
    note = (f"Each violin shows P{lo:g} to P{hi:g} of its strategy's paths; {outside:,} of "
            f"{result.paths * len(result.strategies):,} path results lie outside (largest {usd(largest)}).")
    return FigureSpec("npv_distribution", "violin", f"NPV of total cost over {result.paths:,} paths",
                      STRATEGY, Axis("NPV of total cost ($)", "usd"), _concat(rows),
                      _strategy_styles(result.strategies), notes=(note,))


NPV_SUMMARY_TITLE = "Expected NPV per strategy"
NPV_WHISKERS = "whiskers: P5 to P95"
"""The NPV chart's title and the key its title carries, shared with the Overview's compact copy."""


def npv_summary(result: SimulationResult) -> FigureSpec:
    """Expected NPV per strategy with P5-P95 whiskers and the deterministic NPV marked."""
    table = result.summary()
    names = result.strategies
    bars = pd.DataFrame({"series": names, "x": names, "y": table["mean"].to_numpy(),
                         "low": table["p5"].to_numpy(), "high": table["p95"].to_numpy(),
                         "text": [usd(v) for v in table["mean"]]})
    marks = _rows(DETERMINISTIC, names, table["deterministic_npv"].to_numpy())
    styles = {**_strategy_styles(names), DETERMINISTIC: Style(ROLES["deterministic"], marker="diamond")}
    return FigureSpec("npv_summary", "bar", f"{NPV_SUMMARY_TITLE} ({NPV_WHISKERS})", STRATEGY,
                      _column_axis("mean"), _concat([bars, marks]), styles)


def bridge(result: SimulationResult, strategy: str | None = None) -> FigureSpec:
    """From nominal to expected NPV for one strategy (default the cheapest in expectation): the
    deterministic NPV, what uncertain inputs add, what vendor shocks add, the expected NPV
    (``tco.narrative.bridge_rows``)."""
    rows = narrative.bridge_rows(result, strategy)
    name = str(rows["strategy"][0])
    frame = pd.DataFrame({"series": name, "x": rows["step"], "y": rows["amount_usd"],
                          "measure": rows["measure"], "text": rows["text"]})
    colour = strategy_colours(result.strategies)[name]
    return FigureSpec("bridge", "waterfall", f"From nominal to expected NPV: {name}", Axis("", "category"),
                      Axis("NPV of total cost ($)", "usd"), frame, {name: Style(colour)})


def fan_chart(result: SimulationResult) -> FigureSpec:
    """Cumulative cost per strategy: median line, P25-P75 inner and P5-P95 outer bands."""
    q = result.monthly_percentiles()
    rows = [_rows(name, f["month"].to_numpy(), f["p50_cumulative_usd"].to_numpy(),
                  low=f["p5_cumulative_usd"].to_numpy(), high=f["p95_cumulative_usd"].to_numpy(),
                  inner_low=f["p25_cumulative_usd"].to_numpy(),
                  inner_high=f["p75_cumulative_usd"].to_numpy())
            for name, f in q.groupby("strategy", sort=False)]
    return FigureSpec("fan_chart", "fan", "Cumulative cost: median, P25-P75 and P5-P95 bands",
                      _month(result.scenario),
                      Axis("Cumulative cost, undiscounted ($)", "usd"), _concat(rows),
                      _strategy_styles(result.strategies),
                      notes=("Lines: median. Bands: P25-P75 and P5-P95 of simulated paths.",))


PORTFOLIO = "Portfolio"
"""The portfolio fan's one series: the whole portfolio, drawn in the neutral dark of the page's
deterministic marks (it is no strategy, so it takes no strategy's colour)."""


def portfolio_fan(result: PortfolioResult) -> FigureSpec:
    """A portfolio's cumulative cost: median line, P25-P75 and P5-P95 bands, by calendar month
    from the portfolio's start, as a scenario's fan chart reads."""
    fan = result.fan()
    frame = _rows(PORTFOLIO, fan["month"].to_numpy(), fan["p50_cumulative_usd"].to_numpy(),
                  low=fan["p5_cumulative_usd"].to_numpy(), high=fan["p95_cumulative_usd"].to_numpy(),
                  inner_low=fan["p25_cumulative_usd"].to_numpy(),
                  inner_high=fan["p75_cumulative_usd"].to_numpy())
    return FigureSpec("portfolio_fan", "fan", "Cumulative cost: median, P25-P75 and P5-P95 bands",
                      _month(result.portfolio.first), Axis("Cumulative cost, undiscounted ($)", "usd"),
                      frame, {PORTFOLIO: Style(ROLES["deterministic"])},
                      notes=("Line: median. Bands: P25-P75 and P5-P95 of simulated paths.",))


def events(result: SimulationResult) -> FigureSpec:
    """Mean events per path of each risk kind on the options each strategy relies on."""
    table = result.summary()
    kinds = [c.removeprefix("events_") for c in table.columns if c.startswith("events_")]
    used = {risk.kind for risk in result.scenario.risks}  # kinds the scenario cannot fire: no legend
    rows, styles = [], {}
    for k, kind in enumerate(kinds):
        if kind not in used:
            continue
        name = risks.label(kind)
        styles[name] = Style(EVENT_PALETTE[k % len(EVENT_PALETTE)])
        rows.append(_rows(name, result.strategies, table[f"events_{kind}"].to_numpy()))
    return FigureSpec("events", "grouped_bar",
                      "Events fired on the options each strategy relies on (mean per path)", STRATEGY,
                      Axis("Events per path (mean)", "number"), _concat(rows), styles)


def regret(result: SimulationResult) -> FigureSpec:
    """Expected regret: mean extra NPV over the best strategy on the same path."""
    return _per_strategy_bars("regret", "Expected regret against the best strategy on the same path",
                              _column_axis("expected_regret"), result.strategies,
                              result.summary()["expected_regret"].to_numpy())


def _unique(labels: list[str]) -> list[str]:
    """Suffix repeats, so two inputs that read alike never share one bar."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def tornado(frame: pd.DataFrame, strategy: str, top: int = 12,
            scenario: Scenario | None = None) -> FigureSpec:
    """Swing of one strategy's deterministic NPV as each input moves to its low and high value.

    Parameters
    ----------
    frame
        ``tco.sensitivity.tornado(sc)``.
    scenario
        Names missing components in the labels; without it they read 'missing component 1'.
    """
    rows = frame[frame["strategy"] == strategy].head(top) if len(frame) else frame
    value_axis = Axis("NPV change ($)", "usd")
    category = Axis("Input", "category")
    notes = ("Each input moves from P10 to P90 if uncertain, -20% to +20% if fixed; the others stay "
             "nominal.",)
    styles = {TORNADO_LOW: Style(ROLES["tornado_low"]), TORNADO_HIGH: Style(ROLES["tornado_high"])}
    if rows.empty:
        return FigureSpec("tornado", "hbar", f"Tornado: {strategy} (no inputs to vary)", category,
                          value_axis, _concat([]), styles, notes=notes)
    base_usd = float(rows["base_npv_usd"].iloc[0])
    labels = _unique([describe(path, scenario).label for path in rows["input"]])
    units = [describe(path, scenario).unit for path in rows["input"]]
    data = _concat([
        _rows(TORNADO_LOW, labels, rows["npv_low_usd"].to_numpy() - base_usd,
              detail=[f"{v:,.4g} {u}" for v, u in zip(rows["low_value"], units, strict=True)]),
        _rows(TORNADO_HIGH, labels, rows["npv_high_usd"].to_numpy() - base_usd,
              detail=[f"{v:,.4g} {u}" for v, u in zip(rows["high_value"], units, strict=True)])])
    # The base is the NPV on nominal inputs, not the simulated mean: the title says which.
    return FigureSpec("tornado", "hbar",
                      f"Tornado: {strategy} deterministic NPV change from {usd(base_usd)}", category,
                      value_axis, data, styles, notes=notes)


def ranking(frame: pd.DataFrame, strategy: str, top: int = 12,
            scenario: Scenario | None = None) -> FigureSpec:
    """First-order share of one strategy's NPV variance per sampled input and event count."""
    rows = frame[frame["strategy"] == strategy].head(top) if len(frame) else frame
    labels = _unique([describe(r.input, scenario).label
                      + (f" (one draw with {r.shared_with})" if getattr(r, "shared_with", "") else "")
                      + (" *" if r.correlated else "") for r in rows.itertuples()])
    data = (_rows(VARIANCE_SHARE, labels, rows["variance_share"].to_numpy(),
                  detail=rows["spearman_rho"].to_numpy()) if len(rows) else _concat([]))
    return FigureSpec("ranking", "hbar",
                      f"Global ranking: drivers of {strategy}'s NPV spread (* correlated)",
                      Axis("Input or event count", "category"),
                      Axis("First-order share of NPV variance", "share"), data,
                      {VARIANCE_SHARE: Style(ROLES["ranking"])})


def portability(frame: pd.DataFrame, strategies: list[str]) -> FigureSpec:
    """Expected NPV saving from portability 0 to 1 per strategy, P95 saving marked.

    Parameters
    ----------
    frame
        ``SimulationResult.portability_value()``.
    """
    order = [s for s in strategies if s in set(frame["strategy"])]
    table = frame.set_index("strategy").loc[order]
    bars = pd.DataFrame({"series": order, "x": order, "y": table["mean_saving_usd"].to_numpy(),
                         "text": [usd(v) for v in table["mean_saving_usd"]]})
    marks = _rows(P95_SAVING, order, table["p95_saving_usd"].to_numpy())
    styles = {**_strategy_styles(strategies), P95_SAVING: Style(ROLES["p95_saving"], marker="diamond")}
    return FigureSpec("portability", "bar",
                      "Value of portability: expected saving from portability 0 to 1 (most worth "
                      "paying for a gateway and evals)", STRATEGY,
                      Axis("Expected NPV saving ($)", "usd"), _concat([bars, marks]), styles,
                      notes=("Bars and their labels: the expected saving. Diamonds: how much the "
                             "P95 NPV falls (the cost one future in 20 exceeds).",))


def stress_impact(frame: pd.DataFrame, title: str) -> FigureSpec:
    """NPV impact of one forced event per strategy (``tco.stress.stress``)."""
    return _per_strategy_bars("stress_impact", title, Axis("NPV impact ($)", "usd"),
                              list(frame["strategy"]), frame["impact_usd"].to_numpy())
