"""Sensitivity: the tornado by hand and the global ranking of a single linear driver."""

from __future__ import annotations

import pytest

import tco
from tco.sensitivity import global_ranking, tornado
from tests.conftest import build


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
