"""Every strategy on one path, month by month: traffic, costs, switching, events and NPV."""

from __future__ import annotations

from numba import njit

from tco.kernel.month import add, bill, carry, same_weights, shares
from tco.options import fine_tune
from tco.units import TOKENS_PER_MTOK

# Frozen copies of the fine-tuning codes (numba caches module globals; see tco.kernel).
VENDOR = fine_tune.VENDOR


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def strategies(p, o, st, w, ev, xc, L, months, want_cost, cost, cumulative, npv, switching_npv,
               effort_npv, line_sum, gpus_sum, util_sum, amortised_sum, events, no_fallback, index,
               migrations, migration_effort, exit_month, exit_effort, licence_month, month_counts,
               tr, share, share_before, started, owned, residual, signed, extra_started, discount,
               requests, mau, ft_runs, upgrades, full, redo):  # pragma: no cover - compiled
    """Every strategy s with ``redo[s]`` on path p; ``full`` is the with-events pass (every
    output), otherwise only ``npv`` is written (the no-event reference of the lock-in premium).
    One call per path rather than per strategy: each call copies the views it is passed.

    Notes
    -----
    Switching = (engineer weeks x price + one-off) x (1 - portability) + dual running of the
    traffic that actually moves, on its new option: on a deprecation, the option's own traffic for
    ``dual_running_months`` at its price; on an exit, the share the option carried just before
    (``share_before``), at the live fallback's price; an exit to an option serving the same open
    weights costs ``same_weights`` of the effort. Events count for a strategy when it carries
    traffic on the option in their month. Named other costs: an option's while it carries traffic
    (monthly, per million tokens carried, setup in its first month), a strategy's every month
    (per million tokens served, setup in month 0). NPV discounts month t by (1 + r)^-((t + 1) / 12).

    A withdrawn fine-tuning service moves the option's fine-tuned share as an exit moves all of
    it: one switching cost and dual running of the share that moves. A release arriving while
    the strategy carries traffic on the option costs upgrade_usd x (1 - portability). Fine-tune
    runs: see ``fine_tuning``.
    """
    n_options = share.shape[0]
    stories = False  # release tracks or fine-tuning anywhere: else skip their per-month pass
    for j in range(n_options):
        stories = stories or o.has_track[j] or o.ft_kind[j] > 0
    for s in range(npv.shape[1]):
        if not redo[s]:
            continue
        for j in range(n_options):
            started[j] = False
            tr.ft_start[j] = -1
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
        runs, upgraded = 0.0, 0.0
        for t in range(months):
            escalated, dest, stuck = shares(p, s, t, t + 1, o, st, ev, exit_month, licence_month,
                                            tr, share)
            stuck_any = stuck_any or stuck
            exiting = False
            for r in range(st.relied.shape[1] if full else 0):  # no event, no exit
                j = st.relied[s, r]
                if j < 0:
                    break
                exiting = exiting or exit_month[j] == t or tr.ft_month[j] == t
            if exiting:  # the month as it was before this month's exits: what actually moves
                shares(p, s, t, t, o, st, ev, exit_month, licence_month, tr, share_before)
            total, capital = 0.0, 0.0
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                if o.licence_at_release[j]:
                    due = tr.licensed_above[j, t]
                else:
                    due = mau[t] > o.licence_threshold[j, p]
                usd, kept = carry(p, s, j, t, months, o, L, share[j], escalated if j == dest else 0.0,
                                  signed[j], requests[t], due, t < tr.ft_month[j], index, started,
                                  owned, residual, line_sum, gpus_sum, util_sum, amortised_sum, full)
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
            moved_in = False  # traffic left an option for the live fallback this month
            # Without events nothing migrates, exits or is withdrawn: switching is 0.
            for r in range(st.relied.shape[1] if full else 0):
                j = st.relied[s, r]
                if j < 0:
                    break
                carried = share_before[j] if exit_month[j] == t or tr.ft_month[j] == t else share[j]
                if carried > 0.0:
                    for k in range(month_counts.shape[2]):
                        events[p, s, k] += month_counts[j, t, k]
                if migrations[j, t] > 0.0:  # most months have none: skip adding zeros
                    if carried > 0.0:
                        effort += migration_effort[j, t]
                    dual += (w.dual_months[p] * carried) * (
                        migrations[j, t] * bill(p, j, t, o, index, requests[t]))
                if exit_month[j] == t and carried > 0.0 and dest >= 0 and dest != j:
                    moved_in = True
                    effort += exit_effort[j] * same_weights(p, j, dest, o)
                    dual += (w.dual_months[p] * carried) * bill(p, dest, t, o, index, requests[t])
                if tr.ft_month[j] == t and exit_month[j] > t and carried > 0.0 and dest >= 0 \
                        and dest != j and o.ft_share[j, p] > 0.0:
                    moved_in = True
                    effort += tr.ft_effort[j]
                    moved = carried * o.ft_share[j, p]
                    dual += (w.dual_months[p] * moved) * bill(p, dest, t, o, index, requests[t])
            switching = effort * (1.0 - st.portability[s, p]) + dual
            total += add(line_sum, s, L.switching, t, switching, full)
            if stories:
                usd, ran, up = fine_tuning(p, s, t, o, st, L, tr, share, migrations, dest, moved_in,
                                           line_sum, full)
                total += usd
                runs += ran
                upgraded += up
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
            ft_runs[p, s] = runs
            upgrades[p, s] = upgraded


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def fine_tuning(p, s, t, o, st, L, tr, share, migrations, dest, moved_in, line_sum,
                full):  # pragma: no cover - compiled
    """Release upgrades and fine-tuning of strategy s in month t: (cost, runs, upgrades).

    For each option carrying the strategy's traffic: a release arriving this month costs
    upgrade_usd x (1 - portability). With ``fine_tune:`` (and, for a vendor's service, before its
    withdrawal), a run for each of: the option's first month carrying the strategy's traffic and
    every ``retrain_every_months`` after it, each deprecation (a new base model), traffic moving
    onto it from an exit or a withdrawal (``moved_in`` and it is the live fallback), and each
    release upgrade (at the adapter price). An owned pipeline pays its setup in its first month
    and its monthly cost while carrying traffic; a vendor's service bills hosting while it
    carries traffic.
    """
    total, runs, upgraded = 0.0, 0.0, 0.0
    for r in range(st.relied.shape[1]):
        j = st.relied[s, r]
        if j < 0:
            break
        if share[j] <= 0.0:
            continue
        upgrade = o.has_track[j] and tr.upgrade[j, t]
        if upgrade:
            upgraded += 1.0
            total += add(line_sum, s, L.release_upgrades, t,
                         o.upgrade_usd[j, p] * (1.0 - st.portability[s, p]), full)
        kind = o.ft_kind[j]
        if kind == 0 or (kind == VENDOR and t >= tr.ft_month[j]):
            continue
        # One run per trigger, as the contract counts them: the schedule (first month carrying
        # traffic, then every retrain_every_months), each deprecation (a new base model), traffic
        # moved onto the option by an exit or a withdrawal, and each release upgrade (at the
        # adapter price).
        due = 0.0
        if tr.ft_start[j] < 0:
            tr.ft_start[j] = t
            due += 1.0
            total += add(line_sum, s, L.fine_tune_platform, t, o.ft_setup_usd[j, p], full)
        elif (t - tr.ft_start[j]) % o.ft_every[j] == 0:
            due += 1.0
        due += migrations[j, t]
        if moved_in and j == dest:
            due += 1.0
        if due > 0.0:
            total += add(line_sum, s, L.fine_tune_runs, t, due * o.ft_run_usd[j, p], full)
            runs += due
        if upgrade:
            total += add(line_sum, s, L.fine_tune_runs, t, o.ft_upgrade_run_usd[j, p], full)
            runs += 1.0
        total += add(line_sum, s, L.fine_tune_platform, t, o.ft_month_usd[j, p], full)
    return total, runs, upgraded
