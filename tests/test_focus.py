"""FOCUS-shaped forecast rows: sums, discounts, commitments and the files ``run --focus-dir`` writes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import tco.lines as lines
from tco.cli import main
from tco.focus import (
    CHARGES,
    COMMITMENT_COLUMNS,
    COMMITMENT_FILE,
    COST_COLUMNS,
    COST_FILE,
    NOTES_FILE,
    commitment_rows,
    cost_rows,
    files,
    read_cost_rows,
)
from tco.simulate import simulate
from tests.conftest import HOSTED, PER_REQUEST_API, SCENARIOS, STORY, build, raw

ONE_API = raw()
ONE_API["options"].pop("backup")
ONE_API["strategies"] = {"api-only": {"mix": {"api": 1.0}}}
"""API_ONLY with a single option and no fallback: every token line belongs to 'api'."""


def _mean(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["x_Statistic"] == "mean"]


def test_mean_rows_add_up_to_the_closed_form_total() -> None:
    """1,000,000 requests a month x $0.006 (1,000 input tokens x $3/M + 200 output x $15/M) for
    12 months, no growth, no risk: $72,000 undiscounted, every row on the one option."""
    result = simulate(build(ONE_API), paths=64, seed=1)
    rows = _mean(cost_rows(result))
    assert rows["EffectiveCost"].sum() == pytest.approx(12 * 1_000_000 * PER_REQUEST_API, rel=1e-9)
    assert set(rows["x_Option"]) == {"api"} and not rows["x_OptionShared"].any()
    assert (rows["ListCost"] == rows["EffectiveCost"]).all()  # no commitment: list is effective
    assert rows["BillingPeriodStart"].iloc[0] == "2026-12-01T00:00:00Z"  # the default start
    assert rows["BillingPeriodEnd"].iloc[0] == "2027-01-01T00:00:00Z"  # exclusive end


def test_a_commitment_discount_is_list_cost_minus_effective_cost() -> None:
    """List usage $6,000 a month; a $4,000 monthly commitment at 20% off for 6 of 12 months: the
    bill is 0.8 x 6,000 = $4,800 (above the minimum, no shortfall) in months 0-5, $6,000 after.
    EffectiveCost sums to 6 x 4,800 + 6 x 6,000 = $64,800; ListCost - EffectiveCost is
    0.2 x 6,000 = $1,200 in each committed month, $7,200 in all. The contract row: $24,000 over
    the six months from 2026-12-01 to 2027-06-01, a Spend commitment."""
    data = raw(ONE_API)
    data["options"]["api"]["commitment"] = {"usd_per_month": 4_000, "discount": 0.2, "term_months": 6}
    result = simulate(build(data), paths=64, seed=1)
    rows = _mean(cost_rows(result)).sort_values("x_Month")
    assert rows["EffectiveCost"].sum() == pytest.approx(64_800, rel=1e-9)
    discount = (rows["ListCost"] - rows["EffectiveCost"]).to_numpy()
    np.testing.assert_allclose(discount, [1_200] * 6 + [0] * 6, rtol=1e-9, atol=1e-9)
    committed = rows[rows["x_Month"] < 6]
    assert set(committed["CommitmentDiscountStatus"]) == {"Used"}
    assert set(committed["CommitmentDiscountCategory"]) == {"Spend"}
    contract = commitment_rows(result)
    assert len(contract) == 1
    row = contract.iloc[0]
    assert row["ContractCommitmentCost"] == pytest.approx(24_000)
    assert row["ContractCommitmentCategory"] == "Spend"
    assert (row["ContractCommitmentPeriodStart"], row["ContractCommitmentPeriodEnd"]) == (
        "2026-12-01T00:00:00Z", "2027-06-01T00:00:00Z")
    assert json.loads(committed["ContractApplied"].iloc[0]) == [
        {"ContractCommitmentId": row["ContractCommitmentId"]}]


def test_a_negotiated_discount_is_list_cost_minus_contracted_cost() -> None:
    """One option at 20% off list: 1,000,000 requests a month of 1,000 input and 200 output tokens
    are 1e9 input tokens x $3/M + 2e8 output tokens x $15/M = $6,000 a month at list price, so
    ListCost sums to 12 x 6,000 = $72,000 and EffectiveCost = ContractedCost to 0.8 x 72,000 =
    $57,600 (FOCUS: the contracted price includes negotiated discounts, listcost.md and
    contractedunitprice.md)."""
    data = raw(ONE_API)
    data["options"]["api"]["list_price_discount"] = 0.2
    rows = _mean(cost_rows(simulate(build(data), paths=64, seed=1)))
    assert rows["ListCost"].sum() == pytest.approx(12 * 1_000_000 * PER_REQUEST_API, rel=1e-12)
    assert rows["EffectiveCost"].sum() == pytest.approx(0.8 * 72_000, rel=1e-12)
    np.testing.assert_allclose(rows["ContractedCost"], rows["EffectiveCost"], rtol=1e-15)
    np.testing.assert_allclose(rows["ListCost"], 6_000, rtol=1e-12)
    np.testing.assert_allclose(rows["ListUnitPrice"] * rows["PricingQuantity"], rows["ListCost"], rtol=1e-15)


def test_negotiated_and_commitment_discounts_split_across_the_three_costs() -> None:
    """20% off the option, 25% off the strategy, and a $1,000 monthly commitment at 10% off for 6
    of 12 months: $6,000 a month at list, 0.8 x 0.75 x 6,000 = $3,600 contracted, 0.9 x 3,600 =
    $3,240 effective in the committed months (above the minimum: no shortfall). ListCost sums to
    $72,000, ContractedCost to 12 x 3,600 = $43,200, EffectiveCost to 6 x 3,240 + 6 x 3,600 =
    $41,040: the negotiated discount is ListCost - ContractedCost, the commitment's
    ContractedCost - EffectiveCost ($360 in each committed month)."""
    data = raw(ONE_API)
    data["options"]["api"]["list_price_discount"] = 0.2
    data["options"]["api"]["commitment"] = {"usd_per_month": 1_000, "discount": 0.1, "term_months": 6}
    data["strategies"]["api-only"]["list_price_discount"] = 0.25
    rows = _mean(cost_rows(simulate(build(data), paths=64, seed=1))).sort_values("x_Month")
    assert set(rows["x_CostLine"]) == {"api_tokens"}
    assert rows["ListCost"].sum() == pytest.approx(72_000, rel=1e-12)
    assert rows["ContractedCost"].sum() == pytest.approx(43_200, rel=1e-12)
    assert rows["EffectiveCost"].sum() == pytest.approx(41_040, rel=1e-12)
    np.testing.assert_allclose(rows["ContractedCost"] - rows["EffectiveCost"], [360] * 6 + [0] * 6,
                               rtol=1e-9, atol=1e-9)


def test_a_sampled_discount_adds_back_each_paths_own_discount() -> None:
    """A discount drawn per path, triangular [0.1, 0.15, 0.4] (mode 0.15, mean 0.2167): each
    path pays 72,000 x (1 - n_p) and lists 72,000, so ListCost sums to $72,000 to rounding.
    Adding back the mode instead would give 72,000 x (1 - mean n) / 0.85, about $66,350."""
    data = raw(ONE_API)
    data["options"]["api"]["list_price_discount"] = {"triangular": [0.1, 0.15, 0.4]}
    rows = _mean(cost_rows(simulate(build(data), paths=256, seed=1)))
    assert rows["ListCost"].sum() == pytest.approx(72_000, rel=1e-9)
    assert rows["EffectiveCost"].sum() < 0.85 * 72_000


def test_a_reservation_is_a_usage_commitment_in_gpu_hours() -> None:
    """2 GPUs reserved for 6 months at $1.50 per GPU-hour: 2 x 730 x 6 = 8,760 GPU-hours and
    $13,140; each reserved month's row prices 1,460 GPU-hours at $1.50 = $2,190."""
    data = raw()
    data["options"] = {"llm": {**HOSTED, "reserved": {"gpus": 2, "usd_per_gpu_hour": 1.5,
                                                      "term_months": 6}}}
    data["strategies"] = {"self-host": {"mix": {"llm": 1.0}}}
    result = simulate(build(data), paths=64, seed=1)
    contract = commitment_rows(result).iloc[0]
    assert contract["ContractCommitmentQuantity"] == pytest.approx(8_760)
    assert contract["ContractCommitmentCost"] == pytest.approx(13_140)
    assert (contract["ContractCommitmentUnit"], contract["ContractCommitmentCategory"]) == ("Hours", "Usage")
    reserved = _mean(cost_rows(result)).query("x_CostLine == 'reserved_gpus'")
    assert len(reserved) == 6
    assert reserved["PricingQuantity"].tolist() == [1_460.0] * 6
    np.testing.assert_allclose(reserved["ListUnitPrice"], 1.5, rtol=1e-12)
    np.testing.assert_allclose(reserved["EffectiveCost"], 2_190, rtol=1e-12)
    assert set(reserved["ChargeCategory"]) == {"Purchase"}


