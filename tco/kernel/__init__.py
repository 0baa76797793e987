"""The cost kernel: one month of one path at a time, compiled with numba.

Every random input has been drawn before the kernel runs (``tco.draws``) and laid out as typed
arrays (``tco.views``); the kernel is deterministic in them. It walks each path month by month,
carrying the state the contract describes: each option's price index, the events that have fired
on it (exits, licence changes, migrations), which options have started, and the cost so far. The
deterministic model is this kernel with one path of nominal inputs and no events.

Paths are processed in fixed blocks of ``BLOCK_PATHS``; sums over paths (cost by line, GPUs,
utilisation) are kept per block and added in block order after the parallel loop, within each
group of ``RNG_BLOCK_PATHS`` paths, so results depend neither on how many threads run it nor on
how a run is cut into batches of whole groups.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import namedtuple
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

import tco.options as options
import tco.risks as risks
from tco.draws import RNG_BLOCK_PATHS, Shocks
from tco.kernel.states import option_states
from tco.kernel.strategy import strategies as strategy_pass
from tco.load import Loaded
from tco.units import MONTHS_PER_YEAR
from tco.views import LINES, Strategies, events, extras, line_names, option_rows, strategies, workload


def purge_stale_cache(package: Path) -> None:
    """Drop numba's on-disk cache of the kernel when any source it compiles in has changed.

    numba keys a cached function on its own file's timestamp only, but ``_kernel`` compiles the
    helpers of the other kernel modules (and the codes and constants they copy) into itself: after
    editing one of them, or pulling a change to it, the stale machine code would run and give
    other numbers without a word. A digest of every such source, kept beside the cache, decides.
    """
    root = package.parent
    sources = sorted(package.glob("*.py")) + options.sources() + [root / "risks" / "base.py",
                                                                    root / "units.py"]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()
    cache = package / "__pycache__"
    stamp = cache / "kernel-sources.sha256"
    with contextlib.suppress(OSError):  # a read-only install: numba cannot cache there either
        if stamp.exists() and stamp.read_text() == digest:
            return
        for stale in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            stale.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest)


purge_stale_cache(Path(__file__).parent)

# Several page sessions may call the kernel at once from their own threads; numba's default
# 'workqueue' layer aborts the process on concurrent parallel calls, GNU OpenMP does not.
numba.config.THREADING_LAYER = "omp"

# The helpers below allocate nothing, so they are compiled without numba's reference counting
# (``_nrt=False``): with it, every inlined call increfs and decrefs each array of the views it is
# passed, atomically, which took 80% of the kernel's time (39 against 8 us per path on the
# benchmark scenario). An allocation there would fail to compile rather than leak.

Track = namedtuple("Track", ["age", "upgrade", "licensed_above", "ft_month", "ft_effort", "ft_start"])
"""Per-path scratch of release tracks and fine-tuning: the deployed weights' age (options,
months), whether a release is deployed that month, whether the deployed version owes an
``at_release`` licence fee; each option's fine-tuning withdrawal month and its effort, and the
month it first carried the current strategy's traffic (-1: not yet)."""

BLOCK_PATHS = 64
"""Paths per block of the parallel loop; sums over paths are exact per block, then added in order."""
GROUP_BLOCKS = RNG_BLOCK_PATHS // BLOCK_PATHS
"""Blocks per group of sums: a batch's sums over paths are kept per group of RNG_BLOCK_PATHS paths."""

# numba freezes module globals into its on-disk cache, and a cache is only invalidated when the
# file changes: so the kernel reads nothing from another module that may change (the number of
# risk kinds and of cost lines comes from its arrays' shapes). The option codes and effect bits
# its modules copy are fixed by their declarations.


@dataclass
class KernelResult:
    """What the metrics need, for one batch of paths.

    Attributes
    ----------
    cost_usd : (paths, strategies, months) or None
        Monthly cost, when asked for (the deterministic model, run rates).
    cumulative_usd : (paths, strategies, months), float32
        Cumulative cost, summed in float64 and stored in float32 (it only feeds percentiles).
    npv_usd, switching_npv_usd, migration_effort_npv_usd : (paths, strategies)
        ``migration_effort_npv_usd`` is the engineering and one-off part of switching before the
        (1 - portability) factor, so the value of portability is exact without a rerun.
    npv_no_events_usd : (paths, strategies)
        The same paths with no event fired (the lock-in premium's reference).
    line_sum_usd : (strategies, lines, months), summed over paths
        ``lines`` is ``line_names`` (the declared lines, then the scenario's named other costs).
    amortised_sum_usd : (strategies, months), summed over paths
        Cost with bought GPUs depreciated straight-line instead of paid when bought (no
        residual credit): the P&L reader's view.
    gpus_sum, utilization_sum : (strategies, options, months), summed over paths
        Mean GPUs provisioned over the month's hours, and their busy share.
    events : (paths, strategies, kinds), events fired on options while the strategy carried
        traffic on them
    groups : (line_sum_usd, gpus_sum, amortised_sum_usd) before the groups were added: each with
        a leading axis of groups of RNG_BLOCK_PATHS paths, so a caller cutting a run into batches
        adds them in the run's group order (the same bits whatever the batch size)
    fine_tune_runs, upgrades : (paths, strategies), fine-tune runs and release upgrades paid
    no_fallback : (paths, strategies), 1 where traffic was left on an exited option with no live
        fallback
    tokens : (paths,), tokens served over the horizon (input plus output)
    lines : the names of the line axis
    """

    cost_usd: np.ndarray | None
    cumulative_usd: np.ndarray
    npv_usd: np.ndarray
    npv_no_events_usd: np.ndarray
    switching_npv_usd: np.ndarray
    migration_effort_npv_usd: np.ndarray
    line_sum_usd: np.ndarray
    amortised_sum_usd: np.ndarray
    gpus_sum: np.ndarray
    utilization_sum: np.ndarray
    events: np.ndarray
    no_fallback: np.ndarray
    tokens: np.ndarray
    fine_tune_runs: np.ndarray
    upgrades: np.ndarray
    lines: tuple[str, ...] = ()
    groups: tuple[np.ndarray, np.ndarray, np.ndarray] = ()


