"""The cost kernel: monthly cost of every strategy on every path, given inputs and drawn shocks.

The kernel is deterministic in its arguments. The deterministic model calls it with one path of
nominal inputs and no shocks; the Monte Carlo engine calls it with chunks of sampled paths and
drawn shocks; stress tests call it with one forced event. Arrays are ``(paths, ..., months)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tco.inputs import Resolved
from tco.scenario import ApiOption, Scenario, SelfHostedOption
from tco.units import (
    HOURS_PER_MONTH,
    MONTHS_PER_YEAR,
    SECONDS_PER_HOUR,
    SECONDS_PER_MONTH,
    TOKENS_PER_MTOK,
    discount_factors,
    monthly_log_drift,
    monthly_volatility,
)

LINES = ("api_tokens", "escalated_traffic", "gpu_rent", "gpu_purchase", "power", "ops_staff",
         "setup", "missing_components", "licence", "gateway", "switching")
"""Cost lines, in the order tables and charts show them."""

EVENT_KINDS = ("price_change", "deprecation", "exit", "licence_change")


@dataclass
class Shocks:
    """Random shocks for a batch of paths.

    Keys are ``(risk index, option name)`` for events and option names for price noise. A missing
    key means no shock of that kind (no event fired, zero noise). ``noise`` and ``fired`` are
    ``(paths, months)``; ``impact`` (an event's price multiplier) and ``weeks`` (its migration
    effort) hold one value per fired cell, in the row-major order of ``np.flatnonzero(fired)``:
    events are rare, and full arrays of them cost more to fill than the rest of the draw.
    """

    paths: int
    noise: dict[str, np.ndarray] = field(default_factory=dict)
    fired: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    impact: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)
    weeks: dict[tuple[int, str], np.ndarray] = field(default_factory=dict)

    def without_events(self) -> Shocks:
        """The same paths with no event fired: price noise and inputs unchanged."""
        return Shocks(self.paths, self.noise)


@dataclass
class KernelResult:
    """What the metrics need, for one batch of paths.

    Attributes
    ----------
    cost_usd : (paths, strategies, months)
    npv_usd, switching_npv_usd, migration_effort_npv_usd : (paths, strategies)
        ``migration_effort_npv_usd`` is the engineering and one-off part of switching before the
        (1 - portability) factor, so the value of portability is exact without a rerun.
    line_sum_usd : (strategies, lines, months), summed over paths
    gpus_sum, utilization_sum : (strategies, options, months), summed over paths
    events : (paths, strategies, kinds), events fired on options each strategy relies on
    tokens : (paths,), tokens served over the horizon (input plus output)
    npv_no_events_usd : (paths, strategies), only when asked for: the same paths with no event
    """

    cost_usd: np.ndarray
    npv_usd: np.ndarray
    switching_npv_usd: np.ndarray
    migration_effort_npv_usd: np.ndarray
    line_sum_usd: np.ndarray
    gpus_sum: np.ndarray
    utilization_sum: np.ndarray
    events: np.ndarray
    tokens: np.ndarray
    npv_no_events_usd: np.ndarray | None = None


def cumsum_months(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Cumulative sum along the last (month) axis, in float64 whatever ``out``'s dtype.

    Bit-identical to ``np.cumsum(values, axis=-1)`` and about 2-3x faster on (paths, months)
    chunks, because numpy's accumulate walks each short row serially while this adds whole month
    columns at once.
    """
    if out is None:
        out = np.empty(values.shape)
    running = values[..., 0].astype(float)
    out[..., 0] = running
    for m in range(1, values.shape[-1]):
        running += values[..., m]
        out[..., m] = running
    return out


def _first_month(flags: np.ndarray, months: int) -> np.ndarray:
    """Index of the first True along the month axis, ``months`` where none: (paths,)."""
    return np.where(flags.any(axis=1), flags.argmax(axis=1), months)


