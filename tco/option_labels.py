"""Options as a reader knows them: the model's catalog name ('Gemini 4 Argon'), never the price
catalog's key ('google/gemini-4-argon'), for the decision's words and the backtest's lines."""

from __future__ import annotations

from typing import Any

import tco.catalog as catalog
import tco.options as options
import tco.prices as prices
from tco.errors import ScenarioError


def option_label(sc: Any, name: str) -> str:
    """An option as a reader knows it: the model's catalog name, the host or 'self-hosted' when
    two options serve the same model, else the option's name."""
    option = sc.options[name]
    base = _model_name(option) or name
    same = [other for other in sc.options if other != name
            and (_model_name(sc.options[other]) or other) == base]
    if not same:
        return base
    return f"{base} ({options.of(option).label.lower()})"


def _model_name(option: object) -> str | None:
    """The catalog name of the open weights or the closed model the option serves."""
    kind = options.of(option)
    weights = kind.weights(option)
    if weights:
        try:
            return catalog.model(weights).name
        except ScenarioError:
            return str(weights)
    key = kind.product(option)
    if key:
        try:
            return prices.lookup(key).name
        except ScenarioError:
            return str(key)
    return None
