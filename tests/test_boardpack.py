"""The board pack: ten main slides at most, then a marked backup; every text fits its slide, no
field path anywhere; page edits travel into every export.

Text is measured here with the real glyph widths of DejaVu Sans (the font LibreOffice draws in
place of Calibri on this machine kind, and wider than it), independently of the deck's own
estimate in ``tco.slides``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from PIL import ImageFont
from pptx import Presentation
from pptx.util import Emu

import tco
from tco.deck import MAIN_SLIDES_MAX, MODIFIED, build_deck
from tco.excel import workbook_bytes
from tco.export import bundle_zip, fiscal_years, provenance
from tco.load import loads
from tco.options.table import EDITED
from tco.slides import BACKUP
from tco.triggers import input_triggers
from tco.ui.edits import apply_edits
from tests.conftest import ROOT, SCENARIOS

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
LINE = 1.17
"""DejaVu Sans' ascent plus descent, as a multiple of the type size."""
EMU_PER_PT = 12_700
LINK = "http://localhost:8501/?scenario=startup-api-cheaper&workload.requests_per_month=5000000"


@cache
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), 100)


def _width_pt(text: str, size_pt: float, bold: bool) -> float:
    return _font(bold).getlength(text) * size_pt / 100


def _lines(text: str, width_pt: float, size_pt: float, bold: bool) -> int:
    """Greedy word wrap with measured widths, as a text renderer does."""
    count, line = 1, ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and _width_pt(trial, size_pt, bold) > width_pt:
            count, line = count + 1, word
            while _width_pt(line, size_pt, bold) > width_pt:  # a word wider than the line breaks
                count, line = count + 1, line[len(line) // 2:]
        else:
            line = trial
    return count


def _height_pt(frame, width_pt: float, default_pt: float = 18) -> float:
    total = 0.0
    for para in frame.paragraphs:
        runs = para.runs
        size = max((r.font.size.pt for r in runs if r.font.size is not None), default=default_pt)
        bold = any(r.font.bold for r in runs)
        total += _lines(para.text, width_pt, size, bold) * size * LINE
        if para.space_before is not None:
            total += para.space_before.pt
    return total


def _overruns(prs) -> list[str]:
    """Every text box, title and table that does not fit its box or leaves the slide."""
    width, height = prs.slide_width, prs.slide_height
    found = []
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            where = f"slide {number} '{shape.name}'"
            if shape.left < 0 or shape.top < 0 or shape.left + shape.width > width:
                found.append(f"{where}: outside the slide's width")
            if shape.has_text_frame and shape.text_frame.text.strip():
                frame = shape.text_frame
                inner_w = (shape.width - (frame.margin_left or Emu(91440))
                           - (frame.margin_right or Emu(91440))) / EMU_PER_PT
                need = _height_pt(frame, inner_w) + 7.2
                if shape.top + need * EMU_PER_PT > height:
                    found.append(f"{where}: text runs off the slide ({frame.text[:40]!r})")
                if need * EMU_PER_PT > shape.height * 1.02:
                    found.append(f"{where}: text overflows its box by "
                                 f"{need - shape.height / EMU_PER_PT:.0f} pt ({frame.text[:40]!r})")
            elif shape.has_text_frame and shape.top + shape.height > height:
                found.append(f"{where}: below the slide")
            if shape.has_table:
                grid = shape.table
                total = 0
                for row in grid.rows:
                    need = max(_height_pt(cell.text_frame, (col.width - cell.margin_left
                                                            - cell.margin_right) / EMU_PER_PT)
                               * EMU_PER_PT + cell.margin_top + cell.margin_bottom
                               for cell, col in zip(row.cells, grid.columns, strict=True))
                    total += max(row.height, need)
                if shape.top + total > height:
                    found.append(f"{where}: table runs off the slide by "
                                 f"{(shape.top + total - height) / 914400:.2f} in")
            if shape.has_chart and shape.top + shape.height > height:
                found.append(f"{where}: chart below the slide")
    return found


def _texts(prs) -> list[str]:
    """Every string a reader can see or hear: text boxes, tables, chart categories and series,
    speaker notes."""
    out = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out.append(shape.text_frame.text)
            if shape.has_table:
                out += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart:
                for plot in shape.chart.plots:
                    out += [str(c) for c in plot.categories]
                    out += [s.name for s in plot.series]
        out.append(slide.notes_slide.notes_text_frame.text)
    return out


def _titles(prs) -> list[str]:
    return [next((s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text),
                 "") for slide in prs.slides]


def _edited() -> tuple[tco.Scenario, tco.Scenario]:
    base = tco.load_scenario(ROOT / "scenarios" / "startup-api-cheaper.yaml")
    return base, apply_edits(base, {"workload.requests_per_month": 5_000_000.0})


@pytest.fixture(scope="module", params=[p.stem for p in SCENARIOS] + ["edited"])
def deck(request):
    sc = _edited()[1] if request.param == "edited" else tco.load_scenario(
        ROOT / "scenarios" / f"{request.param}.yaml")
    result = tco.simulate(sc, paths=400, seed=5)
    return sc, result, Presentation(io.BytesIO(build_deck(sc, result, link=LINK)))


def test_nothing_runs_off_any_slide(deck) -> None:
    _, _, prs = deck
    assert _overruns(prs) == []


def test_the_deck_wraps_text_as_the_font_does_and_never_shorter() -> None:
    """The deck's row heights come from ``tco.slides.wrapped_lines`` (a width table, taken 4%
    wide); measured here with the font itself (``_lines``), every appendix cell of every story
    takes at least the lines it needs (its text is held) and at most one more, plus one per five
    it needs (the 4% can push a word to the next line on every line of a long cell; rows are not
    padded: an estimate from an average glyph width of 0.60 em had made them up to 3 lines too
    tall, and the flagship's assumptions 12 slides where 9 hold them)."""
    from tco.deck import APPENDIX_PT, APPENDIX_WEIGHTS, appendix_rows
    from tco.slides import CELL_MARGIN_IN, fit_widths, wrapped_lines

    widths_in = fit_widths(APPENDIX_WEIGHTS)
    checked = 0
    for path in SCENARIOS:
        for row in appendix_rows(tco.load_scenario(path)):
            for cell, width_in in zip(row, widths_in, strict=True):
                inner_in = width_in - 2 * CELL_MARGIN_IN
                real = _lines(cell, inner_in * 72, APPENDIX_PT, False)
                assert real <= wrapped_lines(cell, inner_in, APPENDIX_PT) <= real + 1 + real // 5, cell
                checked += 1
    assert checked > 500


def test_main_part_is_at_most_ten_slides_then_a_marked_backup(deck) -> None:
    sc, _, prs = deck
    titles = _titles(prs)
    divider = titles.index(BACKUP)
    assert 6 <= divider <= MAIN_SLIDES_MAX
    assert titles[1].startswith("Decision: ")
    assert all(t.startswith(f"{BACKUP}: ") for t in titles[divider + 1:])
    # One colon, after "Backup": a chart's own "Cumulative cost: median, ..." read as two.
    assert [t for t in titles[divider + 1:] if t.count(":") != 1] == []
    main = titles[:divider]
    assert sum(t.startswith("What moves the answer") for t in titles) == 1, "one tornado"
    assert "What would change our mind" in main
    assert any(t.startswith("Expected cash cost by fiscal year") for t in main)
    assert (any(t.startswith("Stresses") for t in main)) == bool(sc.stresses)
    assert f"{BACKUP}: glossary" in titles


def test_no_field_path_anywhere(deck) -> None:
    sc, _, prs = deck
    text = "\n".join(_texts(prs)).replace(LINK, "")  # a share link's query names fields, as links do
    leaked = [path for path in sc.inputs.params if path in text]
    assert leaked == []
    assert not re.search(r"\b(?:options|risks|strategies|workload|switching)\.[\w-]+\.", text)


def test_bridge_adds_up_to_the_mean_of_the_paths(deck) -> None:
    """Nominal = the deterministic model's NPV (``tco.evaluate``, one path), Expected = the mean of
    the simulated paths' NPVs, and each floating step starts where the running total stands."""
    sc, result, prs = deck
    best = result.summary()["mean"].idxmin()
    s_i = result.strategies.index(best)
    chart = next(shape.chart for shape in prs.slides[2].shapes if shape.has_chart)
    base, height, labels = (list(s.values) for s in chart.plots[0].series)
    assert labels == [0.0] * 4  # zero-height: it only carries each bar's amount above the bar
    nominal = tco.evaluate(sc).npv_usd[best]
    expected = float(result.npv_usd[:, s_i].mean())
    assert (base[0], base[3]) == (0.0, 0.0)
    assert height[0] == pytest.approx(nominal, rel=1e-9)
    assert height[3] == pytest.approx(expected, rel=1e-9)
    level = nominal
    for i in (1, 2):  # a step floats from min(before, after) and is |step| tall
        after = level + height[i] if base[i] == pytest.approx(level) else level - height[i]
        assert base[i] == pytest.approx(min(level, after))
        level = after
    assert level == pytest.approx(expected, rel=1e-6)


def test_fiscal_years_have_a_total_row_and_name_a_short_year(deck) -> None:
    sc, result, prs = deck
    slide = next(s for s, t in zip(prs.slides, _titles(prs), strict=True)
                 if t.startswith("Expected cash cost by fiscal year"))
    table = next(shape.table for shape in slide.shapes if shape.has_table)
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[-1][0] == f"Total ({sc.horizon_months} months)"
    frame = fiscal_years(result)
    for j, name in enumerate(result.strategies, start=1):
        total = frame[frame["strategy"] == name]["mean_usd"].sum()
        assert rows[-1][j] == tco.format.usd(total)
    first = rows[1][0]
    months = sum(1 for t in range(sc.horizon_months)
                 if tco.calendar.fiscal_year(sc.inputs.start, t, sc.fiscal_year_start_month)
                 == first.split(" ")[0])
    if months < 12:
        assert first == f"{first.split(' ')[0]} ({months} month{'s' if months > 1 else ''})"
    if months < 3:
        note = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert f"holds only the horizon's first {tco.format.plural(months, 'month')} (" in note


def test_an_input_trigger_is_where_the_expected_gap_closes() -> None:
    """Independent recomputation: load the scenario at the trigger's threshold through the page's
    own edit path and evaluate it; the deterministic gap plus the carried expected-minus-nominal
    gap is zero there (to the grid's linear interpolation)."""
    sc = tco.load_scenario(ROOT / "scenarios" / "startup-api-cheaper.yaml")
    result = tco.simulate(sc, paths=2000, seed=5)
    found = input_triggers(sc, result)
    requests = next(t for t in found if t.watch == "Requests per month")
    table = result.summary()
    best, runner = table["mean"].sort_values().index[:2]
    det = tco.evaluate(sc).npv_usd
    carried = (table.loc[best, "mean"] - table.loc[runner, "mean"]) - (det[best] - det[runner])
    value = float(requests.flips_when.split(" ")[2].replace(",", ""))  # 'rises above 6,590,000 ...'

    at = tco.evaluate(apply_edits(sc, {"workload.requests_per_month": value})).npv_usd
    gap = at[best] - at[runner] + carried
    assert abs(gap) < 0.01 * abs(det[best] - det[runner] + carried)


def test_page_edits_travel_into_every_export() -> None:
    base, sc = _edited()
    note = f"{EDITED} (was 2,000,000)"
    assert sc.inputs.params["workload.requests_per_month"].source == note
    result = tco.simulate(sc, paths=300, seed=2)
    info = provenance(result, LINK)
    assert info["edits"] == [{"input": "workload.requests_per_month", "label": "Requests per month",
                              "note": note, "value": 5_000_000.0}]
    assert info["share_link"] == LINK
    archive = zipfile.ZipFile(io.BytesIO(bundle_zip(result, workbook_bytes(result, LINK), LINK)))
    assert json.loads(archive.read("provenance.json"))["edits"][0]["note"] == note
    assert "columns.csv" in archive.namelist()
    sources = pd.read_csv(io.BytesIO(archive.read("assumptions.csv"))).set_index("input")["source"]
    assert sources["workload.requests_per_month"] == note
    yaml_text = archive.read("scenario.yaml").decode()
    assert f"requests_per_month: 5000000  # {note}" in yaml_text
    assert loads(yaml_text).inputs.params["workload.requests_per_month"].source == note
    book = openpyxl.load_workbook(io.BytesIO(archive.read("workbook.xlsx")))
    sheet = book["Assumptions"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert next(r for r in rows if r["Input"] == "Requests per month")["Source"] == note
    prs = Presentation(io.BytesIO(build_deck(sc, result, link=LINK)))
    texts = _texts(prs)
    assert note in texts  # the appendix's source cell
    decision = " ".join(s.text_frame.text for s in prs.slides[1].shapes if s.has_text_frame)
    assert MODIFIED in decision and "Requests per month edited on the page (was 2,000,000)" in decision
    assert LINK in prs.slides[0].notes_slide.notes_text_frame.text
    unedited = tco.simulate(base, paths=300, seed=2)
    assert provenance(unedited)["edits"] == []
    assert MODIFIED not in " ".join(_texts(Presentation(io.BytesIO(build_deck(base, unedited)))))


def test_a_moved_distribution_writes_back_without_float_noise() -> None:
    """A triangular growth of (0.01, 0.03, 0.05) moved to 0.033 scales by 1.1: 0.01 * 1.1 is
    0.011000000000000001 in binary; the scenario keeps 0.011."""
    base = tco.load_scenario(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    path = "workload.growth_per_month"
    moved = apply_edits(base, {path: base.inputs.params[path].nominal * 1.1})
    text = tco.dumps(moved) if hasattr(tco, "dumps") else __import__("tco.load").load.dumps(moved)
    numbers = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)
    assert numbers and all(len(n.split(".")[1].split("e")[0]) <= 12 for n in numbers), [
        n for n in numbers if len(n.split(".")[1]) > 12]
    assert np.isclose(moved.inputs.params[path].nominal, base.inputs.params[path].nominal * 1.1)


def test_workbook_prints_landscape_one_page_wide_with_headers_and_has_a_glossary() -> None:
    sc = tco.load_scenario(ROOT / "scenarios" / "startup-api-cheaper.yaml")
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(tco.simulate(sc, paths=300, seed=2))))
    assert "Glossary" in book.sheetnames
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"
    terms = {row[0].value: row[2].value for row in book["Glossary"].iter_rows(min_row=2)}
    assert terms["CVaR95"] == "Mean present value of total cost over the worst 5% of paths."
    units = {row[0].value: row[1].value for row in book["Glossary"].iter_rows(min_row=2)}
    assert units["Expected NPV"] == "USD"