def _at_months(values: np.ndarray, month: np.ndarray, rows: np.ndarray, shape: tuple[int, int]
               ) -> np.ndarray:
    """A (paths, months) array holding ``values[i]`` at ``(rows[i], month[i])`` and zero elsewhere.

    Exits and first starts touch one month per path: writing those cells costs far less than
    building a (paths, months) mask and multiplying through it.
    """
    out = np.zeros(shape)
    out[rows, month] = values
    return out


@dataclass
class _OptionState:
    """Events on one option over a chunk of paths.

    ``index`` is the price index, (paths, months) or (1, months) when no path varies; ``migrations``
    and ``migration_effort_usd`` are (paths, months) arrays, or 0.0 when no deprecation can fire.
    """

    index: np.ndarray | float
    exit_month: np.ndarray
    exit_effort_usd: np.ndarray
    licence_month: np.ndarray
    migrations: np.ndarray | float
    migration_effort_usd: np.ndarray | float
    counts: np.ndarray
    any_migration: bool
    any_exit: bool
    any_licence_change: bool


def _option_states(batch: _Batch, shocks: Shocks) -> dict[str, _OptionState]:
    """Events on every option, with each option's price index (its walk plus event impacts)."""
    sc, months, paths = batch.sc, batch.months, batch.paths
    week_usd = batch.per_path("switching.usd_per_engineer_week")
    one_off = batch.per_path("switching.one_off_usd")
    states = {}
    for name, option in sc.options.items():
        indexed = isinstance(option, ApiOption) or not option.bought
        log_steps = None  # log event impacts by month, summed once at the end
        exit_month = np.full(paths, months)
        exit_effort = np.zeros(paths)
        licence_month = np.full(paths, months)
        migrations: np.ndarray | float = 0.0
        effort: np.ndarray | float = 0.0
        counts = np.zeros((paths, len(EVENT_KINDS)))
        for i, risk in enumerate(sc.risks):
            fired = shocks.fired.get((i, name))
            if fired is None or name not in risk.on:
                continue
            cells = np.flatnonzero(fired)  # flat indices: boolean masks cost 10x here
            if cells.size == 0:
                continue
            cell_rows = cells // months
            kind = EVENT_KINDS.index(risk.kind)
            if risk.kind in ("price_change", "deprecation"):
                counts[:, kind] += fired.sum(axis=1)
                if indexed and fired.any():
                    # Several events compound: the index carries the product of all fired impacts.
                    # Logs only where fired: np.where over every cell cost more than the rest.
                    if log_steps is None:
                        log_steps = np.zeros((paths, months))
                    log_steps.reshape(-1)[cells] += np.log(shocks.impact[(i, name)])
            if risk.kind == "deprecation":
                migrations = migrations + fired
                effort = np.zeros((paths, months)) if np.ndim(effort) == 0 else effort
                effort.reshape(-1)[cells] += (shocks.weeks[(i, name)] * week_usd[cell_rows]
                                              + one_off[cell_rows])
            elif risk.kind == "exit":
                first = _first_month(fired, months)
                # The effort of the first exit on each path: its first fired cell in row order.
                leads = np.flatnonzero(np.diff(cell_rows, prepend=-1))
                cost = np.zeros(paths)
                cost[cell_rows[leads]] = (shocks.weeks[(i, name)][leads] * week_usd[cell_rows[leads]]
                                          + one_off[cell_rows[leads]])
                earlier = first < exit_month
                exit_effort = np.where(earlier, cost, exit_effort)
                exit_month = np.minimum(first, exit_month)
            elif risk.kind == "licence_change":
                licence_month = np.minimum(_first_month(fired, months), licence_month)
        counts[:, EVENT_KINDS.index("exit")] = exit_month < months
        counts[:, EVENT_KINDS.index("licence_change")] = licence_month < months
        if not indexed:
            index: np.ndarray | float = 1.0  # bought hardware: the price was paid up front
        elif log_steps is None:
            index = batch.walk_index(name)
        else:
            index = np.exp(batch.walk(name) + cumsum_months(log_steps))
        states[name] = _OptionState(
            index, exit_month, exit_effort, licence_month, migrations, effort, counts,
            any_migration=bool(np.any(migrations)), any_exit=bool((exit_month < months).any()),
            any_licence_change=bool((licence_month < months).any()))
    return states


