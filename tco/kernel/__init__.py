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

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

import tco._runtime as runtime
import tco.risks as risks
from tco.draws import RNG_BLOCK_PATHS, Shocks
from tco.kernel.records import Flags, Outputs, Scratch, State
from tco.kernel.states import option_states
from tco.kernel.strategy import strategies as strategy_pass
from tco.load import Loaded
from tco.units import MONTHS_PER_YEAR
from tco.views import (
    LINES,
    OptionRows,
    Strategies,
    events,
    extras,
    line_names,
    option_rows,
    strategies,
    workload,
)

# The helpers below allocate nothing, so they are compiled without numba's reference counting
# (``_nrt=False``): with it, every inlined call increfs and decrefs each array of the records it
# is passed, atomically, which took 80% of the kernel's time (39 against 8 us per path on the
# benchmark scenario). An allocation there would fail to compile rather than leak.

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
    npv_usd, switching_npv_usd, portable_npv_usd : (paths, strategies)
        ``portable_npv_usd`` is the NPV of everything the kernel scales by (1 - portability),
        before that factor: the migration effort of switching and the release upgrades. NPV is
        linear in (1 - portability) through it, so the value of portability is exact without a
        rerun.
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
    first_upgrade : (paths, tracked options), int64, the month each tracked option (a release track
        planning a release within the horizon, in scenario order) first deploys a new release; -1
        where none arrives within the horizon
    weights_age : (paths, tracked options, months), float32, the deployed weights' age
    no_fallback : (paths, strategies), 1 where traffic was left on an exited option with no live
        fallback
    tokens : (paths,), tokens served over the horizon (input plus output)
    lines : the names of the line axis
    usage_share, usage_price_multiplier : (paths, options, months), with ``usage`` only: the first
        strategy's share of traffic on each option as the kernel routed it, and the multiplier its
        per-token bill applied to the option's list price per request: the price index I(t) times
        a vendor fine-tune's price factor (1 - f + f m) while the service lasts (``token_bill``'s
        factor but for the strategy's negotiated discount; I(t) alone on any other option)
    """

    cost_usd: np.ndarray | None
    cumulative_usd: np.ndarray
    npv_usd: np.ndarray
    npv_no_events_usd: np.ndarray
    switching_npv_usd: np.ndarray
    portable_npv_usd: np.ndarray
    line_sum_usd: np.ndarray
    amortised_sum_usd: np.ndarray
    gpus_sum: np.ndarray
    utilization_sum: np.ndarray
    events: np.ndarray
    no_fallback: np.ndarray
    tokens: np.ndarray
    fine_tune_runs: np.ndarray
    upgrades: np.ndarray
    first_upgrade: np.ndarray
    weights_age: np.ndarray
    lines: tuple[str, ...] = ()
    groups: tuple[np.ndarray, np.ndarray, np.ndarray] = ()
    usage_share: np.ndarray | None = None
    usage_price_multiplier: np.ndarray | None = None


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
    runtime.configure()  # the threading layer and the cache check, before the first compiled call
    paths = shocks.paths
    w, per_path = workload(sc, x, paths)
    own = plan is None  # the scenario's strategies, so their named other costs apply too
    plan = strategies(sc, x, paths) if own else plan
    names = line_names(sc)
    return run_prepared(option_rows(sc, x, per_path, paths), plan, w, events(sc, x, shocks, paths),
                extras(sc, x, paths, None if own else {}), names,
                sc.horizon_months if months is None else months, want_cost, cumulative_out)


def run_prepared(o, st, w, ev, xc, names: tuple[str, ...], months: int, want_cost: bool,
                 cumulative_out: np.ndarray | None = None, *, reference: bool = True,
                 keep: bool = True, usage: bool = False) -> KernelResult:
    """The kernel on prepared records (``tco.views``), for callers that prepare them once and
    run the kernel many times (``tco.engine``, ``tco.portfolio``): the paths of the workload view
    ``w``, the strategies of ``st``. With ``keep`` off (``tco.engine``'s many candidates) only
    the per-path NPVs are written: the series and sums are one-cell placeholders, and
    ``cumulative_usd``, ``line_sum_usd`` and the like in the result mean nothing."""
    paths, n_strategies = w.requests.shape[0], st.fallback.shape[0]
    n_options = o.common.billing.shape[0]
    tracked = int((o.track.slot >= 0).sum())
    blocks = -(-paths // BLOCK_PATHS)
    kept = (paths, n_strategies) if keep else (1, 1)  # the leading axes of per-path series
    summed = n_strategies if keep else 1
    if cumulative_out is None:
        cumulative_out = np.empty((*kept, months if keep else 1), dtype=np.float32)
    out = Outputs(
        cost=np.zeros((paths, n_strategies, months) if want_cost and keep else (1, 1, 1)),
        cumulative=cumulative_out, npv=np.empty((paths, n_strategies)),
        npv_no_events=np.empty((paths, n_strategies)), switching_npv=np.empty((paths, n_strategies)),
        portable_npv=np.empty((paths, n_strategies)),
        events=np.zeros((*kept, len(risks.REGISTRY))),
        no_fallback=np.zeros((paths, n_strategies)), tokens=np.empty(paths),
        ft_runs=np.zeros((paths, n_strategies)), upgrades=np.zeros((paths, n_strategies)),
        first_upgrade=np.full((paths, tracked), -1, dtype=np.int64),
        weights_age=np.zeros((paths, tracked, months), dtype=np.float32),
        line_sum=np.zeros((blocks, summed, len(names) if keep else 1, months if keep else 1)),
        gpus_sum=np.zeros((blocks, summed, n_options if keep else 1, months if keep else 1)),
        util_sum=np.zeros((blocks, summed, n_options if keep else 1, months if keep else 1)),
        amortised_sum=np.zeros((blocks, summed, months if keep else 1)),
        usage_share=np.zeros((paths, n_options, months) if usage else (1, 1, 1)),
        usage_price_multiplier=np.zeros((paths, n_options, months) if usage else (1, 1, 1)))
    _kernel(*o, st, w, ev, xc, LINES, out, Flags(want_cost, reference, keep, usage))
    # Block partial sums added in block order within each group, then the groups in order: the
    # same bits whatever the thread count or the batch size.
    groups = (_sum_groups(out.line_sum), _sum_groups(out.gpus_sum), _sum_groups(out.amortised_sum))
    line_sum, gpus_sum, amortised_sum = (sum_in_order(g) for g in groups)
    return KernelResult(
        cost_usd=out.cost if want_cost else None, cumulative_usd=out.cumulative,
        npv_usd=out.npv, npv_no_events_usd=out.npv_no_events, switching_npv_usd=out.switching_npv,
        portable_npv_usd=out.portable_npv, line_sum_usd=line_sum, amortised_sum_usd=amortised_sum,
        gpus_sum=gpus_sum, utilization_sum=sum_in_order(_sum_groups(out.util_sum)),
        events=out.events, no_fallback=out.no_fallback, tokens=out.tokens,
        fine_tune_runs=out.ft_runs, upgrades=out.upgrades, first_upgrade=out.first_upgrade,
        weights_age=out.weights_age, lines=names, groups=groups,
        usage_share=out.usage_share if usage else None,
        usage_price_multiplier=out.usage_price_multiplier if usage else None)


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
def _kernel(common, fleet, commitment, track, tuning, st, w, ev, xc, L, out, flags
            ):  # pragma: no cover - compiled
    """Every path of ``out`` in blocks of BLOCK_PATHS, in parallel (see ``block``).

    The option records (``OptionRows``) come in one by one and are put back together in the
    loop's body: numba's parallel loop hands records of arrays to its threads one level deep
    only, and fails to compile a record of records.
    """
    for b in prange(out.line_sum.shape[0]):
        o = OptionRows(common, fleet, commitment, track, tuning)
        block(b, o, st, w, ev, xc, L, out, flags)


@njit(cache=True, nogil=True, error_model="numpy")
def block(b, o, st, w, ev, xc, L, out, flags):  # pragma: no cover - compiled
    """The paths of block b: each one's traffic, its options' states, every strategy with events
    and, where events could change the cost, without them.

    The block's working state is allocated here, in a function of its own, and reused by each
    path: built in the parallel loop's body, numba's parfor lowering freed the arrays of such a
    record while it was still in use (wrong numbers, with one thread or two).
    """
    paths, n_strategies = out.npv.shape
    months = out.weights_age.shape[2]  # allocated whole in every mode (``Flags.keep``)
    n_options = o.common.billing.shape[0]
    S = State(np.empty((n_options, months)), np.empty((n_options, months)),
              np.empty((n_options, months)), np.empty((n_options, months, out.events.shape[2])),
              np.empty(n_options, dtype=np.bool_), np.empty(n_options, dtype=np.int64),
              np.empty(n_options), np.empty(n_options, dtype=np.int64),
              np.empty(n_options, dtype=np.int64), np.empty(n_options),
              np.empty((n_options, months)), np.empty((n_options, months), dtype=np.bool_),
              np.empty((n_options, months), dtype=np.bool_),
              np.empty((n_options, months), dtype=np.bool_), np.empty(n_options, dtype=np.int64))
    remembered = 0  # strategies whose autoscaled fleets are remembered for the reference pass
    for j in range(n_options):
        if flags.reference and o.fleet.autoscale[j]:
            remembered = n_strategies
    X = Scratch(np.empty(n_options), np.zeros(n_options), np.empty(n_options), np.zeros(n_options),
                np.empty(n_options, dtype=np.bool_), np.empty(n_options), np.empty(n_options),
                np.empty(n_options, dtype=np.bool_), np.empty(n_options, dtype=np.int64),
                np.empty(xc.option.shape[0], dtype=np.bool_), np.empty(n_strategies, dtype=np.bool_),
                np.empty(months), np.empty(months), np.empty(months),
                np.full((remembered, n_options, months, 6), -1.0))
    rate = np.nan  # the discount factors' rate: most scenarios fix it, so compute them once
    served = np.nan
    for p in range(b * BLOCK_PATHS, min((b + 1) * BLOCK_PATHS, paths)):
        if w.discount_rate[p] != rate:
            rate = w.discount_rate[p]
            for t in range(months):
                X.discount[t] = (1.0 + rate) ** (-((t + 1) / MONTHS_PER_YEAR))
        # Traffic likewise: a path drawing the previous path's traffic inputs has its series
        # (the same powers of the same numbers), so it is computed again only when one moves.
        if p == b * BLOCK_PATHS or not same_traffic(p, w):
            served = traffic(p, w, X)
        out.tokens[p] = served
        fired = option_states(p, o, ev, w, S, months, True)
        report_tracks(p, o, S, out)
        for s in range(n_strategies):
            X.redo[s] = True
        strategy_pass(p, o, st, w, ev, xc, L, S, X, out, b, flags)
        if reference_redo(p, st, S, X, out, fired, flags):
            option_states(p, o, ev, w, S, months, False)
            strategy_pass(p, o, st, w, ev, xc, L, S, X, out, -1, flags)


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def report_tracks(p, o, S, out):  # pragma: no cover - compiled
    """Path p's deployed weights on each tracked option, as the kernel priced them: the month of
    the first upgrade (-1: none within the horizon) and the weights' age by month."""
    for j in range(o.track.slot.shape[0]):
        k = o.track.slot[j]
        if k < 0:
            continue
        first = -1
        for t in range(out.weights_age.shape[2]):
            out.weights_age[p, k, t] = S.age[j, t]
            if first < 0 and S.upgrade[j, t]:
                first = t
        out.first_upgrade[p, k] = first


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def same_traffic(p, w):  # pragma: no cover - compiled
    """Whether path p's traffic inputs are path p - 1's, value for value."""
    return (w.requests[p] == w.requests[p - 1] and w.growth[p] == w.growth[p - 1]
            and w.tokens_per_request[p] == w.tokens_per_request[p - 1]
            and (not w.has_mau or (w.mau[p] == w.mau[p - 1] and w.mau_growth[p] == w.mau_growth[p - 1])))


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def traffic(p, w, X):  # pragma: no cover - compiled
    """Path p's requests and users by month into ``X``; returns the tokens served over the horizon.

    Traffic R(t) = R (1 + g)^t; float exponents, as numba would otherwise turn an integer power
    into repeated products (other bits than numpy's power).
    """
    served = 0.0
    for t in range(X.requests.shape[0]):
        X.requests[t] = w.requests[p] * (1.0 + w.growth[p]) ** float(t)
        X.mau[t] = w.mau[p] * (1.0 + w.mau_growth[p]) ** float(t) if w.has_mau else 0.0
        served += X.requests[t] * w.tokens_per_request[p]
    return served


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def reference_redo(p, st, S, X, out, fired, flags):  # pragma: no cover - compiled
    """Mark in ``X.redo`` the strategies whose no-event reference must be computed, copy the
    others' NPV, and return whether any is marked.

    The lock-in premium's reference is the same path with no event fired. A strategy relying on
    no option an event fell on has the same cost without events, bit for bit (the same states,
    the same arithmetic): it is copied, not recomputed. With the reference pass switched off
    (``Flags.reference``), every strategy with an event gets NaN rather than a silent copy.
    """
    again = False
    for s in range(out.npv.shape[1]):
        X.redo[s] = False
        for r in range(st.relied.shape[1]):
            j = st.relied[s, r]
            if j < 0:
                break
            X.redo[s] = X.redo[s] or S.touched[j]
        if not X.redo[s]:
            out.npv_no_events[p, s] = out.npv[p, s]
        elif not flags.reference:
            out.npv_no_events[p, s] = np.nan
        again = again or X.redo[s]
    return fired and again and flags.reference
