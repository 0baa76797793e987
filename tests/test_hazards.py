"""Hazard estimates recover known rates from synthetic ledgers; scores equal their closed forms.

Synthetic ledgers are built as raw CSV-like frames and pass through ``ledger.validate``, so the
estimators see exactly what they see in the shipped file.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

import tco.hazards as hazards
import tco.ledger as ledger

START, END = dt.date(2023, 1, 1), dt.date(2026, 1, 1)


def raw(date: dt.date, kind: str, model: str, as_of: dt.date = END, provider: str = "acme",
        **values: str) -> dict[str, str]:
    base = {c: "" for c in ledger.COLUMNS}
    base.update(date=date.isoformat(), provider=provider, model=model, kind=kind,
                source="https://example.com/deprecations", as_of=as_of.isoformat(), derived_from="synthetic")
    base.update(values)
    return base


def build(rows: list[dict[str, str]]) -> pd.DataFrame:
    return ledger.validate(pd.DataFrame(rows, columns=list(ledger.COLUMNS)))


def synthetic(rng: np.random.Generator, models: int, lifetime_days: np.ndarray | None = None,
              rate_per_year: float = 0.8) -> pd.DataFrame:
    """Models released uniformly over 2023-2025, each retired after an exponential lifetime
    (constant hazard ``rate_per_year``) or after ``lifetime_days``; retirements after the
    window's end are censored (not in the ledger)."""
    span = (END - START).days
    release = [START + dt.timedelta(days=int(k)) for k in rng.integers(0, span, models)]
    if lifetime_days is None:
        lifetime_days = rng.exponential(hazards.DAYS_PER_YEAR / rate_per_year, models)
    rows = []
    for i, (rel, life) in enumerate(zip(release, lifetime_days, strict=True)):
        rows.append(raw(rel, "release_api", f"m{i}", released=rel.isoformat()))
        retired = rel + dt.timedelta(days=max(1, int(round(life))))
        if retired <= END:
            rows.append(raw(retired, "retirement_announced", f"m{i}", released=rel.isoformat()))
    return build(rows)


def test_garwood_interval_closed_forms() -> None:
    """chi2 with 2 degrees of freedom has quantile -2 ln(1 - q), so for k = 0 the upper bound is
    -ln(0.025) / E = 3.689 / E, and for k = 1 the lower bound is -ln(0.975) / E = 0.02532 / E."""
    low, high = hazards.garwood_interval(0, 2.0)
    assert low == 0.0 and high == pytest.approx(-math.log(0.025) / 2.0)
    low, _ = hazards.garwood_interval(1, 4.0)
    assert low == pytest.approx(-math.log(0.975) / 4.0)


def test_garwood_covers_at_least_its_level() -> None:
    """Garwood intervals are conservative: over 20,000 Poisson draws of mean 5 the 95% interval
    covers the true rate at least 95% of the time, minus three binomial standard errors
    (3 x sqrt(0.95 x 0.05 / 20000) = 0.0046)."""
    rng = np.random.default_rng(11)
    exposure, true_rate = 2.5, 2.0
    counts = rng.poisson(true_rate * exposure, 20_000)
    bounds = {k: hazards.garwood_interval(int(k), exposure) for k in np.unique(counts)}
    covered = np.mean([bounds[k][0] <= true_rate <= bounds[k][1] for k in counts])
    assert covered >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / 20_000)


def test_a_known_retirement_rate_is_recovered() -> None:
    """Seed 7, 2,000 models at 0.8 retirements per model-year: the pooled estimate's 95% interval
    holds 0.8 and the estimate is within 10% (its relative standard error is about
    1/sqrt(events), about 3% here)."""
    led = synthetic(np.random.default_rng(7), 2_000, rate_per_year=0.8)
    pooled = hazards.model_rates(led)[0]
    assert pooled.events > 600
    assert pooled.low_per_year <= 0.8 <= pooled.high_per_year
    assert pooled.rate_per_year == pytest.approx(0.8, rel=0.10)
    assert pooled.annual_probability == pytest.approx(1 - math.exp(-pooled.rate_per_year))


