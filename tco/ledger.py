"""The event ledger: what vendors actually did to prices, models and licences, 2023 to the snapshot.

``tco/data/events.csv`` is built by ``tools/build_ledger.py`` from the hand-curated
``tco/data/events_curated.csv`` (retirements, fine-tuning withdrawals, releases, licence changes,
GPU rental price points, each with its source URL and as-of date), ``price_steps_curated.csv``
(steps genai-prices missed) and ``genai-prices`` (its dated price steps, successor multipliers);
``derived_from`` says which. Sizes carry their unit in the column name: price multipliers are new /
old price of a 3,000 input + 1,000 output token request (``price_multiplier_blend_3in_1out``),
notice is in months, GPU prices in USD per GPU-hour.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import namedtuple
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import tco.catalog as catalog
from tco.errors import ScenarioError

LEDGER_PATH = catalog.DATA_DIR / "events.csv"

KINDS: dict[str, str] = {
    "price_change": "List-price change on an existing model id",
    "retirement_announced": "Retirement announced (deprecation notice)",
    "retirement_effective": "Retirement effective (model shut down)",
    "finetune_withdrawal": "Fine-tuning withdrawn",
    "release_api": "Closed API model released (dated snapshot)",
    "release_open": "Open-weight release of a major family",
    "release_closed": "Closed release by an open-weight family's maker",
    "licence_change": "Licence change of an open-weight family",
    "gpu_price": "GPU rental price point",
}
"""Every event kind, with the label the CLI prints."""

DIRECTIONS = ("tightened", "loosened")
TEXT_COLUMNS = ("date", "provider", "model", "kind", "direction", "successor", "effective_date",
                "released", "note", "source", "as_of", "derived_from")
NUMBER_COLUMNS = ("price_multiplier_blend_3in_1out", "input_price_multiplier",
                  "output_price_multiplier", "successor_price_multiplier_blend_3in_1out",
                  "notice_months", "usd_per_gpu_hour")
DATE_COLUMNS = ("date", "effective_date", "released", "as_of")
COLUMNS = ("date", "provider", "model", "kind", "direction", "price_multiplier_blend_3in_1out",
           "input_price_multiplier", "output_price_multiplier", "successor",
           "successor_price_multiplier_blend_3in_1out", "notice_months", "effective_date",
           "released", "usd_per_gpu_hour", "note", "source", "as_of", "derived_from")
REQUIRED = ("date", "provider", "model", "kind", "source", "as_of", "derived_from")
FIRST_PARTY = ("openai", "anthropic", "google", "mistral", "deepseek", "x-ai")
"""Vendors selling their own closed models (the rest of the price_change rows are hosts)."""
START_DATE = dt.date(2023, 1, 1)
"""The ledger covers events from this date to its snapshot date."""

GAPS: tuple[str, ...] = (
    "Retirements: OpenAI, Anthropic, Mistral, Amazon Bedrock pages only (model-eol feed, 2026-08-18, "
    "Mistral 2026-09-08), Google's Gemini API release notes (2026-09-06; undated aliases have no release "
    "row); no xAI, DeepSeek, Cohere, Azure, Vertex pages; Meta's Llama API retirement as integrators quote it.",
    "Lifetimes: only closed API models whose release date is known (a date in the model id or a "
    "launch post) enter the population; undated aliases and 2026 models without a dated id "
    "(claude-opus-4-6 onwards, gpt-5.6-terra/luna) are missing, so recent exposure is short.",
    "Price changes: genai-prices' steps (first 2025-06; none in 2023-2024, when most cuts happened, such "
    "as gpt-4o-2024-08-06 at half of gpt-4o's launch price) and DeepSeek's 2025-09-05 repricing and "
    "2025-09-29 cut; resellers and steps after the snapshot left out.",
    "Successor multipliers: the replacement is the one the vendor's page names today, which for "
    "old retirements can be a model released after the shutdown; unpriced models drop out.",
    "Fine-tuning withdrawals: OpenAI (2023-07 GPT-3 base models, 2024-08 training on babbage-002 and "
    "davinci-002, 2026-04 six models, 2026-05 self-serve wind-down), Google (2025-05, last tunable model).",
    "GPU prices: 13 scattered points from secondary sources, not a quarterly series; no B200, "
    "no spot or multi-year prices, no quarter has all three GPUs.",
    "Licences: Llama, Qwen, Mistral, DeepSeek, Gemma, gpt-oss; no Stability, Falcon, Phi, Cohere, Nvidia.",
)
"""What the ledger does not hold, for the coverage report."""


def _error(row: int, column: str, rule: str) -> ScenarioError:
    # Row numbers count the header as line 1, so they match what an editor shows.
    return ScenarioError(f"events.csv line {row + 2}, column {column}", rule)


def _parse_date(text: str, row: int, column: str) -> dt.date | None:
    if text == "":
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _error(row, column, f"'{text}' is not an ISO date (YYYY-MM-DD)") from None


def validate(frame: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """Check a raw ledger (all columns as strings) and return it typed and sorted by date.

    Dates become ``datetime.date`` (or None), number columns floats (NaN where empty).
    Raises ``ScenarioError`` naming the line and column of the first bad value.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ScenarioError("events.csv", f"missing columns: {', '.join(missing)}")
    raw = frame.loc[:, list(COLUMNS)].fillna("").astype(str).apply(lambda s: s.str.strip())
    records = []
    for i, row in enumerate(raw.to_dict("records")):
        for column in REQUIRED:
            if row[column] == "":
                raise _error(i, column, "must not be empty")
        if row["kind"] not in KINDS:
            hint = catalog.close_matches(row["kind"], tuple(KINDS))
            raise _error(i, "kind", f"unknown kind '{row['kind']}'"
                         + (f" (did you mean {', '.join(hint)})" if hint else ""))
        if not row["source"].startswith(("http://", "https://")):
            raise _error(i, "source", "must be a URL starting with http:// or https://")
        out: dict[str, object] = dict(row)
        for column in DATE_COLUMNS:
            out[column] = _parse_date(row[column], i, column)
        for column in NUMBER_COLUMNS:
            text = row[column]
            try:
                value = float(text) if text else float("nan")
            except ValueError:
                raise _error(i, column, f"'{text}' is not a number") from None
            if column == "notice_months" and text and not value >= 0:
                raise _error(i, column, "must be 0 or more")
            if column != "notice_months" and text and not value > 0:
                raise _error(i, column, "must be greater than 0")
            out[column] = value
        date, as_of = out["date"], out["as_of"]
        if date < START_DATE:
            raise _error(i, "date", f"{date} is before the ledger's start {START_DATE}")
        if as_of < date:
            raise _error(i, "as_of", f"{as_of} is before the event date {date}")
        if today is not None and as_of > today:
            raise _error(i, "as_of", f"{as_of} is in the future")
        if out["effective_date"] is not None and out["effective_date"] < date:
            raise _error(i, "effective_date", "must not be before the announcement date")
        if out["released"] is not None and out["released"] > date:
            raise _error(i, "released", "must not be after the event date")
        if row["kind"] == "licence_change" and row["direction"] not in DIRECTIONS:
            raise _error(i, "direction", f"must be one of {', '.join(DIRECTIONS)}")
        if row["kind"] == "gpu_price" and not out["usd_per_gpu_hour"] > 0:
            raise _error(i, "usd_per_gpu_hour", "a gpu_price row needs a price")
        if row["kind"] == "price_change" and not out["price_multiplier_blend_3in_1out"] > 0:
            raise _error(i, "price_multiplier_blend_3in_1out", "a price_change row needs a size")
        records.append(out)
    typed = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    return typed.sort_values(["date", "provider", "kind", "model"], kind="stable").reset_index(drop=True)


