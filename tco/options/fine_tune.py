"""Fine-tuning on an option: what one run costs, and what the pipeline or service costs a month.

A run trains ``dataset_tokens`` x ``epochs`` tokens at the option's price per million tokens
trained, then pays the scenario's evaluation and engineering per run. An owned pipeline on a
self-hosted option carries adapters across releases of one family, so a run after an upgrade
pays (1 - adapter_portability) of the training; a vendor's service on an API option bills
hosting by the hour while it carries traffic and prices fine-tuned tokens at a multiple.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
from pydantic import Field

from tco.fields import Model, NonNegative, Share, quantity
from tco.options.rows import Row
from tco.options.table import OptionInputs
from tco.sections import DOCUMENTED
from tco.units import HOURS_PER_MONTH, TOKENS_PER_MTOK

NONE, OWNED, VENDOR = 0, 1, 2
"""The kernel's codes: no fine-tuning, an owned pipeline, a vendor's service."""


class OwnedFineTune(Model):
    """An owned fine-tuning pipeline on a self-hosted option."""

    model_config = DOCUMENTED
    usd_per_mtok_trained: NonNegative = Field(
        description="Training cost per million tokens trained.")
    setup_usd: NonNegative = Field(0.0, description="One-off cost to stand up the owned pipeline.")
    usd_per_month: NonNegative = Field(0.0, description="Monthly cost of the owned pipeline while in "
                                       "use.")
    adapter_portability: Share = Field(
        0.0, description="Share of training a release upgrade within the family saves (adapters "
        "carried over; fraction 0-1).")



class VendorFineTune(Model):
    """A vendor's fine-tuning service on an API option."""

    model_config = DOCUMENTED
    usd_per_mtok_trained: NonNegative = Field(
        description="Training cost per million tokens trained.")
    hosting_usd_per_hour: NonNegative = Field(
        0.0, description="Vendor's hourly fee to host the fine-tuned model.")
    price_multiplier: quantity(ge=0.0, le=1e3) = Field(
        1.0, description="Token price of the fine-tuned model over the base model's.")
    traffic_share: Share = Field(1.0, description="Share of the option's traffic served by the "
                                 "fine-tuned model.")




Tuning = namedtuple("Tuning", [
    "kind", "every", "run_usd", "upgrade_run_usd", "month_usd", "setup_usd", "share", "price_factor"])
"""Fine-tuning: ``kind`` (``NONE``, ``OWNED`` or ``VENDOR``), ``every`` months between scheduled
runs, a run's cost and the run's after a release upgrade, the monthly platform cost and setup,
and a vendor's fine-tuned traffic share and price factor (1 - share + share x multiplier)."""

TUNING = Row(Tuning, codes={"kind": int, "every": int}, ones=("every", "price_factor"))


def fill(rows: Any, j: int, get: OptionInputs, x: dict[str, np.ndarray],
         sc: Any, tune: OwnedFineTune | VendorFineTune | None) -> None:
    """Write row ``j`` of the fine-tuning record (left at rest without ``fine_tune:``).

    Notes
    -----
    run = dataset_tokens x epochs / 1e6 x usd_per_mtok_trained + eval_usd_per_run
          + engineer_weeks_per_run x usd_per_engineer_week;
    the run after a release upgrade replaces the training term's factor 1 by
    (1 - adapter_portability). Monthly: an owned pipeline's usd_per_month; a vendor's hosting
    x 730 h. A vendor's fine-tuned share f of traffic at price multiplier m makes the option's
    token bill (1 - f + f m) times the base one while the service lasts.
    """
    if tune is None or sc.fine_tuning is None:
        return
    training = (x["fine_tuning.dataset_tokens"] * x["fine_tuning.epochs"] / TOKENS_PER_MTOK
                * get("fine_tune.usd_per_mtok_trained"))
    fixed = (x["fine_tuning.eval_usd_per_run"]
             + x["fine_tuning.engineer_weeks_per_run"] * x["switching.usd_per_engineer_week"])
    rows.tuning.every[j] = sc.fine_tuning.retrain_every_months
    rows.tuning.run_usd[j] = training + fixed
    if isinstance(tune, OwnedFineTune):
        rows.tuning.kind[j] = OWNED
        rows.tuning.upgrade_run_usd[j] = training * (1.0 - get("fine_tune.adapter_portability")) + fixed
        rows.tuning.month_usd[j] = get("fine_tune.usd_per_month")
        rows.tuning.setup_usd[j] = get("fine_tune.setup_usd")
        rows.tuning.price_factor[j] = 1.0
    else:
        rows.tuning.kind[j] = VENDOR
        rows.tuning.upgrade_run_usd[j] = training + fixed
        rows.tuning.month_usd[j] = get("fine_tune.hosting_usd_per_hour") * HOURS_PER_MONTH
        share = get("fine_tune.traffic_share")
        rows.tuning.share[j] = share
        rows.tuning.price_factor[j] = 1.0 - share + share * get("fine_tune.price_multiplier")