def run(sc: Loaded, x: dict[str, np.ndarray], shocks: Shocks, *, want_cost: bool = False,
        cumulative_out: np.ndarray | None = None, plan: Strategies | None = None,
        months: int | None = None) -> KernelResult:
    """Evaluate every strategy on every path of ``x`` under ``shocks``.

    Parameters
    ----------
    x
        Input values by parameter path; each of shape ``(1,)`` or ``(paths,)``.
    shocks
        Price noise and fired events of these paths.
    want_cost
        Also return the monthly cost ``(paths, strategies, months)`` in float64.
    cumulative_out
        Where to write the cumulative cost (a C-contiguous float32 slice of a larger result).
    plan, months
        Other strategies than the scenario's (the run-rate curves use one made for the purpose),
        and fewer months than the horizon.
    """
    paths = shocks.paths
    w, per_path = workload(sc, x, paths)
    own = plan is None  # the scenario's strategies, so their named other costs apply too
    plan = strategies(sc, x, paths) if own else plan
    names = line_names(sc)
    return _run(option_rows(sc, x, per_path, paths), plan, w, events(sc, x, shocks, paths),
                extras(sc, x, paths, with_strategies=own), names, paths,
                sc.horizon_months if months is None else months, plan.fallback.shape[0],
                want_cost, cumulative_out)


