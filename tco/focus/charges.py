"""Which options of a strategy can bill each cost line, and how each line reads as a FOCUS charge.

The kernel keeps every cost line per strategy, not per option; a FOCUS row needs the service that
billed it. A line is given to the options of the strategy that can bill it (their kind's billing
and the features the line needs, asked through the kind's declared hooks); ``tco.focus`` narrows
that to the options with GPUs in the month where the line is booked only while traffic flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tco.options as options
from tco.load import Loaded


@dataclass(frozen=True)
class Charge:
    """How a cost line reads as a FOCUS charge, and which options can bill it.

    ``owner``: "tokens" (options billed per token), "fleet" (options with a GPU fleet),
    "commitment" (options with a commitment or reservation the strategy signed), "fine_tune"
    (options with ``fine_tune:``), "strategy" (the strategy itself). ``needs``: the option field
    an owner must have ("rented": no ``purchase``). ``in_use``: the kernel books the line only in
    months the option carries traffic, so an option with no GPUs that month on any path is not
    an owner that month.
    """

    category: str
    frequency: str
    owner: str
    needs: str | None = None
    in_use: bool = False


CHARGES: dict[str, Charge] = {
    "api_tokens": Charge("Usage", "Usage-Based", "tokens"),
    "escalated_traffic": Charge("Usage", "Usage-Based", "tokens"),
    "commitment_shortfall": Charge("Usage", "Recurring", "tokens", "commitment"),
    "gpu_rent": Charge("Usage", "Usage-Based", "fleet", "rented", in_use=True),
    "reserved_gpus": Charge("Purchase", "Recurring", "fleet", "reserved", in_use=True),
    "gpu_capex": Charge("Purchase", "One-Time", "fleet", "purchase", in_use=True),
    "power": Charge("Usage", "Usage-Based", "fleet", "purchase", in_use=True),
    "hosting": Charge("Usage", "Recurring", "fleet", "purchase"),
    "ops_staff": Charge("Usage", "Recurring", "fleet", in_use=True),
    "setup": Charge("Purchase", "One-Time", "fleet", in_use=True),
    "missing_components": Charge("Usage", "Recurring", "fleet", "missing_components", in_use=True),
    "licence": Charge("Usage", "Recurring", "fleet", "licence", in_use=True),
    "gateway": Charge("Usage", "Recurring", "strategy"),
    "switching": Charge("Usage", "One-Time", "strategy"),
    "stranded_commitments": Charge("Purchase", "Recurring", "commitment"),
    "release_upgrades": Charge("Usage", "One-Time", "fleet", "release_track", in_use=True),
    "fine_tune_runs": Charge("Usage", "One-Time", "fine_tune"),
    "fine_tune_platform": Charge("Usage", "Recurring", "fine_tune"),
    "residual_value": Charge("Credit", "One-Time", "fleet", "purchase"),
}
"""Every declared cost line as a FOCUS ChargeCategory (Usage, Purchase, Credit) and ChargeFrequency
(One-Time, Recurring, Usage-Based; chargecategory.md, chargefrequency.md), and which options can
bill it. A scenario's named ``other_costs`` lines are recurring usage of their owner."""
OTHER_CHARGE = Charge("Usage", "Recurring", "named")


def charge(line: str) -> Charge:
    """The FOCUS reading of a cost line (a named other cost is recurring usage of its owner)."""
    return CHARGES.get(line, OTHER_CHARGE)


def _is_fleet(option: Any) -> bool:
    """Whether the option's kind bills a GPU fleet (the other kinds bill tokens)."""
    return options.of(option).billing == "fleet"


def reservation_of(option: Any) -> Any:
    return options.of(option).reservation(option)


def commitment_of(option: Any) -> Any:
    """An API option's spend commitment (None where there is none)."""
    return option.commitment if options.provides(option, "commitment") else None


def commitment_terms(option: Any) -> list[tuple[str, Any]]:
    """(what, terms) of the option's API commitment and GPU reservation, those it has."""
    found = (("commitment", commitment_of(option)), ("reserved", reservation_of(option)))
    return [(what, terms) for what, terms in found if terms is not None]


NEEDS = {
    "rented": lambda o: _is_fleet(o) and not options.provides(o, "purchase"),
    "purchase": lambda o: options.provides(o, "purchase"),
    "reserved": lambda o: reservation_of(o) is not None,
    "licence": lambda o: options.provides(o, "licence"),
    "missing_components": lambda o: bool(options.of(o).parts(o)),
    "release_track": lambda o: options.of(o).track(o) is not None,
    "commitment": lambda o: commitment_of(o) is not None,
}
"""What a line's ``needs`` asks of an option, through its kind's declared hooks."""


def _has(option: Any, line: str) -> bool:
    """Whether an option has what a line needs (a reservation, a purchase, a licence...)."""
    needs = charge(line).needs
    return needs is None or NEEDS[needs](option)


def owners(sc: Loaded, strategy: str, line: str) -> tuple[str, ...]:
    """The options of a strategy that can bill a line ((): the strategy's own cost)."""
    st = sc.strategies[strategy]
    relied = list(dict.fromkeys([*st.mix, *st.chain]))
    kind = charge(line).owner
    if kind == "strategy":
        return ()
    if kind == "tokens":
        return tuple(o for o in relied if not _is_fleet(sc.options[o]) and _has(sc.options[o], line))
    if kind == "fleet":
        return tuple(o for o in relied if _is_fleet(sc.options[o]) and _has(sc.options[o], line))
    if kind == "commitment":
        return tuple(o for o in st.mix if commitment_terms(sc.options[o]))
    if kind == "fine_tune":
        return tuple(o for o in relied if options.provides(sc.options[o], "fine_tune"))
    if any(cost.name == line for cost in st.other_costs):
        return ()
    return tuple(o for o in relied if any(c.name == line for c in sc.options[o].other_costs))


def service(sc: Loaded, names: tuple[str, ...]) -> tuple[str, str]:
    """ServiceName and ProviderName of the options billing a row (the strategy's own: internal)."""
    if not names:
        return "LLM platform (strategy overhead)", "Internal"
    services, providers = [], []
    for name in names:
        option = sc.options[name]
        catalog = option.catalog if options.provides(option, "catalog") else None
        vendor = option.vendor if options.provides(option, "vendor") else None
        services.append(catalog or options.of(option).describe(option))
        providers.append(vendor or (catalog.split("/", 1)[0] if catalog else
                                    "Self-hosted" if _is_fleet(option) else name))
    return " + ".join(services), " + ".join(dict.fromkeys(providers))
