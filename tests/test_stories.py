"""The seeds' stories: release tracks with vetting delays, licences tested at release, owning the
fine-tuning pipeline or renting it, and a vendor withdrawing fine-tuning.

Each rule is checked against a closed form worked by hand in the docstring, through the kernel
(deterministic, or with events forced in chosen months), or against a Monte Carlo mean within
``Z`` standard errors computed from the run's own spread.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import tco
import tco.kernel as kernel
from tco.draws import Shocks
from tco.load import validate
from tco.model import nominal_inputs
from tco.units import monthly_probability
from tests.conftest import PER_REQUEST_API, PER_REQUEST_BACKUP, Z, raw
from tests.test_economics import FLAT, lines_of

R = 1_000_000.0
"""Requests a month, fixed (no growth)."""


def tracked(months: int, track: dict, **extra) -> dict:
    """Self-hosted ``hosted`` (a fixed one-GPU fleet) with a release track, falling back to the
    API ``api`` ($0.006 a request), no discounting."""
    data = raw()
    data["horizon_months"] = months
    data["options"]["hosted"] = {**FLAT, "release_track": track, **extra}
    data["strategies"] = {"self": {"mix": {"hosted": 1.0}, "fallback": "api"}}
    return data


def run_forced(data: dict, events: list[tuple[int, str, int]], paths: int = 1) -> kernel.KernelResult:
    """The kernel on nominal inputs with the scenario's risks forced: (risk index, option, month)."""
    sc = validate(data)
    fired, impact, weeks = {}, {}, {}
    for i, option, month in events:
        cells = np.zeros((paths, sc.horizon_months), dtype=bool)
        cells[:, month] = True
        fired[(i, option)] = cells
        impact[(i, option)] = np.ones(paths)
        weeks[(i, option)] = np.full(paths, sc.inputs.params["switching.engineer_weeks"].nominal)
    return kernel.run(sc, nominal_inputs(sc.inputs), Shocks(paths=paths, fired=fired, impact=impact,
                                                             weeks=weeks), want_cost=True)


def test_escalation_grows_with_the_weights_age_until_the_upgrade() -> None:
    """One release planned for month 5 with a fixed 3-month delay arrives in month u = 8; the
    weights are 2 months old at start, tolerance 0, rate 1%/month of lag, cap 1 (not reached).
    Month t < 8 escalates 0.01 x (2 + t) of R = 1M requests to the API at $0.006:
    60 x (2 + t) dollars; month 8 runs new weights (age 0): nothing. Sum of ages 2 + ... + 9 = 44,
    so the escalated line totals 60 x 44 = $2,640 exactly. The upgrade costs $60,000 x (1 - 0.25)
    = $45,000 in month 8."""
    track = {"age_months_at_start": 2, "next_release_month": 5, "cadence_months": 100,
             "vetting_delay_months": 3, "upgrade_usd": 60_000, "lag_tolerance_months": 0,
             "escalation_per_month_of_lag": 0.01, "escalation_cap": 1.0}
    data = tracked(9, track)
    data["workload"]["requests_per_month"] = R
    data["strategies"]["self"]["portability"] = 0.25
    lines = lines_of(run_forced(data, []))
    expected = [R * PER_REQUEST_API * 0.01 * (2 + t) for t in range(8)] + [0.0]
    assert lines["escalated_traffic"].tolist() == pytest.approx(expected, rel=1e-12)
    assert lines["escalated_traffic"].sum() == pytest.approx(2640.0, rel=1e-12)
    assert lines["release_upgrades"].tolist() == [0.0] * 8 + [45_000.0]


def _escalated_sum(u: int, months: int, age0: float) -> float:
    """Sum over the horizon of the deployed weights' age (tolerance 0) with one upgrade in u."""
    return float(sum(age0 + t if t < u else t - u for t in range(months)))


