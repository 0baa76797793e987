"""Economics a CFO signs: procurement, commitments, one-off events, fallback chains, other costs.

Each rule is checked against a closed form worked by hand in the docstring, on a small scenario
built in code, through the kernel itself (deterministic, or with events forced in chosen months).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from genai_prices import Usage, calc_price

import tco
import tco.kernel as kernel
from tco.draws import Shocks
from tco.load import validate
from tco.model import nominal_inputs
from tests.conftest import PER_REQUEST_API, Z, build, raw

FLAT = {"kind": "self_hosted", "model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": 1,
        "usd_per_gpu_hour": 2.0, "target_utilization": 1.0, "min_replicas": 1,
        "tokens_per_second_per_gpu": 1000.0, "ops_fte": 0.0, "usd_per_fte_year": 0.0}
"""A self-hosted option whose fleet is min_replicas x 1 GPU at a tiny load: replicas are set by hand."""


def forced(data: dict, events: list[tuple[str, str, int]], paths: int = 1) -> kernel.KernelResult:
    """The kernel on nominal inputs with events forced: (kind, option, month) each, nominal impact.

    The risks are added with probability 0, so only the forced events fire.
    """
    data = dict(data, risks=list(data.get("risks", [])))
    first = len(data["risks"])
    for kind, option, _ in events:
        risk = {"kind": kind, "on": [option], "annual_probability": 0.0}
        if kind == "price_change":
            risk["multiplier"] = 1.0
        if kind == "deprecation":
            risk["successor_price_multiplier"] = 1.0
        if kind == "licence_change":
            risk["escalation_per_month"] = 0.0
        data["risks"].append(risk)
    sc = validate(data)
    fired, impact, weeks = {}, {}, {}
    for k, (_, option, month) in enumerate(events):
        cells = np.zeros((paths, sc.horizon_months), dtype=bool)
        cells[:, month] = True
        fired[(first + k, option)] = cells
        impact[(first + k, option)] = np.ones(paths)
        weeks[(first + k, option)] = np.full(paths, sc.inputs.params["switching.engineer_weeks"].nominal)
    x = nominal_inputs(sc.inputs)
    return kernel.run(sc, x, Shocks(paths=paths, fired=fired, impact=impact, weeks=weeks),
                      want_cost=True)


def lines_of(result: kernel.KernelResult, strategy: int = 0) -> pd.DataFrame:
    """Monthly cost by line of one strategy on a one-path run: (months, lines)."""
    return pd.DataFrame(result.line_sum_usd[strategy].T, columns=list(result.lines))


def hosted_scenario(option: dict, months: int, **workload) -> dict:
    data = raw()
    data["horizon_months"] = months
    data["workload"] = {**data["workload"], **workload}
    data["options"]["hosted"] = option
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    return data


def test_reserved_gpus_then_on_demand_after_the_term() -> None:
    """4 GPUs reserved at $1.50 for 12 months, 3 needed, $2 on demand, 24 months, r = 0:
    months 0-11 pay 4 x 730 x 1.5 = 4,380 (the 4th reserved GPU idles, none rented);
    months 12-23 rent 3 x 730 x 2 = 4,380. Total 24 x 4,380 = 105,120."""
    option = {**FLAT, "min_replicas": 3,
              "reserved": {"gpus": 4, "usd_per_gpu_hour": 1.5, "term_months": 12}}
    result = forced(hosted_scenario(option, 24, requests_per_month=1.0), [])
    lines = lines_of(result)
    assert lines["reserved_gpus"].tolist() == pytest.approx([4380.0] * 12 + [0.0] * 12, rel=1e-12)
    assert lines["gpu_rent"].tolist() == pytest.approx([0.0] * 12 + [4380.0] * 12, rel=1e-12)
    assert result.cost_usd[0, 0].sum() == pytest.approx(105_120.0, rel=1e-12)


def test_a_reservation_is_stranded_when_its_option_exits() -> None:
    """The same reservation, the option exits in month 5: months 5-11 still owe 4 x 730 x 1.5 =
    4,380 each, on the stranded line (7 x 4,380 = 30,660); no GPU is rented after the exit."""
    option = {**FLAT, "min_replicas": 3,
              "reserved": {"gpus": 4, "usd_per_gpu_hour": 1.5, "term_months": 12}}
    result = forced(hosted_scenario(option, 24, requests_per_month=1.0), [("exit", "hosted", 5)])
    lines = lines_of(result)
    assert lines["reserved_gpus"].tolist() == pytest.approx([4380.0] * 5 + [0.0] * 19, rel=1e-12)
    assert lines["stranded_commitments"].sum() == pytest.approx(7 * 4380.0, rel=1e-12)
    assert lines["gpu_rent"].sum() == 0.0


def test_bought_gpus_are_capex_with_residual_value() -> None:
    """2 GPUs at $30,000 with a 4-year life, bought in month 0, 24 months: capex 60,000, residual
    2 x 30,000 x (1 - 24/48) = 30,000 credited in month 23; power 2 x 1 kW x 730 h x $0.10 x PUE
    1 = 146 a month (3,504 in all). Cash total 60,000 - 30,000 + 3,504 = 33,504."""
    option = {k: v for k, v in FLAT.items() if k != "usd_per_gpu_hour"}
    option |= {"min_replicas": 2, "purchase": {"usd_per_gpu": 30_000, "years": 4, "kw_per_gpu": 1.0,
                                              "usd_per_kwh": 0.1, "pue": 1.0}}
    result = forced(hosted_scenario(option, 24, requests_per_month=1.0), [])
    lines = lines_of(result)
    assert lines["gpu_capex"].tolist() == [60_000.0] + [0.0] * 23
    assert lines["residual_value"].tolist() == [0.0] * 23 + [-30_000.0]
    assert result.cost_usd[0, 0].sum() == pytest.approx(33_504.0, rel=1e-12)
    # The P&L view: 2 x 30,000 / 48 = 1,250 a month of depreciation plus power.
    assert result.amortised_sum_usd[0].tolist() == pytest.approx([1250.0 + 146.0] * 24, rel=1e-12)


def test_bought_gpus_stay_owned_when_traffic_leaves() -> None:
    """The same 2 GPUs with maintenance at 12% of price a year (2 x 30,000 x 0.12 / 12 = 600 a
    month) and $100 colocation per GPU-month (200); the option exits in month 6. Maintenance and
    colocation run all 24 months (800 x 24 = 19,200), power stops (146 x 6 = 876), and the
    residual credit at the horizon is still 30,000: nothing bought vanishes."""
    option = {k: v for k, v in FLAT.items() if k != "usd_per_gpu_hour"}
    option |= {"min_replicas": 2, "purchase": {
        "usd_per_gpu": 30_000, "years": 4, "kw_per_gpu": 1.0, "usd_per_kwh": 0.1, "pue": 1.0,
        "maintenance_share_per_year": 0.12, "colocation_usd_per_gpu_month": 100}}
    result = forced(hosted_scenario(option, 24, requests_per_month=1.0), [("exit", "hosted", 6)])
    lines = lines_of(result)
    assert lines["hosting"].tolist() == pytest.approx([800.0] * 24, rel=1e-12)
    assert lines["power"].sum() == pytest.approx(876.0, rel=1e-12)
    assert lines["residual_value"].sum() == -30_000.0
    assert lines["gpu_capex"].sum() == 60_000.0


def test_a_commitment_with_a_shortfall() -> None:
    """API usage at list price 1M x $0.006 = 6,000 a month; commitment $10,000 a month at 20% off
    for 6 months: discounted usage 4,800, so the bill is 10,000 (4,800 tokens + 5,200 shortfall)
    for 6 months, then 6,000 at list. 12 months: 60,000 + 36,000 = 96,000."""
    data = raw()
    data["options"]["api"]["commitment"] = {"usd_per_month": 10_000, "discount": 0.2, "term_months": 6}
    result = forced(data, [])
    lines = lines_of(result)
    assert lines["api_tokens"].tolist() == pytest.approx([4800.0] * 6 + [6000.0] * 6, rel=1e-12)
    assert lines["commitment_shortfall"].tolist() == pytest.approx([5200.0] * 6 + [0.0] * 6, rel=1e-12)
    assert result.cost_usd[0, 0].sum() == pytest.approx(96_000.0, rel=1e-12)


def test_a_commitment_stranded_by_an_exit_in_month_0() -> None:
    """The API exits in month 0: its traffic goes to backup (1M x $0.002 = 2,000 a month, 24,000 a
    year) and the commitment is still owed, 10,000 x 6 = 60,000 on the stranded line: 84,000."""
    data = raw()
    data["options"]["api"]["commitment"] = {"usd_per_month": 10_000, "discount": 0.2, "term_months": 6}
    result = forced(data, [("exit", "api", 0)])
    lines = lines_of(result)
    assert lines["stranded_commitments"].tolist() == [10_000.0] * 6 + [0.0] * 6
    assert lines["api_tokens"].tolist() == pytest.approx([2000.0] * 12, rel=1e-12)
    assert result.cost_usd[0, 0].sum() == pytest.approx(84_000.0, rel=1e-12)


def test_a_capped_one_off_price_change() -> None:
    """A x2 price change with max_events 1 and q = 1 - 0.5^(1/12): by month t it has fired with
    probability 1 - (1 - q)^(t + 1), so E[I(t)] = 1 + (2 - 1)(1 - (1 - q)^(t + 1)); uncapped it
    would be (1 + q)^(t + 1). At t = 23: 1 + (1 - 0.25) = 1.75 (uncapped 1.93)."""
    sc = build(horizon_months=24, risks=[{"kind": "price_change", "on": ["api"],
                                          "annual_probability": 0.5, "multiplier": 2.0,
                                          "max_events": 1}])
    result = tco.simulate(sc, paths=20_000, seed=5)
    q = 1 - 0.5 ** (1 / 12)
    assert result.events[:, 0, 0].max() == 1.0
    monthly = np.diff(result.cumulative_usd[:, 0, :].astype(float), axis=1, prepend=0.0)
    for t in (0, 11, 23):
        index = monthly[:, t] / (1e6 * PER_REQUEST_API)
        expected = 1 + (1 - (1 - q) ** (t + 1))
        se = index.std(ddof=1) / np.sqrt(index.size)
        # float32 cumulative sums: a relative rounding of 1e-6 on top of the standard error
        assert abs(index.mean() - expected) < Z * se + 1e-5, (t, index.mean(), expected)


def test_an_exit_chain_through_two_fallbacks() -> None:
    """api exits in month 2 and backup (the first fallback) in month 5: months 0-1 at api
    (6,000), 2-4 at backup (2,000), 5-11 at third ($0.5 + $2.5 per M tokens: 1,000). Each exit
    moves traffic once: 2 switching costs of 2 engineer-weeks x $1,000 = 4,000 in all, and no
    path is left without a live fallback."""
    data = raw()
    data["options"]["third"] = {"kind": "api", "input_usd_per_mtok": 0.5, "output_usd_per_mtok": 2.5}
    data["strategies"]["api-only"]["fallback"] = ["backup", "third"]
    data["switching"] = {"engineer_weeks": 2, "usd_per_engineer_week": 1000}
    result = forced(data, [("exit", "api", 2), ("exit", "backup", 5)])
    lines = lines_of(result)
    assert lines["api_tokens"].tolist() == pytest.approx([6000.0] * 2 + [2000.0] * 3 + [1000.0] * 7,
                                                         rel=1e-12)
    assert lines["switching"].tolist() == [0, 0, 2000, 0, 0, 2000, 0, 0, 0, 0, 0, 0]
    assert result.no_fallback[0, 0] == 0.0


def test_no_live_fallback_freezes_the_traffic_and_is_counted() -> None:
    """api and its only fallback both exit in month 3: the traffic stays on api at its last
    price (trend +100% a year: I(2) = 2^(2/12)), no switching is paid (nowhere to move), and the
    path counts as having no live fallback."""
    data = raw()
    data["options"]["api"]["price_trend_per_year"] = 1.0
    data["switching"] = {"engineer_weeks": 2, "usd_per_engineer_week": 1000}
    result = forced(data, [("exit", "backup", 3), ("exit", "api", 3)])
    cost = result.cost_usd[0, 0]
    assert cost[3:].tolist() == pytest.approx([6000.0 * 2 ** (2 / 12)] * 9, rel=1e-12)
    assert result.no_fallback[0, 0] == 1.0


def test_later_events_on_an_exited_option_do_nothing() -> None:
    """backup exits in month 2, then a x3 price change fires on it in month 4; api then exits in
    month 6 and, backup being gone, its traffic stays on api. backup's price change acts on
    nothing and is not counted for the strategy (it never carried traffic on backup)."""
    data = raw()
    data["risks"] = [{"kind": "price_change", "on": ["backup"], "annual_probability": 0.0,
                      "multiplier": 3.0}]
    base = forced(data, [("exit", "backup", 2), ("exit", "api", 6)])
    sc = validate(data | {"risks": data["risks"] + [
        {"kind": "exit", "on": ["backup"], "annual_probability": 0.0},
        {"kind": "exit", "on": ["api"], "annual_probability": 0.0}]})
    cells = {}
    for key, month in (((0, "backup"), 4), ((1, "backup"), 2), ((2, "api"), 6)):
        cells[key] = np.zeros((1, 12), dtype=bool)
        cells[key][0, month] = True
    shocks = Shocks(paths=1, fired=cells, impact={(0, "backup"): np.array([3.0]),
                                                  (1, "backup"): np.ones(1), (2, "api"): np.ones(1)},
                    weeks={k: np.zeros(1) for k in cells})
    result = kernel.run(sc, nominal_inputs(sc.inputs), shocks, want_cost=True)
    assert result.cost_usd[0, 0].tolist() == base.cost_usd[0, 0].tolist()
    assert result.events[0, 0, 0] == 0.0  # the price change: on an option never carried


@pytest.mark.parametrize(("share", "expected_usd"), [(1.0, 5400.0), (0.25, 1350.0), (0.0, 0.0)])
def test_dual_running_covers_only_the_traffic_that_moves(share: float, expected_usd: float) -> None:
    """A self-hosted option escalates 10% of its traffic to api, then exits in month 6 with one
    month of dual running: only the 90% still on it moves, and ``dual_running_share`` of that runs
    on both. Dual running = share x moving traffic x months x price: 1 x 0.9 x 1M x 1 x $0.006 =
    5,400 (not 6,000); 0.25 x 5,400 = 1,350; nothing at share 0."""
    data = hosted_scenario({**FLAT, "escalation_share": 0.1}, 12)
    data["switching"] = {"dual_running_months": 1, "dual_running_share": share}
    result = forced(data, [("exit", "hosted", 6)])
    assert lines_of(result)["switching"].tolist() == pytest.approx(
        [0.0] * 6 + [expected_usd] + [0.0] * 5, rel=1e-12, abs=1e-12)


def test_dual_running_share_defaults_to_a_fifth_of_the_moving_traffic() -> None:
    """Left out, the share is 0.2 (judgement, ``tco.schema.DUAL_RUNNING_SHARE``): the exit above
    costs 0.2 x 5,400 = 1,080 of dual running."""
    data = hosted_scenario({**FLAT, "escalation_share": 0.1}, 12)
    data["switching"] = {"dual_running_months": 1}
    result = forced(data, [("exit", "hosted", 6)])
    assert lines_of(result)["switching"].tolist()[6] == pytest.approx(1080.0, rel=1e-12)


def test_autoscaling_sums_gpu_hours_over_the_profile() -> None:
    """1M requests a month, 6.57 s of one GPU each, utilisation 1: the average hour needs
    1e6 x 6.57 / 2,628,000 = 2.5 replicas. A profile of 12 hours at 0.5 and 12 at 1.5 (mean 1)
    needs ceil(1.25) = 2 and ceil(3.75) = 4 replicas: (12 x 2 + 12 x 4) / 24 = 3 GPUs on average,
    3 x 730 h x $2 = 4,380 a month. Without autoscaling the peak hour's 4 run all month: 5,840."""
    profile = [0.5] * 12 + [1.5] * 12
    option = {**FLAT, "tokens_per_second_per_gpu": 200 / 6.57, "autoscale": True}
    result = forced(hosted_scenario(option, 12, hourly_profile=profile), [])
    assert lines_of(result)["gpu_rent"].tolist() == pytest.approx([4380.0] * 12, rel=1e-12)
    assert result.gpus_sum[0, 2].tolist() == pytest.approx([3.0] * 12, rel=1e-12)
    option["autoscale"] = False
    result = forced(hosted_scenario(option, 12, hourly_profile=profile), [])
    assert lines_of(result)["gpu_rent"].tolist() == pytest.approx([5840.0] * 12, rel=1e-12)


