"""The Monte Carlo engine: every strategy on the same random paths, in chunks, on both cores."""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from tco import kernel, metrics
from tco.inputs import Resolved, resolve
from tco.kernel import EVENT_KINDS, LINES
from tco.model import evaluate_kernel
from tco.sampling import RNG_BLOCK_PATHS, draw_shocks, inputs_from_uniforms, path_uniforms
from tco.scenario import Scenario

DEFAULT_PATHS = 20_000
DEFAULT_SEED = 7
CHUNK_PATHS = 4 * RNG_BLOCK_PATHS
"""Paths per kernel call: small enough that temporaries stay in cache."""
PARALLEL_MIN_PATHS = 16 * RNG_BLOCK_PATHS
"""Below this a second process costs more than it saves."""
_POOL: ProcessPoolExecutor | None = None


def _pool(workers: int) -> ProcessPoolExecutor:
    """A persistent pool (started once per process) so each run pays no process start-up.

    Workers come from a fork server: forking a multi-threaded process such as the Streamlit server
    directly is unsafe.
    """
    global _POOL
    if _POOL is None or _POOL._max_workers != workers:
        if _POOL is not None:
            _POOL.shutdown(cancel_futures=True)
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"))
    return _POOL
PERCENTILES = (5, 25, 50, 75, 95)
SUMMARY_KEYS = ("deterministic_npv", "mean", "p5", "p50", "p95", "cvar95", "p_cheapest",
                "expected_regret", "lock_in_premium")


@dataclass
class _Chunk:
    npv: np.ndarray
    npv_no_events: np.ndarray
    cumulative: np.ndarray
    switching_npv: np.ndarray
    effort_npv: np.ndarray
    events: np.ndarray
    event_counts: np.ndarray
    line_sum: np.ndarray
    gpus_sum: np.ndarray
    tokens: np.ndarray


def _run_chunk(sc: Scenario, u: np.ndarray, seed: int, first_block: int) -> _Chunk:
    resolved = resolve(sc)
    paths = u.shape[0]
    x = inputs_from_uniforms(resolved, u)
    shocks = draw_shocks(sc, resolved, x, seed, first_block, paths)
    with_events = kernel.run(sc, resolved, x, shocks)
    # The lock-in premium compares each path with itself when no event fires.
    without = kernel.run(sc, resolved, x, shocks.without_events()) if shocks.fired else with_events
    counts = np.stack([f.sum(axis=1) for f in shocks.fired.values()], axis=1) if shocks.fired else (
        np.zeros((paths, 0)))
    return _Chunk(
        npv=with_events.npv_usd, npv_no_events=without.npv_usd,
        cumulative=np.cumsum(with_events.cost_usd, axis=2).astype(np.float32),
        switching_npv=with_events.switching_npv_usd, effort_npv=with_events.migration_effort_npv_usd,
        events=with_events.events, event_counts=counts, line_sum=with_events.line_sum_usd,
        gpus_sum=with_events.gpus_sum, tokens=with_events.tokens)


