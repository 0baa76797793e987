"""The cheapest mix under a risk budget and the efficient frontier, for a scenario.

Draw the paths once, cost each option alone on them (``tco.optimise.problem``), solve the linear
programme (``tco.optimise.lp``), then re-cost every answer with the exact kernel: on the same
paths (how far the linear model moved) and on a fresh seed (in-sample optima are optimistic: the
solver tunes the mix to these paths' noise). Both figures are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

import tco.glossary as glossary
import tco.metrics as metrics
from tco.errors import ScenarioError
from tco.format import usd
from tco.load import Loaded
from tco.optimise import commit, lp, p95
from tco.optimise.paths import CommonPaths, fresh_seed, with_strategies
from tco.optimise.problem import (
    Problem,
    card,
    fixed_costs,
    gpu_rows,
    option_label,
    pair_mixes,
    problem,
)
from tco.optimise.reserve import refine
from tco.schema import Strategy

FRONTIER_BUDGETS = 15
P = TypeVar("P", bound=Any)
"""A frontier point: ``Point`` or a portfolio's, anything with ``exact`` figures."""


@dataclass(frozen=True)
class Costed:
    """A mix's expected NPV and CVaR95 (and P95) of NPV over a set of paths."""

    mean_usd: float
    cvar95_usd: float
    p95_usd: float

    @classmethod
    def of(cls, npv_usd: np.ndarray) -> Costed:
        """From (paths,) NPVs, by the summary's rules."""
        return cls(float(npv_usd.mean()), float(metrics.cvar(npv_usd)),
                   float(np.percentile(npv_usd, 95)))

    def risk_usd(self, measure: str) -> float:
        """The figure a budget on ``measure`` caps: P95 for ``'p95'``, else CVaR95."""
        return self.p95_usd if measure == "p95" else self.cvar95_usd

    def to_json(self) -> dict[str, float]:
        return {"mean": self.mean_usd, "cvar95": self.cvar95_usd, "p95": self.p95_usd}


def risk_label(measure: str) -> str:
    """The name of the figure a budget on ``measure`` caps, as the glossary labels it: 'P95 NPV'
    for ``'p95'``, else 'CVaR95' (``Costed.risk_usd``'s rule)."""
    return glossary.entry("p95" if measure == "p95" else "cvar95").label


@dataclass(frozen=True)
class Point:
    """One mix: its strategy, the solver's linear figures and the exact kernel's."""

    strategy: Strategy
    card: str
    linear: Costed
    exact: Costed
    budget_usd: float | None = None

    def to_json(self) -> dict:
        return {"mix": dict(self.strategy.mix), "fallback": list(self.strategy.chain),
                "card": self.card, "budget": self.budget_usd, "linear": self.linear.to_json(),
                "exact": self.exact.to_json()}


