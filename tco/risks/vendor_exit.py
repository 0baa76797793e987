"""exit: the option can no longer be used; its share moves to the strategy's fallback.

A fact about the vendor: terms that change, a regional exit or a failure end every model bought
from that provider or host together, so a line naming two of its models fires once for both.
Self-hosted weights have no vendor, so an exit on them is each option's own fact.
"""

from __future__ import annotations

from tco.risks.base import Effect, RiskKind

KIND = RiskKind(
    name="exit",
    label="Vendor exit",
    phrase="exits",
    help="The option can no longer be used (terms change, regional exit): its share moves to the "
         "strategy's fallback from that month, with one switching cost. Later events on it do nothing.",
    effects=Effect.EXIT,
    applies_to=("api", "hosted_open", "self_hosted"),
    needs_fallback=True,
    counted_once=True,
    fact_about="vendor",
)
