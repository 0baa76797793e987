"""The cheapest mix per workload of a portfolio under a portfolio-level CVaR95 or P95 budget.

Each workload chooses its shares among its own options: those the mixes of its strategies in
the file name (a support bot written as Llama or Sonnet is not offered Haiku: which models are
good enough for a workload is the file's statement, not the optimiser's). Its strategy in force
keeps its portability, overhead and fallback chain (``tco.optimise.problem.Problem`` per
workload).
Every candidate is costed on the portfolio's shared paths by ``tco.portfolio.simulate_portfolio``:
run k gives every workload its k-th candidate (all traffic on one option, or a pair mix for the
fixed/proportional split), and each workload's cost as if it ran alone (``workload_npv_usd``)
is one column of the solver's matrix, since it depends on that workload's strategy only.

The solver's model of the portfolio is the sum of the workloads' own costs: linear in the shares
per workload, each workload's shares summing to 1 (``tco.optimise.lp`` with ``groups``). Pooled
fleets and the vendor commitments are not linear in the shares; every reported set of mixes is
therefore simulated as a whole portfolio, on the same paths and on a fresh seed, and those are
the figures shown beside the solver's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from tco.decisions import Optimise
from tco.errors import ScenarioError
from tco.load import read_bounded
from tco.optimise import lp, p95
from tco.optimise.decide import FRONTIER_BUDGETS, Costed, budget_field, efficient
from tco.optimise.paths import fresh_seed, with_strategies
from tco.optimise.portfolio_commit import TierChoice, choose_tiers
from tco.optimise.portfolio_reserve import ReservedChoice, choose_reserved
from tco.optimise.problem import PAIR_SHARES, Problem, card, fixed_costs, pair_mixes
from tco.portfolio import Portfolio, loads_portfolio, simulate_portfolio
from tco.schema import Strategy
from tco.yamlio import parse_document

Mixes = dict[str, Strategy]
"""The strategy in force of every workload, by workload."""


@dataclass(frozen=True)
class PortfolioPoint:
    """One set of per-workload mixes: the solver's figures and the simulated portfolio's."""

    mixes: Mixes
    cards: dict[str, str]
    """Each workload's mix in words (``tco.optimise.problem.card``)."""
    linear: Costed
    exact: Costed
    budget_usd: float | None = None

    def to_json(self) -> dict:
        return {"workloads": {w: {"mix": dict(s.mix), "fallback": list(s.chain),
                                  "card": self.cards[w]} for w, s in self.mixes.items()},
                "budget": self.budget_usd, "linear": self.linear.to_json(),
                "exact": self.exact.to_json()}


@dataclass(frozen=True)
class PortfolioDecision:
    """The optimiser's answer for a portfolio: the chosen mixes, their fresh-seed check, the
    frontier and the portfolio as filed (its strategies in force) on the same paths."""

    portfolio: Portfolio
    paths: int
    seed: int
    metric: str
    """'cvar95', 'p95' or 'none' (no budget: the cheapest mixes)."""
    budget_usd: float | None
    chosen: PortfolioPoint
    fresh: Costed
    frontier: list[PortfolioPoint]
    in_force: Costed
    """The portfolio with its own strategies in force, simulated on the same paths."""
    tiers: TierChoice | None = None
    """The commitment tier per vendor with the chosen mixes and reserved GPUs in force
    (``choose_tiers``; within the budget); None when the portfolio has no commitments."""
    reserved: ReservedChoice | None = None
    """The reserved GPUs per GPU type with the chosen mixes in force (``choose_reserved``; within
    the budget); None when no pooled option has a reservation contract."""
    decided: Costed | None = None
    """The whole decision in force (mixes, reserved GPUs, tiers), simulated on the same paths."""
    decided_fresh: Costed | None = None
    """The same on the fresh seed's paths."""
    in_force_fresh: Costed | None = None
    """The portfolio as filed on the fresh seed's paths, beside ``decided_fresh``."""

    @property
    def fresh_seed(self) -> int:
        return fresh_seed(self.seed)

    def simulated(self) -> list[tuple[str, Costed]]:
        """The portfolio as filed and as decided, each simulated whole on the searched futures
        and on new ones, those that were run, in that order, each with its label: the rows of
        the Decide table (page and slide)."""
        n = f"{self.paths:,}"
        rows = ((f"As filed, the {n} futures searched", self.in_force),
                (f"As decided, the {n} futures searched", self.decided),
                (f"As filed, {n} new futures", self.in_force_fresh),
                (f"As decided, {n} new futures", self.decided_fresh))
        return [(label, costed) for label, costed in rows if costed is not None]

    @property
    def efficient(self) -> list[PortfolioPoint]:
        """The frontier's mixes no other beats on both counts as simulated, by CVaR95."""
        return efficient(self.frontier, key=lambda p: tuple(p.cards.values()))

    def to_json(self) -> dict:
        return {"portfolio": self.portfolio.name, "paths": self.paths, "seed": self.seed,
                "fresh_seed": self.fresh_seed, "metric": self.metric, "budget": self.budget_usd,
                "chosen": self.chosen.to_json(), "out_of_sample": self.fresh.to_json(),
                "frontier": [p.to_json() for p in self.frontier],
                "efficient": [self.frontier.index(p) for p in self.efficient],
                "in_force": self.in_force.to_json(),
                "commitment_tiers": None if self.tiers is None else self.tiers.to_json(),
                "reserved_gpus": None if self.reserved is None else self.reserved.to_json(),
                "decided": _json(self.decided), "decided_out_of_sample": _json(self.decided_fresh),
                "in_force_out_of_sample": _json(self.in_force_fresh)}


