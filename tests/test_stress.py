"""Stress tests: an exit's switching cost against a closed form."""

from __future__ import annotations

import pytest

from tco.stress import stress
from tests.conftest import build


def test_exit_switching_cost_in_a_stress_test() -> None:
    """Exit of the API in month 3 (r = 0): traffic moves to the $0.002 backup for months 3-11
    (-9 x $4,000), plus (10 weeks x $1,000 + $5,000) x (1 - 0.25) + one month of dual running on
    the backup (1M x $0.002): impact = -36,000 + 11,250 + 2,000 = -$22,750."""
    sc = build(**{"strategies__api-only__portability": 0.25},
               switching={"engineer_weeks": 10, "usd_per_engineer_week": 1000,
                          "dual_running_months": 1, "dual_running_share": 1.0, "one_off_usd": 5000})
    frame = stress(sc, "exit", "api", 3)
    assert frame["impact_usd"].iloc[0] == pytest.approx(-22_750.0, rel=1e-12)
