"""The portfolio's slide deck, laid out as the scenario deck is (``tco.slides``): the NPV and its
tail, the cumulative cost fan, the cost per workload on both bases and the vendors' shares of the
tail, with the page's headings, units and money format.

It sits with the exports (``tco.slides``, ``tco.figures.pptx``), above ``tco.portfolio``'s
arithmetic, whose tables it only formats.
"""

from __future__ import annotations

import io

from pptx.util import Inches

import tco.slides as slides
from tco.figures.data import portfolio_fan
from tco.figures.decide import portfolio_frontier
from tco.figures.pptx import add_chart
from tco.format import pct, plural, usd
from tco.glossary import describe
from tco.optimise.decide import risk_label
from tco.optimise.portfolio import PortfolioDecision
from tco.portfolio.outputs import HEADERS, SUMMARY_LABELS
from tco.portfolio.result import PortfolioResult

TABLE_PT, NOTE_PT = 14, 12


def deck(result: PortfolioResult, decision: PortfolioDecision | None = None) -> bytes:
    """The main part: title, NPV and tail, cost per workload, vendor shares and, given the
    optimiser's ``decision``, the decision; then a marked backup: the cumulative cost fan, the
    decision's frontier and a glossary of the deck's measures."""
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
    rows = [["Measure", "NPV ($)"], *([SUMMARY_LABELS[k], usd(v)] for k, v in summary.items())]
    _, bottom = slides.table(page, rows, slides.BODY_TOP_IN, (3.0, 1.0), TABLE_PT)
    slides.text(page, "Present values of total cost. The pooling saving is what sharing fleets and "
                "commitments saves against each workload running alone. A negative commitment "
                "figure is a saving: the discounted bills came to less than the list usage they "
                "replace.", bottom + 0.15, NOTE_PT, colour=slides.MUTED)

    money = ["standalone_usd", "usage_basis_usd", "allocation_basis_usd"]
    table = result.workload_table()
    page = slides.slide(prs, "Cost per workload on the usage and allocation bases")
    rows = [[HEADERS[c] for c in ("workload", "strategy", *money)],
            *([str(r.workload), str(r.strategy) if isinstance(r.strategy, str) else "",
               *(usd(getattr(r, c)) for c in money)] for r in table.itertuples())]
    _, bottom = slides.table(page, rows, slides.BODY_TOP_IN, (2.6, 1.6, 1.4, 1.4, 1.5), TABLE_PT)
    slides.text(page, "Usage basis: pooled fleets and commitments shared by use. Allocation basis: "
                "use at the pool's unit cost and discounted usage, with idle capacity and unused "
                "commitment on their own line. Both add up to the expected total.", bottom + 0.15,
                NOTE_PT, colour=slides.MUTED)

    vendors = result.vendor_table()
    page = slides.slide(prs, "Vendor concentration: each vendor's share of the tail (CVaR95)")
    rows = [[HEADERS[c] for c in ("vendor", "mean_usd", "cvar95_contribution_usd", "cvar95_share")],
            *([str(r.vendor), usd(r.mean_usd), usd(r.cvar95_contribution_usd), pct(r.cvar95_share, 1)]
              for r in vendors.itertuples())]
    _, bottom = slides.table(page, rows, slides.BODY_TOP_IN, (2.6, 1.6, 1.6, 1.2), TABLE_PT)
    slides.text(page, "CVaR95: the mean NPV of the worst 5% of futures. Each vendor's share is its "
                "Euler contribution: its mean spend on those paths, so the shares add up to 100%.",
                bottom + 0.15, NOTE_PT, colour=slides.MUTED)
    if decision is not None:
        add_decision_slide(prs, decision)
    slides.backup_divider(prs, "The cumulative cost fan" + (", the frontier the decision was chosen "
                          "from" if decision is not None else "") + " and a glossary.")
    page = slides.slide(prs, slides.backup_title("Cumulative cost by month: median, P5 and P95"))
    spec = portfolio_fan(result)
    add_chart(page, spec, slides.MARGIN, Inches(slides.BODY_TOP_IN), slides.CONTENT_W, Inches(5.0), 14)
    slides.text(page, "Solid: median. Dashed: P5 and P95 of the simulated paths.", 6.45, NOTE_PT,
                colour=slides.MUTED)

    if decision is not None:
        add_frontier_slide(prs, decision)
    _glossary(prs, pf.currency)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


DECIDE_TITLE = "Decide: the mix per workload, reserved GPUs and tiers"
DECIDE_PT = 12