def test_interval_coverage_over_many_synthetic_ledgers() -> None:
    """200 ledgers of 40 models at 0.8 per model-year: the share whose 95% interval holds 0.8 is
    at least 0.95 minus three binomial standard errors (3 x sqrt(0.95 x 0.05 / 200) = 0.046).
    Censoring at the window's end leaves the exponential likelihood a Poisson one in exposure."""
    rng = np.random.default_rng(2024)
    hits = []
    for _ in range(200):
        r = hazards.model_rates(synthetic(rng, 40, rate_per_year=0.8))[0]
        hits.append(r.low_per_year <= 0.8 <= r.high_per_year)
    assert np.mean(hits) >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / 200)


def test_age_dependent_hazard_is_recovered_by_band() -> None:
    """Hazard 0.4 per year in a model's first 12 months and 1.5 after. Inverting the cumulative
    hazard H(t) = 0.4 t (t <= 1 y), 0.4 + 1.5 (t - 1) after, at an Exp(1) draw gives the
    lifetime. Seed 3, 3,000 models: each band's 95% interval holds its true rate."""
    rng = np.random.default_rng(3)
    e = rng.exponential(1.0, 3_000)
    years = np.where(e <= 0.4, e / 0.4, 1.0 + (e - 0.4) / 1.5)
    led = synthetic(rng, 3_000, lifetime_days=years * hazards.DAYS_PER_YEAR)
    bands = hazards.age_bands(led, edges_months=(0.0, 12.0, math.inf)).set_index("age")
    assert bands.loc["0-12 months", "low_per_year"] <= 0.4 <= bands.loc["0-12 months", "high_per_year"]
    assert bands.loc["12+ months", "low_per_year"] <= 1.5 <= bands.loc["12+ months", "high_per_year"]


def test_kaplan_meier_closed_form() -> None:
    """Durations 1, 2, 2+, 3, 4+ (+ = censored): S(1) = 4/5, S(2) = 4/5 x 3/4 = 0.6,
    S(3) = 0.6 x 1/2 = 0.3; the censored 2 stays at risk at t = 2."""
    km = hazards.kaplan_meier(np.array([1, 2, 2, 3, 4]), np.array([1, 1, 0, 1, 0]))
    assert list(km["survival"]) == pytest.approx([0.8, 0.6, 0.3])
    assert list(km["at_risk"]) == [5, 4, 2]
    assert hazards.survival_at(km, 2.5) == pytest.approx(0.6)


def test_cohort_outcomes_by_hand() -> None:
    """Observation ends 2024-06-30. A: released 2023-01-15, retired 2023-08-10; B: released
    2023-02-20, never retired. Three-month windows from 2023-03 need start + 3 months <= 2024-06-30,
    so starts run 2023-03 .. 2024-03 (13 cohorts). A is live at starts 2023-03 .. 2023-08 (6) and
    retires inside the window from starts 2023-06, 07, 08 (3 ones); B is in all 13 with 0."""
    end = dt.date(2024, 6, 30)
    led = build([raw(dt.date(2023, 1, 15), "release_api", "a", as_of=end),
                 raw(dt.date(2023, 2, 20), "release_api", "b", as_of=end),
                 raw(dt.date(2023, 8, 10), "retirement_announced", "a", as_of=end)])
    out = hazards.cohort_outcomes(led, window_months=3)
    assert out["cohort"].nunique() == 13 and len(out) == 19
    a = out[out["model"] == "a"]
    assert len(a) == 6 and a["outcome"].sum() == 3
    assert [c.month for c in a[a["outcome"] == 1]["cohort"]] == [6, 7, 8]
    assert out[out["model"] == "b"]["outcome"].sum() == 0