class _Batch:
    """What every pass over one batch of paths shares: inputs as columns, traffic, discount
    factors and each option's price walk (trend and noise, before any event)."""

    def __init__(self, sc: Scenario, resolved: Resolved, x: dict[str, np.ndarray], shocks: Shocks):
        self.sc, self.resolved, self.x, self.noise = sc, resolved, x, shocks.noise
        self.months, self.paths = sc.horizon_months, shocks.paths
        self.shape = (self.paths, self.months)
        self.t = np.arange(self.months, dtype=float)
        self.rows = np.arange(self.paths)
        self._columns: dict[str, np.ndarray] = {}
        self._walks: dict[str, np.ndarray] = {}
        self._walk_indices: dict[str, np.ndarray] = {}
        col, t = self.col, self.t
        self.requests = np.broadcast_to(
            col("workload.requests_per_month") * np.power(1.0 + col("workload.growth_per_month"), t),
            self.shape)
        if "workload.monthly_active_users" in x:
            self.mau = col("workload.monthly_active_users") * np.power(
                1.0 + col("workload.mau_growth_per_month"), t)
        else:
            self.mau = np.zeros((1, self.months))
        rate = np.reshape(x["discount_rate_per_year"], (-1,))
        self.discount = discount_factors(rate if rate.size > 1 else rate[0], self.months)

    def col(self, path: str) -> np.ndarray:
        """An input as a (paths, 1) or (1, 1) column, converted once per batch."""
        if path not in self._columns:
            self._columns[path] = np.reshape(np.asarray(self.x[path], dtype=float), (-1, 1))
        return self._columns[path]

    def per_path(self, path: str) -> np.ndarray:
        return np.broadcast_to(self.col(path)[:, 0], (self.paths,))

    def walk(self, name: str) -> np.ndarray:
        """Log price index of an option from its trend and monthly noise alone."""
        if name not in self._walks:
            p = f"options.{name}"
            log = np.reshape(monthly_log_drift(self.x[f"{p}.price_trend_per_year"]), (-1, 1)) * self.t
            z = self.noise.get(name)
            if z is not None:
                sigma = np.reshape(monthly_volatility(self.x[f"{p}.price_volatility_per_year"]), (-1, 1))
                steps = sigma * z
                steps[:, 0] = 0.0  # I(0) = 1: the first move happens between month 0 and month 1
                log = cumsum_months(steps) + log
            self._walks[name] = log
        return self._walks[name]

    def walk_index(self, name: str) -> np.ndarray:
        """exp(walk): the price index of an option on which no event fired."""
        if name not in self._walk_indices:
            self._walk_indices[name] = np.exp(self.walk(name))
        return self._walk_indices[name]

    def npv(self, values: np.ndarray | float) -> np.ndarray:
        """Present value per path of monthly values."""
        if np.ndim(values) == 0:
            return values * np.broadcast_to(self.discount, self.shape).sum(axis=1)
        values = np.broadcast_to(values, self.shape)
        # einsum without optimize never calls BLAS, so the sum order is fixed: same bits everywhere.
        return np.einsum("pm,pm->p" if self.discount.ndim == 2 else "pm,m->p", values, self.discount)


def run(sc: Scenario, resolved: Resolved, x: dict[str, np.ndarray], shocks: Shocks,
        npv_only: bool = False, baseline: bool = False) -> KernelResult:
    """Evaluate every strategy on every path.

    Parameters
    ----------
    x
        Input values by parameter path; each a scalar or shape ``(paths,)``.
    shocks
        Price noise and events, ``(paths, months)`` each.
    npv_only
        Compute only ``npv_usd`` (the other fields are None).
    baseline
        Also fill ``npv_no_events_usd``: the same paths with no event fired (the lock-in
        premium's reference), sharing this call's traffic and price walks.

    Notes
    -----
    Traffic R(t) = requests_per_month x (1 + g)^t. API cost of share s is
    s R [in (1-c) P_in + in c P_cached + out P_out] / 1e6 x (1 - b d) x I(t). A self-hosted fleet
    serves its peak (average x peak_to_average) at target_utilization in whole replicas, never fewer
    than min_replicas while it carries traffic. NPV discounts month t by (1 + r)^-((t + 1) / 12).

    Shares stay scalars or (paths, 1) columns until an event makes them vary by month; numpy
    broadcasting then gives the same numbers as full arrays at a fraction of the memory traffic.
    """
    batch = _Batch(sc, resolved, x, shocks)
    result = _evaluate(batch, _option_states(batch, shocks), npv_only)
    if baseline:
        result.npv_no_events_usd = (
            _evaluate(batch, _option_states(batch, shocks.without_events()), True).npv_usd
            if shocks.fired else result.npv_usd)
    return result


