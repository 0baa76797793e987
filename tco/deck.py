"""The board pack: an editable 16:9 PowerPoint deck with native charts (python-pptx), built as bytes.

The main part is what a board reads, at most ten slides: the decision and the ask, the bridge from
the nominal to the expected cost, NPV with its tail, cash by fiscal year, what moves the answer,
the stresses with their reasons, what would change our mind, and the hedge when one was
optimised. Everything else (every chart of the page, the strategies, capacity, the checks, the
assumptions and a glossary) follows a "Backup" divider. The charts are the page's figure specs
(``tco.figures.data``) drawn by the python-pptx renderer; layout is ``tco.slides``'.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd
from pptx.util import Inches

import tco.calendar as calendar
import tco.capacity as capacity
import tco.narrative as narrative
import tco.prices as prices
import tco.slides as slides
import tco.tax as tax
import tco.triggers as triggers
from tco.distributions import nominal
from tco.export import edits, fiscal_years, provenance
from tco.figures import capacity as capacity_figures
from tco.figures import data, stories
from tco.figures.pptx import add_chart, caption, deck_title
from tco.figures.spec import FigureSpec
from tco.format import capitalised, pct, plural, signed_pct, signed_usd, usd
from tco.glossary import as_percent, describe
from tco.load import Loaded as Scenario
from tco.model import evaluate
from tco.optimise.slide import add_decide_slide
from tco.options.table import DEFAULT_SOURCE
from tco.report import assumptions, price_basis
from tco.sensitivity import tornado
from tco.simulate import SimulationResult
from tco.slides import BODY_TOP_IN, BOTTOM_IN, MUTED, backup_title
from tco.story import bullets, checks, recommendation, strategy_card, stress_story
from tco.stress import stress

MAIN_SLIDES_MAX = 10
CHART_PT, CAPTION_PT, TABLE_PT, APPENDIX_PT = 12, 12, 13, 10
APPENDIX_WEIGHTS = (2.7, 1.9, 1.3, 5.3, 1.03)
"""The appendix's column widths (input, value, unit, source, as of): sources run to 450 characters,
the others to 40 or less, so the source column takes the most room."""
TORNADO_ROWS = 10
COMPARISON = ("deterministic_npv", "mean", "p95", "cvar95", "p_cheapest", "expected_regret",
              "lock_in_premium")
GLOSSARY_TERMS = ("deterministic_npv", "mean", "p5", "p95", "cvar95", "p_cheapest", "expected_regret",
                  "lock_in_premium")
MODIFIED = "Modified from the shipped scenario"
SHORT_YEAR_MONTHS = 3
"""A fiscal year with fewer months than this at either end of the horizon gets a note."""


@dataclass(frozen=True)
class Hedge:
    """The Decide tab's optimised mix, for its slide in the main part: a lead sentence and rows."""

    lead: str
    points: tuple[str, ...]


def _chart_slide(prs, spec: FigureSpec, title: str | None = None) -> None:
    page = slides.slide(prs, title or deck_title(spec))
    note = caption(spec)
    note_in = slides.text_height_in(note, slides.CONTENT_W_IN - 0.2, CAPTION_PT) + 0.15 if note else 0
    height_in = BOTTOM_IN - BODY_TOP_IN - note_in
    add_chart(page, spec, slides.MARGIN, Inches(BODY_TOP_IN), slides.CONTENT_W, Inches(height_in),
              CHART_PT)
    if note:
        slides.text(page, note, BODY_TOP_IN + height_in + 0.05, CAPTION_PT, MUTED)


