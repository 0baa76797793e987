"""Sweeps: tasks of RNG blocks reduced in block order give the serial run's numbers bit for bit.

Oracles: ``tco.simulate`` on the same paths and seed (the engine the sweep cuts into tasks), the
deterministic ``tco.stress`` on a scenario with nothing uncertain, and a real two-worker Dask
``LocalCluster`` (processes, no mocks) that loses a worker in the middle of a task.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import distributed
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import API_ONLY, ROOT, raw

import tco.sweep as sweep
from tco.errors import ScenarioError
from tco.load import load_scenario, loads
from tco.portfolio import load_portfolio, simulate_portfolio
from tco.simulate import simulate
from tco.stress import stress

SCENARIO = ROOT / "scenarios" / "open-model-goes-closed.yaml"  # correlated inputs: the copula too
PATHS = 2500  # two whole RNG blocks and a partial one
SEEDS = (1, 2)


def _text(path: Path = SCENARIO) -> str:
    return path.read_text(encoding="utf-8")


def _npv(src: sweep.Source, seed: int, stress_name: str = sweep.BASELINE, blocks_per_task: int = 1
         ) -> np.ndarray:
    tasks = [t for t in sweep.tasks(src, [seed], blocks_per_task) if t.stress == stress_name]
    return np.concatenate([sweep.run_task(src.text, src.paths, None, t) for t in tasks])


@pytest.fixture(scope="module")
def serial() -> pd.DataFrame:
    return sweep.sweep(sweep.source(_text(), PATHS, "all"), SEEDS, "serial")


def test_tasks_are_keyed_by_scenario_stress_seed_and_block():
    src = sweep.source(_text(), PATHS, "all")
    tasks = sweep.tasks(src, SEEDS)
    stresses = len(load_scenario(SCENARIO).stresses) + 1
    assert len(tasks) == stresses * len(SEEDS) * 3
    assert len({t.key for t in tasks}) == len(tasks)
    assert [t.blocks for t in sweep.tasks(src, [1], 2)[:2]] == [2, 1]


def test_unstressed_rows_equal_simulate_bit_for_bit(serial):
    """Each seed's unstressed paths are ``tco.simulate``'s paths, in order, to the last bit."""
    src = sweep.source(_text(), PATHS, "none")
    for seed in SEEDS:
        result = simulate(load_scenario(SCENARIO), paths=PATHS, seed=seed)
        np.testing.assert_array_equal(_npv(src, seed), result.npv_usd)
        row = serial[(serial["stress"] == sweep.BASELINE) & (serial["seed"] == seed)].set_index("strategy")
        table = result.summary()
        for metric in ("mean", "p5", "p50", "p95", "cvar95", "p_cheapest"):
            assert (row[metric] == table.loc[row.index, metric]).all(), metric


def test_blocks_per_task_does_not_change_a_bit(serial):
    src = sweep.source(_text(), PATHS, "all")
    pd.testing.assert_frame_equal(sweep.sweep(src, SEEDS, "serial", blocks_per_task=2), serial,
                                  check_exact=True)


def test_stress_with_nothing_uncertain_is_the_deterministic_stress():
    """With fixed inputs, no volatility and no probability, every path of the stressed sweep is
    the deterministic stress test's stressed NPV, and every unstressed path its base NPV."""
    data = raw(API_ONLY)
    data["stresses"] = [{"name": "api exits in month 4", "kind": "exit", "on": "api", "month": 4}]
    text = yaml.safe_dump(data)
    src = sweep.source(text, 1500, "all")
    expected = stress(loads(text), "exit", "api", 4)
    for name, column in ((sweep.BASELINE, "base_npv_usd"), ("api exits in month 4", "stressed_npv_usd")):
        npv = _npv(src, 3, name)
        assert npv.shape == (1500, 1)
        np.testing.assert_allclose(npv[:, 0], expected[column].iloc[0], rtol=1e-12)
    assert expected["impact_usd"].iloc[0] != 0.0


def test_stressed_paths_keep_their_other_draws():
    """The stress adds its event; a path where it already fired keeps its drawn size."""
    src = sweep.source(_text(), 1024, "all")
    base, hit = _npv(src, 5), _npv(src, 5, "open family goes closed in month 9")
    assert base.shape == hit.shape
    assert not np.array_equal(base, hit)