class _Pricing:
    """What one request costs on each option in a pass (price index applied), and the bill of all
    traffic on an option, computed once and shared by every strategy."""

    def __init__(self, batch: _Batch, states: dict[str, _OptionState]) -> None:
        sc, resolved, col = batch.sc, batch.resolved, batch.col
        self.batch, self.states = batch, states
        tokens_in = col("workload.input_tokens_per_request")
        tokens_out = col("workload.output_tokens_per_request")
        self.per_request: dict[str, np.ndarray] = {}
        self.replica_seconds: dict[str, np.ndarray] = {}
        for name, option in sc.options.items():
            p = f"options.{name}"
            index = states[name].index
            if isinstance(option, ApiOption):
                cached = col("workload.cached_input_share")
                price = (tokens_in * ((1.0 - cached) * col(f"{p}.input_usd_per_mtok")
                                      + cached * col(f"{p}.cached_input_usd_per_mtok"))
                         + tokens_out * col(f"{p}.output_usd_per_mtok")) / TOKENS_PER_MTOK
                price = price * (1.0 - col("workload.batchable_share") * col(f"{p}.batch_discount"))
                self.per_request[name] = price * index
            else:
                gpus_per_replica = resolved.gpus_per_replica[name]
                if option.tokens_per_second_per_gpu is not None:
                    seconds = tokens_out / (option.tokens_per_second_per_gpu * gpus_per_replica)
                else:
                    seconds = resolved.plans[name].replica_seconds_per_request(tokens_in, tokens_out)
                self.replica_seconds[name] = seconds
                self.per_request[name] = (seconds * gpus_per_replica / SECONDS_PER_HOUR
                                          / col(f"{p}.target_utilization")
                                          * _gpu_hour_usd(option, p, col) * index)
        self._full: dict[str, np.ndarray] = {}
        self._migrated: dict[str, np.ndarray] = {}

    def full_bill(self, name: str) -> np.ndarray:
        """Monthly cost of all traffic on an option at its per-request cost: R(t) x cost(t)."""
        if name not in self._full:
            self._full[name] = self.batch.requests * self.per_request[name]
        return self._full[name]

    def migrated_bill(self, name: str) -> np.ndarray:
        """Monthly bill of all traffic on an option times the migrations it starts that month."""
        if name not in self._migrated:
            self._migrated[name] = self.states[name].migrations * self.full_bill(name)
        return self._migrated[name]


