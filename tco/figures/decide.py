"""The efficient frontier as a figure spec: expected NPV against CVaR95 of the optimiser's mixes,
with the scenario's own strategies and the chosen mix as labelled points on the same paths."""

from __future__ import annotations

import pandas as pd

from tco.figures.spec import ROLES, STRATEGY_PALETTE, Axis, FigureSpec, Style, delta_e, strategy_colours
from tco.optimise.decide import Decision
from tco.optimise.portfolio import PortfolioDecision

FRONTIER = "Cheapest mix at each risk budget"
CHOSEN = "Chosen mix"
AS_FILED = "Portfolio as filed"
CHOSEN_MIXES = "Chosen mixes"
AS_FILED_COLOUR = max(STRATEGY_PALETTE, key=lambda c: min(
    delta_e(c, ROLES[role]) for role in ("frontier", "chosen_mix", "decision")))
"""The portfolio as filed is its strategies in force, so a strategy colour marks it, as strategies
are marked on a scenario's frontier: the one farthest from the frontier line, the chosen mixes and
the whole decision, so the four read as four things. Its colour by name was a purple 22 (Delta E)
from the frontier's indigo."""
DECISION = "Whole decision"
"""A portfolio's chosen mixes with its chosen reserved GPUs and tiers."""


def _frontier_line(points: list) -> tuple[list[pd.DataFrame], dict[str, Style]]:
    """The frontier's points as a line sorted by CVaR95, and its style; nothing where there are
    fewer than two points: a line through one point draws nothing, and its legend entry named a
    line no one could find (the flagship's Decide chart, page and deck, where one mix is cheapest
    at every budget; the chosen mix marks that point)."""
    if len(points) < 2:
        return [], {}
    line = pd.DataFrame({"series": FRONTIER, "x": [p.exact.cvar95_usd for p in points],
                         "y": [p.exact.mean_usd for p in points]}).sort_values("x", kind="stable")
    return [line], {FRONTIER: Style(ROLES["frontier"])}


def frontier(decision: Decision) -> FigureSpec:
    """Expected NPV (y) against CVaR95 (x) of the frontier's mixes as recosted on the optimiser's
    paths (those no other mix beats on both, ``Decision.efficient``)."""
    line, line_style = _frontier_line(decision.efficient)
    own = pd.DataFrame({"series": list(decision.strategies),
                        "x": [c.cvar95_usd for c in decision.strategies.values()],
                        "y": [c.mean_usd for c in decision.strategies.values()],
                        "text": list(decision.strategies)})
    chosen = pd.DataFrame({"series": [CHOSEN], "x": [decision.chosen.exact.cvar95_usd],
                           "y": [decision.chosen.exact.mean_usd], "text": [CHOSEN]})
    colours = strategy_colours(list(decision.strategies))
    styles = {**line_style, CHOSEN: Style(ROLES["chosen_mix"], marker="x"),
              **{name: Style(colour, marker="diamond") for name, colour in colours.items()}}
    return FigureSpec("frontier", "line", "Expected NPV against CVaR95: the cheapest mix at each "
                      "risk budget, and the scenario's strategies", Axis("CVaR95 of NPV ($)", "usd"),
                      Axis("Expected NPV ($)", "usd"), pd.concat([*line, own, chosen],
                                                                 ignore_index=True), styles,
                      notes=(f"{decision.paths:,} futures, seed {decision.seed}; each mix recosted "
                             "in full on the same futures.",))


def portfolio_frontier(decision: PortfolioDecision) -> FigureSpec:
    """The same chart for a portfolio: each frontier point is one mix per workload, simulated as
    a whole portfolio (pooled fleets, vendor commitments) on the optimiser's paths, beside the
    portfolio with its strategies in force and the chosen mixes."""
    line, line_style = _frontier_line(decision.efficient)
    marked = {AS_FILED: decision.in_force, CHOSEN_MIXES: decision.chosen.exact}
    if decision.decided is not None:
        marked[DECISION] = decision.decided
    marks = pd.DataFrame({"series": list(marked), "x": [c.cvar95_usd for c in marked.values()],
                          "y": [c.mean_usd for c in marked.values()], "text": list(marked)})
    styles = {**line_style,
              CHOSEN_MIXES: Style(ROLES["chosen_mix"], marker="x"),
              AS_FILED: Style(AS_FILED_COLOUR, marker="diamond")}
    if DECISION in marked:
        styles[DECISION] = Style(ROLES["decision"], marker="square")
    return FigureSpec("portfolio_frontier", "line", "Expected NPV against CVaR95: the cheapest "
                      "mixes per workload at each risk budget, and the portfolio as filed",
                      Axis("CVaR95 of NPV ($)", "usd"), Axis("Expected NPV ($)", "usd"),
                      pd.concat([*line, marks], ignore_index=True), styles,
                      notes=(f"{decision.paths:,} futures, seed {decision.seed}; each set of "
                             "mixes simulated as a whole portfolio on the same futures.",))
