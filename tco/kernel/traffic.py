"""Where a strategy's traffic goes in a month: its mix, exits to the fallback chain, escalation."""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def escalation(p, j, t, o, ev, S):  # pragma: no cover - compiled
    """Share of an open-weight option's traffic escalated to the fallback in month t.

    escalation_share before a licence change; from its month on (which counts as the first) it
    grows by the rate per month, up to the cap. Before the event ``since`` <= 0, so the formula
    returns escalation_share exactly: no separate branch for months before it.

    A release track adds the lag term rate x max(0, age - tolerance) for weights older than the
    tolerance: escalation_share + min(cap, lag) alone; with a licence change the two growths add
    within the larger cap (the licence's cap, which bounds the whole share, less
    escalation_share, against the lag's), and the share never exceeds 1.
    """
    base = o.common.escalation_share[j, p]
    k = ev.escalation_pair[j]
    lag = 0.0
    if o.track.has[j]:
        lag = o.track.lag_rate[j, p] * max(0.0, S.age[j, t] - o.track.lag_tolerance_months[j, p])
    if lag <= 0.0:
        if k < 0:
            return base
        since = t - S.licence_month[j] + 1.0
        return max(base, min(ev.escalation_cap[k, p], base + ev.escalation_rate[k, p] * since))
    growth, cap = lag, o.track.lag_cap[j, p]
    if k >= 0 and t >= S.licence_month[j]:
        growth += ev.escalation_rate[k, p] * (t - S.licence_month[j] + 1.0)
        cap = max(cap, ev.escalation_cap[k, p] - base)
    return min(1.0, base + min(cap, growth))


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def same_weights(j, f, o):  # pragma: no cover - compiled
    """Whether options j and f serve the same open weights."""
    return o.common.weights[j] >= 0 and o.common.weights[j] == o.common.weights[f]


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def shares(p, s, t, cut, o, st, ev, S, share, escalated_in):  # pragma: no cover - compiled
    """Write each option's share of strategy s's traffic in month t into ``share``, and the part
    of it escalated there by other options into ``escalated_in``.

    Options with an exit month before ``cut`` have left (``cut`` = t + 1 for the month as it is,
    t for the month as it was before this month's exits). A left option's share goes to the first
    live option of the fallback chain. An open-weight option (``escalates``) sends escalation(t)
    of its share to the first live option of the chain that serves other weights (the hard
    requests need a more capable model, not the same one elsewhere); an option whose fine-tuning
    was withdrawn before ``cut`` sends its fine-tuned share to the live fallback. With no live
    fallback the traffic stays where it is. Returns the live fallback (-1 for none) and whether
    any traffic is stuck on a left option.
    """
    for j in range(share.shape[0]):
        share[j] = 0.0
        escalated_in[j] = 0.0
    dest = -1
    for c in range(st.fallback.shape[1]):
        f = st.fallback[s, c]
        if f < 0:
            break
        if S.exit_month[f] >= cut:
            dest = f
            break
    stuck = False
    for e in range(st.mix_option.shape[1]):
        j = st.mix_option[s, e]
        if j < 0:
            break
        mix = st.mix_share[s, e]
        if S.exit_month[j] >= cut:
            if o.common.escalates[j]:
                up = -1
                for c in range(st.fallback.shape[1]):
                    f = st.fallback[s, c]
                    if f < 0:
                        break
                    if S.exit_month[f] >= cut and not same_weights(j, f, o):
                        up = f
                        break
                if up >= 0 and up != j:
                    moved = mix * escalation(p, j, t, o, ev, S)
                    share[j] += mix - moved
                    share[up] += moved
                    escalated_in[up] += moved
                else:
                    share[j] += mix
            elif S.ft_month[j] < cut and dest >= 0 and dest != j:
                moved = mix * o.tuning.share[j, p]
                share[j] += mix - moved
                share[dest] += moved
            else:
                share[j] += mix
        elif dest >= 0:
            share[dest] += mix
        else:
            share[j] += mix
            stuck = True
    return dest, stuck
