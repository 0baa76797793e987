"""Deterministic model against values computed by hand in each docstring."""

from __future__ import annotations

import numpy as np
import pytest

import tco
import tco.lines as lines
from tco.lines import NAMES as LINES
from tco.model import break_even, monthly_run_rate_usd
from tests.conftest import HOSTED, SCENARIOS, build, raw


def test_api_token_cost_by_hand() -> None:
    """1,000 in (20% cached) + 200 out at $3 / $0.30 / $15 per Mtok, 10% batchable at 50% off.

    per request = (800 x 3 + 200 x 0.3 + 200 x 15) / 1e6 = (2400 + 60 + 3000) / 1e6 = $0.00546
    x (1 - 0.1 x 0.5) = $0.005187; x 1,000,000 requests = $5,187.00 a month; 12 months at r = 0:
    $62,244.00.
    """
    sc = build(workload__cached_input_share=0.2, workload__batchable_share=0.1)
    det = tco.evaluate(sc)
    monthly = det.monthly.query("line == 'api_tokens'")["usd"].to_numpy()
    assert monthly == pytest.approx(np.full(12, 5187.0), rel=1e-12)
    assert det.npv_usd["api-only"] == pytest.approx(62_244.0, rel=1e-12)


def test_gpu_count_by_hand() -> None:
    """26,280,000 requests a month = 10 requests/s (2,628,000 s a month); 200 output tokens each.

    Peak = 10 x 2 (peak_to_average) = 20 req/s = 4,000 output tok/s. At 1,000 tok/s per GPU (measured
    override) and 60% target utilisation: 4,000 / 1,000 / 0.6 = 6.67 -> 7 one-GPU replicas.
    Rent 7 x 730 h x $2 = $10,220; ops 1 FTE x $120,000 / 12 = $10,000; total $20,220 a month.
    """
    data = raw()
    data["workload"] = {"requests_per_month": 26_280_000, "input_tokens_per_request": 1000,
                        "output_tokens_per_request": 200, "peak_to_average": 2.0}
    data["options"]["hosted"] = dict(HOSTED)
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    det = tco.evaluate(build(data))
    assert det.fleet["gpus"].to_numpy() == pytest.approx(np.full(12, 7.0))
    by_line = det.monthly.groupby("line")["usd"].sum() / 12
    assert by_line["gpu_rent"] == pytest.approx(10_220.0, rel=1e-12)
    assert by_line["ops_staff"] == pytest.approx(10_000.0, rel=1e-12)
    assert det.npv_usd["self"] == pytest.approx(12 * 20_220.0, rel=1e-12)
    # Average utilisation = average busy share = 10 req/s x 0.2 s / 7 replicas.
    assert det.fleet["utilization"].iloc[0] == pytest.approx(10 * 0.2 / 7, rel=1e-12)


def test_npv_of_constant_stream_against_annuity_formula() -> None:
    """C = $5,187 a month for 24 months at r = 10%/yr, month t discounted by (1 + r)^-((t + 1)/12).

    Geometric series with v = 1.1^(-1/12): NPV = C v (1 - v^24) / (1 - v).
    """
    sc = build(horizon_months=24, discount_rate_per_year=0.1, workload__cached_input_share=0.2,
               workload__batchable_share=0.1)
    v = 1.1 ** (-1 / 12)
    expected = 5187.0 * v * (1 - v**24) / (1 - v)
    assert tco.evaluate(sc).npv_usd["api-only"] == pytest.approx(expected, rel=1e-12)


def test_growth_and_price_trend_follow_the_contract() -> None:
    """Month t costs C (1 + g)^t (1 + trend)^(t/12): g = 2%/month, trend = -12%/yr."""
    sc = build(workload__growth_per_month=0.02, options__api__price_trend_per_year=-0.12)
    monthly = tco.evaluate(sc).monthly.query("line == 'api_tokens'")["usd"].to_numpy()
    t = np.arange(12)
    per_request = (1000 * 3 + 200 * 15) / 1e6
    assert monthly == pytest.approx(1e6 * per_request * 1.02**t * 0.88 ** (t / 12), rel=1e-12)


def test_setup_missing_components_and_licence_fee() -> None:
    """Setup $50k + component setup $10k in month 0; component $1k a month; licence $7k a month
    from the first month MAU (1M x 1.5^t) exceeds 2M: 1.5^t > 2 -> t >= 2."""
    data = raw()
    data["workload"]["monthly_active_users"] = 1_000_000
    data["workload"]["mau_growth_per_month"] = 0.5
    data["options"]["hosted"] = {**HOSTED, "setup_usd": 50_000,
                                 "missing_components": [{"name": "guard", "setup_usd": 10_000,
                                                         "usd_per_month": 1000}],
                                 "licence": {"mau_threshold": 2_000_000, "usd_per_month_above": 7000,
                                             "tested": "monthly"}}
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    lines = tco.evaluate(build(data)).monthly.pivot_table(index="month", columns="line", values="usd")
    assert lines["setup"].tolist() == [50_000.0] + [0.0] * 11
    assert lines["missing_components"].tolist() == [11_000.0] + [1000.0] * 11
    assert lines["licence"].tolist() == [0.0, 0.0] + [7000.0] * 10