class _KillOnce(distributed.WorkerPlugin):
    """Kills its worker process the first time the task of block 1 starts executing."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def transition(self, key, start, finish, *args, **kwargs):
        name = key if isinstance(key, str) else str(key)
        if finish == "executing" and "-b1-" in name and not os.path.exists(self.marker):
            Path(self.marker).write_text(name)
            os._exit(1)  # the process dies mid-task; the nanny starts a new worker


cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_two_worker_cluster_with_a_killed_task_equals_serial(serial, tmp_path):
    marker = tmp_path / "killed"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, env=sweep.WORKER_ENV) as cluster, \
            distributed.Client(cluster) as client:
        client.register_plugin(_KillOnce(str(marker)))
        address = cluster.scheduler_address.removeprefix("tcp://")
        frame = sweep.sweep(sweep.source(_text(), PATHS, "all"), SEEDS, f"dask://{address}")
    assert marker.exists(), "no worker was killed: the retry was not exercised"
    pd.testing.assert_frame_equal(frame, serial, check_exact=True)


def test_dask_local_executor_equals_serial(serial):
    frame = sweep.sweep(sweep.source(_text(), PATHS, "all"), SEEDS, "dask-local:2",
                        blocks_per_task=2)
    pd.testing.assert_frame_equal(frame, serial, check_exact=True)


def test_unreachable_scheduler_fails_in_one_line_before_any_work():
    src = sweep.source(_text(), PATHS, "all")
    started = time.monotonic()
    with pytest.raises(ScenarioError) as info:
        sweep.sweep(src, SEEDS, "dask://127.0.0.1:9")
    assert info.value.field == "--executor"
    assert "cannot reach the Dask scheduler at 127.0.0.1:9" in info.value.rule
    assert time.monotonic() - started < sweep.CONNECT_TIMEOUT_S + 20


@pytest.mark.parametrize(("args", "field"), [
    (["--executor", "dask://127.0.0.1:9"], "--executor"),
    (["--executor", "ray://x"], "--executor"),
    (["--executor", "dask-local:0"], "--executor"),
    (["--executor", "dask://nowhere"], "--executor"),
    (["--seeds", "1,x"], "--seeds"),
    (["--seeds", "1,1"], "--seeds"),
    (["--stresses", "no such stress"], "--stresses"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path, args, field):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "tco", "sweep", str(SCENARIO), "--paths", "100",
                           "--out", str(out), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: "), proc.stderr
    assert not (out / "sweep.csv").exists()


def test_cli_writes_the_sweep(tmp_path, serial):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "tco", "sweep", str(SCENARIO), "--stresses", "all",
                           "--seeds", "1,2", "--paths", str(PATHS), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(out / "sweep.csv")
    assert len(frame) == len(serial)
    np.testing.assert_array_equal(frame["p95"].to_numpy(), serial["p95"].to_numpy())


PORTFOLIO = ROOT / "scenarios" / "portfolio-enterprise.yaml"  # pooled fleet and a commitment
PORTFOLIO_PATHS = 1500  # one whole RNG block and a partial one


def _api_portfolio(n: int) -> str:
    """n identical API workloads, nothing pooled or committed, and one named stress: the vendor
    of their one option exits in month 3."""
    workload = {"requests_per_month": 1_000_000, "input_tokens_per_request": 1000,
                "output_tokens_per_request": 200, "growth_per_month": 0.02}
    strategies = {"api": {"mix": {"haiku": 1.0}, "fallback": "gpt", "portability": 0.5}}
    return yaml.safe_dump({
        "name": "identical", "horizon_months": 24, "discount_rate_per_year": 0.08,
        "options": {"haiku": {"kind": "api", "catalog": "anthropic/claude-haiku-4-5",
                              "price_volatility_per_year": 0.2},
                    "gpt": {"kind": "api", "catalog": "openai/gpt-6.1-terra"}},
        "risks": [{"kind": "exit", "on": ["haiku"], "annual_probability": 0.1}],
        "stresses": [{"name": "haiku exits in month 3", "kind": "exit", "on": "haiku", "month": 3}],
        "switching": {"engineer_weeks": {"triangular": [2, 6, 12]}, "usd_per_engineer_week": 6000},
        "pooling": False,
        "workloads": {f"w{k}": {"workload": copy.deepcopy(workload), "strategies": copy.deepcopy(strategies),
                                "strategy": "api"} for k in range(n)}})


@pytest.fixture(scope="module")
def portfolio_serial() -> pd.DataFrame:
    return sweep.sweep(sweep.source(_text(PORTFOLIO), PORTFOLIO_PATHS, "all"), SEEDS, "serial")


def test_portfolio_unstressed_rows_equal_simulate_portfolio_bit_for_bit(portfolio_serial):
    """A portfolio's unstressed tasks (one block each) are ``simulate_portfolio``'s paths (two
    blocks a batch), in order, to the last bit, and so are the row's metrics."""
    src = sweep.source(_text(PORTFOLIO), PORTFOLIO_PATHS, "none")
    assert src.kind == "portfolio" and src.strategies == (sweep.PORTFOLIO_ROW,)
    for seed in SEEDS:
        result = simulate_portfolio(load_portfolio(str(PORTFOLIO)), paths=PORTFOLIO_PATHS, seed=seed)
        npv = np.concatenate([sweep.run_portfolio_task(src.text, src.paths, None, t)
                              for t in sweep.tasks(src, [seed])])
        np.testing.assert_array_equal(npv[:, 0], result.npv_usd)
        row = portfolio_serial[(portfolio_serial["stress"] == sweep.BASELINE)
                               & (portfolio_serial["seed"] == seed)]
        assert list(row["strategy"]) == [sweep.PORTFOLIO_ROW]
        summary = result.summary()
        for metric in ("mean", "p5", "p50", "p95", "cvar95"):
            assert row[metric].iloc[0] == summary[metric], metric