def test_brier_of_perfect_and_constant_forecasts_equal_their_closed_forms() -> None:
    """For outcomes y with mean ybar: a perfect forecast scores 0; a constant c scores
    c^2 (1 - ybar) + (1 - c)^2 ybar; the base rate c = ybar scores ybar (1 - ybar)."""
    led = synthetic(np.random.default_rng(5), 300)
    y = hazards.cohort_outcomes(led, 12)["outcome"].to_numpy()
    ybar = y.mean()
    assert 0 < ybar < 1
    assert hazards.brier(y, y) == 0.0
    for c in (0.0, 0.3, 0.55, 1.0):
        assert hazards.brier(np.full(y.size, c), y) == pytest.approx(c * c * (1 - ybar) + (1 - c) ** 2 * ybar)
    scores = hazards.brier_scores(led, 12, annual_probability=0.55)
    assert scores["pairs"] == y.size and scores["base_rate"] == pytest.approx(ybar)
    assert scores["brier"]["base_rate"] == pytest.approx(ybar * (1 - ybar))
    assert scores["brier"]["shipped"] == pytest.approx(0.55 ** 2 * (1 - ybar) + 0.45 ** 2 * ybar)


def test_window_probability() -> None:
    """1 - (1 - p)^(W/12): 12 months gives p; 24 months of 0.55 gives 1 - 0.45^2 = 0.7975."""
    assert hazards.window_probability(0.55, 12) == pytest.approx(0.55)
    assert hazards.window_probability(0.55, 24) == pytest.approx(0.7975)


def test_age_band_forecast_integrates_the_band_hazards() -> None:
    """Bands 0-12 months at 0.6/yr and 12+ at 1.2/yr; a 6-month-old model over 12 months spends
    6 months in each: P = 1 - exp(-(0.6 + 1.2) x 0.5) = 1 - exp(-0.9)."""
    bands = pd.DataFrame({"age_low_months": [0.0, 12.0], "age_high_months": [12.0, math.inf],
                          "rate_per_year": [0.6, 1.2]})
    forecast = hazards.age_band_forecast(bands)
    assert forecast(np.array([6.0]), 12)[0] == pytest.approx(1 - math.exp(-0.9))


def test_multiplier_stats_closed_form() -> None:
    """0.5, 1 and 2: median 1, geometric mean (0.5 x 1 x 2)^(1/3) = 1, one cut, one flat, one rise."""
    s = hazards.multiplier_stats([0.5, 1.0, 2.0])
    assert s["median"] == 1.0 and s["geometric_mean"] == pytest.approx(1.0)
    assert s["share_cuts"] == s["share_flat"] == s["share_rises"] == pytest.approx(1 / 3)
    assert s["halved_or_less"] == 1 and s["doubled_or_more"] == 1


def test_successor_multipliers_count_each_succession_once() -> None:
    """Two aliases retired to the same successor at the same multiplier count once; a successor
    released after the shutdown is dropped; a shutdown with no announcement counts; the
    effective row of an announced retirement does not count again."""
    d = dt.date
    rows = [raw(d(2024, 1, 1), "release_api", "new"), raw(d(2025, 6, 1), "release_api", "later"),
            raw(d(2024, 3, 1), "retirement_announced", "old-a", successor="new", effective_date="2024-06-01",
                successor_price_multiplier_blend_3in_1out="0.5"),
            raw(d(2024, 3, 1), "retirement_announced", "old-b", successor="new", effective_date="2024-06-01",
                successor_price_multiplier_blend_3in_1out="0.5"),
            raw(d(2024, 6, 1), "retirement_effective", "old-a", successor="new",
                successor_price_multiplier_blend_3in_1out="0.5"),
            raw(d(2024, 3, 1), "retirement_announced", "old-c", successor="later",
                effective_date="2024-09-01", successor_price_multiplier_blend_3in_1out="3"),
            raw(d(2024, 7, 1), "retirement_effective", "old-d", successor="new",
                successor_price_multiplier_blend_3in_1out="2")]
    led = build(rows)
    assert sorted(ledger.successor_multipliers(led)) == [0.5, 2.0]
    every = ledger.successor_multipliers(led, distinct=False, contemporary=False)
    assert sorted(every) == [0.5, 0.5, 2.0, 3.0]