def test_bought_hardware_capex_residual_and_power() -> None:
    """7 GPUs bought at $36,000 (3-year life) in month 0: capex 7 x 36,000 = $252,000 then;
    after 12 months each is worth 36,000 x (1 - 12/36), a credit of 7 x 24,000 = $168,000 in
    month 11; power 7 x 1.0 kW x 730 h x $0.10 x PUE 1.5 = $766.50 a month; no rent, index
    ignored. The amortised view is 7 x 36,000 / 36 = $7,000 a month plus power."""
    data = raw()
    data["workload"] = {"requests_per_month": 26_280_000, "input_tokens_per_request": 1000,
                        "output_tokens_per_request": 200, "peak_to_average": 2.0}
    hosted = {k: v for k, v in HOSTED.items() if k != "usd_per_gpu_hour"}
    hosted["purchase"] = {"usd_per_gpu": 36_000, "years": 3, "kw_per_gpu": 1.0, "usd_per_kwh": 0.1,
                          "pue": 1.5}
    hosted["price_trend_per_year"] = 0.5  # must not touch bought hardware
    data["options"]["hosted"] = hosted
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    evaluation = tco.evaluate(build(data))
    lines = evaluation.monthly.pivot_table(index="month", columns="line", values="usd")
    assert lines["gpu_capex"].tolist() == [252_000.0] + [0.0] * 11
    assert lines["residual_value"].tolist() == [0.0] * 11 + [pytest.approx(-168_000.0, rel=1e-12)]
    assert lines["power"].tolist() == pytest.approx([766.5] * 12, rel=1e-12)
    assert (lines["gpu_rent"] == 0.0).all()
    amortised = evaluation.amortised.loc["self"]
    assert amortised.tolist() == pytest.approx([7000.0 + 766.5 + lines.loc[t].drop(
        ["gpu_capex", "residual_value", "power"]).sum() for t in range(12)], rel=1e-12)


def test_escalated_traffic_billed_at_the_fallback() -> None:
    """10% of a self-hosted option's traffic goes to the API fallback: 0.1 x 1M x $0.006 = $600."""
    data = raw()
    data["options"]["hosted"] = {**HOSTED, "escalation_share": 0.1}
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    by_line = tco.evaluate(build(data)).monthly.groupby("line")["usd"].sum() / 12
    assert by_line["escalated_traffic"] == pytest.approx(0.1 * 1e6 * (1000 * 3 + 200 * 15) / 1e6)


def test_break_even_matches_an_independent_crossing() -> None:
    """API: V x $0.006 a month. Self-hosted at V: ceil(V peak T / util) GPUs x 730 x $2 + $10,000
    ops. The root must sit where the two run rates meet, checked on both sides."""
    data = raw()
    data["options"]["hosted"] = dict(HOSTED)
    data["strategies"]["self"] = {"mix": {"hosted": 1.0}, "fallback": "api"}
    sc = build(data)
    table = break_even(sc)
    row = table.query("api_option == 'api' and self_hosted_option == 'hosted'").iloc[0]
    v = row["break_even_requests_per_month"]
    assert np.isfinite(v)
    api_just_below = 0.999 * v * 0.006
    # Independent: one replica serves 1,000 tok/s x 0.6 / 200 tokens = 3 req/s at peak = 3 x 2,628,000
    # a month, far above v, so the fleet is min_replicas = 1 GPU: $1,460 + $10,000 = $11,460.
    assert v == pytest.approx(11_460.0 / 0.006, rel=1e-6)
    hosted_cost = monthly_run_rate_usd(sc, "hosted", np.array([0.999 * v, 1.001 * v]), fallback="api")
    assert hosted_cost[0] > api_just_below
    assert hosted_cost[1] < 1.001 * v * 0.006


def test_break_even_none_within_range() -> None:
    data = raw()
    data["options"]["hosted"] = {**HOSTED, "ops_fte": 1000.0}  # staff dwarf any API bill in range
    data["strategies"]["self"] = {"mix": {"hosted": 1.0}, "fallback": "api"}
    data["workload"]["requests_per_month"] = 1000
    row = break_even(build(data)).iloc[0]
    assert np.isnan(row["break_even_requests_per_month"])
    assert row["note"] == "the API is cheaper across the whole range"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_evaluate(path) -> None:
    det = tco.evaluate(tco.load_scenario(path))
    assert (det.npv_usd > 0).all()
    assert np.isfinite(det.cost_per_mtok_usd).all()
    assert set(det.monthly["line"]) == set(LINES) | set(lines.other_names(det.scenario.scenario))


def test_evaluation_is_also_the_tidy_monthly_frame() -> None:
    det = tco.evaluate(build())
    assert list(det.monthly.columns) == ["strategy", "month", "calendar_month", "line", "usd"]
    assert len(det) == 12 * len(LINES)
    assert det["usd"].sum() == pytest.approx(12 * 6000.0)


def test_an_overflowing_scenario_names_its_cause() -> None:
    """A price multiplied by 1,000 every month (annual probability 1 fires each month) for 240
    months reaches 1000^240 = 1e720: not a float. The error names the multiplier, not the
    volume, whose bounded growth (2^239 x 1e9 = 9e80) stays finite."""
    from tco.errors import ScenarioError

    sc = build(horizon_months=240, workload__growth_per_month=1.0, workload__requests_per_month=1e9,
               risks=[{"kind": "price_change", "on": ["api"], "annual_probability": 1.0,
                       "multiplier": 1000}])
    assert np.isfinite(tco.evaluate(sc).npv_usd).all()  # no event fires in the deterministic model
    with pytest.raises(ScenarioError, match="^risks.0.multiplier: makes costs overflow over 240 months"):
        tco.simulate(sc, paths=50)
