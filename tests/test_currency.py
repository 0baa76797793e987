"""Currencies: the catalogs' US dollars converted at a cited rate, and a rate-less mix refused."""

from __future__ import annotations

import numpy as np
import pytest

import tco.fx as fx
from tco.cli import main
from tco.simulate import simulate
from tests.conftest import HOSTED, build, message, raw

CATALOG_ONLY = raw()
CATALOG_ONLY["options"] = {
    "api": {"kind": "api", "catalog": "openai/gpt-4o", "price_volatility_per_year": 0.3},
    "own": {**{k: v for k, v in HOSTED.items() if k != "usd_per_gpu_hour"}, "ops_fte": 0.0},
}
CATALOG_ONLY["strategies"] = {"api-only": {"mix": {"api": 1.0}},
                              "self-host": {"mix": {"own": 1.0}, "fallback": "api"}}
CATALOG_ONLY["discount_rate_per_year"] = 0.08
CATALOG_ONLY["switching"] = {"engineer_weeks": 4}
CATALOG_ONLY["risks"] = [{"kind": "price_change", "on": ["api"], "annual_probability": 0.5,
                          "multiplier": {"uniform": [0.5, 1.5]}}]
"""Every money input from a catalog or a default: GPT-4o's list price, the H100's typical rent and
the default engineer-week of a migration, all US dollars (no ops staff: its pay is required)."""


def _in(currency: str, **more) -> dict:
    data = raw(CATALOG_ONLY)
    data.update(currency=currency, **more)
    return data


def test_a_power_of_two_rate_divides_every_npv_exactly() -> None:
    """The model is linear in its prices and no decision depends on their scale, so converting
    every catalog price at 1/2 EUR per USD halves every path's NPV; halving is exact in binary
    floating point, so NPV in EUR = NPV in USD / 2 bit for bit, on the same seed."""
    usd = simulate(build(CATALOG_ONLY), paths=64, seed=3)
    eur = simulate(build(_in("EUR", usd_per_currency_unit=2.0)), paths=64, seed=3)
    assert np.array_equal(eur.npv_usd, usd.npv_usd / 2.0)
    assert np.array_equal(eur.deterministic_npv_usd, usd.deterministic_npv_usd / 2.0)


def test_the_ecb_rate_converts_a_catalog_only_scenario() -> None:
    """Without a rate of its own, EUR takes the ECB reference rate of 2026-05-08, 1.1761 USD per
    EUR: NPV in EUR = NPV in USD / 1.1761 (to rounding, 1e-12: each price is divided once)."""
    usd = simulate(build(CATALOG_ONLY), paths=64, seed=3)
    eur = simulate(build(_in("EUR")), paths=64, seed=3)
    np.testing.assert_allclose(eur.npv_usd, usd.npv_usd / 1.1761, rtol=1e-12)
    np.testing.assert_allclose(eur.deterministic_npv_usd, usd.deterministic_npv_usd / 1.1761,
                               rtol=1e-12)


def test_cross_rates_go_through_the_euro() -> None:
    """GBP per USD = (GBP per EUR) / (USD per EUR) = 0.86410 / 1.1761, both the ECB's fixing."""
    rate = fx.reference("GBP")
    assert rate.per_usd == pytest.approx(0.86410 / 1.1761, rel=1e-15)
    assert rate.as_of == "2026-05-08" and "eurofxref" in rate.source


def test_the_source_of_a_converted_price_names_the_rate() -> None:
    sc = build(_in("EUR"))
    param = sc.inputs.params["options.api.input_usd_per_mtok"]
    usd = build(CATALOG_ONLY).inputs.params["options.api.input_usd_per_mtok"]
    assert param.value == usd.value / 1.1761
    assert "EUR per USD" in param.source and "2026-05-08" in param.source
    assert any(w.startswith("currency: the catalogs' US-dollar prices") for w in sc.inputs.warnings)


def test_amounts_written_in_the_scenario_are_not_converted() -> None:
    """Prices the scenario gives are already in its currency: an EUR scenario with only written
    prices costs the same numbers as the USD one (its one extra input, the exchange rate's
    volatility, is 0 by default)."""
    usd = build(raw())
    eur = build(raw(), currency="EUR")
    assert eur.inputs.params["options.api.input_usd_per_mtok"].value == 3.0
    assert eur.inputs.params.pop("fx_volatility_per_year").value == 0.0
    assert [p.value for p in eur.inputs.params.values()] == [p.value for p in usd.inputs.params.values()]


def test_a_currency_without_a_rate_is_refused_in_one_line() -> None:
    text = message(_in("XAU"))
    assert text.startswith("currency: XAU has no reference rate to convert options.")
    assert "usd_per_currency_unit" in text


def test_a_currency_without_a_rate_but_no_catalog_price_is_accepted() -> None:
    """Nothing to convert (only written prices and zero defaults): no rate needed."""
    assert build(raw(), currency="XAU").currency == "XAU"


