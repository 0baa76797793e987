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


def test_the_files_as_of_dates_the_inputs_it_sets_and_only_those() -> None:
    """``as_of: 2026-11-30`` dates every input the file sets (its prices, traffic and judgements),
    not the defaults the file leaves to the tool (a default discount rate, for one); without it they
    carry none. A date object (what a YAML 1.1 reader makes of 2026-11-30) reads as the same day."""
    import datetime as dt

    from tests.conftest import validate

    dated = validate({**raw(), "as_of": "2026-11-30"}).inputs.params
    assert dated["options.api.input_usd_per_mtok"].as_of == "2026-11-30"
    assert dated["workload.requests_per_month"].as_of == "2026-11-30"
    defaults = [p for p in dated.values() if not p.source.startswith("scenario file")]
    assert defaults and all(p.as_of != "2026-11-30" for p in defaults)
    assert validate({**raw(), "as_of": dt.date(2026, 11, 30)}).inputs.params[
        "workload.requests_per_month"].as_of == "2026-11-30"
    assert validate(raw()).inputs.params["options.api.input_usd_per_mtok"].as_of is None


def test_an_as_of_date_that_is_not_a_past_day_is_refused_in_one_line() -> None:
    import datetime as dt

    assert message({**raw(), "as_of": "2026-13-01"}) == "as_of: must be a date written YYYY-MM-DD"
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert message({**raw(), "as_of": tomorrow.isoformat()}).startswith(
        "as_of: must be a date between 2000-01-01 and today")
