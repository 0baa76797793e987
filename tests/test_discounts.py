"""Negotiated prices: a list-price discount on token-billed options, and the words that say so."""

from __future__ import annotations

import pytest

from tco.model import evaluate
from tco.report import price_basis
from tests.conftest import PER_REQUEST_API, build, message, raw

ONE_API = raw()
ONE_API["options"].pop("backup")
ONE_API["strategies"] = {"api-only": {"mix": {"api": 1.0}}}


def test_a_negotiated_discount_scales_the_token_bill() -> None:
    """1,000,000 requests a month for 12 months at $0.006 each (1,000 x $3 + 200 x $15 per 1M
    tokens), no discounting: $72,000 at list; 20% off: 0.8 x 72,000 = $57,600."""
    listed = evaluate(build(ONE_API)).npv_usd.iloc[0]
    cut = evaluate(build(ONE_API, options__api__list_price_discount=0.2)).npv_usd.iloc[0]
    assert listed == pytest.approx(12 * 1_000_000 * PER_REQUEST_API, rel=1e-12)
    assert cut == pytest.approx(57_600, rel=1e-12)


def test_it_compounds_with_the_batch_discount() -> None:
    """Half the requests batchable at 50% off, then 10% negotiated: 72,000 x (1 - 0.5 x 0.5) x 0.9
    = $48,600."""
    sc = build(ONE_API, workload__batchable_share=0.5, options__api__list_price_discount=0.1)
    assert evaluate(sc).npv_usd.iloc[0] == pytest.approx(48_600, rel=1e-12)


def test_the_discount_is_an_input_with_its_label() -> None:
    sc = build(ONE_API, options__api__list_price_discount=0.15)
    assert sc.inputs.params["options.api.list_price_discount"].value == 0.15
    assert price_basis(sc) == ("Token prices less negotiated discounts off list prices: api 15.0%; "
                               "others at list prices.")
    assert price_basis(build(ONE_API)) == "Token prices are list prices (no negotiated discount given)."


def test_a_discount_above_one_is_refused() -> None:
    assert message(raw(ONE_API) | {"options": {"api": {**ONE_API["options"]["api"],
                                                       "list_price_discount": 1.5}}}).startswith(
        "options.api.list_price_discount:")
