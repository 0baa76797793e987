"""The kernel's typed records: what one path's options are doing, a strategy's working state, and
where results go. Kernel functions take these few records, never dozens of loose arrays.

Records are namedtuples of arrays: numba compiles them as typed structs, and the arrays inside
stay mutable. ``State`` and ``Scratch`` are allocated once per block of paths (``tco.kernel.block``, so every
thread has its own) and reused by each path of the block.
"""

from __future__ import annotations

from collections import namedtuple

State = namedtuple("State", [
    "index", "migrations", "migration_effort", "month_counts", "touched", "exit_month",
    "exit_effort", "licence_month", "ft_month", "ft_effort", "age", "upgrade", "licensed_above",
    "eventful", "first_event"])
"""Each option's state on one path, from its events and its release track.

``index`` (options, months) the price index; ``migrations`` and ``migration_effort`` (options,
months) the forced migrations and their effort before portability; ``month_counts`` (options,
months, risk kinds) the events counted; ``touched`` (options,) whether any event fell on the
option; ``exit_month``, ``licence_month`` and ``ft_month`` (options,) the month of the first exit,
licence change and fine-tuning withdrawal (``months``: none) with ``exit_effort`` and
``ft_effort``; ``age`` (options, months) the deployed weights' age, ``upgrade`` whether a release
is deployed that month, ``licensed_above`` whether the deployed version owes an ``at_release``
licence fee; ``eventful`` (options, months) whether an event was counted on the option that
month (every migration, exit, licence change and withdrawal is: the months where switching can
cost anything); ``first_event`` (options,) the first month an event was counted on the option, in
the no-event pass (the months before it keep their index: ``tco.kernel.states``), else 0."""

Scratch = namedtuple("Scratch", [
    "share", "share_before", "escalated_in", "escalated_before", "started", "owned", "residual",
    "signed", "ft_start", "extra_started", "redo", "discount", "requests", "mau", "fleet"])
"""A strategy's working state on one path, and the path's traffic.

Per option (options,): ``share`` of the strategy's traffic this month, ``share_before`` as it was
before this month's exits, ``escalated_in`` the part of ``share`` escalated to the option by
others (``escalated_before`` likewise), ``started`` (setup paid), ``owned`` bought GPUs and their
``residual`` value, ``signed`` (in the mix: its reservation or commitment is owed), ``ft_start``
the month it first carried fine-tuned traffic (-1: not yet). ``extra_started`` (other costs,)
setup paid; ``redo`` (strategies,) evaluate the strategy in this pass. Per month: ``discount``
factors, ``requests`` and ``mau``. ``fleet`` (strategies, options, months, 6) remembers each
autoscaled fleet's answer (``tco.kernel.bills.remembered_fleet``): path, load, reserved GPUs, then
peak, mean and on-demand GPUs; no strategies (nothing remembered) without the reference pass
or an autoscaled fleet."""

Outputs = namedtuple("Outputs", [
    "cost", "cumulative", "npv", "npv_no_events", "switching_npv", "portable_npv", "events",
    "no_fallback", "tokens", "ft_runs", "upgrades", "first_upgrade", "weights_age", "line_sum",
    "gpus_sum", "util_sum", "amortised_sum", "usage_share", "usage_price_multiplier"])
"""Where the kernel writes: per path (paths, strategies[, months]) and per block of paths
(blocks, strategies, ...). See ``tco.kernel.KernelResult`` for each one's meaning."""

Flags = namedtuple("Flags", ["want_cost", "reference", "keep", "usage"])
"""Performance switches: keep the monthly cost per path; run the no-event reference pass (the
lock-in premium's) where events could change the cost; ``keep`` every per-path series and block
sum (cumulative cost, lines, GPUs, events). Evaluating many candidate strategies on drawn paths
(``tco.engine``) switches ``keep`` off: it wants NPVs only, and the series of 500 candidates would
not fit in memory. ``usage`` writes the first strategy's share of traffic on each option and
each option's price index by month (``tco.portfolio`` prices pooled fleets from them)."""
