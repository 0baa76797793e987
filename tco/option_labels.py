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
        return _catalog_name(catalog.model, weights)
    key = kind.product(option)
    return _catalog_name(prices.lookup, key) if key else None


def _catalog_name(lookup, key: str) -> str:
    """The name ``lookup(key)`` gives, or the key itself where the catalog does not hold it."""
    try:
        return lookup(key).name
    except ScenarioError:
        return str(key)


PROVIDER_NAMES = {"alibaba": "Alibaba", "anthropic": "Anthropic", "aws": "Amazon Bedrock",
                  "deepseek": "DeepSeek", "google": "Google", "meta": "Meta", "mistral": "Mistral",
                  "openai": "OpenAI", "x-ai": "xAI"}
"""The event ledger's provider keys as their companies write them (others are capitalised)."""


def vendor_name(provider: str) -> str:
    """A provider key as its company writes itself ('openai' -> 'OpenAI'; others capitalised)."""
    return PROVIDER_NAMES.get(provider, provider.capitalize())


def history_label(entry: str, families: bool) -> str:
    """A ledger history as a reader knows it: a model by the vendor's own id and the vendor
    ('gpt-4o-2024-05-13 (OpenAI)'), a family by its name ('the Llama family (Meta)'), never the
    ledger's key ('meta/llama')."""
    provider, _, name = entry.partition("/")
    vendor = vendor_name(provider)
    if families:
        return f"the {name[:1].upper() + name[1:]} family ({vendor})"
    return f"{name} ({vendor})"