def _title_slide(prs, sc: Scenario, result: SimulationResult) -> None:
    page = prs.slides.add_slide(prs.slide_layouts[0])
    title = page.shapes.title
    title.left, title.top = slides.MARGIN, Inches(1.6)
    title.width, title.height = slides.CONTENT_W, Inches(2.0)
    title.text = sc.name
    slides.font(title.text_frame.paragraphs, 40, colour=slides.TITLE_COLOUR)
    subtitle = page.placeholders[1]
    subtitle.left, subtitle.top = slides.MARGIN, Inches(4.0)
    subtitle.width, subtitle.height = slides.CONTENT_W, Inches(1.8)
    lines = [f"Total cost of ownership and lock-in risk over {sc.horizon_months} months",
             f"{result.paths:,} simulated futures, seed {result.seed}; API prices as of "
             f"{prices.snapshot_as_of()}"]
    changed = edits(sc)
    if changed:
        lines.append(f"{MODIFIED}: {len(changed)} input(s) edited on the page")
    subtitle.text = "\n".join(lines)
    slides.font(subtitle.text_frame.paragraphs, 22)  # the template's 32 pt broke each line in two


def _decision(prs, sc: Scenario, result: SimulationResult, pair: tuple[str, str] | None) -> None:
    table = result.summary()
    best = str(table["mean"].idxmin())
    page = slides.slide(prs, f"Decision: {best}")
    points = bullets(result)[:3]
    row = table.loc[best]
    # The tail figure is named before its definition, so it cannot be read as the expected one's.
    ask = (f"The ask: approve {best} for {sc.horizon_months} months: an expected "
           f"{usd(row['mean'])} in present value, and {usd(row['cvar95'])} in the bad tail "
           f"({narrative.tail_words(sc.horizon_months)})")
    ask += (f"; revisit if a trigger on 'What would change our mind' fires ({pair[1]} is the "
            "fallback choice)." if pair else ".")
    points.append(ask)
    changed = edits(sc)
    if changed:
        points.append(f"{MODIFIED}: " + "; ".join(
            f"{describe(path, sc).label} {note}" for path, note in list(changed.items())[:4])
            + ("; ..." if len(changed) > 4 else "") + ".")
    slides.bullets(page, recommendation(result), points, BODY_TOP_IN)


def _bridge(prs, result: SimulationResult) -> None:
    """Nominal -> + uncertain inputs -> + vendor shocks -> expected: the page's waterfall, and the
    sentence that adds it up."""
    spec = data.bridge(result)
    page = slides.slide(prs, spec.title)
    height_in = 4.4
    add_chart(page, spec, slides.MARGIN, Inches(BODY_TOP_IN), slides.CONTENT_W, Inches(height_in),
              CHART_PT)
    slides.text(page, narrative.bridge_sentence(result) + f". Present values over "
                f"{result.scenario.horizon_months} months; expected is the mean of the simulated "
                "futures.", BODY_TOP_IN + height_in + 0.15, 16)


NPV_KEY = "Bars: expected NPV. Whiskers: P5 to P95 of the simulated futures. Diamonds: deterministic NPV."


def _npv(prs, sc: Scenario, result: SimulationResult) -> None:
    """The NPV chart beside each strategy's tail (CVaR95), with the one tail sentence."""
    spec = data.npv_summary(result)
    page = slides.slide(prs, "Expected NPV and the bad tail")
    chart_w_in = 8.0
    # The page's chart says what its whiskers and diamonds are in its title; here a line under it.
    key_in = 0.6
    add_chart(page, spec, slides.MARGIN, Inches(BODY_TOP_IN), Inches(chart_w_in),
              Inches(BOTTOM_IN - BODY_TOP_IN - key_in), CHART_PT)
    slides.text(page, NPV_KEY, BOTTOM_IN - key_in, CAPTION_PT, MUTED, width_in=chart_w_in)
    table = result.summary()
    lead = f"Tail: {narrative.tail_words(sc.horizon_months)}"
    points = [f"{name}: {usd(row['cvar95'])} (expected {usd(row['mean'])})"
              for name, row in table.iterrows()]
    points.append(narrative.tail_sentence(result))
    taxed = tax.of_scenario(result)
    if taxed is not None:
        points.append(tax.short(taxed))
    left = slides.MARGIN_IN + chart_w_in + 0.2
    slides.bullets(page, lead, points, BODY_TOP_IN, lead_pt=16, point_pt=14,
                   width_in=13.333 - slides.MARGIN_IN - left, left_in=left)