@dataclass(frozen=True)
class Decision:
    """The optimiser's answer: the chosen mix, its out-of-sample check, the frontier and the
    scenario's own strategies on the same paths."""

    scenario: Loaded
    paths: int
    seed: int
    metric: str
    """'cvar95', 'p95' or 'none' (no budget: the cheapest mix)."""
    budget_usd: float | None
    chosen: Point
    fresh: Costed
    """The chosen mix re-costed on ``fresh_seed``'s paths."""
    frontier: list[Point]
    strategies: dict[str, Costed] = field(default_factory=dict)
    decided: Loaded | None = None
    """The scenario with the refined reserved GPUs (``tco.optimise.reserve``): the chosen mix's
    exact and fresh figures are costed on it, and it is what a saved strategy is written into."""
    reserved_gpus: dict[str, int] = field(default_factory=dict)
    commitments: dict[str, commit.Level] = field(default_factory=dict)
    """The commitment level chosen per API option of the mix (``tco.optimise.commit``)."""

    @property
    def fresh_seed(self) -> int:
        return fresh_seed(self.seed)

    @property
    def efficient(self) -> list[Point]:
        """The frontier as recosted: one point per mix, those no other point beats on both
        expected NPV and CVaR95 (exact figures), by CVaR95."""
        return efficient(self.frontier)

    def frontier_note(self) -> str | None:
        """Why the frontier is one point, in words; None when it shows a trade-off."""
        return frontier_note(self.frontier)

    def same_mix_notes(self, short: bool = False) -> list[str]:
        """Why a strategy of the scenario with the chosen mix's very shares costs something else:
        its fallback chain, or the other terms the mix takes from the optimiser's base strategy.
        Without this, 'the same mix' read as two prices for one choice (hosted Llama at $2.13M
        chosen, $3.28M as the flagship's hosted-then-own, whose chain ends on a frontier API)."""
        sc, chosen = self.scenario, self.chosen.strategy
        base = problem(sc).base
        base_name = next(n for n, s in sc.strategies.items() if s is base)
        terms = {"mix", "fallback"}
        notes = []
        for name, strategy in sc.strategies.items():
            if name not in self.strategies or strategy.mix.keys() != chosen.mix.keys() or any(
                    abs(strategy.mix[k] - chosen.mix[k]) > 1e-9 for k in chosen.mix):
                continue
            why = []
            if strategy.chain != chosen.chain:
                why.append(f"it falls back to {_chain_words(sc, strategy.chain)}" + (
                    "" if short else f", where the chosen mix falls back to "
                    f"{_chain_words(sc, chosen.chain)}; a fallback left out saves its cost in the "
                    "futures that would use it and leaves the traffic no live fallback there"))
            if strategy.model_dump(exclude=terms) != base.model_dump(exclude=terms) and not short:
                why.append(f"the chosen mix takes its other terms (portability, overhead, other "
                           f"costs) from {base_name}, the strategy the optimiser builds on")
            if why:
                notes.append(f"{name} has the same shares and costs "
                             f"{usd(self.strategies[name].mean_usd)} expected: " + "; ".join(why) + ".")
        return notes

    def to_json(self) -> dict:
        return {"scenario": self.scenario.name, "paths": self.paths, "seed": self.seed,
                "fresh_seed": self.fresh_seed, "metric": self.metric, "budget": self.budget_usd,
                "chosen": self.chosen.to_json(), "reserved_gpus": self.reserved_gpus,
                "commitments": {k: v.to_json() for k, v in self.commitments.items()},
                "out_of_sample": self.fresh.to_json(),
                "frontier": [p.to_json() for p in self.frontier],
                "efficient": [self.frontier.index(p) for p in self.efficient],
                "strategies": {k: v.to_json() for k, v in self.strategies.items()}}


def _chain_words(sc: Loaded, chain: tuple[str, ...]) -> str:
    return ", then ".join(option_label(sc, n) for n in chain) if chain else "nothing"


def efficient(points: list[P], key: Callable[[P], Hashable] = lambda p: p.card) -> list[P]:
    """Points no other beats on both expected NPV and CVaR95 as recosted (``Point.exact``), the
    first of each mix kept, ordered by CVaR95.

    The search traces its frontier on its estimate, which spreads each option's fixed costs by
    share; recosted, a blend pays them whole and can cost more on both counts than a point beside
    it. Such a point is no choice anyone should make, so it is not on the frontier shown.
    ``key`` names a point's mix (a portfolio's point has one card per workload).
    """
    unique = list({key(p): p for p in reversed(points)}.values())
    kept = [p for p in unique if not any(
        q is not p and q.exact.mean_usd <= p.exact.mean_usd and q.exact.cvar95_usd <= p.exact.cvar95_usd
        and (q.exact.mean_usd, q.exact.cvar95_usd) != (p.exact.mean_usd, p.exact.cvar95_usd)
        for q in unique)]
    return sorted(kept, key=lambda p: (p.exact.cvar95_usd, p.exact.mean_usd))


def frontier_note(points: list[Point]) -> str | None:
    """Why the frontier is one point, with the mix: None when it shows a trade-off."""
    reason = flat_reason(points)
    if reason is None:
        return None
    best = efficient(points)[0]
    return (f"One mix at every budget: {best.card} has both the lowest expected NPV and the least "
            f"CVaR95 ({usd(best.exact.cvar95_usd)}). {reason}")


