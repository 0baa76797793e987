"""A budget gate for CI: is a strategy's cost metric within a budget, and within an allowed rise
over a base scenario? Markdown summaries fit for a pull-request comment.

The metrics are those of ``run --json``: the NPV of total cost per strategy, as its mean, P95 or
CVaR95 over the simulated paths. The change against a base is estimated on the same seed; when
both scenarios draw the same random streams the paths are paired (``tco.compare``), so the
standard error of the change is that of paired differences. For the mean it is the sample
standard deviation of the differences / sqrt(paths); for P95 and CVaR95 it comes from batch
means: the paths cut into ``BATCHES`` equal batches, the metric's change computed in each, and
the standard deviation of those changes / sqrt(batches) (Asmussen and Glynn, *Stochastic
Simulation*, 2007, ch. III.5), which needs no density estimate.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

import tco.metrics as metrics
from tco.compare import Comparison, compare
from tco.errors import ScenarioError
from tco.load import Loaded
from tco.metrics import metric_values
from tco.simulate import SimulationResult

METRICS = {"mean": "expected NPV", "p95": "P95 NPV", "cvar95": "CVaR95 NPV"}
"""The metrics a budget can bind, and how the summary names them."""
BATCHES = 20
"""Batches for the standard error of a P95 or CVaR95 change (batch means)."""
CLOSE_CALL_SE = 2.0
"""A metric within this many standard errors of its limit is flagged: more paths may flip it."""


def metric_se(npv_usd: np.ndarray, metric: str) -> np.ndarray:
    """Standard error of the metric per strategy. ``npv_usd``: (paths, strategies)."""
    if metric == "mean":
        return metrics.standard_error_of_mean(npv_usd)
    return _batch_se(npv_usd, metric)


def _batch_se(values: np.ndarray, metric: str) -> np.ndarray:
    """Batch-means standard error of a metric of ``values`` (paths, strategies)."""
    n = values.shape[0] // BATCHES
    if n < 20:
        return np.full(values.shape[1:], np.nan)
    batches = np.stack([metric_values(values[b * n:(b + 1) * n], metric) for b in range(BATCHES)])
    return batches.std(axis=0, ddof=1) / math.sqrt(BATCHES)


@dataclass(frozen=True)
class Check:
    """The gate's verdict: one row per strategy checked, and whether every row passed.

    ``rows`` columns: strategy, value_usd, se_usd, budget_usd, headroom_usd, within_budget,
    base_usd, change_usd, change_se_usd, change_share, within_increase, passed, close_call.
    Columns that do not apply (no budget, no base) are NaN.
    """

    scenario: Loaded
    metric: str
    rows: pd.DataFrame
    paths: int
    seed: int
    paired: bool | None
    max_increase_share: float | None

    @property
    def passed(self) -> bool:
        return bool(self.rows["passed"].all())


def check(result: SimulationResult, metric: str = "mean", budget_usd: float | None = None,
          strategy: str | None = None, base: SimulationResult | None = None,
          max_increase_share: float | None = None) -> Check:
    """Check each strategy (or ``strategy``) against a budget and a base.

    A strategy passes when its metric is at most ``budget_usd`` (if given) and, with a base,
    its rise over the base's same metric is at most ``max_increase_share`` of the base's value.
    A strategy the base does not have passes the increase test (nothing to compare).
    """
    if metric not in METRICS:
        raise ScenarioError("--metric", f"must be one of {', '.join(METRICS)}")
    if budget_usd is None and base is None:
        raise ScenarioError("--budget-usd", "give a budget, or a --base scenario to compare with")
    if budget_usd is not None and not (math.isfinite(budget_usd) and budget_usd >= 0):
        raise ScenarioError("--budget-usd", "must be a finite amount of at least 0")
    if max_increase_share is not None and not (math.isfinite(max_increase_share) and max_increase_share >= 0):
        raise ScenarioError("--max-increase-share", "must be a finite share of at least 0 (0.05 = 5%)")
    names = result.strategies
    if strategy is not None and strategy not in names:
        raise ScenarioError("--strategy", f"'{strategy}' is not a strategy of the scenario; one of "
                            + ", ".join(names))
    chosen = [strategy] if strategy is not None else names
    values = metric_values(result.npv_usd, metric)
    ses = metric_se(result.npv_usd, metric)
    comparison = compare(base.scenario, result.scenario, result.paths, result.seed,
                         (base, result)) if base is not None else None
    rows = []
    for name in chosen:
        s_i = names.index(name)
        value, se = float(values[s_i]), float(ses[s_i])
        row = {"strategy": name, "value_usd": value, "se_usd": se, "budget_usd": np.nan,
               "headroom_usd": np.nan, "within_budget": True, "base_usd": np.nan,
               "change_usd": np.nan, "change_se_usd": np.nan, "change_share": np.nan,
               "within_increase": True, "close_call": False}
        if budget_usd is not None:
            row.update(budget_usd=budget_usd, headroom_usd=budget_usd - value,
                       within_budget=value <= budget_usd)
            row["close_call"] = bool(abs(budget_usd - value) <= CLOSE_CALL_SE * se)
        if base is not None and name in base.strategies:
            change, change_se = _change(base, result, name, metric, comparison)
            base_value = value - change
            share = change / base_value if base_value != 0 else (np.inf if change > 0 else 0.0)
            limit = max_increase_share if max_increase_share is not None else np.inf
            row.update(base_usd=base_value, change_usd=change, change_se_usd=change_se,
                       change_share=share, within_increase=share <= limit)
            if np.isfinite(limit):
                allowed = limit * abs(base_value)
                row["close_call"] = row["close_call"] or bool(
                    abs(allowed - change) <= CLOSE_CALL_SE * change_se)
        row["passed"] = bool(row["within_budget"] and row["within_increase"])
        rows.append(row)
    return Check(result.scenario, metric, pd.DataFrame(rows), result.paths, result.seed,
                 comparison.paired if comparison is not None else None, max_increase_share)


def _change(base: SimulationResult, result: SimulationResult, name: str, metric: str,
            comparison: Comparison) -> tuple[float, float]:
    """The metric's change from base to result for one strategy, and its standard error."""
    xa = base.npv_usd[:, base.strategies.index(name)]
    xb = result.npv_usd[:, result.strategies.index(name)]
    change = float(metric_values(xb[:, None], metric)[0] - metric_values(xa[:, None], metric)[0])
    if metric == "mean":
        row = comparison.strategies.set_index("strategy").loc[name]
        return change, float(row["difference_se_usd"])
    if comparison.paired:
        n = xa.size // BATCHES
        if n < 20:
            return change, math.nan
        diffs = [float(metric_values(xb[b * n:(b + 1) * n, None], metric)[0]
                       - metric_values(xa[b * n:(b + 1) * n, None], metric)[0]) for b in range(BATCHES)]
        return change, float(np.std(diffs, ddof=1) / math.sqrt(BATCHES))
    se = math.hypot(float(_batch_se(xa[:, None], metric)[0]), float(_batch_se(xb[:, None], metric)[0]))
    return change, se


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def md(text: object) -> str:
    """User text made inert in Markdown: control characters dropped, markup characters escaped,
    so a scenario or strategy name cannot break a table, open a link or inject HTML."""
    return _MD_SPECIAL.sub(r"\\\1", _CONTROL.sub(" ", str(text)))


