"""The portfolio page's Decide section: the cheapest mix per workload within a CVaR95 or P95
budget on the whole portfolio, recosted as a portfolio (``tco.optimise.portfolio``).

The optimiser simulates the portfolio once per candidate and once per frontier point, seconds
at the page's path count, so it runs when asked (a button), not on every rerun; the answer is
kept for the inputs it was asked on and shown again while they stay the same.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tco.errors import ScenarioError
from tco.figures import to_figure
from tco.figures.decide import portfolio_frontier
from tco.format import usd
from tco.optimise.portfolio import PortfolioDecision, loads_choices, optimise_portfolio
from tco.ui.cache import RESULT_CACHE
from tco.ui.decide_tab import MEASURE_HELP, MEASURES, OWN_TEXT_CHARS, figures_help, figures_table
from tco.ui.lru import memoize
from tco.ui.safe import escape_markdown

BUDGET_KEY = "portfolio_decide_budget_musd"
MEASURE_KEY = "portfolio_decide_measure"
ASKED_KEY = "portfolio_decide_asked"
"""Session state: the inputs the optimiser was last asked to run on."""
RUN_LABEL = "Find the cheapest mix per workload"


@memoize(RESULT_CACHE)
def portfolio_decision(text: str, paths: int, seed: int, budget_usd: float | None,
                       measure: str = "CVaR95") -> PortfolioDecision:
    """The optimiser on one portfolio text and budget; a budget no set of mixes meets is refused
    naming the page's budget field."""
    pf, choices = loads_choices(text)
    field = f"{measure} budget"
    if MEASURES[measure] == "p95":
        return optimise_portfolio(pf, paths, seed, p95_budget_usd=budget_usd, field=field,
                                  choices=choices)
    return optimise_portfolio(pf, paths, seed, cvar_budget_usd=budget_usd, field=field,
                              choices=choices)


def mix_table(d: PortfolioDecision) -> pd.DataFrame:
    """Each workload's chosen mix in words beside its strategy in force."""
    pf = d.portfolio
    return pd.DataFrame({"Workload": list(d.chosen.cards),
                         "Strategy in force": [pf.strategy[w] for w in d.chosen.cards],
                         "Chosen mix": list(d.chosen.cards.values())})


def costed_table(d: PortfolioDecision) -> pd.DataFrame:
    """The chosen mixes costed three ways (``decide_tab.figures_table``), then the portfolio as
    filed and as decided, simulated whole (``PortfolioDecision.simulated``, the slide's rows)."""
    table = figures_table(d)
    rows = [dict(zip(table.columns, (label, usd(c.mean_usd), usd(c.cvar95_usd), usd(c.p95_usd)),
                     strict=True)) for label, c in d.simulated()]
    return pd.concat([table, pd.DataFrame(rows)], ignore_index=True)


def portfolio_decide(text: str, paths: int, seed: int) -> PortfolioDecision | None:
    """Draw the Decide section for one portfolio text at the page's paths and seed; the decision
    shown, if any, so the page can offer the deck with its slides."""
    st.subheader("Decide: the cheapest mix per workload")
    st.caption("Each workload's shares among the options its own strategies name, chosen so that "
               "the portfolio's expected NPV is lowest while its CVaR95 (mean NPV of the worst 5% "
               "of futures) or P95 stays within a budget; every answer is then simulated as a "
               "whole portfolio, pooled fleets and commitments included, on the same futures and "
               "on new ones.")
    measure = st.radio("Risk budget on", list(MEASURES), horizontal=True, key=MEASURE_KEY,
                       help=MEASURE_HELP)
    budget_musd = st.number_input(f"{measure} budget for the portfolio ($M); leave empty for the "
                                  "cheapest mixes", value=None, min_value=0.0, step=0.1,
                                  format="%.2f", key=BUDGET_KEY)
    budget = None if budget_musd is None else float(budget_musd) * 1e6
    asked = (text, paths, seed, budget, measure)
    if st.button(RUN_LABEL, key="portfolio_decide_run"):
        st.session_state[ASKED_KEY] = asked
    if st.session_state.get(ASKED_KEY) != asked:
        st.caption(f"Runs on {paths:,} futures when asked: about one portfolio simulation per "
                   "candidate mix and per frontier point.")
        return None
    try:
        with st.spinner("Simulating candidate mixes as a portfolio..."):
            d = portfolio_decision(text, paths, seed, budget, measure)
    except ScenarioError as exc:  # a budget below the least reachable, a solver failure: one line
        st.error(escape_markdown(str(exc), OWN_TEXT_CHARS))
        return None
    st.dataframe(mix_table(d), hide_index=True, key="portfolio_decide_mixes")
    st.dataframe(costed_table(d), hide_index=True, key="portfolio_decide_costs")
    if d.reserved is not None:
        st.markdown("**Reserved GPUs per GPU type**, for every workload together, with these "
                    "mixes in force: " + " ".join(escape_markdown(line, OWN_TEXT_CHARS)
                                                  for line in d.reserved.sentences()))
    if d.tiers is not None:
        st.markdown("**Commitment tier per vendor**, with these mixes in force: "
                    + " ".join(escape_markdown(line, OWN_TEXT_CHARS) for line in d.tiers.sentences()))
    st.caption(figures_help() + " The search's estimate sums the workloads' own costs; the "
               "portfolio's pooled fleets and commitments are not linear in the shares.")
    st.plotly_chart(to_figure(portfolio_frontier(d)), key="fig_portfolio_frontier",
                    config={"displaylogo": False})
    return d
