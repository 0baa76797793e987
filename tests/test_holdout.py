"""Out-of-sample coverage: the ledger truncated at a cut-off, risks refitted on it, cohorts after it."""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest

import tco.holdout as holdout
import tco.ledger as ledger
from tco.cli import main
from tco.load import load_scenario
from tests.conftest import BASE, ROOT

D = dt.date


def _row(**values) -> dict:
    row = dict.fromkeys(ledger.COLUMNS)
    row.update(source="https://example.org", derived_from="curated", as_of=D(2024, 12, 31))
    row.update(values)
    return row


SYNTHETIC = pd.DataFrame([
    _row(date=D(2023, 1, 1), provider="a", model="a-1", kind="release_open"),
    _row(date=D(2023, 1, 1), provider="b", model="b-1", kind="release_open"),
    _row(date=D(2023, 6, 1), provider="a", model="a-1", kind="licence_change", direction="tightened"),
    _row(date=D(2024, 3, 1), provider="a", model="a-2", kind="release_closed"),
    _row(date=D(2024, 5, 1), provider="b", model="b-1", kind="licence_change", direction="tightened"),
    _row(date=D(2023, 1, 1), provider="x", model="m1", kind="release_api", released=D(2023, 1, 1)),
    _row(date=D(2025, 2, 1), provider="b", model="b-2", kind="licence_change", direction="tightened",
         as_of=D(2025, 6, 30)),
], columns=list(ledger.COLUMNS))
"""Two open families from 2023-01-01, three restrictive turns before 2025 (a tightened licence
and a closed flagship for a, a tightened licence for b), one after; one closed API model."""


def test_truncate_drops_later_rows_and_clips_as_of() -> None:
    cut = holdout.truncate(SYNTHETIC, D(2025, 1, 1))
    assert len(cut) == 6 and max(cut["date"]) < D(2025, 1, 1)
    assert max(cut["as_of"]) == D(2024, 12, 31)


def test_refit_takes_the_rate_of_restrictive_turns_before_the_cut_off() -> None:
    """Exposure: two families x 730 days (2023-01-01 to 2024-12-31) / 365.25 = 3.9973 family-years;
    3 restrictive turns give 0.75051 a year, so p = 1 - exp(-0.75051) = 0.52788. The story's
    deprecation risk is kept (no retirement before the cut-off), and so are its exit and its
    GPU price shock (no ledger kind)."""
    result = holdout.refit(BASE, holdout.truncate(SYNTHETIC, D(2025, 1, 1)))
    licence = next(r for r in result.scenario.risks if r.kind == "licence_change")
    exposure = 2 * 730 / 365.25
    assert licence.annual_probability == pytest.approx(1 - math.exp(-3 / exposure), rel=1e-12)
    assert licence.annual_probability == pytest.approx(0.52788, abs=1e-5)
    for before, after in zip(BASE.risks, result.scenario.risks, strict=True):
        if before.kind == "deprecation":  # no retirement before the cut-off: each kept as it was
            assert after.annual_probability == before.annual_probability
    assert any("Licence change on llama-70b, llama-hosted: annual probability 52.8% (3 events)" in n
               for n in result.notes)
    assert any("Vendor exit on frontier-api: kept" in n for n in result.notes)


def test_coverage_scores_only_cohorts_from_the_cut_off() -> None:
    """regulated-in-house: its licence hazard (0.1/yr in the file before this change) refitted on
    the ledger before 2025 is scored on the 12-month cohorts 2025-01 to 2025-12; in-sample and
    out-of-sample score the same realised histories."""
    sc = load_scenario(ROOT / "scenarios" / "regulated-in-house.yaml")
    rows = holdout.coverage({"regulated": sc}, "2025-01", paths=300)
    assert [r["window_months"] for r in rows if r["scenario"] == "regulated"] == [12]
    row = next(r for r in rows if r["scenario"] == "regulated")
    a, b = row["in_sample"], row["out_of_sample"]
    assert a["cells"] == b["cells"] > 0 and a["first_cohort"] == b["first_cohort"] == "2025-01"
    assert any(n.startswith("Licence change on llama-owned") for n in row["refit"])
    assert 0 <= b["coverage"] <= 1 and b["coverage"] + b["below_p5"] + b["above_p95"] == pytest.approx(1)
    from tco.ui.history_tab import out_of_sample_table

    table = out_of_sample_table([row])
    assert table["Risks fitted on"].tolist() == ["the whole ledger (as shipped)",
                                                 "ledger events before 2025-01"]
    assert table["Inside simulated P5-P95 (90% if calibrated)"].iloc[1] == f"{b['coverage']:.0%}"


def test_backtest_json_carries_out_of_sample_coverage(capsys) -> None:
    path = str(ROOT / "scenarios" / "licence-threshold.yaml")
    assert main(["backtest", path, "--paths", "200", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    window = data["calibration"]["windows"][0]
    assert data["calibration"]["cutoff"] == "2025-01"
    assert {"in_sample", "out_of_sample", "refit"} <= set(window)
    assert data["units"]["coverage"].startswith("fraction")


def test_a_bad_cutoff_is_one_line_and_exit_2(capsys) -> None:
    path = str(ROOT / "scenarios" / "licence-threshold.yaml")
    assert main(["backtest", path, "--paths", "200", "--json", "--cutoff", "2025-13"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --cutoff: ") and "\n" not in err