def test_portfolio_stress_is_one_fact_for_every_workload():
    """n identical workloads under the stress 'haiku exits in month 3' cost exactly n times one
    workload under it on every path (pooling off, so the total is the correctly rounded sum of
    n equal parts): the forced exit reaches every workload, not only the first. It also moves
    every path: each loses haiku in month 3 (the vendor's own exits, 10% a year, rarely come
    earlier, and then the forced one changes nothing)."""
    one, three = (sweep.source(_api_portfolio(n), 1024, "all") for n in (1, 3))
    stressed = [next(t for t in sweep.tasks(src, [4]) if t.stress == "haiku exits in month 3")
                for src in (one, three)]
    npv_one, npv_three = (sweep.run_portfolio_task(src.text, src.paths, None, t)
                          for src, t in zip((one, three), stressed, strict=True))
    np.testing.assert_array_equal(npv_three, 3 * npv_one)
    base = sweep.run_portfolio_task(one.text, one.paths, None, sweep.tasks(one, [4])[0])
    assert np.mean(base != npv_one) > 0.9


def test_portfolio_blocks_per_task_and_dask_equal_serial(portfolio_serial):
    """Two blocks per task, and a real two-worker ``LocalCluster``, give the serial sweep's
    numbers bit for bit."""
    src = sweep.source(_text(PORTFOLIO), PORTFOLIO_PATHS, "all")
    assert len(src.stresses) == 3
    pd.testing.assert_frame_equal(sweep.sweep(src, SEEDS, "serial", blocks_per_task=2),
                                  portfolio_serial, check_exact=True)
    pd.testing.assert_frame_equal(sweep.sweep(src, SEEDS, "dask-local:2"), portfolio_serial,
                                  check_exact=True)


def test_cli_sweeps_a_portfolio(tmp_path, portfolio_serial):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "tco", "sweep", str(PORTFOLIO), "--stresses", "all",
                           "--seeds", "1", "--paths", str(PORTFOLIO_PATHS), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(out / "sweep.csv")
    expected = portfolio_serial[portfolio_serial["seed"] == 1]
    assert list(frame["stress"]) == list(expected["stress"])
    np.testing.assert_array_equal(frame["p95"].to_numpy(), expected["p95"].to_numpy())


def test_a_portfolio_stress_it_does_not_name_is_one_line():
    with pytest.raises(ScenarioError, match=r"^--stresses: 'nope' is not a named stress of the "
                       r"portfolio \(stresses are Llama licence closes in month 12, "):
        sweep.source(_text(PORTFOLIO), 100, "nope")
