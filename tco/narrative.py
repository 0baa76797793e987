"""The risk story every view tells: which strategy is cheapest, which is safest, and the bridge
from the nominal to the expected cost.

One tail measure (CVaR95: the average of the worst 5% of futures over the horizon) decides
"safest" and "safer" everywhere: the page's verdict and bullets, the deck, the CLI and the
workbook all call ``safest`` and ``tail_sentence`` here, so no two views can disagree. The bridge
splits the expected NPV into the nominal (deterministic) NPV, what uncertain inputs add and what
vendor shocks add (``bridge``); ``bridge_rows`` is the same as rows a table or slide shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tco.format import usd
from tco.simulate import SimulationResult

TAIL = "cvar95"
"""The one tail measure (a ``SimulationResult.summary`` column) that ranks strategies by safety."""
TAIL_SHARE = 0.05
"""The share of worst futures the tail measure averages."""

BRIDGE_STEPS = ("Nominal", "+ uncertain inputs", "+ vendor shocks", "Expected")
"""The bridge's steps in order: the deterministic NPV, the two additions, the expected NPV."""


def tail_words(horizon_months: int) -> str:
    """What the tail measure is, in words: 'the average of the worst 5% of futures over the
    5-year horizon'."""
    years = horizon_months / 12
    span = f"{years:g}-year" if float(years).is_integer() else f"{horizon_months}-month"
    return f"the average of the worst {TAIL_SHARE:.0%} of futures over the {span} horizon"


def cheapest(table: pd.DataFrame) -> str:
    """The strategy with the lowest expected NPV (the summary's ``mean``)."""
    return str(table["mean"].idxmin())


def safest(table: pd.DataFrame) -> str:
    """The strategy with the lowest tail cost: the one every view calls safest (CVaR95)."""
    return str(table[TAIL].idxmin())


def tail_sentence(result: SimulationResult) -> str:
    """The one sentence about the bad tail: the cheapest strategy's CVaR95 and, where another
    strategy's is lower, that one is safer."""
    table = result.summary()
    best, safe = cheapest(table), safest(table)
    words = tail_words(result.scenario.horizon_months)
    text = f"In the bad tail ({words}) {best} costs {usd(table.loc[best, TAIL])}"
    if len(table) == 1:
        return text + "."
    if safe == best:
        return text + ", the lowest of the strategies: it is also the safest."
    return text + f"; {safe} is safer there at {usd(table.loc[safe, TAIL])}."


@dataclass(frozen=True)
class Bridge:
    """One strategy's expected NPV as the nominal NPV plus two additions, in dollars.

    ``nominal_usd + uncertain_inputs_usd + vendor_shocks_usd == expected_usd`` exactly (the
    uncertain-inputs step is the remainder).
    """

    strategy: str
    nominal_usd: float
    uncertain_inputs_usd: float
    vendor_shocks_usd: float
    expected_usd: float


def bridge(result: SimulationResult) -> list[Bridge]:
    """Each strategy's bridge, in scenario order.

    Notes
    -----
    Vendor shocks add the lock-in premium, E[NPV] - E[NPV without events] on the same paths;
    uncertain inputs add the rest, E[NPV without events] - NPV(nominal inputs).
    """
    table = result.summary()
    out = []
    for name, row in table.iterrows():
        nominal, expected, shocks = (float(row["deterministic_npv"]), float(row["mean"]),
                                     float(row["lock_in_premium"]))
        out.append(Bridge(str(name), nominal, expected - nominal - shocks, shocks, expected))
    return out


def bridge_rows(result: SimulationResult, strategy: str | None = None) -> pd.DataFrame:
    """The bridge as rows a table, chart or slide shows: step, amount_usd, measure and the
    amount in words, for one strategy (default: the cheapest in expectation).

    ``measure`` is 'absolute' for the two ends and 'relative' for the additions (a waterfall's
    vocabulary).
    """
    chosen = strategy or cheapest(result.summary())
    row = next(b for b in bridge(result) if b.strategy == chosen)
    amounts = (row.nominal_usd, row.uncertain_inputs_usd, row.vendor_shocks_usd, row.expected_usd)
    return pd.DataFrame({
        "strategy": chosen, "step": BRIDGE_STEPS, "amount_usd": amounts,
        "measure": ("absolute", "relative", "relative", "absolute"),
        "text": [usd(v) if i in (0, 3) else ("+" if v >= 0 else "-") + usd(abs(v))
                 for i, v in enumerate(amounts)]})


def bridge_sentence(result: SimulationResult, strategy: str | None = None) -> str:
    """The bridge in one sentence that adds up: 'Expected cost $X against $Y on nominal inputs:
    uncertain inputs add $A and vendor shocks add $B.'"""
    rows = bridge_rows(result, strategy)
    nominal, drift, shocks, expected = rows["amount_usd"]

    def adds(v: float) -> str:
        return f"add {usd(v)}" if v >= 0 else f"take off {usd(-v)}"

    return (f"Expected cost {usd(expected)} against {usd(nominal)} on nominal inputs "
            f"({rows['strategy'][0]}): uncertain inputs {adds(drift)} and vendor shocks {adds(shocks)} "
            "(the lock-in premium)")