@pytest.mark.parametrize(("min_replicas", "expected_usd"), [(1, 68 / 24 * 1460), (3, 88 / 24 * 1460)])
def test_autoscaling_sizes_each_distinct_load_and_stops_at_min_replicas(min_replicas, expected_usd) -> None:
    """The same 2.5 replicas at an average hour, and a profile of 8 hours at 0.2, 4 at 0.7, 4 at
    1.1 and 8 at 1.9 (mean 1), given interleaved. They need 1, 2, 3 and 5 replicas: (8 x 1 + 4 x 2
    + 4 x 3 + 8 x 5) / 24 = 68 / 24 GPUs, 68 / 24 x 730 h x $2 = $4,136.67 a month. With
    min_replicas 3 the three quiet levels all run 3: (20 x 3 + 8 x 5) / 24 = 88 / 24 GPUs,
    $5,353.33. The kernel sizes each distinct load once, weighted by its hours; this is the
    hour-by-hour sum."""
    profile = [1.9, 0.2, 0.7, 0.2, 1.1, 1.9, 0.2, 0.7] * 2 + [1.9, 0.2, 1.1, 1.9, 1.9, 1.1, 1.9, 0.2]
    assert sorted(profile) == sorted([0.2] * 8 + [0.7] * 4 + [1.1] * 4 + [1.9] * 8)
    option = {**FLAT, "tokens_per_second_per_gpu": 200 / 6.57, "autoscale": True,
              "min_replicas": min_replicas}
    result = forced(hosted_scenario(option, 12, hourly_profile=profile), [])
    assert lines_of(result)["gpu_rent"].tolist() == pytest.approx([expected_usd] * 12, rel=1e-12)


