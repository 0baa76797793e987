"""exit: the option can no longer be used; its share moves to the strategy's fallback."""

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
)
