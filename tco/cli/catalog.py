"""``catalog``: the reference data with sources: GPUs, models, API prices, benchmarks, events."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

import tco.catalog as catalog
import tco.fx as fx
import tco.prices as prices
from tco.cli.common import say, strict_json, with_meta
from tco.errors import ScenarioError

CATALOG_CURRENCY = "USD"
"""Every price in the reference data is in US dollars, whatever a scenario's currency."""
OPTION_SCOPE = {"--provider": ("prices", "events"), "--search": ("prices",), "--kind": ("events",)}
"""Which catalogs each filter applies to."""
PRICE_COLUMNS = ("provider", "model", "name", "input_usd_per_mtok", "cached_input_usd_per_mtok",
                 "output_usd_per_mtok", "cache_write_usd_per_mtok", "batch_discount", "as_of",
                 "scheduled_changes")
_DATE = "date, YYYY-MM-DD"
PRICE_BASIS = "per 1M tokens for a 1,000-in / 300-out request"
UNIT_PARTS = (
    ("_usd_per_mtok", "USD per 1M tokens"), ("usd_per_gpu_hour", "USD per GPU-hour"),
    ("_usd_per_gpu", "USD per GPU"), ("_gb_per_s", "GB/s each way"), ("_tb_per_s", "TB/s"),
    ("_gb", "GB"), ("_tflops", "TFLOPS, dense"), ("kw_per_gpu", "kW per GPU"), ("_kw", "kW"),
    ("units_per_eur", "units of the currency per euro"),
    ("per_usd", "units of the currency per US dollar"), ("_params_b", "billion parameters"),
    ("_tokens", "tokens"), ("_ms", "milliseconds"),
    ("tokens_per_s_per_gpu", "output tokens/s per GPU"), ("_months", "months"),
    ("discount", "fraction 0-1 off the standard price"), ("_multiplier", "multiplier"),
    ("_multiplier_blend_3in_1out", "multiplier of a 3-in / 1-out token blend"),
    ("share_bf16", "fraction 0-1 of the datasheet peak"),
    ("share_fp8", "fraction 0-1 of the datasheet peak"), ("_share", "fraction 0-1"),
    ("mau_threshold", "monthly active users"), ("as_of", _DATE), ("date", _DATE),
    ("released", _DATE), ("release", _DATE), ("measured", "output tokens/s per GPU"),
    ("predicted", "output tokens/s per GPU"), ("ratio", "measured / predicted"),
)
"""Units read from column names, which carry them: the longest part of the name listed here wins
('usd_per_gpu_hour_reserved_1y' is USD per GPU-hour, 'interconnect_gb_per_s' GB/s)."""


def catalog_command(args: argparse.Namespace) -> int:
    which = args.which
    for option, scope in OPTION_SCOPE.items():
        if getattr(args, option.removeprefix("--")) is not None and which not in scope:
            raise ScenarioError(option, f"applies to catalog {' and '.join(scope)}, not {which}")
    if which == "prices":
        return _prices(args)
    if which == "events":
        import tco.ledger as ledger  # noqa: PLC0415 - the ledger loads only when asked for
        frame = ledger.events(provider=args.provider, kind=args.kind)
        if args.json:
            _print_json("events", ledger.to_records(frame), frame.columns)
        else:
            say(ledger.format_events(frame))
        return 0
    if which == "benchmarks":
        import tco.published as published  # noqa: PLC0415
        table = published.table()
        loso = published.loso_table()
        if args.json:
            _print_json("benchmarks", _records(table), table.columns,
                        summary=_records(published.summary()),
                        leave_one_source_out=_records(published.loso_summary(loso)),
                        leave_one_source_out_by_source=_records(published.loso_by_source(loso)))
            return 0
        with pd.option_context("display.max_rows", None, "display.max_columns", None,
                               "display.width", 250, "display.max_colwidth", 40):
            say(table.drop(columns=["source"]).to_string(index=False))
            say("")
            say(published.summary().to_string(index=False))
            say("\nLeave one source out: each source judged by factors fitted without it (external "
                "sources, never fitted, by the fit on the whole table):")
            say(published.loso_summary(loso).round(3).to_string(index=False))
            say("")
            say(published.loso_by_source(loso).round(3).to_string(index=False))
        return 0
    if which == "currencies":
        frame = pd.DataFrame([vars(fx.reference(code)) for code in fx.known()])
        if args.json:
            _print_json(which, _records(frame), frame.columns)
        else:
            _print_wide(frame)
        return 0
    rows = catalog.gpus() if which == "gpus" else catalog.models()
    frame = pd.DataFrame([vars(row) for row in rows.values()])
    if args.json:
        _print_json(which, _records(frame), frame.columns)
        return 0
    _print_wide(frame)
    return 0


