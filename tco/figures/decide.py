"""The efficient frontier as a figure spec: expected NPV against CVaR95 of the optimiser's mixes,
with the scenario's own strategies and the chosen mix as labelled points on the same paths."""

from __future__ import annotations

import pandas as pd

from tco.figures.spec import ROLES, Axis, FigureSpec, Style, strategy_colours
from tco.optimise.decide import Decision

FRONTIER = "Cheapest mix at each risk budget"
CHOSEN = "Chosen mix"


def frontier(decision: Decision) -> FigureSpec:
    """Expected NPV (y) against CVaR95 (x) of the frontier's mixes as recosted on the optimiser's
    paths (those no other mix beats on both, ``Decision.efficient``)."""
    points = decision.efficient
    line = pd.DataFrame({"series": FRONTIER, "x": [p.exact.cvar95_usd for p in points],
                         "y": [p.exact.mean_usd for p in points]}).sort_values("x", kind="stable")
    own = pd.DataFrame({"series": list(decision.strategies),
                        "x": [c.cvar95_usd for c in decision.strategies.values()],
                        "y": [c.mean_usd for c in decision.strategies.values()],
                        "text": list(decision.strategies)})
    chosen = pd.DataFrame({"series": [CHOSEN], "x": [decision.chosen.exact.cvar95_usd],
                           "y": [decision.chosen.exact.mean_usd], "text": [CHOSEN]})
    colours = strategy_colours(list(decision.strategies))
    styles = {FRONTIER: Style(ROLES["frontier"]), CHOSEN: Style(ROLES["chosen_mix"], marker="x"),
              **{name: Style(colour, marker="diamond") for name, colour in colours.items()}}
    return FigureSpec("frontier", "line", "Expected NPV against CVaR95: the cheapest mix at each "
                      "risk budget, and the scenario's strategies", Axis("CVaR95 of NPV ($)", "usd"),
                      Axis("Expected NPV ($)", "usd"), pd.concat([line, own, chosen],
                                                                 ignore_index=True), styles,
                      notes=(f"{decision.paths:,} futures, seed {decision.seed}; each mix recosted "
                             "in full on the same futures.",))
