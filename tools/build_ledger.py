"""Build ``tco/data/events.csv``, the event ledger, from its two sources.

    .venv/bin/python tools/build_ledger.py          # rewrite tco/data/events.csv
    .venv/bin/python tools/build_ledger.py --check  # exit 1 if the file on disk differs

Sources
-------
``tco/data/events_curated.csv``
    Hand-curated rows, each with its own source URL and as-of date: retirement announcements
    (with the shutdown date and the vendor-named replacement), fine-tuning withdrawals, closed-API
    model releases (the population whose lifetimes the hazards use), open and closed releases and
    licence changes of the open-weight families, and GPU rental price points.
``tco/data/price_steps_curated.csv``
    List-price steps genai-prices never recorded (DeepSeek's 2025-09-05 repricing), transcribed
    from the vendor's own price table: the input, cached-input and output prices per million tokens
    before and after, with the source URL and as-of date. A step genai-prices also records is
    refused, so no step counts twice.
The installed ``genai-prices`` package
    Its dated price history (``ConditionalPrice`` entries with a ``start_date``) gives every
    ``price_change`` row, and its prices give each retirement's successor price multiplier. Prices
    are read through ``calc_price``, never copied by hand, so a new pinned version rebuilds the
    ledger with one command.

What the script adds to the curated rows
----------------------------------------
- ``notice_months`` = (shutdown - announcement) in days / 30.4375;
- a ``retirement_effective`` row for every announced retirement whose shutdown date is on or
  before its source's as-of date (a scheduled shutdown is not yet an event);
- ``successor_price_multiplier_blend_3in_1out`` = price of one request of 3,000 input and 1,000
  output tokens on the replacement / the same request on the retired model, both priced on the
  shutdown date (or the price instant of ``tco.prices`` when that is earlier). The replacement is
  the one the vendor's page names at the source's as-of date, which for old retirements can be a
  model released later than the shutdown;
- ``price_change`` rows: for every dated step on or before the snapshot's as-of date, the same
  request priced the day before and on the day. A step that leaves the 3:1 request unchanged is
  kept only if it changes a 300,000 + 100,000 token request (a long-context tier change).
  OpenRouter and QuickSilverPro are left out: they resell other vendors' models and their 243
  dated steps would swamp the first-party record;
- a ``price_change`` row for every curated price step, sized on the same 3:1 request from its
  before and after prices (cached input does not enter the 3:1 request, as in genai-prices' rows).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from pathlib import Path

from genai_prices import Usage, calc_price, data_snapshot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tco.prices as prices  # noqa: E402  (the repository root must be on the path first)
from tco.units import TOKENS_PER_MTOK  # noqa: E402

CURATED = ROOT / "tco" / "data" / "events_curated.csv"
CURATED_PRICES = ROOT / "tco" / "data" / "price_steps_curated.csv"
LEDGER = ROOT / "tco" / "data" / "events.csv"
COLUMNS = ["date", "provider", "model", "kind", "direction", "price_multiplier_blend_3in_1out",
           "input_price_multiplier", "output_price_multiplier", "successor",
           "successor_price_multiplier_blend_3in_1out", "notice_months", "effective_date",
           "released", "usd_per_gpu_hour", "note", "source", "as_of", "derived_from"]
RESELLERS = ("openrouter", "quicksilverpro")
BLEND_INPUT_TOKENS, BLEND_OUTPUT_TOKENS = 3_000, 1_000
LONG_INPUT_TOKENS, LONG_OUTPUT_TOKENS = 300_000, 100_000
DAYS_PER_MONTH = 365.25 / 12
# genai-prices names some providers differently from the ledger.
PRICE_PROVIDER = {"aws": "aws"}


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)


def _request_usd(provider: str, model: str, when: dt.datetime, tokens_in: int = BLEND_INPUT_TOKENS,
                 tokens_out: int = BLEND_OUTPUT_TOKENS) -> tuple[float, float, float, str] | None:
    """(total, input part, output part, matched model id) of one request, or None if unpriced."""
    try:
        price = calc_price(Usage(input_tokens=tokens_in, output_tokens=tokens_out), model_ref=model,
                           provider_id=PRICE_PROVIDER.get(provider, provider),
                           genai_request_timestamp=min(when, prices.PRICE_DATE))
    except (LookupError, ValueError, TypeError, KeyError):
        return None
    total = float(price.total_price)
    return (total, float(price.input_price), float(price.output_price), price.model.id) if total > 0 else None


def _ratio(new: float, old: float) -> str:
    return f"{new / old:.4f}" if old > 0 else ""


PARTNER_PAGES = {"google": "cloud.google.com/vertex-ai"}
"""Where a provider prices other vendors' models (Claude on Vertex AI): not its own models' page."""


def _pricing_url(provider: str, model: str, urls: list[str]) -> str:
    """The provider's pricing page for a model: its first URL, except for a partner model (one not
    of the provider's own families, such as Claude sold by Google), whose page is the cloud's."""
    own = {"google": ("gemini", "gemma", "imagen", "veo", "text-embedding", "learnlm")}.get(provider)
    if own and not model.startswith(own):
        return next((u for u in urls if PARTNER_PAGES[provider] in u), urls[0])
    return urls[0]


def price_change_rows() -> list[dict[str, str]]:
    """One row per dated price step of the installed genai-prices snapshot."""
    as_of = prices.snapshot_as_of()
    version = prices.package_version()
    rows = []
    for provider in data_snapshot.get_snapshot().providers:
        if provider.id in RESELLERS:
            continue
        urls = provider.pricing_urls or [""]
        for model in provider.models:
            url = _pricing_url(provider.id, model.id, urls)
            for day in sorted(set(prices._start_dates(model))):
                if day.isoformat() > as_of:
                    continue  # scheduled, not yet happened at the snapshot date
                before = _noon(day - dt.timedelta(days=1))
                old = _request_usd(provider.id, model.id, before)
                new = _request_usd(provider.id, model.id, _noon(day))
                if old is None or new is None or old[3] != model.id or new[3] != model.id:
                    continue  # audio, OCR or image entries have no token price
                blend = new[0] / old[0]
                note = "dated price step in genai-prices"
                if abs(blend - 1.0) < 1e-9:
                    long = (LONG_INPUT_TOKENS, LONG_OUTPUT_TOKENS)
                    long_old = _request_usd(provider.id, model.id, before, *long)
                    long_new = _request_usd(provider.id, model.id, _noon(day), *long)
                    if long_old is None or long_new is None or abs(long_new[0] / long_old[0] - 1) < 1e-9:
                        continue  # nothing a token bill sees changed
                    note = (f"long-context tier change: a 300k+100k request "
                            f"x{long_new[0] / long_old[0]:.3f}; the 3:1 request is unchanged")
                rows.append({"date": day.isoformat(), "provider": provider.id, "model": model.id,
                             "kind": "price_change", "price_multiplier_blend_3in_1out": f"{blend:.4f}",
                             "input_price_multiplier": _ratio(new[1], old[1]),
                             "output_price_multiplier": _ratio(new[2], old[2]),
                             "note": note, "source": url, "as_of": as_of,
                             "derived_from": f"genai-prices {version}"})
    return rows


def _blend_usd_per_request(input_usd_per_mtok: float, output_usd_per_mtok: float) -> float:
    """Price of the 3,000 input + 1,000 output token request, none of it cached."""
    tokens_usd = BLEND_INPUT_TOKENS * input_usd_per_mtok + BLEND_OUTPUT_TOKENS * output_usd_per_mtok
    return tokens_usd / TOKENS_PER_MTOK


SAME_STEP_DAYS = 7
"""How far apart a curated and a recorded price step of one model may be dated and still be one."""


def curated_price_rows(recorded: set[tuple[str, str, str]], path: Path = CURATED_PRICES
                       ) -> list[dict[str, str]]:
    """One ``price_change`` row per hand-transcribed price step; ``recorded`` holds the (date,
    provider, model) of genai-prices' steps, which a curated step must not repeat. A step it
    records within ``SAME_STEP_DAYS`` of the curated date is taken for the same step (a switch at
    16:00 UTC may be dated the next day), so the hazard rates never count one step twice."""
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line, raw in enumerate(csv.DictReader(handle), start=2):
            when = dt.date.fromisoformat(raw["date"])
            same = [d for d, provider, model in recorded
                    if (provider, model) == (raw["provider"], raw["model"])
                    and abs((dt.date.fromisoformat(d) - when).days) <= SAME_STEP_DAYS]
            if same:
                raise SystemExit(f"{path.name} line {line}: genai-prices already records "
                                 f"{raw['provider']}/{raw['model']} on {same[0]}; drop the curated row")
            price = {k: float(v) for k, v in raw.items() if k.endswith("_usd_per_mtok_before")
                     or k.endswith("_usd_per_mtok_after")}
            old = _blend_usd_per_request(price["input_usd_per_mtok_before"],
                                         price["output_usd_per_mtok_before"])
            new = _blend_usd_per_request(price["input_usd_per_mtok_after"],
                                         price["output_usd_per_mtok_after"])
            rows.append({"date": raw["date"], "provider": raw["provider"], "model": raw["model"],
                         "kind": "price_change", "price_multiplier_blend_3in_1out": _ratio(new, old),
                         "input_price_multiplier": _ratio(price["input_usd_per_mtok_after"],
                                                          price["input_usd_per_mtok_before"]),
                         "output_price_multiplier": _ratio(price["output_usd_per_mtok_after"],
                                                           price["output_usd_per_mtok_before"]),
                         "note": raw["note"], "source": raw["source"], "as_of": raw["as_of"],
                         "derived_from": "curated price table"})
    return rows


def _successor_multiplier(row: dict[str, str], when: dt.date) -> str:
    if not row.get("successor"):
        return ""
    old = _request_usd(row["provider"], row["model"], _noon(when))
    new = _request_usd(row["provider"], row["successor"], _noon(when))
    return _ratio(new[0], old[0]) if old and new else ""


def curated_rows() -> list[dict[str, str]]:
    """Curated rows, with notice, successor multipliers and effective retirements added."""
    version = prices.package_version()
    rows = []
    with open(CURATED, newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            row = {**raw, "derived_from": "curated"}
            if row["kind"] in ("retirement_announced", "finetune_withdrawal") and row["effective_date"]:
                announced = dt.date.fromisoformat(row["date"])
                days = (dt.date.fromisoformat(row["effective_date"]) - announced).days
                row["notice_months"] = f"{days / DAYS_PER_MONTH:.2f}"
            if row["kind"] in ("retirement_announced", "retirement_effective"):
                when = dt.date.fromisoformat(row["effective_date"] or row["date"])
                row["successor_price_multiplier_blend_3in_1out"] = _successor_multiplier(row, when)
                if row["successor_price_multiplier_blend_3in_1out"]:
                    row["derived_from"] = f"curated; successor multiplier from genai-prices {version}"
            rows.append(row)
            if (row["kind"] == "retirement_announced" and row["effective_date"]
                    and row["effective_date"] <= row["as_of"]):
                rows.append({**row, "kind": "retirement_effective", "date": row["effective_date"],
                             "notice_months": row.get("notice_months", "")})
    return rows


def build() -> list[dict[str, str]]:
    steps = price_change_rows()
    recorded = {(r["date"], r["provider"], r["model"]) for r in steps}
    rows = curated_rows() + steps + curated_price_rows(recorded)
    for row in rows:
        for column in COLUMNS:
            row.setdefault(column, "")
    rows.sort(key=lambda r: (r["date"], r["provider"], r["kind"], r["model"]))
    return [{c: r[c] for c in COLUMNS} for r in rows]


def render(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if events.csv is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        stale = not LEDGER.exists() or LEDGER.read_text(encoding="utf-8") != text
        print("events.csv is stale: run tools/build_ledger.py" if stale else "events.csv is up to date")
        return 1 if stale else 0
    LEDGER.write_text(text, encoding="utf-8")
    print(f"wrote {LEDGER.relative_to(ROOT)}: {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
