"""What a risk kind declares: its fields, rules, effect in the kernel, stress defaults and words.

A kind is one ``RiskKind`` value in its own module; ``tco.risks.REGISTRY`` lists them. The schema
builds the ``risks:`` entry from the declared fields, the load boundary checks the declared rules,
the draws take the declared per-event impact, the kernel applies the declared effects, stress tests
use the declared defaults, and the page, verdict and deck use the declared label and phrase.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal


class Effect(enum.IntFlag):
    """What an event does in the kernel, from the month it fires (several may combine).

    The kernel implements each effect once, as the contract states it; a kind composes them.
    """

    PRICE = 1
    """Multiplies the option's price index by the event's impact (bought hardware is unaffected)."""
    MIGRATE = 2
    """A forced migration on the option: one switching cost and dual running of its traffic."""
    EXIT = 4
    """The option leaves: its share moves to the strategy's fallback, with one switching cost."""
    ESCALATE = 8
    """The escalated share grows by a rate per month from the event, up to a cap; releases of the
    option's track not arrived by then are cancelled (the family went closed)."""
    WITHDRAW_FINE_TUNING = 16
    """The vendor's fine-tuning service ends: the option's fine-tuned share moves to the
    strategy's fallback as with an exit (one switching cost), the rest stays."""


@dataclass(frozen=True)
class RiskField:
    """One field of a risk kind beyond ``kind``, ``on`` and ``annual_probability``, with the label,
    unit and help sentence every view shows for it."""

    annotation: Any
    """A bounded quantity type from ``tco.fields`` (Share, Positive, ...)."""
    label: str
    unit: str
    help: str
    required: bool = False
    per_event: bool = False
    """Drawn afresh for every event rather than once per path."""
    default: float | None = None
    """Value the kernel uses when the scenario leaves an optional field out."""


@dataclass(frozen=True)
class RiskKind:
    """Everything the engine, the page and the deck need to know about one kind of vendor shock."""

    name: str
    label: str
    """Human name, capitalised: 'Licence change'."""
    phrase: str
    """How the verdict names events of this kind, plural: 'licence changes'."""
    help: str
    effects: Effect
    applies_to: tuple[str, ...]
    """Option kinds (``api``, ``self_hosted``) the risk may be ``on``."""
    fields: dict[str, RiskField] = field(default_factory=dict)
    needs_fallback: bool = False
    """An event moves traffic to the strategy's fallback, so strategies using the option need one."""
    impact_field: str | None = None
    """The per-event price multiplier applied through ``Effect.PRICE`` (1 where None)."""
    escalation_fields: tuple[str, str] | None = None
    """(rate per month, cap) fields read by ``Effect.ESCALATE``."""
    counted_once: bool = False
    """Events fired counts this kind once per path (only the first event acts) or each event."""
    requires: str | None = None
    """An option field the kind needs (``fine_tune``): risks may only be ``on`` options with it."""
    fact_about: Literal["option", "vendor", "family"] = "option"
    """What one event is a fact about. A risk line naming several options that share this unit
    (the same vendor, the same open-weight family) draws one event per path for all of them, in
    the same month and with the same size, unless the line says ``independent: true``; an option
    without the unit (a closed model has no family) is its own fact."""
    stress_needs: str | None = None
    """A stress test takes this field from the scenario's own risk of this kind on the option;
    None: a stress may add a zero-probability risk of this kind with the fields' defaults."""