def money(value: float, currency: str, signed: bool = False) -> str:
    """An amount with thousands separators and the currency code ("-" when undefined)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:+,.0f} {currency}" if signed else f"{value:,.0f} {currency}"


def code(text: object) -> str:
    """User text for a Markdown code span: backticks and control characters dropped (a code span
    shows backslashes literally, so escaping would print them)."""
    return _CONTROL.sub(" ", str(text)).replace("`", "'")


def markdown(result: Check, scenario_file: str, base_file: str | None = None) -> str:
    """The gate's summary as Markdown for a pull-request comment: budget columns when a budget
    was given, base columns when a base was."""
    sc = result.scenario
    currency = md(sc.currency)
    status = "within budget" if result.passed else "over budget"
    label = METRICS[result.metric]
    rows = result.rows
    has_budget = bool(rows["budget_usd"].notna().any())
    has_base = base_file is not None
    out = [f"### LLM cost check: {md(sc.name)}: **{status}**", "",
           f"`{code(scenario_file)}`: {label} of total cost over {sc.horizon_months} months from "
           f"{md(sc.inputs.start)}, in {currency}, discounted at the scenario's rate; "
           f"{result.paths:,} paths, seed {result.seed}."]
    if has_base:
        pairing = ("paired paths (common random numbers)" if result.paired
                   else "independent runs (the scenarios draw different random streams)")
        limit = (f"a rise of at most {result.max_increase_share:.1%} allowed"
                 if result.max_increase_share is not None else "no limit on the rise")
        out.append(f"Against base `{code(base_file)}`: {pairing}; {limit}.")
    header = ["strategy", label, "± SE"]
    header += ["budget", "headroom"] if has_budget else []
    header += ["base", "change", "± SE", "change share"] if has_base else []
    header.append("result")
    out += ["", "| " + " | ".join(header) + " |",
            "|---|" + "---:|" * (len(header) - 2) + "---|"]
    for r in rows.itertuples():
        cells = [md(r.strategy), money(r.value_usd, currency), money(r.se_usd, currency)]
        if has_budget:
            cells += [money(r.budget_usd, currency), money(r.headroom_usd, currency, True)]
        if has_base:
            share = "-" if math.isnan(r.change_share) else f"{r.change_share:+.1%}"
            cells += [money(r.base_usd, currency), money(r.change_usd, currency, True),
                      money(r.change_se_usd, currency), share]
        verdict = "pass" if r.passed else ("over budget" if not r.within_budget else "rise too large")
        if r.close_call:
            verdict += f" (within {CLOSE_CALL_SE:g} SE of the limit: more paths could change it)"
        cells.append(verdict)
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "SE: standard error of the Monte Carlo estimate (for P95 and CVaR95, from "
            f"{BATCHES} batch means). Exit code 0: every strategy checked passed; 1: one did not."]
    return "\n".join(out) + "\n"


def comparison_markdown(result: Comparison, name_a: str, name_b: str, currency: str) -> str:
    """``tco diff``'s comparison as Markdown: the inputs that differ and NPV per strategy."""
    cur = md(currency)
    pairing = "paired paths (common random numbers)" if result.paired else "independent runs"
    out = [f"### Scenario diff: `{code(name_a)}` (a) -> `{code(name_b)}` (b)", "",
           f"{result.paths:,} paths, seed {result.seed}, {pairing}; NPV of total cost in {cur}.", ""]
    if result.inputs.empty:
        out += ["No input differs.", ""]
    else:
        out += ["| input | a | b |", "|---|---|---|"]
        out += [f"| {md(r.label)} | {md(r.base or '(none)')} | {md(r.current or '(none)')} |"
                for r in result.inputs.itertuples()]
        out.append("")
    out += ["| strategy | expected a | expected b | change | ± SE | P95 a | P95 b |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for r in result.strategies.itertuples():
        out.append(f"| {md(r.strategy)} | {money(r.mean_a_usd, cur)} | {money(r.mean_b_usd, cur)} "
                   f"| {money(r.difference_usd, cur, True)} | {money(r.difference_se_usd, cur)} "
                   f"| {money(r.p95_a_usd, cur)} | {money(r.p95_b_usd, cur)} |")
    return "\n".join(out) + "\n"
