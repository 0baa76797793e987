"""The portfolio's slide deck, laid out as the scenario deck is (``tco.slides``): the NPV and its
tail, the cumulative cost fan, the cost per workload on both bases and the vendors' shares of the
tail, with the page's headings, units and money format.

It sits with the exports (``tco.slides``, ``tco.figures.pptx``), above ``tco.portfolio``'s
arithmetic, whose tables it only formats.
"""

from __future__ import annotations

import io

import pandas as pd
from pptx.util import Inches

import tco.slides as slides
from tco.figures.pptx import add_chart
from tco.figures.spec import ROLES, Axis, FigureSpec, Style
from tco.format import pct, plural, usd
from tco.portfolio.outputs import SUMMARY_LABELS
from tco.portfolio.result import PortfolioResult

TABLE_PT, NOTE_PT = 14, 12
PORTFOLIO = "Portfolio"
"""The fan chart's one series: the whole portfolio, drawn in the neutral dark of the page's
deterministic marks (it is no strategy, so it takes no strategy's colour)."""


def deck(result: PortfolioResult) -> bytes:
    """Five slides: title, NPV and tail, cumulative cost, cost per workload, vendor shares."""
    pf = result.portfolio
    cur = pf.currency
    prs = slides.new_deck()
    page = prs.slides.add_slide(prs.slide_layouts[0])
    title, subtitle = page.shapes.title, page.placeholders[1]
    title.left, title.top = slides.MARGIN, Inches(1.6)
    title.width, title.height = slides.CONTENT_W, Inches(2.0)
    title.text = pf.name
    slides.font(title.text_frame.paragraphs, 40, colour=slides.TITLE_COLOUR)
    subtitle.left, subtitle.top = slides.MARGIN, Inches(4.0)
    subtitle.width, subtitle.height = slides.CONTENT_W, Inches(1.8)
    subtitle.text = (f"{plural(len(result.workloads), 'workload')} sharing options, risks and "
                     f"commitments over {pf.horizon_months} months\n{result.paths:,} simulated "
                     f"futures, seed {result.seed}; NPV in {cur}")
    slides.font(subtitle.text_frame.paragraphs, 22)

    summary = result.summary()
    page = slides.slide(prs, f"Portfolio NPV over {pf.horizon_months} months: expected and the tail")
    rows = [["Measure", f"NPV ({cur})"], *([SUMMARY_LABELS[k], usd(v)] for k, v in summary.items())]
    _, bottom = slides.table(page, rows, slides.BODY_TOP_IN, (3.0, 1.0), TABLE_PT)
    slides.text(page, "Present values of total cost. The pooling saving is what sharing fleets and "
                "commitments saves against each workload running alone. A negative commitment "
                "figure is a saving: the discounted bills came to less than the list usage they "
                "replace.", bottom + 0.15, NOTE_PT, colour=slides.MUTED)

    page = slides.slide(prs, "Cumulative cost by month: median, P5 and P95")
    fan = result.fan()
    frame = pd.DataFrame({"series": PORTFOLIO, "x": fan["month"], "y": fan["p50_cumulative_usd"],
                          "low": fan["p5_cumulative_usd"], "high": fan["p95_cumulative_usd"],
                          "inner_low": fan["p25_cumulative_usd"], "inner_high": fan["p75_cumulative_usd"]})
    spec = FigureSpec("portfolio_fan", "fan", "Cumulative cost", Axis("Month", "month"),
                      Axis(f"Cumulative cost, undiscounted ({cur})", "usd"), frame,
                      {PORTFOLIO: Style(ROLES["deterministic"])})
    add_chart(page, spec, slides.MARGIN, Inches(slides.BODY_TOP_IN), slides.CONTENT_W, Inches(5.0), 14)
    slides.text(page, "Solid: median. Dashed: P5 and P95 of the simulated paths.", 6.45, NOTE_PT,
                colour=slides.MUTED)

    money = ["standalone_usd", "usage_basis_usd", "allocation_basis_usd"]
    table = result.workload_table()
    page = slides.slide(prs, "Cost per workload on the usage and allocation bases")
    rows = [["Workload", "Strategy in force", f"Alone (NPV {cur})", f"Usage basis (NPV {cur})",
             f"Allocation basis (NPV {cur})"],
            *([str(r.workload), str(r.strategy) if isinstance(r.strategy, str) else "",
               *(usd(getattr(r, c)) for c in money)] for r in table.itertuples())]
    _, bottom = slides.table(page, rows, slides.BODY_TOP_IN, (2.6, 1.6, 1.4, 1.4, 1.5), TABLE_PT)
    slides.text(page, "Usage basis: pooled fleets and commitments shared by use. Allocation basis: "
                "use at the pool's unit cost and discounted usage, with idle capacity and unused "
                "commitment on their own line. Both add up to the expected total.", bottom + 0.15,
                NOTE_PT, colour=slides.MUTED)

    vendors = result.vendor_table()
    page = slides.slide(prs, "Vendor concentration: each vendor's share of the tail (CVaR95)")
    rows = [["Vendor", f"Expected spend (NPV {cur})", f"In the worst 5% (NPV {cur})", "Share of CVaR95"],
            *([str(r.vendor), usd(r.mean_usd), usd(r.cvar95_contribution_usd), pct(r.cvar95_share, 1)]
              for r in vendors.itertuples())]
    _, bottom = slides.table(page, rows, slides.BODY_TOP_IN, (2.6, 1.6, 1.6, 1.2), TABLE_PT)
    slides.text(page, "CVaR95: the mean NPV of the worst 5% of futures. Each vendor's share is its "
                "Euler contribution: its mean spend on those paths, so the shares add up to 100%.",
                bottom + 0.15, NOTE_PT, colour=slides.MUTED)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
