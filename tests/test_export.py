"""Exports as bytes: CSVs parse and carry provenance, the deck opens and holds native charts."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pandas as pd
import pytest
from pptx import Presentation

import tco
import tco.calendar as calendar
from tco import export, figures
from tco.deck import build_deck
from tco.glossary import describe
from tco.images import ImageExportUnavailable, browser_path, figure_bytes
from tests.conftest import ROOT

STORY = ROOT / "scenarios" / "open-model-goes-closed.yaml"


@pytest.fixture(scope="module")
def result():
    return tco.simulate(tco.load_scenario(STORY), paths=1000, seed=3)


def test_formula_cells_are_escaped() -> None:
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "+1+1", "-cmd", "@SUM(A1)", "\tx", "-0.5", "ok"],
                          "usd": [1.0, 2, 3, 4, 5, 6, 7]})
    back = pd.read_csv(io.BytesIO(export.csv_bytes(frame)), keep_default_na=False)
    assert back["name"].tolist() == ["'=HYPERLINK(\"x\")", "'+1+1", "'-cmd", "'@SUM(A1)", "'\tx", "-0.5",
                                     "ok"]


def test_csvs_parse_and_carry_provenance(result) -> None:
    summary = pd.read_csv(io.BytesIO(export.summary_csv(result)))
    assert summary["strategy"].tolist() == result.strategies
    assert (summary["seed"] == 3).all() and (summary["paths"] == 1000).all()
    assert summary["scenario_sha256"].nunique() == 1 and len(summary["scenario_sha256"][0]) == 64
    assert summary["mean"].to_numpy() == pytest.approx(result.summary()["mean"].to_numpy(), rel=1e-9)
    monthly = pd.read_csv(io.BytesIO(export.monthly_percentiles_csv(result)))
    assert len(monthly) == 36 * len(result.strategies)
    assert (monthly["p5_cumulative_usd"] <= monthly["p95_cumulative_usd"]).all()
    paths = pd.read_csv(io.BytesIO(export.paths_csv(result)))
    assert len(paths) == 1000
    assert paths[[f"npv_usd.{s}" for s in result.strategies]].to_numpy() == pytest.approx(result.npv_usd)


def test_zip_bundle_and_scenario_round_trip(result) -> None:
    archive = zipfile.ZipFile(io.BytesIO(export.bundle_zip(result)))
    assert set(archive.namelist()) == {"summary.csv", "monthly_percentiles.csv", "paths.csv",
                                       "monthly_cost_by_line.csv", "fiscal_years.csv",
                                       "assumptions.csv", "columns.csv", "provenance.json",
                                       "scenario.yaml"}
    provenance = json.loads(archive.read("provenance.json"))
    assert provenance["api_prices_as_of"] == "2026-11-09"
    assert tco.loads(archive.read("scenario.yaml")) == result.scenario
    assert provenance["scenario_sha256"] == export.scenario_hash(tco.loads(archive.read("scenario.yaml")))


def test_columns_csv_explains_every_csv_column(result) -> None:
    files = export.csv_files(result)
    notes = pd.read_csv(io.BytesIO(files["columns.csv"]), keep_default_na=False)
    assert list(notes.columns) == ["column", "label", "unit", "description"]
    headers = [c for name in ("summary.csv", "monthly_percentiles.csv", "monthly_cost_by_line.csv",
                              "fiscal_years.csv", "paths.csv", "assumptions.csv")
               for c in pd.read_csv(io.BytesIO(files[name]), nrows=0).columns]
    assert list(notes["column"]) == list(dict.fromkeys(headers))
    row = notes.set_index("column").loc["mean"]
    assert (row["label"], row["unit"]) == ("Expected NPV", "USD")  # the currency named
    events = notes.set_index("column").loc["events.licence_change.llama-70b"]
    assert events["label"] == describe("events.licence_change.llama-70b").label
    assert (notes["label"] != "").all() and (notes["description"] != "").all()
    assert files["columns.csv"] == export.columns_csv(result)


def test_deck_opens_with_native_charts(result, output_dir) -> None:
    data = build_deck(result.scenario, result)
    prs = Presentation(io.BytesIO(data))
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)  # 13.333 x 7.5 in, 16:9
    charts_found = [shape.chart for slide in prs.slides for shape in slide.shapes if shape.has_chart]
    assert len(charts_found) >= 3
    kinds = {str(c.chart_type).split(" ")[0] for c in charts_found}
    assert {"COLUMN_CLUSTERED", "COLUMN_STACKED", "BAR_CLUSTERED"} <= kinds
    assert any(kind.startswith("XY_SCATTER") for kind in kinds)  # numeric month and volume axes
    tables = [shape for slide in prs.slides for shape in slide.shapes if shape.has_table]
    assert tables, "comparison table and assumptions appendix"
    text = " ".join(shape.text_frame.text for slide in prs.slides for shape in slide.shapes
                    if shape.has_text_frame)
    assert "Decision: " in text and "Backup: assumptions" in text
    (output_dir / "plan.pptx").write_bytes(data)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice not installed")
def test_deck_renders_in_libreoffice(result, output_dir, tmp_path) -> None:
    deck = tmp_path / "plan.pptx"
    deck.write_bytes(build_deck(result.scenario, result))
    subprocess.run(["libreoffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(deck)], check=True,
                   capture_output=True, timeout=180)
    pdf = tmp_path / "plan.pdf"
    assert pdf.stat().st_size > 10_000
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(output_dir / "deck-page")],
                       check=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(browser_path() is None, reason="image export needs Chromium")
def test_png_and_svg_are_valid_images(result, output_dir) -> None:
    from PIL import Image

    fig = figures.to_figure(figures.data.fan_chart(result))
    png = figure_bytes(fig, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    assert image.size == (2400, 1350)
    svg = figure_bytes(fig, "svg")
    assert svg.lstrip().startswith(b"<svg") and b"</svg>" in svg
    (output_dir / "fan-chart.png").write_bytes(png)


def test_image_export_without_a_browser_says_so(monkeypatch) -> None:
    from tco import images

    monkeypatch.setattr(images, "_server_started", False)
    monkeypatch.setattr(images, "browser_path", lambda: None)
    with pytest.raises(ImageExportUnavailable, match="needs Chromium"):
        figure_bytes(figures.to_figure(figures.data.regret(
            tco.simulate(tco.load_scenario(STORY), paths=100, seed=1))), "png")


def test_import_tco_does_not_import_streamlit() -> None:
    out = subprocess.run([sys.executable, "-c", "import sys, tco, tco.figures, tco.deck, tco.export; "
                          "print('streamlit' in sys.modules)"], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_write_atomic_refuses_a_folder_and_leaves_nothing(tmp_path) -> None:
    """'deck -o DIR' left DIR.tmp behind, next to a traceback."""
    target = tmp_path / "plan"
    target.mkdir()
    with pytest.raises(IsADirectoryError):
        export.write_atomic(target, b"deck")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]
    assert list(target.iterdir()) == []


def test_write_atomic_syncs_and_cleans_up_on_error(tmp_path, monkeypatch) -> None:
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    export.write_atomic(tmp_path / "a.csv", b"1")
    assert synced, "the bytes reach the disk before the rename"

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        export.write_atomic(tmp_path / "b.csv", b"2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert (tmp_path / "a.csv").read_bytes() == b"1"


def test_monthly_lines_and_fiscal_years_add_up(result) -> None:
    """The monthly export's deterministic column sums to the deterministic model's undiscounted
    total per strategy; the fiscal-year roll-up regroups the same money (none lost or doubled);
    calendar months follow the start month, and fiscal years are named by the year they end in."""
    monthly = export.monthly_lines(result)
    ev = tco.evaluate(result.scenario)
    totals = monthly.groupby("strategy", sort=False)["deterministic_usd"].sum()
    assert totals.to_numpy() == pytest.approx(ev.monthly.groupby("strategy", sort=False)["usd"].sum()
                                              .to_numpy(), rel=1e-12)
    fiscal = export.fiscal_years(result)
    assert fiscal["mean_usd"].sum() == pytest.approx(monthly["mean_usd"].sum(), rel=1e-12)
    assert (monthly["discounted"] == "no").all()
    start = result.scenario.inputs.start
    first = monthly[monthly["month"] == 0].iloc[0]
    assert first["calendar_month"] == start
    assert first["fiscal_year"] == f"FY{start[:4]}"  # fiscal_year_start_month 1: FY = calendar year
    assert calendar.fiscal_year("2026-07", 0, 7) == "FY2027"
    assert calendar.fiscal_year("2026-06", 0, 7) == "FY2026"


def test_summary_and_paths_count_events_fired_one_way(result) -> None:
    """summary.csv's events_<kind> is the mean over paths of paths.csv's events_<kind>.<strategy>:
    both are the kernel's count, events on the options the strategy relied on in months it carried
    traffic on them. The per-option draws (events.<kind>.<option>) count more: draws after an
    exit, repeats of one-off kinds and options the strategy does not use; columns.csv says which."""
    summary = pd.read_csv(io.BytesIO(export.summary_csv(result))).set_index("strategy")
    paths = pd.read_csv(io.BytesIO(export.paths_csv(result)))
    kinds = {risk.kind for risk in result.scenario.risks}
    fired = [c for c in paths.columns if c.startswith("events_")]
    assert len(fired) == len(kinds) * len(result.strategies)
    for kind in kinds:
        for name in result.strategies:
            column = paths[f"events_{kind}.{name}"]
            assert column.dtype.kind == "i" and (column >= 0).all()
            assert column.mean() == pytest.approx(summary.loc[name, f"events_{kind}"], rel=1e-12)
    drawn = paths["events.licence_change.llama-70b"]
    assert drawn.mean() > paths["events_licence_change.self-host"].mean()  # counted once, drawn often
    notes = pd.read_csv(io.BytesIO(export.columns_csv(result)), keep_default_na=False).set_index("column")
    for column in ("events_exit", "events_exit.hybrid"):
        assert "carried traffic" in notes.loc[column, "description"], column
    assert notes.loc["events_exit.hybrid", "label"] == "Strategy hybrid: Vendor exit events fired"
    assert "drawn" in notes.loc["events.exit.frontier-api", "label"]