def flat_reason(points: list[Point]) -> str | None:
    """Why no blend is on a frontier of one point, without naming the mix (the deck's slide names
    it already); None when the frontier shows a trade-off."""
    if len(efficient(points)) > 1:
        return None
    tried = len({p.card for p in points})
    if tried == 1:
        return "No share of another option lowers the worst 5% of futures."
    return (f"The search's {tried - 1} other blends cost more on both counts once recosted: a "
            "blend pays each option's setup, staff and licences in full.")


@dataclass(frozen=True)
class _Costs:
    """What the solver needs for one fallback chain."""

    chain: tuple[str, ...]
    alone_usd: np.ndarray
    """(paths, options) NPV of each option alone."""
    fixed_usd: np.ndarray
    """(paths, options) the part of it any mix using the option pays whole."""
    rows: lp.ShareRows | None


def _costs(prob: Problem, drawn: CommonPaths, chain: tuple[str, ...]) -> _Costs:
    """Each option alone and beside the reference, costed in one pass on the common paths."""
    candidates = prob.candidates(chain)
    pairs = pair_mixes(prob, chain)
    rows = gpu_rows(prob, with_strategies(prob.scenario, candidates))
    npv = drawn.npv_usd({**candidates, **pairs})
    alone = npv[:, :len(candidates)]
    return _Costs(chain, alone, fixed_costs(prob, alone, npv[:, len(candidates):]), rows)


def budget_field(metric: str, field: str | None) -> str:
    """The name a budget refusal gives its budget: the caller's (the page's label), else the
    command line's flag."""
    return field or ("--p95-budget" if metric == "p95" else "--cvar-budget")


def _solve(prob: Problem, costs: _Costs, metric: str, budget_usd: float | None, field: str
           ) -> lp.Solution:
    if metric == "p95":  # the P95 programme has a binary per path already: shares kept linear
        return p95.cheapest_under_p95(costs.alone_usd, prob.lower, prob.upper, budget_usd, field,
                                     share_rows=costs.rows)
    return lp.cheapest(costs.alone_usd, prob.lower, prob.upper, budget_usd, field=field,
                       share_rows=costs.rows, fixed=costs.fixed_usd)


