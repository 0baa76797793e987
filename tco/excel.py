"""One Excel workbook of a run, for readers who work in spreadsheets.

Sheets: Summary (one row per strategy, each column labelled with its unit), Monthly cost (expected
cost by strategy, line and calendar month), Fiscal years (the same rolled up), Assumptions (every
input with its source and as-of date; an input edited on the page says so), Glossary (every
column of the exports in words) and Provenance (with the page's edits and share link). Every
sheet prints landscape, one page wide, its header row repeated on each page. The numbers are the exports' own
(``tco.export``), written at full precision; money cells carry a currency format, headers are
frozen and columns sized to be read.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

import tco.export as export
import tco.glossary as glossary
import tco.report as report
from tco.format import plural
from tco.simulate import SimulationResult

SUMMARY, MONTHLY, FISCAL, ASSUMPTIONS, GLOSSARY, PROVENANCE = (
    "Summary", "Monthly cost", "Fiscal years", "Assumptions", "Glossary", "Provenance")
TOTAL = "Total"
"""The row of each strategy's lines summed, and the column of each row's months summed."""
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "0.000"
MIN_WIDTH_CHARS, MAX_WIDTH_CHARS = 8, 60
"""Column widths follow the longest cell, within these bounds (longer text wraps)."""
_HEADER_FILL = PatternFill("solid", start_color="DDE3EA")


@dataclass(frozen=True)
class _Sheet:
    frame: pd.DataFrame
    freeze: str
    """The first cell that scrolls: rows above it and columns left of it stay in view."""
    formats: dict[str, str]
    """Column header -> number format."""
    notes: dict[str, str]
    """Column header -> the glossary's help text, shown as the header's comment."""


def money_format(currency: str) -> str:
    """Whole units of the currency, negatives with a minus: '$1,234,567' or '1,234,567 EUR'."""
    return '"$"#,##0' if currency == "USD" else f'#,##0 "{currency}"'


def summary_frame(result: SimulationResult) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """The summary, one row per strategy, with headers 'label (unit)'; its formats and notes.

    Every money column of the summary is a present value, so its unit reads 'USD, present value'.
    """
    table = result.summary()
    currency = result.scenario.currency
    columns, formats, notes = {"Strategy": list(table.index)}, {}, {}
    for name in table.columns:
        label = glossary.describe(str(name), result.scenario)
        if label.unit == "$":
            unit, number_format = f"{currency}, present value", money_format(currency)
        elif name.startswith("p_"):
            unit, number_format = "share of paths", PERCENT_FORMAT
        else:
            unit, number_format = label.unit, COUNT_FORMAT
        header = f"{label.label} ({unit})" if unit else label.label
        columns[header] = table[name].to_numpy(dtype=float)
        formats[header], notes[header] = number_format, label.help
    return pd.DataFrame(columns), formats, notes


def _by_line(tidy: pd.DataFrame, period: str, result: SimulationResult) -> pd.DataFrame:
    """Expected cost (mean over paths) with a row per strategy and line, a column per ``period``,
    a total row per strategy and a total column. Lines a strategy never pays are left out."""
    wide = tidy.pivot_table(index=["strategy", "line"], columns=period, values="mean_usd",
                            aggfunc="sum", sort=False)
    blocks = []
    for name in result.strategies:
        block = wide.loc[[name]]
        block = block[(block != 0).any(axis=1)]
        total = block.sum(axis=0).to_frame().T
        total.index = pd.MultiIndex.from_tuples([(name, TOTAL)], names=["strategy", "line"])
        blocks.append(pd.concat([block, total]))
    frame = pd.concat(blocks)
    frame[TOTAL] = frame.sum(axis=1)
    unit = f"expected {result.scenario.currency}, undiscounted"
    return frame.reset_index().rename(columns={"strategy": "Strategy", "line": f"Cost line ({unit})"})


def _fiscal_headers(tidy: pd.DataFrame) -> dict[str, str]:
    """'FY2027' -> 'FY2027 (5 months)' where the horizon covers part of the year."""
    one = tidy[(tidy["strategy"] == tidy["strategy"].iloc[0]) & (tidy["line"] == tidy["line"].iloc[0])]
    months = one.groupby("fiscal_year", sort=False).size()
    return {fy: fy if n == 12 else f"{fy} ({plural(n, 'month')})" for fy, n in months.items()}


def _cell(value: object) -> object:
    """A provenance value as one cell: a list joined by '; ', an edit as 'label: note'."""
    if isinstance(value, list):
        return "; ".join(f"{v['label']}: {v['note']}" if isinstance(v, dict) else str(v) for v in value)
    return value


def sheets(result: SimulationResult, link: str | None = None) -> dict[str, _Sheet]:
    """The workbook's sheets as frames with their layout, in order (``link``: the page's share
    link, for the provenance sheet)."""
    currency = result.scenario.currency
    money = money_format(currency)
    summary, formats, notes = summary_frame(result)
    monthly_tidy = export.monthly_lines(result)
    monthly = _by_line(monthly_tidy, "calendar_month", result)
    fiscal = _by_line(monthly_tidy, "fiscal_year", result).rename(columns=_fiscal_headers(monthly_tidy))
    assumptions = report.assumptions(result.scenario).rename(columns={
        "label": "Input", "value": "Value", "nominal": "Nominal value", "unit": "Unit",
        "source": "Source", "as_of": "As of", "warning": "Warning", "input": "Field path"})
    info = export.provenance(result, link)
    provenance = pd.DataFrame({"Item": list(info), "Value": [_cell(v) for v in info.values()]})
    glossary_rows = [{"Term": label.label, "Unit": export.in_currency(label.unit, currency),
                      "What it means": label.help, "Column in the CSV files": label.path}
                     for label in glossary.columns_table(export.documented_columns(result),
                                                         result.scenario)]

    def money_columns(frame: pd.DataFrame) -> dict[str, str]:
        return {str(c): money for c in frame.columns[2:]}

    return {
        SUMMARY: _Sheet(summary, "B2", formats, notes),
        MONTHLY: _Sheet(monthly, "C2", money_columns(monthly), {}),
        FISCAL: _Sheet(fiscal, "C2", money_columns(fiscal), {}),
        ASSUMPTIONS: _Sheet(assumptions, "B2", {"Nominal value": "General"}, {}),
        GLOSSARY: _Sheet(pd.DataFrame(glossary_rows, columns=["Term", "Unit", "What it means",
                                                              "Column in the CSV files"]), "B2", {}, {}),
        PROVENANCE: _Sheet(provenance, "A2", {}, {}),
    }


def workbook_bytes(result: SimulationResult, link: str | None = None) -> bytes:
    """The .xlsx workbook of ``result`` as bytes (the page's download; ``run --xlsx`` writes it)."""
    buffer = io.BytesIO()
    layout = sheets(result, link)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, sheet in layout.items():
            _escaped(sheet.frame).to_excel(writer, sheet_name=name, index=False)
            _lay_out(writer.sheets[name], sheet)
    return buffer.getvalue()


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    """Text a spreadsheet would run as a formula (=, +, -, @) prefixed with a quote, as in the CSVs."""
    frame = frame.copy()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].map(export.escape_cell)
    return frame