def contract_lines(decision: PortfolioDecision) -> list[str]:
    """The reserved GPUs per GPU type and the commitment tier per vendor, chosen against filed:
    the choices' own sentences (``ReservedChoice.sentences``, ``TierChoice.sentences``)."""
    reserved, tiers = decision.reserved, decision.tiers
    out = (["Reserved GPUs: no pooled fleet has a reservation offer or contract, so there is no "
            "count to size."] if reserved is None else reserved.sentences())
    return out + (["Commitments: the portfolio has no committed-spend contract to choose."]
                  if tiers is None else tiers.sentences())


def figure_rows(decision: PortfolioDecision) -> list[list[str]]:
    """``PortfolioDecision.simulated`` as table rows: expected NPV, CVaR95 and P95."""
    # Headed as every money table is ('Expected NPV ($)', the glossary's text): the amounts are
    # written by ``usd``, with a dollar sign, so '(USD)' beside them read as a second format.
    return [["Simulated as a portfolio", *(describe(c).text for c in ("mean", "cvar95", "p95"))],
            *([label, usd(c.mean_usd), usd(c.cvar95_usd), usd(c.p95_usd)]
              for label, c in decision.simulated())]


def add_decision_slide(prs, decision: PortfolioDecision) -> None:
    """The decision: mix per workload, reserved GPUs, tiers, as filed against decided on the same
    and on new futures."""
    pf = decision.portfolio
    page = slides.slide(prs, DECIDE_TITLE)
    rows = [["Workload", "Strategy in force", "Chosen mix"],
            *([w, pf.strategy[w], text] for w, text in decision.chosen.cards.items())]
    _, bottom = slides.table(page, rows, slides.BODY_TOP_IN, (1.5, 1.3, 5.4), DECIDE_PT)
    top = bottom + 0.25
    left_w = 6.6
    _, figures_bottom = slides.table(page, figure_rows(decision), top, (2.6, 1.1, 1.0, 1.0),
                                     DECIDE_PT, width_in=left_w)
    lines_bottom = slides.bullets(page, "", contract_lines(decision), top - 0.1, point_pt=DECIDE_PT,
                                  width_in=slides.CONTENT_W_IN - left_w - 0.3,
                                  left_in=slides.MARGIN_IN + left_w + 0.3)
    budget = ("No risk budget: the cheapest decision." if decision.metric == "none" else
              f"Budget: {risk_label(decision.metric)} at most "
              f"{usd(decision.budget_usd)}.")
    slides.text(page, f"{budget} Mixes first, then reserved GPUs on them, then tiers on "
                "both; every figure simulates the whole portfolio (pooled fleets, commitments). "
                "A decision tuned to one set of futures looks better on them than it will be: the "
                "new futures are the figures to expect.", max(figures_bottom, lines_bottom) + 0.15,
                NOTE_PT, colour=slides.MUTED)


def add_frontier_slide(prs, decision: PortfolioDecision) -> None:
    """The frontier the decision was chosen from, in the backup."""
    page = slides.slide(prs, slides.backup_title("Decide: expected NPV against CVaR95, per set of mixes"))
    add_chart(page, portfolio_frontier(decision), slides.MARGIN, Inches(slides.BODY_TOP_IN),
              slides.CONTENT_W, Inches(5.0), 14)
    slides.text(page, f"The line: the sets of mixes no other beats on both counts once simulated "
                f"as a portfolio ({plural(len(decision.efficient), 'point')}). Marked: the portfolio "
                "as filed; the chosen mixes at the file's reserved GPUs and tiers; the whole "
                "decision, with the chosen ones.", 6.45, NOTE_PT, colour=slides.MUTED)


GLOSSARY_COLUMNS = ("mean", "p5", "p95", "cvar95", "alone_npv_usd", "usage_basis_npv_usd",
                    "allocation_basis_npv_usd", "cvar95_contribution_npv_usd", "cvar95_share")
"""The measures the portfolio deck shows, explained in its glossary with the glossary's words."""


def glossary_rows(currency: str) -> list[list[str]]:
    """The portfolio deck's terms: each measure's label and help from ``tco.glossary``, then the
    words the slides use beside them."""
    return [["Term", "What it means"],
            *([describe(c).label, describe(c).help] for c in GLOSSARY_COLUMNS),
            ["NPV", f"Net present value in {currency}: each month's cost discounted to today at the "
                    "portfolio's rate."],
            ["Pooling saving", "What sharing fleets and commitments saves against each workload "
                               "running alone."],
            ["Usage and allocation bases", "Two ways to split the pooled cost over workloads: by "
                                           "use, or at the pool's unit cost with idle capacity and "
                                           "unused commitment on their own line."],
            ["Commitment tier", "A vendor's committed monthly spend for a discount, owed whether "
                                "used or not."]]


def _glossary(prs, currency: str) -> None:
    page = slides.slide(prs, slides.backup_title("glossary"))
    slides.table(page, glossary_rows(currency), slides.BODY_TOP_IN, (2.4, 9.7), TABLE_PT)
