"""The Monte Carlo engine and SimulationResult: deterministic limit, summaries, reproducibility."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tco
from tco.load import with_changes
from tests.conftest import BASE, SCENARIOS, Z, build, raw

simulate_module = importlib.import_module("tco.simulate")


def test_zero_risk_equals_deterministic_on_every_path() -> None:
    """With no risks and no volatility each path is the deterministic model at that path's inputs."""
    sc = build(workload__growth_per_month={"triangular": [0, 0.02, 0.05]},
               options__api__output_usd_per_mtok={"uniform": [10, 20]},
               discount_rate_per_year={"pert": [0.0, 0.08, 0.12]})
    result = tco.simulate(sc, paths=64, seed=5)
    inputs = result.sampled_inputs
    for path in range(5):
        fixed = with_changes(sc, {k: float(v) for k, v in inputs.iloc[path].items()})
        assert result.npv_usd[path] == pytest.approx(tco.evaluate(fixed).npv_usd.to_numpy(), rel=1e-12)
    plain = build()
    flat = tco.simulate(plain, paths=50, seed=1).npv_usd
    assert np.all(flat == tco.evaluate(plain).npv_usd.to_numpy())


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_summary_orderings(path) -> None:
    table = tco.simulate(tco.load_scenario(path), paths=2000, seed=3).summary()
    assert (table["p5"] <= table["p50"]).all() and (table["p50"] <= table["p95"]).all()
    assert (table["p95"] <= table["cvar95"]).all()
    assert table["p_cheapest"].sum() == pytest.approx(1.0)
    assert (table["expected_regret"] >= 0).all()


# ---------------------------------------------------------------------------------- reproducibility


def test_same_seed_same_numbers_bit_for_bit() -> None:
    a, b = tco.simulate(BASE, paths=3000, seed=9), tco.simulate(BASE, paths=3000, seed=9)
    assert np.array_equal(a.npv_usd, b.npv_usd)
    assert np.array_equal(a.cumulative_usd, b.cumulative_usd)
    assert not np.array_equal(a.npv_usd, tco.simulate(BASE, paths=3000, seed=10).npv_usd)


def test_chunk_size_and_workers_do_not_matter(monkeypatch) -> None:
    """Per-path results and the sums over paths (means by cost line, GPUs, amortised cost), bit
    for bit: the kernel keeps its sums per group of RNG_BLOCK_PATHS paths, added in run order."""
    names = ("npv_usd", "npv_no_events_usd", "line_mean_usd", "gpus_mean", "amortised_mean_usd")
    reference = tco.simulate(BASE, paths=5000, seed=4, workers=1)
    for size, workers in ((1024, 1), (2 * 1024, 2), (3 * 1024, 2)):
        monkeypatch.setattr(simulate_module, "chunk_paths", lambda paths, sc=None, workers=2, size=size: size)
        got = tco.simulate(BASE, paths=5000, seed=4, workers=workers)
        for name in names:
            assert np.array_equal(getattr(got, name), getattr(reference, name)), (size, name)


def test_chunks_grow_as_a_scenario_has_fewer_cells_per_path() -> None:
    """chunk_paths = 2,048 x 480 / ((strategies + noisy options) x months) paths, in whole RNG
    blocks of 1,024, between 2,048 and 8,192; runs under 16,384 paths take one chunk a thread.

    By hand: one option and one strategy over 24 months is 24 cells, 2,048 x 20 = 40,960 paths,
    capped at 8,192; BASE (the flagship: 4 strategies, 3 noisy options, 36 months) is 252 cells,
    2,048 x 480 / 252 = 3,900 paths, 3 whole blocks (3,072)."""
    data = raw()
    data["horizon_months"] = 24
    simple = build(data)  # one strategy, no noisy option
    assert simulate_module.chunk_paths(100_000, simple) == 8 * 1024
    # Small runs: one chunk per thread: 10,000 paths are 10 blocks, 5 a thread; 5,000 paths on
    # one thread (simulate's default under 8,192 paths) are 5 blocks in one chunk, on two 3 + 2.
    assert simulate_module.chunk_paths(10_000, simple, 2) == 5 * 1024
    assert simulate_module.chunk_paths(10_000, simple, 1) == 10 * 1024
    assert simulate_module.chunk_paths(5_000, simple, 1) == 5 * 1024
    assert simulate_module.chunk_paths(5_000, simple, 2) == 3 * 1024
    assert simulate_module.chunk_paths(100_000, BASE) == 3 * 1024
    # Balance: 20,000 paths of BASE are 20 blocks; chunks of 3 taken in turn by two threads are
    # 3+3+3+2 = 11 blocks against 9, more than 1 in 20 apart, so chunks of 2 (10 and 10); one
    # thread takes the largest.
    assert simulate_module.chunk_paths(20_000, BASE, 2) == 2 * 1024
    assert simulate_module.chunk_paths(20_000, BASE, 1) == 3 * 1024
    # The simple case's 20 blocks: 8 (12 against 8), 7 (13, 7), 6 (8, 12), then 5 (10, 10).
    assert simulate_module.chunk_paths(20_000, simple, 2) == 5 * 1024


