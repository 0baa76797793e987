"""The Excel workbook: it opens, its numbers are the exports' own, and it reads well."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

import tco
import tco.excel as excel
import tco.export as export
import tco.report as report
from tests.conftest import ROOT, build

STORY = ROOT / "scenarios" / "open-model-goes-closed.yaml"


@pytest.fixture(scope="module")
def result():
    return tco.simulate(tco.load_scenario(STORY), paths=600, seed=5)


@pytest.fixture(scope="module")
def book(result):
    return openpyxl.load_workbook(io.BytesIO(excel.workbook_bytes(result)))


def rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_the_workbook_has_its_sheets(book) -> None:
    assert book.sheetnames == ["Summary", "Monthly cost", "Fiscal years", "Assumptions", "Glossary",
                               "Provenance"]


def test_summary_numbers_equal_the_summary(book, result) -> None:
    """Every number at full precision, one row per strategy, headers labelled with their unit."""
    table = result.summary()
    header, *body = rows(book["Summary"])
    assert header[0] == "Strategy" and [r[0] for r in body] == result.strategies
    assert len(header) == 1 + len(table.columns)
    assert header[2] == "Expected NPV (USD, present value)"
    assert "P(cheapest) (share of paths)" in header
    for column, name in enumerate(table.columns, start=1):
        assert [r[column] for r in body] == pytest.approx(table[name].tolist(), rel=1e-15, abs=0)


def test_money_is_formatted_and_headers_frozen(book) -> None:
    summary = book["Summary"]
    assert summary.freeze_panes == "B2"
    assert summary["C2"].number_format == '"$"#,##0'  # expected NPV
    header = [c.value for c in summary[1]]
    share = header.index("P(cheapest) (share of paths)") + 1
    assert summary.cell(row=2, column=share).number_format == "0.0%"
    assert summary["C1"].comment is not None and "Mean present value" in summary["C1"].comment.text
    monthly = book["Monthly cost"]
    assert monthly.freeze_panes == "C2" and monthly["C2"].number_format == '"$"#,##0'
    for sheet in book:
        widths = [sheet.column_dimensions[c].width for c in "AB"]
        assert all(excel.MIN_WIDTH_CHARS <= w <= excel.MAX_WIDTH_CHARS for w in widths), sheet.title
        assert sheet["A1"].font.bold


def test_monthly_and_fiscal_totals_equal_the_exports(book, result) -> None:
    """A row per strategy and line, a column per calendar month; each strategy's total row and the
    total column equal the CSV export's sums, and the fiscal years hold the same money."""
    tidy = export.monthly_lines(result)
    header, *body = rows(book["Monthly cost"])
    months = list(tidy["calendar_month"].drop_duplicates())
    assert list(header[2:-1]) == months and header[-1] == "Total"
    for name in result.strategies:
        lines = tidy[tidy["strategy"] == name]
        total = next(r for r in body if r[0] == name and r[1] == "Total")
        by_month = lines.groupby("calendar_month", sort=False)["mean_usd"].sum()
        assert list(total[2:-1]) == pytest.approx(by_month.tolist(), rel=1e-12)
        assert total[-1] == pytest.approx(lines["mean_usd"].sum(), rel=1e-12)
        for row in body:
            if row[0] == name and row[1] != "Total":
                expected = lines[lines["line"] == row[1]]["mean_usd"]
                assert row[-1] == pytest.approx(expected.sum(), rel=1e-12) and row[-1] != 0
        fiscal = next(r for r in rows(book["Fiscal years"]) if r[0] == name and r[1] == "Total")
        assert fiscal[-1] == pytest.approx(total[-1], rel=1e-12)
    fiscal_header = rows(book["Fiscal years"])[0]
    start, months_count = result.scenario.inputs.start, result.scenario.horizon_months
    assert fiscal_header[2].startswith("FY") and bool(re.search(r"\(1 month\)|months\)",
                                                                fiscal_header[2])) == (
        not start.endswith("-01") or months_count < 12)
    assert "(1 months)" not in fiscal_header  # one month reads as one


def test_assumptions_carry_source_and_as_of(book, result) -> None:
    header, *body = rows(book["Assumptions"])
    assert {"Input", "Value", "Unit", "Source", "As of", "Field path"} <= set(header)
    expected = report.assumptions(result.scenario)
    assert len(body) == len(expected)
    path = header.index("Field path")
    assert [r[path] for r in body] == expected["input"].tolist()
    source = header.index("Source")
    assert all(r[source] for r in body)


def test_provenance_matches_the_exports(book, result) -> None:
    values = dict(rows(book["Provenance"])[1:])
    info = export.provenance(result)
    assert values["scenario_sha256"] == info["scenario_sha256"] and values["seed"] == 5
    assert values["tco_version"] == info["tco_version"] and values["paths"] == 600


def test_formula_text_is_not_run() -> None:
    """A scenario name that reads as a formula is text in the workbook, as in the CSVs."""
    result = tco.simulate(build(name="=HYPERLINK(\"http://x\")"), paths=50)
    book = openpyxl.load_workbook(io.BytesIO(excel.workbook_bytes(result)))
    values = dict(rows(book["Provenance"])[1:])
    assert values["scenario"] == "'=HYPERLINK(\"http://x\")"
    assert all(cell.data_type != "f" for sheet in book for row in sheet.iter_rows() for cell in row)


def test_other_currencies_are_named(result) -> None:
    assert excel.money_format("EUR") == '#,##0 "EUR"'
    eur = tco.simulate(build(currency="EUR"), paths=50)
    header = rows(openpyxl.load_workbook(io.BytesIO(excel.workbook_bytes(eur)))["Summary"])[0]
    assert "Expected NPV (EUR, present value)" in header


def test_the_zip_carries_the_workbook_when_given(result) -> None:
    data = excel.workbook_bytes(result)
    archive = zipfile.ZipFile(io.BytesIO(export.bundle_zip(result, workbook=data)))
    assert archive.read(export.WORKBOOK_NAME) == data
    assert export.WORKBOOK_NAME not in zipfile.ZipFile(io.BytesIO(export.bundle_zip(result))).namelist()