def test_a_rate_needs_a_currency() -> None:
    assert message(_in("USD", usd_per_currency_unit=1.1)).startswith(
        "usd_per_currency_unit: converts into another currency")


def test_catalog_currencies_lists_the_ecb_rates(capsys) -> None:
    assert main(["catalog", "currencies"]) == 0
    out = capsys.readouterr().out
    assert "EUR" in out and "2026-05-08" in out and "eurofxref" in out


FX_WALK = raw()
FX_WALK["options"] = {
    "dear": {"kind": "api", "catalog": "openai/gpt-4o"},
    "cheap": {"kind": "api", "catalog": "anthropic/claude-haiku-4-5"},
    "local": {"kind": "api", "input_usd_per_mtok": 3.0, "output_usd_per_mtok": 15.0},
}
FX_WALK["strategies"] = {"dear": {"mix": {"dear": 1.0}}, "cheap": {"mix": {"cheap": 1.0}},
                         "local": {"mix": {"local": 1.0}}}
FX_WALK.update(currency="EUR", discount_rate_per_year=0.08, horizon_months=24)
"""Two options priced from the USD catalog with no walk of their own, and one priced in euros in
the scenario: only the first two are exposed to the exchange rate."""


def test_fx_volatility_is_one_mean_preserving_walk_on_the_usd_priced_options() -> None:
    """With no price walk of their own, the two catalog-priced options' indices are the same
    exchange-rate walk on every path, so their NPVs keep their nominal ratio path by path (to
    rounding); the option priced in euros does not move. Closed form of the spread: a monthly
    cost c_t I(t) with log I(t) a walk of t steps of N(-s^2/2, s^2), s = sigma / sqrt(12), has
    E[I(t)] = 1 and Cov(I(u), I(t)) = exp(s^2 min(u, t)) - 1, so
    Var NPV = sum_u sum_t DF_u DF_t c_u c_t (exp(s^2 min(u, t)) - 1).
    Tolerances: the mean within 4 standard errors (fails by chance about 1 in 16,000); the sample
    standard deviation within 4 of its standard errors, sd / sqrt(2 n) for a near-normal NPV."""
    from tco.model import evaluate_kernel

    sc = build(FX_WALK, fx_volatility_per_year=0.25)
    result = simulate(sc, paths=20_000, seed=11)
    npv = dict(zip(result.strategies, result.npv_usd.T, strict=True))
    det = evaluate_kernel(sc)
    nominal = dict(zip(result.strategies, det.npv_usd[0], strict=True))
    np.testing.assert_allclose(npv["dear"] / npv["cheap"], nominal["dear"] / nominal["cheap"], rtol=1e-12)
    assert np.ptp(npv["local"]) == 0.0 and npv["local"][0] == pytest.approx(nominal["local"], rel=1e-12)
    assert np.ptp(npv["dear"]) > 0.0
    monthly = det.line_sum_usd[result.strategies.index("dear")].sum(axis=0)  # (months,)
    t = np.arange(sc.horizon_months)
    s2 = 0.25**2 / 12
    df = 1.08 ** -((t + 1) / 12)
    cov = np.exp(s2 * np.minimum.outer(t, t)) - 1.0
    sd = float(np.sqrt((df * monthly) @ cov @ (df * monthly)))
    n = result.paths
    assert abs(npv["dear"].mean() - nominal["dear"]) < 4 * sd / np.sqrt(n)
    assert abs(npv["dear"].std(ddof=1) - sd) < 4 * sd / np.sqrt(2 * n)


def test_fx_volatility_adds_to_an_options_own_walk() -> None:
    """The option's index walks with hypot(own, fx): with own 0.3 and fx 0.4 its log index at
    month t has standard deviation 0.5 sqrt(t / 12), as a single walk of 0.5 would."""
    data = raw(FX_WALK)
    data["options"]["dear"]["price_volatility_per_year"] = 0.3
    sc = build(data, fx_volatility_per_year=0.4)
    x = simulate(sc, paths=16, seed=1).inputs
    assert x["options.dear.price_volatility_per_year"][0] == pytest.approx(0.5, rel=1e-15)
    assert x["options.cheap.price_volatility_per_year"][0] == pytest.approx(0.4, rel=1e-15)
    assert x["options.local.price_volatility_per_year"][0] == 0.0


def test_zero_fx_volatility_leaves_every_path_as_it_was() -> None:
    base = simulate(build(FX_WALK), paths=300, seed=5)
    zero = simulate(build(FX_WALK, fx_volatility_per_year=0.0), paths=300, seed=5)
    assert np.array_equal(base.npv_usd, zero.npv_usd)


def test_fx_volatility_needs_another_currency() -> None:
    data = raw(FX_WALK)
    data.update(currency="USD", fx_volatility_per_year=0.1)
    assert message(data).startswith("fx_volatility_per_year: moves the rate of another currency")
