"""Catalogs carry a source and a parseable as-of date on every row; lookups fail helpfully."""

from __future__ import annotations

import datetime as dt

import pytest

from tco import catalog, prices
from tco.capacity import kv_bytes_per_sequence
from tco.errors import ScenarioError

REQUIRED_MODELS = ("llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "llama-3.3-70b", "llama-4-scout",
                   "llama-4-maverick", "qwen3-32b", "qwen3-235b-a22b", "deepseek-v3", "gpt-oss-120b",
                   "mistral-large-3", "gemma-3-27b")
REQUIRED_GPUS = ("a100-80gb", "h100-sxm", "h200", "b200", "l40s", "mi300x")


@pytest.mark.parametrize("table", [catalog.gpus, catalog.models, catalog.benchmarks,
                                   catalog.external_benchmarks],
                         ids=["gpus", "models", "benchmarks", "external_benchmarks"])
def test_every_row_has_source_and_date(table) -> None:
    for key, row in table().items():
        assert row.source.strip(), key
        dt.date.fromisoformat(row.as_of)
        assert key == key.lower() and " " not in key


def test_required_rows_present() -> None:
    assert set(REQUIRED_MODELS) <= set(catalog.models())
    assert set(REQUIRED_GPUS) <= set(catalog.gpus())


def test_kv_cache_sizes_by_hand() -> None:
    """Llama 3.1 70B: 2 x 80 layers x 8 KV heads x 128 x 2 bytes = 327,680 B = 320 KiB per token.
    DeepSeek-V3 MLA: 576 values x 61 layers x 2 bytes = 70,272 B. gpt-oss-120b at 1,000 tokens:
    18 full layers x 1,000 + 18 window layers x 128 tokens, 2 x 8 x 64 x 2 = 2,048 B per layer-token."""
    assert kv_bytes_per_sequence(catalog.model("llama-3.1-70b"), 1) == 327_680
    assert kv_bytes_per_sequence(catalog.model("deepseek-v3"), 1) == 70_272
    assert kv_bytes_per_sequence(catalog.model("gpt-oss-120b"), 1000) == pytest.approx(
        2048 * (18 * 1000 + 18 * 128))


def test_b200_is_the_hgx_part() -> None:
    """HGX B200: 62 TB/s per 8-GPU system = 7.7 TB/s per GPU (8 TB/s is the GB200 GPU's figure)."""
    assert catalog.gpu("b200").memory_bandwidth_tb_per_s == 7.7
    assert catalog.gpu("b200").memory_gb == 180


def test_purchase_prices_are_chip_prices_and_typical_prices_say_how_they_were_formed() -> None:
    for g in catalog.gpus().values():
        if g.purchase_usd_per_gpu is not None:
            assert "GPU chip only" in g.price_source, g.key
        assert g.typical_price_basis, g.key
        if "midpoint" in g.typical_price_basis:
            assert "derived" in g.typical_price_basis and "derived" in g.price_source, g.key


def test_mistral_large_3_follows_deepseek_v3() -> None:
    """vLLM's MistralLarge3ForCausalLM subclasses DeepseekV3ForCausalLM: MLA with a 576 latent."""
    m, d = catalog.model("mistral-large-3"), catalog.model("deepseek-v3")
    assert (m.kv_latent_dim, m.layers, m.experts, m.hidden_size) == (d.kv_latent_dim, d.layers, d.experts,
                                                                      d.hidden_size)
    assert "DeepseekV3ForCausalLM" in m.source


def test_as_of_is_not_older_than_a_cited_date() -> None:
    """A row's as_of is at least every ISO date its source text cites."""
    import re
    for table in (catalog.gpus, catalog.models, catalog.benchmarks, catalog.external_benchmarks):
        for key, row in table().items():
            cited = re.findall(r"\b(20\d\d-\d\d-\d\d)\b", row.source)
            assert all(c <= row.as_of for c in cited), (key, cited, row.as_of)


def test_unknown_keys_list_close_matches() -> None:
    with pytest.raises(ScenarioError, match=r"gpu: unknown GPU 'h100' \(did you mean .*h100-sxm"):
        catalog.gpu("h100")
    with pytest.raises(ScenarioError, match=r"unknown model 'zzz' \(valid keys are deepseek-v3"):
        catalog.model("zzz")


def test_price_lookup_matches_the_published_list_price() -> None:
    """Claude Sonnet 4.6 lists $3 in, $0.30 cache read, $15 out, batch at half price."""
    p = prices.lookup("anthropic/claude-sonnet-4-6", 1500, 350)
    assert (p.input_usd_per_mtok, p.cached_input_usd_per_mtok, p.output_usd_per_mtok) == (3.0, 0.3, 15.0)
    assert p.batch_discount == 0.5
    dt.date.fromisoformat(p.as_of)
    assert "genai-prices" in p.source


def test_tiered_price_uses_the_request_shape() -> None:
    """GPT-5.5 bills the whole request at 2x input / 1.5x output above 272k prompt tokens."""
    short = prices.lookup("openai/gpt-5.5", 1000, 300)
    long = prices.lookup("openai/gpt-5.5", 300_000, 300)
    assert long.input_usd_per_mtok == pytest.approx(2 * short.input_usd_per_mtok)
    assert long.output_usd_per_mtok == pytest.approx(1.5 * short.output_usd_per_mtok)


def test_scheduled_price_changes_are_reported() -> None:
    assert prices.lookup("google/gemini-4-argon").scheduled_changes == (
        "price change scheduled for 2026-12-01",)


def test_snapshot_date_is_the_latest_past_price_change() -> None:
    assert prices.snapshot_as_of() == "2026-11-09"
