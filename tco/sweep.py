"""Sweeps: Monte Carlo runs of (scenario or portfolio, stress, seed), cut into tasks of RNG blocks
of paths.

A task is keyed by (file, stress, seed, first block) and returns the NPV of its paths, which
depend only on the seed and the block (``tco.draws``: every stream is keyed by block). The
results of a run are put back together in block order before any metric is computed, so any
executor and any number of blocks per task give the numbers of the serial sweep bit for bit, and
the unstressed rows those of ``tco.simulate`` (or ``tco.portfolio.simulate_portfolio``) with the
same paths and seed. A scenario's rows are its strategies; a portfolio's one row per run is its
total cost (``PORTFOLIO_ROW``), its workloads on their strategies in force.

Under a named stress, every path of the Monte Carlo also takes the stress's event in its month,
at its nominal size, on top of what it draws (a conditional run: "if the family goes closed in
month 9"); the paths' other draws are those of the unstressed run, so the two compare path by path.
In a portfolio the event is one fact: it reaches every workload using the options it hits.

Executors (``executor(spec)``): ``serial`` in this process, ``dask-local:N`` a Dask
``LocalCluster`` of N single-threaded worker processes, ``dask://HOST:PORT`` a running Dask
scheduler. Dask (``dask[distributed]``, requirements-sweep.txt) is imported only for the last two.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any

import numpy as np
import pandas as pd

import tco.kernel as kernel
import tco.metrics as metrics
from tco.draws import RNG_BLOCK_PATHS, Shocks, block_uniforms, draw_shocks, fact_unit, inputs_from_uniforms
from tco.errors import ScenarioError
from tco.load import Loaded, loads
from tco.portfolio import Portfolio, is_portfolio, loads_portfolio
from tco.portfolio.engine import Force, portfolio_npv
from tco.stress import with_risks
from tco.yamlio import parse_document

BASELINE = "none"
"""The stress name of the unstressed run."""
DEFAULT_BLOCKS_PER_TASK = 1
CONNECT_TIMEOUT_S = 10
"""How long to wait for a Dask scheduler before saying it cannot be reached."""
WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
"""Environment of local worker processes (each is single-threaded; set the same on a cluster's
workers)."""
METRICS = ("mean", "p5", "p50", "p95", "cvar95", "p_cheapest")


@dataclass(frozen=True)
class Task:
    """One unit of work: ``blocks`` RNG blocks from ``block`` of one (scenario, stress, seed)."""

    scenario: str
    stress: str
    seed: int
    block: int
    blocks: int

    @property
    def key(self) -> str:
        """The task's name on a cluster's dashboard: 'tco-<scenario>-<stress>-s<seed>-b<block>'."""
        return f"tco-{self.scenario}-{self.stress}-s{self.seed}-b{self.block}"


@dataclass(frozen=True)
class Source:
    """What a sweep evaluates: one file's text, its kind ('scenario' or 'portfolio'), and the
    stresses and result columns (strategies, or ``PORTFOLIO_ROW``) of its runs."""

    name: str
    text: str
    kind: str
    paths: int
    stresses: tuple[str, ...]
    strategies: tuple[str, ...]


PORTFOLIO_ROW = "portfolio"
"""The ``strategy`` of a portfolio's rows: the portfolio's total cost, each workload on its
strategy in force."""


def source(path_text: str, paths: int, stresses: str) -> Source:
    """Read a sweep's file, a scenario or a portfolio, and choose its stresses ('all', 'none' or
    names separated by commas)."""
    raw, _ = parse_document(path_text)
    if is_portfolio(raw):
        pf = loads_portfolio(path_text)
        name, kind, named, columns = pf.name, "portfolio", pf.first.stresses, (PORTFOLIO_ROW,)
    else:
        sc = loads(path_text)
        name, kind, named, columns = sc.name, "scenario", sc.stresses, tuple(sc.strategies)
    if paths < 1:
        raise ScenarioError("--paths", "must be at least 1")
    return Source(name, path_text, kind, paths, (BASELINE, *_chosen(stresses, named, kind)), columns)


def _chosen(stresses: str, named_stresses: tuple, kind: str) -> tuple[str, ...]:
    """The stresses named by ``--stresses`` among the file's own."""
    named = tuple(s.name for s in named_stresses)
    if stresses == "all":
        return named
    if stresses == BASELINE:
        return ()
    chosen = tuple(s.strip() for s in stresses.split(","))
    unknown = [s for s in chosen if s not in named]
    if unknown:
        raise ScenarioError("--stresses", f"'{unknown[0]}' is not a named stress of the {kind} "
                            f"(stresses are {', '.join(named) or 'none'}); use all, none or names "
                            "separated by commas")
    return chosen


