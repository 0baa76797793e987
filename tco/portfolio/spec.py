"""The portfolio file: shared options, risks and switching; per-vendor commitment tiers; pooling;
and workloads, each with its own traffic and strategies.

Each workload becomes an ordinary scenario (``tco.load.validate``) built from the shared sections
and its own ``workload`` and ``strategies``, so every scenario rule holds for it; errors are
reported at the portfolio's path (``workloads.support-bot.workload.requests_per_month: ...``).
Every rule below raises one ``ScenarioError`` line naming the field and the rule.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import tco.options as options
from tco.decisions import Optimise
from tco.errors import ScenarioError
from tco.load import Loaded, read_bounded, validate, validate_part
from tco.options.procurement import Reserved
from tco.yamlio import parse_document

SHARED = ("name", "description", "currency", "start", "horizon_months", "discount_rate_per_year",
          "options", "risks", "switching", "sampling", "fiscal_year_start_month", "stresses",
          "fine_tuning")
"""Top-level fields every workload's scenario takes from the portfolio as they are (a shared
option's ``fine_tune:`` needs ``fine_tuning:``; each workload on it pays its own runs: its data)."""
FIELDS = (*SHARED, "pooling", "commitments", "optimise", "workloads")
OPTIMISE_FIELDS = ("reserved",)
OFFER_FIELDS = ("usd_per_gpu_hour", "term_months", "start_month")
WORKLOAD_FIELDS = ("workload", "strategies", "strategy", "optimise")
WORKLOAD_BOUNDS = ("min_share", "max_share", "exclude", "fallback")
"""The fields of a scenario's ``optimise:`` section a workload takes (``tco.decisions.Optimise``):
its own share bounds and fallback. The base strategy is the one in force, the fleet ceiling and
commitment tiers belong to the portfolio, and a chosen fallback is not searched per workload."""
COMMITMENT_FIELDS = ("tiers", "tier", "term_months")
TIER_FIELDS = ("usd_per_month", "discount")
POOL_KEYS = ("model", "gpu", "precision", "serving_engine")
"""What two options must share to pool their replicas: the same weights on the same hardware,
precision and engine serve each other's requests at the same speed."""


@dataclass(frozen=True)
class Tier:
    usd_per_month: float
    discount: float


@dataclass(frozen=True)
class Commitment:
    """A committed-spend contract with one vendor across workloads: bills max(tier, (1 - discount)
    x pooled list usage) each month of its term."""

    vendor: str
    tiers: tuple[Tier, ...]
    tier: int
    """The tier in force, counted from 1 as in the file."""
    term_months: int

    @property
    def chosen(self) -> Tier:
        return self.tiers[self.tier - 1]


@dataclass(frozen=True)
class ReservedOffer:
    """Reserved GPUs of one type the optimiser may sign for the whole portfolio: paid for every
    hour of the term whether used or not (``optimise.reserved`` in the file)."""

    usd_per_gpu_hour: float
    term_months: int
    start_month: int = 0


@dataclass(frozen=True)
class Portfolio:
    """A validated portfolio: one ``Loaded`` scenario per workload, holding only the strategy in
    force, and the shared contracts."""

    name: str
    description: str
    currency: str
    horizon_months: int
    sampling: str
    workloads: dict[str, Loaded]
    strategy: dict[str, str]
    """The strategy in force, by workload."""
    pooling: tuple[tuple[str, ...], ...]
    """Groups of rented fleet options whose replicas are pooled across workloads."""
    commitments: dict[str, Commitment]
    vendors: dict[str, str]
    """Every option's vendor, by option name."""
    comments: Mapping[str, str] = field(default_factory=dict)
    reserved_offers: Mapping[str, ReservedOffer] = field(default_factory=dict)
    """Reservation terms the optimiser may sign, per GPU type (``optimise.reserved``); they cost
    nothing as filed."""
    reserved_gpus: Mapping[str, int] = field(default_factory=dict)
    """Reserved GPUs per GPU type decided for the whole portfolio (``tco.optimise``), each type's
    in place of the workloads' own reservations on it, on the type's offer where the file makes
    one, else at the price, start and term of the contract of its first option that has one
    (``reservation_contracts``). Empty as read from a file: each signing workload's reservation
    counts."""

    @property
    def first(self) -> Loaded:
        return next(iter(self.workloads.values()))


