"""What a strategy's forced moves cost in a month: migrations, exits and withdrawals."""

from __future__ import annotations

from numba import njit

from tco.kernel.bills import bill
from tco.kernel.traffic import same_weights


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def effort_share(p, j, d, o):  # pragma: no cover - compiled
    """Share of a migration's effort that a move from option j to option d costs: where both
    serve the same open weights, the smaller of their ``same_weights_share`` (prompts, evals and
    adapters carry over); otherwise 1, the whole effort."""
    if same_weights(j, d, o):
        return min(o.common.same_weights_share[j, p], o.common.same_weights_share[d, p])
    return 1.0


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def switching(p, s, t, dest, o, st, w, S, X, out, book):  # pragma: no cover - compiled
    """Strategy s's forced moves in month t: (migration effort before portability, dual running,
    whether traffic moved onto the live fallback ``dest``); counts the events of the month on
    the options it carries traffic on (where the pass keeps series: ``book`` >= 0).

    Notes
    -----
    Dual running bills the part of the traffic that actually moves which runs on both options,
    ``dual_running_share`` x traffic x ``dual_running_months`` x price: on a deprecation, of the
    option's own traffic at its price; on an exit, of the share the option carried just before
    (``share_before``), at the live fallback's price. The share multiplies the month's sum last,
    so a share of 1 gives the whole moving traffic's bill bit for bit. An exit to an
    option serving the same open weights costs ``effort_share`` of its effort. A withdrawn
    fine-tuning service moves the option's fine-tuned share as an exit moves all of it.
    """
    effort, dual = 0.0, 0.0
    moved_in = False
    for r in range(st.relied.shape[1]):
        j = st.relied[s, r]
        if j < 0:
            break
        leaving = S.exit_month[j] == t or S.ft_month[j] == t
        carried = X.share_before[j] if leaving else X.share[j]
        if carried > 0.0 and book >= 0:
            for k in range(S.month_counts.shape[2]):
                out.events[p, s, k] += S.month_counts[j, t, k]
        if S.migrations[j, t] > 0.0:  # most months have none: skip adding zeros
            if carried > 0.0:
                effort += S.migration_effort[j, t]
            dual += (w.dual_months[p] * carried) * (
                S.migrations[j, t] * bill(p, j, t, o, S, X.requests[t]))
        if S.exit_month[j] == t and carried > 0.0 and dest >= 0 and dest != j:
            moved_in = True
            effort += S.exit_effort[j] * effort_share(p, j, dest, o)
            dual += (w.dual_months[p] * carried) * bill(p, dest, t, o, S, X.requests[t])
        if S.ft_month[j] == t and S.exit_month[j] > t and carried > 0.0 and dest >= 0 \
                and dest != j and o.tuning.share[j, p] > 0.0:
            moved_in = True
            effort += S.ft_effort[j]
            moved = carried * o.tuning.share[j, p]
            dual += (w.dual_months[p] * moved) * bill(p, dest, t, o, S, X.requests[t])
    return effort, dual * w.dual_share[p], moved_in