def test_percentile_rows_without_uncertainty_are_the_monthly_cost() -> None:
    """With nothing uncertain every path costs $6,000 a month, so P50 = P95 = $6,000 (to float32
    rounding of the cumulative cost, 72,000 x 2^-24 < $0.01)."""
    rows = cost_rows(simulate(build(ONE_API), paths=64, seed=1))
    for statistic in ("p50", "p95"):
        part = rows[rows["x_Statistic"] == statistic]
        assert len(part) == 12 and set(part["x_CostLine"]) == {"total"}
        np.testing.assert_allclose(part["EffectiveCost"], 6_000, atol=0.01)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_mean_rows_equal_the_expected_undiscounted_total(path) -> None:
    """Independent oracle: the mean over paths of each path's undiscounted cumulative cost at the
    horizon (the kernel's float32 running total, so 1e-6 relative), against the FOCUS rows."""
    from tco.load import load_scenario

    result = simulate(load_scenario(path), paths=256, seed=3)
    rows = _mean(cost_rows(result))
    for s_i, name in enumerate(result.strategies):
        total = rows.loc[rows["x_Strategy"] == name, "EffectiveCost"].sum()
        expected = result.cumulative_usd[:, s_i, -1].astype(np.float64).mean()
        assert total == pytest.approx(expected, rel=1e-6), name
    assert (rows["ListCost"] >= rows["EffectiveCost"] - 1e-9).all()
    assert not (rows["ChargeCategory"].eq("Purchase") & rows["ChargeFrequency"].eq("Usage-Based")).any()


