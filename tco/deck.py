"""An editable 16:9 PowerPoint deck with native charts (python-pptx), built as bytes.

The charts are the page's figure specs (``tco.figures.data``) drawn by the python-pptx renderer,
so the deck and the page show the same numbers in the same colours under the same labels.
"""

from __future__ import annotations

import datetime as dt
import io
import math

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

import tco.calendar as calendar
import tco.capacity as capacity
import tco.prices as prices
from tco.export import fiscal_years, provenance
from tco.figures import data, stories
from tco.figures.pptx import add_chart, caption
from tco.figures.spec import FigureSpec
from tco.format import pct, usd
from tco.glossary import describe
from tco.load import Loaded as Scenario
from tco.model import evaluate
from tco.optimise.slide import add_decide_slide
from tco.report import assumptions
from tco.sensitivity import tornado
from tco.simulate import SimulationResult
from tco.story import bullets, checks, recommendation, strategy_card, stress_story
from tco.stress import stress

SLIDE_W, SLIDE_H = Emu(12_192_000), Emu(6_858_000)  # 13.333 x 7.5 in, PowerPoint's 16:9
MARGIN = Inches(0.6)
CONTENT_W = SLIDE_W - 2 * MARGIN
TITLE_COLOUR = RGBColor(0x1F, 0x2A, 0x44)
MUTED = RGBColor(0x59, 0x59, 0x59)
TITLE_PT, CHART_PT, CAPTION_PT = 26, 12, 12
TORNADO_ROWS = 10

APPENDIX_PT = 10
APPENDIX_TOP_IN, APPENDIX_BOTTOM_IN = 1.25, 7.2
APPENDIX_WIDTHS_IN = (4.1, 1.9, 1.5, 3.7, 0.93)
"""Input (label over path), value, unit, source, as of: sums to the 12.13 in between margins."""
CHARS_PER_IN = 13.5
"""Characters of 10 pt text per inch of cell: measured on LibreOffice's DejaVu Sans, wider than
PowerPoint's Calibri, so a row is never shorter than its wrapped text."""
LINE_IN, CELL_PAD_IN = APPENDIX_PT * 1.2 / 72, 0.08
COMPARISON = ("deterministic_npv", "mean", "p95", "cvar95", "p_cheapest", "expected_regret",
              "lock_in_premium")


def _slide(prs: Presentation, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
    shape = slide.shapes.title
    # The default template is 4:3; move the title box to the 16:9 width.
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.25), CONTENT_W, Inches(0.95)
    shape.text = title
    shape.text_frame.word_wrap = True
    _font(shape.text_frame.paragraphs, TITLE_PT, bold=True, colour=TITLE_COLOUR)
    return slide


