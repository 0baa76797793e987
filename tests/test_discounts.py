"""Negotiated prices: a list-price discount on token-billed options, and the words that say so."""

from __future__ import annotations

import pytest

from tco.model import evaluate
from tco.report import price_basis
from tests.conftest import HOSTED, PER_REQUEST_API, build, message, raw

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


def test_a_strategy_wide_discount_scales_only_its_own_token_bills() -> None:
    """A strategy's list_price_discount of 25% on top of the option's 20%: 72,000 x 0.8 x 0.75 =
    $43,200; another strategy on the same option pays 0.8 x 72,000 = $57,600, untouched."""
    data = raw(ONE_API)
    data["strategies"]["deal"] = {"mix": {"api": 1.0}, "list_price_discount": 0.25}
    sc = build(data, options__api__list_price_discount=0.2)
    npv = evaluate(sc).npv_usd
    assert npv["deal"] == pytest.approx(43_200, rel=1e-12)
    assert npv["api-only"] == pytest.approx(57_600, rel=1e-12)
    assert price_basis(sc) == ("Token prices less negotiated discounts off list prices: api 20.0%, "
                               "25.0% on every token price of deal; others at list prices.")


def test_a_strategy_wide_discount_leaves_a_fleet_at_its_price() -> None:
    """The deal is on token prices: a self-hosted strategy's GPU bill is the same with and without
    it, bit for bit, while the API strategy's falls by exactly the discount (72,000 x 0.7)."""
    def scenario(discount: float):
        data = raw()
        data["options"]["hosted"] = dict(HOSTED)
        data["strategies"]["self"] = {"mix": {"hosted": 1.0}}
        for strategy in data["strategies"].values():
            strategy["list_price_discount"] = discount
        return evaluate(build(data)).npv_usd

    listed, dealt = scenario(0.0), scenario(0.3)
    assert dealt["self"] == listed["self"]
    assert dealt["api-only"] == pytest.approx(0.7 * listed["api-only"], rel=1e-12)
    assert listed["api-only"] == pytest.approx(72_000, rel=1e-12)


def test_a_discount_above_one_is_refused() -> None:
    assert message(raw(ONE_API) | {"options": {"api": {**ONE_API["options"]["api"],
                                                       "list_price_discount": 1.5}}}).startswith(
        "options.api.list_price_discount:")


def _deepseek(start: str | None, **prices) -> dict:
    data = raw(ONE_API)
    data["options"]["api"] = {"kind": "api", "catalog": "deepseek/deepseek-chat", **prices}
    if start is not None:
        data["start"] = start
    return data


def test_a_price_checked_long_before_the_start_warns_once() -> None:
    """deepseek-chat's prices were last checked upstream on 2025-07-12 (before DeepSeek's
    2025-09-05 repricing): from 2026-01, 2026-01-01 - 2025-07-12 = 173 days, not yet stale; from
    2026-02, 204 days > 180, one warning; the lookup is dated by that check, not the snapshot."""
    assert not [w for w in build(_deepseek("2026-01")).inputs.warnings if "checked" in w]
    stale = [w for w in build(_deepseek("2026-02")).inputs.warnings if "checked" in w]
    assert stale == ["options.api.catalog: deepseek/deepseek-chat's prices were last checked "
                     "upstream on 2025-07-12, 204 days before 2026-02; give the option's prices "
                     "with their source to override them"]
    assert build(_deepseek(None)).inputs.params["options.api.input_usd_per_mtok"].as_of == "2025-07-12"


def test_a_cited_price_overrides_the_stale_catalog() -> None:
    sc = build(_deepseek("2026-06", input_usd_per_mtok=0.56, output_usd_per_mtok=1.68))
    assert not [w for w in sc.inputs.warnings if "checked" in w]
    assert sc.inputs.params["options.api.input_usd_per_mtok"].value == 0.56