def test_every_declared_line_reads_as_a_focus_charge() -> None:
    assert set(CHARGES) == set(lines.NAMES)
    for charge in CHARGES.values():
        assert charge.category in {"Usage", "Purchase", "Credit"}
        assert charge.frequency in {"One-Time", "Recurring", "Usage-Based"}


def test_files_say_they_are_forecasts_in_focus_columns() -> None:
    result = simulate(build(ONE_API), paths=64, seed=1)
    out = files(result)
    cost = read_cost_rows(out[COST_FILE])
    assert tuple(cost.columns) == COST_COLUMNS
    assert cost["x_Forecast"].all() and set(cost["ServiceCategory"]) == {"AI and Machine Learning"}
    assert set(cost["ServiceSubcategory"]) == {"Generative AI"}
    assert tuple(pd.read_csv(__import__("io").BytesIO(out[COMMITMENT_FILE])).columns) == COMMITMENT_COLUMNS
    notes = json.loads(out[NOTES_FILE])
    assert notes["what"].startswith("Forecast, not billing data. FOCUS defines billing data")
    assert notes["focus_version"] == "1.3" and notes["provenance"]["seed"] == 1


def test_run_focus_dir_writes_the_files(tmp_path, capsys) -> None:
    target = tmp_path / "focus"
    assert main(["run", str(SCENARIOS[0]), "--paths", "200", "--focus-dir", str(target), "--json"]) == 0
    assert sorted(p.name for p in target.iterdir()) == sorted([COST_FILE, COMMITMENT_FILE, NOTES_FILE])
    capsys.readouterr()


