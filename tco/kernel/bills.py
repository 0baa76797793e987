"""What carrying a share of a strategy's traffic on one option costs in one month.

The kernel knows two ways of billing (``OptionKind.billing``): per token at a price index, and a
fleet of GPUs sized for the load. ``carry`` picks one by the option's billing code, never by kind.
"""

from __future__ import annotations

import numpy as np
from numba import njit

import tco.options as options
from tco.kernel.booking import add
from tco.units import SECONDS_PER_MONTH

# Frozen copy of the billing code (numba caches module globals; see tco.kernel).
TOKENS = options.TOKENS
HOURS_PER_DAY = 24


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def bill(p, j, t, o, S, requests):  # pragma: no cover - compiled
    """Monthly cost of all traffic on option j at its per-request cost: R(t) x cost(t)."""
    return requests * (o.common.unit_usd[j, p] * S.index[j, t])


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def priced(p, s, j, t, o, st, S, requests):  # pragma: no cover - compiled
    """``bill`` as strategy s pays it: a per-token option's less the strategy's negotiated
    discount (``st.price_factor``), a fleet's as it is."""
    usd = bill(p, j, t, o, S, requests)
    return usd * st.price_factor[s, p] if o.common.billing[j] == TOKENS else usd


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def fleet(p, j, load, f, reserved):  # pragma: no cover - compiled
    """Replicas for ``load`` requests a month on option j's fleet ``f`` (``Fleet``): (busiest
    hour, mean over the day's hours, GPUs rented on demand beyond ``reserved`` averaged over the
    day's hours).

    Each hour needs ceil(load x h x load_factor) replicas, never fewer than min_replicas, with h
    the hour's relative load: the peak all day, or each hour of an autoscaled option's profile;
    it rents max(0, replicas x GPUs per replica - reserved). An autoscaled fleet is sized once per
    distinct load of its profile (``Fleet.hour_level``), weighted by its hours (``hour_weight``):
    replicas, GPUs and reserved GPUs are whole numbers, so hours x replicas and their sums are
    exact and equal the hour-by-hour sums bit for bit. The loop has no early exit: a branch that
    stops at min_replicas measured slower than walking all 24 hours (it defeats vectorisation),
    while walking the distinct loads without one was 10-20% faster (15 of 24 in the flagship).
    """
    if load <= 0.0:
        return 0.0, 0.0, 0.0
    gpus = f.gpus_per_replica[j]
    if not f.autoscale[j]:
        replicas = max(np.ceil(load * f.peak[j, p] * f.load_factor[j, p]), f.min_replicas[j])
        return replicas, replicas, max(0.0, replicas * gpus - reserved)
    peak, total, rented = 0.0, 0.0, 0.0
    for k in range(f.hour_levels[j]):
        weight = f.hour_weight[j, k]
        replicas = max(np.ceil(load * f.hour_level[j, k] * f.load_factor[j, p]), f.min_replicas[j])
        peak = max(peak, replicas)
        total += weight * replicas
        rented += weight * max(0.0, replicas * gpus - reserved)
    return peak, total / HOURS_PER_DAY, rented / HOURS_PER_DAY


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def remembered_fleet(p, s, j, t, load, f, reserved, X):  # pragma: no cover - compiled
    """``fleet``, remembered for strategy s, option j and month t (``Scratch.fleet``): the
    no-event reference pass of path p asks an autoscaled fleet for the same load in most months
    (events on other options, or before the first event, leave it alone), and gets the same
    numbers without walking the day's hours again. A pure function of what the key holds (path,
    load, reserved GPUs), so a remembered answer is the computed one, bit for bit."""
    memo = X.fleet
    if memo.shape[0] == 0 or not f.autoscale[j]:
        return fleet(p, j, load, f, reserved)  # one hour: cheaper than remembering it
    key = memo[s, j, t]
    if key[0] == p and key[1] == load and key[2] == reserved:
        return key[3], key[4], key[5]
    peak, mean, rented = fleet(p, j, load, f, reserved)
    key[0], key[1], key[2], key[3], key[4], key[5] = p, load, reserved, peak, mean, rented
    return peak, mean, rented


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def tuned(p, j, t, o, S):  # pragma: no cover - compiled
    """A vendor fine-tune's price factor on option j's list price while its service lasts
    (1 - f + f m), else 1: what ``token_bill`` charges and the usage output reports."""
    return o.tuning.price_factor[j, p] if t < S.ft_month[j] else 1.0


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def token_bill(p, s, j, t, o, st, L, S, X, out, b):  # pragma: no cover - compiled
    """Cost of option j's share of strategy s's traffic in month t, billed per token.

    Usage at list price x I(t) (times a vendor fine-tune's price factor while its service lasts,
    and the strategy's (1 - list_price_discount));
    the part other options escalated to it on its own line. During a commitment's term the bill
    is max(commitment, (1 - discount) x usage), the excess over usage on its own line, and the
    whole commitment stranded in months the option carries none of the traffic.
    """
    share = X.share[j]
    factor = tuned(p, j, t, o, S) * st.price_factor[s, p]
    usage = share * bill(p, j, t, o, S, X.requests[t]) * factor
    escalated_usage = X.escalated_in[j] * bill(p, j, t, o, S, X.requests[t]) * factor
    total = 0.0
    if X.signed[j] and t < o.commitment.end[j]:
        commitment = o.commitment.month_usd[j, p]
        if share <= 0.0:
            return add(out, b, s, L.stranded_commitments, t, commitment)
        kept = 1.0 - o.commitment.discount[j, p]
        usage, escalated_usage = kept * usage, kept * escalated_usage
        total += add(out, b, s, L.commitment_shortfall, t, max(0.0, commitment - usage))
    total += add(out, b, s, L.escalated_traffic, t, escalated_usage)
    return total + add(out, b, s, L.api_tokens, t, usage - escalated_usage)


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def fleet_bill(p, s, j, t, o, L, S, X, out, b):  # pragma: no cover - compiled
    """Cost of option j's share of strategy s's traffic in month t on a GPU fleet: (cash cost,
    the part of it the amortised view replaces: capex and the residual credit).

    Rented: reserved GPUs (N x 730 h x contract price) in their term, on-demand GPUs beyond them
    at the rent x I(t). Bought: GPUs are bought when the busiest hour needs more than are owned,
    paid that month, kept to the horizon; power on GPUs in service; maintenance and colocation on
    owned GPUs; at the last month the owned GPUs' remaining straight-line value is a credit. Then
    ops staff and missing components while it carries traffic, setup in its first such month,
    and the licence fee in months it is due (``at_release``: the deployed version was released
    above the threshold; else this month's users are above it).
    """
    months = S.index.shape[1]
    f = o.fleet
    total, capital = 0.0, 0.0
    load = X.share[j] * X.requests[t]
    in_use = load > 0.0
    reserved = 0.0  # GPUs under contract this month, which on-demand rent comes on top of
    if not f.bought[j] and X.signed[j] and f.reserved_start[j] <= t < f.reserved_end[j]:
        reserved = f.reserved_gpus[j]
    peak, mean, rented = remembered_fleet(p, s, j, t, load, f, reserved, X)
    gpus_per_replica = f.gpus_per_replica[j]
    if b >= 0:
        out.gpus_sum[b, s, j, t] += mean * gpus_per_replica
        if mean > 0.0:
            out.util_sum[b, s, j, t] += load / SECONDS_PER_MONTH * f.replica_s[j, p] / mean
    if f.bought[j]:
        needed = peak * gpus_per_replica
        bought = max(0.0, needed - X.owned[j])
        if bought > 0.0:
            price, life = f.gpu_price_usd[j, p], f.life_months[j, p]
            capital += add(out, b, s, L.gpu_capex, t, bought * price)
            X.owned[j] += needed - X.owned[j]
            X.residual[j] += bought * price * max(0.0, 1.0 - (months - t) / life)
            if b >= 0:  # the P&L view: straight-line depreciation from the month bought
                for m in range(t, months):
                    out.amortised_sum[b, s, m] += bought * price / life * min(1.0, max(0.0, life - (m - t)))
        total += capital
        total += add(out, b, s, L.power, t, needed * f.power_month_usd[j, p])
        total += add(out, b, s, L.hosting, t, X.owned[j] * f.hosting_month_usd[j, p])
        if t == months - 1 and X.residual[j] > 0.0:
            credit = add(out, b, s, L.residual_value, t, -X.residual[j])
            total += credit
            capital += credit
    else:
        if X.signed[j] and f.reserved_start[j] <= t < f.reserved_end[j]:
            line = L.reserved_gpus if in_use else L.stranded_commitments
            total += add(out, b, s, line, t, f.reserved_month_usd[j, p])
        total += add(out, b, s, L.gpu_rent, t, rented * f.gpu_month_usd[j, p] * S.index[j, t])
    mask = 1.0 if in_use else 0.0
    total += add(out, b, s, L.ops_staff, t, mask * f.ops_month_usd[j, p])
    total += add(out, b, s, L.missing_components, t, mask * f.parts_month_usd[j, p])
    if in_use and not X.started[j]:
        X.started[j] = True
        total += add(out, b, s, L.setup, t, o.common.setup_usd[j, p])
        total += add(out, b, s, L.missing_components, t, f.parts_setup_usd[j, p])
    if f.has_licence[j]:
        due = S.licensed_above[j, t] if f.licence_at_release[j] else X.mau[t] > f.licence_threshold[j, p]
        above = 1.0 if due else 0.0
        total += add(out, b, s, L.licence, t, mask * above * f.licence_fee[j, p])
    return total, capital


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def carry(p, s, j, t, o, st, L, S, X, out, b):  # pragma: no cover - compiled
    """Cost in month t of carrying ``X.share[j]`` of strategy s's traffic on option j: (cash
    cost, the part of it that the amortised view replaces), by the option's billing."""
    if o.common.billing[j] == TOKENS:
        return token_bill(p, s, j, t, o, st, L, S, X, out, b), 0.0
    return fleet_bill(p, s, j, t, o, L, S, X, out, b)
