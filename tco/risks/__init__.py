"""Risk kinds, one module each. Adding a kind is one module plus one line in ``REGISTRY``."""

from __future__ import annotations

from tco.errors import ScenarioError
from tco.risks import deprecation, fine_tune_withdrawn, licence_change, price_change, vendor_exit
from tco.risks.base import Effect, RiskField, RiskKind

REGISTRY: dict[str, RiskKind] = {kind.name: kind for kind in (
    price_change.KIND,
    deprecation.KIND,
    vendor_exit.KIND,
    licence_change.KIND,
    fine_tune_withdrawn.KIND,
)}
"""Every risk kind by name, in the order tables and charts show them."""


def kinds() -> tuple[str, ...]:
    return tuple(REGISTRY)


def kind(name: str) -> RiskKind:
    """The declaration of a risk kind, or a one-line error naming the known kinds."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ScenarioError("kind", "must be one of " + ", ".join(REGISTRY)) from None


def label(name: str) -> str:
    """Human label of a risk kind: 'Licence change'."""
    return kind(name).label


def phrase(name: str) -> str:
    """How the verdict names events of a kind, plural: 'licence changes'."""
    return kind(name).phrase


__all__ = ["REGISTRY", "Effect", "RiskField", "RiskKind", "kind", "kinds", "label", "phrase"]
