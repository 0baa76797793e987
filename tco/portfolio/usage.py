"""Where each workload's traffic goes, per path, option and month: the kernel's own routing.

Pooling fleets and commitments across workloads needs how much traffic each option carried, not
only each strategy's cost: the kernel reports it (``usage`` on ``tco.kernel.run_prepared``), the
shares it billed and the multipliers on list price it billed them at (the price index, times a
vendor fine-tune's price factor while its service lasts), so no rule is written twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tco.kernel as kernel
import tco.views as views
from tco.draws import Shocks
from tco.load import Loaded
from tco.units import MONTHS_PER_YEAR


@dataclass
class Usage:
    """One workload's traffic on each option, for a batch of paths.

    Attributes
    ----------
    requests : (paths, months) requests a month, R (1 + g)^t
    share : (paths, options, months) share of the workload's traffic each option carries
    price_multiplier : (paths, options, months) what the kernel multiplied each option's list
        price by: its price index I(t), times a vendor fine-tune's price factor (1 - f + f m)
        while the service lasts (a fleet's: its GPU-hour price index)
    rows : the kernel's option rows (``tco.views.OptionRows``): per request cost, replica load
        factors, GPU prices, reservations
    signed : (options,) options in the strategy's mix (their reservations are owed)
    """

    requests: np.ndarray
    share: np.ndarray
    price_multiplier: np.ndarray
    rows: views.OptionRows
    signed: np.ndarray
    discount: np.ndarray
    """(paths, months) discount factors (1 + r)^-((t + 1) / 12)."""
    price_factor: np.ndarray
    """(paths,) the strategy's share of per-token bills its negotiated discount leaves to pay
    (``tco.views.Strategies.price_factor``, as the kernel bills them)."""

    def token_usd(self, j: int) -> np.ndarray:
        """Option j's per-token usage as the strategy is billed for it before any commitment,
        (paths, months): R(t) x share x one request's list cost x I(t) x a vendor fine-tune's
        price factor while its service lasts x the strategy's price factor: the kernel's own
        bill (``token_bill``), so a fine-tuned option in a pooled commitment counts its usage
        at the fine-tuned price.
        """
        return (self.requests * self.share[:, j] * self.rows.common.unit_usd[j][:, None]
                * self.price_multiplier[:, j] * self.price_factor[:, None])


def evaluate(sc: Loaded, x: dict[str, np.ndarray], shocks: Shocks, ev: views.Events | None = None
             ) -> tuple[kernel.KernelResult, Usage]:
    """One workload on a batch of paths (``sc`` holds one strategy): its monthly cost and its
    traffic on each option, both from the cost kernel.

    ``ev``: the events of these shocks (``tco.views.events``) where the caller has them; in a
    portfolio they are the shared risks' and the same for every workload. The kernel runs without
    the lock-in premium's no-event reference pass (a portfolio reports costs, not the premium),
    as ``tco.engine`` runs it.
    """
    paths, months = shocks.paths, sc.horizon_months
    w, per_path = views.workload(sc, x, paths)
    rows = views.option_rows(sc, x, per_path, paths)
    plan = views.strategies(sc, x, paths)
    ev = views.events(sc, x, shocks, paths) if ev is None else ev
    result = kernel.run_prepared(rows, plan, w, ev, views.extras(sc, x, paths), views.line_names(sc),
                                 months, True, reference=False, usage=True)
    share, multiplier = result.usage_share, result.usage_price_multiplier
    t = np.arange(months, dtype=float)
    requests = w.requests[:, None] * (1.0 + w.growth[:, None]) ** t[None, :]
    discount = (1.0 + w.discount_rate[:, None]) ** (-((t[None, :] + 1.0) / MONTHS_PER_YEAR))
    signed = np.zeros(len(sc.options), dtype=bool)
    signed[plan.mix_option[0][plan.mix_option[0] >= 0]] = True
    return result, Usage(requests, share, multiplier, rows, signed, discount, plan.price_factor[0])