def test_concurrent_runs_give_the_same_numbers() -> None:
    """Two page sessions simulating at once share the thread pool; neither may disturb the other."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as sessions:
        a, b = sessions.map(lambda seed: tco.simulate(BASE, paths=12_000, seed=seed), [4, 5])
    assert np.array_equal(a.npv_usd, tco.simulate(BASE, paths=12_000, seed=4, workers=1).npv_usd)
    assert np.array_equal(b.cumulative_usd,
                          tco.simulate(BASE, paths=12_000, seed=5, workers=1).cumulative_usd)


def test_first_paths_do_not_depend_on_the_path_count() -> None:
    short = tco.simulate(BASE, paths=1500, seed=4).npv_usd
    long = tco.simulate(BASE, paths=4000, seed=4).npv_usd
    assert np.array_equal(long[:1500], short)


def test_appending_a_strategy_leaves_the_others_unchanged() -> None:
    from tco.load import validate
    from tco.yamlio import to_dict

    data = to_dict(BASE.scenario)
    data["strategies"]["api-heavy"] = {"mix": {"frontier-api": 0.9, "llama-70b": 0.1},
                                       "fallback": "frontier-api", "portability": 0.6}
    wider = tco.simulate(validate(data), paths=2000, seed=4).npv_usd
    assert np.array_equal(wider[:, :len(BASE.strategies)], tco.simulate(BASE, paths=2000, seed=4).npv_usd)


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_quasi_random_sampling_agrees_with_random(method: str) -> None:
    """The three samplers estimate the same mean: within 4 combined standard errors."""
    plain = tco.simulate(BASE, paths=8192, seed=2, sampling="random").npv_usd[:, 0]
    other = tco.simulate(BASE, paths=8192, seed=2, sampling=method).npv_usd[:, 0]
    se = np.hypot(plain.std() / np.sqrt(plain.size), other.std() / np.sqrt(other.size))
    assert abs(plain.mean() - other.mean()) < Z * se


def test_correlation_reaches_the_requested_rank_correlation() -> None:
    """The copula turns rho_s = 0.5 into Pearson 2 sin(pi 0.5 / 6) = 0.5176 on the normal scores,
    which gives back a rank correlation of 0.5 (SE about 1/sqrt(n))."""
    from scipy import stats

    result = tco.simulate(BASE, paths=20_000, seed=6)
    inputs = result.sampled_inputs
    rho = stats.spearmanr(inputs["options.frontier-api.price_trend_per_year"],
                          inputs["options.llama-70b.price_trend_per_year"]).statistic
    assert abs(rho - 0.5) < Z / np.sqrt(20_000)


def test_bit_for_bit_across_processes_and_hash_seeds() -> None:
    """Same seed in fresh interpreters with different string-hash seeds: identical bytes."""
    import os
    import subprocess
    import sys

    code = ("import hashlib, tco; sc = tco.load_scenario('scenarios/api-price-shock.yaml'); "
            "r = tco.simulate(sc, paths=3000, seed=7); "
            "print(hashlib.sha256(r.npv_usd.tobytes() + r.cumulative_usd.tobytes()).hexdigest())")
    from tests.conftest import ROOT

    digests = {subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout
               for h in (1, 2, 3)}
    assert len(digests) == 1


# ------------------------------------------------------------------------------ SimulationResult


def test_value_of_portability_matches_reruns() -> None:
    """The linear shortcut must equal two full reruns at portability 0 and 1 on the same seed."""
    sc = build(switching={"engineer_weeks": {"triangular": [2, 6, 20]}, "usd_per_engineer_week": 8000,
                          "dual_running_months": 1, "one_off_usd": 3000},
               risks=[{"kind": "deprecation", "on": ["api"], "annual_probability": 0.7},
                      {"kind": "exit", "on": ["api"], "annual_probability": 0.2}],
               **{"strategies__api-only__portability": 0.4})
    row = tco.simulate(sc, paths=4000, seed=2).portability_value().iloc[0]
    at = {p: tco.simulate(with_changes(sc, {"strategies.api-only.portability": p}), paths=4000,
                          seed=2).npv_usd[:, 0] for p in (0.0, 1.0)}
    assert row["mean_saving_usd"] == pytest.approx(at[0.0].mean() - at[1.0].mean(), rel=1e-9)
    assert row["p95_saving_usd"] == pytest.approx(
        np.percentile(at[0.0], 95) - np.percentile(at[1.0], 95), rel=1e-9)
    assert row["mean_saving_usd"] > 0


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_value_of_portability_matches_reruns_on_every_shipped_scenario(path) -> None:
    """The shortcut (NPV linear in 1 - portability through ``portable_npv_usd``) against two full
    reruns with every strategy at portability 0 and at 1, on the same seed: migration effort and
    release upgrades (``open-release-slips``) both scale by it, so both must be in the shortcut."""
    sc = tco.load_scenario(path)
    names = list(sc.strategies)
    for name in names:  # a fixed number: a rerun at another fixed value keeps the same paths
        assert not sc.inputs.params[f"strategies.{name}.portability"].uncertain
    values = tco.simulate(sc, paths=1024, seed=7).portability_value()
    at = {p: tco.simulate(with_changes(sc, {f"strategies.{n}.portability": p for n in names}),
                          paths=1024, seed=7).npv_usd for p in (0.0, 1.0)}
    for s, name in enumerate(names):
        row = values.set_index("strategy").loc[name]
        rerun = at[0.0][:, s].mean() - at[1.0][:, s].mean()
        assert row["mean_saving_usd"] == pytest.approx(rerun, rel=1e-9, abs=1e-6)
        assert row["p95_saving_usd"] == pytest.approx(
            np.percentile(at[0.0][:, s], 95) - np.percentile(at[1.0][:, s], 95), rel=1e-9, abs=1e-6)