def _year_label(fy: str, months: int) -> str:
    return fy if months == 12 else f"{fy} ({months} month{'s' if months != 1 else ''})"


def _fiscal_years(prs, sc: Scenario, result: SimulationResult) -> None:
    """Expected cash cost per fiscal year (rows) and strategy (columns), undiscounted, with a
    total row: what a budget line reads."""
    frame = fiscal_years(result)
    table = frame.pivot_table(index="fiscal_year", columns="strategy", values="mean_usd",
                              aggfunc="sum", sort=False)[list(result.strategies)]
    months = pd.Series([calendar.fiscal_year(sc.inputs.start, t, sc.fiscal_year_start_month)
                        for t in range(sc.horizon_months)]).value_counts(sort=False)
    header = ["Fiscal year", *result.strategies]
    body = [[_year_label(str(fy), int(months[fy])), *(usd(table.loc[fy, s]) for s in result.strategies)]
            for fy in table.index]
    body.append([f"Total ({sc.horizon_months} months)", *(usd(table[s].sum()) for s in result.strategies)])
    page = slides.slide(prs, "Expected cash cost by fiscal year (undiscounted)")
    weights = (2.6, *([2.0] * len(result.strategies)))
    _, bottom = slides.table(page, [header, *body], BODY_TOP_IN, weights, 14, bold_last=True)
    opens = dt.date(2000, sc.scenario.fiscal_year_start_month, 1).strftime("%B")
    note = (f"Mean over {result.paths:,} simulated futures of the cash paid in each fiscal year "
            f"(years open in {opens} and are named by the year they end in). Not discounted, "
            "unlike the NPVs; bought GPUs count in the year they are paid for.")
    ends = [(table.index[0], "first"), (table.index[-1], "last")]
    short = [f"{fy} holds only the horizon's {which} {plural(int(months[fy]), 'month')} (the horizon "
             f"starts {calendar.readable(result.resolved.start, 0)})"
             for fy, which in ends if months[fy] < SHORT_YEAR_MONTHS]
    if short:
        note += " " + "; ".join(dict.fromkeys(short)) + "."
    slides.text(page, note, bottom + 0.15, CAPTION_PT, MUTED)


def _gap_tornado(sc: Scenario, pair: tuple[str, str] | None, fallback: str) -> FigureSpec:
    """One tornado: how each input moves the recommended strategy's lead over the runner-up (or
    the one strategy's NPV when there is no other)."""
    swings = tornado(sc)
    if pair is None or swings.empty:
        return data.tornado(swings, fallback, TORNADO_ROWS, scenario=sc)
    best, runner = pair
    a = swings[swings["strategy"] == best].set_index("input")
    b = swings[swings["strategy"] == runner].set_index("input").loc[a.index]
    name = f"{best} minus {runner}"
    gap = a.assign(strategy=name, base_npv_usd=a["base_npv_usd"] - b["base_npv_usd"],
                   npv_low_usd=a["npv_low_usd"] - b["npv_low_usd"],
                   npv_high_usd=a["npv_high_usd"] - b["npv_high_usd"])
    gap["swing_usd"] = (gap["npv_high_usd"] - gap["npv_low_usd"]).abs()
    gap = gap.sort_values("swing_usd", ascending=False, kind="stable").reset_index()
    spec = data.tornado(gap, name, TORNADO_ROWS, scenario=sc)
    return dataclasses.replace(spec, title=f"What moves the answer: {best}'s cost minus {runner}'s "
                               f"(now {usd(float(gap['base_npv_usd'].iloc[0]))} on nominal inputs)",
                               notes=(*spec.notes, "Right of zero: the input narrows "
                                      f"{best}'s lead or widens its deficit."))


