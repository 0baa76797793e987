"""The capacity model's rules, each against a number computed by hand in the docstring.

The model beside every published result (fit and hold-out) is in tests/test_published.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines
from tco.errors import ScenarioError

GIB = 2**30


def test_kv_cache_follows_the_weights_and_can_be_overridden() -> None:
    """Llama 3.1 70B caches 2 x 80 layers x 8 heads x 128 = 163,840 values per token: 163,840 B
    in FP8 (FP8 and NVFP4 checkpoints declare an FP8 KV cache), 327,680 B in BF16."""
    kw = dict(model="llama-3.1-70b", gpu="h200", input_tokens=999, output_tokens=1)
    fp8, fp4 = capacity.plan(precision="fp8", **kw), capacity.plan(precision="fp4", gpus=1, **kw)
    assert (fp8.kv_cache_precision, fp4.kv_cache_precision) == ("fp8", "fp8")
    assert fp8.kv_cache_gb_per_sequence == pytest.approx(163_840 * 1000 / 1e9)
    bf16_kv = capacity.plan(precision="fp8", kv_cache_precision="bf16", **kw)
    assert bf16_kv.kv_cache_gb_per_sequence == pytest.approx(327_680 * 1000 / 1e9)
    assert capacity.plan(precision="bf16", **kw).kv_cache_precision == "bf16"
    with pytest.raises(ScenarioError, match="kv_cache_precision: h200 has no fp4"):
        capacity.plan(precision="fp8", kv_cache_precision="fp4", **kw)


def test_weight_only_formats_run_on_gpus_that_cannot_compute_them() -> None:
    """gpt-oss-120b in MXFP4-class 4-bit: 117e9 x 0.5625 B = 65.8 GB, under one H100's 80 GiB;
    the GEMMs run in FP8 on Hopper and in BF16 on Ampere (no FP8 units)."""
    p = capacity.plan(model="gpt-oss-120b", gpu="h100-sxm", precision="fp4", input_tokens=1000,
                      output_tokens=300, gpus=1)
    assert p.weights_gb == pytest.approx(117 * 0.5625)
    assert capacity.compute_precision(catalog.gpu("h100-sxm"), "fp4") == "fp8"
    assert capacity.compute_precision(catalog.gpu("a100-80gb"), "int4") == "bf16"
    assert capacity.compute_precision(catalog.gpu("b200"), "fp4") == "fp4"


def test_refused_only_when_one_full_request_does_not_fit() -> None:
    """TensorRT-LLM gives the KV cache 90% of what the weights leave. One H100 with Llama 70B in
    FP8: (80 GiB - 70.6 GB) x 0.9 = 13.77 GB; a 128 + 2,048-token request reserves
    2,176 x 163,840 B = 356.5 MB, so the batch is floor(13.77e9 / 356.5e6) = 38 (NVIDIA ran this).
    Llama 405B in FP8 (405 GB) on 4 x 80 GiB = 343.6 GB cannot hold even the weights."""
    p = capacity.plan(model="llama-3.1-70b", gpu="h100-sxm", precision="fp8", gpus=1, input_tokens=128,
                      output_tokens=2048)
    free = (80 * GIB - 70.6e9) * 0.9
    assert p.max_batch == int(free // (2176 * 163_840)) == 38
    assert p.bound.startswith("KV-cache memory")
    with pytest.raises(ScenarioError, match=r"^gpu: llama-3.1-405b in fp8 does not fit 4 x h100-sxm"):
        capacity.plan(model="llama-3.1-405b", gpu="h100-sxm", precision="fp8", gpus=4, input_tokens=100,
                      output_tokens=100)


def test_engine_limits() -> None:
    """vLLM allows 1,024 sequences on GPUs of >= 70 GiB except A100 (256 there). TensorRT-LLM's
    8,192 tokens per step hold B decode + B x 2048/128 prefill tokens: B <= 8192 / 17 = 481."""
    vllm = engines.engine("vllm")
    assert vllm.sequence_cap(catalog.gpu("h100-sxm")) == 1024
    assert vllm.sequence_cap(catalog.gpu("a100-80gb")) == 256
    p = capacity.plan(model="llama-3.1-8b", gpu="h200", precision="fp8", gpus=1, input_tokens=2048,
                      output_tokens=128)
    assert p.max_batch == 8192 // 17 == 481
    assert p.bound.startswith("engine token budget")
    capped = capacity.plan(model="llama-3.1-8b", gpu="h200", precision="fp8", gpus=1, input_tokens=10,
                           output_tokens=100, serving_engine="vllm")
    assert capped.max_batch == 1024 and capped.serving_engine == "vllm"
    with pytest.raises(ScenarioError, match="^x.serving_engine: unknown serving engine 'tgi'"):
        capacity.plan(model="llama-3.1-8b", gpu="h200", precision="fp8", input_tokens=10, output_tokens=10,
                      serving_engine="tgi", field="x")


def test_allreduce_by_hand() -> None:
    """Llama 70B on 8 x H100, 100 tokens: each of 2 x 80 all-reduces moves 100 x 8192 x 2 B =
    1.6384 MB; a ring sends 2 x 7/8 of it out of every GPU at 450 GB/s: 6.3716 us; 160 of them
    1.01945 ms. Each also pays 2 x 7 hops of latency: 160 x 14 x 1 us = 2.24 ms at 1 us a hop."""
    m, g = catalog.model("llama-3.1-70b"), catalog.gpu("h100-sxm")
    assert capacity.allreduce_seconds(m, g, 8, np.array([100.0]))[0] == pytest.approx(1.019449e-3, rel=1e-5)
    assert capacity.allreduce_seconds(m, g, 8, np.array([100.0]), 1.0)[0] == pytest.approx(
        1.019449e-3 + 2.24e-3, rel=1e-5)
    assert capacity.allreduce_seconds(m, g, 1, np.array([100.0]))[0] == 0.0


def test_batch_one_decode_reads_the_weights_and_kv() -> None:
    """Llama 3.1 8B in BF16 on one H100, batch 1, mean context 1000 + 150: the step reads
    16.06 GB of weights plus 1,150 x 131,072 B of KV at 3.35 TB/s x the memory efficiency."""
    m, g = catalog.model("llama-3.1-8b"), catalog.gpu("h100-sxm")
    eff = capacity.EFFICIENCY
    t = capacity.step_seconds(m, g, "bf16", "bf16", 1, np.array([1.0]), np.array([0.0]), (1000, 300), eff)
    by_hand = (8.03e9 * 2 + 1150 * 131_072) / (3.35e12 * eff.memory)
    assert t[0] == pytest.approx(by_hand, rel=1e-9)
    assert capacity.regime(m, g, "bf16", "bf16", 1, 1, (1000, 300)) == "decode memory-bound"


def test_tighter_latency_shrinks_the_batch() -> None:
    kw = dict(model="llama-3.1-8b", gpu="h100-sxm", precision="bf16", gpus=1, input_tokens=1000,
              output_tokens=300)
    loose, tight = capacity.plan(max_inter_token_ms=100, **kw), capacity.plan(max_inter_token_ms=20, **kw)
    assert tight.max_batch <= loose.max_batch
    assert tight.output_tokens_per_s <= loose.output_tokens_per_s
    assert tight.inter_token_ms <= 20 + 1e-9
    assert tight.bound.startswith("latency target")
    with pytest.raises(ScenarioError, match="^max_inter_token_ms: 1 ms cannot be met"):
        capacity.plan(max_inter_token_ms=1, **kw)


def test_cost_optimal_size_is_the_cheapest_candidate() -> None:
    """The chosen size has the fewest GPU-seconds per request among candidates that fit; gpus pins."""
    kw = dict(model="qwen3-235b-a22b", gpu="h200", precision="fp8", input_tokens=2000, output_tokens=500)
    p = capacity.plan(**kw)
    feasible = [(c[2], c[0]) for c in p.candidates if c[2] is not None]
    assert (p.gpus) == min(feasible)[1]
    assert p.why.startswith(f"{p.gpus} x h200")
    smallest = min(c[0] for c in p.candidates if c[1])
    assert smallest == 2  # 235 GB of FP8 weights need 2 x 141 GiB
    pinned = capacity.plan(gpus=2, **kw)
    assert pinned.gpus == 2 and "pinned" in pinned.why
    seconds = dict((c[0], c[2]) for c in p.candidates)
    assert pinned.replica_seconds_per_request(2000, 500) * 2 == pytest.approx(seconds[2], rel=1e-9)


def test_moe_reads_fewer_weights_at_small_batch() -> None:
    """At one token a MoE reads its active parameters; at 4,096 tokens nearly all of them."""
    m = catalog.model("qwen3-235b-a22b")
    reads = capacity.weights_read_params(m, np.array([1.0, 4096.0]))
    assert reads[0] == pytest.approx(22e9, rel=1e-9)
    assert reads[1] == pytest.approx(235e9, rel=1e-3)


def test_mla_decodes_over_the_latent() -> None:
    """DeepSeek-V3 decode: 2 x 61 layers x 128 heads x (576 + 512) per attended token."""
    m = catalog.model("deepseek-v3")
    assert capacity.attention_flops_per_token(m, 1.0, decode=True) == pytest.approx(2 * 61 * 128 * 1088)
    assert capacity.attention_flops_per_token(m, 1.0) == pytest.approx(2 * 61 * 128 * (192 + 128))


def test_throughput_band_and_replica_time() -> None:
    """Band = exp(-/+1.645 sd) of the regime; one request holds the replica output x ITL / B."""
    p = capacity.plan(model="llama-3.1-70b", gpu="h100-sxm", precision="fp8", input_tokens=1000,
                      output_tokens=300, max_inter_token_ms=50)
    sd = capacity.REGIME_LOG_SD[p.regime]
    assert p.throughput_log_sd == sd
    assert p.throughput_band == pytest.approx((np.exp(-1.6448536 * sd), np.exp(1.6448536 * sd)))
    assert p.replica_seconds_per_request(1000, 300) == pytest.approx(
        300 * p.inter_token_ms / 1000 / p.max_batch, rel=1e-9)
    assert p.regime in capacity.REGIMES


def test_unknown_format_names_the_field() -> None:
    with pytest.raises(ScenarioError, match=r"^o\.precision: must be one of 'bf16', 'fp8', 'fp4', 'int4'"):
        capacity.plan(model="llama-3.1-8b", gpu="h100-sxm", precision="fp16", input_tokens=1,
                      output_tokens=1, field="o")
