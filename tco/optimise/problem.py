"""The decision a scenario poses: which options, within which bounds, with which fallbacks, and
the candidate strategies whose costs the solver mixes.

A candidate puts all traffic on one option with the fallback chain under consideration and the
base strategy's portability, overhead and other costs. On each path an option's cost is split
into a part paid whole by any mix that uses it (setup, ops staff, the minimum replicas: F) and a
part in proportion to its share (V), from two mixes of each option with a reference option
(``PAIR_SHARES``): for w in (0, 1), cost(w) = w V_o + (1 - w) V_r + F_o + F_r, so the secant
through w = 1/4 and 3/4 gives V_o - V_r and F_o + F_r, and the option alone (C_o = V_o + F_o)
separates them. The solver mixes these (``tco.optimise.lp``, ``fixed``); what is not affine in
the share (whole replicas, a forced migration's effort) is left to the exact kernel, which
``tco.optimise.decide`` runs on every answer, reporting how far it moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import tco.catalog as catalog
import tco.options as option_kinds
from tco.decisions import Optimise
from tco.errors import ScenarioError
from tco.format import pct, usd
from tco.load import Loaded
from tco.model import evaluate
from tco.optimise.lp import ShareRows, check_bounds
from tco.option_labels import option_label
from tco.schema import Strategy

PAIR_SHARES = (0.25, 0.75)
"""Shares of an option, beside the reference option, at which the secant of its cost is taken."""
MIN_SHOWN_SHARE = 0.005
"""Shares below half a percent are dropped from a mix (and the rest rescaled): a strategy with
0.2% on an option would pay its setup and staff for almost no traffic."""


@dataclass(frozen=True)
class Problem:
    """The options the mix may use, their share bounds and the fallback chains to choose from."""

    scenario: Loaded
    base: Strategy
    options: list[str]
    lower: np.ndarray
    """(options,) least share of each."""
    upper: np.ndarray
    """(options,) largest share of each."""
    chains: list[tuple[str, ...]]
    """Fallback chains to choose from (one when the fallback is fixed)."""

    def candidate(self, option: str, chain: tuple[str, ...]) -> Strategy:
        """All traffic on ``option``, falling back along ``chain`` without the option itself."""
        return self.mix({option: 1.0}, chain)

    def candidates(self, chain: tuple[str, ...]) -> dict[str, Strategy]:
        return {option: self.candidate(option, chain) for option in self.options}

    def mix(self, shares: dict[str, float], chain: tuple[str, ...]) -> Strategy:
        """A strategy with these shares and the base's other terms; the chain loses the options
        the mix uses alone (an exit cannot fall back to the option that left)."""
        used = [name for name, share in shares.items() if share > 0]
        rest = tuple(name for name in chain if len(used) > 1 or name not in used)
        if not rest:
            rest = tuple(name for name in self.scenario.options if name not in used)[:1]
        return self.base.model_copy(update={"mix": shares, "fallback": rest or None})

    def shares(self, weights: np.ndarray) -> dict[str, float]:
        """Solver weights as a strategy's mix: tiny shares dropped, the rest summing to 1."""
        kept = np.where(weights >= MIN_SHOWN_SHARE, weights, 0.0)
        kept = kept / kept.sum()
        return {name: float(w) for name, w in zip(self.options, kept, strict=True) if w > 0}


def reference(prob: Problem) -> str:
    """The option every other is paired with: the first billed per token (its cost is closest to
    affine in its share: no replicas), else the first."""
    sc = prob.scenario
    return next((name for name in prob.options
                 if option_kinds.of(sc.options[name]).billing == option_kinds.TOKENS),
                prob.options[0])


def pair_mixes(prob: Problem, chain: tuple[str, ...]) -> dict[str, Strategy]:
    """The mixes ``fixed_costs`` needs: each option beside the reference at ``PAIR_SHARES``."""
    ref = reference(prob)
    return {f"{option}--pair-{round(100 * share)}": prob.mix({option: share, ref: 1.0 - share}, chain)
            for option in prob.options if option != ref for share in PAIR_SHARES}


