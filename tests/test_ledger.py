"""The event ledger parses, its dates are real and ordered, every row has a source, bad rows fail
with one line naming the line and column, and the genai-prices rows are reproducible."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import subprocess
import sys

import pandas as pd
import pytest

import tco.hazards as hazards
import tco.ledger as ledger
from tco.errors import ScenarioError
from tests.conftest import ROOT


def row(**values: str) -> dict[str, str]:
    base = {c: "" for c in ledger.COLUMNS}
    base.update(date="2024-01-10", provider="openai", model="m", kind="price_change",
                price_multiplier_blend_3in_1out="0.5", source="https://example.com/p",
                as_of="2024-02-01", derived_from="curated")
    base.update(values)
    return base


def frame(*rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(ledger.COLUMNS))


def test_the_shipped_ledger_parses_and_is_big_enough() -> None:
    led = ledger.load()
    assert len(led) >= 80
    assert led["provider"].nunique() >= 8
    assert min(led["date"]) >= dt.date(2023, 1, 1)
    assert max(led["date"]) <= ledger.snapshot_date(led)


def test_dates_are_real_ordered_and_no_later_than_as_of() -> None:
    led = ledger.load()
    dates = list(led["date"])
    assert dates == sorted(dates)
    assert all(isinstance(d, dt.date) for d in dates)
    assert (led["as_of"] >= led["date"]).all()
    effective = led.dropna(subset=["effective_date"])
    assert (effective["effective_date"] >= effective["date"]).all()


def test_every_row_has_a_source_url_and_a_provenance() -> None:
    led = ledger.load()
    assert led["source"].str.match(r"https?://\S+$").all()
    assert (led["derived_from"] != "").all()


def test_every_kind_the_issue_names_is_present() -> None:
    counts = ledger.load()["kind"].value_counts()
    for kind in ledger.KINDS:
        assert counts.get(kind, 0) > 0, kind
    gpus = set(ledger.events(kind="gpu_price")["model"])
    assert {"h100-sxm", "h200"} <= gpus and any(g.startswith("a100") for g in gpus)
    families = set(ledger.events(kind="release_open")["provider"])
    assert {"meta", "mistral", "alibaba", "deepseek", "google", "openai"} <= families


def test_sizes_carry_their_units_and_are_positive() -> None:
    led = ledger.load()
    changes = ledger.events(kind="price_change", ledger=led)
    assert changes["price_multiplier_blend_3in_1out"].gt(0).all()
    assert changes["derived_from"].str.startswith(("genai-prices", "curated price table")).all()
    assert ledger.events(kind="gpu_price", ledger=led)["usd_per_gpu_hour"].gt(0).all()
    assert led["notice_months"].dropna().ge(0).all()


def test_o3_price_cut_is_read_from_genai_prices() -> None:
    """genai-prices lists o3 at $10/$40 per Mtok, then $2/$8 from 2025-06-10: every blend is 0.2."""
    o3 = ledger.events("openai", "price_change")
    step = o3[(o3["model"] == "o3") & (o3["date"] == dt.date(2025, 6, 10))]
    assert len(step) == 1
    assert step["price_multiplier_blend_3in_1out"].iloc[0] == pytest.approx(0.2)
    assert step["input_price_multiplier"].iloc[0] == pytest.approx(0.2)


def test_deepseek_2025_09_05_repricing_is_sized_from_its_price_table() -> None:
    """DeepSeek's pricing page: from 2025-09-05 both models bill $0.56 input and $1.68 output per
    Mtok (cache hits $0.07). The 3:1 request (3,000 in + 1,000 out) cost deepseek-chat
    3,000 x 0.27 + 1,000 x 1.10 = 1,910 (per 1e6 USD) before and 3,000 x 0.56 + 1,000 x 1.68 =
    3,360 after: x1.7592; deepseek-reasoner 3,000 x 0.55 + 1,000 x 2.19 = 3,840 before: x0.8750."""
    step = ledger.events("deepseek", "price_change")
    step = step[step["date"] == dt.date(2025, 9, 5)].set_index("model")
    assert sorted(step.index) == ["deepseek-chat", "deepseek-reasoner"]
    chat, reasoner = step.loc["deepseek-chat"], step.loc["deepseek-reasoner"]
    assert chat["price_multiplier_blend_3in_1out"] == pytest.approx(3360 / 1910, abs=5e-5)
    assert chat["input_price_multiplier"] == pytest.approx(0.56 / 0.27, abs=5e-5)
    assert chat["output_price_multiplier"] == pytest.approx(1.68 / 1.10, abs=5e-5)
    assert reasoner["price_multiplier_blend_3in_1out"] == pytest.approx(3360 / 3840, abs=5e-5)
    assert reasoner["output_price_multiplier"] == pytest.approx(1.68 / 2.19, abs=5e-5)
    assert set(step["derived_from"]) == {"curated price table"}
    assert set(step["source"]) == {"https://api-docs.deepseek.com/quick_start/pricing"}


def test_a_curated_price_step_genai_prices_also_records_is_refused(tmp_path) -> None:
    """A step in both sources would count twice in the price-change hazard: the build stops."""
    spec = importlib.util.spec_from_file_location("build_ledger", ROOT / "tools" / "build_ledger.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    table = tmp_path / "steps.csv"
    shipped = build.CURATED_PRICES.read_text(encoding="utf-8")
    assert len(build.curated_price_rows(set(), build.CURATED_PRICES)) == shipped.count("\n") - 1
    with pytest.raises(SystemExit, match="line 4: genai-prices already records "
                                         "deepseek/deepseek-chat on 2025-10-03"):
        build.curated_price_rows({("2025-10-03", "deepseek", "deepseek-chat")}, build.CURATED_PRICES)
    # The 2025-09-05 step alone (header and its two rows), whatever rows are added later.
    table.write_text("".join(shipped.splitlines(keepends=True)[:3]), encoding="utf-8")
    assert len(build.curated_price_rows(set(), table)) == 2
    with pytest.raises(SystemExit, match="steps.csv line 2: genai-prices already records "
                                         "deepseek/deepseek-chat on 2025-09-05"):
        build.curated_price_rows({("2025-09-05", "deepseek", "deepseek-chat")}, table)
    # The same step dated a day later (a 16:00 UTC switch) is the same step; a week and a day
    # later, or another model's, is not.
    with pytest.raises(SystemExit, match="deepseek/deepseek-chat on 2025-09-06"):
        build.curated_price_rows({("2025-09-06", "deepseek", "deepseek-chat")}, table)
    assert len(build.curated_price_rows({("2025-09-13", "deepseek", "deepseek-chat"),
                                         ("2025-09-05", "deepseek", "deepseek-coder")}, table)) == 2


def test_deepseek_2025_09_29_cut_is_sized_from_its_price_table() -> None:
    """V3.2-Exp ('API prices cut by 50%+'): both models go from the 2025-09-05 prices, $0.56 input
    and $1.68 output per Mtok, to $0.28 and $0.42. The 3:1 request cost 3,000 x 0.56 + 1,000 x 1.68
    = 3,360 (per 1e6 USD) before and 3,000 x 0.28 + 1,000 x 0.42 = 1,260 after: x0.375; input
    x0.5, output x0.25."""
    step = ledger.events("deepseek", "price_change")
    step = step[step["date"] == dt.date(2025, 9, 29)].set_index("model")
    assert sorted(step.index) == ["deepseek-chat", "deepseek-reasoner"]
    for _, cut in step.iterrows():
        assert cut["price_multiplier_blend_3in_1out"] == pytest.approx(1260 / 3360, abs=5e-5)
        assert cut["input_price_multiplier"] == pytest.approx(0.5, abs=5e-5)
        assert cut["output_price_multiplier"] == pytest.approx(0.25, abs=5e-5)
    assert set(step["derived_from"]) == {"curated price table"}
    assert set(step["source"]) == {"https://api-docs.deepseek.com/news/news250929"}


def test_a_gemini_model_counts_in_the_deprecation_hazards_exposure() -> None:
    """Gemini API release notes: gemini-3-pro-preview released 2025-11-18, its shutdown announced
    2026-02-26 (effective 2026-03-09). It is at risk of an announcement for 100 days, 100 / 365.25
    = 0.2738 model-years, ending in an event; of the shutdown for 111 days (0.3039). Notice: 11
    days / 30.4375 = 0.36 months. gemini-3.1-flash-lite (released 2026-05-07, never retired) is
    censored at Google's observation end, the release notes' copy of 2026-09-06: 122 days, no event."""
    announced = hazards.population(kind="retirement_announced").set_index("model")
    effective = hazards.population(kind="retirement_effective").set_index("model")
    pro = announced.loc["gemini-3-pro-preview"]
    assert (pro["released"], pro["end"], bool(pro["event"])) == (dt.date(2025, 11, 18),
                                                                  dt.date(2026, 2, 26), True)
    assert (pro["end"] - pro["released"]).days == 100
    rates = {r.provider: r for r in hazards.model_rates(kind="retirement_announced")}
    assert rates["google"].events == 11  # one of them this model's
    assert effective.loc["gemini-3-pro-preview", "end"] == dt.date(2026, 3, 9)
    lite = announced.loc["gemini-3.1-flash-lite"]
    assert (lite["end"], bool(lite["event"])) == (dt.date(2026, 9, 6), False)
    notice = ledger.events("google", "retirement_announced").set_index("model")
    assert notice.loc["gemini-3-pro-preview", "notice_months"] == pytest.approx(11 / 30.4375, abs=0.005)


def test_google_deprecation_rate_is_its_curated_rows_recounted() -> None:
    """Recount from the curated CSV alone: every Google ``release_api`` row is one model at risk
    from its release to its first announcement, else to the newest as-of of Google's lifecycle
    rows. The hazard code's Google rate must have the same events and model-years."""
    with open(ROOT / "tco" / "data" / "events_curated.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["provider"] == "google"]
    day = dt.date.fromisoformat
    lifecycle = [r for r in rows if r["kind"] in ("release_api", "retirement_announced")]
    window_end = max(day(r["as_of"]) for r in lifecycle)
    first = {}
    for r in rows:
        if r["kind"] == "retirement_announced":
            first[r["model"]] = min(first.get(r["model"], day(r["date"])), day(r["date"]))
    events, days = 0, 0
    for r in (r for r in rows if r["kind"] == "release_api"):
        end = first.get(r["model"], window_end)
        events += r["model"] in first
        days += (end - day(r["date"])).days
    assert (events, len([r for r in rows if r["kind"] == "release_api"])) == (11, 15)
    google = {r.provider: r for r in hazards.model_rates(kind="retirement_announced")}["google"]
    assert google.events == events
    assert google.exposure_years == pytest.approx(days / 365.25)


def test_notice_is_shutdown_minus_announcement_in_months() -> None:
    """claude-3-opus: announced 2025-06-30, shut down 2026-01-05: 189 days / 30.4375 = 6.21."""
    opus = ledger.events("anthropic", "retirement_announced")
    opus = opus[opus["model"] == "claude-3-opus-20240229"]
    assert opus["notice_months"].iloc[0] == pytest.approx(189 / 30.4375, abs=0.005)


def test_the_csv_is_what_the_builder_makes() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_ledger.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_events_filters_and_rejects_unknown_names() -> None:
    anthropic = ledger.events(provider="anthropic")
    assert set(anthropic["provider"]) == {"anthropic"}
    both = ledger.events(provider="Anthropic", kind="retirement_effective")
    assert set(both["kind"]) == {"retirement_effective"} and len(both) < len(anthropic)
    with pytest.raises(ScenarioError, match="did you mean retirement_announced"):
        ledger.events(kind="retirement_anounced")
    with pytest.raises(ScenarioError, match="unknown provider 'opnai'"):
        ledger.events(provider="opnai")


def test_coverage_counts_every_row_once() -> None:
    led = ledger.load()
    table = ledger.coverage(led)
    assert table.loc["total", "total"] == len(led)
    assert list(table.columns[:-1]) == list(ledger.KINDS)
    assert table.loc["openai", "retirement_announced"] == len(ledger.events("openai", "retirement_announced"))


def test_validate_sorts_and_types() -> None:
    out = ledger.validate(frame(row(date="2024-03-01", as_of="2024-03-02"), row()))
    assert list(out["date"]) == [dt.date(2024, 1, 10), dt.date(2024, 3, 1)]
    assert out["price_multiplier_blend_3in_1out"].dtype == float


@pytest.mark.parametrize(("values", "message"), [
    ({"date": "2024-02-30"}, "line 2, column date: '2024-02-30' is not an ISO date"),
    ({"date": "2022-12-31", "as_of": "2023-01-05"}, "column date: 2022-12-31 is before the ledger's start"),
    ({"as_of": "2024-01-09"}, "column as_of: 2024-01-09 is before the event date 2024-01-10"),
    ({"source": ""}, "column source: must not be empty"),
    ({"source": "vendor blog"}, "column source: must be a URL"),
    ({"kind": "price_chnge"}, "column kind: unknown kind 'price_chnge' (did you mean price_change"),
    ({"price_multiplier_blend_3in_1out": "cheap"}, "'cheap' is not a number"),
    ({"price_multiplier_blend_3in_1out": "-1"}, "must be greater than 0"),
    ({"price_multiplier_blend_3in_1out": ""}, "a price_change row needs a size"),
    ({"kind": "licence_change", "direction": "sideways"}, "column direction: must be one of"),
    ({"kind": "gpu_price"}, "column usd_per_gpu_hour: a gpu_price row needs a price"),
    ({"effective_date": "2024-01-01"}, "column effective_date: must not be before"),
])
def test_bad_rows_fail_in_one_line_naming_line_and_column(values: dict[str, str], message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        ledger.validate(frame(row(**values)))
    text = str(caught.value)
    assert text.startswith("events.csv line 2, column ") and "\n" not in text
    assert message in text


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ScenarioError, match="missing columns: source"):
        ledger.validate(frame(row()).drop(columns=["source"]))


def test_records_are_json_ready() -> None:
    record = ledger.to_records(ledger.events(kind="gpu_price").head(1))[0]
    assert isinstance(record["date"], str) and record["successor"] is None
