"""deprecation: the model is retired; a forced migration to the vendor's successor.

A fact about the option: retirements are announced model by model, each with its own successor and
date (the event ledger's retirement rows), so two options on one line retire apart.
"""

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
    applies_to=("api", "hosted_open"),  # self-hosted weights stay yours: nobody retires them
    fields={"successor_price_multiplier": RiskField(
        Multiplier, "Successor price multiplier", "multiplier",
        "Price of the successor model over the retired one.", per_event=True)},
    impact_field="successor_price_multiplier",
)
