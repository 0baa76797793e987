"""Each option's state on one path: its fired events and its price index, month by month."""

from __future__ import annotations

import math

from numba import njit

import tco.risks as risks

# Frozen copies of the declared effect bits (numba caches module globals; see tco.kernel).
PRICE, MIGRATE, EXIT, ESCALATE, WITHDRAW = (int(e) for e in (
    risks.Effect.PRICE, risks.Effect.MIGRATE, risks.Effect.EXIT, risks.Effect.ESCALATE,
    risks.Effect.WITHDRAW_FINE_TUNING))


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def option_states(p, o, ev, w, S, months, with_events):  # pragma: no cover - compiled
    """Each option's events and price index on path p; returns whether any event fired.

    Writes the option state ``S`` (``tco.kernel.records.State``). With events, ``S.touched[j]``
    records whether any event fell on option j. Without events, only the touched options are reset:
    the others' states are already those of no event, bit for bit (their fired-impact sums were 0.0
    and their exit and licence months the horizon), which is what lets the no-event pass skip them
    and the strategies relying on none of them; and a touched option's months before its first
    event keep their index (``S.first_event``), where no impact had fired either.

    An event in month t acts from month t on. An exit is found first: events on an exited option
    from its exit month on do nothing (and are not counted). ``Effect.PRICE`` multiplies the price
    index by the event's impact (several compound); ``MIGRATE`` counts a migration and its effort;
    ``EXIT`` keeps the first exit month and its effort; ``ESCALATE`` the first escalation month;
    ``WITHDRAW_FINE_TUNING`` the first withdrawal month and its effort. Release tracks
    follow the events (``track``).

    Index: log I(t) = drift x t + sum over months 1..t of (sigma z - sigma^2 / 2) + the logs of
    the impacts so far + the announced changes in force; the -sigma^2/2 makes the walk
    mean-preserving (E[I(t)] = (1 + trend)^(t/12) with no events). From its exit month an option's
    index stays at its last value: traffic with no live fallback is billed at its last prices.
    """
    n_options = o.common.billing.shape[0]
    any_fired = False
    for j in range(n_options):
        if with_events:
            S.touched[j] = False
        elif not S.touched[j]:
            continue
        S.exit_month[j] = months
        S.exit_effort[j] = 0.0
        S.licence_month[j] = months
        S.ft_month[j] = months
        S.ft_effort[j] = 0.0
        # Without events, the months before the first event on the option keep the index the
        # pass with events computed: no impact had fired, so it is the one without, bit for bit
        # (the same walk and drift, the impacts' sum 0.0); and nothing else was counted there.
        first = months if not with_events else 0
        for t in range(months if not with_events else 0):
            if S.eventful[j, t]:
                first = t
                break
        S.first_event[j] = first
        for t in range(first, months):
            S.index[j, t] = 0.0  # log steps of fired impacts first, turned into the index below
            S.migrations[j, t] = 0.0
            S.migration_effort[j, t] = 0.0
            S.eventful[j, t] = False
            for k in range(S.month_counts.shape[2]):
                S.month_counts[j, t, k] = 0.0
    if with_events:
        for k in range(ev.option.shape[0]):
            first = ev.ptr[k, p]
            if ev.effects[k] & EXIT and ev.ptr[k, p + 1] > first:
                j = ev.option[k]
                if ev.month[first] < S.exit_month[j]:
                    S.exit_month[j] = ev.month[first]
                    S.exit_effort[j] = ev.weeks[first] * w.week_usd[p] + w.one_off_usd[p]
        for k in range(ev.option.shape[0]):
            first, last = ev.ptr[k, p], ev.ptr[k, p + 1]
            if last == first:
                continue
            any_fired = True
            j = ev.option[k]
            S.touched[j] = True
            effects = ev.effects[k]
            for e in range(first, last):
                t = ev.month[e]
                if t > S.exit_month[j] or (t == S.exit_month[j] and not effects & EXIT):
                    break  # months are in order: the rest are later still
                if effects & PRICE and o.common.indexed[j]:
                    S.index[j, t] += math.log(ev.impact[e])
                if effects & MIGRATE:
                    S.migrations[j, t] += 1.0
                    S.migration_effort[j, t] += ev.weeks[e] * w.week_usd[p] + w.one_off_usd[p]
                if effects & ESCALATE and t < S.licence_month[j]:
                    S.licence_month[j] = t
                if effects & WITHDRAW and t < S.ft_month[j]:
                    S.ft_month[j] = t
                    S.ft_effort[j] = ev.weeks[e] * w.week_usd[p] + w.one_off_usd[p]
                S.month_counts[j, t, ev.kind[k]] += 1.0
                S.eventful[j, t] = True
                if ev.counted_once[k]:
                    break
    track(p, o, ev, w, S, months, with_events)
    for j in range(n_options):
        if not with_events and not S.touched[j]:
            continue
        if not o.common.indexed[j]:
            for t in range(months):
                S.index[j, t] = 1.0  # bought hardware: the price was paid up front
            continue
        slot = ev.noise_slot[j]
        walk, impacts = 0.0, 0.0
        for t in range(months):
            if t >= S.exit_month[j]:
                S.index[j, t] = S.index[j, t - 1] if t > 0 else math.exp(o.common.scheduled_log[j, 0])
                continue
            if t > 0 and slot >= 0:
                sigma = o.common.sigma[j, p]
                walk += sigma * ev.noise[slot, p, t] - 0.5 * sigma * sigma
            if t < S.first_event[j]:
                continue  # the index without events, kept from the pass with them (see above)
            impacts += S.index[j, t]
            c = o.common
            S.index[j, t] = math.exp(walk + c.drift[j, p] * float(t) + impacts + c.scheduled_log[j, t])
    return any_fired


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def track(p, o, ev, w, S, months, with_events):  # pragma: no cover - compiled
    """Each option's deployed weights on path p: upgrades, age and licence status by month.

    A release arriving in month t < the licence change's month is deployed that month
    (``tr.upgrade``); one arriving later is cancelled (the family went closed). The deployed
    weights' age is age_months_at_start + t before the first upgrade and t - u after an upgrade
    in month u. Under an ``at_release`` licence the deployed version owes the fee when it was
    released above the threshold: month 0's weights per ``deployed_above_threshold``, a release
    arriving in month u when MAU(u - 1) (the preceding calendar month) exceeded it.
    """
    for j in range(o.common.billing.shape[0]):
        if not o.track.has[j] and not o.fleet.licence_at_release[j]:
            continue  # nothing reads this option's track: most options, most paths
        if not with_events and not S.touched[j]:
            continue  # no event: its track is already the one without events
        above = o.fleet.licence_above_at_start[j]
        upgraded_at = -1
        r = 0
        for t in range(months):
            arrived = False
            while r < ev.arrival.shape[2] and ev.arrival[j, p, r] == t:
                arrived = True
                r += 1
            upgrade = o.track.has[j] and arrived and t < S.licence_month[j]
            S.upgrade[j, t] = upgrade
            if upgrade:
                upgraded_at = t
                if o.fleet.has_licence[j]:
                    prior_mau = w.mau[p] * (1.0 + w.mau_growth[p]) ** float(t - 1)
                    above = prior_mau > o.fleet.licence_threshold[j, p]
            if upgraded_at < 0:
                S.age[j, t] = o.track.age0_months[j, p] + float(t)
            else:
                S.age[j, t] = float(t - upgraded_at)
            S.licensed_above[j, t] = above
