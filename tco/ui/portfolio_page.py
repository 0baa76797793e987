"""The page for a portfolio file: its NPV distribution, fan chart, cost per workload on both
bases, vendor shares of CVaR95, its CSV, workbook and deck downloads, and the optimiser's mix
per workload on demand (``tco.ui.portfolio_decide``).

Opened from the sidebar's portfolio choice or a portfolio upload; every number comes from
``tco.portfolio``. A bad upload shows one error line and keeps the previous file.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from tco.errors import ScenarioError
from tco.fields import MAX_SCENARIO_BYTES
from tco.figures.spec import ROLES
from tco.format import pct, usd
from tco.load import PORTFOLIO_PREFIX
from tco.portfolio import loads_portfolio, simulate_portfolio
from tco.portfolio.outputs import SUMMARY_LABELS, workbook
from tco.portfolio.result import PortfolioResult
from tco.portfolio.slides import deck
from tco.simulate import DEFAULT_PATHS, DEFAULT_SEED
from tco.ui.portfolio_decide import portfolio_decide
from tco.ui.safe import escape_markdown
from tco.ui.state import PATH_CHOICES
from tco.yamlio import parse_document

NONE = ""
METRICS = {"mean": "Expected NPV", "p95": "P95 NPV", "cvar95": "CVaR95 NPV",
           "pooling_saving_mean": "Pooling saving"}
"""The headline figures and their short labels (the full ones are their help text)."""
PORTFOLIO_KEY = "portfolio"
PATHS_KEY = "portfolio_paths"
UPLOAD_KEY = "portfolio_upload"
"""Session state: (file name, YAML text) of the last valid portfolio upload."""

DECIDED_DECK_LABEL = "Slide deck with this decision (.pptx)"


def shipped_portfolios(folder: Path) -> dict[str, str]:
    """Shipped portfolio files by stem: their YAML text."""
    return {p.stem: p.read_text(encoding="utf-8")
            for p in sorted(folder.glob(f"{PORTFOLIO_PREFIX}*.yaml"))}


@st.cache_data(show_spinner=False, max_entries=4)
def _run(text: str, paths: int, seed: int) -> PortfolioResult:
    return simulate_portfolio(loads_portfolio(text), paths=paths, seed=seed)


def _upload() -> tuple[str, str] | None:
    """The last valid uploaded portfolio; a bad one shows one line and the previous is kept."""
    upload = st.sidebar.file_uploader("Or upload a portfolio (.yaml)", type=["yaml", "yml"],
                                      key="portfolio_file")
    if upload is not None:
        data = upload.getvalue()
        try:
            if len(data) > MAX_SCENARIO_BYTES:
                raise ScenarioError("portfolio", f"file is larger than {MAX_SCENARIO_BYTES // 1000} kB")
            loads_portfolio(data)
            st.session_state[UPLOAD_KEY] = (upload.name, data.decode("utf-8-sig"))
        except ScenarioError as exc:
            st.sidebar.error(escape_markdown(f"{upload.name}: {exc}"))
    return st.session_state.get(UPLOAD_KEY)


def portfolio_sidebar(folder: Path) -> bool:
    """The sidebar's portfolio choice; True when a portfolio is open (the page drew it)."""
    files = shipped_portfolios(folder)
    # The file's own name, as the scenario choice shows scenarios: the stem is a file name.
    names = {stem: str(parse_document(text)[0].get("name") or stem) for stem, text in files.items()}
    stem = st.sidebar.selectbox("Portfolio", [NONE, *files], key=PORTFOLIO_KEY,
                                format_func=lambda s: names[s] if s else "(none: a single scenario)")
    uploaded = _upload()
    if stem == NONE and uploaded is None:
        return False
    text = uploaded[1] if stem == NONE and uploaded is not None else files[stem]
    # Its own paths control: the scenario view's widget is not drawn here, so Streamlit drops
    # its value; the default is the command line's.
    paths = st.sidebar.select_slider("Paths", PATH_CHOICES, value=DEFAULT_PATHS, key=PATHS_KEY,
                                     format_func=lambda v: f"{v:,}",
                                     help="Simulated futures for the portfolio and its optimiser")
    portfolio_page(text, int(paths), int(st.session_state.get("seed", DEFAULT_SEED)))
    return True


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
    fan = result.fan()
    fig = go.Figure()
    # The portfolio is no strategy: one neutral dark, the median solid and P5 / P95 dashed, as
    # in the deck (a red P5 read as a warning).
    for p, name, dash in (("p95", "P95", "dash"), ("p50", "Median", "solid"), ("p5", "P5", "dash")):
        fig.add_scatter(x=fan["month"], y=fan[f"{p}_cumulative_usd"], name=name, mode="lines",
                        line={"color": ROLES["deterministic"], "dash": dash})
    fig.update_layout(height=320, margin={"t": 30, "b": 30}, title="Cumulative cost, undiscounted",
                      xaxis_title="Month", yaxis_title=f"Cumulative cost ({cur})",
                      yaxis_tickformat="$~s" if cur == "USD" else "~s")
    st.plotly_chart(fig, key="portfolio_fan")
    st.subheader("Cost per workload")
    money = ["standalone_usd", "usage_basis_usd", "allocation_basis_usd"]
    table = result.workload_table()
    table[money] = table[money].map(usd)
    table = table.rename(columns={
        "workload": "Workload", "strategy": "Strategy in force",
        "standalone_usd": f"Alone ({cur} NPV)", "usage_basis_usd": f"Usage basis ({cur} NPV)",
        "allocation_basis_usd": f"Allocation basis ({cur} NPV)"})
    st.dataframe(table, hide_index=True, key="portfolio_workloads")
    st.caption("Usage basis: pooled fleets and commitments shared by use. Allocation basis: use "
               "at the pool's unit cost and discounted usage; idle capacity and unused "
               "commitment on their own line. Both add up to the expected total.")
    st.subheader("Vendor concentration")
    vendors = result.vendor_table()
    st.dataframe(vendors.assign(cvar95_share=vendors["cvar95_share"].map(pct),
                                mean_usd=vendors["mean_usd"].map(usd),
                                cvar95_contribution_usd=vendors["cvar95_contribution_usd"].map(usd)
                                ).rename(columns={
        "vendor": "Vendor", "mean_usd": f"Expected spend ({cur} NPV)",
        "cvar95_contribution_usd": f"In the worst 5% ({cur} NPV)",
        "cvar95_share": "Share of CVaR95"}), hide_index=True, key="portfolio_vendors")
    c1, c2 = st.columns(2)
    c1.download_button("Workbook (.xlsx)", workbook(result), file_name="portfolio.xlsx",
                       key="portfolio_xlsx")
    c2.download_button("Slide deck (.pptx)", deck(result), file_name="portfolio.pptx",
                       key="portfolio_deck")
    decided = portfolio_decide(text, paths, seed)
    if decided is not None:  # the deck above has no Decide slides until the optimiser has run
        st.download_button(DECIDED_DECK_LABEL, deck(result, decided),
                           file_name="portfolio-decided.pptx", key="portfolio_deck_decided")
