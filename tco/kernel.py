"""The cost kernel: one month of one path at a time, compiled with numba.

Every random input has been drawn before the kernel runs (``tco.draws``) and laid out as typed
arrays (``tco.views``); the kernel is deterministic in them. It walks each path month by month,
carrying the state the contract describes: each option's price index, the events that have fired
on it (exits, licence changes, migrations), which options have started, and the cost so far. The
deterministic model is this kernel with one path of nominal inputs and no events.

Paths are processed in fixed blocks of ``BLOCK_PATHS``; sums over paths (cost by line, GPUs,
utilisation) are kept per block and added in block order after the parallel loop, so results do
not depend on how many threads run it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numba import njit, prange

import tco.risks as risks
from tco.draws import Shocks
from tco.load import Loaded
from tco.options import api, self_hosted
from tco.units import MONTHS_PER_YEAR, SECONDS_PER_MONTH
from tco.views import LINES, Strategies, events, option_rows, strategies, workload

# Several page sessions may call the kernel at once from their own threads; numba's default
# 'workqueue' layer aborts the process on concurrent parallel calls, GNU OpenMP does not.
numba.config.THREADING_LAYER = "omp"

# The helpers below allocate nothing, so they are compiled without numba's reference counting
# (``_nrt=False``): with it, every inlined call increfs and decrefs each array of the views it is
# passed, atomically, which took 80% of the kernel's time (39 against 8 us per path on the
# benchmark scenario). An allocation there would fail to compile rather than leak.

BLOCK_PATHS = 64
"""Paths per block of the parallel loop; sums over paths are exact per block, then added in order."""

# numba freezes module globals into its on-disk cache, and a cache is only invalidated when this
# file changes: so the kernel reads nothing from another module that may change (the number of
# risk kinds comes from its arrays' shapes). These codes are fixed by their declarations.
API, RENTED, BOUGHT = api.CODE, self_hosted.RENTED, self_hosted.BOUGHT
PRICE, MIGRATE, EXIT, ESCALATE = (int(e) for e in (risks.Effect.PRICE, risks.Effect.MIGRATE,
                                                   risks.Effect.EXIT, risks.Effect.ESCALATE))


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
    gpus_sum, utilization_sum : (strategies, options, months), summed over paths
    events : (paths, strategies, kinds), events fired on options each strategy relies on
    tokens : (paths,), tokens served over the horizon (input plus output)
    """

    cost_usd: np.ndarray | None
    cumulative_usd: np.ndarray
    npv_usd: np.ndarray
    npv_no_events_usd: np.ndarray
    switching_npv_usd: np.ndarray
    migration_effort_npv_usd: np.ndarray
    line_sum_usd: np.ndarray
    gpus_sum: np.ndarray
    utilization_sum: np.ndarray
    events: np.ndarray
    tokens: np.ndarray


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
    plan = strategies(sc, x, paths) if plan is None else plan
    return _run(option_rows(sc, x, per_path, paths), plan, w, events(sc, x, shocks, paths), paths,
                sc.horizon_months if months is None else months, plan.fallback.shape[0],
                want_cost, cumulative_out)