def _app(embedded: bool = False, **query: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if embedded:
        at.context = {"is_embedded": True}
    for key, value in query.items():
        at.query_params[key] = value
    at.query_params.setdefault("paths", "1000")
    return at.run()


def test_export_tab_builds_the_heavy_files_only_when_asked() -> None:
    at = _app(scenario="startup-api-cheaper")
    at.session_state["view"] = "Export"
    at.run()
    labels = [b.label for b in at.get("download_button")]
    assert "Summary (.csv)" in labels
    assert not {"Workbook (.xlsx)", "Everything (.zip)", "Board pack (.pptx)"} & set(labels)
    at.button(key="build_exports").click().run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert {"Column units and meanings (columns.csv)", "Paths audit trail (.csv)", "Workbook (.xlsx)",
            "Everything (.zip)", "Board pack (.pptx)"} <= set(labels)


def test_embedded_view_badges_edited_inputs() -> None:
    edited = _app(embedded=True, scenario="startup-api-cheaper",
                  **{"workload.requests_per_month": "5000000"})
    assert any("Modified: 1 input(s) edited from the shipped scenario" in m.value
               for m in edited.markdown)
    plain = _app(embedded=True, scenario="startup-api-cheaper")
    assert not any("Modified:" in m.value for m in plain.markdown)


def test_trigger_words() -> None:
    """Months are numbered as the scenario's stresses number them (from 0); values read with their
    unit to three figures."""
    from tco.triggers import _span, said

    tried = [0, 3, 6, 9, 12]
    assert _span([0, 3, 6, 9, 12], tried) == "if it happens at any time"
    assert _span([0, 3], tried) == "if it happens by month 3"
    assert _span([9, 12], tried) == "if it happens from month 9 on"
    assert _span([3, 6], tried) == "if it happens in months 3 to 6"
    assert said(6_148_775, "requests per month") == "6,150,000 requests per month"
    assert said(155_111, "$ per FTE-year") == "$155,000 per FTE-year"
    assert said(0.14634, "fraction per month") == "14.6% per month"
    assert said(1.3612, "multiplier") == "1.36x"