def _stresses(prs, sc: Scenario) -> None:
    """The scenario's named stresses: what happens and why, and each strategy's NPV impact."""
    if not sc.stresses:
        return
    names = list(sc.strategies)
    rows = [["Stress", "What happens, and why", *(f"{n}: NPV change" for n in names)]]
    for s in sc.stresses:
        frame = stress(sc, s.kind, s.on, s.month)
        impacts = dict(zip(frame["strategy"], frame["impact_usd"], strict=True))
        rows.append([capitalised(s.name), stress_story(sc, frame, s.kind, s.on, s.month),
                     # The share on its own line: a narrow column broke "-$4.47M (-61%)" at the
                     # minus sign, leaving "(-" on one line and "61%)" on the next.
                     *(f"{signed_usd(impacts[n])}\n({signed_pct(impacts[n] / b, 0)})" if b
                       else signed_usd(impacts[n])
                       for n, b in zip(names, frame["base_npv_usd"], strict=True))])
    weights = (2.3, 4.6, *([5.2 / len(names)] * len(names)))
    size = TABLE_PT
    while size > 10 and len(slides.rows_per_page(rows, weights, size, BODY_TOP_IN)) > 1:
        size -= 1
    pages = slides.rows_per_page(rows, weights, size, BODY_TOP_IN)
    for i, chunk in enumerate(pages):
        suffix = f" ({i + 1}/{len(pages)})" if len(pages) > 1 else ""
        page = slides.slide(prs, "Stresses: one forced event each, on nominal inputs" + suffix)
        slides.table(page, [rows[0], *chunk], BODY_TOP_IN, weights, size)


def _triggers(prs, sc: Scenario, result: SimulationResult, pair: tuple[str, str] | None) -> None:
    page = slides.slide(prs, "What would change our mind")
    if pair is None:
        slides.text(page, "One strategy only: there is no ranking to flip.", BODY_TOP_IN, 18)
        return
    frame = triggers.triggers(sc, result)
    best, runner = pair
    if frame.empty:
        slides.text(page, f"No single input moved within a quarter to four times its value, and no "
                    f"named stress, makes {runner} cheaper than {best}: the answer is robust to "
                    "one change at a time.", BODY_TOP_IN, 18)
        return
    rows = [["Watch", "Now", "Flips the ranking when it"],
            *([r.watch, r.now, r.flips_when] for r in frame.itertuples())]
    _, bottom = slides.table(page, rows, BODY_TOP_IN, (4.0, 2.6, 5.5), 14)
    slides.text(page, f"Each line moves one thing and holds the rest; a value flips the ranking "
                f"when {runner}'s expected cost falls below {best}'s. Inputs are searched from a "
                "quarter to four times their value; stresses in every month of the horizon.",
                bottom + 0.15, CAPTION_PT, MUTED)


def _hedge(prs, hedge: Hedge | None) -> None:
    if hedge is None:
        return
    page = slides.slide(prs, "The hedge: the optimised mix")
    slides.bullets(page, hedge.lead, list(hedge.points), BODY_TOP_IN)


def _backup_divider(prs) -> None:
    slides.backup_divider(prs, "Every chart of the page, the strategies, capacity, the checks, every "
                          "input with its source, and a glossary.")


def _cards(prs, sc: Scenario) -> None:
    rows = [["Strategy", "What it is"], *([name, strategy_card(sc, name)] for name in sc.strategies)]
    page = slides.slide(prs, backup_title("the strategies compared"))
    slides.table(page, rows, BODY_TOP_IN, (2.2, 9.9), 14)


def _capacity(prs, sc: Scenario) -> None:
    """How each self-hosted option's servers were sized, and why, in words."""
    plans = sc.inputs.plans
    if not plans:
        return
    page = slides.slide(prs, backup_title("self-hosted capacity"))
    header = ["Option", "GPUs per copy of the model", "How the model is split",
              "Requests served at once (what limits it)", "Output tokens per second per GPU"]
    body = [[name, f"{p.gpus} x {p.gpu} ({p.precision})", p.layout_name,
             f"{p.max_batch:,} ({p.batch_bound})", f"{p.output_tokens_per_s_per_gpu:,.0f}"]
            for name, p in plans.items()]
    _, bottom = slides.table(page, [header, *body], BODY_TOP_IN, (1.6, 2.2, 2.6, 2.4, 1.6), 13)
    slides.bullets(page, "Why:", [f"{name}: {capacity.why(p)}" for name, p in plans.items()],
                   bottom + 0.15, lead_pt=16, point_pt=13)