def read(path: Path | str) -> pd.DataFrame:
    """Read and validate a ledger CSV."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return validate(frame)


@cache
def _shipped() -> pd.DataFrame:
    return read(LEDGER_PATH)


def load() -> pd.DataFrame:
    """Return the shipped ledger (a copy: callers may change it freely)."""
    return _shipped().copy()


def snapshot_date(ledger: pd.DataFrame | None = None) -> dt.date:
    """The newest as-of date in the ledger: events after it cannot be in it."""
    frame = load() if ledger is None else ledger
    return max(frame["as_of"])


def events(provider: str | None = None, kind: str | None = None,
           ledger: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the ledger's rows, optionally of one provider and one kind, oldest first.

    An unknown provider or kind is a ``ScenarioError`` naming the close matches.
    """
    frame = load() if ledger is None else ledger
    if kind is not None and kind not in KINDS:
        hint = catalog.close_matches(kind, tuple(KINDS))
        label = "did you mean" if hint else "valid kinds are"
        raise ScenarioError("--kind", f"unknown kind '{kind}' ({label} {', '.join(hint or KINDS)})")
    if provider is not None:
        providers = tuple(sorted(set(frame["provider"])))
        if provider.lower() not in providers:
            hint = catalog.close_matches(provider, providers)
            label = "did you mean" if hint else "valid providers are"
            raise ScenarioError("--provider", f"unknown provider '{provider}' "
                                f"({label} {', '.join(hint or providers)})")
        frame = frame[frame["provider"] == provider.lower()]
    if kind is not None:
        frame = frame[frame["kind"] == kind]
    return frame.reset_index(drop=True)