def optimise(sc: Loaded, paths: int, seed: int, cvar_budget_usd: float | None = None,
             p95_budget_usd: float | None = None, budgets: int = FRONTIER_BUDGETS,
             field: str | None = None) -> Decision:
    """The cheapest mix under the budget (or none), the frontier of ``budgets`` CVaR95 budgets,
    and the scenario's strategies, on ``paths`` paths of ``seed``; the chosen mix re-costed on a
    fresh seed. A budget no mix meets is refused naming ``field`` (default: the command line's
    flag), the least value a mix reaches and that mix."""
    if cvar_budget_usd is not None and p95_budget_usd is not None:
        raise ScenarioError("--p95-budget", "give a CVaR95 budget or a P95 budget, not both")
    metric = "cvar95" if cvar_budget_usd is not None else "p95" if p95_budget_usd is not None else "none"
    budget = cvar_budget_usd if cvar_budget_usd is not None else p95_budget_usd
    prob = problem(sc)
    drawn = CommonPaths(sc, paths, seed)
    best: tuple[lp.Solution, _Costs] | None = None
    least: tuple[lp.BudgetError, tuple[str, ...]] | None = None
    for chain in prob.chains:
        costs = _costs(prob, drawn, chain)
        try:
            solution = _solve(prob, costs, metric, budget, budget_field(metric, field))
        except lp.BudgetError as exc:  # this chain cannot meet the budget; another may
            if least is None or exc.least_usd < least[0].least_usd:
                least = (exc, chain)
            continue
        if best is None or solution.mean_usd < best[0].mean_usd:
            best = (solution, costs)
    if best is None:
        assert least is not None  # every chain was refused, each with its least value
        refusal, chain = least  # the least value over every allowed fallback, and its mix
        raise refusal.with_mix(card(sc, prob.mix(prob.shares(refusal.least.weights), chain)))
    solution, costs = best
    chain = costs.chain
    # The frontier is traced by the linear programme (fixed parts spread in proportion to the
    # share): fifteen mixed-integer solves on 10,000 paths take a minute where these take
    # seconds. Each point is re-costed by the exact kernel below, and those are the figures shown.
    points = lp.frontier(costs.alone_usd, prob.lower, prob.upper, budgets, share_rows=costs.rows)
    mixes = {"chosen": prob.mix(prob.shares(solution.weights), chain)}
    mixes.update({f"frontier-{i}": prob.mix(prob.shares(p.weights), chain)
                  for i, p in enumerate(points)})
    exact = drawn.npv_usd(mixes)
    refined = refine(sc, mixes["chosen"], paths, seed, budget, _gpu_ceilings(sc), metric)
    committed = commit.choose(refined.scenario, mixes["chosen"], paths, seed, budget, metric)
    decided = committed.scenario
    if refined.reserved_gpus or committed.levels:
        exact[:, 0] = CommonPaths(decided, paths, seed).npv_usd({"chosen": mixes["chosen"]})[:, 0]
    fresh = CommonPaths(decided, paths, fresh_seed(seed)).npv_usd({"chosen": mixes["chosen"]})[:, 0]
    own = drawn.npv_usd(dict(sc.strategies))
    chosen = Point(mixes["chosen"], card(decided, mixes["chosen"]),
                   Costed(solution.mean_usd, solution.cvar_usd, solution.p95_usd),
                   Costed.of(exact[:, 0]), budget)
    frontier = [Point(mixes[f"frontier-{i}"], card(sc, mixes[f"frontier-{i}"]),
                      Costed(p.mean_usd, p.cvar_usd, p.p95_usd), Costed.of(exact[:, i + 1]),
                      p.cvar_usd) for i, p in enumerate(points)]
    return Decision(scenario=sc, paths=paths, seed=seed, metric=metric, budget_usd=budget,
                    chosen=chosen, fresh=Costed.of(fresh), frontier=frontier,
                    strategies={name: Costed.of(own[:, k]) for k, name in enumerate(sc.strategies)},
                    decided=decided, reserved_gpus=refined.reserved_gpus,
                    commitments=committed.levels)


def _gpu_ceilings(sc: Loaded) -> dict[str, int]:
    """The fleet ceiling of each self-hosted option's GPU type, by option (none when unset)."""
    section = sc.optimise
    if section is None or not section.max_gpus:
        return {}
    plans = sc.inputs.plans
    return {name: section.max_gpus[plan.gpu] for name, plan in plans.items()
            if plan.gpu in section.max_gpus}


def with_strategy(sc: Loaded, name: str, strategy: Strategy) -> Loaded:
    """The scenario with ``strategy`` added under ``name`` (for ``--save-strategy``)."""
    if name in sc.strategies:
        raise ScenarioError("--save-strategy", f"'{name}' is already a strategy of the scenario; "
                            "choose another name")
    from tco.load import with_changes  # noqa: PLC0415 - kept beside its one use

    return with_changes(sc, {f"strategies.{name}": strategy.model_dump(mode="json",
                                                                       exclude_defaults=True)})


def with_mix(sc: Loaded, name: str, mix: dict[str, float], fallback: tuple[str, ...]) -> Loaded:
    """The scenario with a strategy of this mix and fallback added under ``name``, keeping the
    other terms of the strategy the optimiser builds on (``optimise.strategy``, else the first),
    as the optimiser's own mixes do; a shared link carries only the mix (``tco.ui.links``)."""
    section = sc.optimise
    base = sc.strategies[section.strategy if section is not None and section.strategy
                         else next(iter(sc.strategies))]
    return with_strategy(sc, name, base.model_copy(update={"mix": mix,
                                                           "fallback": fallback or None}))


__all__ = ["Costed", "Decision", "Point", "optimise", "usd", "with_mix", "with_strategy"]
