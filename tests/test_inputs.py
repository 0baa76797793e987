"""Parameter table resolution: the copula's rank correlations must form a positive definite matrix."""

from __future__ import annotations

from tests.conftest import message, raw


def test_non_positive_definite_correlations() -> None:
    data = raw()
    data["workload"]["growth_per_month"] = {"uniform": [0, 0.1]}
    data["options"]["api"]["price_trend_per_year"] = {"uniform": [-0.2, 0]}
    data["options"]["backup"]["price_trend_per_year"] = {"uniform": [-0.2, 0]}
    a, b, c = ("workload.growth_per_month", "options.api.price_trend_per_year",
               "options.backup.price_trend_per_year")
    data["correlations"] = [{"between": [a, b], "rho": 0.95}, {"between": [b, c], "rho": 0.95},
                            {"between": [a, c], "rho": -0.95}]
    assert message(data) == ("correlations: the rank correlations are not consistent (the matrix is "
                             "not positive definite); weaken some rho values")


def test_the_files_as_of_dates_the_inputs_it_sets_and_the_defaults_it_leaves() -> None:
    """``as_of: 2026-11-30`` dates every input the file sets (its prices, traffic and judgements)
    and every input it leaves at the model's default (the default discount rate, for one: leaving
    it is part of the file as last checked), so no row of the assumptions table goes undated;
    without it they carry none. A date object (what a YAML 1.1 reader makes of 2026-11-30) reads
    as the same day. Every dollar default of the schema is $0, none of a cost: no price, never
    stale; a non-zero one (an engineer-week at a $4,000 default, made here) would age like the
    file's own prices, 95 days after 2026-11-30 on 2027-03-05."""
    import dataclasses
    import datetime as dt

    from tco.options.table import DEFAULT_SOURCE
    from tco.report import stale_days
    from tests.conftest import validate

    dated = validate({**raw(), "as_of": "2026-11-30"}).inputs.params
    assert dated["options.api.input_usd_per_mtok"].as_of == "2026-11-30"
    assert dated["workload.requests_per_month"].as_of == "2026-11-30"
    defaults = [p for p in dated.values() if p.source == DEFAULT_SOURCE]
    assert defaults and all(p.as_of == "2026-11-30" for p in defaults)
    assert validate({**raw(), "as_of": dt.date(2026, 11, 30)}).inputs.params[
        "workload.requests_per_month"].as_of == "2026-11-30"
    undated = validate(raw()).inputs.params
    assert undated["options.api.input_usd_per_mtok"].as_of is None
    assert all(p.as_of is None for p in undated.values() if p.source == DEFAULT_SOURCE)
    week = dated["switching.usd_per_engineer_week"]
    assert week.source == DEFAULT_SOURCE and week.nominal == 0.0
    assert stale_days(week, dt.date(2030, 1, 1)) is None
    assert stale_days(dataclasses.replace(week, value=4000.0), dt.date(2027, 3, 5)) == 95


def test_an_as_of_date_that_is_not_a_past_day_is_refused_in_one_line() -> None:
    import datetime as dt

    assert message({**raw(), "as_of": "2026-13-01"}) == "as_of: must be a date written YYYY-MM-DD"
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert message({**raw(), "as_of": tomorrow.isoformat()}).startswith(
        "as_of: must be a date between 2000-01-01 and today")