def _prices(args: argparse.Namespace) -> int:
    listed = price_list(args.provider, args.search)
    frame = pd.DataFrame([{"provider": p.key.split("/", 1)[0], "model": p.key.split("/", 1)[1],
                           **{k: v for k, v in vars(p).items() if k != "key"}} for p in listed],
                         columns=[*PRICE_COLUMNS, "source"])
    if args.json:
        _print_json("prices", _records(frame), frame.columns, as_of=prices.snapshot_as_of(),
                    genai_prices_version=prices.package_version(), basis=PRICE_BASIS)
        return 0
    frame["scheduled_changes"] = frame["scheduled_changes"].map("; ".join)
    say(f"API prices from genai-prices {prices.package_version()}, snapshot as of "
        f"{prices.snapshot_as_of()}, {PRICE_BASIS}")
    if frame.empty:
        wanted = " and ".join(f"{name} '{value}'" for name, value in
                              (("provider", args.provider), ("search", args.search)) if value)
        say(f"no API model matches {wanted}")
        return 0
    _print_wide(frame)
    return 0


def price_list(provider: str | None = None, search: str | None = None) -> list[prices.ApiPrice]:
    """The listed providers' prices, or every priced model of ``provider``, optionally only the
    models whose id or name contains ``search`` (any case).

    Raises
    ------
    ScenarioError
        ``provider`` is not in the price snapshot: the message lists the providers it has.
    """
    from genai_prices import data_snapshot  # noqa: PLC0415 - the snapshot loads only when asked for

    if provider is None:
        listed = prices.listed_prices()
    else:
        known = {p.id: p for p in data_snapshot.get_snapshot().providers}
        wanted = provider.strip().lower()
        if wanted not in known:
            hint = catalog.close_matches(wanted, tuple(known))
            close = f"did you mean {', '.join(hint)}; " if hint else ""
            raise ScenarioError("--provider", f"unknown provider '{provider}' ({close}known providers "
                                f"are {', '.join(sorted(known))})")
        listed = []
        for model in known[wanted].models:
            try:
                listed.append(prices.lookup(f"{wanted}/{model.id}"))
            except (ScenarioError, LookupError, ValueError, TypeError, KeyError):
                continue  # image, audio and search-only entries have no token price
    if search:
        needle = search.lower()
        listed = [p for p in listed
                  if needle in p.key.split("/", 1)[1].lower() or needle in p.name.lower()]
    return listed


def unit_of(column: str) -> str | None:
    """The unit a column name carries ('input_usd_per_mtok' -> 'USD per 1M tokens'), or None."""
    matches = [(len(part), unit) for part, unit in UNIT_PARTS if part in column]
    return max(matches)[1] if matches else None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON values: None for empty cells, tuples as lists."""
    frame = frame.astype(object).where(frame.notna(), None)
    return [{k: list(v) if isinstance(v, tuple) else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _print_json(name: str, records: list[dict[str, Any]], columns: Any, **extra: Any) -> None:
    units = {str(c): unit for c in columns if (unit := unit_of(str(c))) is not None}
    say(strict_json(with_meta({name: records, **extra}, CATALOG_CURRENCY, units)))


def _print_wide(frame: pd.DataFrame) -> None:
    with pd.option_context("display.max_rows", None, "display.max_columns", None,
                           "display.width", 250, "display.max_colwidth", 80):
        say(frame.to_string(index=False))
