"""Reserved GPUs per GPU type of a portfolio, chosen on the exact portfolio simulation.

A portfolio's reserved GPUs are pooled per GPU type (``tco.portfolio.pooling.price_gpu_type``):
each hour the type rents max(0, G_h - R) GPUs on demand, G_h the GPUs its pools need that hour,
and pays for the R reserved ones whether used or not. So the count is one decision per type,
across options and workloads, and only the whole portfolio costs it. At a reserved price c_r and
an on-demand price c_d a GPU-hour, the expected cost c_r R + c_d E[sum_h max(0, G_h - R)] is
convex in R (the newsvendor's): one more reserved GPU costs c_r every hour and saves c_d on the
hours it is needed, so the least cost is where P(G_h > R), over hours and paths, falls to
c_r / c_d. ``tco.optimise.reserve.least_count`` finds it by ternary search over whole GPUs, each
count a portfolio simulation on the same paths and seed (the draws do not depend on the
reservation); counts whose CVaR95 (or P95) exceeds the budget are refused.

The search runs from 0 to the most GPUs the type's pools ever need at once as filed with the
chosen mixes (the sum of each pool's busiest-hour fleet, at least the simultaneous peak;
reserving beyond it only adds idle contracts), or the file's own count if higher. The price,
start and term are the type's offer in the portfolio's ``optimise.reserved`` where it makes one,
else the contract of the type's first option with one
(``tco.portfolio.spec.reservation_contracts``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

import tco.options as options
from tco.format import usd
from tco.optimise.decide import Costed, risk_label
from tco.optimise.problem import gpu_name, option_label
from tco.optimise.reserve import least_count
from tco.portfolio import Portfolio, simulate_portfolio
from tco.portfolio.engine import pools_by_gpu
from tco.portfolio.result import PortfolioResult
from tco.portfolio.spec import reservable_types, reservation_contracts


@dataclass(frozen=True)
class ReservedChoice:
    """The portfolio with the chosen reserved GPUs in force, the count per GPU type, the file's,
    and every count the search costed on the paths."""

    portfolio: Portfolio
    gpus: dict[str, int]
    """Reserved GPUs chosen per GPU type (catalog key)."""
    filed: dict[str, int]
    """The file's reserved GPUs per GPU type: every signing workload's reservation together."""
    costed: dict[str, dict[int, Costed]]
    """Each count the search tried, per GPU type."""
    contract: dict[str, str]
    """The terms that price each type's reservation, in words (``terms``)."""
    measure: str = "cvar95"
    as_filed: Costed | None = None
    """The portfolio as filed, each workload on its own contracts: what 'as filed' compares with.
    (The file's count re-priced on the pooled contract is another portfolio: a workload's own
    contract may differ in price and term.)"""

    def to_json(self) -> dict:
        return {"gpus": dict(self.gpus), "filed": dict(self.filed), "contract": dict(self.contract),
                "costed": {g: {str(k): c.to_json() for k, c in sorted(cs.items())}
                           for g, cs in self.costed.items()}}

    def sentences(self) -> list[str]:
        """One sentence per GPU type: the count chosen against the file's, with expected NPV."""
        out = []
        for gpu, count in self.gpus.items():
            costs = self.costed[gpu]
            name = risk_label(self.measure)
            chosen = costs[count]
            line = (f"{gpu_name(gpu)}: reserve {count:,} ({self.filed[gpu]:,} as filed) on "
                    f"{self.contract[gpu]}; expected NPV {usd(chosen.mean_usd)}, {name} "
                    f"{usd(chosen.risk_usd(self.measure))}")
            filed = self.as_filed
            if filed is not None and self.filed[gpu] != count:
                line += (f", against {usd(filed.mean_usd)} and "
                         f"{usd(filed.risk_usd(self.measure))} for the portfolio as filed")
            out.append(line + ".")
        return out


