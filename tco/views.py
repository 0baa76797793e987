"""Typed kernel inputs: per-path arrays built once per batch from the parameter values.

The kernel never reads a dotted path. This module is where paths end: each option kind's module
fills its row of ``OptionRows``, the scenario's strategies become index arrays, and the drawn
shocks become a list of events per (risk-option pair, path). Shapes are ``(options, paths)``,
``(strategies, paths)`` and so on, months last, all float64 or int64 and C-contiguous.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

import tco.lines as lines
import tco.options as options
import tco.risks as risks
from tco.distributions import nominal
from tco.draws import Shocks, planned_releases, risk_option_pairs
from tco.load import Loaded
from tco.options import fine_tune
from tco.options.table import OptionInputs, per_path
from tco.units import kept_share

Workload = namedtuple("Workload", [
    "requests", "growth", "mau", "mau_growth", "has_mau", "tokens_per_request", "discount_rate",
    "week_usd", "one_off_usd", "dual_months", "dual_share"])
"""Per path (paths,): month-0 traffic and its growth, users, discounting and switching prices."""

OptionRows = namedtuple("OptionRows", list(options.ROWS))
"""Every option's kernel inputs as a few typed records (``tco.options.ROWS``), each declared by
the module that fills it: ``common`` (billing, price, escalation, weights:
``tco.options.rows.Common``), ``fleet`` (GPUs and the weights' licence:
``tco.options.self_hosted``), ``commitment`` (``tco.options.api``), ``track``
(``tco.options.track``) and ``tuning`` (``tco.options.fine_tune``). Each field is a code per
option ``(options,)`` or a value per option and path ``(options, paths)``; a kind without a
feature leaves that record's row at rest."""

Strategies = namedtuple("Strategies", [
    "mix_option", "mix_share", "fallback", "relied", "portability", "overhead_usd", "price_factor"])
"""``mix_option``/``mix_share`` (strategies, entries), -1 padded; ``relied`` the mix then the
fallback chain, deduplicated; ``fallback`` (strategies, chain) the chain in order, -1 padded;
the rest (strategies, paths): ``price_factor`` is 1 - the strategy's ``list_price_discount``,
applied to every per-token bill of the strategy."""

Extras = namedtuple("Extras", ["option", "strategy", "line", "month_usd", "mtok_usd", "setup_usd",
                               "ptr"])
"""Named ``other_costs``: one entry each, owned by an option (``option`` >= 0) or a strategy
(``strategy`` >= 0), booked on line ``line``; amounts (entries, paths). The options' entries come
first, then each strategy's in strategy order: strategy s owns entries ``ptr[s]:ptr[s + 1]`` and
``ptr[0]`` is the number of the options' (a strategy-month visits only its own and the options')."""

Events = namedtuple("Events", [
    "option", "effects", "kind", "counted_once", "ptr", "month", "impact", "weeks",
    "escalation_pair", "escalation_rate", "escalation_cap", "noise", "noise_slot", "arrival"])
"""Fired events by (risk-option pair, path): pair k's events on path p are entries
``ptr[k, p]:ptr[k, p + 1]`` of ``month``, ``impact`` and ``weeks``, in month order. Price noise
``noise`` is (noisy options, paths, months), ``noise_slot`` (options,) its row or -1. ``arrival``
(options, paths, releases) is the month each planned release arrives (``months``: never)."""

Lines = namedtuple("Lines", [name for name in lines.NAMES] + ["count"])
"""Each cost line's position on the kernel's line axis, and how many there are."""

LINES = Lines(*range(len(lines.NAMES)), len(lines.NAMES))

NEGOTIATED_DISCOUNT = "list_price_discount"
"""The negotiated discount off list price, on a per-token option (in its unit price,
``tco.options.tokens.fill``) and on a strategy (``Strategies.price_factor``): each keeps
``kept_share`` of every per-token bill it applies to, and the two compound."""
COMMITMENT_DISCOUNT = "commitment.discount"
"""An API commitment's discount: usage in its term is billed at ``kept_share`` of the contracted
price (the kernel's ``token_bill``)."""
COMMITMENT_MINIMUM = "commitment.usd_per_month"
"""An API commitment's monthly minimum: the bill in its term is max(minimum, discounted usage)."""
PRICE_TERMS = {"negotiated": (NEGOTIATED_DISCOUNT,),
               "commitment": (COMMITMENT_DISCOUNT, COMMITMENT_MINIMUM)}
