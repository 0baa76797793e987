"""A portfolio run's tables with labels and units, as CSV files, a workbook and a slide deck.

Every table is built once here (``tables``) and written by each format, so the CSVs, the
workbook, the deck and the page show the same numbers under the same headings.
"""

from __future__ import annotations

import io

import pandas as pd

from tco.portfolio.result import PortfolioResult

CSV_FILES = ("portfolio_summary.csv", "portfolio_workloads.csv", "portfolio_vendors.csv",
             "portfolio_fan.csv", "portfolio_paths.csv")
SUMMARY_LABELS = {
    "mean": "Expected NPV", "p5": "P5 NPV", "p50": "Median NPV", "p95": "P95 NPV",
    "cvar95": "CVaR95 NPV (mean of the worst 5%)",
    "standalone_mean": "Expected NPV if each workload ran alone",
    "pooling_saving_mean": "Pooling saving, expected", "pooling_saving_p5": "Pooling saving, P5",
    "pooling_saving_p95": "Pooling saving, P95",
    "commitment_mean": "Commitment bills less the list usage they replace, expected",
}


def tables(result: PortfolioResult) -> dict[str, pd.DataFrame]:
    """The portfolio's tables by sheet name, headings with units in the portfolio's currency."""
    cur = result.portfolio.currency
    summary = pd.DataFrame([{"measure": SUMMARY_LABELS[k], f"npv_{cur.lower()}": v}
                            for k, v in result.summary().items()])
    workloads = result.workload_table().rename(columns={
        "standalone_usd": f"alone_npv_{cur.lower()}",
        "usage_basis_usd": f"usage_basis_npv_{cur.lower()}",
        "allocation_basis_usd": f"allocation_basis_npv_{cur.lower()}"})
    vendors = result.vendor_table().rename(columns={
        "mean_usd": f"expected_npv_{cur.lower()}",
        "cvar95_contribution_usd": f"cvar95_contribution_npv_{cur.lower()}"})
    fan = result.fan()
    paths = pd.DataFrame({"path": range(result.paths), "npv_usd": result.npv_usd,
                          "pooling_saving_usd": result.pooling_saving_usd,
                          "commitment_usd": result.commitment_usd})
    for i, w in enumerate(result.workloads):
        paths[f"alone_npv_usd.{w}"] = result.workload_npv_usd[:, i]
    return {"summary": summary, "workloads": workloads, "vendors": vendors, "fan": fan,
            "paths": paths}


def csv_files(result: PortfolioResult) -> dict[str, bytes]:
    """The CSV files by name (``CSV_FILES``)."""
    return {f"portfolio_{name}.csv": frame.to_csv(index=False).encode("utf-8")
            for name, frame in tables(result).items()}


def workbook(result: PortfolioResult) -> bytes:
    """An Excel workbook: one sheet per table, and the inputs' provenance."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables(result).items():
            if name != "paths":
                frame.to_excel(writer, sheet_name=name, index=False)
        pd.DataFrame([{"portfolio": result.portfolio.name, "paths": result.paths,
                       "seed": result.seed, "sampling": result.sampling,
                       "workloads": ", ".join(result.workloads)}]).to_excel(
            writer, sheet_name="provenance", index=False)
    return buffer.getvalue()


def deck(result: PortfolioResult) -> bytes:
    """A short PowerPoint deck: the NPV distribution, the fan chart, per-workload cost on both
    bases, and vendor shares of CVaR95."""
    from pptx import Presentation  # noqa: PLC0415 - python-pptx loads only for a deck
    from pptx.chart.data import CategoryChartData  # noqa: PLC0415
    from pptx.enum.chart import XL_CHART_TYPE  # noqa: PLC0415
    from pptx.util import Inches, Pt  # noqa: PLC0415

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    t = tables(result)
    cur = result.portfolio.currency
    title = prs.slides.add_slide(prs.slide_layouts[0])
    title.shapes.title.text = result.portfolio.name
    title.placeholders[1].text = (f"{len(result.workloads)} workloads, {result.paths:,} paths, "
                                  f"seed {result.seed}; NPV in {cur}")

    def table_slide(heading: str, frame: pd.DataFrame) -> None:
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = heading
        rows, cols = frame.shape[0] + 1, frame.shape[1]
        shape = slide.shapes.add_table(rows, cols, Inches(0.5), Inches(1.5), Inches(12.3),
                                       Inches(0.4) * rows)
        for c, name in enumerate(frame.columns):
            shape.table.cell(0, c).text = str(name).replace("_", " ")
        for r, row in enumerate(frame.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                text = (f"{value:.1%}" if frame.columns[c] == "cvar95_share" else f"{value:,.0f}"
                        if isinstance(value, float) else str(value))
                cell = shape.table.cell(r, c)
                cell.text = text
                cell.text_frame.paragraphs[0].font.size = Pt(12)

    table_slide("Portfolio NPV distribution", t["summary"])
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = f"Cumulative cost by month ({cur}): P5, median, P95"
    chart = CategoryChartData()
    chart.categories = [int(m) for m in t["fan"]["month"]]
    for p in ("p5", "p50", "p95"):
        chart.add_series(p.upper(), [float(v) for v in t["fan"][f"{p}_cumulative_usd"]])
    slide.shapes.add_chart(XL_CHART_TYPE.LINE, Inches(0.5), Inches(1.4), Inches(12.3), Inches(5.8),
                           chart)
    table_slide("Cost per workload: usage and allocation bases (idle capacity its own line)",
                t["workloads"])
    table_slide("Vendor concentration: each vendor's share of CVaR95 (Euler contributions)",
                t["vendors"])
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
