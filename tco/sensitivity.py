"""Sensitivity: a tornado of one-at-a-time swings and a global ranking over the sampled inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd

import tco.glossary as glossary
import tco.kernel as kernel
import tco.metrics as metrics
from tco.draws import Shocks, facts
from tco.load import Loaded
from tco.model import nominal_inputs
from tco.options.table import Param
from tco.simulate import SimulationResult

FIXED_SWING = 0.2
"""Fixed inputs move by +-20% in the tornado."""
LOW_QUANTILE, HIGH_QUANTILE = 0.1, 0.9


def _swing(param: Param) -> tuple[float, float] | None:
    if param.uncertain:
        low, high = (float(param.value.ppf(np.array([q]))[0])  # type: ignore[union-attr]
                     for q in (LOW_QUANTILE, HIGH_QUANTILE))
    else:
        if param.nominal == 0.0:
            return None  # +-20% of zero is zero
        low, high = param.nominal * (1 - FIXED_SWING), param.nominal * (1 + FIXED_SWING)
        b = param.bounds
        if b.le is not None:
            high = min(high, b.le)
        if b.ge is not None:
            low = max(low, b.ge)
        if b.gt is not None and low <= b.gt:
            return None
    return (low, high) if low != high else None


def tornado(sc: Loaded) -> pd.DataFrame:
    """Deterministic NPV with each input at its low and high value, all others nominal.

    Uncertain inputs go to their P10 and P90, fixed ones to -20% / +20% (kept inside their valid
    range). Risk inputs are left out: the deterministic model fires no events. All variants run as
    paths of one kernel call. Rows: strategy, input, low/high value, npv_low/high, swing, sorted by
    swing within each strategy.
    """
    resolved = sc.inputs
    x0 = nominal_inputs(resolved)
    variants = []
    for path, param in resolved.params.items():
        if path.startswith("risks.") or param.per_event:
            continue
        swing = _swing(param)
        if swing is not None:
            variants.append((path, param, *swing))
    n = 1 + 2 * len(variants)
    x = {k: np.repeat(v, n) for k, v in x0.items()}
    for j, (path, _, low, high) in enumerate(variants):
        x[path][1 + 2 * j] = low
        x[path][2 + 2 * j] = high
    npv = kernel.run(sc, x, Shocks(paths=n)).npv_usd  # (variants, strategies)
    rows = []
    for s_i, name in enumerate(sc.strategies):
        for j, (path, param, low, high) in enumerate(variants):
            lo, hi = npv[1 + 2 * j, s_i], npv[2 + 2 * j, s_i]
            rows.append({"strategy": name, "input": path, "unit": glossary.entry(path).unit,
                         "kind": "P10-P90" if param.uncertain else "-20%/+20%",
                         "low_value": low, "high_value": high, "base_npv_usd": npv[0, s_i],
                         "npv_low_usd": lo, "npv_high_usd": hi, "swing_usd": abs(hi - lo)})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    order = list(sc.strategies)
    frame["_s"] = frame["strategy"].map(order.index)
    return frame.sort_values(["_s", "swing_usd"], ascending=[True, False]).drop(columns="_s").reset_index(
        drop=True)


def global_ranking(result: SimulationResult) -> pd.DataFrame:
    """Rank sampled inputs and event counts by how much of each strategy's NPV spread they explain.

    Columns: strategy, input, spearman_rho (rank correlation with NPV), variance_share (first-order
    share of Var(NPV) from the correlation ratio over 20 quantile bins), correlated (the input is in
    a ``correlations:`` pair, so its share includes its partner's influence), shared_with (the other
    options an event column's fact reaches: one draw for all of them, ranked once).
    """
    correlated = {path for c in result.scenario.correlations for path in c.between}
    columns = {f"input.{k}": v for k, v in result.sampled_inputs.items()}
    names = result.event_columns()
    shared: dict[str, str] = {}
    for k, reached in facts(result.scenario).items():
        # One fact, one input: a licence change shared by two options of a family is one driver,
        # named by its first option, not two perfectly correlated ones splitting its share.
        columns[names[k]] = result.event_counts[:, k]
        shared[names[k]] = ", ".join(reached[1:])
    rows = []
    for s_i, name in enumerate(result.strategies):
        y = result.npv_usd[:, s_i]
        for column, values in columns.items():
            values = np.asarray(values, dtype=float)
            if np.ptp(values) == 0 or np.ptp(y) == 0:
                rho = 0.0
            else:
                rho = metrics.spearman_rho(values, y)
            rows.append({"strategy": name, "input": column, "spearman_rho": rho,
                         "variance_share": metrics.first_order_share(values, y),
                         "correlated": column.removeprefix("input.") in correlated,
                         "shared_with": shared.get(column, "")})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["_s"] = frame["strategy"].map(result.strategies.index)
    return frame.sort_values(["_s", "variance_share"], ascending=[True, False]).drop(
        columns="_s").reset_index(drop=True)