def _carry(costs: _Costs, pricing: _Pricing, name: str, share: np.ndarray | float,
           escalated: np.ndarray | float = 0.0, fleet: tuple[np.ndarray, np.ndarray] | None = None
           ) -> None:
    """Add to ``costs`` what carrying ``share`` of the traffic on one option costs.

    ``escalated`` is the part of an API option's share that self-hosted options escalated to it
    (billed on its own line). ``fleet`` holds month rows to add GPUs and utilisation to.
    """
    batch = pricing.batch
    sc, col, months, paths, shape = batch.sc, batch.col, batch.months, batch.paths, batch.shape
    option = sc.options[name]
    p = f"options.{name}"
    if isinstance(option, ApiOption):
        bill = share * pricing.full_bill(name)
        if np.any(escalated):
            esc_bill = escalated * pricing.full_bill(name)
            costs.add("escalated_traffic", esc_bill)
            bill = bill - esc_bill
        costs.add("api_tokens", bill)
        return
    seconds = pricing.replica_seconds[name]
    load = share * batch.requests
    needed = load * (col("workload.peak_to_average") * seconds
                     / (SECONDS_PER_MONTH * col(f"{p}.target_utilization")))
    in_use = load > 0.0
    # A float mask, or 1.0 when the option carries traffic on every path and month (the usual
    # case): multiplying by a bool array costs a cast each time.
    mask = 1.0 if in_use.all() else in_use.astype(float)
    replicas = np.maximum(np.ceil(needed, out=needed), option.min_replicas, out=needed)
    replicas *= mask
    gpus = replicas * batch.resolved.gpus_per_replica[name]
    if fleet is not None:
        gpus_row, utilization_row = fleet  # views into the pass's results: added in place
        gpus_row += gpus.sum(axis=0)
        utilization_row += np.divide(load / SECONDS_PER_MONTH * seconds, replicas,
                                     out=np.zeros_like(load), where=replicas > 0).sum(axis=0)
    if option.bought:
        pre = f"{p}.purchase"
        costs.add("gpu_purchase", gpus * (col(f"{pre}.usd_per_gpu") / (
            col(f"{pre}.years") * MONTHS_PER_YEAR)))
        costs.add("power", gpus * (col(f"{pre}.kw_per_gpu") * HOURS_PER_MONTH
                                   * col(f"{pre}.usd_per_kwh") * col(f"{pre}.pue")))
    else:
        costs.add("gpu_rent", (gpus * (HOURS_PER_MONTH * col(f"{p}.usd_per_gpu_hour"))
                               * pricing.states[name].index))
    costs.add("ops_staff", mask * (col(f"{p}.ops_fte") * col(f"{p}.usd_per_fte_year")
                                   / MONTHS_PER_YEAR))
    monthly_parts = sum((col(f"{p}.missing_components.{i}.usd_per_month")
                         for i in range(len(option.missing_components))), np.zeros((1, 1)))
    setup_parts = sum((col(f"{p}.missing_components.{i}.setup_usd")
                       for i in range(len(option.missing_components))), np.zeros((1, 1)))
    if np.any(monthly_parts):
        costs.add("missing_components", mask * monthly_parts)
    # Setup is paid in the first month an option carries traffic: month 0 for the mix, later for
    # a fallback that first starts when an event moves traffic onto it.
    first = _first_month(in_use, months)
    starts = first < months
    for line_name, usd in (("setup", col(f"{p}.setup_usd")), ("missing_components", setup_parts)):
        if np.any(usd):
            costs.add(line_name, _at_months(np.broadcast_to(usd[:, 0], (paths,))[starts],
                                            first[starts], batch.rows[starts], shape))
    if option.licence is not None:
        above = batch.mau > col(f"{p}.licence.mau_threshold")
        costs.add("licence", mask * above * col(f"{p}.licence.usd_per_month_above"))


def run_rate(sc: Scenario, resolved: Resolved, x: dict[str, np.ndarray], option: str,
             fallback: str | None = None) -> np.ndarray:
    """Month-0 cost of carrying all traffic on one option, one value per path of ``x``, with no
    event fired; a self-hosted option's escalated share is billed at ``fallback``."""
    paths = np.size(x["workload.requests_per_month"])  # one path per volume
    shocks = Shocks(paths=paths)
    batch = _Batch(sc, resolved, x, shocks)
    pricing = _Pricing(batch, _option_states(batch, shocks))
    costs = _Costs(batch.shape, by_line=False)
    if isinstance(sc.options[option], SelfHostedOption) and fallback not in (None, option):
        esc = _escalation(x, option, sc, pricing.states[option], batch.t)
        _carry(costs, pricing, option, 1.0 - esc)
        _carry(costs, pricing, fallback, esc, escalated=esc)
    else:
        _carry(costs, pricing, option, 1.0)
    return costs.total[:, 0].copy()


