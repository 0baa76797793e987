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
