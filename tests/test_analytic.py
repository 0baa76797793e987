"""Monte Carlo estimates of the whole model against closed forms, within Z standard errors."""

from __future__ import annotations

import numpy as np

import tco
from tco import kernel
from tco.draws import draw_shocks, inputs_from_uniforms, path_uniforms
from tests.conftest import PER_REQUEST_API, PER_REQUEST_BACKUP, Z, build

R = 1e6  # API_ONLY: 1M requests a month


def path_costs(sc, paths: int, seed: int) -> np.ndarray:
    """Monthly cost per path, strategy and month, straight from the kernel: (paths, S, M)."""
    u = path_uniforms(sc, seed, paths, "random")
    x = inputs_from_uniforms(sc.inputs, u)
    return kernel.run(sc, x, draw_shocks(sc, x, seed, 0, paths), want_cost=True).cost_usd


def assert_mean_close(samples: np.ndarray, expected: float) -> None:
    se = samples.std(ddof=1) / np.sqrt(samples.size)
    assert abs(samples.mean() - expected) < Z * se + 1e-12, (samples.mean(), expected, se)


def test_probability_an_event_fires_within_the_horizon() -> None:
    """P(at least one exit in H = 24 months) = 1 - (1 - p)^(H/12) = 1 - 0.7^2 = 0.51."""
    sc = build(horizon_months=24, risks=[{"kind": "exit", "on": ["api"], "annual_probability": 0.3}])
    fired = tco.simulate(sc, paths=20_000, seed=1).events[:, 0, 2]
    assert set(np.unique(fired)) <= {0.0, 1.0}
    assert_mean_close(fired, 0.51)


def test_expected_compounded_multiplier() -> None:
    """Price jumps of x1.5 fire each month with q = 1 - 0.6^(1/12). By month t the index carries
    N ~ Binomial(t + 1, q) jumps, so E[1.5^N] = (1 - q + 1.5 q)^(t + 1)."""
    sc = build(risks=[{"kind": "price_change", "on": ["api"], "annual_probability": 0.4,
                       "multiplier": 1.5}])
    ratio = path_costs(sc, 20_000, 2)[:, 0, 11] / (1e6 * PER_REQUEST_API)
    q = 1 - 0.6 ** (1 / 12)
    assert_mean_close(ratio, (1 - q + 1.5 * q) ** 12)


def test_expected_lognormal_price_index() -> None:
    """The walk is mean-preserving: log I(t) = t ln(1 + trend)/12 + sum over months 1..t of
    (sigma/sqrt(12) z - sigma^2/24), and E[exp(s z - s^2/2)] = 1, so E[I(t)] = (1 + trend)^(t/12):
    the deterministic model's index. trend 10%, sigma 40%, t = 11: 1.1^(11/12) = 1.091304."""
    sc = build(options__api__price_trend_per_year=0.1, options__api__price_volatility_per_year=0.4)
    index = path_costs(sc, 20_000, 3)[:, 0, :] / (1e6 * PER_REQUEST_API)
    assert np.all(index[:, 0] == 1.0)  # I(0) = 1 on every path
    assert_mean_close(index[:, 11], 1.1 ** (11 / 12))
    # Its median sits below the mean by the volatility correction: exp(-11 x 0.4^2 / 24).
    assert abs(np.median(index[:, 11]) / (1.1 ** (11 / 12) * np.exp(-11 * 0.4**2 / 24)) - 1) < 0.02


def test_monte_carlo_mean_equals_the_deterministic_model_under_volatility() -> None:
    """With volatility and no events the Monte Carlo mean NPV equals the deterministic NPV within
    its standard error (the walk is mean-preserving; before contract v2 it was e^(t sigma^2/24)
    higher, +5.8% at sigma 0.15 over 60 months)."""
    sc = build(horizon_months=60, options__api__price_volatility_per_year=0.3,
               options__api__price_trend_per_year=-0.1)
    result = tco.simulate(sc, paths=20_000, seed=11)
    npv = result.npv_usd[:, 0]
    deterministic = tco.evaluate(sc).npv_usd.iloc[0]
    assert_mean_close(npv, deterministic)


def test_exit_moves_the_share_to_the_fallback() -> None:
    """After an exit in month e <= t, the traffic is billed at the fallback: expected month-t cost
    = R [a (1 - q)^(t + 1) + b (1 - (1 - q)^(t + 1))], no switching cost configured."""
    sc = build(risks=[{"kind": "exit", "on": ["api"], "annual_probability": 0.5}])
    cost = path_costs(sc, 20_000, 4)[:, 0, :]
    q = 1 - 0.5 ** (1 / 12)
    for t in (0, 5, 11):
        alive = (1 - q) ** (t + 1)
        assert_mean_close(cost[:, t], 1e6 * (PER_REQUEST_API * alive + PER_REQUEST_BACKUP * (1 - alive)))


def test_lock_in_premium_closed_form() -> None:
    """Price jumps x1.5 with monthly probability q and nothing else random: the premium is
    sum_t R c ((1 - q + 1.5 q)^(t + 1) - 1) at r = 0."""
    sc = build(risks=[{"kind": "price_change", "on": ["api"], "annual_probability": 0.4,
                       "multiplier": 1.5}])
    result = tco.simulate(sc, paths=20_000, seed=8)
    q = 1 - 0.6 ** (1 / 12)
    expected = sum(R * PER_REQUEST_API * ((1 - q + 1.5 * q) ** (t + 1) - 1) for t in range(12))
    premium = result.summary().loc["api-only", "lock_in_premium"]
    se = result.npv_usd[:, 0].std(ddof=1) / np.sqrt(result.paths)  # the no-event NPV is constant
    assert abs(premium - expected) < Z * se