def test_random_vetting_delay_matches_the_delay_distribution() -> None:
    """Delay D ~ lognormal(median 3, P90 9) months, rounded half up: P(k) = F(k + 1/2) - F(k - 1/2)
    (F(1/2) for k = 0); the release planned for month 5 arrives in u = 5 + k (never within 24
    months when u >= 24). Each path's escalated cost is R x $0.006 x 0.01 x sum of ages, so its
    mean is R x 0.006 x 0.01 x sum over k of P(k) x sum_t age_t(u); the Monte Carlo mean must be
    within Z standard errors of it (the run's own spread: nothing else varies by path)."""
    months, age0 = 24, 2.0
    track = {"age_months_at_start": age0, "next_release_month": 5, "cadence_months": 100,
             "vetting_delay_months": {"lognormal": {"median": 3, "p90": 9}},
             "escalation_per_month_of_lag": 0.01}
    data = tracked(months, track)
    data["workload"]["requests_per_month"] = R
    result = tco.simulate(validate(data), paths=20_000, seed=3)
    sigma = np.log(9 / 3) / stats.norm.ppf(0.9)
    delay = stats.lognorm(s=sigma, scale=3.0)
    k = np.arange(0, 2000)
    p = delay.cdf(k + 0.5) - np.where(k > 0, delay.cdf(k - 0.5), 0.0)
    sums = np.array([_escalated_sum(min(5 + kk, months), months, age0) for kk in k])
    expected = R * PER_REQUEST_API * 0.01 * float(p @ sums)
    line = result.lines.index("escalated_traffic")
    mean = result.line_mean_usd[0, line].sum()
    se = result.npv_usd[:, 0].std(ddof=1) / np.sqrt(result.paths)
    assert abs(mean - expected) < Z * se, (mean, expected, se)
    first = result.first_upgrade["hosted"]
    upgraded = first >= 0
    assert upgraded.mean() == pytest.approx(delay.cdf(months - 5 - 0.5), abs=Z * 0.5 / np.sqrt(result.paths))
    assert (first[upgraded] >= 5).all()


def test_a_licence_change_before_the_first_release_is_the_same_as_no_track() -> None:
    """A licence change in month 3 cancels the release planned for month 6: no upgrade ever
    happens, so with no lag escalation the run is bit-identical to the option without a track."""
    track = {"next_release_month": 6, "cadence_months": 6, "upgrade_usd": 50_000,
             "age_months_at_start": 4}
    licence = {"kind": "licence_change", "on": ["hosted"], "annual_probability": 0.0,
               "escalation_per_month": 0.05, "escalation_cap": 0.6}
    with_track = tracked(18, track)
    with_track["workload"]["requests_per_month"] = R
    with_track["risks"] = [licence]
    without = copy.deepcopy(with_track)
    del without["options"]["hosted"]["release_track"]
    a = run_forced(with_track, [(0, "hosted", 3)])
    b = run_forced(without, [(0, "hosted", 3)])
    assert a.npv_usd.tolist() == b.npv_usd.tolist()
    assert a.line_sum_usd[:, :len(b.lines)].tolist() == b.line_sum_usd.tolist()
    assert a.upgrades.tolist() == [[0.0]]


VENDOR = {"usd_per_mtok_trained": 25.0, "hosting_usd_per_hour": 1.7, "price_multiplier": 2.0,
          "traffic_share": 0.5}
FINE_TUNING = {"dataset_tokens": 20_000_000, "epochs": 3, "retrain_every_months": 6,
               "eval_usd_per_run": 2000, "engineer_weeks_per_run": 1.5}


def vendor_tuned(months: int, every: int) -> dict:
    data = raw()
    data["horizon_months"] = months
    data["options"]["api"]["fine_tune"] = VENDOR
    data["fine_tuning"] = {**FINE_TUNING, "retrain_every_months": every}
    data["switching"] = {"usd_per_engineer_week": 4000, "engineer_weeks": 2, "one_off_usd": 1000,
                         "dual_running_months": 0.5}
    return data


