"""Every strategy on one path, month by month: traffic, bills, other costs, switching, upgrades
and fine-tuning, booked on their lines and discounted into the NPV."""

from __future__ import annotations

import numpy as np
from numba import njit

from tco.kernel.bills import carry, tuned
from tco.kernel.booking import add
from tco.kernel.switching import switching
from tco.kernel.traffic import shares
from tco.options import fine_tune
from tco.units import TOKENS_PER_MTOK

# Frozen copies of the fine-tuning codes (numba caches module globals; see tco.kernel).
VENDOR = fine_tune.VENDOR


@njit(cache=True, nogil=True, error_model="numpy", _nrt=False)
def strategies(p, o, st, w, ev, xc, L, S, X, out, b, flags):  # pragma: no cover - compiled
    """Every strategy s with ``X.redo[s]`` on path p, under the option state ``S``.

    ``b`` >= 0 is the with-events pass: every output is written and the sums join block b (with
    ``flags.keep`` off, only the per-path NPVs). With ``b`` < 0 it is the no-event reference of the
    lock-in premium: only ``out.npv_no_events``.
    One call per path rather than per strategy: each call copies the records it is passed.

    Notes
    -----
    Month t's cost is the bills of the options carrying its traffic (``carry``), named other
    costs, the gateway overhead, switching = migration effort x (1 - portability) + dual running
    (``switching``), release upgrades and fine-tuning (``fine_tuning``). NPV discounts month t by
    (1 + r)^-((t + 1) / 12). ``out.portable_npv`` is the NPV of everything scaled by
    (1 - portability) before that factor (migration effort and release upgrades), so NPV at any
    other portability follows without a rerun.
    """
    full = b >= 0
    # The block whose sums and series this pass writes (-1: none), as one integer type: b may
    # come from a parallel loop's unsigned index, and unsigned with -1 would unify to float.
    book = np.int64(b) if flags.keep else np.int64(-1)
    months = X.discount.shape[0]
    n_options = X.share.shape[0]
    stories = False  # release tracks or fine-tuning anywhere: else skip their per-month pass
    for j in range(n_options):
        stories = stories or o.track.has[j] or o.tuning.kind[j] > 0
    for s in range(out.npv.shape[1]):
        if not X.redo[s]:
            continue
        for j in range(n_options):
            X.started[j] = False
            X.ft_start[j] = -1
            X.owned[j] = 0.0
            X.residual[j] = 0.0
            X.signed[j] = False
        for e in range(st.mix_option.shape[1]):
            if st.mix_option[s, e] >= 0:
                X.signed[st.mix_option[s, e]] = True
        for e in range(X.extra_started.shape[0]):
            X.extra_started[e] = False
        running, present, switching_present, portable_present = 0.0, 0.0, 0.0, 0.0
        stuck_any = False
        runs, upgraded = 0.0, 0.0
        # Whether any event fell on an option the strategy relies on: else nothing exits,
        # migrates or is withdrawn, and every month's switching is exactly 0 (skipped, same bits;
        # the events counted are 0 too).
        shocked = False
        for r in range(st.relied.shape[1] if full else 0):
            j = st.relied[s, r]
            if j < 0:
                break
            shocked = shocked or S.touched[j]
        dest, stuck = -1, False
        for t in range(months):
            # Whether an event was counted this month on an option the strategy relies on: every
            # migration, exit and withdrawal is, so in other months switching is exactly 0.
            eventful = False
            for r in range(st.relied.shape[1] if shocked else 0):
                j = st.relied[s, r]
                if j < 0:
                    break
                eventful = eventful or S.eventful[j, t]
            if t == 0 or eventful or escalation_moves(s, t, o, st, ev, S):
                dest, stuck = shares(p, s, t, t + 1, o, st, ev, S, X.share, X.escalated_in)
            stuck_any = stuck_any or stuck
            if flags.usage and full and s == 0:
                for j in range(n_options):
                    out.usage_share[p, j, t] = X.share[j]
                    # token_bill's factor on list price, so a pooled commitment prices a vendor
                    # fine-tune's usage as the kernel bills it (the strategy's discount aside)
                    out.usage_price_multiplier[p, j, t] = S.index[j, t] * tuned(p, j, t, o, S)
            exiting = False
            for r in range(st.relied.shape[1] if eventful else 0):  # no event, no exit
                j = st.relied[s, r]
                if j < 0:
                    break
                exiting = exiting or S.exit_month[j] == t or S.ft_month[j] == t
            if exiting:  # the month as it was before this month's exits: what actually moves
                shares(p, s, t, t, o, st, ev, S, X.share_before, X.escalated_before)
            total, capital = 0.0, 0.0
            for r in range(st.relied.shape[1]):
                j = st.relied[s, r]
                if j < 0:
                    break
                usd, kept = carry(p, s, j, t, o, st, L, S, X, out, book)
                total += usd
                capital += kept
            total = other_costs(p, s, t, total, w, xc, X, out, book)
            total += add(out, book, s, L.gateway, t, st.overhead_usd[s, p])
            effort, dual, moved_in = 0.0, 0.0, False
            if eventful:  # without an event nothing migrates, exits or is withdrawn: switching is 0
                effort, dual, moved_in = switching(p, s, t, dest, o, st, w, S, X, out, book)
            moved = effort * (1.0 - st.portability[s, p]) + dual
            total += add(out, book, s, L.switching, t, moved)
            upgrade_usd = 0.0
            if stories:
                usd, ran, up, upgrade_usd = fine_tuning(p, s, t, o, st, L, S, X, out, book, dest,
                                                        moved_in)
                total += usd
                runs += ran
                upgraded += up
            present += total * X.discount[t]
            if book >= 0:
                out.amortised_sum[b, s, t] += total - capital
                running += total
                out.cumulative[p, s, t] = running
                if flags.want_cost:
                    out.cost[p, s, t] = total
            if full:
                switching_present += moved * X.discount[t]
                portable_present += (effort + upgrade_usd) * X.discount[t]
        if full:
            out.npv[p, s] = present
            out.switching_npv[p, s] = switching_present
            out.portable_npv[p, s] = portable_present
            out.no_fallback[p, s] = 1.0 if stuck_any else 0.0
            out.ft_runs[p, s] = runs
            out.upgrades[p, s] = upgraded
        else:
            out.npv_no_events[p, s] = present


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def escalation_moves(s, t, o, st, ev, S):  # pragma: no cover - compiled
    """Whether the escalated share of an option in strategy s's mix may differ in month t from
    month t - 1: its weights age on a release track, or a licence change has come into force.

    Otherwise a month's shares are the previous month's, bit for bit, unless an option the
    strategy relies on exits or has its fine-tuning withdrawn, which counts an event that month
    (``State.eventful``): the strategy pass then recomputes them (``shares``)."""
    for e in range(st.mix_option.shape[1]):
        j = st.mix_option[s, e]
        if j < 0:
            break
        if o.common.escalates[j] and (o.track.has[j] or (ev.escalation_pair[j] >= 0
                                                          and t >= S.licence_month[j])):
            return True
    return False


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def other_costs(p, s, t, total, w, xc, X, out, b):  # pragma: no cover - compiled
    """``total`` plus the named other costs of strategy s in month t, each booked on its line: an
    option's while it carries traffic (monthly, per million tokens carried, setup in its first
    month), a strategy's every month (per million tokens served, setup in month 0)."""
    if xc.option.shape[0] == 0:
        return total
    mtok = X.requests[t] * w.tokens_per_request[p] / TOKENS_PER_MTOK
    # The options' entries, then strategy s's own (``Extras.ptr``): the entries of other
    # strategies carry none of s's traffic, and walking them cost the page's story a third.
    own = s + 1 < xc.ptr.shape[0]
    for e in range(xc.ptr[0]):
        total = _other_cost(p, s, t, e, X.share[xc.option[e]], total, mtok, xc, X, out, b)
    for e in range(xc.ptr[s] if own else 0, xc.ptr[s + 1] if own else 0):
        total = _other_cost(p, s, t, e, 1.0, total, mtok, xc, X, out, b)
    return total


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def _other_cost(p, s, t, e, carried, total, mtok, xc, X, out, b):  # pragma: no cover - compiled
    """``total`` plus other-cost entry e of strategy s in month t, where it carries ``carried``
    of the traffic: monthly, per million tokens carried, setup the first time."""
    if carried <= 0.0:
        return total
    usd = xc.month_usd[e, p] + xc.mtok_usd[e, p] * carried * mtok
    if not X.extra_started[e]:
        X.extra_started[e] = True
        usd += xc.setup_usd[e, p]
    return total + add(out, b, s, xc.line[e], t, usd)


