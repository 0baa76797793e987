"""Closed-API token prices from the bundled ``genai-prices`` snapshot.

The package ships a snapshot of provider price pages; its network updater is never started here,
so prices only change when the pinned version in ``requirements.txt`` changes. Prices can be tiered
per request (crossing a prompt-length threshold re-prices the whole request), so an option is priced
by one representative request of the scenario's shape, and monthly cost is that times the request
count: never a month of tokens passed as one giant request.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from tco.catalog import close_matches
from tco.errors import ScenarioError
from tco.units import TOKENS_PER_MTOK

if TYPE_CHECKING:
    from genai_prices.data_snapshot import DataSnapshot

PRICE_DATE = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
"""Prices are evaluated at this fixed instant so results do not drift with the wall clock."""

LISTED_PROVIDERS = ("openai", "anthropic", "google", "mistral", "deepseek", "meta", "x-ai",
                    "together", "fireworks", "groq")
"""Providers that ``python -m tco catalog prices`` lists (the snapshot holds 47)."""


@cache
def package_version() -> str:
    """The installed genai-prices version (read once: every catalog price's source names it)."""
    return metadata.version("genai-prices")


@dataclass(frozen=True)
class ApiPrice:
    """Per-million-token prices of one model for one request shape."""

    key: str
    name: str
    input_usd_per_mtok: float
    cached_input_usd_per_mtok: float
    output_usd_per_mtok: float
    batch_discount: float
    source: str
    as_of: str
    scheduled_changes: tuple[str, ...] = ()
    cache_write_usd_per_mtok: float | None = None
    change_dates: tuple[dt.date, ...] = ()
    """Dates after ``PRICE_DATE`` on which the snapshot's prices for this model change."""
    checked: str | None = None
    """When the price catalog's maintainers last checked this model's prices against the vendor
    (``prices_checked`` upstream), where ``tco/data/prices_checked.csv`` records it."""


@cache
def _checked() -> dict[str, tuple[str, str]]:
    """{'provider/model': (prices_checked date, where it is recorded)}. The package drops the
    upstream YAML's per-model ``prices_checked``; rows are copied from the YAML version whose prices
    equal the bundled ones, so the date belongs to these prices. Where no such YAML version holds
    the model, a row may come from the vendor's own page showing the bundled prices, dated no
    later than the page can be."""
    with (Path(__file__).parent / "data" / "prices_checked.csv").open(newline="",
                                                                     encoding="utf-8") as handle:
        return {r["key"]: (r["prices_checked"], r["source"]) for r in csv.DictReader(handle)}


SNAPSHOT_AS_OF = {"0.2.3": "2026-11-09"}
"""``snapshot_as_of()`` of the pinned genai-prices versions, so that a scenario pricing nothing
from the catalog (every run needs the date for its default start month) does not load the 10 MB
snapshot for one date; another version computes it. A test recomputes the installed one."""


@cache
def snapshot_as_of() -> str:
    """Return the date of the newest dated price in the snapshot that is not after PRICE_DATE."""
    known = SNAPSHOT_AS_OF.get(package_version())
    return known if known is not None else computed_snapshot_as_of()


def computed_snapshot_as_of() -> str:
    """``snapshot_as_of`` read from the snapshot itself."""
    latest = dt.date(2000, 1, 1)
    for provider in _snapshot().providers:
        for model in provider.models:
            for start in _start_dates(model):
                if latest < start <= PRICE_DATE.date():
                    latest = start
    return latest.isoformat()


def _start_dates(model: object) -> list[dt.date]:
    prices = getattr(model, "prices", None)
    if not isinstance(prices, list):
        return []
    found = []
    for conditional in prices:
        start = getattr(getattr(conditional, "constraint", None), "start_date", None)
        if isinstance(start, dt.datetime):
            start = start.date()
        if isinstance(start, dt.date):
            found.append(start)
    return found


def _split(key: str, field: str) -> tuple[str, str]:
    if "/" not in key:
        raise ScenarioError(field, f"must be 'provider/model', got '{key}'")
    provider, model = key.split("/", 1)
    return provider.strip().lower(), model.strip()


def _snapshot() -> DataSnapshot:
    """The bundled price snapshot. genai_prices (and the HTTP client it imports) loads on the first
    catalog look-up, not with the engine: 10 MB that a scenario without ``catalog:`` never needs."""
    from genai_prices import data_snapshot  # noqa: PLC0415 - see the docstring

    return data_snapshot.get_snapshot()


@cache
def _known_keys() -> tuple[str, ...]:
    return tuple(f"{p.id}/{m.id}" for p in _snapshot().providers for m in p.models)


def lookup(key: str, input_tokens: float = 1000.0, output_tokens: float = 300.0,
           field: str = "catalog", when: dt.datetime = PRICE_DATE) -> ApiPrice:
    """Price one representative request of ``key`` ('provider/model') and return per-Mtok prices.

    Notes
    -----
    ``input_usd_per_mtok`` = price(request with no cache hits) input part / input tokens x 1e6, and
    likewise for cached input (every input token read from cache) and output. The batch discount
    is 1 - batch price / standard price of the same request, 0 where the provider has no batch price.
    """
    from genai_prices import Usage, calc_price  # noqa: PLC0415 - see _snapshot

    provider, model_ref = _split(key, field)
    tokens_in = max(int(round(input_tokens)), 1)
    tokens_out = max(int(round(output_tokens)), 1)
    try:
        plain = calc_price(Usage(input_tokens=tokens_in, output_tokens=tokens_out),
                           model_ref=model_ref, provider_id=provider,
                           genai_request_timestamp=when)
    except LookupError:
        hint = close_matches(f"{provider}/{model_ref}", _known_keys())
        tail = f" (did you mean {', '.join(hint)})" if hint else ""
        raise ScenarioError(field, f"unknown API model '{key}'{tail}") from None
    cached = calc_price(Usage(input_tokens=tokens_in, cache_read_tokens=tokens_in,
                              output_tokens=tokens_out),
                        model_ref=model_ref, provider_id=provider, genai_request_timestamp=when)
    try:
        written = calc_price(Usage(input_tokens=tokens_in, cache_write_tokens=tokens_in,
                                   output_tokens=tokens_out),
                             model_ref=model_ref, provider_id=provider, genai_request_timestamp=when)
        cache_write = _per_mtok(written.input_price, tokens_in)
    except (LookupError, ValueError, TypeError):
        cache_write = None
    try:
        batch = calc_price(Usage(input_tokens=tokens_in, output_tokens=tokens_out),
                           model_ref=model_ref, provider_id=provider,
                           genai_request_timestamp=when, price_context={"processing": "batch"})
        batch_total = float(batch.total_price)
    except (LookupError, ValueError, TypeError):
        batch_total = float(plain.total_price)
    standard_total = float(plain.total_price)
    batch_discount = 0.0 if standard_total == 0 else max(0.0, 1.0 - batch_total / standard_total)
    urls = getattr(plain.provider, "pricing_urls", None) or []
    source = f"genai-prices {package_version()} snapshot" + (f" ({urls[0]})" if urls else "")
    future = sorted(d for d in _start_dates(plain.model) if d > PRICE_DATE.date())
    checked = _checked().get(f"{provider}/{plain.model.id}")
    if checked is not None:
        source += f"; prices last checked upstream on {checked[0]} ({checked[1]})"
    return ApiPrice(
        key=f"{provider}/{plain.model.id}",
        name=plain.model.name or plain.model.id,
        input_usd_per_mtok=_per_mtok(plain.input_price, tokens_in),
        cached_input_usd_per_mtok=_per_mtok(cached.input_price, tokens_in),
        output_usd_per_mtok=_per_mtok(plain.output_price, tokens_out),
        batch_discount=round(batch_discount, 6),
        source=source,
        as_of=checked[0] if checked is not None else snapshot_as_of(),
        scheduled_changes=tuple(f"price change scheduled for {d.isoformat()}" for d in future),
        cache_write_usd_per_mtok=cache_write,
        change_dates=tuple(future),
        checked=checked[0] if checked is not None else None,
    )


def _per_mtok(price: Decimal, tokens: int) -> float:
    # Decimal arithmetic keeps $3/Mtok exactly 3.0 rather than 2.9999999999999996.
    return float(Decimal(price) * Decimal(int(TOKENS_PER_MTOK)) / Decimal(tokens))


def listed_prices() -> list[ApiPrice]:
    """Return prices of every text model of the listed providers, for a 1,000-in / 300-out request."""
    rows = []
    for provider in _snapshot().providers:
        if provider.id not in LISTED_PROVIDERS:
            continue
        for model in provider.models:
            try:
                rows.append(lookup(f"{provider.id}/{model.id}"))
            except (ScenarioError, LookupError, ValueError, TypeError, KeyError):
                continue  # image, audio and search-only entries have no token price
    return rows
