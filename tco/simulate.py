"""The Monte Carlo engine: every strategy on the same random paths, in chunks, on both cores."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numba
import numpy as np

import tco._runtime as runtime
import tco.budget as budget
import tco.kernel as kernel
import tco.limits as limits
import tco.metrics as metrics
import tco.releases as releases
import tco.risks as risks
from tco.chunks import PARALLEL_MIN_PATHS, SMALL_RUN_PATHS, chunk_paths
from tco.draws import (
    RNG_BLOCK_PATHS,
    draw_shocks,
    inputs_from_uniforms,
    noisy_options,
    path_uniforms,
    risk_option_pairs,
)
from tco.errors import ScenarioError
from tco.inputs import Resolved
from tco.load import Loaded
from tco.model import evaluate_kernel, require_finite

if TYPE_CHECKING:  # pandas is imported where a table is built: 65 MB a run does not need
    import pandas as pd

DEFAULT_PATHS = 10_000
"""The page's and the command line's default, so both show the same numbers."""
DEFAULT_SEED = 7
MAX_SEED = 2**32 - 1
"""The largest seed, for the command line and the page alike: a browser's number box holds whole
numbers exactly only up to 2^53, and 2^32 seeds are more than any study draws."""
PERCENTILES = (5, 25, 50, 75, 95)
"""The fan chart's percentiles of cumulative cost."""
FAN_BUFFER_MONTHS = 8
"""Months ranked per pass by ``SimulationResult.cumulative_percentiles``: each path's 8 adjacent
months are copied in one 32-byte read, where one month at a time reads a cache line for 4 bytes."""
SUMMARY_KEYS = ("deterministic_npv", "mean", "p5", "p50", "p95", "cvar95", "p_cheapest",
                "expected_regret", "lock_in_premium")


@dataclass
class _Outputs:
    """Per-path results, preallocated once and filled chunk by chunk in place."""

    npv: np.ndarray
    npv_no_events: np.ndarray
    cumulative: np.ndarray | None
    switching_npv: np.ndarray
    portable_npv: np.ndarray
    events: np.ndarray
    event_counts: np.ndarray
    no_fallback: np.ndarray
    tokens: np.ndarray
    line_sums: list
    gpus_sums: list
    amortised_sums: list
    fine_tune_runs: np.ndarray
    upgrades: np.ndarray
    first_upgrade: dict
    weights_age: dict

    @classmethod
    def empty(cls, sc: Loaded, paths: int, groups: int, keep_cumulative: bool = True) -> _Outputs:
        n_s, months = len(sc.strategies), sc.horizon_months
        pairs = len(risk_option_pairs(sc))
        # Counts are kept as integers and flags as booleans (the kernel's float64 values are
        # whole numbers): their means over paths are the same bits, since sums of whole numbers
        # below 2^53 are exact in any order, and 100,000 paths x 5 strategies hold 20 MB less.
        count = np.int32
        return cls(np.empty((paths, n_s)), np.empty((paths, n_s)),
                   np.empty((paths, n_s, months), dtype=np.float32) if keep_cumulative else None,
                   np.empty((paths, n_s)), np.empty((paths, n_s)),
                   np.empty((paths, n_s, len(risks.REGISTRY)), dtype=count),
                   np.empty((paths, pairs), dtype=count), np.empty((paths, n_s), dtype=np.bool_),
                   np.empty(paths), [None] * groups, [None] * groups, [None] * groups,
                   np.empty((paths, n_s), dtype=count), np.empty((paths, n_s), dtype=count),
                   {name: np.empty(paths, dtype=np.int64) for name in releases.tracked(sc)},
                   {name: np.empty((paths, months), dtype=np.float32)
                    for name in releases.tracked(sc)})