def test_other_costs_are_lines_of_their_own() -> None:
    """An option's eval suite: $500 a month + $2 per 1M tokens it carries + $3,000 setup; the
    strategy's observability: $1,000 a month + $1 per 1M tokens served + $4,000 setup. 1M requests
    of 1,200 tokens = 1,200 M tokens a month. Month 0: eval 500 + 2,400 + 3,000 = 5,900 and
    observability 1,000 + 1,200 + 4,000 = 6,200; later months 2,900 and 2,200."""
    data = raw()
    data["options"]["api"]["other_costs"] = [{"name": "eval suite", "usd_per_month": 500,
                                              "usd_per_mtok": 2, "setup_usd": 3000}]
    data["strategies"]["api-only"]["other_costs"] = [{"name": "observability", "usd_per_month": 1000,
                                                      "usd_per_mtok": 1, "setup_usd": 4000}]
    ev = tco.evaluate(validate(data))
    lines = ev.monthly.pivot_table(index="month", columns="line", values="usd")
    assert lines["eval suite"].tolist() == pytest.approx([5900.0] + [2900.0] * 11, rel=1e-12)
    assert lines["observability"].tolist() == pytest.approx([6200.0] + [2200.0] * 11, rel=1e-12)
    assert ev.lines[-2:] == ("eval suite", "observability")