def _lay_out(ws: Worksheet, sheet: _Sheet) -> None:
    headers = [str(c) for c in sheet.frame.columns]
    for j, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if header in sheet.notes:
            cell.comment = Comment(sheet.notes[header], "tco")
        number_format = sheet.formats.get(header)
        for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
            for cell in row:
                if number_format is not None:
                    cell.number_format = number_format
                if isinstance(cell.value, str) and len(cell.value) > MAX_WIDTH_CHARS:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(j)].width = _width(
            header, sheet.frame.iloc[:, j - 1], number_format)
    ws.freeze_panes = sheet.freeze
    _print_setup(ws)
    _bold_totals(ws, headers)


def _print_setup(ws: Worksheet) -> None:
    """Landscape, one page wide (as many tall as it takes), the header row on every page."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _width(header: str, values: pd.Series, number_format: str | None) -> float:
    """Characters wide enough for the longest cell as shown (money with separators), within bounds;
    a header wraps onto a second line rather than widening the column past its values."""
    shown: Callable[[object], str] = str
    if number_format is not None and number_format not in ("General",):
        shown = _formatted_length
    longest = max([0, *(len(shown(v)) for v in values)])
    header_chars = max(len(word) for word in header.split())
    wanted = max(longest, header_chars, min(len(header), 2 * longest)) + 2
    return float(min(max(wanted, MIN_WIDTH_CHARS), MAX_WIDTH_CHARS))


def _formatted_length(value: object) -> str:
    try:
        return f"${float(value):,.0f}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def _bold_totals(ws: Worksheet, headers: list[str]) -> None:
    """Each strategy's total row in bold, so the blocks of lines read at a glance."""
    if len(headers) < 2 or not headers[1].startswith("Cost line"):
        return
    for row in ws.iter_rows(min_row=2):
        if row[1].value == TOTAL:
            for cell in row:
                cell.font = Font(bold=True)
