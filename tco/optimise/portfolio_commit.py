"""The commitment tier per vendor of a portfolio, chosen on the exact portfolio simulation.

A portfolio's commitments are pooled per vendor (``tco.portfolio``): each month of the term
bills max(C, (1 - d) U) on the vendor's list usage U summed over workloads, so the tier is a
bet on the sum, and only the whole portfolio costs it. As ``tco.optimise.commit`` does for
one scenario, every level is costed rather than searched (a tier list is short and the cost
over tiers is not convex when the discount grows with the minimum): not signing, then each
tier of the file, each on the same paths and seed (the draws do not depend on the contract, so
the levels differ only by their bills). The cheapest expected NPV whose CVaR95 (or P95, under a
P95 budget) is within the budget wins, ties to the earlier level (not signing, then the file's
order); with none within it the file's tier is kept. Vendors are chosen one after the other,
each with the earlier vendors' choices in force.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tco.format import pct, usd
from tco.optimise.commit import cheapest
from tco.optimise.decide import Costed, risk_label
from tco.portfolio import Portfolio, simulate_portfolio

NOT_SIGNED = 0
"""The level index for no contract with the vendor; tiers count from 1 as in the file."""


@dataclass(frozen=True)
class TierChoice:
    """The portfolio with the chosen tiers in force, each vendor's level (0: not signed) and
    every level's figures on the paths, in level order."""

    portfolio: Portfolio
    tiers: dict[str, int]
    costed: dict[str, list[Costed]]
    filed: dict[str, int]
    """The tier in force in the file, by vendor."""
    measure: str = "cvar95"
    """The risk measure the budget capped ('cvar95' or 'p95'), shown beside the mean."""

    def to_json(self) -> dict:
        return {"tiers": dict(self.tiers), "filed": dict(self.filed),
                "levels": {v: [c.to_json() for c in cs] for v, cs in self.costed.items()}}

    def sentences(self) -> list[str]:
        """One sentence per vendor: the level chosen and its expected NPV against the file's."""
        out = []
        for vendor, k in self.tiers.items():
            costs, filed = self.costed[vendor], self.filed[vendor]
            if k == NOT_SIGNED:
                level = "do not sign"
            else:
                tier = self.portfolio.commitments[vendor].tiers[k - 1]
                level = (f"tier {k} ({usd(tier.usd_per_month)} a month at "
                         f"{pct(tier.discount)} off)")
            name = risk_label(self.measure)
            out.append(f"{vendor}: {level}; expected NPV {usd(costs[k].mean_usd)}, {name} "
                       f"{usd(costs[k].risk_usd(self.measure))}, against "
                       f"{usd(costs[filed].mean_usd)} and {usd(costs[filed].risk_usd(self.measure))} "
                       f"at the file's tier {filed}.")
        return out


def with_tier(pf: Portfolio, vendor: str, tier: int) -> Portfolio:
    """The portfolio with ``vendor``'s contract at ``tier`` (counted from 1), or without it
    (``NOT_SIGNED``: its usage billed at list price)."""
    commitments = dict(pf.commitments)
    if tier == NOT_SIGNED:
        commitments.pop(vendor)
    else:
        commitments[vendor] = replace(pf.commitments[vendor], tier=tier)
    return replace(pf, commitments=commitments)


def choose_tiers(pf: Portfolio, paths: int, seed: int, budget_usd: float | None = None,
                 measure: str = "cvar95") -> TierChoice:
    """Cost not signing and every tier of each vendor's contract on the portfolio's paths; keep
    the cheapest expected NPV whose ``measure`` (``'cvar95'`` or ``'p95'``) is within the budget
    (none: the cheapest)."""
    tiers: dict[str, int] = {}
    costed: dict[str, list[Costed]] = {}
    current = pf
    for vendor, contract in pf.commitments.items():
        levels = range(len(contract.tiers) + 1)  # 0: not signed, then the file's tiers
        costed[vendor] = [Costed.of(simulate_portfolio(with_tier(current, vendor, k), paths=paths,
                                                       seed=seed).npv_usd) for k in levels]
        best = cheapest([(c.mean_usd, c.risk_usd(measure)) for c in costed[vendor]], budget_usd)
        tiers[vendor] = contract.tier if best is None else best
        current = with_tier(current, vendor, tiers[vendor])
    return TierChoice(current, tiers, costed, {v: c.tier for v, c in pf.commitments.items()},
                      measure if budget_usd is not None else "cvar95")


__all__ = ["NOT_SIGNED", "TierChoice", "choose_tiers", "with_tier"]