def _run(o, st, w, ev, xc, names: tuple[str, ...], paths: int, months: int, n_strategies: int,
         want_cost: bool, cumulative_out: np.ndarray | None = None) -> KernelResult:
    n_options = o.billing.shape[0]
    blocks = -(-paths // BLOCK_PATHS)
    cost = np.zeros((paths, n_strategies, months) if want_cost else (1, 1, 1))
    if cumulative_out is None:
        cumulative_out = np.empty((paths, n_strategies, months), dtype=np.float32)
    out = KernelResult(
        cost_usd=None, cumulative_usd=cumulative_out,
        npv_usd=np.empty((paths, n_strategies)), npv_no_events_usd=np.empty((paths, n_strategies)),
        switching_npv_usd=np.empty((paths, n_strategies)),
        migration_effort_npv_usd=np.empty((paths, n_strategies)),
        line_sum_usd=np.zeros((blocks, n_strategies, len(names), months)),
        amortised_sum_usd=np.zeros((blocks, n_strategies, months)),
        gpus_sum=np.zeros((blocks, n_strategies, n_options, months)),
        utilization_sum=np.zeros((blocks, n_strategies, n_options, months)),
        events=np.zeros((paths, n_strategies, len(risks.REGISTRY))),
        no_fallback=np.zeros((paths, n_strategies)), tokens=np.empty(paths),
        fine_tune_runs=np.zeros((paths, n_strategies)), upgrades=np.zeros((paths, n_strategies)),
        lines=names)
    _kernel(o, st, w, ev, xc, LINES, months, want_cost, cost, out.cumulative_usd, out.npv_usd,
            out.npv_no_events_usd, out.switching_npv_usd, out.migration_effort_npv_usd,
            out.line_sum_usd, out.gpus_sum, out.utilization_sum, out.amortised_sum_usd, out.events,
            out.no_fallback, out.tokens, out.fine_tune_runs, out.upgrades)
    # Block partial sums added in block order within each group, then the groups in order: the
    # same bits whatever the thread count or the batch size.
    out.groups = (_sum_groups(out.line_sum_usd), _sum_groups(out.gpus_sum),
                  _sum_groups(out.amortised_sum_usd))
    out.line_sum_usd, out.gpus_sum, out.amortised_sum_usd = (sum_in_order(g) for g in out.groups)
    out.utilization_sum = sum_in_order(_sum_groups(out.utilization_sum))
    out.cost_usd = cost if want_cost else None
    return out


def sum_in_order(parts) -> np.ndarray:
    """parts[0] + parts[1] + ..., added left to right (a fixed order, so fixed bits)."""
    total = parts[0].copy()
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by require_finite
        for part in parts[1:]:
            total += part
    return total


def _sum_groups(partial: np.ndarray) -> np.ndarray:
    """Block partial sums ``(blocks, ...)`` added in order within each group: ``(groups, ...)``."""
    return np.stack([sum_in_order(partial[g:g + GROUP_BLOCKS])
                     for g in range(0, partial.shape[0], GROUP_BLOCKS)])


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def _kernel(o, st, w, ev, xc, L, months, want_cost, cost, cumulative, npv, npv_no_events,
            switching_npv, effort_npv, line_sum, gpus_sum, util_sum, amortised_sum, events,
            no_fallback, tokens, ft_runs, upgrades):  # pragma: no cover - compiled
    paths = npv.shape[0]
    n_options = o.billing.shape[0]
    blocks = line_sum.shape[0]
    for b in prange(blocks):
        # Per-block scratch: option states over months, reused by each path of the block.
        index = np.empty((n_options, months))
        migrations = np.empty((n_options, months))
        migration_effort = np.empty((n_options, months))
        exit_month = np.empty(n_options, dtype=np.int64)
        exit_effort = np.empty(n_options)
        licence_month = np.empty(n_options, dtype=np.int64)
        month_counts = np.empty((n_options, months, events.shape[2]))
        tr = Track(np.empty((n_options, months)), np.empty((n_options, months), dtype=np.bool_),
                   np.empty((n_options, months), dtype=np.bool_), np.empty(n_options, dtype=np.int64),
                   np.empty(n_options), np.empty(n_options, dtype=np.int64))
        share = np.empty(n_options)
        share_before = np.zeros(n_options)
        started = np.empty(n_options, dtype=np.bool_)
        owned = np.empty(n_options)
        residual = np.empty(n_options)
        signed = np.empty(n_options, dtype=np.bool_)
        extra_started = np.empty(xc.option.shape[0], dtype=np.bool_)
        touched = np.empty(n_options, dtype=np.bool_)
        every = np.ones(npv.shape[1], dtype=np.bool_)
        redo = np.empty(npv.shape[1], dtype=np.bool_)
        discount = np.empty(months)
        requests = np.empty(months)
        mau = np.empty(months)
        rate = np.nan  # the discount factors' rate: most scenarios fix it, so compute them once
        for p in range(b * BLOCK_PATHS, min((b + 1) * BLOCK_PATHS, paths)):
            if w.discount_rate[p] != rate:
                rate = w.discount_rate[p]
                for t in range(months):
                    discount[t] = (1.0 + rate) ** (-((t + 1) / MONTHS_PER_YEAR))
            served = 0.0
            for t in range(months):
                # Traffic R(t) = R (1 + g)^t; float exponents, as numba would otherwise turn an
                # integer power into repeated products (other bits than numpy's power).
                requests[t] = w.requests[p] * (1.0 + w.growth[p]) ** float(t)
                mau[t] = w.mau[p] * (1.0 + w.mau_growth[p]) ** float(t) if w.has_mau else 0.0
                served += requests[t] * w.tokens_per_request[p]
            tokens[p] = served
            fired = option_states(p, o, ev, w, months, True, touched, index, migrations,
                                  migration_effort, exit_month, exit_effort, licence_month,
                                  month_counts, tr)
            strategy_pass(p, o, st, w, ev, xc, L, months, want_cost, cost, cumulative, npv,
                          switching_npv, effort_npv, line_sum[b], gpus_sum[b], util_sum[b],
                          amortised_sum[b], events, no_fallback, index, migrations, migration_effort,
                          exit_month, exit_effort, licence_month, month_counts, tr, share,
                          share_before, started, owned, residual, signed, extra_started, discount,
                          requests, mau, ft_runs, upgrades, True, every)
            # The lock-in premium's reference: the same path with no event fired. A strategy
            # relying on no option an event fell on has the same cost without events, bit for
            # bit (the same states, the same arithmetic): it is copied, not recomputed.
            again = False
            for s in range(npv.shape[1]):
                redo[s] = False
                for r in range(st.relied.shape[1]):
                    j = st.relied[s, r]
                    if j < 0:
                        break
                    redo[s] = redo[s] or touched[j]
                if not redo[s]:
                    npv_no_events[p, s] = npv[p, s]
                again = again or redo[s]
            if not fired or not again:
                continue
            option_states(p, o, ev, w, months, False, touched, index, migrations,
                          migration_effort, exit_month, exit_effort, licence_month, month_counts,
                          tr)
            strategy_pass(p, o, st, w, ev, xc, L, months, False, cost, cumulative, npv_no_events,
                          switching_npv, effort_npv, line_sum[b], gpus_sum[b], util_sum[b],
                          amortised_sum[b], events, no_fallback, index, migrations, migration_effort,
                          exit_month, exit_effort, licence_month, month_counts, tr, share,
                          share_before, started, owned, residual, signed, extra_started, discount,
                          requests, mau, ft_runs, upgrades, False, redo)