def _run_chunk(sc: Loaded, u: np.ndarray, seed: int, start: int, out: _Outputs) -> None:
    """Simulate rows ``start:start + len(u)`` (``start`` a multiple of the block size) into ``out``."""
    paths = u.shape[0]
    rows = slice(start, start + paths)
    x = inputs_from_uniforms(sc.inputs, u)
    shocks = draw_shocks(sc, x, seed, start // RNG_BLOCK_PATHS, paths)
    # Without a kept cumulative cost the kernel writes each chunk's into its own scratch array.
    kept = out.cumulative[rows] if out.cumulative is not None else None
    result = kernel.run(sc, x, shocks, cumulative_out=kept)
    out.npv_no_events[rows] = result.npv_no_events_usd
    out.npv[rows] = result.npv_usd
    out.switching_npv[rows] = result.switching_npv_usd
    out.portable_npv[rows] = result.portable_npv_usd
    out.events[rows] = result.events
    for k, fired in enumerate(shocks.fired.values()):
        out.event_counts[rows, k] = fired.sum(axis=1)
    out.tokens[rows] = result.tokens
    out.no_fallback[rows] = result.no_fallback
    group = start // RNG_BLOCK_PATHS  # sums kept per group, added in the run's order at the end
    for sums, by_group in zip((out.line_sums, out.gpus_sums, out.amortised_sums), result.groups,
                              strict=True):
        sums[group:group + by_group.shape[0]] = list(by_group)
    out.fine_tune_runs[rows] = result.fine_tune_runs
    out.upgrades[rows] = result.upgrades
    for k, name in enumerate(releases.tracked(sc)):  # as the kernel priced them
        out.first_upgrade[name][rows] = result.first_upgrade[:, k]
        out.weights_age[name][rows] = result.weights_age[:, k]


class _Progress:
    """Counts finished paths across the pool's threads and reports each chunk to ``callback``.

    The lock makes the count and the call one step, so calls arrive in order with a growing
    ``paths_done`` whichever thread finished the chunk.
    """

    def __init__(self, callback: Callable[[int, int], None], paths: int) -> None:
        self.callback, self.paths, self.done = callback, paths, 0
        self.lock = threading.Lock()

    def chunk_done(self, rows: int) -> None:
        with self.lock:
            self.done += rows
            self.callback(self.done, self.paths)


def _run_chunks(sc: Loaded, u: np.ndarray, seed: int, starts: list[int], size: int, out: _Outputs,
                kernel_threads: int | None, progress: _Progress | None = None) -> None:
    if kernel_threads is not None:
        # Thread-local in numba: this pool thread runs its kernel calls on one core, beside the
        # other pool thread, instead of both asking for every core.
        numba.set_num_threads(kernel_threads)
    for start in starts:
        chunk = u[start:start + size]
        _run_chunk(sc, chunk, seed, start, out)
        if progress is not None:
            progress.chunk_done(chunk.shape[0])


def simulate(sc: Loaded, paths: int = DEFAULT_PATHS, seed: int = DEFAULT_SEED,
             sampling: str | None = None, workers: int | None = None,
             max_cells: int = budget.CLI_MAX_CELLS,
             progress: Callable[[int, int], None] | None = None,
             keep_cumulative: bool = True) -> SimulationResult:
    """Simulate every strategy over ``paths`` random paths of shocks.

    Parameters
    ----------
    sampling
        'random', 'lhs' or 'sobol' for the path-level inputs; None takes the scenario's.
    workers
        Threads to use; None uses up to two for large runs. Results do not depend on it.
    max_cells
        The largest paths x strategies x months allowed (``tco.budget``); a larger run is refused
        before anything is allocated.
    progress
        Called as ``progress(paths_done, paths)`` after each chunk, from the thread that ran it
        (one call at a time, ``paths_done`` growing to ``paths``); it only observes, so results
        are the same bit for bit with or without it.
    keep_cumulative
        Keep the float32 cumulative cost per path, strategy and month that only the fan chart
        and the exports read (114 MB at 100,000 paths x 5 strategies x 60 months; ``run`` keeps
        it only for --csv-dir, --xlsx and --focus-dir). Off, it is None and every other number
        is the same bit for bit.

    Returns
    -------
    SimulationResult
    """
    budget.check(len(sc.strategies), sc.horizon_months, paths,
                 len(risk_option_pairs(sc)) + len(noisy_options(sc)), max_cells)
    if not 0 <= seed <= MAX_SEED:
        raise ScenarioError("seed", f"must be a whole number between 0 and {MAX_SEED:,}")
    runtime.configure()
    method = sampling or sc.sampling
    u = path_uniforms(sc, seed, paths, method)
    out = _Outputs.empty(sc, paths, -(-paths // RNG_BLOCK_PATHS), keep_cumulative)
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if paths >= PARALLEL_MIN_PATHS else 1
    size = chunk_paths(paths, sc, workers)
    starts = list(range(0, paths, size))
    counter = _Progress(progress, paths) if progress is not None else None
    if workers > 1 and len(starts) > 1:
        # Interleaved chunks, so both threads finish together whatever the paths count.
        futures = [runtime.pool(workers).submit(_run_chunks, sc, u, seed, starts[w::workers], size, out, 1,
                                         counter)
                   for w in range(workers)]
        for future in futures:
            future.result()
    else:
        _run_chunks(sc, u, seed, starts, size, out, None, counter)
    if paths >= SMALL_RUN_PATHS:
        # Tables and the fan chart are built next in the caller's thread, which cannot reuse the
        # pool threads' arenas. Small runs free little, and the page reruns them often.
        runtime.release_freed_memory()
    require_finite(sc, out.npv)
    require_finite(sc, out.npv_no_events)
    deterministic = evaluate_kernel(sc)
    require_finite(sc, deterministic.npv_usd)
    for npv in (deterministic.npv_usd, out.npv, out.npv_no_events):
        limits.require_bounded(sc, npv, lambda x: evaluate_kernel(sc, x).npv_usd)
    # Summed in group order, so the totals depend neither on how chunks were shared out nor on
    # their size.
    return SimulationResult(
        scenario=sc, resolved=sc.inputs, paths=paths, seed=seed, sampling=method, uniforms=u,
        npv_usd=out.npv, npv_no_events_usd=out.npv_no_events, cumulative_usd=out.cumulative,
        switching_npv_usd=out.switching_npv, portable_npv_usd=out.portable_npv,
        events=out.events, event_counts=out.event_counts,
        line_mean_usd=kernel.sum_in_order(out.line_sums) / paths,
        gpus_mean=kernel.sum_in_order(out.gpus_sums) / paths,
        tokens=out.tokens, deterministic_npv_usd=deterministic.npv_usd[0],
        no_fallback=out.no_fallback,
        amortised_mean_usd=kernel.sum_in_order(out.amortised_sums) / paths,
        lines=deterministic.lines, fine_tune_runs=out.fine_tune_runs, upgrades=out.upgrades,
        first_upgrade=out.first_upgrade, weights_age=out.weights_age,
    )


@dataclass
class SimulationResult:
    """Per-path results of a simulation and the metrics built from them.

    Arrays are ``(paths, strategies)`` unless noted; ``cumulative_usd`` is
    ``(paths, strategies, months)`` in float32 (it only feeds percentiles), or None where the run
    did not keep it (``simulate(keep_cumulative=False)``).
    """

    scenario: Loaded
    resolved: Resolved
    paths: int
    seed: int
    sampling: str
    uniforms: np.ndarray
    npv_usd: np.ndarray
    npv_no_events_usd: np.ndarray
    cumulative_usd: np.ndarray | None
    switching_npv_usd: np.ndarray
    portable_npv_usd: np.ndarray
    events: np.ndarray
    """(paths, strategies, risk kinds) int32: events fired on the options each strategy relied
    on, in the months it carried traffic on them (``fired_columns``)."""
    event_counts: np.ndarray
    """(paths, risk-option pairs) int32: events drawn per pair (``event_columns``)."""
    line_mean_usd: np.ndarray
    gpus_mean: np.ndarray
    tokens: np.ndarray
    deterministic_npv_usd: np.ndarray
    no_fallback: np.ndarray
    """(paths, strategies) bool: True where some traffic was left on an exited option with no
    live fallback (it stays there at its last prices)."""
    amortised_mean_usd: np.ndarray
    """(strategies, months): mean monthly cost with bought GPUs depreciated straight-line."""
    lines: tuple[str, ...]
    """The names of ``line_mean_usd``'s line axis."""
    fine_tune_runs: np.ndarray
    """(paths, strategies) int32: fine-tune runs paid over the horizon."""
    upgrades: np.ndarray
    """(paths, strategies) int32: release upgrades paid over the horizon."""
    first_upgrade: dict[str, np.ndarray]
    """By option with a release track: (paths,) month of its first upgrade (-1: none)."""
    weights_age: dict[str, np.ndarray]
    """By option with a release track: (paths, months) float32 age of the deployed weights."""

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
        import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
        return pd.DataFrame({p.path: self.inputs[p.path] for p in self.resolved.sampled})

    def summary(self) -> pd.DataFrame:
        """One row per strategy: the documented ``--json`` keys, then standard errors and events.

        Computed once per result; each call returns a copy the caller may change.
        """
        return self._summary.copy()

    @cached_property
    def _summary(self) -> pd.DataFrame:
        import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
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
            "p_no_live_fallback": self.no_fallback.mean(axis=0),
            **{f"events_{kind}": self.events[:, :, k].mean(axis=0)
               for k, kind in enumerate(risks.REGISTRY)},
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

    def cumulative_percentiles(self) -> tuple[np.ndarray, np.ndarray]:
        """The fan chart's numbers: percentiles ``PERCENTILES`` and mean of cumulative cost.

        Returns
        -------
        percentiles : (strategies, len(PERCENTILES), months) float64
        mean : (strategies, months) float64

        Notes
        -----
        Each month's paths are ranked on their own, as ``np.percentile`` over the paths axis of
        the whole array would (its 'linear' rule), with the same numbers bit for bit. A few
        months of one strategy at a time are copied into one reused buffer, months as rows so
        each month's paths are contiguous for the partition: ``FAN_BUFFER_MONTHS`` x paths float32
        (3 MB at 100,000 paths) rather than a copy of the whole cumulative array (114 MB at
        100,000 paths x 5 strategies x 60 months).
        """
        cumulative = self.cumulative_usd
        if cumulative is None:
            raise ValueError("this result kept no cumulative cost: simulate it with "
                             "keep_cumulative=True (the default) to draw the fan chart")
        paths, n_strategies, months = cumulative.shape
        percentiles = np.empty((n_strategies, len(PERCENTILES), months))
        mean = np.empty((n_strategies, months))
        buffer = np.empty((min(FAN_BUFFER_MONTHS, months), paths), dtype=cumulative.dtype)
        for s_i in range(n_strategies):
            for first in range(0, months, buffer.shape[0]):
                block = cumulative[:, s_i, first:first + buffer.shape[0]].T  # (months, paths)
                rows = buffer[:block.shape[0]]
                np.copyto(rows, block)
                percentiles[s_i, :, first:first + block.shape[0]] = np.percentile(
                    rows, PERCENTILES, axis=1, overwrite_input=True)
            mean[s_i] = cumulative[:, s_i].mean(axis=0, dtype=np.float64)
        return percentiles, mean

    def monthly_percentiles(self) -> pd.DataFrame:
        """Percentiles of cumulative cost per strategy and month (the fan chart), tidy: columns
        strategy, month, ``p<P>_cumulative_usd`` for each of ``PERCENTILES``, mean_cumulative_usd."""
        import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
        percentiles, mean = self.cumulative_percentiles()
        months = np.arange(self.scenario.horizon_months)
        return pd.concat([pd.DataFrame({
            "strategy": name, "month": months,
            **{f"p{p}_cumulative_usd": percentiles[s_i, p_i] for p_i, p in enumerate(PERCENTILES)},
            "mean_cumulative_usd": mean[s_i]}) for s_i, name in enumerate(self.strategies)],
            ignore_index=True)

    def mean_lines(self) -> pd.DataFrame:
        """Mean monthly cost per strategy and line over paths, tidy."""
        import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
        months = np.arange(self.scenario.horizon_months)
        return pd.concat([pd.DataFrame({"strategy": name, "month": months, "line": line,
                                        "usd": self.line_mean_usd[s_i, l_i]})
                          for s_i, name in enumerate(self.strategies)
                          for l_i, line in enumerate(self.lines)], ignore_index=True)

    def event_columns(self) -> list[str]:
        """Names of ``event_counts``' columns: the events drawn per risk and option,
        ``events.<kind>.<option>``, before any strategy's traffic is considered."""
        return [f"events.{self.scenario.risks[i].kind}.{name}"
                for i, risk in enumerate(self.scenario.risks) for name in risk.on]

    def fired_columns(self) -> dict[str, np.ndarray]:
        """Events fired per path, ``events_<kind>.<strategy>``, for the scenario's risk kinds.

        The kernel's count (``events``): events on the options the strategy relied on, in the
        months it carried traffic on them. The summary's ``events_<kind>`` is their mean over
        paths, so summary.csv and paths.csv count events fired one way.
        """
        kinds = list(risks.REGISTRY)
        present = [kind for kind in kinds if any(r.kind == kind for r in self.scenario.risks)]
        return {f"events_{kind}.{name}": self.events[:, s_i, kinds.index(kind)].astype(int)
                for kind in present for s_i, name in enumerate(self.strategies)}

    def paths_frame(self) -> pd.DataFrame:
        """The audit trail: per path, NPV per strategy, the sampled inputs, the events drawn on
        each option (``event_columns``) and the events fired on each strategy (``fired_columns``)."""
        import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
        frame = pd.DataFrame({"path": np.arange(self.paths)})
        for s_i, name in enumerate(self.strategies):
            frame[f"npv_usd.{name}"] = self.npv_usd[:, s_i]
        frame = pd.concat([frame, self.sampled_inputs.add_prefix("input.")], axis=1)
        for k, column in enumerate(self.event_columns()):
            frame[column] = self.event_counts[:, k].astype(int)
        return pd.concat([frame, pd.DataFrame(self.fired_columns())], axis=1)

    def portability_value(self) -> pd.DataFrame:
        """How much expected and P95 NPV fall as portability goes from 0 to 1, per strategy.

        NPV is linear in (1 - portability) through E, the NPV of everything the kernel scales by
        it (migration effort and release upgrades, ``portable_npv_usd``), so on each path
        NPV(pi) = NPV - (1 - pi_0) E + (1 - pi) E, exact without another run.
        """
        import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
        rows = []
        for s_i, name in enumerate(self.strategies):
            pi0 = self.inputs[f"strategies.{name}.portability"]
            effort = self.portable_npv_usd[:, s_i]
            base = self.npv_usd[:, s_i] - (1.0 - pi0) * effort
            at_zero, at_one = base + effort, base
            rows.append({"strategy": name, "portability": float(np.mean(pi0)),
                         "mean_saving_usd": float(at_zero.mean() - at_one.mean()),
                         "p95_saving_usd": float(np.percentile(at_zero, 95) - np.percentile(at_one, 95)),
                         "mean_at_current_usd": float(self.npv_usd[:, s_i].mean())})
        return pd.DataFrame(rows)