def _run(o, st, w, ev, paths: int, months: int, n_strategies: int, want_cost: bool,
         cumulative_out: np.ndarray | None = None) -> KernelResult:
    n_options = o.kind.shape[0]
    blocks = -(-paths // BLOCK_PATHS)
    cost = np.zeros((paths, n_strategies, months) if want_cost else (1, 1, 1))
    if cumulative_out is None:
        cumulative_out = np.empty((paths, n_strategies, months), dtype=np.float32)
    out = KernelResult(
        cost_usd=None, cumulative_usd=cumulative_out,
        npv_usd=np.empty((paths, n_strategies)), npv_no_events_usd=np.empty((paths, n_strategies)),
        switching_npv_usd=np.empty((paths, n_strategies)),
        migration_effort_npv_usd=np.empty((paths, n_strategies)),
        line_sum_usd=np.zeros((blocks, n_strategies, LINES.count, months)),
        gpus_sum=np.zeros((blocks, n_strategies, n_options, months)),
        utilization_sum=np.zeros((blocks, n_strategies, n_options, months)),
        events=np.zeros((paths, n_strategies, len(risks.REGISTRY))), tokens=np.empty(paths))
    _kernel(o, st, w, ev, LINES, months, want_cost, cost, out.cumulative_usd, out.npv_usd,
            out.npv_no_events_usd, out.switching_npv_usd, out.migration_effort_npv_usd,
            out.line_sum_usd, out.gpus_sum, out.utilization_sum, out.events, out.tokens)
    # Block partial sums added in block order: the same bits whatever the thread count.
    out.line_sum_usd = _sum_blocks(out.line_sum_usd)
    out.gpus_sum = _sum_blocks(out.gpus_sum)
    out.utilization_sum = _sum_blocks(out.utilization_sum)
    out.cost_usd = cost if want_cost else None
    return out


def _sum_blocks(partial: np.ndarray) -> np.ndarray:
    total = partial[0].copy()
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by require_finite
        for block in partial[1:]:
            total += block
    return total


@njit(cache=True, parallel=True, nogil=True, error_model="numpy")
def _kernel(o, st, w, ev, L, months, want_cost, cost, cumulative, npv, npv_no_events, switching_npv,
            effort_npv, line_sum, gpus_sum, util_sum, events, tokens):  # pragma: no cover - compiled
    paths = npv.shape[0]
    n_options = o.kind.shape[0]
    blocks = line_sum.shape[0]
    for b in prange(blocks):
        # Per-block scratch: option states over months, reused by each path of the block.
        index = np.empty((n_options, months))
        migrations = np.empty((n_options, months))
        migration_effort = np.empty((n_options, months))
        exit_month = np.empty(n_options, dtype=np.int64)
        exit_effort = np.empty(n_options)
        licence_month = np.empty(n_options, dtype=np.int64)
        counts = np.empty((n_options, events.shape[2]))
        share = np.empty(n_options)
        started = np.empty(n_options, dtype=np.bool_)
        discount = np.empty(months)
        requests = np.empty(months)
        mau = np.empty(months)
        for p in range(b * BLOCK_PATHS, min((b + 1) * BLOCK_PATHS, paths)):
            served = 0.0
            for t in range(months):
                discount[t] = (1.0 + w.discount_rate[p]) ** (-((t + 1) / MONTHS_PER_YEAR))
                # Traffic R(t) = R (1 + g)^t; float exponents, as numba would otherwise turn an
                # integer power into repeated products (other bits than numpy's power).
                requests[t] = w.requests[p] * (1.0 + w.growth[p]) ** float(t)
                mau[t] = w.mau[p] * (1.0 + w.mau_growth[p]) ** float(t) if w.has_mau else 0.0
                served += requests[t] * w.tokens_per_request[p]
            tokens[p] = served
            fired = _pass(p, o, st, w, ev, L, months, want_cost, cost, cumulative, npv, switching_npv,
                          effort_npv, line_sum[b], gpus_sum[b], util_sum[b], events, index,
                          migrations, migration_effort, exit_month, exit_effort, licence_month,
                          counts, share, started, discount, requests, mau, True)
            if fired:
                # The lock-in premium's reference: the same path with no event fired.
                _pass(p, o, st, w, ev, L, months, False, cost, cumulative, npv_no_events,
                      switching_npv, effort_npv, line_sum[b], gpus_sum[b], util_sum[b], events, index,
                      migrations, migration_effort, exit_month, exit_effort, licence_month, counts,
                      share, started, discount, requests, mau, False)
            else:
                npv_no_events[p] = npv[p]


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _pass(p, o, st, w, ev, L, months, want_cost, cost, cumulative, npv, switching_npv, effort_npv,
          line_sum, gpus_sum, util_sum, events, index, migrations, migration_effort, exit_month,
          exit_effort, licence_month, counts, share, started, discount, requests, mau,
          with_events):  # pragma: no cover - compiled
    """Every strategy on path p, with its events or (for the lock-in premium) without any;
    returns whether an event fired. Only the with-events pass writes more than ``npv``."""
    fired = _option_states(p, o, ev, w, months, with_events, index, migrations, migration_effort,
                           exit_month, exit_effort, licence_month, counts)
    _strategies(p, o, st, w, ev, L, months, want_cost, cost, cumulative, npv, switching_npv,
                effort_npv, line_sum, gpus_sum, util_sum, events, index, migrations, migration_effort,
                exit_month, exit_effort, licence_month, counts, share, started, discount, requests,
                mau, with_events)
    return fired


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _option_states(p, o, ev, w, months, with_events, index, migrations, migration_effort,
                   exit_month, exit_effort, licence_month, counts):  # pragma: no cover - compiled
    """Each option's events and price index on path p; returns whether any event fired.

    An event in month t acts from month t on. ``Effect.PRICE`` multiplies the price index by the
    event's impact (several compound); ``MIGRATE`` counts a migration and its effort;
    ``EXIT`` keeps the first exit month and its effort; ``ESCALATE`` the first escalation month.
    """
    n_options = o.kind.shape[0]
    any_fired = False
    for j in range(n_options):
        exit_month[j] = months
        exit_effort[j] = 0.0
        licence_month[j] = months
        for t in range(months):
            index[j, t] = 0.0  # log steps of fired impacts first, turned into the index below
            migrations[j, t] = 0.0
            migration_effort[j, t] = 0.0
        for k in range(counts.shape[1]):
            counts[j, k] = 0.0
    if with_events:
        for k in range(ev.option.shape[0]):
            first, last = ev.ptr[k, p], ev.ptr[k, p + 1]
            if last == first:
                continue
            any_fired = True
            j = ev.option[k]
            effects = ev.effects[k]
            for e in range(first, last):
                t = ev.month[e]
                if effects & PRICE and o.indexed[j]:
                    index[j, t] += math.log(ev.impact[e])
                if effects & MIGRATE:
                    migrations[j, t] += 1.0
                    migration_effort[j, t] += ev.weeks[e] * w.week_usd[p] + w.one_off_usd[p]
            if effects & EXIT and ev.month[first] < exit_month[j]:
                exit_month[j] = ev.month[first]
                exit_effort[j] = ev.weeks[first] * w.week_usd[p] + w.one_off_usd[p]
            if effects & ESCALATE and ev.month[first] < licence_month[j]:
                licence_month[j] = ev.month[first]
            if ev.counted_once[k]:
                counts[j, ev.kind[k]] = 1.0
            else:
                counts[j, ev.kind[k]] += last - first
    for j in range(n_options):
        if not o.indexed[j]:
            for t in range(months):
                index[j, t] = 1.0  # bought hardware: the price was paid up front
            continue
        slot = ev.noise_slot[j]
        walk, impacts = 0.0, 0.0
        for t in range(months):
            # log I(t) = drift x t + sum of sigma z since month 1 + log of every impact so far.
            if t > 0 and slot >= 0:
                walk += o.sigma[j, p] * ev.noise[slot, p, t]
            impacts += index[j, t]
            index[j, t] = math.exp(walk + o.drift[j, p] * float(t) + impacts)
    return any_fired


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def _escalation(p, j, t, o, ev, licence_month):  # pragma: no cover - compiled
    """Share of a self-hosted option's traffic escalated to the fallback in month t.

    escalation_share before a licence change; from its month on (which counts as the first) it
    grows by the rate per month, up to the cap. Before the event ``since`` <= 0, so the formula
    returns escalation_share exactly: no separate branch for months before it.
    """
    base = o.escalation_share[j, p]
    k = ev.escalation_pair[j]
    if k < 0:
        return base
    since = t - licence_month[j] + 1.0
    return max(base, min(ev.escalation_cap[k, p], base + ev.escalation_rate[k, p] * since))


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def _add(line_sum, s, line, t, usd, full):  # pragma: no cover - compiled
    """Book ``usd`` on a cost line (kept per block for the with-events pass) and return it."""
    if full:
        line_sum[s, line, t] += usd
    return usd


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def _bill(p, j, t, o, index, requests):  # pragma: no cover - compiled
    """Monthly cost of all traffic on option j at its per-request cost: R(t) x cost(t)."""
    return requests * (o.unit_usd[j, p] * index[j, t])


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def _carry(p, s, j, t, o, w, L, share, escalated, requests, mau, index, started, line_sum,
           gpus_sum, util_sum, full):  # pragma: no cover - compiled
    """Cost in month t of carrying ``share`` of the traffic on option j.

    ``escalated`` is the part of an API option's share that self-hosted options escalated to it
    (billed on its own line). A self-hosted fleet serves its peak at target utilisation in whole
    replicas, never fewer than min_replicas while it carries traffic, and pays its setup in the
    first month it carries any.
    """
    if o.kind[j] == API:
        bill = share * _bill(p, j, t, o, index, requests)
        escalated_bill = escalated * _bill(p, j, t, o, index, requests)
        total = _add(line_sum, s, L.escalated_traffic, t, escalated_bill, full)
        return total + _add(line_sum, s, L.api_tokens, t, bill - escalated_bill, full)
    load = share * requests
    in_use = load > 0.0
    replicas = 0.0
    if in_use:
        replicas = max(np.ceil(load * o.load_factor[j, p]), o.min_replicas[j])
    gpus = replicas * o.gpus_per_replica[j]
    if full:
        gpus_sum[s, j, t] += gpus
        if replicas > 0.0:
            util_sum[s, j, t] += load / SECONDS_PER_MONTH * o.replica_s[j, p] / replicas
    total = 0.0
    if o.kind[j] == BOUGHT:
        total += _add(line_sum, s, L.gpu_purchase, t, gpus * o.gpu_month_usd[j, p], full)
        total += _add(line_sum, s, L.power, t, gpus * o.power_month_usd[j, p], full)
    else:
        total += _add(line_sum, s, L.gpu_rent, t, gpus * o.gpu_month_usd[j, p] * index[j, t], full)
    mask = 1.0 if in_use else 0.0
    total += _add(line_sum, s, L.ops_staff, t, mask * o.ops_month_usd[j, p], full)
    total += _add(line_sum, s, L.missing_components, t, mask * o.parts_month_usd[j, p], full)
    if in_use and not started[j]:
        started[j] = True
        total += _add(line_sum, s, L.setup, t, o.setup_usd[j, p], full)
        total += _add(line_sum, s, L.missing_components, t, o.parts_setup_usd[j, p], full)
    if o.has_licence[j]:
        above = 1.0 if mau > o.licence_threshold[j, p] else 0.0
        total += _add(line_sum, s, L.licence, t, mask * above * o.licence_fee[j, p], full)
    return total


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def _strategies(p, o, st, w, ev, L, months, want_cost, cost, cumulative, npv, switching_npv,
                effort_npv, line_sum, gpus_sum, util_sum, events, index, migrations, migration_effort,
                exit_month, exit_effort, licence_month, counts, share, started, discount, requests,
                mau, full):  # pragma: no cover - compiled
    """Every strategy on path p, month by month; ``full`` is the with-events pass (every output),
    otherwise only ``npv`` is written (the no-event reference of the lock-in premium). One call
    per path rather than per strategy: each call copies the views it is passed.

    Notes
    -----
    Shares: an option's share moves to the fallback from the month it exits (a fallback that
    exits is replaced like for like); a self-hosted option escalates escalation(t) of its share to
    the fallback. Switching = (engineer weeks x price + one-off) x (1 - portability) + dual running
    of the moved traffic on its new option; NPV discounts month t by (1 + r)^-((t + 1) / 12).
    """
    for s in range(npv.shape[1]):
        n_options = share.shape[0]
        f = st.fallback[s]
        for j in range(n_options):
            started[j] = False
        if full:
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                for k in range(counts.shape[1]):
                    events[p, s, k] += counts[j, k]
        running, present, switching_present, effort_present = 0.0, 0.0, 0.0, 0.0
        for t in range(months):
            for j in range(n_options):
                share[j] = 0.0
            escalated = 0.0
            for e in range(st.mix_option.shape[1]):
                j = st.mix_option[s, e]
                if j < 0:
                    break
                mix = st.mix_share[s, e]
                base = mix if j == f or t < exit_month[j] else 0.0
                if j != f and f >= 0:
                    share[f] += mix - base
                if o.kind[j] != API and f >= 0 and j != f:
                    escalation = _escalation(p, j, t, o, ev, licence_month)
                    share[j] += base * (1.0 - escalation)
                    escalated += base * escalation
                else:
                    share[j] += base
            if f >= 0:
                share[f] += escalated
            total = 0.0
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                total += _carry(p, s, j, t, o, w, L, share[j], escalated if j == f else 0.0, requests[t],
                                mau[t], index, started, line_sum, gpus_sum, util_sum, full)
            total += _add(line_sum, s, L.gateway, t, st.overhead_usd[s, p], full)
            effort, dual = 0.0, 0.0
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                carried = share[j]
                if migrations[j, t] > 0.0:  # most months have none: skip adding zeros
                    if carried > 0.0:
                        effort += migration_effort[j, t]
                    dual += (w.dual_months[p] * carried) * (
                        migrations[j, t] * _bill(p, j, t, o, index, requests[t]))
                if t != exit_month[j]:
                    continue
                if j == f:
                    # A fallback pays to move only if it carries traffic in the month it exits.
                    if carried > 0.0:
                        effort += exit_effort[j]
                        dual += (w.dual_months[p] * carried) * _bill(p, j, t, o, index, requests[t])
                    continue
                moved = 0.0
                for e in range(st.mix_option.shape[1]):
                    if st.mix_option[s, e] == j:
                        moved = st.mix_share[s, e]
                if moved > 0.0:
                    effort += exit_effort[j]
                    if f >= 0:
                        dual += (w.dual_months[p] * moved) * _bill(p, f, t, o, index, requests[t])
            switching = effort * (1.0 - st.portability[s, p]) + dual
            total += _add(line_sum, s, L.switching, t, switching, full)
            present += total * discount[t]
            if full:
                running += total
                cumulative[p, s, t] = running
                if want_cost:
                    cost[p, s, t] = total
                switching_present += switching * discount[t]
                effort_present += effort * discount[t]
        npv[p, s] = present
        if full:
            switching_npv[p, s] = switching_present
            effort_npv[p, s] = effort_present