def terms(pf: Portfolio, gpu: str) -> str:
    """The reservation terms of a GPU type in words: 'the offer at $2.60 a GPU-hour for 36
    months' or 'Llama 3.3 70B Instruct's contract'."""
    offer = pf.reserved_offers.get(gpu)
    if offer is not None:
        start = f" from month {offer.start_month}" if offer.start_month else ""
        return (f"the offer at ${offer.usd_per_gpu_hour:,.2f} a GPU-hour for "
                f"{offer.term_months} months{start}")
    return f"{option_label(pf.first, reservation_contracts(pf)[gpu])}'s contract"


def with_reserved_gpus(pf: Portfolio, gpu: str, count: int) -> Portfolio:
    """The portfolio with ``count`` GPUs of type ``gpu`` reserved for all its workloads together."""
    return replace(pf, reserved_gpus={**pf.reserved_gpus, gpu: int(count)})


def filed_gpus(pf: Portfolio, gpu: str) -> int:
    """The file's reserved GPUs on a GPU type as the portfolio counts them: each workload whose
    strategy in force uses an option of the type signs that option's reservation."""
    if gpu in pf.reserved_gpus:
        return int(pf.reserved_gpus[gpu])
    total = 0
    for w, sc in pf.workloads.items():
        for name in sc.strategies[pf.strategy[w]].mix:
            option = sc.options[name]
            contract = options.of(option).reservation(option)
            if contract is not None and sc.inputs.plans[name].gpu == gpu:
                total += contract.gpus
    return total


def peak_gpus(pf: Portfolio, result: PortfolioResult, gpu: str) -> int:
    """The most GPUs of the type its pools need at once on any path and month, bounded above by
    the sum of each pool's busiest-hour GPUs (the pools' peaks may fall in different hours)."""
    plans = pf.first.inputs.plans
    total = 0.0
    for k in pools_by_gpu(pf).get(gpu, ()):
        group = pf.pooling[k]
        top = result.pooled_replicas["+".join(group)]
        total = total + top * plans[group[0]].gpus
    return int(math.ceil(float(np.max(total)))) if np.ndim(total) else 0


def choose_reserved(pf: Portfolio, paths: int, seed: int, budget_usd: float | None = None,
                    measure: str = "cvar95") -> ReservedChoice | None:
    """The reserved GPUs per GPU type with the least expected NPV whose ``measure`` is within
    the budget, each count simulated as the whole portfolio; None when no GPU type has an offer
    or a pooled option with a reservation contract (there is nothing to size)."""
    types = reservable_types(pf)
    if not types:
        return None
    contract = {gpu: terms(pf, gpu) for gpu in types}
    filed = {gpu: filed_gpus(pf, gpu) for gpu in types}
    as_filed = simulate_portfolio(pf, paths=paths, seed=seed)
    chosen: dict[str, int] = {}
    costed: dict[str, dict[int, Costed]] = {}
    current = pf
    for gpu in contract:
        high = max(peak_gpus(pf, as_filed, gpu), filed[gpu])
        seen: dict[int, Costed] = {}

        def cost(count: int, gpu: str = gpu, base: Portfolio = current,
                 seen: dict[int, Costed] = seen) -> float:
            if count not in seen:
                npv = simulate_portfolio(with_reserved_gpus(base, gpu, count), paths=paths,
                                         seed=seed).npv_usd
                seen[count] = Costed.of(npv)
            c = seen[count]
            within = budget_usd is None or c.risk_usd(measure) <= budget_usd
            return c.mean_usd if within else math.inf

        best = least_count(cost, 0, high)
        if math.isinf(cost(best)):
            # No count is within the budget: the file's own contracts stay in force (the file's
            # count on the pooled contract would be another portfolio).
            best = filed[gpu]
            seen[best] = Costed.of(simulate_portfolio(current, paths=paths, seed=seed).npv_usd)
        else:
            current = with_reserved_gpus(current, gpu, best)
        chosen[gpu], costed[gpu] = best, seen
    return ReservedChoice(current, chosen, filed, costed, contract,
                          measure if budget_usd is not None else "cvar95",
                          Costed.of(as_filed.npv_usd))


__all__ = ["ReservedChoice", "choose_reserved", "filed_gpus", "peak_gpus", "with_reserved_gpus"]
