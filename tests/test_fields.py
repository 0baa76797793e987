"""Bounded field types: a numeric leaf takes a number or any distribution form, with its nominal."""

from __future__ import annotations

from tco.distributions import Lognormal, Pert, Triangular, Uniform
from tests.conftest import build


def test_distributions_and_nominals() -> None:
    sc = build(workload__growth_per_month={"pert": [0, 0.02, 0.1]},
               workload__requests_per_month={"lognormal": {"median": 1e6, "p90": 2e6}},
               workload__input_tokens_per_request={"uniform": [500, 1500]},
               workload__output_tokens_per_request={"triangular": [100, 200, 400]})
    w = sc.workload
    assert w.growth_per_month == Pert(0, 0.02, 0.1)
    assert w.requests_per_month == Lognormal(1e6, 2e6)
    assert w.input_tokens_per_request == Uniform(500, 1500)
    assert w.output_tokens_per_request == Triangular(100, 200, 400)
    assert [d.nominal for d in (w.growth_per_month, w.requests_per_month, w.input_tokens_per_request,
                                w.output_tokens_per_request)] == [0.02, 1e6, 1000, 200]
