"""deprecation: the model is retired; a forced migration to the vendor's successor."""

from __future__ import annotations

from tco.fields import Multiplier
from tco.risks.base import Effect, RiskField, RiskKind

KIND = RiskKind(
    name="deprecation",
    label="Deprecation",
    phrase="retirements",
    help="The vendor retires the model: one switching cost to move to its successor, whose price "
         "is the old one times the successor price multiplier.",
    effects=Effect.PRICE | Effect.MIGRATE,
    applies_to=("api", "hosted_open", "self_hosted"),
    fields={"successor_price_multiplier": RiskField(
        Multiplier, "Successor price multiplier", "multiplier",
        "Price of the successor model over the retired one.", per_event=True)},
    impact_field="successor_price_multiplier",
)