def test_run_focus_dir_on_a_file_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    assert main(["run", str(SCENARIOS[0]), "--focus-dir", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --focus-dir: ") and "\n" not in err


def _statistic(frame: pd.DataFrame, statistic: str) -> pd.DataFrame:
    return frame[frame["x_Statistic"] == statistic].sort_values(["x_Strategy", "x_Month"])


def test_p95_list_cost_is_the_p95_of_each_paths_list_total() -> None:
    """Growth drawn per path (uniform 0-5% a month) spreads the months' costs; a fixed 20%
    negotiated discount makes every path's list total its paid total / 0.8, and a percentile of
    values all divided by 0.8 is the percentile divided by 0.8 (linear interpolation between the
    same two order statistics): P95 ListCost = P95 EffectiveCost / 0.8, and so for P50, to
    rounding. ContractedCost equals EffectiveCost (no commitment)."""
    data = raw(ONE_API)
    data["workload"]["growth_per_month"] = {"uniform": [0.0, 0.05]}
    data["options"]["api"]["list_price_discount"] = 0.2
    frame = cost_rows(simulate(build(data), paths=512, seed=4))
    for statistic in ("p50", "p95"):
        part = _statistic(frame, statistic)
        np.testing.assert_allclose(part["ListCost"], part["EffectiveCost"] / 0.8, rtol=1e-12)
        np.testing.assert_allclose(part["ContractedCost"], part["EffectiveCost"], rtol=1e-15)
        np.testing.assert_allclose(part["ListUnitPrice"], part["ListCost"], rtol=1e-15)
    p95 = _statistic(frame, "p95")["EffectiveCost"].to_numpy()
    assert p95[-1] > 1.4 * p95[0]  # the paths do spread: month 11 of a growing workload


def test_percentile_rows_split_a_commitment_from_the_negotiated_discounts() -> None:
    """No uncertainty: every path pays the test above's three prices. $6,000 list a month, 20% off
    the option and 25% off the strategy: $3,600 contracted; a $1,000 minimum at 10% off for 6
    months: $3,240 paid in months 0-5. P50 = P95 = those (each path the same)."""
    data = raw(ONE_API)
    data["options"]["api"]["list_price_discount"] = 0.2
    data["options"]["api"]["commitment"] = {"usd_per_month": 1_000, "discount": 0.1, "term_months": 6}
    data["strategies"]["api-only"]["list_price_discount"] = 0.25
    frame = cost_rows(simulate(build(data), paths=64, seed=1))
    for statistic in ("p50", "p95"):
        part = _statistic(frame, statistic)
        np.testing.assert_allclose(part["ListCost"], 6_000, rtol=1e-12)
        np.testing.assert_allclose(part["ContractedCost"], 3_600, rtol=1e-12)
        np.testing.assert_allclose(part["EffectiveCost"], [3_240] * 6 + [3_600] * 6, rtol=1e-12)


def test_a_shortfall_reads_the_same_at_every_price_level() -> None:
    """A $5,000 minimum at 10% off for 12 months on $6,000 list usage at 20% off: usage is billed
    0.9 x 4,800 = $4,320, the shortfall is 5,000 - 4,320 = $680 a month. ListCost of the token
    row $6,000, ContractedCost $4,800; the shortfall row $680 in all three columns (it is no
    discount): ListCost sums to 12 x 6,680 = $80,160."""
    data = raw(ONE_API)
    data["options"]["api"]["list_price_discount"] = 0.2
    data["options"]["api"]["commitment"] = {"usd_per_month": 5_000, "discount": 0.1, "term_months": 12}
    rows = _mean(cost_rows(simulate(build(data), paths=64, seed=1)))
    shortfall = rows[rows["x_CostLine"] == "commitment_shortfall"]
    tokens = rows[rows["x_CostLine"] == "api_tokens"]
    for column in ("ListCost", "ContractedCost", "EffectiveCost"):
        np.testing.assert_allclose(shortfall[column], 680, rtol=1e-9)
    np.testing.assert_allclose(tokens["ListCost"], 6_000, rtol=1e-12)
    np.testing.assert_allclose(tokens["ContractedCost"], 4_800, rtol=1e-12)
    assert rows["ListCost"].sum() == pytest.approx(80_160, rel=1e-12)


def test_dual_running_adds_back_its_discount_on_the_switching_line() -> None:
    """With no migration effort (no engineer weeks, no one-off) the switching line is dual running
    only: the moved traffic's month on the successor, at the strategy's 20% negotiated discount.
    Its list cost is then its paid cost / 0.8 in every month, however many deprecations fired."""
    data = raw(ONE_API)
    data["strategies"]["api-only"]["list_price_discount"] = 0.2
    data["switching"] = {"engineer_weeks": 0, "usd_per_engineer_week": 0, "dual_running_months": 1}
    data["risks"] = [{"kind": "deprecation", "on": ["api"], "annual_probability": 0.9,
                      "successor_price_multiplier": 1.0}]
    rows = _mean(cost_rows(simulate(build(data), paths=256, seed=2)))
    switching = rows[rows["x_CostLine"] == "switching"]
    assert len(switching) > 6
    np.testing.assert_allclose(switching["ListCost"], switching["EffectiveCost"] / 0.8, rtol=1e-12)


def test_mean_list_rows_add_up_to_the_mean_of_each_paths_list_total() -> None:
    """Independent of the rows' split: on every path the list total is what that path bills with
    the discounts lifted, whatever the discount drew; the mean rows' ListCost summed over lines
    and months equals the mean over paths of those totals (the reprice's per-path array)."""
    from tco.focus.reprice import reprice

    data = raw(ONE_API)
    data["options"]["api"]["list_price_discount"] = {"triangular": [0.1, 0.15, 0.4]}
    data["strategies"]["api-only"]["list_price_discount"] = {"uniform": [0.0, 0.1]}
    result = simulate(build(data), paths=256, seed=5)
    rows = _mean(cost_rows(result))
    per_path = reprice(result).list_usd.sum(axis=2).mean(axis=0)
    assert rows["ListCost"].sum() == pytest.approx(float(per_path[0]), rel=1e-12)
    assert rows["ListCost"].sum() == pytest.approx(72_000, rel=1e-12)


def test_the_repriced_paths_are_the_simulated_ones() -> None:
    """The list-price runs cost the simulation's own paths again (``tco.engine.draw`` reproduces
    ``simulate``'s draws): on the flagship story with a 10% strategy discount (so the paths are
    costed again), with sampled inputs and events, the paid run's monthly costs add up to the
    simulation's float32 cumulative cost on every path, strategy and month, to float32 rounding
    (2^-24 of the cumulative cost)."""
    from tco.focus.reprice import reprice
    from tco.load import load_scenario, with_changes

    sc = with_changes(load_scenario(STORY), {"strategies.api-only.list_price_discount": 0.1})
    result = simulate(sc, paths=256, seed=3)
    paid = np.cumsum(reprice(result).effective_usd, axis=2)
    np.testing.assert_allclose(paid, result.cumulative_usd, rtol=2e-7, atol=1e-3)
    assert result.event_counts.sum() > 0  # events fired, so the paths differ from one another