"""The inputs that take a bill from list price to the price paid, by kind: negotiated discounts,
then an API commitment's terms (FOCUS 1.3's ContractedCost lies between the two)."""


def without_terms(x: dict[str, np.ndarray], fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The inputs ``x`` with every option's and strategy's ``fields`` (``PRICE_TERMS``) at 0:
    the same paths, priced without those terms. ``x`` itself where none of them is non-zero, so
    a caller can tell a rerun would change nothing."""
    lifted = {path: np.zeros_like(value) for path, value in x.items()
              if path.startswith(("options.", "strategies.")) and np.any(value != 0.0)
              and any(path.endswith(f".{field}") for field in fields)}
    return {**x, **lifted} if lifted else x


def line_names(sc: Loaded) -> tuple[str, ...]:
    """The kernel's line axis for a scenario: the declared lines, then each ``other_costs`` name
    in order of first appearance (one name on several owners shares a line)."""
    return lines.NAMES + lines.other_names(sc.scenario)


def workload(sc: Loaded, x: dict[str, np.ndarray], paths: int) -> tuple[Workload, dict[str, np.ndarray]]:
    """The workload view, and the per-path workload inputs option kinds price requests with."""
    w = {name: per_path(x[f"workload.{name}"], paths) for name in (
        "requests_per_month", "input_tokens_per_request", "output_tokens_per_request",
        "cached_input_share", "batchable_share", "growth_per_month", "peak_to_average",
        "mau_growth_per_month", "long_context_share", "cache_write_share")}
    w["long_context_input_tokens"] = per_path(x.get("workload.long_context_input_tokens", 0.0), paths)
    has_mau = "workload.monthly_active_users" in x
    view = Workload(
        requests=w["requests_per_month"], growth=w["growth_per_month"],
        mau=per_path(x["workload.monthly_active_users"] if has_mau else 0.0, paths),
        mau_growth=w["mau_growth_per_month"], has_mau=has_mau,
        tokens_per_request=w["input_tokens_per_request"] + w["output_tokens_per_request"],
        discount_rate=per_path(x["discount_rate_per_year"], paths),
        week_usd=per_path(x["switching.usd_per_engineer_week"], paths),
        one_off_usd=per_path(x["switching.one_off_usd"], paths),
        dual_months=per_path(x["switching.dual_running_months"], paths),
        dual_share=per_path(x["switching.dual_running_share"], paths))
    return view, w


def option_rows(sc: Loaded, x: dict[str, np.ndarray], w: dict[str, np.ndarray], paths: int) -> OptionRows:
    """Every option's records, filled by its kind's module."""
    n = len(sc.options)
    rows = SimpleNamespace(**{name: row.blank(n, paths, sc.horizon_months)
                              for name, row in options.ROWS.items()})
    tracked = [name for name in sc.options if planned_releases(sc, name)]
    rows.track.slot[:] = [tracked.index(name) if name in tracked else -1 for name in sc.options]
    served = [options.of(option).weights(option) for option in sc.options.values()]
    rows.common.weights[:] = [-1 if key is None else served.index(key) for key in served]
    for j, (name, option) in enumerate(sc.options.items()):
        get = OptionInputs(x, f"options.{name}.", paths)
        options.of(option).fill(rows, j, get, w, option, sc.inputs.plans.get(name),
                                sc.workload.profile)
        fine_tune.fill(rows, j, get, x, sc.scenario, option.fine_tune)
        for month, multiplier, _ in sc.inputs.scheduled.get(name, ()):
            rows.common.scheduled_log[j, month:] += np.log(multiplier)
    return OptionRows(**{name: row.build(getattr(rows, name)) for name, row in options.ROWS.items()})


def extras(sc: Loaded, x: dict[str, np.ndarray], paths: int,
           plans: Mapping[str, Any] | None = None) -> Extras:
    """Every ``other_costs`` entry of the options and of the strategies ``plans`` (the scenario's
    when None; {} for a plan of made-up strategies, as the run-rate curves use), in order. A
    strategy's amounts are its drawn values where it is the scenario's own (``drawn``), else
    their nominal; a cost named outside the scenario's line axis (a candidate's own) is booked
    on the first line, which a run keeping only NPVs never reads."""
    names = line_names(sc)
    plans = sc.strategies if plans is None else plans
    owners = [(f"options.{n}", j, -1, o.other_costs, True) for j, (n, o) in enumerate(sc.options.items())]
    owners += [(f"strategies.{n}", -1, s, st.other_costs, drawn(sc, n, st))
               for s, (n, st) in enumerate(plans.items())]
    entries = [(prefix, j, s, k, cost, own) for prefix, j, s, costs, own in owners
               for k, cost in enumerate(costs)]

    def amounts(field: str) -> np.ndarray:
        return np.array([per_path(x[f"{prefix}.other_costs.{k}.{field}"], paths) if own
                         else np.full(paths, nominal(getattr(cost, field)))
                         for prefix, _, _, k, cost, own in entries]).reshape(len(entries), paths)

    return Extras(
        option=np.array([e[1] for e in entries], dtype=np.int64).reshape(len(entries)),
        strategy=np.array([e[2] for e in entries], dtype=np.int64).reshape(len(entries)),
        line=np.array([names.index(e[4].name) if e[4].name in names else 0 for e in entries],
                      dtype=np.int64).reshape(len(entries)),
        month_usd=amounts("usd_per_month"), mtok_usd=amounts("usd_per_mtok"),
        setup_usd=amounts("setup_usd"),
        ptr=np.cumsum([sum(len(o.other_costs) for o in sc.options.values())]
                      + [len(st.other_costs) for st in plans.values()], dtype=np.int64))


def drawn(sc: Loaded, name: str, strategy: Any) -> bool:
    """Whether a strategy is the scenario's own of that name, so its fields take their draws
    (another candidate's take their nominal values)."""
    return sc.strategies.get(name) == strategy


def routes(names: list[str], plans: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Strategies' mixes and fallback chains as option indexes into ``names``: (mix_option,
    mix_share, fallback, relied), as ``Strategies`` holds them."""
    n, width = len(plans), max(len(s.mix) for s in plans)
    mix_option = np.full((n, width), -1, dtype=np.int64)
    mix_share = np.zeros((n, width))
    chain = max(1, *(len(s.chain) for s in plans))
    relied = np.full((n, width + chain), -1, dtype=np.int64)
    fallback = np.full((n, chain), -1, dtype=np.int64)
    for s, strategy in enumerate(plans):
        entries = [(names.index(o), share) for o, share in strategy.mix.items() if share > 0.0]
        for e, (o, share) in enumerate(entries):
            mix_option[s, e], mix_share[s, e] = o, share
        for c, name in enumerate(strategy.chain):
            fallback[s, c] = names.index(name)
        # A list, not a set: the order of float additions must not depend on string hashing.
        order = list(dict.fromkeys([names.index(o) for o in strategy.mix]
                                   + [names.index(o) for o in strategy.chain]))
        relied[s, :len(order)] = order
    return mix_option, mix_share, fallback, relied


def strategies(sc: Loaded, x: dict[str, np.ndarray], paths: int,
               plans: Mapping[str, Any] | None = None) -> Strategies:
    """The strategies ``plans`` (the scenario's when None) as the kernel's record: routes as
    option indexes, portability and overhead per path (drawn for the scenario's own, else
    nominal)."""
    plans = sc.strategies if plans is None else plans

    def value(name: str, strategy: Any, field: str) -> np.ndarray:
        if drawn(sc, name, strategy):
            return per_path(x[f"strategies.{name}.{field}"], paths)
        return np.full(paths, nominal(getattr(strategy, field)))

    return Strategies(
        *routes(list(sc.options), list(plans.values())),
        np.array([value(n, s, "portability") for n, s in plans.items()]).reshape(len(plans), paths),
        np.array([value(n, s, "overhead_usd_per_month") for n, s in plans.items()]
                 ).reshape(len(plans), paths),
        kept_share(np.array([value(n, s, NEGOTIATED_DISCOUNT) for n, s in plans.items()]
                            ).reshape(len(plans), paths)))


def events(sc: Loaded, x: dict[str, np.ndarray], shocks: Shocks, paths: int) -> Events:
    """Fired events as per-(pair, path) ranges of one flat list, and price noise by option."""
    names = list(sc.options)
    months = sc.horizon_months
    pairs = risk_option_pairs(sc)
    kinds = list(risks.REGISTRY)
    k = len(pairs)
    ptr = np.zeros((k, paths + 1), dtype=np.int64)
    month_parts, impact_parts, weeks_parts = [], [], []
    escalation_pair = np.full(len(names), -1, dtype=np.int64)
    rate, cap = np.zeros((k, paths)), np.ones((k, paths))
    offset = 0
    for p_i, (i, name) in enumerate(pairs):
        spec = sc.risks[i].spec
        fired = shocks.fired.get((i, name))
        if fired is not None:
            cells = np.flatnonzero(fired)
            counts = np.bincount(cells // months, minlength=paths)
            ptr[p_i, 1:] = np.cumsum(counts)
            month_parts.append(cells % months)
            impact_parts.append(np.asarray(shocks.impact[(i, name)], dtype=float))
            weeks_parts.append(np.asarray(shocks.weeks[(i, name)], dtype=float))
        ptr[p_i] += offset
        offset = int(ptr[p_i, -1])
        if spec.escalation_fields is not None:
            o = names.index(name)
            if escalation_pair[o] < 0:  # the first escalating risk on an option sets its rate
                escalation_pair[o] = p_i
            rate_field, cap_field = spec.escalation_fields
            rate[p_i] = per_path(x[f"risks.{i}.{rate_field}"], paths)
            cap[p_i] = per_path(x.get(f"risks.{i}.{cap_field}", spec.fields[cap_field].default), paths)
    noise_slot = np.full(len(names), -1, dtype=np.int64)
    noisy = [name for name in names if name in shocks.noise]
    for slot, name in enumerate(noisy):
        noise_slot[names.index(name)] = slot
    noise = (np.stack([shocks.noise[name] for name in noisy]) if noisy
             else np.zeros((0, paths, months)))

    def flat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

    return Events(
        option=np.array([names.index(name) for _, name in pairs], dtype=np.int64).reshape(k),
        effects=np.array([int(sc.risks[i].spec.effects) for i, _ in pairs], dtype=np.int64).reshape(k),
        kind=np.array([kinds.index(sc.risks[i].kind) for i, _ in pairs], dtype=np.int64).reshape(k),
        counted_once=np.array([sc.risks[i].spec.counted_once for i, _ in pairs], dtype=np.bool_).reshape(k),
        ptr=ptr, month=flat(month_parts, np.int64), impact=flat(impact_parts, float),
        weeks=flat(weeks_parts, float), escalation_pair=escalation_pair, escalation_rate=rate,
        escalation_cap=cap, noise=np.ascontiguousarray(noise, dtype=float), noise_slot=noise_slot,
        arrival=arrivals(sc, x, shocks, paths))


def arrivals(sc: Loaded, x: dict[str, np.ndarray], shocks: Shocks, paths: int) -> np.ndarray:
    """The month each planned release of each option's track arrives: (options, paths, releases).

    Release j is planned for m_j = next_release_month + (j - 1) x cadence_months and arrives at
    u_j = m_j + round(D_j) (halves up), and never before the release planned ahead of it (vetting
    is sequential); ``months`` marks a release that arrives after the horizon. Delays are the
    drawn ones, or the nominal delay where none were drawn (the deterministic model).
    """
    months = sc.horizon_months
    counts = [planned_releases(sc, name) for name in sc.options]
    out = np.full((len(counts), paths, max([1, *counts])), months, dtype=np.int64)
    for j, (name, count) in enumerate(zip(sc.options, counts, strict=True)):
        if not count:
            continue
        track = sc.options[name].release_track
        planned = track.next_release_month + track.cadence_months * np.arange(count)
        delay = shocks.delays.get(name)
        if delay is None:
            delay = np.broadcast_to(
                x[f"options.{name}.release_track.vetting_delay_months"].reshape(-1, 1)[:1],
                (paths, count))
        arrived = np.maximum.accumulate(planned + np.floor(delay + 0.5).astype(np.int64), axis=1)
        out[j] = np.minimum(arrived, months)
    return out