def reservation_contracts(pf: Portfolio) -> dict[str, str]:
    """The option whose ``reserved:`` contract prices each GPU type's pooled reservation: the
    first pooled option of the type, in the file's order, that has one. Types without one have
    no reservation to size."""
    sc = pf.first
    out: dict[str, str] = {}
    for group in pf.pooling:
        for name in group:
            option = sc.options[name]
            if options.of(option).reservation(option) is not None:
                out.setdefault(sc.inputs.plans[name].gpu, name)
    return out


def reservable_types(pf: Portfolio) -> list[str]:
    """The GPU types whose pooled reservation the optimiser may size: those with an offer, then
    those with a contract on an option."""
    return list(dict.fromkeys([*pf.reserved_offers, *reservation_contracts(pf)]))


def _offers(raw: Any, sc: Loaded, pooling: tuple[tuple[str, ...], ...]) -> dict[str, ReservedOffer]:
    """``optimise: {reserved: {GPU type: {usd_per_gpu_hour, term_months, start_month}}}``."""
    if raw is None:
        return {}
    raw = _mapping(raw, "optimise")
    for key in raw:
        if key not in OPTIMISE_FIELDS:
            raise _unknown("optimise.", str(key), OPTIMISE_FIELDS)
    types = list(dict.fromkeys(sc.inputs.plans[g[0]].gpu for g in pooling))
    out = {}
    for gpu, spec in _mapping(raw.get("reserved") or {}, "optimise.reserved").items():
        where = f"optimise.reserved.{gpu}"
        if gpu not in types:
            raise ScenarioError(where, "no pooled rented fleet runs on this GPU type (pooled "
                                f"types: {', '.join(types) or 'none'})")
        spec = _mapping(spec, where)
        for key in spec:
            if key not in OFFER_FIELDS:
                raise _unknown(f"{where}.", str(key), OFFER_FIELDS)
        # The offer is a reservation without its count: the terms ``procurement.Reserved``
        # declares and bounds, validated by that model (one GPU stands in for the count the
        # optimiser sizes).
        terms = validate_part(Reserved, {**spec, "gpus": 1}, where)
        if not isinstance(terms.usd_per_gpu_hour, int | float):
            raise ScenarioError(f"{where}.usd_per_gpu_hour", "must be a number: the optimiser "
                                "prices one offer")
        if terms.start_month >= sc.horizon_months:
            raise ScenarioError(f"{where}.start_month", f"must be less than the horizon "
                                f"({sc.horizon_months} months)")
        out[str(gpu)] = ReservedOffer(float(terms.usd_per_gpu_hour), terms.term_months,
                                      terms.start_month)
    return out


def vendor_of(name: str, option: Any) -> str:
    """The vendor an option's spend goes to: the one its kind declares (``OptionKind.vendor``: the
    API provider or the host), else the option itself (a fleet you run is its own supplier)."""
    return options.of(option).vendor(option) or name


def _rented_fleets(sc: Loaded) -> list[str]:
    """Options billed as a GPU fleet rented by the hour (bought fleets are not pooled)."""
    return [o for o, opt in sc.options.items() if options.of(opt).billing_code == options.FLEET
            and f"options.{o}.usd_per_gpu_hour" in sc.inputs.params]