def tasks(src: Source, seeds: Sequence[int], blocks_per_task: int = DEFAULT_BLOCKS_PER_TASK
          ) -> list[Task]:
    """Every task of a sweep, in the order results are reduced: stress, seed, block."""
    if blocks_per_task < 1:
        raise ScenarioError("--blocks-per-task", "must be at least 1")
    blocks = -(-src.paths // RNG_BLOCK_PATHS)
    return [Task(src.name, stress, seed, b, min(blocks_per_task, blocks - b))
            for stress in src.stresses for seed in seeds
            for b in range(0, blocks, blocks_per_task)]


@lru_cache(maxsize=8)
def _loaded(text: str) -> Loaded:
    """The scenario of a text, loaded once per process (a worker runs many tasks of one file)."""
    return loads(text)


@lru_cache(maxsize=64)
def _stressed(text: str, stress: str) -> tuple[Loaded, int | None, int, tuple[str, ...]]:
    """The scenario holding the stress's risk (``_with_stress``), loaded once per process."""
    return _with_stress(_loaded(text), stress)


def _with_stress(sc: Loaded, stress: str) -> tuple[Loaded, int | None, int, tuple[str, ...]]:
    """The scenario holding the stress's risk, that risk's index, the stress's month and the
    options its event reaches (every option of the line sharing its fact)."""
    if stress == BASELINE:
        return sc, None, 0, ()
    s = next(s for s in sc.stresses if s.name == stress)
    stressed, index, _ = with_risks(sc, {(s.kind, s.on)})
    i = index[(s.kind, s.on)]
    unit = fact_unit(stressed, i, s.on)
    reached = tuple(n for n in stressed.risks[i].on if fact_unit(stressed, i, n) == unit)
    return stressed, i, s.month, reached


@lru_cache(maxsize=8)
def _portfolio(text: str) -> Portfolio:
    """The portfolio of a text, loaded once per process."""
    return loads_portfolio(text)


@lru_cache(maxsize=64)
def _stressed_portfolio(text: str, stress: str) -> tuple[Portfolio, Force | None]:
    """The portfolio whose workloads hold the stress's risk, and what adds its event to a batch's
    shocks. The workloads share the risk lines and stresses, so the risk has one index in all of
    them and the one draw of shocks carries the event to every workload."""
    pf = _portfolio(text)
    if stress == BASELINE:
        return pf, None
    parts = {w: _with_stress(sc, stress) for w, sc in pf.workloads.items()}
    _, index, month, reached = next(iter(parts.values()))
    stressed = replace(pf, workloads={w: part[0] for w, part in parts.items()})
    return stressed, partial(_force, index=index, month=month, reached=reached)


def _force(sc: Loaded, shocks: Shocks, index: int, month: int, reached: tuple[str, ...]) -> None:
    """Add the stress's event in ``month`` on every path, at its nominal size and effort, to the
    drawn events of each reached option (cells that already fired keep their own draws)."""
    impact = sc.inputs.impact(index, sc.scenario)
    size = impact.nominal if impact is not None else 1.0
    weeks = sc.inputs.params["switching.engineer_weeks"].nominal
    for name in reached:
        key = (index, name)
        old = shocks.fired.get(key)
        drawn = np.zeros((shocks.paths, sc.horizon_months), dtype=bool) if old is None else old
        forced = drawn.copy()
        forced[:, month] = True
        cells = np.flatnonzero(forced)  # np.flatnonzero order, as the draws keep sizes
        kept = np.isin(cells, np.flatnonzero(drawn))
        sizes, efforts = np.full(cells.size, size), np.full(cells.size, weeks)
        if old is not None:
            sizes[kept], efforts[kept] = shocks.impact[key], shocks.weeks[key]
        shocks.fired[key], shocks.impact[key], shocks.weeks[key] = forced, sizes, efforts


def run_task(text: str, paths: int, sampling: str | None, task: Task) -> np.ndarray:
    """NPV of a task's paths: ``(paths in its blocks, strategies)``.

    The steps of one chunk of ``tco.simulate`` (uniforms, inputs, shocks, kernel) on the task's
    blocks alone. The public hook this stands in for is a ``tco.simulate`` entry that evaluates
    a range of RNG blocks and returns their per-path results (``simulate_blocks(sc, seed,
    blocks, paths)``); ``tests/test_sweep.py`` holds the two equal bit for bit.
    """
    sc = _loaded(text)
    # A stress adds at most a fixed, zero-probability risk at the end: the same sampled inputs
    # and, pair by pair, the same event streams as the unstressed scenario.
    stressed, index, month, reached = _stressed(text, task.stress)
    blocks = range(task.block, task.block + task.blocks)
    u = block_uniforms(stressed, task.seed, paths, sampling or sc.sampling, blocks)
    x = inputs_from_uniforms(stressed.inputs, u)
    shocks = draw_shocks(stressed, x, task.seed, task.block, u.shape[0])
    if index is not None:
        _force(stressed, shocks, index, month, reached)
    return kernel.run(stressed, x, shocks).npv_usd


def run_portfolio_task(text: str, paths: int, sampling: str | None, task: Task) -> np.ndarray:
    """The portfolio's NPV on a task's paths: ``(paths in its blocks, 1)``, the rows of
    ``simulate_portfolio``'s ``npv_usd`` bit for bit when unstressed."""
    pf, force = _stressed_portfolio(text, task.stress)
    blocks = range(task.block, task.block + task.blocks)
    return portfolio_npv(pf, task.seed, paths, blocks, sampling, force)[:, None]


RUNNERS = {"scenario": run_task, "portfolio": run_portfolio_task}
"""The task function of each kind of file."""


def reduce(src: Source, seeds: Sequence[int], all_tasks: list[Task], results: list[np.ndarray]
           ) -> pd.DataFrame:
    """Metrics per (stress, seed, strategy) from the tasks' NPV, put together in block order.

    Columns: scenario, stress, seed, strategy, then ``METRICS`` (money in the scenario's currency,
    ``p_cheapest`` a probability).
    """
    runs: dict[tuple[str, int], list[tuple[int, np.ndarray]]] = {}
    for task, npv in zip(all_tasks, results, strict=True):
        runs.setdefault((task.stress, task.seed), []).append((task.block, npv))
    rows = []
    for stress in src.stresses:
        for seed in seeds:
            parts = sorted(runs[(stress, seed)], key=lambda part: part[0])
            npv = np.concatenate([part for _, part in parts])
            # The reductions of SimulationResult.summary, over the same axis, so the unstressed
            # rows are its numbers to the last bit.
            mean, q = npv.mean(axis=0), np.percentile(npv, [5, 50, 95], axis=0)
            cvar, cheapest = metrics.cvar(npv), metrics.p_cheapest(npv)
            for s_i, name in enumerate(src.strategies):
                rows.append({"scenario": src.name, "stress": stress, "seed": seed, "strategy": name,
                             "mean": float(mean[s_i]), "p5": float(q[0, s_i]),
                             "p50": float(q[1, s_i]), "p95": float(q[2, s_i]),
                             "cvar95": float(cvar[s_i]), "p_cheapest": float(cheapest[s_i])})
    return pd.DataFrame(rows)


Map = Callable[[Callable[..., np.ndarray], list[Task]], list[np.ndarray]]


@contextlib.contextmanager
def executor(spec: str) -> Iterator[Map]:
    """Open an executor by its spec and yield its ``map(fn, tasks)`` (results in task order).

    A scheduler that cannot be reached, or a malformed spec, is a one-line ``ScenarioError`` on
    ``--executor``, raised here, before any task is sent.
    """
    if spec == "serial":
        yield lambda fn, items: [fn(task) for task in items]
        return
    if spec.startswith("dask-local:"):
        count = spec.removeprefix("dask-local:")
        if not count.isdigit() or int(count) < 1:
            raise ScenarioError("--executor", "dask-local:N needs N, the worker processes, a whole "
                                "number of at least 1")
        distributed = _distributed()
        # One kernel thread per worker process: N workers use N cores, not N x every core.
        with distributed.LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                      dashboard_address=None, env=WORKER_ENV) as cluster, \
                distributed.Client(cluster) as client:
            yield _dask_map(client)
        return
    if spec.startswith("dask://"):
        host, _, port = spec.removeprefix("dask://").rpartition(":")
        if not host or not port.isdigit():
            raise ScenarioError("--executor", "dask:// needs HOST:PORT, the scheduler's address, "
                                "such as dask://10.0.0.5:8786")
        address = f"tcp://{host}:{port}"
        distributed = _distributed()
        try:
            client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise ScenarioError("--executor", f"cannot reach the Dask scheduler at "
                                f"{spec.removeprefix('dask://')} within {CONNECT_TIMEOUT_S} s "
                                f"({type(exc).__name__}); start one with `dask scheduler` or "
                                "use serial") from None
        with client:
            yield _dask_map(client)
        return
    raise ScenarioError("--executor", "must be serial, dask-local:N or dask://HOST:PORT")


