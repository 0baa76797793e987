"""Every strategy on one path, month by month: traffic, costs, switching, events and NPV."""

from __future__ import annotations

from numba import njit

from tco.kernel.month import add, bill, carry, shares
from tco.units import TOKENS_PER_MTOK


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def strategies(p, o, st, w, ev, xc, L, months, want_cost, cost, cumulative, npv, switching_npv,
               effort_npv, line_sum, gpus_sum, util_sum, amortised_sum, events, no_fallback, index,
               migrations, migration_effort, exit_month, exit_effort, licence_month, month_counts,
               share, share_before, started, owned, residual, signed, extra_started, discount,
               requests, mau, full):  # pragma: no cover - compiled
    """Every strategy on path p; ``full`` is the with-events pass (every output), otherwise only
    ``npv`` is written (the no-event reference of the lock-in premium). One call per path rather
    than per strategy: each call copies the views it is passed.

    Notes
    -----
    Switching = (engineer weeks x price + one-off) x (1 - portability) + dual running of the
    traffic that actually moves, on its new option: on a deprecation, the option's own traffic for
    ``dual_running_months`` at its price; on an exit, the share the option carried just before
    (``share_before``), at the live fallback's price. Events count for a strategy when it carries
    traffic on the option in their month. Named other costs: an option's while it carries traffic
    (monthly, per million tokens carried, setup in its first month), a strategy's every month
    (per million tokens served, setup in month 0). NPV discounts month t by (1 + r)^-((t + 1) / 12).
    """
    n_options = share.shape[0]
    for s in range(npv.shape[1]):
        for j in range(n_options):
            started[j] = False
            owned[j] = 0.0
            residual[j] = 0.0
            signed[j] = False
        for e in range(st.mix_option.shape[1]):
            if st.mix_option[s, e] >= 0:
                signed[st.mix_option[s, e]] = True
        for e in range(extra_started.shape[0]):
            extra_started[e] = False
        running, present, switching_present, effort_present = 0.0, 0.0, 0.0, 0.0
        stuck_any = False
        for t in range(months):
            escalated, dest, stuck = shares(p, s, t, t + 1, o, st, ev, exit_month, licence_month,
                                            share)
            stuck_any = stuck_any or stuck
            exiting = False
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                exiting = exiting or exit_month[j] == t
            if exiting:  # the month as it was before this month's exits: what actually moves
                shares(p, s, t, t, o, st, ev, exit_month, licence_month, share_before)
            total, capital = 0.0, 0.0
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                usd, kept = carry(p, s, j, t, months, o, L, share[j], escalated if j == dest else 0.0,
                                  signed[j], requests[t], mau[t], index, started, owned, residual,
                                  line_sum, gpus_sum, util_sum, amortised_sum, full)
                total += usd
                capital += kept
            mtok = requests[t] * w.tokens_per_request[p] / TOKENS_PER_MTOK
            for e in range(xc.option.shape[0]):
                j = xc.option[e]
                carried = share[j] if j >= 0 else (1.0 if xc.strategy[e] == s else 0.0)
                if carried <= 0.0:
                    continue
                usd = xc.month_usd[e, p] + xc.mtok_usd[e, p] * carried * mtok
                if not extra_started[e]:
                    extra_started[e] = True
                    usd += xc.setup_usd[e, p]
                total += add(line_sum, s, xc.line[e], t, usd, full)
            total += add(line_sum, s, L.gateway, t, st.overhead_usd[s, p], full)
            effort, dual = 0.0, 0.0
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                carried = share_before[j] if exit_month[j] == t else share[j]
                if full and carried > 0.0:
                    for k in range(month_counts.shape[2]):
                        events[p, s, k] += month_counts[j, t, k]
                if migrations[j, t] > 0.0:  # most months have none: skip adding zeros
                    if carried > 0.0:
                        effort += migration_effort[j, t]
                    dual += (w.dual_months[p] * carried) * (
                        migrations[j, t] * bill(p, j, t, o, index, requests[t]))
                if exit_month[j] == t and carried > 0.0 and dest >= 0 and dest != j:
                    effort += exit_effort[j]
                    dual += (w.dual_months[p] * carried) * bill(p, dest, t, o, index, requests[t])
            switching = effort * (1.0 - st.portability[s, p]) + dual
            total += add(line_sum, s, L.switching, t, switching, full)
            present += total * discount[t]
            if full:
                amortised_sum[s, t] += total - capital
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
            no_fallback[p, s] = 1.0 if stuck_any else 0.0