def _throughput_latency(prs, sc: Scenario) -> None:
    """One backup slide per self-hosted option: its throughput-latency chart (the Costs tab's),
    at the workload's nominal request shape."""
    shape = (float(nominal(sc.workload.input_tokens_per_request)),
             float(nominal(sc.workload.output_tokens_per_request)))
    for name, plan in sc.inputs.plans.items():
        spec = capacity_figures.option_chart(name, plan, *shape)
        _chart_slide(prs, spec, backup_title(spec.title))


def _comparison(prs, sc: Scenario, result: SimulationResult) -> None:
    table = result.summary()
    info = provenance(result)
    page = slides.slide(prs, backup_title("strategy comparison"))
    header = ["Strategy", *(describe(c).label for c in COMPARISON)]
    body = [[name, *(pct(r[c]) if c == "p_cheapest" else usd(r[c]) for c in COMPARISON)]
            for name, r in table.iterrows()]
    _, bottom = slides.table(page, [header, *body], BODY_TOP_IN, (1.8, 1.75, 1.4, 1.3, 1.3, 1.55, 1.5,
                                                                  1.5), 14)
    slides.text(page, "All values are present values of total cost; P(cheapest) is the share of "
                "simulated futures in which the strategy costs least. Discounted at "
                f"{pct(result.resolved.params['discount_rate_per_year'].nominal, 1)} a year over "
                f"{sc.horizon_months} months in {sc.currency}. Scenario SHA-256 "
                f"{info['scenario_sha256'][:16]}..., tco {info['tco_version']}, genai-prices "
                f"{info['genai_prices_version']}. {price_basis(sc)}{_tax_note(result)} Terms: see "
                "the glossary.", bottom + 0.2, 12, MUTED)


def _tax_note(result: SimulationResult) -> str:
    """' Expected NPV after tax ...: ...' where the scenario has a tax: section, else ''."""
    taxed = tax.of_scenario(result)
    return "" if taxed is None else " " + tax.sentence(taxed)


def _checks(prs, result: SimulationResult) -> None:
    page = slides.slide(prs, backup_title("before relying on these numbers"))
    slides.bullets(page, "Warnings and assumptions to check", checks(result), BODY_TOP_IN,
                   point_pt=14)


def appendix_rows(sc: Scenario) -> list[list[str]]:
    """The appendix's rows: every input by its label (never its path), value, unit, full source
    and as-of date; the inputs left at their defaults share one row per value and unit ('$0',
    '$ per month': 11 of the flagship's inputs), where each took a row of its own (a third of
    twelve slides)."""
    frame = assumptions(sc)
    # Values of fractions read '20%' (report.describe), so their unit does too: '%', not 'fraction 0-1'.
    frame = frame.assign(unit=frame["unit"].map(as_percent))
    default = frame["source"] == DEFAULT_SOURCE
    rows = [[r.label, r.value, r.unit, r.source, r.as_of] for r in frame[~default].itertuples()]
    grouped = frame[default].groupby(["value", "unit", "as_of"], sort=False)["label"].agg("; ".join)
    return rows + [[labels, value, unit, DEFAULT_SOURCE, as_of]
                   for (value, unit, as_of), labels in grouped.items()]


def _appendix(prs, sc: Scenario) -> None:
    """Every input with its value, unit, source and as-of date (``appendix_rows``)."""
    header = ["Input", "Value", "Unit", "Source", "As of"]
    rows = [header, *appendix_rows(sc)]
    weights = APPENDIX_WEIGHTS
    pages = slides.rows_per_page(rows, weights, APPENDIX_PT, BODY_TOP_IN)
    for i, chunk in enumerate(pages):
        page = slides.slide(prs, backup_title(f"assumptions ({i + 1}/{len(pages)})"))
        slides.table(page, [header, *chunk], BODY_TOP_IN, weights, APPENDIX_PT)


