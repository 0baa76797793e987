"""fine_tune_withdrawn: the vendor ends its fine-tuning service; fine-tuned traffic moves away."""

from __future__ import annotations

from tco.risks.base import Effect, RiskKind

KIND = RiskKind(
    name="fine_tune_withdrawn",
    label="Fine-tuning withdrawn",
    phrase="fine-tuning withdrawals",
    help="The vendor ends its fine-tuning service: the option's fine-tuned traffic moves to the "
         "strategy's fallback as with an exit (one switching cost and a fine-tune run there); "
         "its other traffic stays.",
    effects=Effect.WITHDRAW_FINE_TUNING,
    applies_to=("api",),
    needs_fallback=True,
    counted_once=True,
    requires="fine_tune",
)
