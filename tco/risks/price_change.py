"""price_change: a vendor reprices; the option's price index is multiplied by the event's size.

A fact about the option: vendors reprice one model or one GPU type at a time (the event ledger's
price changes are per model), so two options on one line draw their repricings apart.
"""

from __future__ import annotations

from tco.fields import Multiplier
from tco.risks.base import Effect, RiskField, RiskKind

KIND = RiskKind(
    name="price_change",
    label="Price change",
    phrase="price rises",
    help="The vendor changes its price: API token prices, or the GPU-hour price of rented GPUs, "
         "are multiplied by the event's size from the month it fires.",
    effects=Effect.PRICE,
    applies_to=("api", "hosted_open", "self_hosted"),
    fields={"multiplier": RiskField(
        Multiplier, "Price multiplier", "multiplier",
        "Factor applied to the option's prices when the event fires.", required=True,
        per_event=True)},
    impact_field="multiplier",
    stress_needs="multiplier",
)