def _text(slide, text: str, top: Emu, height: Emu, size: int = 18, colour: RGBColor | None = None
          ) -> None:
    box = slide.shapes.add_textbox(MARGIN, top, CONTENT_W, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.text = line
    _font(frame.paragraphs, size, colour=colour)


def _font(paragraphs, size: int, bold: bool = False, colour: RGBColor | None = None) -> None:
    """Set type on the runs themselves: PowerPoint does not always apply a paragraph's defaults."""
    for para in paragraphs:
        for run in para.runs:
            run.font.size, run.font.bold = Pt(size), bold
            if colour is not None:
                run.font.color.rgb = colour


def _table(slide, rows: list[list[str]], top: Emu, widths_in: tuple[float, ...], size: int,
           heights_in: list[float] | None = None):
    heights_in = heights_in or [0.4] * len(rows)
    shape = slide.shapes.add_table(len(rows), len(rows[0]), MARGIN, top, CONTENT_W,
                                   Inches(sum(heights_in)))
    table = shape.table
    total = sum(widths_in)
    for j, w in enumerate(widths_in):
        table.columns[j].width = int(CONTENT_W * w / total)
    for i, row in enumerate(rows):
        table.rows[i].height = Inches(heights_in[i])
        for j, value in enumerate(row):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(0.05)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.text = value
            _font(cell.text_frame.paragraphs, size, bold=i == 0)
    return table


def _chart_slide(prs: Presentation, spec: FigureSpec) -> None:
    slide = _slide(prs, spec.title)
    note = caption(spec)
    height = Inches(5.35 if note else 5.85)
    add_chart(slide, spec, MARGIN, Inches(1.3), CONTENT_W, height, CHART_PT)
    if note:
        _text(slide, note, Inches(1.3) + height + Inches(0.05), Inches(0.45), CAPTION_PT, MUTED)


def _lines(text: str, width_in: float) -> int:
    """Wrapped lines of ``text`` in a cell ``width_in`` wide at the appendix font size."""
    per_line = max(1, int((width_in - 0.1) * CHARS_PER_IN))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def _appendix_rows(sc: Scenario, frame: pd.DataFrame) -> list[tuple[list[str], float]]:
    """Each input as cells (label over its path, value, unit, full source, as of) and its height."""
    out = []
    for r in frame.itertuples():
        cells = [f"{r.label}\n{r.input}", r.value, describe(r.input, sc).unit, r.source, r.as_of]
        lines = max(_lines(c, w) for c, w in zip(cells, APPENDIX_WIDTHS_IN, strict=True))
        out.append((cells, lines * LINE_IN + CELL_PAD_IN))
    return out


def _pages(rows: list[tuple[list[str], float]], header_in: float) -> list[list[tuple[list[str], float]]]:
    """Fill each appendix slide with as many whole rows as fit below its header."""
    room = APPENDIX_BOTTOM_IN - APPENDIX_TOP_IN - header_in
    pages: list[list] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row[1] > room:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row[1]
    return pages


def _appendix(prs: Presentation, sc: Scenario) -> None:
    header = ["Input (path below)", "Value", "Unit", "Source", "As of"]
    header_in = LINE_IN + CELL_PAD_IN
    pages = _pages(_appendix_rows(sc, assumptions(sc)), header_in)
    for page, chunk in enumerate(pages):
        slide = _slide(prs, f"Appendix: assumptions ({page + 1}/{len(pages)})")
        table = _table(slide, [header, *(cells for cells, _ in chunk)], Inches(APPENDIX_TOP_IN),
                       APPENDIX_WIDTHS_IN, APPENDIX_PT, [header_in, *(h for _, h in chunk)])
        for i in range(1, len(chunk) + 1):
            # The path is the secondary line under the label: same size, muted.
            _font(table.cell(i, 0).text_frame.paragraphs[-1:], APPENDIX_PT, colour=MUTED)


def _title_slide(prs: Presentation, sc: Scenario, result: SimulationResult) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, Inches(1.6), CONTENT_W, Inches(2.0)
    title.text = sc.name
    _font(title.text_frame.paragraphs, 40, colour=TITLE_COLOUR)
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top = MARGIN, Inches(4.0)
    subtitle.width, subtitle.height = CONTENT_W, Inches(1.8)
    subtitle.text = (f"Total cost of ownership and lock-in risk over {sc.horizon_months} months\n"
                     f"{result.paths:,} simulated paths, seed {result.seed}; API prices as of "
                     f"{prices.snapshot_as_of()}")
    _font(subtitle.text_frame.paragraphs, 22)  # the template's 32 pt broke each line in two


def _comparison(prs: Presentation, sc: Scenario, result: SimulationResult) -> None:
    table = result.summary()
    info = provenance(result)
    slide = _slide(prs, "Strategy comparison")
    header = ["Strategy", *(describe(c).label for c in COMPARISON)]
    body = [[name, *(pct(r[c]) if c == "p_cheapest" else usd(r[c]) for c in COMPARISON)]
            for name, r in table.iterrows()]
    # Widths fit the longest header word ('Deterministic') in 14 pt bold without breaking it.
    _table(slide, [header, *body], Inches(1.4), (1.6, 1.75, 1.4, 1.3, 1.3, 1.55, 1.5, 1.5), 14,
           [0.8] + [0.45] * len(body))
    _text(slide, "All values are NPV of total cost in $; P(cheapest) is the share of simulated "
          f"futures in which the strategy costs least. NPV at "
          f"{pct(result.resolved.params['discount_rate_per_year'].nominal, 1)} a year over "
          f"{sc.horizon_months} months in {sc.currency}. Scenario SHA-256 "
          f"{info['scenario_sha256'][:16]}..., tco {info['tco_version']}, genai-prices "
          f"{info['genai_prices_version']}.", Inches(5.6), Inches(1.2), 12, MUTED)


def figure_specs(sc: Scenario, result: SimulationResult) -> list[FigureSpec]:
    """The page's figures the deck shows, in slide order: a tornado for every strategy."""
    ev = evaluate(sc)
    best = result.summary()["mean"].idxmin()
    specs = [data.npv_summary(result), data.fan_chart(result),
             data.cost_lines(result.mean_lines(), best, " (mean of simulated paths)", sc)]
    if len(ev.break_even):
        specs.append(data.break_even(sc, ev))
    if sc.risks:
        specs.append(data.events(result))
    if result.weights_age:
        specs.append(stories.weights_age(result))
    if result.fine_tune_runs.any() or result.upgrades.any():
        specs.append(stories.fine_tuning(result))
    swings = tornado(sc)
    specs += [data.tornado(swings, name, TORNADO_ROWS, scenario=sc) for name in sc.strategies]
    return specs


def _bullets(slide, lead: str, points: list[str], top: Emu) -> None:
    """A lead sentence in bold, then one paragraph per point with a bullet."""
    box = slide.shapes.add_textbox(MARGIN, top, CONTENT_W, SLIDE_H - top - Inches(0.4))
    frame = box.text_frame
    frame.word_wrap = True
    frame.paragraphs[0].text = lead
    _font(frame.paragraphs[:1], 22, bold=True, colour=TITLE_COLOUR)
    for point in points:
        para = frame.add_paragraph()
        para.text = f"\u2022  {point}"
        para.space_before = Pt(14)
        _font([para], 18)


def _summary(prs: Presentation, result: SimulationResult) -> None:
    slide = _slide(prs, "Executive summary")
    _bullets(slide, recommendation(result), bullets(result), Inches(1.35))


def _cards(prs: Presentation, sc: Scenario) -> None:
    slide = _slide(prs, "The strategies compared")
    rows = [["Strategy", "What it is"], *([name, strategy_card(sc, name)] for name in sc.strategies)]
    _table(slide, rows, Inches(1.4), (2.2, 9.9), 14, [0.45] + [0.75] * len(sc.strategies))


def _stresses(prs: Presentation, sc: Scenario) -> None:
    """The scenario's named stresses: what happens, and each strategy's NPV impact."""
    if not sc.stresses:
        return
    slide = _slide(prs, "Stress tests: one forced event each (deterministic)")
    names = list(sc.strategies)
    rows = [["Stress", "What happens", *(f"{n}: NPV impact" for n in names)]]
    for s in sc.stresses:
        frame = stress(sc, s.kind, s.on, s.month)
        impacts = dict(zip(frame["strategy"], frame["impact_usd"], strict=True))
        rows.append([s.name, stress_story(sc, frame, s.kind, s.on, s.month),
                     *(f"{usd(impacts[n])} ({pct(impacts[n] / b, 0)})" if b else usd(impacts[n])
                       for n, b in zip(names, frame["base_npv_usd"], strict=True))])
    widths = (2.4, 4.3, *([5.4 / len(names)] * len(names)))
    _table(slide, rows, Inches(1.4), widths, 12, [0.6] + [1.1] * len(sc.stresses))


def _checks(prs: Presentation, result: SimulationResult) -> None:
    slide = _slide(prs, "Before relying on these numbers")
    _bullets(slide, "Warnings and assumptions to check", checks(result), Inches(1.35))


def _capacity(prs: Presentation, sc: Scenario) -> None:
    """How each self-hosted option's replica was sized, and why (the capacity model's plan)."""
    plans = sc.inputs.plans
    if not plans:
        return
    slide = _slide(prs, "Self-hosted capacity: the replica chosen and why")
    header = ["Option", "Replica", "Layout", "Batch (bound by)", "Output tokens/s per GPU"]
    body = [[name, f"{p.gpus} x {p.gpu} ({p.precision})", capacity.LAYOUT_NAMES[p.layout],
             f"{p.max_batch:,} ({p.batch_bound})", f"{p.output_tokens_per_s_per_gpu:,.0f}"]
            for name, p in plans.items()]
    _table(slide, [header, *body], Inches(1.3), (1.6, 2.2, 2.6, 2.4, 1.6), 13,
           [0.45] + [0.55] * len(body))
    _bullets(slide, "Why:", [f"{name}: {capacity.why(p)}" for name, p in plans.items()],
             Inches(1.5 + 0.45 + 0.55 * len(body)))


def _fiscal_years(prs: Presentation, sc: Scenario, result: SimulationResult) -> None:
    """Expected cost per strategy and fiscal year, undiscounted: what a budget line reads."""
    frame = fiscal_years(result)
    table = frame.pivot_table(index="strategy", columns="fiscal_year", values="mean_usd",
                              aggfunc="sum", sort=False)
    years = list(table.columns)
    slide = _slide(prs, "Expected cost by fiscal year (undiscounted)")
    header = ["Strategy", *years, "Total"]
    body = [[name, *(usd(table.loc[name, y]) for y in years), usd(table.loc[name].sum())]
            for name in result.strategies]
    width = min(1.6, 10.6 / (len(years) + 1))
    _table(slide, [header, *body], Inches(1.4), (2.2, *([width] * (len(years) + 1))), 14,
           [0.5] + [0.45] * len(body))
    first, last = frame["fiscal_year"].iloc[0], frame["fiscal_year"].iloc[-1]
    opens = dt.date(2000, sc.scenario.fiscal_year_start_month, 1).strftime("%B")
    _text(slide, f"Mean over {result.paths:,} simulated futures of the cash cost in each fiscal "
          f"year (fiscal years open in {opens} and are named by the year they end in; {first} and "
          f"{last} may be partial: the horizon starts "
          f"{calendar.readable(result.resolved.start, 0)}). Not discounted, unlike the NPVs; "
          "bought GPUs count in the year they are paid for.",
          Inches(1.5 + 0.5 * (len(body) + 1)), Inches(1.0), 12, MUTED)


def _notes(prs: Presentation, result: SimulationResult) -> None:
    """Speaker notes on every slide: where its numbers come from."""
    info = provenance(result)
    text = (f"Scenario '{info['scenario']}' (SHA-256 {info['scenario_sha256']}); {info['paths']:,} "
            f"{info['sampling']} paths, seed {info['seed']}; tco {info['tco_version']}; API prices "
            f"from genai-prices {info['genai_prices_version']} as of {info['api_prices_as_of']}; GPU "
            f"catalog as of {info['gpu_catalog_as_of']}, model catalog as of "
            f"{info['model_catalog_as_of']}. NPV discounts month t by (1 + r)^-((t + 1) / 12). Every "
            "input, its source and as-of date are in the appendix.")
    for slide in prs.slides:
        slide.notes_slide.notes_text_frame.text = text


def build_deck(sc: Scenario, result: SimulationResult) -> bytes:
    """Title, executive summary, strategies, the page's charts, stress tests, checks, strategy
    comparison and the assumptions appendix; speaker notes carry the provenance."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_W, SLIDE_H
    _title_slide(prs, sc, result)
    _summary(prs, result)
    _cards(prs, sc)
    for spec in figure_specs(sc, result):
        _chart_slide(prs, spec)
    _stresses(prs, sc)
    _capacity(prs, sc)
    _comparison(prs, sc, result)
    add_decide_slide(prs, sc, result, SLIDE_W, MARGIN)  # skipped when there is nothing to decide
    _fiscal_years(prs, sc, result)
    _checks(prs, result)
    _appendix(prs, sc)
    _notes(prs, result)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
