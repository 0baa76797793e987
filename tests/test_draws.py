"""Random draws: SplitMix64 against its reference, cell uniforms, event sizes fixed per cell."""

from __future__ import annotations

import numpy as np
from scipy import stats

from tco.draws import (
    RNG_BLOCK_PATHS,
    cell_uniforms,
    draw_shocks,
    generator,
    inputs_from_uniforms,
    path_uniforms,
    splitmix64,
)
from tco.load import with_changes
from tco.model import nominal_inputs
from tests.conftest import Z, build, raw


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


def test_an_events_size_does_not_depend_on_other_cells_firing() -> None:
    """Raising the probability fires a superset of cells; the cells that fired before keep their
    multiplier and effort, whatever else now fires."""
    risks = [{"kind": "price_change", "on": ["api"], "annual_probability": 0.2,
              "multiplier": {"triangular": [1.0, 1.2, 2.0]}},
             {"kind": "deprecation", "on": ["api", "backup"], "annual_probability": 0.3}]
    low = build(risks=risks, switching={"engineer_weeks": {"triangular": [1, 4, 10]},
                                        "usd_per_engineer_week": 1000})
    high = with_changes(low, {"risks.0.annual_probability": 0.6, "risks.1.annual_probability": 0.8})
    shocks = {}
    for name, sc in (("low", low), ("high", high)):
        resolved = sc.inputs
        x = nominal_inputs(resolved)
        shocks[name] = draw_shocks(sc, x, seed=5, first_block=2, paths=3000)
    for key, fired in shocks["low"].fired.items():
        wider = shocks["high"].fired[key]
        assert (wider >= fired).all() and wider.sum() > fired.sum() > 0
        kept = np.isin(np.flatnonzero(wider), np.flatnonzero(fired))
        assert np.array_equal(shocks["high"].impact[key][kept], shocks["low"].impact[key])
        assert np.array_equal(shocks["high"].weeks[key][kept], shocks["low"].weeks[key])


def test_fired_cells_are_the_events_stream_compared_with_each_paths_probability() -> None:
    """Recomputed from the stream's definition: block b of the "events" stream gives, pair after
    pair, one (1024, months) array of uniforms; a cell fires where its uniform is below the path's
    monthly probability 1 - (1 - annual)^(1/12). An uncertain annual probability (one per path)
    and 1,500 paths (a partial last block) exercise both branches of the comparison."""
    data = raw()
    data["risks"] = [
        {"kind": "deprecation", "on": ["api"], "annual_probability": {"uniform": [0.2, 0.9]}},
        {"kind": "price_change", "on": ["api"], "annual_probability": 0.3, "multiplier": 1.2}]
    sc = build(data)
    paths, seed, months = 1500, 3, sc.horizon_months
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, seed, paths, "random"))
    shocks = draw_shocks(sc, x, seed, 0, paths, with_noise=False)
    expected: dict[int, list[np.ndarray]] = {0: [], 1: []}
    for block in range(2):
        rng = generator(seed, "events", block)
        for k in (0, 1):
            expected[k].append(rng.random((RNG_BLOCK_PATHS, months)))
    for k, annual in ((0, x["risks.0.annual_probability"]), (1, x["risks.1.annual_probability"])):
        q = 1.0 - (1.0 - np.broadcast_to(annual, (paths,))) ** (1.0 / 12.0)
        u = np.concatenate(expected[k])[:paths]
        fired = shocks.fired[(k, "api")]
        # max_events caps a one-off kind; these two are not capped.
        assert np.array_equal(fired, u < q[:, None]), k
    assert 0 < shocks.fired[(0, "api")].sum() < paths * months
