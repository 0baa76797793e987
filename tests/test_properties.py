"""Property-based invariants of simulated NPVs: monotone in prices and risk, linear in money."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tco
from tco.load import with_changes
from tests.conftest import BASE, HOSTED, build, raw


def npv(sc, paths: int = 512) -> np.ndarray:
    return tco.simulate(sc, paths=paths, seed=11).npv_usd


BASE_NPV = npv(BASE)


@settings(max_examples=12, deadline=None)
@given(k=st.floats(1.0, 3.0))
def test_dearer_inputs_never_make_a_path_cheaper(k: float) -> None:
    dearer = with_changes(BASE, {
        "options.frontier-api.input_usd_per_mtok": 3.0 * k,
        "options.frontier-api.cached_input_usd_per_mtok": 0.3 * k,
        "options.frontier-api.output_usd_per_mtok": 15.0 * k,
        "options.llama-70b.usd_per_gpu_hour": {"triangular": [1.99 * k, 2.5 * k, 3.5 * k]},
        "options.llama-70b.usd_per_fte_year": 220_000 * k})
    assert np.all(npv(dearer) >= BASE_NPV - 1e-6 * np.abs(BASE_NPV))


@settings(max_examples=12, deadline=None)
@given(p=st.floats(0.1, 0.95))
def test_likelier_cost_raising_event_never_lowers_a_path(p: float) -> None:
    """Risk 4 (GPU price_change on llama-70b, multiplier >= 1.1) at probability 0.1 vs p >= 0.1."""
    likelier = with_changes(BASE, {"risks.4.annual_probability": p})
    assert np.all(npv(likelier) >= BASE_NPV - 1e-6 * np.abs(BASE_NPV))


def money_scenario(k: float):
    data = raw()
    data["options"]["api"].update(input_usd_per_mtok=3 * k, cached_input_usd_per_mtok=0.3 * k,
                                  output_usd_per_mtok=15 * k)
    data["options"]["backup"].update(input_usd_per_mtok=1 * k, output_usd_per_mtok=5 * k)
    data["options"]["hosted"] = {
        **HOSTED, "usd_per_gpu_hour": {"triangular": [1.5 * k, 2 * k, 3 * k]},
        "usd_per_fte_year": 120_000 * k, "setup_usd": 50_000 * k, "escalation_share": 0.05,
        "missing_components": [{"name": "guard", "setup_usd": 10_000 * k, "usd_per_month": 500 * k}],
        "price_volatility_per_year": 0.2}
    data["workload"]["monthly_active_users"] = 1e6
    data["workload"]["mau_growth_per_month"] = 0.1
    data["options"]["hosted"]["licence"] = {"mau_threshold": 2e6, "usd_per_month_above": 3000 * k}
    data["strategies"]["self"] = {"mix": {"hosted": 0.8, "api": 0.2}, "fallback": "backup",
                                  "overhead_usd_per_month": 1000 * k, "portability": 0.3}
    data["switching"] = {"engineer_weeks": {"triangular": [1, 2, 6]}, "usd_per_engineer_week": 5000 * k,
                         "dual_running_months": 1, "one_off_usd": 1000 * k}
    data["risks"] = [
        {"kind": "price_change", "on": ["api", "hosted"], "annual_probability": 0.3,
         "multiplier": {"triangular": [0.8, 1.2, 2.0]}},
        {"kind": "deprecation", "on": ["api"], "annual_probability": 0.5},
        {"kind": "exit", "on": ["api", "hosted"], "annual_probability": 0.2},
        {"kind": "licence_change", "on": ["hosted"], "annual_probability": 0.3,
         "escalation_per_month": 0.05, "escalation_cap": 0.5}]
    return build(data)


@settings(max_examples=10, deadline=None)
@given(k=st.floats(0.1, 10.0))
def test_scaling_all_money_scales_every_result(k: float) -> None:
    base = tco.simulate(money_scenario(1.0), paths=300, seed=3)
    scaled = tco.simulate(money_scenario(k), paths=300, seed=3)
    assert scaled.npv_usd == pytest.approx(k * base.npv_usd, rel=1e-9)
    assert scaled.summary()["lock_in_premium"].to_numpy() == pytest.approx(
        k * base.summary()["lock_in_premium"].to_numpy(), rel=1e-9, abs=1e-6 * k)