def coverage(ledger: pd.DataFrame | None = None) -> pd.DataFrame:
    """Event counts by provider (rows) and kind (columns), with totals; zeros show the gaps."""
    frame = load() if ledger is None else ledger
    table = pd.crosstab(frame["provider"], frame["kind"])
    table = table.reindex(columns=list(KINDS), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    return table.astype(int)


def _missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def to_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: ISO dates, None for empty cells."""
    out = []
    for row in frame.to_dict("records"):
        clean: dict[str, object] = {}
        for key, value in row.items():
            if isinstance(value, dt.date):
                clean[key] = value.isoformat()
            elif _missing(value):
                clean[key] = None
            else:
                clean[key] = value
        out.append(clean)
    return out


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Lines of a plain-text table: columns of numbers right-aligned, text left-aligned."""
    columns = list(zip(header, *rows, strict=True))
    widths = [max(len(str(x)) for x in col) for col in columns]
    numeric = [all(str(x)[:1].isdigit() or str(x) == "" for x in col[1:]) and len(col) > 1 for col in columns]
    def line(cells: list[str]) -> str:
        return "  ".join(str(c).rjust(w) if num else str(c).ljust(w)
                         for c, w, num in zip(cells, widths, numeric, strict=True)).rstrip()
    return [line(cells) for cells in (header, *rows)]


def format_events(frame: pd.DataFrame) -> str:
    """The rows as a readable table: date, provider, kind, model and the size the kind has."""
    def size(row: dict) -> str:
        for column, unit in (("price_multiplier_blend_3in_1out", "x price (3:1 blend)"),
                             ("usd_per_gpu_hour", "$/GPU-h"), ("direction", "")):
            value = row[column]
            if not _missing(value):
                return f"{value:g} {unit}" if isinstance(value, float) else str(value)
        parts = []
        if not _missing(row["notice_months"]):
            parts.append(f"notice {row['notice_months']:.1f} mo")
        if row["successor"]:
            multiplier = row["successor_price_multiplier_blend_3in_1out"]
            parts.append(f"-> {row['successor']}" + ("" if _missing(multiplier) else f" (x{multiplier:.2f})"))
        return ", ".join(parts)
    rows = [[r["date"].isoformat(), r["provider"], r["kind"], r["model"], size(r), r["source"]]
            for r in frame.to_dict("records")]
    lines = text_table(["date", "provider", "kind", "model", "size", "source"], rows)
    return "\n".join([*lines, f"{len(rows)} events"])


def successor_multipliers(led: pd.DataFrame | None = None, distinct: bool = True,
                          contemporary: bool = True) -> pd.Series:
    """Successor price / retired price (3:1 blend), one value per retirement.

    ``distinct`` keeps one value per (provider, successor, multiplier): aliases of one snapshot
    retired together count once. ``contemporary`` drops pairs whose successor (when its release
    date is in the ledger) came out after the shutdown: the vendor's page renamed the replacement.
    """
    led = load() if led is None else led
    col = "successor_price_multiplier_blend_3in_1out"
    announced = led[led["kind"] == "retirement_announced"]
    keys = set(zip(announced["provider"], announced["model"], strict=True))
    unannounced = np.array([k not in keys for k in zip(led["provider"], led["model"], strict=True)],
                           dtype=bool)
    effective_only = led[(led["kind"] == "retirement_effective").to_numpy() & unannounced]
    rows = pd.concat([announced, effective_only])
    rows = rows[rows[col].notna()]
    if contemporary:
        released = led[led["kind"] == "release_api"].set_index(["provider", "model"])["date"]
        shutdown = rows["effective_date"].where(rows["effective_date"].notna(), rows["date"])
        later = [released.get((p, s)) is not None and released.get((p, s)) > d
                 for p, s, d in zip(rows["provider"], rows["successor"], shutdown, strict=True)]
        rows = rows[~np.array(later, dtype=bool)]
    if distinct:
        rows = rows.assign(_m=rows[col].round(4)).drop_duplicates(["provider", "successor", "_m"])
    return rows[col].astype(float).reset_index(drop=True)


def price_change_sizes(led: pd.DataFrame | None = None, first_party_only: bool = False) -> pd.Series:
    """Multipliers of the recorded list-price changes (tier-only changes, exactly 1, left out)."""
    led = load() if led is None else led
    rows = led[(led["kind"] == "price_change")]
    if first_party_only:
        rows = rows[rows["provider"].isin(FIRST_PARTY)]
    values = rows["price_multiplier_blend_3in_1out"].astype(float)
    return values[(values - 1.0).abs() > 1e-9].reset_index(drop=True)


# The replay's view of the ledger (``tco.backtest``): what happened to one model, to a chain of
# successive models, or to an open-weight family, between two dates.

MAX_SUCCESSIONS = 50
"""A chain of successors longer than this is a loop in the ledger's successor names."""


@dataclass(frozen=True)
class LedgerEvent:
    """One ledger row as a simulator event: ``kind`` is the risk kind it becomes, ``size`` its price
    multiplier (1.0 for a licence turn); ``assumed`` marks a successor price the ledger lacks."""

    date: dt.date
    kind: str
    size: float
    model: str
    ledger_kind: str
    detail: str
    source: str
    assumed: bool = False


_Model = namedtuple("_Model", ["released", "retired", "successor", "successor_multiplier",
                               "retirement_kind", "retirement_source", "price_changes"])
"""What the ledger says of one model: release, retirement (the shutdown's date, the named
successor, its price multiplier, the row's kind and source) and its price changes."""


def _family_name(release: str) -> str:
    """'llama-3.3' -> 'llama', 'qwen3' -> 'qwen', 'gpt-oss' -> 'gpt-oss', 'mistral-large-2' ->
    'mistral-large': the leading words of a release name, version numbers dropped."""
    first, *rest = release.split("-")
    words = [first.rstrip("0123456789.")]
    for word in rest:
        if not word.isalpha():
            break
        words.append(word)
    return "-".join(words)


class Timeline:
    """The ledger indexed by model and family, for replaying what happened between two dates."""

    def __init__(self, led: pd.DataFrame | None = None) -> None:
        self.frame = load() if led is None else led
        f = self.frame
        self.snapshot = snapshot_date(f)
        lifecycle = f[f["kind"].isin(("release_api", "retirement_announced", "retirement_effective"))]
        self.observed_until = {str(p): d for p, d in lifecycle.groupby("provider")["as_of"].max().items()}
        self.models = {(str(p), str(m)): self._model(rows)
                       for (p, m), rows in f.groupby(["provider", "model"], sort=False)}
        self.opens = f[f["kind"] == "release_open"]

    @staticmethod
    def _model(rows: pd.DataFrame) -> _Model:
        released = rows.loc[rows["kind"] == "release_api", "date"]
        effective = rows[rows["kind"] == "retirement_effective"]
        announced = rows[(rows["kind"] == "retirement_announced") & rows["effective_date"].notna()]
        # The shutdown itself where the ledger has it, else the date its announcement gave.
        retirement = effective.iloc[0] if len(effective) else announced.iloc[0] if len(announced) else None
        retired = None if retirement is None else retirement[
            "date" if retirement["kind"] == "retirement_effective" else "effective_date"]
        prices = rows[rows["kind"] == "price_change"]
        changes = tuple(zip(prices["date"], prices["price_multiplier_blend_3in_1out"].astype(float),
                            prices["source"], strict=True))
        if retirement is None:
            return _Model(min(released) if len(released) else None, None, "", math.nan, "", "", changes)
        return _Model(min(released) if len(released) else None, retired, str(retirement["successor"]),
                      float(retirement["successor_price_multiplier_blend_3in_1out"]),
                      str(retirement["kind"]), str(retirement["source"]), changes)

    def match_catalog(self, key: str) -> str | None:
        """The ledger's 'provider/model' for a price-catalog key: the same id, or its only dated
        snapshot ('claude-haiku-4-5' -> 'claude-haiku-4-5-20251001'); None when absent or ambiguous."""
        provider, _, model = key.partition("/")
        if (provider, model) in self.models:
            return key
        dated = [m for p, m in self.models if p == provider and m.startswith(model + "-")
                 and m[len(model) + 1:].replace("-", "").isdigit()]
        return f"{provider}/{dated[0]}" if len(dated) == 1 else None

    def family_of_model(self, model_key: str) -> str | None:
        """The open-weight family ('meta/llama') of a model-catalog key ('llama-3.3-70b'): the
        longest open release whose name starts the key; None when none or two makers match."""
        names = [(str(p), str(m)) for p, m in zip(self.opens["provider"], self.opens["model"], strict=True)
                 if model_key == m or model_key.startswith((f"{m}-", f"{m}."))]
        if not names:
            return None
        longest = max(len(m) for _, m in names)
        found = {f"{p}/{_family_name(m)}" for p, m in names if len(m) == longest}
        return found.pop() if len(found) == 1 else None

    def chain_events(self, chain: tuple[str, ...], start: dt.date, stop: dt.date) -> list[LedgerEvent]:
        """Events on an API option that ran the models of ``chain`` ('provider/model') in turn,
        from ``start`` to before ``stop``.

        The option runs the first model not yet retired at ``start`` (past the chain's end, the
        successor the ledger names). Its price changes apply while it runs; its retirement forces a
        migration to the chain's next model, or to the ledger's named successor after the last one.
        """
        entries, events, since = list(chain), [], start
        current, k, seen = entries[0], 0, set()
        for _ in range(MAX_SUCCESSIONS):
            record = self.models.get(tuple(current.split("/", 1)))
            if record is None or current in seen:
                break
            seen.add(current)
            events += [LedgerEvent(day, "price_change", size, current, "price_change",
                                   f"{current} list price", source)
                       for day, size, source in record.price_changes if since <= day < stop]
            if record.retired is None or record.retired >= stop:
                break
            successor = self._next(entries, k, current, record)
            if record.retired >= start:  # retired inside the window: a forced migration
                assumed = math.isnan(record.successor_multiplier)
                events.append(LedgerEvent(
                    record.retired, "deprecation", 1.0 if assumed else record.successor_multiplier,
                    current, record.retirement_kind,
                    f"{current} retired, moved to {successor or 'no named successor'}",
                    record.retirement_source, assumed))
            if not successor:
                break
            current, since, k = successor, max(start, record.retired), k + 1
        return events

    @staticmethod
    def _next(entries: list[str], k: int, current: str, record: _Model) -> str:
        """The model after ``current``: the chain's next entry, else the ledger's named successor."""
        if k + 1 < len(entries):
            return entries[k + 1]
        provider = current.split("/", 1)[0]
        return f"{provider}/{record.successor}" if record.successor else ""

    def family_events(self, family: str, start: dt.date, stop: dt.date) -> list[LedgerEvent]:
        """Restrictive turns of an open-weight family ('meta/llama') from ``start`` to before
        ``stop``: its licences tightened, and flagships its maker shipped closed."""
        provider, _, prefix = family.partition("/")
        f = self.frame
        mine = (f["provider"] == provider) & (f["date"] >= start) & (f["date"] < stop)
        tightened = mine & (f["kind"] == "licence_change") & (f["direction"] == "tightened") & (
            f["model"].str.startswith(prefix) if prefix else True)
        closed = mine & (f["kind"] == "release_closed")
        rows = f[tightened | closed]
        return [LedgerEvent(r.date, "licence_change", 1.0, f"{r.provider}/{r.model}", r.kind,
                            f"{r.provider} {r.model}: " + ("licence tightened" if r.kind == "licence_change"
                                                           else "shipped closed"), r.source)
                for r in rows.itertuples()]

    def live_models(self, day: dt.date, until: dt.date) -> list[str]:
        """Closed API models released by ``day``, not retired before it, whose provider's pages
        were read on or after ``until`` (so a retirement before then would be in the ledger)."""
        return [f"{p}/{m}" for (p, m), r in self.models.items()
                if r.released is not None and r.released <= day
                and (r.retired is None or r.retired >= day) and self.observed_until.get(p, day) >= until]