def test_scheduled_fine_tune_runs_and_their_cost() -> None:
    """25 months, a run every 6: months 0, 6, 12, 18, 24, i.e. 1 + floor(24 / 6) = 5 runs. One run
    trains 20M x 3 = 60M tokens at $25 per million ($1,500), evaluates ($2,000) and takes 1.5
    engineer-weeks at $4,000 ($6,000): $9,500. Hosting 1.7 x 730 = $1,241 a month. Half the
    traffic is fine-tuned at twice the price: tokens cost 1.5 x R x $0.006 = $9,000 a month."""
    result = run_forced(vendor_tuned(25, 6), [])
    lines = lines_of(result)
    runs = [9500.0 if t % 6 == 0 else 0.0 for t in range(25)]
    assert lines["fine_tune_runs"].tolist() == pytest.approx(runs, rel=1e-12)
    assert result.fine_tune_runs.tolist() == [[1 + 24 // 6]]
    assert lines["fine_tune_platform"].tolist() == pytest.approx([1.7 * 730] * 25, rel=1e-12)
    assert lines["api_tokens"].tolist() == pytest.approx([1.5 * R * PER_REQUEST_API] * 25, rel=1e-12)


def test_expected_runs_with_a_deprecation_hazard() -> None:
    """24 months, a run every 12 (months 0 and 12: S = 2), deprecations at q = 1 - 0.7^(1/12) a
    month, each a new base model and so a run in its month; at most one run a month, so a
    deprecation in month 0 or 12 adds none. Expected runs S + 22 q; the Monte Carlo mean is
    within Z standard errors."""
    data = vendor_tuned(24, 12)
    data["risks"] = [{"kind": "deprecation", "on": ["api"], "annual_probability": 0.3,
                      "successor_price_multiplier": 1.0}]
    result = tco.simulate(validate(data), paths=8000, seed=11)
    runs = result.fine_tune_runs[:, 0]
    q = float(monthly_probability(0.3))
    expected = 2 + 22 * q
    assert abs(runs.mean() - expected) < Z * runs.std(ddof=1) / np.sqrt(runs.size), (runs.mean(), expected)


def test_adapters_that_carry_over_leave_only_evaluation_and_engineering() -> None:
    """An owned pipeline with adapter_portability 1; a release arrives in month 5 (planned 5, no
    delay) and runs are due every 12 months (month 0 only within 12). Month 0: a full run $1,500
    + $2,000 + $6,000 = $9,500 and the pipeline's $20,000 setup; month 5: the upgrade's run pays
    only evaluation and engineering, $8,000. The pipeline costs $3,000 a month."""
    owned = {"usd_per_mtok_trained": 25.0, "setup_usd": 20_000, "usd_per_month": 3000,
             "adapter_portability": 1.0}
    data = tracked(12, {"next_release_month": 5, "cadence_months": 100}, fine_tune=owned)
    data["fine_tuning"] = {**FINE_TUNING, "retrain_every_months": 12}
    data["switching"] = {"usd_per_engineer_week": 4000}
    result = run_forced(data, [])
    lines = lines_of(result)
    assert lines["fine_tune_runs"].tolist() == [9500.0] + [0.0] * 4 + [8000.0] + [0.0] * 6
    assert lines["fine_tune_platform"].tolist() == [23_000.0] + [3000.0] * 11
    assert result.fine_tune_runs.tolist() == [[2.0]] and result.upgrades.tolist() == [[1.0]]


@pytest.mark.parametrize(("tested", "above_at_start", "months_due"), [
    ("at_release", False, range(4, 12)), ("monthly", False, range(2, 12)),
    ("at_release", True, [0, *range(4, 12)])])
def test_a_licence_tested_at_release_bites_at_the_first_upgrade_after_the_crossing(
        tested: str, above_at_start: bool, months_due: list[int]) -> None:
    """MAU 1M x 1.5^t cross the 2M threshold in month 2 (2.25M). Releases arrive in months 1, 4,
    7, 10. At release: the month-1 release was tested on MAU(0) = 1M (below), the month-4 one on
    MAU(3) = 3.375M (above): the $7,000 fee runs from month 4. Tested monthly it runs from month 2.
    Weights deployed above the threshold owe it in month 0; the month-1 release, granted below
    the threshold, owes nothing until the month-4 one."""
    licence = {"mau_threshold": 2_000_000, "usd_per_month_above": 7000, "tested": tested,
               "deployed_above_threshold": above_at_start}
    data = tracked(12, {"next_release_month": 1, "cadence_months": 3}, licence=licence)
    data["workload"].update(monthly_active_users=1_000_000, mau_growth_per_month=0.5)
    lines = lines_of(run_forced(data, []))
    assert lines["licence"].tolist() == [7000.0 if t in months_due else 0.0 for t in range(12)]


def test_a_withdrawn_fine_tuning_service_moves_the_fine_tuned_share() -> None:
    """Fine-tuning on ``api`` (40% of its traffic, at twice the price) is withdrawn in month 4.
    Before: tokens (1 - 0.4 + 0.4 x 2) x R x $0.006 = $8,400 a month and hosting $1,241. From
    month 4: api keeps 60% at list price, $3,600; the backup takes 40% at $0.002, $800; no hosting.
    Switching in month 4: (2 weeks x $4,000 + $1,000) x (1 - 0) + 0.5 months x 40% x R x $0.002
    = $9,000 + $400. Runs: month 0 only (every 12 months; the backup has no fine_tune:)."""
    data = vendor_tuned(8, 12)
    data["options"]["api"]["fine_tune"] = {**VENDOR, "traffic_share": 0.4}
    data["switching"]["dual_running_share"] = 1.0  # the whole moving share runs on both
    data["risks"] = [{"kind": "fine_tune_withdrawn", "on": ["api"], "annual_probability": 0.0}]
    result = run_forced(data, [(0, "api", 4)])
    lines = lines_of(result)
    before, after = 1.4 * R * PER_REQUEST_API, 0.6 * R * PER_REQUEST_API + 0.4 * R * PER_REQUEST_BACKUP
    assert (before, after) == pytest.approx((8400.0, 3600.0 + 800.0), rel=1e-12)
    assert lines["api_tokens"].tolist() == pytest.approx([before] * 4 + [after] * 4, rel=1e-12)
    assert lines["fine_tune_platform"].tolist() == pytest.approx([1241.0] * 4 + [0.0] * 4, rel=1e-12)
    assert lines["switching"].tolist() == pytest.approx([0.0] * 4 + [9400.0] + [0.0] * 3, rel=1e-12)
    assert result.fine_tune_runs.tolist() == [[1.0]]
    kind = list(tco.risks.REGISTRY).index("fine_tune_withdrawn")
    assert result.events[0, 0, kind] == 1.0


def test_fine_tune_needs_the_fine_tuning_section_and_withdrawal_needs_fine_tune() -> None:
    from tests.conftest import message

    data = raw()
    data["options"]["api"]["fine_tune"] = VENDOR
    assert message(data) == ("options.api.fine_tune: needs the scenario's fine_tuning: section "
                             "(dataset_tokens, epochs, ...) to price its runs")
    data = raw()
    data["risks"] = [{"kind": "fine_tune_withdrawn", "on": ["api"], "annual_probability": 0.1}]
    assert message(data) == ("risks.0.on: fine_tune_withdrawn applies to options with fine_tune:; "
                             "'api' has none")


def test_an_exit_that_moves_no_traffic_costs_no_fine_tune_run() -> None:
    """The strategy runs wholly on the fine-tuned ``api``; ``backup``, first in its fallback
    chain, carries nothing and exits in month 4. No traffic moves, so ``api`` (now the live
    fallback) owes no run for it: only month 0's scheduled run (every 12 months, 8 months)."""
    data = vendor_tuned(8, 12)
    data["strategies"]["api-only"]["fallback"] = ["backup", "api"]
    data["risks"] = [{"kind": "exit", "on": ["backup"], "annual_probability": 0.0}]
    result = run_forced(data, [(0, "backup", 4)])
    assert result.fine_tune_runs.tolist() == [[1.0]]
    assert lines_of(result)["switching"].sum() == 0.0