def _unknown(where: str, key: str, known: tuple[str, ...]) -> ScenarioError:
    near = difflib.get_close_matches(key, known, n=1)
    tail = f" (did you mean '{near[0]}'?)" if near else f" (fields: {', '.join(known)})"
    return ScenarioError(f"{where}{key}", f"is not a known field{tail}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(where, "must be a mapping of fields")
    return value


def _number(value: Any, where: str, low: float, high: float | None, rule: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(where, f"must be a number ({rule})")
    if value < low or (high is not None and value >= high):
        raise ScenarioError(where, f"must be {rule}")
    return float(value)


def _whole(value: Any, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ScenarioError(where, f"must be a whole number of at least {low}")
    return int(value)


def _workload_scenario(raw: dict[str, Any], name: str, entry: dict[str, Any],
                       comments: Mapping[str, str]) -> Loaded:
    """Validate one workload as a scenario of the shared sections and its own traffic."""
    prefix = f"workloads.{name}."
    data = {key: raw[key] for key in SHARED if key in raw}
    data["name"] = f"{raw.get('name', 'portfolio')}: {name}"
    data["workload"] = entry.get("workload")
    data["strategies"] = entry.get("strategies")
    if entry.get("optimise") is not None:
        data["optimise"] = _bounds(entry["optimise"], f"{prefix}optimise")
    for key in ("workload", "strategies"):
        if data[key] is None:
            raise ScenarioError(f"{prefix}{key}", "is required")
    own = {k[len(prefix):]: v for k, v in comments.items() if k.startswith(prefix)}
    shared = {k: v for k, v in comments.items() if not k.startswith("workloads.")}
    try:
        loaded = validate(data, {**shared, **own})
    except ScenarioError as exc:
        if exc.field.split(".")[0] in ("workload", "strategies", "optimise"):
            raise ScenarioError(f"{prefix}{exc.field}", exc.rule) from None
        raise
    return loaded


def _bounds(raw: Any, where: str) -> dict[str, Any]:
    """A workload's ``optimise:`` section, refused in one line where it sets a field that is not
    the workload's to set (``WORKLOAD_BOUNDS``); the scenario's rules check the rest."""
    for key in _mapping(raw, where):
        if key not in WORKLOAD_BOUNDS and key in Optimise.model_fields:
            raise ScenarioError(f"{where}.{key}", "is not set per workload of a portfolio (a "
                                f"workload's optimise: takes {', '.join(WORKLOAD_BOUNDS)}; the "
                                "base strategy is the one in force)")
    return raw


def _strategy(name: str, entry: dict[str, Any], workloads: dict[str, Any]) -> str:
    where = f"workloads.{name}.strategy"
    chosen = entry.get("strategy")
    own = list(_mapping(entry.get("strategies") or {}, f"workloads.{name}.strategies"))
    if chosen is None:
        raise ScenarioError(where, f"is required: the strategy in force, one of {', '.join(own)}")
    if chosen not in own:
        others = [w for w, e in workloads.items() if w != name and isinstance(e, dict)
                  and chosen in (e.get("strategies") or {})]
        tail = (f"; '{chosen}' is workload {others[0]}'s, and workloads do not share strategies"
                if others else "")
        raise ScenarioError(where, f"must be one of this workload's strategies ({', '.join(own)}){tail}")
    return str(chosen)


def _commitments(raw: Any, vendors: dict[str, str], sc: Loaded) -> dict[str, Commitment]:
    out: dict[str, Commitment] = {}
    for vendor, spec in _mapping(raw or {}, "commitments").items():
        where = f"commitments.{vendor}"
        token_options = [o for o, v in vendors.items() if v == vendor
                         and options.of(sc.options[o]).billing_code == options.TOKENS]
        if not token_options:
            known = sorted({v for o, v in vendors.items()
                            if options.of(sc.options[o]).billing_code == options.TOKENS})
            raise ScenarioError(where, "no option billed per token has this vendor (vendors: "
                                f"{', '.join(known) or 'none'})")
        for o in token_options:
            if f"options.{o}.commitment.usd_per_month" in sc.inputs.params:
                raise ScenarioError(f"options.{o}.commitment", f"conflicts with commitments.{vendor}: "
                                    "the portfolio's contract prices this vendor; keep one")
        spec = _mapping(spec, where)
        for key in spec:
            if key not in COMMITMENT_FIELDS:
                raise _unknown(f"{where}.", key, COMMITMENT_FIELDS)
        tiers_raw = spec.get("tiers")
        if not isinstance(tiers_raw, list) or not tiers_raw:
            raise ScenarioError(f"{where}.tiers", "must be a list of at least one tier "
                                "({usd_per_month, discount})")
        tiers = []
        for k, tier in enumerate(tiers_raw):
            at = f"{where}.tiers.{k}"
            tier = _mapping(tier, at)
            for key in tier:
                if key not in TIER_FIELDS:
                    raise _unknown(f"{at}.", key, TIER_FIELDS)
            for key in TIER_FIELDS:
                if key not in tier:
                    raise ScenarioError(f"{at}.{key}", "is required")
            tiers.append(Tier(_number(tier["usd_per_month"], f"{at}.usd_per_month", 0.0, None,
                                      "0 or more"),
                              _number(tier["discount"], f"{at}.discount", 0.0, 1.0,
                                      "from 0 to below 1")))
        chosen = _whole(spec.get("tier", 1), f"{where}.tier", 1)
        if chosen > len(tiers):
            raise ScenarioError(f"{where}.tier", f"must be from 1 to {len(tiers)} (the tiers listed)")
        term = _whole(spec.get("term_months"), f"{where}.term_months", 1) if "term_months" in spec \
            else sc.horizon_months
        out[str(vendor)] = Commitment(str(vendor), tuple(tiers), chosen, term)
    return out


def _pooling(raw: Any, sc: Loaded) -> tuple[tuple[str, ...], ...]:
    """``true``: each rented fleet option pools alone across workloads; a list of groups pools
    options that serve the same weights the same way; ``false``: no pooling."""
    fleet = _rented_fleets(sc)
    if raw is None or raw is False:
        return ()
    if raw is True:
        return tuple((o,) for o in fleet)
    if not isinstance(raw, list):
        raise ScenarioError("pooling", "must be true, false or a list of groups of options")
    groups, seen = [], set()
    for k, group in enumerate(raw):
        where = f"pooling.{k}"
        if not isinstance(group, list) or not group:
            raise ScenarioError(where, "must be a list of option names")
        for name in group:
            if name not in sc.options:
                raise ScenarioError(where, f"'{name}' is not in options ({', '.join(sc.options)})")
            if name not in fleet:
                raise ScenarioError(where, f"'{name}' is not a rented GPU fleet, so it has no "
                                    "replicas to pool")
            if name in seen:
                raise ScenarioError(where, f"'{name}' is in two pools; an option pools once")
            seen.add(name)
        first = sc.inputs.plans[group[0]]
        for name in group[1:]:
            plan = sc.inputs.plans[name]
            for key in POOL_KEYS:
                a, b = getattr(first, key), getattr(plan, key)
                if a != b:
                    raise ScenarioError(where, f"cannot pool {group[0]} and {name}: they differ in "
                                        f"{key} ({a} and {b}); pooled replicas must serve the "
                                        "same model on the same GPU, precision and engine")
        groups.append(tuple(group))
    return tuple(groups) + tuple((o,) for o in fleet if o not in seen)


def validate_portfolio(raw: Any, comments: Mapping[str, str] | None = None) -> Portfolio:
    """Validate a parsed portfolio mapping, or raise a one-line ``ScenarioError``."""
    comments = dict(comments or {})
    raw = _mapping(raw, "portfolio")
    for key in raw:
        if key not in FIELDS:
            raise _unknown("", str(key), FIELDS)
    workloads_raw = raw.get("workloads")
    if not isinstance(workloads_raw, dict) or not workloads_raw:
        raise ScenarioError("workloads", "must be a mapping of at least one workload by name")
    folded: dict[str, str] = {}
    for name in workloads_raw:
        key = str(name).strip().lower()
        if key in folded:
            raise ScenarioError(f"workloads.{name}", f"duplicates workload {folded[key]}; each "
                                "workload needs its own name")
        folded[key] = str(name)
    loaded, chosen = {}, {}
    for name, entry in workloads_raw.items():
        entry = _mapping(entry, f"workloads.{name}")
        for key in entry:
            if key not in WORKLOAD_FIELDS:
                raise _unknown(f"workloads.{name}.", str(key), WORKLOAD_FIELDS)
        chosen[str(name)] = _strategy(str(name), entry, workloads_raw)
        full = _workload_scenario(raw, str(name), entry, comments)
        # Only the strategy in force is priced: the others are kept in the file for the reader.
        strategies = {chosen[str(name)]: entry["strategies"][chosen[str(name)]]}
        loaded[str(name)] = _workload_scenario(raw, str(name), {**entry, "strategies": strategies},
                                               comments) if len(full.strategies) > 1 else full
    first = next(iter(loaded.values()))
    vendors = {o: vendor_of(o, opt) for o, opt in first.options.items()}
    pooling = _pooling(raw.get("pooling", True), first)
    return Portfolio(
        name=first.scenario.name.rsplit(": ", 1)[0], description=first.description,
        currency=first.currency, horizon_months=first.horizon_months, sampling=first.sampling,
        workloads=loaded, strategy=chosen, pooling=pooling,
        commitments=_commitments(raw.get("commitments"), vendors, first), vendors=vendors,
        comments=comments, reserved_offers=_offers(raw.get("optimise"), first, pooling))


def loads_portfolio(data: bytes | str) -> Portfolio:
    """Parse and validate portfolio text."""
    raw, comments = parse_document(data)
    return validate_portfolio(raw, comments)


def load_portfolio(path: str) -> Portfolio:
    """Read, parse and validate a portfolio file."""
    return loads_portfolio(read_bounded(path))


def is_portfolio(raw: Any) -> bool:
    """Whether a parsed file is a portfolio (it lists workloads) rather than a scenario."""
    return isinstance(raw, dict) and "workloads" in raw
