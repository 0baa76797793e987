"""The page for a portfolio file: its NPV distribution, fan chart, cost per workload on both
bases, vendor shares of CVaR95, its CSV, workbook and deck downloads, and the optimiser's mix
per workload on demand (``tco.ui.portfolio_decide``).

Opened from the sidebar's portfolio choice or a portfolio upload (``tco.ui.portfolio_choice``);
every number comes from ``tco.portfolio``.
"""

from __future__ import annotations

import streamlit as st

from tco.errors import ScenarioError
from tco.figures import to_figure
from tco.figures.data import portfolio_fan
from tco.format import pct, usd
from tco.portfolio import loads_portfolio, simulate_portfolio
from tco.portfolio.outputs import HEADERS, SUMMARY_LABELS, workbook
from tco.portfolio.result import PortfolioResult
from tco.portfolio.slides import deck
from tco.ui.portfolio_decide import portfolio_decide
from tco.ui.safe import escape_markdown

METRICS = {"mean": "Expected NPV", "p95": "P95 NPV", "cvar95": "CVaR95 NPV",
           "pooling_saving_mean": "Pooling saving"}
"""The headline figures and their short labels (the full ones are their help text)."""
DECIDED_DECK_LABEL = "Slide deck with this decision (.pptx)"


@st.cache_data(show_spinner=False, max_entries=4)
def _run(text: str, paths: int, seed: int) -> PortfolioResult:
    return simulate_portfolio(loads_portfolio(text), paths=paths, seed=seed)


def portfolio_page(text: str, paths: int, seed: int) -> None:
    """Draw one portfolio's results."""
    try:
        result = _run(text, paths, seed)
    except ScenarioError as exc:
        st.error(escape_markdown(exc))
        return
    pf = result.portfolio
    cur = pf.currency
    st.title(escape_markdown(pf.name))
    st.caption(escape_markdown(pf.description, limit=2000))
    summary = result.summary()
    cols = st.columns(4)
    for col, (key, label) in zip(cols, METRICS.items(), strict=True):
        col.metric(label, usd(summary[key]), help=SUMMARY_LABELS[key])
    st.caption(f"NPV of total cost in {cur} over {pf.horizon_months} months; {result.paths:,} "
               f"paths, seed {result.seed}. P5 {usd(summary['p5'])}, median {usd(summary['p50'])}; "
               f"if each workload ran alone {usd(summary['standalone_mean'])}.")
    # The scenario page's fan, by calendar month: one neutral series (the portfolio is no
    # strategy, and a red P5 read as a warning), the deck's chart too.
    fig = to_figure(portfolio_fan(result))
    st.plotly_chart(fig, key="portfolio_fan")
    st.subheader("Cost per workload")
    money = ["standalone_usd", "usage_basis_usd", "allocation_basis_usd"]
    table = result.workload_table()
    table[money] = table[money].map(usd)
    table = table.rename(columns=HEADERS)
    # Static tables wrap their headers: a grid cut the last money column off at 1280 px.
    st.table(table, hide_index=True)
    st.caption("Usage basis: pooled fleets and commitments shared by use. Allocation basis: use "
               "at the pool's unit cost and discounted usage; idle capacity and unused "
               "commitment on their own line. Both add up to the expected total.")
    st.subheader("Vendor concentration")
    vendors = result.vendor_table()
    st.table(vendors.assign(cvar95_share=vendors["cvar95_share"].map(pct),
                                mean_usd=vendors["mean_usd"].map(usd),
                                cvar95_contribution_usd=vendors["cvar95_contribution_usd"].map(usd)
                                ).rename(columns=HEADERS), hide_index=True)
    c1, c2 = st.columns(2)
    c1.download_button("Workbook (.xlsx)", workbook(result), file_name="portfolio.xlsx",
                       key="portfolio_xlsx")
    c2.download_button("Slide deck (.pptx)", deck(result), file_name="portfolio.pptx",
                       key="portfolio_deck")
    decided = portfolio_decide(text, paths, seed)
    if decided is not None:  # the deck above has no Decide slides until the optimiser has run
        st.download_button(DECIDED_DECK_LABEL, deck(result, decided),
                           file_name="portfolio-decided.pptx", key="portfolio_deck_decided")
