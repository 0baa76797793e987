"""One month of one strategy: where its traffic goes, and what carrying it on an option costs."""

from __future__ import annotations

import numpy as np
from numba import njit

import tco.options as options
from tco.units import SECONDS_PER_MONTH

# Frozen copy of the billing code (numba caches module globals; see tco.kernel): the kernel
# knows how an option bills, never which kind it is.
TOKENS = options.TOKENS
HOURS_PER_DAY = 24


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def escalation(p, j, t, o, ev, licence_month, age):  # pragma: no cover - compiled
    """Share of a self-hosted option's traffic escalated to the fallback in month t.

    escalation_share before a licence change; from its month on (which counts as the first) it
    grows by the rate per month, up to the cap. Before the event ``since`` <= 0, so the formula
    returns escalation_share exactly: no separate branch for months before it.

    A release track adds the lag term rate x max(0, age - tolerance) for weights older than the
    tolerance: escalation_share + min(cap, lag) alone; with a licence change the two growths add
    within the larger cap (the licence's cap, which bounds the whole share, less
    escalation_share, against the lag's), and the share never exceeds 1.
    """
    base = o.escalation_share[j, p]
    k = ev.escalation_pair[j]
    lag = 0.0
    if o.has_track[j]:
        lag = o.lag_rate[j, p] * max(0.0, age[j, t] - o.lag_tolerance_months[j, p])
    if lag <= 0.0:
        if k < 0:
            return base
        since = t - licence_month[j] + 1.0
        return max(base, min(ev.escalation_cap[k, p], base + ev.escalation_rate[k, p] * since))
    growth, cap = lag, o.lag_cap[j, p]
    if k >= 0 and t >= licence_month[j]:
        growth += ev.escalation_rate[k, p] * (t - licence_month[j] + 1.0)
        cap = max(cap, ev.escalation_cap[k, p] - base)
    return min(1.0, base + min(cap, growth))


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def add(line_sum, s, line, t, usd, full):  # pragma: no cover - compiled
    """Book ``usd`` on a cost line (kept per block for the with-events pass) and return it."""
    if full:
        line_sum[s, line, t] += usd
    return usd


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def bill(p, j, t, o, index, requests):  # pragma: no cover - compiled
    """Monthly cost of all traffic on option j at its per-request cost: R(t) x cost(t)."""
    return requests * (o.unit_usd[j, p] * index[j, t])


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def shares(p, s, t, cut, o, st, ev, exit_month, licence_month, tr, share):  # pragma: no cover - compiled
    """Write each option's share of strategy s's traffic in month t into ``share``.

    Options with an exit month before ``cut`` have left (``cut`` = t + 1 for the month as it is,
    t for the month as it was before this month's exits). A left option's share goes to the first
    live option of the fallback chain; a self-hosted option escalates escalation(t) of its share
    there; an API option whose fine-tuning was withdrawn before ``cut`` sends its fine-tuned share
    there. With no live fallback the traffic stays where it is. Returns the escalated share, the
    live fallback (-1 for none) and whether any traffic is stuck on a left option.
    """
    for j in range(share.shape[0]):
        share[j] = 0.0
    dest = -1
    for c in range(st.fallback.shape[1]):
        f = st.fallback[s, c]
        if f < 0:
            break
        if exit_month[f] >= cut:
            dest = f
            break
    escalated = 0.0
    stuck = False
    for e in range(st.mix_option.shape[1]):
        j = st.mix_option[s, e]
        if j < 0:
            break
        mix = st.mix_share[s, e]
        if exit_month[j] >= cut:
            if o.escalates[j] and dest >= 0 and dest != j:
                moved = mix * escalation(p, j, t, o, ev, licence_month, tr.age)
                share[j] += mix - moved
                share[dest] += moved
                escalated += moved
            elif tr.ft_month[j] < cut and dest >= 0 and dest != j:
                moved = mix * o.ft_share[j, p]
                share[j] += mix - moved
                share[dest] += moved
            else:
                share[j] += mix
        elif dest >= 0:
            share[dest] += mix
        else:
            share[j] += mix
            stuck = True
    return escalated, dest, stuck


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def same_weights(p, j, d, o):  # pragma: no cover - compiled
    """Share of a migration's effort that a move from option j to option d costs: where both
    serve the same open weights, the smaller of their ``same_weights_share`` (prompts, evals and
    adapters carry over); otherwise 1, the whole effort."""
    if o.weights[j] >= 0 and o.weights[j] == o.weights[d]:
        return min(o.same_weights_share[j, p], o.same_weights_share[d, p])
    return 1.0


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def fleet(p, j, load, o):  # pragma: no cover - compiled
    """Replicas for ``load`` requests a month: (busiest hour, mean over the day's hours).

    Each hour needs ceil(load x h x load_factor) replicas, never fewer than min_replicas, with h
    the hour's relative load: the peak all day, or each hour of an autoscaled option's profile.
    """
    if load <= 0.0:
        return 0.0, 0.0
    if not o.autoscale[j]:
        replicas = max(np.ceil(load * o.peak[j, p] * o.load_factor[j, p]), o.min_replicas[j])
        return replicas, replicas
    peak, total = 0.0, 0.0
    for h in range(HOURS_PER_DAY):
        replicas = max(np.ceil(load * o.profile[j, h] * o.load_factor[j, p]), o.min_replicas[j])
        peak = max(peak, replicas)
        total += replicas
    return peak, total / HOURS_PER_DAY


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def on_demand_gpus(p, j, load, peak, reserved, o):  # pragma: no cover - compiled
    """GPUs rented on demand beyond ``reserved``, averaged over the day's hours (``peak``: the
    busiest hour's replicas, from ``fleet``)."""
    gpus = o.gpus_per_replica[j]
    if load <= 0.0:
        return 0.0
    if not o.autoscale[j]:
        return max(0.0, peak * gpus - reserved)
    total = 0.0
    for h in range(HOURS_PER_DAY):
        replicas = max(np.ceil(load * o.profile[j, h] * o.load_factor[j, p]), o.min_replicas[j])
        total += max(0.0, replicas * gpus - reserved)
    return total / HOURS_PER_DAY


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def carry(p, s, j, t, months, o, L, share, escalated, signed, requests, licence_due, ft_live, index,
          started, owned, residual, line_sum, gpus_sum, util_sum, amortised_sum,
          full):  # pragma: no cover - compiled
    """Cost in month t of carrying ``share`` of strategy s's traffic on option j.

    Returns (cash cost, the part of it that the amortised view replaces: capex and the residual
    credit). ``escalated`` is the part of an API option's share that self-hosted options escalated
    to it (its own line). ``signed``: the option is in the strategy's mix, so the strategy signed
    its reservation or commitment, owed each month of the term whether or not traffic flows.
    ``licence_due``: the licence fee applies this month (the caller applies the licence's test);
    ``ft_live``: the vendor's fine-tuning still runs, so its price factor applies to the tokens.

    API: usage at list price x I(t); during a commitment's term the bill is
    max(commitment, (1 - discount) x usage), the excess over usage on its own line, and the whole
    commitment stranded in months the option carries none of the traffic.
    Rented: reserved GPUs (N x 730 h x contract price) in their term, on-demand GPUs beyond them at
    the rent x I(t). Bought: GPUs are bought when the busiest hour needs more than are owned, paid
    that month, kept to the horizon; power on GPUs in service; maintenance and colocation on owned
    GPUs; at the last month the owned GPUs' remaining straight-line value is a credit.
    """
    total, capital = 0.0, 0.0
    if o.billing[j] == TOKENS:
        factor = o.ft_price_factor[j, p] if ft_live else 1.0
        usage = share * bill(p, j, t, o, index, requests) * factor
        escalated_usage = escalated * bill(p, j, t, o, index, requests) * factor
        if signed and t < o.commit_end[j]:
            commitment = o.commit_month_usd[j, p]
            if share <= 0.0:
                return add(line_sum, s, L.stranded_commitments, t, commitment, full), 0.0
            kept = 1.0 - o.commit_discount[j, p]
            usage, escalated_usage = kept * usage, kept * escalated_usage
            total += add(line_sum, s, L.commitment_shortfall, t, max(0.0, commitment - usage), full)
        total += add(line_sum, s, L.escalated_traffic, t, escalated_usage, full)
        return total + add(line_sum, s, L.api_tokens, t, usage - escalated_usage, full), 0.0
    load = share * requests
    in_use = load > 0.0
    peak, mean = fleet(p, j, load, o)
    gpus_per_replica = o.gpus_per_replica[j]
    if full:
        gpus_sum[s, j, t] += mean * gpus_per_replica
        if mean > 0.0:
            util_sum[s, j, t] += load / SECONDS_PER_MONTH * o.replica_s[j, p] / mean
    if o.bought[j]:
        needed = peak * gpus_per_replica
        bought = max(0.0, needed - owned[j])
        if bought > 0.0:
            price, life = o.gpu_price_usd[j, p], o.life_months[j, p]
            capital += add(line_sum, s, L.gpu_capex, t, bought * price, full)
            owned[j] += needed - owned[j]
            residual[j] += bought * price * max(0.0, 1.0 - (months - t) / life)
            if full:  # the P&L view: straight-line depreciation from the month bought
                for m in range(t, months):
                    amortised_sum[s, m] += bought * price / life * min(1.0, max(0.0, life - (m - t)))
        total += capital
        total += add(line_sum, s, L.power, t, needed * o.power_month_usd[j, p], full)
        total += add(line_sum, s, L.hosting, t, owned[j] * o.hosting_month_usd[j, p], full)
        if t == months - 1 and residual[j] > 0.0:
            credit = add(line_sum, s, L.residual_value, t, -residual[j], full)
            total += credit
            capital += credit
    else:
        reserved = 0.0
        if signed and o.reserved_start[j] <= t < o.reserved_end[j]:
            reserved = o.reserved_gpus[j]
            line = L.reserved_gpus if in_use else L.stranded_commitments
            total += add(line_sum, s, line, t, o.reserved_month_usd[j, p], full)
        rented = on_demand_gpus(p, j, load, peak, reserved, o)
        total += add(line_sum, s, L.gpu_rent, t, rented * o.gpu_month_usd[j, p] * index[j, t], full)
    mask = 1.0 if in_use else 0.0
    total += add(line_sum, s, L.ops_staff, t, mask * o.ops_month_usd[j, p], full)
    total += add(line_sum, s, L.missing_components, t, mask * o.parts_month_usd[j, p], full)
    if in_use and not started[j]:
        started[j] = True
        total += add(line_sum, s, L.setup, t, o.setup_usd[j, p], full)
        total += add(line_sum, s, L.missing_components, t, o.parts_setup_usd[j, p], full)
    if o.has_licence[j]:
        above = 1.0 if licence_due else 0.0
        total += add(line_sum, s, L.licence, t, mask * above * o.licence_fee[j, p], full)
    return total, capital