def _json(costed: Costed | None) -> dict | None:
    return None if costed is None else costed.to_json()


def load_choices(path: str) -> tuple[Portfolio, dict[str, list[str]]]:
    """A portfolio file and each workload's own options (``loads_choices``)."""
    return loads_choices(read_bounded(path))


def loads_choices(text: str | bytes) -> tuple[Portfolio, dict[str, list[str]]]:
    """Portfolio text and each workload's own options: those its strategies' mixes name, in
    the portfolio's option order (the portfolio keeps only the strategy in force)."""
    pf = loads_portfolio(text)
    raw, _ = parse_document(text)
    named = {w: {o for s in (raw["workloads"][w].get("strategies") or {}).values()
                 if isinstance(s, dict) for o in (s.get("mix") or {})} for w in pf.workloads}
    return pf, {w: [o for o in pf.first.options if o in named[w]] for w in pf.workloads}


def problems(pf: Portfolio, choices: dict[str, list[str]] | None = None) -> dict[str, Problem]:
    """Each workload's choice: its own options within its ``optimise:`` bounds, the strategy in
    force as the base of its candidates and its fallback chain fixed.

    The options are those ``choices`` names (default every option of the portfolio) and those
    its bounds give a share to (``min_share``, ``max_share``: naming an option there offers it),
    less ``exclude``, in the portfolio's option order. Bounds no mix of them can meet are refused
    in one line naming the workload's field (``tco.optimise.lp.check_bounds``).
    """
    out = {}
    for w, sc in pf.workloads.items():
        base = sc.strategies[pf.strategy[w]]
        section = sc.optimise or Optimise()
        offered = set(choices[w]) if choices is not None else set(sc.options)
        offered |= {*section.min_share, *section.max_share}
        names = [o for o in sc.options if o in offered and o not in section.exclude]
        lower = np.array([section.min_share.get(o, 0.0) for o in names])
        upper = np.array([section.max_share.get(o, 1.0) for o in names])
        if not names:
            raise ScenarioError(f"workloads.{w}.optimise.exclude", "excludes every option this "
                                f"workload's strategies use ({', '.join(sorted(offered))}); the "
                                "mix needs at least one")
        lp.check_bounds(names, lower, upper, where=f"workloads.{w}.optimise")
        out[w] = Problem(scenario=sc, base=base, options=names, lower=lower, upper=upper,
                         chains=[section.chain or base.chain])
    return out


def with_mixes(pf: Portfolio, mixes: Mixes) -> Portfolio:
    """The portfolio with each workload's strategy in force replaced by its mix, under the same
    name (so its sampled inputs keep their columns of the shared uniforms)."""
    workloads = {w: with_strategies(sc, {pf.strategy[w]: mixes[w]}) if w in mixes else sc
                 for w, sc in pf.workloads.items()}
    return replace(pf, workloads=workloads)


