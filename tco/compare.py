"""Compare two scenarios: the inputs that differ, and each strategy's expected and P95 NPV in both.

Both are simulated with the same seed. When the two scenarios draw the same random streams (the
same sampled inputs, risk-option pairs and noisy options, in the same order), path i of one is
path i of the other: the difference of means is then estimated on paired paths (common random
numbers), with the standard error of the paired differences. Otherwise the runs are independent
and the standard error is sqrt(se_a^2 + se_b^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tco.draws import noisy_options, risk_option_pairs
from tco.format import usd
from tco.load import Loaded
from tco.report import changed_inputs
from tco.simulate import SimulationResult, simulate


@dataclass(frozen=True)
class Comparison:
    """``inputs``: label, base, current, input (path). ``strategies``: one row per strategy in
    either scenario: mean and P95 NPV in each, the difference of means and its standard error."""

    inputs: pd.DataFrame
    strategies: pd.DataFrame
    paired: bool
    paths: int
    seed: int


def _streams(sc: Loaded) -> tuple:
    """What fixes a run's random streams: sampled inputs, risk-option pairs, noisy options."""
    return (tuple(p.path for p in sc.inputs.sampled), tuple(risk_option_pairs(sc)),
            tuple(noisy_options(sc)), sc.horizon_months, sc.sampling)


def compare(a: Loaded, b: Loaded, paths: int, seed: int,
            results: tuple[SimulationResult, SimulationResult] | None = None) -> Comparison:
    """Simulate both scenarios (or take their results) and compare them strategy by strategy."""
    ra, rb = results or (simulate(a, paths=paths, seed=seed), simulate(b, paths=paths, seed=seed))
    paired = _streams(a) == _streams(b)
    sa, sb = ra.summary(), rb.summary()
    rows = []
    for name in dict.fromkeys([*sa.index, *sb.index]):
        row = {"strategy": name}
        for tag, table in (("a", sa), ("b", sb)):
            row[f"mean_{tag}_usd"] = table.loc[name, "mean"] if name in table.index else np.nan
            row[f"p95_{tag}_usd"] = table.loc[name, "p95"] if name in table.index else np.nan
        row["difference_usd"] = row["mean_b_usd"] - row["mean_a_usd"]
        if name in sa.index and name in sb.index:
            xa = ra.npv_usd[:, ra.strategies.index(name)]
            xb = rb.npv_usd[:, rb.strategies.index(name)]
            if paired:
                diff = xb - xa
                row["difference_se_usd"] = diff.std(ddof=1) / np.sqrt(diff.size)
            else:
                row["difference_se_usd"] = float(np.hypot(sa.loc[name, "se_mean"], sb.loc[name, "se_mean"]))
        else:
            row["difference_se_usd"] = np.nan
        rows.append(row)
    return Comparison(changed_inputs(a, b), pd.DataFrame(rows), paired, paths, seed)


def text(result: Comparison, name_a: str, name_b: str) -> str:
    """The comparison as lines a terminal shows, Infracost-diff style."""
    out = [f"Comparing {name_a} (a) with {name_b} (b): {result.paths:,} paths, seed {result.seed}, "
           + ("paired paths (common random numbers)" if result.paired else "independent runs")]
    if result.inputs.empty:
        out.append("\nNo input differs.")
    else:
        out.append("\nInputs that differ")
        out += [f"  ~ {r.label}: {r.base or '(none)'} -> {r.current or '(none)'}"
                for r in result.inputs.itertuples()]
    out.append("\nNPV of total cost per strategy (expected; P95)")
    for r in result.strategies.itertuples():
        if np.isnan(r.mean_a_usd) or np.isnan(r.mean_b_usd):
            side = "b" if np.isnan(r.mean_a_usd) else "a"
            out.append(f"  {'+' if side == 'b' else '-'} {r.strategy}: only in {side}")
            continue
        sign = "+" if r.difference_usd > 0 else "-" if r.difference_usd < 0 else " "
        out.append(f"  {sign} {r.strategy}: {usd(r.mean_a_usd)} -> {usd(r.mean_b_usd)} "
                   f"({'+' if r.difference_usd >= 0 else '-'}{usd(abs(r.difference_usd))} "
                   f"+/- {usd(r.difference_se_usd)}); P95 {usd(r.p95_a_usd)} -> {usd(r.p95_b_usd)}")
    return "\n".join(out)