def _glossary(prs) -> None:
    rows = [["Term", "What it means"],
            *([describe(c).label, describe(c).help] for c in GLOSSARY_TERMS),
            ["NPV", "Net present value: each month's cost discounted to today at the scenario's rate."],
            ["Nominal inputs", "Every input at its central value (the deterministic model), with "
                               "no vendor events."]]
    page = slides.slide(prs, backup_title("glossary"))
    slides.table(page, rows, BODY_TOP_IN, (2.4, 9.7), 14)


def backup_specs(sc: Scenario, result: SimulationResult) -> list[FigureSpec]:
    """The page's figures in the backup, in slide order."""
    ev = evaluate(sc)
    best = result.summary()["mean"].idxmin()
    specs = [data.fan_chart(result),
             data.cost_lines(result.mean_lines(), best, " (expected: mean of simulated futures)", sc)]
    if len(ev.break_even):
        specs.append(data.break_even(sc, ev))
    if sc.risks:
        specs.append(data.events(result))
    if result.weights_age:
        specs.append(stories.weights_age(result))
    if result.fine_tune_runs.any() or result.upgrades.any():
        specs.append(stories.fine_tuning(result))
    return specs


def figure_specs(sc: Scenario, result: SimulationResult) -> list[FigureSpec]:
    """Every figure spec the deck draws, in slide order: the bridge, the NPV chart and the one
    tornado of the main part, then the backup's."""
    pair = triggers.contenders(result)
    return [data.bridge(result), data.npv_summary(result),
            _gap_tornado(sc, pair, next(iter(sc.strategies))), *backup_specs(sc, result)]


def _notes(prs, result: SimulationResult, link: str | None) -> None:
    """Speaker notes on every slide: where its numbers come from."""
    info = provenance(result, link)
    text = (f"Scenario '{info['scenario']}' (SHA-256 {info['scenario_sha256']}); {info['paths']:,} "
            f"{info['sampling']} paths, seed {info['seed']}; tco {info['tco_version']}; API prices "
            f"from genai-prices {info['genai_prices_version']} as of {info['api_prices_as_of']}; GPU "
            f"catalog as of {info['gpu_catalog_as_of']}, model catalog as of "
            f"{info['model_catalog_as_of']}. {price_basis(result.scenario)} NPV discounts month t by "
            "(1 + r)^-((t + 1) / 12). Every input, its source and as-of date are in the backup.")
    if info["edits"]:
        text += f" {MODIFIED}: " + "; ".join(f"{e['label']} {e['note']}" for e in info["edits"]) + "."
    if link:
        text += f" Reopen these numbers: {link}"
    for page in prs.slides:
        page.notes_slide.notes_text_frame.text = text


def build_deck(sc: Scenario, result: SimulationResult, hedge: Hedge | None = None,
               link: str | None = None) -> bytes:
    """The board pack: the main part (at most ``MAIN_SLIDES_MAX`` slides), then the backup;
    speaker notes carry the provenance, the page's edits and ``link`` (the page's share link)."""
    prs = slides.new_deck()
    pair = triggers.contenders(result)
    specs = figure_specs(sc, result)
    _title_slide(prs, sc, result)
    _decision(prs, sc, result, pair)
    _bridge(prs, result)
    _npv(prs, sc, result)
    _fiscal_years(prs, sc, result)
    _chart_slide(prs, specs[2])
    _stresses(prs, sc)
    _triggers(prs, sc, result, pair)
    if hedge is not None:
        _hedge(prs, hedge)
    else:  # the Decide tab's optimised mix and frontier; skipped when there is nothing to decide
        add_decide_slide(prs, sc, result, slides.SLIDE_W, slides.MARGIN)
    _backup_divider(prs)
    _cards(prs, sc)
    for spec in specs[3:]:
        _chart_slide(prs, spec, backup_title(deck_title(spec)))
    _capacity(prs, sc)
    _throughput_latency(prs, sc)
    _comparison(prs, sc, result)
    _checks(prs, result)
    _appendix(prs, sc)
    _glossary(prs)
    _notes(prs, result, link)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