def candidate_costs(pf: Portfolio, probs: dict[str, Problem], paths: int, seed: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(paths, workloads x options) each workload's own NPV with all its traffic on each option,
    and the part of it a mix using the option pays whole; columns workload-major.

    Candidate k of every workload is simulated in one portfolio run: its options alone, then the
    pair mixes ``tco.optimise.problem.fixed_costs`` needs. A workload with fewer candidates
    than the run count keeps its last one in the later runs (those columns are not read).
    """
    lists = {w: [*p.candidates(p.chains[0]).values(), *pair_mixes(p, p.chains[0]).values()]
             for w, p in probs.items()}
    runs = max(len(ms) for ms in lists.values())
    npv = np.empty((paths, len(probs), runs))
    for k in range(runs):
        mixes = {w: ms[min(k, len(ms) - 1)] for w, ms in lists.items()}
        npv[:, :, k] = simulate_portfolio(with_mixes(pf, mixes), paths=paths,
                                          seed=seed).workload_npv_usd
    alone, fixed = [], []
    for i, prob in enumerate(probs.values()):
        count = len(prob.options)
        alone.append(npv[:, i, :count])
        pairs = npv[:, i, count:count + len(PAIR_SHARES) * (count - 1)]
        fixed.append(fixed_costs(prob, npv[:, i, :count], pairs))
    return np.concatenate(alone, axis=1), np.concatenate(fixed, axis=1)


def _mixes(probs: dict[str, Problem], weights: np.ndarray) -> Mixes:
    """Solver weights (workloads x options, workload-major) as each workload's strategy."""
    out, start = {}, 0
    for w, prob in probs.items():
        count = len(prob.options)
        out[w] = prob.mix(prob.shares(weights[start:start + count]), prob.chains[0])
        start += count
    return out


def _cards(pf: Portfolio, mixes: Mixes) -> dict[str, str]:
    return {w: card(pf.workloads[w], s, reservations=False) for w, s in mixes.items()}


def words(pf: Portfolio, mixes: Mixes) -> str:
    """Every workload's mix in one line: 'support-bot: 100% Llama 3.3 70B; ...'."""
    return "; ".join(f"{w}: {c}" for w, c in _cards(pf, mixes).items())


def optimise_portfolio(pf: Portfolio, paths: int, seed: int, cvar_budget_usd: float | None = None,
                       p95_budget_usd: float | None = None, budgets: int = FRONTIER_BUDGETS,
                       field: str | None = None, choices: dict[str, list[str]] | None = None
                       ) -> PortfolioDecision:
    """The cheapest mixes per workload whose portfolio CVaR95 (or P95) stays within the budget
    (none: the cheapest), the frontier of ``budgets`` CVaR95 budgets, each re-costed by
    simulating the whole portfolio; the chosen mixes also on a fresh seed, and the commitment
    tier per vendor with them in force."""
    if cvar_budget_usd is not None and p95_budget_usd is not None:
        raise ScenarioError("--p95-budget", "give a CVaR95 budget or a P95 budget, not both")
    metric = "cvar95" if cvar_budget_usd is not None else "p95" if p95_budget_usd is not None else "none"
    budget = cvar_budget_usd if cvar_budget_usd is not None else p95_budget_usd
    probs = problems(pf, choices)
    alone, fixed = candidate_costs(pf, probs, paths, seed)
    groups = np.repeat(np.arange(len(probs)), [len(p.options) for p in probs.values()])
    lower = np.concatenate([p.lower for p in probs.values()])
    upper = np.concatenate([p.upper for p in probs.values()])
    try:
        if metric == "p95":
            solution = p95.cheapest_under_p95(alone, lower, upper, budget,
                                             budget_field(metric, field), groups=groups)
        else:
            solution = lp.cheapest(alone, lower, upper, budget, field=budget_field(metric, field),
                                   fixed=fixed, groups=groups)
    except lp.BudgetError as exc:
        raise exc.with_mix(words(pf, _mixes(probs, exc.least.weights))) from None
    # The frontier is traced by the linear programme (fixed parts spread in proportion to the
    # share), as for a scenario; each distinct point is simulated as a portfolio below.
    points = lp.frontier(alone, lower, upper, budgets, groups=groups)
    chosen = _mixes(probs, solution.weights)
    simulated: dict[tuple, Costed] = {}

    def exact(mixes: Mixes, at_seed: int = seed) -> Costed:
        key = (at_seed, *((w, tuple(sorted(s.mix.items())), s.chain) for w, s in mixes.items()))
        if key not in simulated:
            result = simulate_portfolio(with_mixes(pf, mixes), paths=paths, seed=at_seed)
            simulated[key] = Costed.of(result.npv_usd)
        return simulated[key]

    frontier = []
    for point in points:
        mixes = _mixes(probs, point.weights)
        frontier.append(PortfolioPoint(mixes, _cards(pf, mixes),
                                       Costed(point.mean_usd, point.cvar_usd, point.p95_usd),
                                       exact(mixes), point.cvar_usd))
    # Reserved GPUs serve the pooled fleets the mixes leave, so they are sized on the mixes; the
    # tier is a bet on the vendor's pooled usage, so it is chosen last, on both.
    decided = with_mixes(pf, chosen)
    reserved = choose_reserved(decided, paths, seed, budget, metric)
    if reserved is not None:
        decided = reserved.portfolio
    tiers = choose_tiers(decided, paths, seed, budget, metric) if pf.commitments else None
    if tiers is not None:
        decided = tiers.portfolio
    return PortfolioDecision(
        portfolio=pf, paths=paths, seed=seed, metric=metric, budget_usd=budget, tiers=tiers,
        chosen=PortfolioPoint(chosen, _cards(pf, chosen),
                              Costed(solution.mean_usd, solution.cvar_usd, solution.p95_usd),
                              exact(chosen), budget),
        fresh=exact(chosen, fresh_seed(seed)), frontier=frontier,
        in_force=Costed.of(simulate_portfolio(pf, paths=paths, seed=seed).npv_usd),
        reserved=reserved,
        decided=Costed.of(simulate_portfolio(decided, paths=paths, seed=seed).npv_usd),
        decided_fresh=Costed.of(simulate_portfolio(decided, paths=paths,
                                                   seed=fresh_seed(seed)).npv_usd),
        in_force_fresh=Costed.of(simulate_portfolio(pf, paths=paths,
                                                    seed=fresh_seed(seed)).npv_usd))


__all__ = ["PortfolioDecision", "PortfolioPoint", "candidate_costs", "load_choices", "loads_choices",
           "optimise_portfolio", "problems", "with_mixes", "words"]
