"""licence_change: the open-weight family stops releasing openly; escalation to the fallback grows.

A fact about the family: a maker that stops releasing Llama openly does so for every option serving
Llama weights, self-hosted or hosted, so a line naming two of them fires once for both.
"""

from __future__ import annotations

from tco.fields import Share
from tco.risks.base import Effect, RiskField, RiskKind

KIND = RiskKind(
    name="licence_change",
    label="Licence change",
    phrase="licence changes",
    help="The open-weight family stops releasing openly: the deployed weights keep running, but the "
         "share of traffic escalated to the fallback grows by a rate per month, up to a cap.",
    effects=Effect.ESCALATE,
    applies_to=("self_hosted", "hosted_open"),
    fields={"escalation_per_month": RiskField(
                Share, "Escalation per month", "fraction per month",
                "Extra share of requests escalated each month after the change.", required=True),
            "escalation_cap": RiskField(
                Share, "Escalation cap", "fraction 0-1",
                "Largest share of requests the change can push to the fallback.", default=1.0)},
    needs_fallback=True,
    escalation_fields=("escalation_per_month", "escalation_cap"),
    counted_once=True,
    stress_needs="escalation_per_month",
    fact_about="family",
)