def _distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415 - an optional extra, needed by Dask executors only
    except ImportError:
        raise ScenarioError("--executor", "Dask executors need dask[distributed]: pip install -r "
                            "requirements-sweep.txt") from None
    return distributed


def _dask_map(client: Any) -> Map:
    def map_(fn: Callable[..., np.ndarray], items: list[Task]) -> list[np.ndarray]:
        # Unique keys per run: a cluster may hold another sweep's results under the same task.
        token = hashlib.sha256(repr((fn, items)).encode()).hexdigest()[:12]
        futures = [client.submit(fn, task, key=f"{task.key}-{token}", pure=False) for task in items]
        return client.gather(futures)
    return map_


def sweep(src: Source, seeds: Sequence[int], spec: str = "serial", sampling: str | None = None,
          blocks_per_task: int = DEFAULT_BLOCKS_PER_TASK) -> pd.DataFrame:
    """Run every task of a sweep on an executor and reduce them in block order (``reduce``)."""
    all_tasks = tasks(src, seeds, blocks_per_task)
    fn = _TaskRunner(src.kind, src.text, src.paths, sampling)
    with executor(spec) as map_:
        results = map_(fn, all_tasks)
    return reduce(src, seeds, all_tasks, results)


@dataclass(frozen=True)
class _TaskRunner:
    """The file's task function (``RUNNERS``) with its text bound: pickled once per task, loaded
    once per worker."""

    kind: str
    text: str
    paths: int
    sampling: str | None

    def __call__(self, task: Task) -> np.ndarray:
        return RUNNERS[self.kind](self.text, self.paths, self.sampling, task)
