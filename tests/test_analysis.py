"""Sensitivity, portability, lock-in premium and stress tests against closed forms or reruns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import tco
from tco.inputs import resolve
from tco.report import stale_days
from tco.scenario import with_changes
from tco.sensitivity import global_ranking, tornado
from tco.stress import stress
from tests.conftest import build

Z = 4.0  # standard errors; a correct engine fails a check by chance with probability about 6e-5
R, PER_REQUEST_API, PER_REQUEST_BACKUP = 1e6, 0.006, 0.002  # API_ONLY: 1M requests, $/request


def test_tornado_by_hand() -> None:
    """API_ONLY at r = 0: NPV = 12 x 1M x (1,000 x $3 + 200 x P_out) / 1e6 = $72,000 at P_out = $15.
    Output price -20%/+20% ($12/$18) moves NPV by -/+ 12 x 200 x 3 = $7,200; requests +-20% moves it
    by +-$14,400."""
    frame = tornado(build()).set_index("input")
    row = frame.loc["options.api.output_usd_per_mtok"]
    assert (row["low_value"], row["high_value"]) == pytest.approx((12.0, 18.0))
    assert (row["npv_low_usd"], row["npv_high_usd"]) == pytest.approx((64_800.0, 79_200.0), rel=1e-12)
    volume = frame.loc["workload.requests_per_month"]
    assert volume["swing_usd"] == pytest.approx(28_800.0, rel=1e-12)
    assert frame["swing_usd"].is_monotonic_decreasing
    assert not any(i.startswith("risks.") for i in frame.index)


def test_global_ranking_of_a_single_linear_driver() -> None:
    """With one uniform input driving NPV linearly and no risks, Spearman rho is 1 and the binned
    first-order share is 1 - 1/bins^2 = 0.9975 (the within-bin variance of a uniform)."""
    sc = build(options__api__output_usd_per_mtok={"uniform": [10, 20]})
    frame = global_ranking(tco.simulate(sc, paths=20_000, seed=4))
    row = frame.iloc[0]
    assert row["input"] == "input.options.api.output_usd_per_mtok"
    assert row["spearman_rho"] == pytest.approx(1.0)
    assert row["variance_share"] == pytest.approx(0.9975, abs=0.002)


def test_lock_in_premium_closed_form() -> None:
    """Price jumps x1.5 with monthly probability q and nothing else random: the premium is
    sum_t R c ((1 - q + 1.5 q)^(t + 1) - 1) at r = 0."""
    sc = build(risks=[{"kind": "price_change", "on": ["api"], "annual_probability": 0.4,
                       "multiplier": 1.5}])
    result = tco.simulate(sc, paths=20_000, seed=8)
    q = 1 - 0.6 ** (1 / 12)
    expected = sum(R * PER_REQUEST_API * ((1 - q + 1.5 * q) ** (t + 1) - 1) for t in range(12))
    premium = result.summary().loc["api-only", "lock_in_premium"]
    se = result.npv_usd[:, 0].std(ddof=1) / np.sqrt(result.paths)  # the no-event NPV is constant
    assert abs(premium - expected) < Z * se


def test_exit_switching_cost_in_a_stress_test() -> None:
    """Exit of the API in month 3 (r = 0): traffic moves to the $0.002 backup for months 3-11
    (-9 x $4,000), plus (10 weeks x $1,000 + $5,000) x (1 - 0.25) + one month of dual running on
    the backup (1M x $0.002): impact = -36,000 + 11,250 + 2,000 = -$22,750."""
    sc = build(**{"strategies__api-only__portability": 0.25},
               switching={"engineer_weeks": 10, "usd_per_engineer_week": 1000,
                          "dual_running_months": 1, "one_off_usd": 5000})
    frame = stress(sc, "exit", "api", 3)
    assert frame["impact_usd"].iloc[0] == pytest.approx(-22_750.0, rel=1e-12)


def test_value_of_portability_matches_reruns() -> None:
    """The linear shortcut must equal two full reruns at portability 0 and 1 on the same seed."""
    sc = build(switching={"engineer_weeks": {"triangular": [2, 6, 20]}, "usd_per_engineer_week": 8000,
                          "dual_running_months": 1, "one_off_usd": 3000},
               risks=[{"kind": "deprecation", "on": ["api"], "annual_probability": 0.7},
                      {"kind": "exit", "on": ["api"], "annual_probability": 0.2}],
               **{"strategies__api-only__portability": 0.4})
    row = tco.simulate(sc, paths=4000, seed=2).portability_value().iloc[0]
    at = {p: tco.simulate(with_changes(sc, {"strategies.api-only.portability": p}), paths=4000,
                          seed=2).npv_usd[:, 0] for p in (0.0, 1.0)}
    assert row["mean_saving_usd"] == pytest.approx(at[0.0].mean() - at[1.0].mean(), rel=1e-9)
    assert row["p95_saving_usd"] == pytest.approx(
        np.percentile(at[0.0], 95) - np.percentile(at[1.0], 95), rel=1e-9)
    assert row["mean_saving_usd"] > 0


def test_stale_prices_are_flagged_and_nothing_else() -> None:
    story = tco.load_scenario("scenarios/open-model-goes-closed.yaml")
    params = resolve(story).params
    today = dt.date(2026, 11, 22)
    assert stale_days(params["options.frontier-api.input_usd_per_mtok"], today) is None  # 13 days
    old = resolve(build(options__api__catalog="anthropic/claude-sonnet-4-6")).params
    assert stale_days(old["options.api.batch_discount"], today) is None  # not a price in USD
    assert stale_days(params["options.frontier-api.input_usd_per_mtok"], dt.date(2027, 3, 1)) == 112
    assert stale_days(params["workload.requests_per_month"], dt.date(2030, 1, 1)) is None
