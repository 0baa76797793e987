"""The deck's Decide slide: the efficient frontier, the chosen mix in words with its in-sample
and fresh-seed figures, and what information is worth to the choice."""

from __future__ import annotations

from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from tco.errors import ScenarioError
from tco.figures.decide import frontier
from tco.figures.pptx import add_chart
from tco.format import usd
from tco.load import Loaded
from tco.optimise.decide import Decision, flat_reason, optimise
from tco.optimise.information import value_of_information
from tco.simulate import SimulationResult
from tco.slides import TITLE_COLOUR

TITLE = "Decide: the cheapest mix within a risk budget"
CHART_W_IN, TEXT_W_IN = 7.6, 4.3
TEXT_PT, TITLE_PT = 13, 26
MUTED = RGBColor(0x59, 0x59, 0x59)


def decide(sc: Loaded, result: SimulationResult) -> Decision | None:
    """The optimiser on the run's paths and seed with no budget; None when the scenario's
    constraints leave nothing to decide (the deck then goes without the slide)."""
    try:
        return optimise(sc, result.paths, result.seed)
    except ScenarioError:
        return None


def lines(decision: Decision, result: SimulationResult) -> list[str]:
    """The slide's words: the mix, its figures on both seeds, and the worth of information."""
    chosen = decision.chosen
    info = value_of_information(result)
    reason = flat_reason(decision.frontier)
    return [
        f"Chosen mix: {chosen.card}.",
        f"On these {decision.paths:,} futures (seed {decision.seed}): expected NPV "
        f"{usd(chosen.exact.mean_usd)}, CVaR95 {usd(chosen.exact.cvar95_usd)}.",
        f"On new futures (seed {decision.fresh_seed}): expected NPV {usd(decision.fresh.mean_usd)}, "
        f"CVaR95 {usd(decision.fresh.cvar95_usd)}; a mix tuned to one set of futures looks "
        "better on them than it will be.",
        *decision.same_mix_notes(short=True),
        *([f"No mix trades cost for tail risk here. {reason}"] if reason is not None else []),
        *info.sentence(1 if reason is not None else 2),
    ]


def add_decide_slide(prs, sc: Loaded, result: SimulationResult, slide_w: Emu, margin: Emu) -> None:
    """Append the Decide slide, or nothing when there is no decision to show."""
    decision = decide(sc, result)
    if decision is None:
        return
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    title = slide.shapes.title
    title.left, title.top = margin, Inches(0.25)
    title.width, title.height = slide_w - 2 * margin, Inches(0.95)
    title.text = TITLE
    for run in title.text_frame.paragraphs[0].runs:
        run.font.size, run.font.bold = Pt(TITLE_PT), True
        run.font.color.rgb = TITLE_COLOUR  # the deck's other titles' colour (it was the theme's black)
    add_chart(slide, frontier(decision), margin, Inches(1.3), Inches(CHART_W_IN), Inches(5.6), 11)
    box = slide.shapes.add_textbox(margin + Inches(CHART_W_IN + 0.2), Inches(1.3), Inches(TEXT_W_IN),
                                   Inches(5.6))
    frame = box.text_frame
    frame.word_wrap = True
    for i, text in enumerate(lines(decision, result)):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = text
        para.space_after = Pt(8)
        for run in para.runs:
            run.font.size = Pt(TEXT_PT)
            if i >= 3:
                run.font.color.rgb = MUTED
