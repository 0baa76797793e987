"""Random draws: SplitMix64 against its reference, cell uniforms, events drawn by inter-arrival
(against their definition, a Bernoulli process's closed forms, the coupling across probabilities,
caps, shared facts and chunking), event sizes fixed per event index."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from tco.draws import (
    PAIR_STRIDE,
    RNG_BLOCK_PATHS,
    Shocks,
    cell_uniforms,
    draw_shocks,
    inputs_from_uniforms,
    path_uniforms,
    splitmix64,
)
from tco.load import Loaded, validate, with_changes
from tco.model import nominal_inputs
from tests.conftest import API_ONLY, Z, build, raw


def test_splitmix64_matches_the_published_reference_outputs() -> None:
    """The first six outputs for seed 1477776061723855037, as listed in the rand_xoshiro crate's
    `reference` test (rust-random/rngs, rand_xoshiro/src/splitmix64.rs), which produced them with
    Vigna's splitmix64.c."""
    expected = np.array([1985237415132408290, 2979275885539914483, 13511426838097143398,
                         8488337342461049707, 15141737807933549159, 17093170987380407015],
                        dtype=np.uint64)
    assert np.array_equal(splitmix64(np.uint64(1477776061723855037), np.arange(6)), expected)


def test_cell_uniforms_are_uniform_and_independent_of_order() -> None:
    """Kolmogorov-Smirnov on 200,000 values: a uniform source gives p < 1e-4 with probability
    1e-4. Drawing a subset in another order gives the same value per cell."""
    u = cell_uniforms(11, "impacts", np.arange(200_000))
    assert ((u > 0.0) & (u < 1.0)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    lag = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(lag) < Z / np.sqrt(u.size)  # serial correlation: SE 1/sqrt(n) under independence
    cells = np.array([199_999, 7, 123_456, 0])
    assert np.array_equal(cell_uniforms(11, "impacts", cells), u[cells])
    assert not np.array_equal(cell_uniforms(11, "weeks", cells), u[cells])


def _monthly(annual: float | np.ndarray) -> float | np.ndarray:
    """q = 1 - (1 - p)^(1/12), written out here rather than imported."""
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


def _shocks(sc: Loaded, paths: int, seed: int = 5, first_block: int = 0) -> tuple[dict, Shocks]:
    """The inputs and shocks of paths ``first_block x 1024`` onwards of a pseudo-random run."""
    u = path_uniforms(sc, seed, first_block * RNG_BLOCK_PATHS + paths, "random")
    x = inputs_from_uniforms(sc.inputs, u[first_block * RNG_BLOCK_PATHS:])
    return x, draw_shocks(sc, x, seed, first_block, paths, with_noise=False)


def _kth_event_month(fired: np.ndarray) -> np.ndarray:
    """Month of each path's k-th event (k from 0), ``months`` where it has none: ``(paths, months)``."""
    count = np.cumsum(fired, axis=1)
    return np.stack([(count <= k).sum(axis=1) for k in range(fired.shape[1])], axis=1)


def _one_risk(annual: float | dict, months: int = 24, **extra) -> Loaded:
    data = raw()
    data["horizon_months"] = months
    data["risks"] = [{"kind": "deprecation", "on": ["api"], "annual_probability": annual, **extra}]
    return build(data)


def test_event_months_are_geometric_gaps_of_the_arrivals_stream() -> None:
    """Recomputed from the definition, one path at a time in plain Python: the k-th uniform of a
    path is the "arrivals" cell uniform at counter pair x 2^40 + path x months + k, its gap is
    max(1, ceil(ln u / ln(1 - q))) months, the first event falls in month gap - 1 and each later
    one a gap after the previous, while inside the horizon and, for a capped line, only the first
    ``max_events``. An uncertain annual probability (one q per path), a capped second line and a
    chunk starting at block 1 with a partial last block exercise every branch."""
    data = raw()
    data["risks"] = [
        {"kind": "deprecation", "on": ["api"], "annual_probability": {"uniform": [0.2, 0.9]}},
        {"kind": "price_change", "on": ["api"], "annual_probability": 0.6, "multiplier": 1.2,
         "max_events": 2}]
    sc = build(data)
    seed, months, first_block, paths = 3, sc.horizon_months, 1, 600
    x, shocks = _shocks(sc, paths, seed, first_block)
    annual = {0: np.broadcast_to(x["risks.0.annual_probability"], (paths,)),
              1: np.broadcast_to(x["risks.1.annual_probability"], (paths,))}
    for pair, cap in ((0, months), (1, 2)):
        expected = np.zeros((paths, months), dtype=bool)
        for row in range(paths):
            q = float(_monthly(annual[pair][row]))
            path = first_block * RNG_BLOCK_PATHS + row
            month = -1
            for k in range(cap):
                counter = pair * PAIR_STRIDE + path * months + k
                u = float(cell_uniforms(seed, "arrivals", np.array([counter]))[0])
                month += max(1, math.ceil(math.log(u) / math.log(1.0 - q)))
                if month >= months:
                    break
                expected[row, month] = True
        np.testing.assert_array_equal(shocks.fired[(pair, "api")], expected, err_msg=str(pair))
    assert shocks.fired[(1, "api")].sum(axis=1).max() == 2
    assert 0 < shocks.fired[(0, "api")].sum() < paths * months


def test_each_month_fires_with_its_monthly_probability() -> None:
    """P(event in month t) = q for every t, q = 1 - 0.5^(1/12) = 0.0561 for an annual 0.5.

    20,480 paths: each month's frequency has standard error sqrt(q(1 - q) / n) = 0.0016; all 24
    within 4 SE fails by chance with probability 24 x 6.3e-5 = 1.5e-3.
    """
    paths, q = 20 * RNG_BLOCK_PATHS, _monthly(0.5)
    _, shocks = _shocks(_one_risk(0.5), paths)
    frequency = shocks.fired[(0, "api")].mean(axis=0)
    assert np.abs(frequency - q).max() < Z * math.sqrt(q * (1 - q) / paths)


def test_event_count_per_path_is_binomial() -> None:
    """Months independent and alike: a path's events over 24 months are Binomial(24, q).

    Chi-square of the counts against the binomial pmf (bins with an expected count under 5 pooled
    into the last): a correct draw gives p < 1e-4 with probability 1e-4. The mean count 24 q has
    standard error sqrt(24 q (1 - q) / n); the variance 24 q (1 - q) has standard error
    sqrt((mu4 - sigma^4) / n), mu4 = m q (1 - q) (1 + 3 (m - 2) q (1 - q)) for Binomial(m, q);
    each within 4 SE.
    """
    paths, months, q = 20 * RNG_BLOCK_PATHS, 24, _monthly(0.6)
    _, shocks = _shocks(_one_risk(0.6, months), paths, seed=9)
    count = shocks.fired[(0, "api")].sum(axis=1)
    expected = paths * stats.binom.pmf(np.arange(months + 1), months, q)
    last = int(np.flatnonzero(expected >= 5)[-1])
    observed = np.append(np.bincount(count, minlength=months + 1)[:last], (count >= last).sum())
    pooled = np.append(expected[:last], expected[last:].sum())
    assert stats.chisquare(observed, pooled).pvalue > 1e-4
    variance = months * q * (1 - q)
    assert abs(count.mean() - months * q) < Z * math.sqrt(variance / paths)
    mu4 = variance * (1 + 3 * (months - 2) * q * (1 - q))
    assert abs(count.var() - variance) < Z * math.sqrt((mu4 - variance**2) / paths)


def test_each_paths_own_probability_sets_its_rate() -> None:
    """An annual probability drawn per path, uniform on [0.05, 0.95]: the paths in each third of
    q fire, on average, 24 times their mean q a path. The count of path p has variance
    24 q_p (1 - q_p), so a third's total has SE sqrt(sum 24 q_p (1 - q_p)); 3 thirds within 4 SE
    fail by chance with probability 2e-4. The thirds' rates differ by many SE, so a draw that
    ignored the path's own q would fail."""
    paths, months = 20 * RNG_BLOCK_PATHS, 24
    x, shocks = _shocks(_one_risk({"uniform": [0.05, 0.95]}, months), paths, seed=4)
    q = _monthly(x["risks.0.annual_probability"])
    count = shocks.fired[(0, "api")].sum(axis=1)
    for third in np.array_split(np.argsort(q), 3):
        se = math.sqrt((months * q[third] * (1 - q[third])).sum())
        assert abs(count[third].sum() - months * q[third].sum()) < Z * se


def test_probability_zero_never_fires_and_one_fires_every_month() -> None:
    """The two ends of q, per path: ln(1 - q) is 0 (no gap ever ends) or minus infinity (every
    gap is one month)."""
    sc = _one_risk(0.5, 12)
    x = nominal_inputs(sc.inputs)
    x["risks.0.annual_probability"] = np.array([0.0, 1.0, 0.0, 1.0])
    fired = draw_shocks(sc, x, 1, 0, 4, with_noise=False).fired[(0, "api")]
    np.testing.assert_array_equal(fired, np.array([[False], [True], [False], [True]]).repeat(12, 1))


def test_a_likelier_event_fires_no_later_on_the_same_seed() -> None:
    """The coupling kept: each gap inverts the same uniform and is non-increasing in q, so on
    every path the k-th event of the likelier run falls in the same month as, or before, the k-th
    event of the less likely one, and the likelier run has at least as many. The k-th event of a
    path has the same size and effort in both runs (keyed by the event's index, whatever month it
    falls in), so a likelier cost-raising event can only raise a path's costs."""
    risks = [{"kind": "price_change", "on": ["api"], "annual_probability": 0.2,
              "multiplier": {"triangular": [1.0, 1.2, 2.0]}},
             {"kind": "deprecation", "on": ["api", "backup"], "annual_probability": 0.3}]
    low = build(risks=risks, switching={"engineer_weeks": {"triangular": [1, 4, 10]},
                                        "usd_per_engineer_week": 1000})
    high = with_changes(low, {"risks.0.annual_probability": 0.6, "risks.1.annual_probability": 0.8})
    shocks = {name: _shocks(sc, 3000, seed=5, first_block=2)[1]
              for name, sc in (("low", low), ("high", high))}
    for key, fired in shocks["low"].fired.items():
        likelier = shocks["high"].fired[key]
        earlier = _kth_event_month(likelier) <= _kth_event_month(fired)
        assert earlier.all(), key
        assert (likelier.sum(axis=1) >= fired.sum(axis=1)).all()
        assert likelier.sum() > fired.sum() > 0
        moved = 0
        for draws in ("impact", "weeks"):
            low_values = _per_path(getattr(shocks["low"], draws)[key], fired)
            high_values = _per_path(getattr(shocks["high"], draws)[key], likelier)
            for low_path, high_path in zip(low_values, high_values, strict=True):
                np.testing.assert_array_equal(high_path[:low_path.size], low_path)
        # Some k-th events moved to an earlier month and kept their size there.
        moved += int((_kth_event_month(likelier) < _kth_event_month(fired)).sum())
        assert moved > 0


def _per_path(values: np.ndarray, fired: np.ndarray) -> list[np.ndarray]:
    """Values in ``np.flatnonzero(fired)`` order, split into each path's events in month order."""
    rows = np.nonzero(fired)[0]
    return np.split(values, np.searchsorted(rows, np.arange(1, fired.shape[0])))


def test_max_events_keeps_each_paths_first_events() -> None:
    """A capped line fires exactly the first ``max_events`` events of the uncapped line on the
    same seed. With a cap of 1, P(no event in 24 months) = (1 - q)^24 = 0.4^2 = 0.16 for an annual
    0.6 (closed form), and a path never has more than one: the share of paths without one has
    standard error sqrt(0.16 x 0.84 / n), within 4 SE."""
    paths = 10 * RNG_BLOCK_PATHS
    free = _shocks(_one_risk(0.6), paths, seed=2)[1].fired[(0, "api")]
    for cap in (1, 2):
        capped = _shocks(_one_risk(0.6, max_events=cap), paths, seed=2)[1].fired[(0, "api")]
        np.testing.assert_array_equal(capped, free & (np.cumsum(free, axis=1) <= cap))
        assert capped.sum(axis=1).max() == cap
    once = _shocks(_one_risk(0.6, max_events=1), paths, seed=2)[1].fired[(0, "api")]
    none = 0.4**2
    assert abs((~once.any(axis=1)).mean() - none) < Z * math.sqrt(none * (1 - none) / paths)


def test_one_fact_takes_its_first_pairs_months_and_sizes() -> None:
    """Two models of one vendor share an exit: the second takes the first's months and sizes and
    draws no gaps of its own; its migration effort is its own (its own cells). A line marked
    ``independent`` draws the second pair's own months."""
    data = raw(API_ONLY)
    data["options"] = {"sonnet": {"kind": "api", "catalog": "anthropic/claude-sonnet-4-5"},
                       "haiku": {"kind": "api", "catalog": "anthropic/claude-haiku-4-5"}}
    data["strategies"] = {"s": {"mix": {"sonnet": 1.0}, "fallback": "haiku"}}
    data["switching"] = {"engineer_weeks": {"triangular": [1, 4, 10]}, "usd_per_engineer_week": 1000}
    data["risks"] = [{"kind": "exit", "on": ["sonnet", "haiku"], "annual_probability": 0.5}]
    _, shared = _shocks(validate(data), 2048)
    first, second = shared.fired[(0, "sonnet")], shared.fired[(0, "haiku")]
    np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(shared.impact[(0, "haiku")], shared.impact[(0, "sonnet")])
    assert first.sum() > 0 and not np.array_equal(shared.weeks[(0, "haiku")], shared.weeks[(0, "sonnet")])
    data["risks"][0]["independent"] = True
    _, apart = _shocks(validate(data), 2048)
    np.testing.assert_array_equal(apart.fired[(0, "sonnet")], first)
    assert not np.array_equal(apart.fired[(0, "haiku")], first)


def test_chunks_and_prefixes_draw_the_same_events() -> None:
    """Paths drawn in one chunk or in two (blocks 0-1, then 2 with a partial block) give the same
    events, sizes and efforts, bit for bit; the first 1,500 paths of 3,000 are a 1,500-path run."""
    data = raw()
    data["switching"] = {"engineer_weeks": {"triangular": [1, 4, 10]}, "usd_per_engineer_week": 1000}
    data["risks"] = [{"kind": "price_change", "on": ["api", "backup"],
                      "annual_probability": {"uniform": [0.2, 0.9]},
                      "multiplier": {"triangular": [1.0, 1.2, 2.0]}}]
    sc = build(data)
    _, whole = _shocks(sc, 3000)
    _, head = _shocks(sc, 2 * RNG_BLOCK_PATHS)
    _, tail = _shocks(sc, 3000 - 2 * RNG_BLOCK_PATHS, first_block=2)
    _, prefix = _shocks(sc, 1500)
    for key, fired in whole.fired.items():
        np.testing.assert_array_equal(np.concatenate([head.fired[key], tail.fired[key]]), fired)
        np.testing.assert_array_equal(prefix.fired[key], fired[:1500])
        for draws in ("impact", "weeks"):
            values = getattr(whole, draws)[key]
            np.testing.assert_array_equal(
                np.concatenate([getattr(head, draws)[key], getattr(tail, draws)[key]]), values)
            np.testing.assert_array_equal(getattr(prefix, draws)[key],
                                          values[:prefix.fired[key].sum()])