def fixed_costs(prob: Problem, alone_usd: np.ndarray, pairs_usd: np.ndarray) -> np.ndarray:
    """(paths, options) the part of each option's cost any mix using it pays whole.

    Parameters
    ----------
    alone_usd : (paths, options) each option alone (C).
    pairs_usd : (paths, 2 (options - 1)) the ``pair_mixes``, in their order.

    Notes
    -----
    With a = cost(1/4), b = cost(3/4) of option o beside the reference r: slope s = 2 (b - a) =
    V_o - V_r, intercept c0 = a - s / 4 = V_r + F_o + F_r; so F_o = c0 - C_r and the reference's
    F_r = c0 + s - C_o, averaged over its pairs with options billed per token where there are
    any (a fleet partner's whole replicas bend its secant). A fixed part is at least 0: where the
    secant says less, the cost is not affine in the share there, and the exact kernel's
    re-costing reports the difference.
    """
    paths, count = alone_usd.shape
    fixed = np.zeros((paths, count))
    if count == 1:
        return fixed
    ref = prob.options.index(reference(prob))
    sc = prob.scenario
    low, high = PAIR_SHARES
    estimates, token_estimates = [], []
    pair = 0
    for k, name in enumerate(prob.options):
        if k == ref:
            continue
        a, b = pairs_usd[:, 2 * pair], pairs_usd[:, 2 * pair + 1]
        pair += 1
        slope = (b - a) / (high - low)
        intercept = a - low * slope
        fixed[:, k] = intercept - alone_usd[:, ref]
        estimate = intercept + slope - alone_usd[:, k]
        estimates.append(estimate)
        if option_kinds.of(sc.options[name]).billing == option_kinds.TOKENS:
            token_estimates.append(estimate)
    fixed[:, ref] = np.mean(token_estimates or estimates, axis=0)
    return np.maximum(fixed, 0.0)


def problem(sc: Loaded) -> Problem:
    """Read the scenario's ``optimise:`` section (all defaults when it has none)."""
    section = sc.optimise or Optimise()
    base_name = section.strategy or next(iter(sc.strategies))
    base = sc.strategies[base_name]
    names = [name for name in sc.options if name not in section.exclude]
    lower = np.array([section.min_share.get(name, 0.0) for name in names])
    upper = np.array([section.max_share.get(name, 1.0) for name in names])
    check_bounds(names, lower, upper)
    if section.fallback_from:
        chains = [(name,) for name in section.fallback_from]
    else:
        chains = [section.chain or base.chain]
    return Problem(scenario=sc, base=base, options=names, lower=lower, upper=upper, chains=chains)


def gpu_rows(prob: Problem, candidates_scenario: Loaded) -> ShareRows | None:
    """The fleet ceilings as linear rows: each option's peak GPUs at 100% share (deterministic
    model) times its share, summed per GPU type, at most the ceiling."""
    section = prob.scenario.optimise
    if section is None or not section.max_gpus:
        return None
    fleet = evaluate(candidates_scenario).fleet
    peak = fleet.groupby("option")["gpus"].max() if not fleet.empty else pd.Series(dtype=float)
    plans = candidates_scenario.inputs.plans
    rows, bounds = [], []
    for gpu, ceiling in section.max_gpus.items():
        row = np.array([float(peak.get(name, 0.0)) if name in plans and plans[name].gpu == gpu
                        else 0.0 for name in prob.options])
        if row.any():
            rows.append(row)
            bounds.append(float(ceiling))
    if not rows:
        return None
    return ShareRows(np.array(rows), np.array(bounds))


def card(sc: Loaded, strategy: Strategy, reservations: bool = True) -> str:
    """The mix in one line: '62% Claude Sonnet 4.6, 38% Llama 3.3 70B on 6 reserved NVIDIA H100
    SXM5 80GB; fallback Claude Sonnet 4.6'. ``reservations=False`` leaves out each option's own
    reserved GPUs (a portfolio pools them per GPU type, so they belong to no one mix)."""
    parts = []
    for name, share in sorted(strategy.mix.items(), key=lambda kv: -kv[1]):
        text = f"{pct(share)} {option_label(sc, name)}"
        reserved = option_kinds.of(sc.options[name]).reservation(sc.options[name])
        if reserved is not None and reservations:
            gpu = sc.inputs.plans[name].gpu if name in sc.inputs.plans else ""
            text += f" on {reserved.gpus:g} reserved {gpu_name(gpu)}"
        parts.append(text)
    fallback = (", then ".join(option_label(sc, n) for n in strategy.chain) if strategy.chain
                else "none")
    return ", ".join(parts) + _commitments(sc, strategy) + f"; fallback {fallback}"


def _commitments(sc: Loaded, strategy: Strategy) -> str:
    """' with a $50.0k/month commitment on Claude Sonnet 4.6' for each signed commitment of the
    mix's options ('' when none: a zero minimum at no discount is no contract)."""
    signed = []
    for name in strategy.mix:
        contract = option_kinds.of(sc.options[name]).commitment(sc.options[name])
        if contract is not None and (contract.usd_per_month > 0 or contract.discount > 0):
            signed.append(f"a {usd(contract.usd_per_month)}/month commitment "
                          f"({pct(contract.discount)} off) on {option_label(sc, name)}")
    return " with " + " and ".join(signed) if signed else ""


def gpu_name(key: str) -> str:
    """A GPU type as a reader knows it (the catalog's name), else its key."""
    try:
        return catalog.gpu(key).name
    except ScenarioError:
        return key
