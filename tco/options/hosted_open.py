"""Hosted open weights: an open-weight model served per token by a third party (Together,
Fireworks, DeepInfra, Groq, Bedrock...).

Billed like an API, but the lock-in differs: the same weights run at another host or on your own
GPUs, so a move between two options serving the same ``model`` costs only
``same_weights_switching_share`` of the migration effort (prompts, evaluations and adapters carry
over); the family's licence and release events reach it as they reach self-hosting; and a host
retires old models (``deprecation``) or leaves (``exit``) as an API vendor does.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

import tco.catalog as catalog
import tco.prices as prices
from tco.errors import ScenarioError
from tco.fields import Share, positive
from tco.options import tokens, track
from tco.options.base import Control, OptionKind
from tco.options.table import OptionInputs, Table
from tco.options.tokens import PRICE_FIELDS, TokenPrices
from tco.sections import DOCUMENTED, History, OtherCosts, ReleaseTrack, Text

SAME_WEIGHTS_SWITCHING_SHARE = 0.25
"""Share of a migration's effort a move between two options serving the same weights costs.
Judgement: prompts, evaluation suites and fine-tuned adapters carry over unchanged; what remains
is re-pointing the gateway, load and latency tests, and the new host's quotas and contracts."""


class HostedOpenOption(TokenPrices):
    """An open-weight model served per token by a third-party host."""

    model_config = DOCUMENTED
    kind: Literal["hosted_open"] = Field(
        description="'hosted_open': open weights served per token by a third-party host.")
    model: str = Field(description="Open-weight model key in the model catalog (python -m tco "
                       "catalog models); its family, licence and release track come from there.")
    provider: Text = Field(description="The host, as the price catalog names it ('together', "
                           "'fireworks', 'groq', 'deepinfra').")
    same_weights_switching_share: Share = Field(
        SAME_WEIGHTS_SWITCHING_SHARE, description="Share of a migration's effort that a move to or "
        "from another option serving the same model costs.")
    escalation_share: Share = Field(
        0.0, description="Share of requests the open model hands to the fallback.")
    release_track: ReleaseTrack | None = Field(
        None, description="The open-weight family's release schedule: the host offers each new "
        "version from its arrival month.")
    other_costs: OtherCosts = Field((), description="Named costs of this option beyond its token "
                                    "prices (platform staff, observability).")
    history: History = Field((), description="What the option really was over time, for the "
                             "backtest: a provider and family such as 'meta/llama'.")

    @property
    def fine_tune(self) -> None:
        """Hosts' fine-tuning services are not modelled on this kind."""
        return None

    def price_key(self) -> str | None:
        """The price catalog entry: ``catalog:``, else the host and the model where the snapshot
        lists them, else None (then the prices must be given)."""
        if self.catalog is not None:
            return self.catalog
        key = f"{self.provider}/{self.model}"
        try:
            prices.lookup(key)
        except ScenarioError:
            return None
        return key


def resolve(table: Table, name: str, o: HostedOpenOption, sc: Any, plans: dict[str, Any],
            warnings: list[str]) -> None:
    """Add the option's inputs: prices from the scenario, else the host's catalog entry."""
    prefix = f"options.{name}"
    catalog.model(o.model, f"{prefix}.model")
    key = o.price_key()
    if key is None:
        for field_name in ("input_usd_per_mtok", "output_usd_per_mtok"):
            if getattr(o, field_name) is None:
                raise ScenarioError(f"{prefix}.{field_name}", f"is required: the price catalog "
                                    f"lists no '{o.provider}/{o.model}' (give the host's prices "
                                    "or catalog: 'provider/model')")
    tokens.resolve(table, prefix, o, key, sc, warnings)
    table.fields(prefix, o, ("same_weights_switching_share", "escalation_share"))
    track.resolve(table, prefix, o.release_track, sc, warnings)


def fill(rows: Any, j: int, get: OptionInputs, w: dict[str, np.ndarray], option: HostedOpenOption,
         plan: None = None, profile: tuple[float, ...] | None = None) -> None:
    """Write row ``j``: the request's token price, the open family's escalation and track, and
    the share of migration effort a move between the same weights costs."""
    tokens.fill(rows, j, get, w)
    rows.common.escalates[j] = True
    rows.common.escalation_share[j] = get("escalation_share")
    rows.common.same_weights_share[j] = get("same_weights_switching_share")
    track.fill(rows, j, get, option.release_track)


def scheduled(name: str, o: HostedOpenOption, sc: Any, start: str, months: int
              ) -> list[tuple[int, float, str]]:
    """Announced price changes of the host's catalog entry within the horizon."""
    if o.catalog is None and any(getattr(o, f) is not None for f in PRICE_FIELDS):
        return []
    return tokens.scheduled(o.price_key(), o, sc, start, months)


KIND = OptionKind(
    name="hosted_open", label="Hosted open weights", one="a hosted open-weight option",
    plural="hosted open-weight options", model=HostedOpenOption, billing="tokens",
    resolve=resolve, fill=fill, rows=("common", "track"),
    describe=lambda o: f"{o.model} hosted by {o.provider}",
    history="families",
    controls=(Control("input_usd_per_mtok", "number", 1, 0, None, 0.05, "%.3f"),
              Control("output_usd_per_mtok", "number", 1, 0, None, 0.1, "%.3f"),
              Control("same_weights_switching_share", "slider", 100, 0, 100, 5, "%d")),
    scheduled=scheduled, weights=lambda o: o.model, track=lambda o: o.release_track,
    sends_to_fallback=lambda o: positive(o.escalation_share),
    vendor=lambda o: o.provider, family=track.family)