@njit(cache=True, nogil=True, inline="always", error_model="numpy", _nrt=False)
def fine_tuning(p, s, t, o, st, L, S, X, out, b, dest, moved_in):  # pragma: no cover - compiled
    """Release upgrades and fine-tuning of strategy s in month t: (cost, runs, upgrades, the
    upgrades' cost before portability).

    For each option carrying the strategy's traffic: a release arriving this month costs
    upgrade_usd x (1 - portability). With ``fine_tune:`` (and, for a vendor's service, before its
    withdrawal), one run in a month when any of these happens: the option's first month carrying
    the strategy's traffic and every ``retrain_every_months`` after it, a deprecation (a new base
    model), traffic moving onto it from an exit or a withdrawal (``moved_in`` and it is the live
    fallback); otherwise a release upgrade runs once at the adapter price. At most one run a
    month per option: a full run trains on whatever base the month deploys. An owned pipeline
    pays its setup in its first month and its monthly cost while carrying traffic; a vendor's
    service bills hosting while it carries traffic.
    """
    total, runs, upgraded, upgrade_usd = 0.0, 0.0, 0.0, 0.0
    for r in range(st.relied.shape[1]):
        j = st.relied[s, r]
        if j < 0:
            break
        if X.share[j] <= 0.0:
            continue
        upgrade = o.track.has[j] and S.upgrade[j, t]
        if upgrade:
            upgraded += 1.0
            upgrade_usd += o.track.upgrade_usd[j, p]
            total += add(out, b, s, L.release_upgrades, t,
                         o.track.upgrade_usd[j, p] * (1.0 - st.portability[s, p]))
        kind = o.tuning.kind[j]
        if kind == 0 or (kind == VENDOR and t >= S.ft_month[j]):
            continue
        due = S.migrations[j, t] > 0.0 or (moved_in and j == dest)
        if X.ft_start[j] < 0:
            X.ft_start[j] = t
            due = True
            total += add(out, b, s, L.fine_tune_platform, t, o.tuning.setup_usd[j, p])
        elif (t - X.ft_start[j]) % o.tuning.every[j] == 0:
            due = True
        if due:
            total += add(out, b, s, L.fine_tune_runs, t, o.tuning.run_usd[j, p])
            runs += 1.0
        elif upgrade:
            total += add(out, b, s, L.fine_tune_runs, t, o.tuning.upgrade_run_usd[j, p])
            runs += 1.0
        total += add(out, b, s, L.fine_tune_platform, t, o.tuning.month_usd[j, p])
    return total, runs, upgraded, upgrade_usd