def test_a_scheduled_catalog_price_change_applies_at_its_calendar_month() -> None:
    """The snapshot's Gemini 4 Argon introductory price ends on 2026-12-01. Starting in 2026-10,
    months 0-1 are at the current price and month 2 on at the new one: the ratio of month 2 to
    month 1 is the request's cost at the two dates, recomputed here from genai-prices directly."""
    data = raw()
    data["start"] = "2026-10"
    data["options"]["api"] = {"kind": "api", "catalog": "google/gemini-4-argon"}
    ev = tco.evaluate(validate(data))
    cost = ev.monthly.groupby("month")["usd"].sum()

    def request_usd(day: dt.datetime) -> float:
        return float(calc_price(Usage(input_tokens=1000, output_tokens=200), model_ref="gemini-4-argon",
                                provider_id="google", genai_request_timestamp=day).total_price)

    before = request_usd(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC))
    after = request_usd(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    assert after != before
    assert cost[1] == pytest.approx(cost[0], rel=1e-12)
    assert cost[2] / cost[1] == pytest.approx(after / before, rel=1e-9)
    assert ev.monthly.set_index("month").loc[2, "calendar_month"].iloc[0] == "2026-12"


def test_a_normal_on_a_bounded_field_is_truncated() -> None:
    """cached_input_share ~ normal(mean 0.9, sd 0.2) truncated to [0, 1]: every draw lies in the
    range, and the mean of the draws is the truncated normal's mean (scipy's truncnorm, an
    independent formula), 0.9 + 0.2 (phi(-4.5) - phi(0.5)) / (Phi(0.5) - Phi(-4.5)) = 0.8017."""
    from scipy.stats import truncnorm
    sc = build(workload__cached_input_share={"normal": {"mean": 0.9, "sd": 0.2}})
    result = tco.simulate(sc, paths=20_000, seed=3)
    draws = result.inputs["workload.cached_input_share"]
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    expected = truncnorm.mean(-4.5, 0.5, loc=0.9, scale=0.2)
    assert abs(draws.mean() - expected) < Z * draws.std(ddof=1) / np.sqrt(draws.size)
    assert sc.inputs.params["workload.cached_input_share"].nominal == 0.9


def test_p_cheapest_shares_ties() -> None:
    """Two identical strategies tie on every path: each is cheapest on half of them."""
    data = raw()
    data["strategies"]["twin"] = dict(data["strategies"]["api-only"])
    result = tco.simulate(validate(data), paths=200, seed=1)
    assert result.summary()["p_cheapest"].tolist() == [0.5, 0.5]


def test_events_count_only_where_the_strategy_carries_traffic() -> None:
    """Price changes fire on backup (a fallback that never carries traffic): api-only counts none;
    an api exit in month 0 moves its traffic there, and then every backup event counts."""
    data = raw()
    data["risks"] = [{"kind": "price_change", "on": ["backup"], "annual_probability": 0.0,
                      "multiplier": 1.0}]
    quiet = forced(data, [("price_change", "backup", 4)])
    assert quiet.events[0, 0].sum() == 0.0
    moved = forced(data, [("exit", "api", 0), ("price_change", "backup", 4)])
    assert moved.events[0, 0].tolist()[:1] == [1.0]  # price_change is the first kind
    assert moved.events[0, 0].sum() == 2.0  # and the exit itself


def test_long_context_and_cache_writes_are_priced() -> None:
    """20% of requests carry 100,000 input tokens priced at their own (scenario-given) long-context
    rates, $6 in and $22.5 out per M; 10% of input tokens are written to cache at $3.75 per M.
    Short request: 1,000 x (0.9 x 3 + 0.1 x 3.75) / 1e6 + 200 x 15 / 1e6 = 0.006075;
    long: 100,000 x (0.9 x 6 + 0.1 x 3.75) / 1e6 + 200 x 22.5 / 1e6 = 0.582; blended
    0.8 x 0.006075 + 0.2 x 0.582 = 0.12126 a request, x 1M requests."""
    data = raw()
    data["workload"] |= {"long_context_share": 0.2, "long_context_input_tokens": 100_000,
                         "cache_write_share": 0.1}
    data["options"]["api"] |= {"cache_write_usd_per_mtok": 3.75, "long_context_input_usd_per_mtok": 6.0,
                               "long_context_cached_input_usd_per_mtok": 0.6,
                               "long_context_output_usd_per_mtok": 22.5}
    ev = tco.evaluate(validate(data))
    assert ev.monthly.groupby("month")["usd"].sum().iloc[0] == pytest.approx(121_260.0, rel=1e-12)



def test_a_withdrawal_onto_an_unused_owned_pipeline_books_one_run() -> None:
    """The vendor's fine-tuning service is withdrawn in month 3; its share (all of it) moves to an
    owned pipeline that never carried traffic. That month is both the pipeline's first month and
    a move onto it: one run, not two (at most one a month per option).

    Runs: the vendor's 50M x 2 epochs / 1e6 x $8 + $1,000 eval + 1 week x $5,000 = $6,800 in
    month 0; the owned pipeline's 100 x $3 + 1,000 + 5,000 = $6,300 in month 3 (with its $10,000
    setup and $500 a month from then on).
    """
    data = {
        "name": "ft", "horizon_months": 6,
        "workload": {"requests_per_month": 1.0, "input_tokens_per_request": 1000,
                     "output_tokens_per_request": 200},
        "fine_tuning": {"dataset_tokens": 50_000_000, "epochs": 2, "retrain_every_months": 12,
                        "eval_usd_per_run": 1000, "engineer_weeks_per_run": 1},
        "switching": {"engineer_weeks": 4, "usd_per_engineer_week": 5000},
        "options": {
            "vendor": {"kind": "api", "input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0,
                       "fine_tune": {"usd_per_mtok_trained": 8.0}},
            "own": {**FLAT, "fine_tune": {"usd_per_mtok_trained": 3.0, "setup_usd": 10_000,
                                          "usd_per_month": 500}}},
        "strategies": {"vendor-first": {"mix": {"vendor": 1.0}, "fallback": "own"}},
    }
    lines = lines_of(forced(data, [("fine_tune_withdrawn", "vendor", 3)]))
    assert lines["fine_tune_runs"].tolist() == pytest.approx([6800, 0, 0, 6300, 0, 0], rel=1e-12)
    assert lines["fine_tune_platform"].tolist() == pytest.approx([0, 0, 0, 10_500, 500, 500],
                                                                 rel=1e-12)


def test_a_strategy_discount_reaches_dual_running_at_a_per_token_fallback() -> None:
    """The same exit with the strategy's own 25% negotiated discount: the moving traffic runs
    on api at the strategy's price, 1 x 0.9 x 1M x 1 x $0.006 x 0.75 = 4,050; the escalated 10%
    on api is billed at 0.75 of list too, while the fleet it leaves is billed as before."""
    data = hosted_scenario({**FLAT, "escalation_share": 0.1}, 12)
    data["switching"] = {"dual_running_months": 1, "dual_running_share": 1.0}
    plain = forced(data, [("exit", "hosted", 6)])
    for strategy in data["strategies"].values():
        strategy["list_price_discount"] = 0.25
    dealt = forced(data, [("exit", "hosted", 6)])
    assert lines_of(dealt)["switching"].tolist()[6] == pytest.approx(4050.0, rel=1e-12)
    assert lines_of(dealt)["escalated_traffic"].tolist() == pytest.approx(
        [0.75 * v for v in lines_of(plain)["escalated_traffic"].tolist()], rel=1e-12)
    assert lines_of(dealt)["gpu_rent"].tolist() == lines_of(plain)["gpu_rent"].tolist()


def test_each_strategy_books_only_its_own_other_costs() -> None:
    """Three strategies on the same API, each with its own monthly line: $1,000 on the first,
    $20 on the second, none on the third. The kernel visits the options' entries and then the
    strategy's own range of entries (``Extras.ptr``): an off-by-one would book the first's
    $1,000 on the second or the second's $20 on the third. Expected: 1,000 / 20 / 0 a month."""
    data = raw()
    data["strategies"] = {
        "a": {"mix": {"api": 1.0}, "fallback": "backup",
              "other_costs": [{"name": "vendor desk", "usd_per_month": 1000}]},
        "b": {"mix": {"api": 1.0}, "fallback": "backup",
              "other_costs": [{"name": "vendor desk", "usd_per_month": 20}]},
        "c": {"mix": {"api": 1.0}, "fallback": "backup"}}
    ev = tco.evaluate(validate(data))
    frame = ev.monthly[ev.monthly["line"] == "vendor desk"]
    booked = frame.groupby("strategy")["usd"].apply(list).to_dict()
    assert booked["a"] == pytest.approx([1000.0] * 12, rel=1e-12)
    assert booked["b"] == pytest.approx([20.0] * 12, rel=1e-12)
    assert booked.get("c", [0.0] * 12) == pytest.approx([0.0] * 12, abs=1e-12)