def _run_chunks(sc: Scenario, u: np.ndarray, seed: int, starts: list[int],
                first_block: int = 0) -> list[_Chunk]:
    """Run consecutive chunks of ``u``; ``starts`` index rows of ``u`` (multiples of the block size).

    ``first_block`` is the RNG block of row 0 of ``u``, so a worker handed a slice draws the same
    shocks as a single process would.
    """
    out = []
    for start in starts:
        stop = min(start + CHUNK_PATHS, u.shape[0])
        out.append(_run_chunk(sc, u[start:stop], seed, first_block + start // RNG_BLOCK_PATHS))
    return out


def simulate(sc: Scenario, paths: int = DEFAULT_PATHS, seed: int = DEFAULT_SEED,
             sampling: str | None = None, workers: int | None = None) -> SimulationResult:
    """Simulate every strategy over ``paths`` random paths of shocks.

    Parameters
    ----------
    sampling
        'random', 'lhs' or 'sobol' for the path-level inputs; None takes the scenario's.
    workers
        Processes to use; None uses up to two for large runs. Results do not depend on it.

    Returns
    -------
    SimulationResult
    """
    if paths < 1:
        raise ValueError("paths must be at least 1")
    resolved = resolve(sc)
    method = sampling or sc.sampling
    u = path_uniforms(sc, resolved, seed, paths, method)
    starts = list(range(0, paths, CHUNK_PATHS))
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if paths >= PARALLEL_MIN_PATHS else 1
    if workers > 1 and len(starts) > 1:
        # Contiguous halves, so each worker gets only its own rows of the uniforms.
        per = -(-len(starts) // workers)
        groups = [starts[i * per:(i + 1) * per] for i in range(workers) if starts[i * per:(i + 1) * per]]
        pool = _pool(workers)
        futures = []
        for g in groups:
            stop = min(g[-1] + CHUNK_PATHS, paths)
            futures.append(pool.submit(_run_chunks, sc, u[g[0]:stop], seed,
                                       [s - g[0] for s in g], g[0] // RNG_BLOCK_PATHS))
        by_start = {}
        for group, future in zip(groups, futures, strict=True):
            by_start.update(zip(group, future.result(), strict=True))
        chunks = [by_start[s] for s in starts]
    else:
        chunks = _run_chunks(sc, u, seed, starts)
    deterministic = evaluate_kernel(sc)
    return SimulationResult(
        scenario=sc, resolved=resolved, paths=paths, seed=seed, sampling=method,
        uniforms=u,
        npv_usd=np.concatenate([c.npv for c in chunks]),
        npv_no_events_usd=np.concatenate([c.npv_no_events for c in chunks]),
        cumulative_usd=np.concatenate([c.cumulative for c in chunks]),
        switching_npv_usd=np.concatenate([c.switching_npv for c in chunks]),
        migration_effort_npv_usd=np.concatenate([c.effort_npv for c in chunks]),
        events=np.concatenate([c.events for c in chunks]),
        event_counts=np.concatenate([c.event_counts for c in chunks]),
        line_mean_usd=sum(c.line_sum for c in chunks) / paths,
        gpus_mean=sum(c.gpus_sum for c in chunks) / paths,
        tokens=np.concatenate([c.tokens for c in chunks]),
        deterministic_npv_usd=deterministic.npv_usd[0],
    )


@dataclass
class SimulationResult:
    """Per-path results of a simulation and the metrics built from them.

    Arrays are ``(paths, strategies)`` unless noted; ``cumulative_usd`` is
    ``(paths, strategies, months)`` in float32 (it only feeds percentiles).
    """

    scenario: Scenario
    resolved: Resolved
    paths: int
    seed: int
    sampling: str
    uniforms: np.ndarray
    npv_usd: np.ndarray
    npv_no_events_usd: np.ndarray
    cumulative_usd: np.ndarray
    switching_npv_usd: np.ndarray
    migration_effort_npv_usd: np.ndarray
    events: np.ndarray
    event_counts: np.ndarray
    line_mean_usd: np.ndarray
    gpus_mean: np.ndarray
    tokens: np.ndarray
    deterministic_npv_usd: np.ndarray

    @property
    def strategies(self) -> list[str]:
        return list(self.scenario.strategies)

    @cached_property
    def inputs(self) -> dict[str, np.ndarray]:
        """Every input per path, shape (paths,)."""
        x = inputs_from_uniforms(self.resolved, self.uniforms)
        return {k: np.broadcast_to(v, (self.paths,)) for k, v in x.items()}

    @property
    def sampled_inputs(self) -> pd.DataFrame:
        """The path-level inputs each path drew: (paths, sampled inputs)."""
        return pd.DataFrame({p.path: self.inputs[p.path] for p in self.resolved.sampled})

    def summary(self) -> pd.DataFrame:
        """One row per strategy: the documented ``--json`` keys, then standard errors and events."""
        npv = self.npv_usd
        q = np.percentile(npv, [5, 50, 95], axis=0)
        frame = pd.DataFrame({
            "deterministic_npv": self.deterministic_npv_usd,
            "mean": npv.mean(axis=0),
            "p5": q[0], "p50": q[1], "p95": q[2],
            "cvar95": metrics.cvar(npv),
            "p_cheapest": metrics.p_cheapest(npv),
            "expected_regret": metrics.expected_regret(npv),
            "lock_in_premium": npv.mean(axis=0) - self.npv_no_events_usd.mean(axis=0),
            "se_mean": metrics.standard_error_of_mean(npv),
            "se_p95": metrics.standard_error_of_quantile(npv, 0.95),
            "switching_spend": self.switching_npv_usd.mean(axis=0),
            **{f"events_{kind}": self.events[:, :, k].mean(axis=0)
               for k, kind in enumerate(EVENT_KINDS)},
        }, index=pd.Index(self.strategies, name="strategy"))
        return frame

    def to_json(self) -> dict:
        """The documented ``--json`` object."""
        table = self.summary()
        return {
            "scenario": self.scenario.name, "paths": self.paths, "seed": self.seed,
            "strategies": {name: {key: float(table.loc[name, key]) for key in SUMMARY_KEYS}
                           for name in self.strategies},
        }

    def monthly_percentiles(self) -> pd.DataFrame:
        """Percentiles of cumulative cost per strategy and month (the fan chart), tidy."""
        q = np.percentile(self.cumulative_usd, PERCENTILES, axis=0)  # (percentiles, S, M)
        months = self.scenario.horizon_months
        rows = []
        for s_i, name in enumerate(self.strategies):
            frame = pd.DataFrame({"strategy": name, "month": np.arange(months)})
            for p_i, p in enumerate(PERCENTILES):
                frame[f"p{p}_cumulative_usd"] = q[p_i, s_i].astype(float)
            frame["mean_cumulative_usd"] = self.cumulative_usd[:, s_i].mean(axis=0, dtype=np.float64)
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def mean_lines(self) -> pd.DataFrame:
        """Mean monthly cost per strategy and line over paths, tidy."""
        months = np.arange(self.scenario.horizon_months)
        return pd.concat([pd.DataFrame({"strategy": name, "month": months, "line": line,
                                        "usd": self.line_mean_usd[s_i, l_i]})
                          for s_i, name in enumerate(self.strategies)
                          for l_i, line in enumerate(LINES)], ignore_index=True)

    def event_columns(self) -> list[str]:
        return [f"events.{self.scenario.risks[i].kind}.{name}"
                for i, risk in enumerate(self.scenario.risks) for name in risk.on]

    def paths_frame(self) -> pd.DataFrame:
        """The audit trail: per path, NPV per strategy, the sampled inputs and events fired."""
        frame = pd.DataFrame({"path": np.arange(self.paths)})
        for s_i, name in enumerate(self.strategies):
            frame[f"npv_usd.{name}"] = self.npv_usd[:, s_i]
        frame = pd.concat([frame, self.sampled_inputs.add_prefix("input.")], axis=1)
        for k, column in enumerate(self.event_columns()):
            frame[column] = self.event_counts[:, k].astype(int)
        return frame

    def portability_value(self) -> pd.DataFrame:
        """How much expected and P95 NPV fall as portability goes from 0 to 1, per strategy.

        NPV is linear in (1 - portability) through the migration-effort term E, so on each path
        NPV(pi) = NPV - (1 - pi_0) E + (1 - pi) E, exact without another run.
        """
        rows = []
        for s_i, name in enumerate(self.strategies):
            pi0 = self.inputs[f"strategies.{name}.portability"]
            effort = self.migration_effort_npv_usd[:, s_i]
            base = self.npv_usd[:, s_i] - (1.0 - pi0) * effort
            at_zero, at_one = base + effort, base
            rows.append({"strategy": name, "portability": float(np.mean(pi0)),
                         "mean_saving_usd": float(at_zero.mean() - at_one.mean()),
                         "p95_saving_usd": float(np.percentile(at_zero, 95) - np.percentile(at_one, 95)),
                         "mean_at_current_usd": float(self.npv_usd[:, s_i].mean())})
        return pd.DataFrame(rows)