def _evaluate(batch: _Batch, states: dict[str, _OptionState], npv_only: bool) -> KernelResult:
    """One pass of every strategy over a batch, given the options' event states."""
    sc = batch.sc
    months, paths, shape, t, rows = batch.months, batch.paths, batch.shape, batch.t, batch.rows
    col, per_path, npv_of, requests = batch.col, batch.per_path, batch.npv, batch.requests
    tokens_in = col("workload.input_tokens_per_request")
    tokens_out = col("workload.output_tokens_per_request")
    pricing = _Pricing(batch, states)
    full_bill, migrated_bill = pricing.full_bill, pricing.migrated_bill

    names = list(sc.options)
    n_strategies = len(sc.strategies)
    cost = None if npv_only else np.zeros((paths, n_strategies, months))
    npv = np.zeros((paths, n_strategies))
    switching_npv = np.zeros((paths, n_strategies))
    effort_npv = np.zeros((paths, n_strategies))
    line_sum = np.zeros((n_strategies, len(LINES), months))
    gpus_sum = np.zeros((n_strategies, len(names), months))
    util_sum = np.zeros((n_strategies, len(names), months))
    events = np.zeros((paths, n_strategies, len(EVENT_KINDS)))

    for s_i, (s_name, strategy) in enumerate(sc.strategies.items()):
        fallback = strategy.fallback
        share: dict[str, np.ndarray | float] = {}
        escalated: np.ndarray | float = 0.0
        for o_name, mix_share in strategy.mix.items():
            if mix_share == 0.0:
                continue
            option = sc.options[o_name]
            state = states[o_name]
            if o_name == fallback or not state.any_exit:
                # A fallback that exits is replaced like for like: its traffic stays where it is.
                base: np.ndarray | float = mix_share
            else:
                base = mix_share * (t[None, :] < state.exit_month[:, None])
                if fallback is not None:
                    share[fallback] = share.get(fallback, 0.0) + (mix_share - base)
            if isinstance(option, SelfHostedOption) and fallback is not None and o_name != fallback:
                esc = _escalation(batch.x, o_name, sc, state, t)
                share[o_name] = share.get(o_name, 0.0) + base * (1.0 - esc)
                escalated = escalated + base * esc
            else:
                share[o_name] = share.get(o_name, 0.0) + base
        if fallback is not None and np.any(escalated):
            share[fallback] = share.get(fallback, 0.0) + escalated
        costs = _Costs(shape, by_line=not npv_only)
        for o_name, o_share in share.items():
            o_i = names.index(o_name)
            _carry(costs, pricing, o_name, o_share, escalated if o_name == fallback else 0.0,
                   None if npv_only else (gpus_sum[s_i, o_i], util_sum[s_i, o_i]))
        costs.add("gateway", col(f"strategies.{s_name}.overhead_usd_per_month"))
        effort: np.ndarray | float = 0.0
        dual: np.ndarray | float = 0.0
        dual_months = per_path("switching.dual_running_months")
        # A list, not a set: string hashing varies between processes, and the order of these
        # float additions must not, or the same seed would not give the same bits everywhere.
        relied = list(dict.fromkeys([*strategy.mix, *([fallback] if fallback else [])]))
        for o_name in relied:
            state = states[o_name]
            if not npv_only:
                events[:, s_i] += state.counts
            carried = share.get(o_name, 0.0)
            uses = np.broadcast_to(carried > 0.0, shape) if np.ndim(carried) else carried > 0.0
            if state.any_migration and np.any(uses):
                effort = effort + (state.migration_effort_usd * uses if np.ndim(uses)
                                   else state.migration_effort_usd)
                dual = dual + (dual_months[:, None] * carried) * migrated_bill(o_name)
            if not state.any_exit:
                continue
            exiting = state.exit_month < months
            if o_name == fallback:
                # A fallback pays to move only if it carries traffic in the month it exits.
                moved, new_bill = carried, full_bill(o_name)
                exiting &= np.broadcast_to(uses, shape)[rows, np.minimum(state.exit_month, months - 1)]
            elif strategy.mix.get(o_name, 0.0) > 0.0:
                moved = strategy.mix[o_name]
                new_bill = full_bill(fallback) if fallback else np.zeros(shape)
            else:
                continue
            # One exit month per path: add at those cells rather than through (paths, months) masks.
            # effort and dual are 0.0 or arrays this loop created, so writing in place is safe.
            r, m = rows[exiting], state.exit_month[exiting]
            moved_cells = np.broadcast_to(moved, shape)[r, m]
            effort = np.zeros(shape) if np.ndim(effort) == 0 else effort
            effort[r, m] += state.exit_effort_usd[exiting]
            dual = np.zeros(shape) if np.ndim(dual) == 0 else dual
            dual[r, m] += dual_months[exiting] * moved_cells * np.broadcast_to(new_bill, shape)[r, m]
        portability = col(f"strategies.{s_name}.portability")
        switching: np.ndarray | float = 0.0
        if np.any(effort) or np.any(dual):
            switching = effort * (1.0 - portability) + dual
            costs.add("switching", switching)
        npv[:, s_i] = npv_of(costs.total)
        if npv_only:
            continue
        cost[:, s_i] = costs.total
        switching_npv[:, s_i] = npv_of(switching)
        effort_npv[:, s_i] = npv_of(effort)
        line_sum[s_i] = costs.line_sum
    if npv_only:
        return KernelResult(None, npv, None, None, None, None, None, None, None)
    tokens = (requests * (tokens_in + tokens_out)).sum(axis=1)
    return KernelResult(cost, npv, switching_npv, effort_npv, line_sum, gpus_sum, util_sum, events,
                        np.broadcast_to(tokens, (paths,)).copy())


