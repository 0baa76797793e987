"""A portfolio run's tables with labels and units, as CSV files and a workbook.

Every table is built once here (``tables``) and written by each format, so the CSVs, the
workbook and the page show the same numbers under the same headings; the deck is
``tco.portfolio.slides``, at the exports' layer.
"""

from __future__ import annotations

import io

import pandas as pd

from tco.glossary import describe
from tco.portfolio.result import PortfolioResult

HEADERS = {
    "workload": "Workload", "strategy": "Strategy in force", "vendor": "Vendor",
    **{column: describe(entry).text for column, entry in (
        ("standalone_usd", "alone_npv_usd"), ("usage_basis_usd", "usage_basis_npv_usd"),
        ("allocation_basis_usd", "allocation_basis_npv_usd"), ("mean_usd", "expected_npv_usd"),
        ("cvar95_contribution_usd", "cvar95_contribution_npv_usd"), ("cvar95_share", "cvar95_share"))},
}
"""The headers of the cost-per-workload and vendor tables on the page and the deck, from the
glossary ('Usage basis, expected NPV ($)'), in the form every other money table uses."""

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