def test_licence_rates_count_turns_per_family_year() -> None:
    """Two families open from 2023-01-01 to the snapshot 2025-01-01 (2 x 731 days = 4.003 years);
    one tightened licence and one closed flagship: 1 and 2 turns over 4.003 family-years."""
    d, end = dt.date, dt.date(2025, 1, 1)
    led = build([raw(d(2023, 1, 1), "release_open", "x", as_of=end, provider="f1"),
                 raw(d(2023, 1, 1), "release_open", "y", as_of=end, provider="f2"),
                 raw(d(2024, 1, 1), "licence_change", "y2", as_of=end, provider="f2", direction="tightened"),
                 raw(d(2024, 5, 1), "release_closed", "z", as_of=end, provider="f1")])
    tightened, turns, loosened = hazards.licence_rates(led)
    years = 2 * 731 / hazards.DAYS_PER_YEAR
    assert tightened.events == 1 and tightened.exposure_years == pytest.approx(years)
    assert turns.events == 2 and loosened.events == 0


def test_withdrawal_exposure_counts_providers_whose_pages_are_read_not_a_hosted_exit() -> None:
    """Two vendors with deprecation pages read on 2025-01-01 (2 x 731 days = 4.003 provider-years
    from 2023-01-01) and one withdrawal: 1 / 4.003 = 0.2498 a year. Meta's Llama API exit (a
    retirement row, but no page of Meta's is read) adds no provider-years: the same 4.003."""
    d, end = dt.date, dt.date(2025, 1, 1)
    rows = [raw(d(2024, 1, 1), "retirement_announced", "a1", as_of=end, provider="v1"),
            raw(d(2024, 2, 1), "retirement_announced", "b1", as_of=end, provider="v2"),
            raw(d(2024, 3, 1), "finetune_withdrawal", "ft", as_of=end, provider="v1")]
    exit_row = raw(d(2024, 6, 1), "retirement_announced", "llama-api-preview", as_of=end, provider="meta")
    years = 2 * 731 / hazards.DAYS_PER_YEAR
    for led in (build(rows), build([*rows, exit_row])):
        withdrawal = hazards.provider_rates(led)[0]
        assert withdrawal.kind == "finetune_withdrawal" and withdrawal.events == 1
        assert withdrawal.exposure_years == pytest.approx(years)
        assert withdrawal.rate_per_year == pytest.approx(1 / years)


def test_p5_p95_coverage_hook() -> None:
    assert hazards.p5_p95_coverage([1, 5, 9], [0, 0, 0], [2, 4, 10]) == pytest.approx(2 / 3)


def test_the_report_prints_the_coverage_it_is_given_beside_the_brier_scores() -> None:
    rows = [{"window_months": 12, "scenario": "all", "cohorts": 3, "first_cohort": "2023-03",
             "last_cohort": "2023-05", "cells": 40, "cells_with_events": 10, "coverage": 0.875,
             "below_p5": 0.1, "above_p95": 0.025, "mean_percentile": 41.6}]
    text = hazards.report(coverage=rows)
    assert text.index("Brier score") < text.index("Coverage of the simulated P5-P95")
    line = text.splitlines()[-1].split()
    assert line == ["12m", "all", "3", "(2023-03-2023-05)", "40", "10", "88%", "10%", "2%", "P42"]
    assert hazards.report_json(coverage=rows)["p5_p95_coverage"] == rows


def test_the_report_on_the_shipped_ledger() -> None:
    text = hazards.report()
    for heading in ("Event ledger:", "What the ledger misses:", "Hazards", "by model age",
                    "Kaplan-Meier", "Successor price multiplier", "Price-change multiplier", "Brier",
                    "P5-P95 range by realised costs (rolling cohorts of the replayed history): not computed"):
        assert heading in text
    data = hazards.report_json()
    json.dumps(data)
    announced = next(h for h in data["hazards"]
                     if h["kind"] == "retirement_announced" and h["provider"] == "all")
    assert announced["low_per_year"] <= announced["rate_per_year"] <= announced["high_per_year"]
    assert {b["window_months"] for b in data["brier"]} == {12, 24}