class _Costs:
    """Monthly cost of one strategy, built by adding each line's contributions in place.

    The total is one (paths, months) array. Sums over paths by line feed the stacked-cost chart;
    the lock-in premium's pass needs only the total and skips them.
    """

    def __init__(self, shape: tuple[int, int], by_line: bool) -> None:
        self.shape = shape
        self.total = np.zeros(shape)
        self.line_sum = np.zeros((len(LINES), shape[1])) if by_line else None

    def add(self, line: str, value: np.ndarray | float) -> None:
        self.total += value
        if self.line_sum is not None:
            self.line_sum[LINES.index(line)] += np.broadcast_to(value, self.shape).sum(axis=0)


def _gpu_hour_usd(option: SelfHostedOption, p: str, col) -> np.ndarray:
    """Cost of one GPU-hour: the rent, or amortised purchase plus power for bought hardware."""
    if not option.bought:
        return col(f"{p}.usd_per_gpu_hour")
    pre = f"{p}.purchase"
    amortised = col(f"{pre}.usd_per_gpu") / (col(f"{pre}.years") * MONTHS_PER_YEAR * HOURS_PER_MONTH)
    return amortised + col(f"{pre}.kw_per_gpu") * col(f"{pre}.usd_per_kwh") * col(f"{pre}.pue")


def _escalation(x: dict[str, np.ndarray], o_name: str, sc: Scenario, state: _OptionState,
                t: np.ndarray) -> np.ndarray:
    """Share of a self-hosted option's traffic escalated to the fallback.

    Before a licence change it is escalation_share; from the event month on it grows by
    escalation_per_month each month (the event month counts as the first) up to escalation_cap.
    A (paths, 1) column while no licence change fired in this chunk, else (paths, months).
    """
    base = np.reshape(np.asarray(x[f"options.{o_name}.escalation_share"], dtype=float), (-1, 1))
    if not state.any_licence_change:
        return base
    for i, risk in enumerate(sc.risks):
        if risk.kind != "licence_change" or o_name not in risk.on:
            continue
        rate = np.reshape(np.asarray(x[f"risks.{i}.escalation_per_month"], dtype=float), (-1, 1))
        cap = np.reshape(np.asarray(x.get(f"risks.{i}.escalation_cap", 1.0), dtype=float), (-1, 1))
        # Before the event since <= 0, so base + rate x since <= base (rate >= 0) and the outer
        # maximum returns the base share: no separate branch for months before the event.
        since = t[None, :] - state.licence_month[:, None] + 1.0
        return np.maximum(base, np.minimum(cap, base + rate * since))
    return base
