"""The capacity model's rules, each against a number computed by hand in the docstring.

The model beside every published result (fit and hold-out) is in tests/test_published.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines
from tco.errors import ScenarioError

GIB = 2**30
RESERVE_B = capacity.EFFICIENCY.reserve_gb * 1e9
ROOFLINE = capacity.Efficiency(memory=0.75, compute=1.0)
"""Round factors, perfect overlap, datasheet links: the hand sums below use these."""


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
    """TensorRT-LLM gives the KV cache 90% of what the weights and the runtime's reserve r leave.
    One H100 with Llama 70B in FP8: (80 GiB - 70.6 GB - r) x 0.9 = 10.48 GB at r = 3.65 GB; a
    128 + 2,048-token request reserves 2,176 x 163,840 B = 356.5 MB, so the batch is
    floor(10.48e9 / 356.5e6) = 29. Llama 405B in FP8 (405 GB) on 4 x 80 GiB = 343.6 GB cannot hold
    even the weights."""
    p = capacity.plan(model="llama-3.1-70b", gpu="h100-sxm", precision="fp8", gpus=1, input_tokens=128,
                      output_tokens=2048)
    free = (80 * GIB - 70.6e9 - RESERVE_B) * 0.9
    assert p.max_batch == int(free // (2176 * 163_840)) == 29
    assert p.bound.startswith("KV-cache memory") and p.batch_bound == "KV-cache memory"
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
    assert p.bound.startswith("engine token budget") and p.batch_bound == "engine token budget"
    capped = capacity.plan(model="llama-3.1-8b", gpu="h200", precision="fp8", gpus=1, input_tokens=10,
                           output_tokens=100, serving_engine="vllm")
    assert capped.max_batch == 1024 and capped.serving_engine == "vllm"
    assert capped.batch_bound == "engine sequence cap"
    with pytest.raises(ScenarioError, match="^x.serving_engine: unknown serving engine 'tgi'"):
        capacity.plan(model="llama-3.1-8b", gpu="h200", precision="fp8", input_tokens=10, output_tokens=10,
                      serving_engine="tgi", field="x")


def test_allreduce_by_hand() -> None:
    """Llama 70B on 8 x H100, 100 tokens: each of 2 x 80 all-reduces moves 100 x 8192 x 2 B =
    1.6384 MB; a ring sends 2 x 7/8 of it out of every GPU at 450 GB/s: 6.3716 us, or 10.6193 us
    at 0.6 of the link. Latency (NCCL Ring/LL): 6.6 us + 14 steps x 0.6 us = 15.0 us. So 160 x
    21.3716 us = 3.41945 ms, and 160 x 25.6193 us = 4.09908 ms at 0.6 of the link.
    16 GPUs span 2 nodes: 28 NVLink steps and 2 network steps, 6.6 + 16.8 + 5.4 = 28.8 us, and the
    50 GB/s network bounds the ring: 2 x 15/16 x 1.6384 MB / 50 GB/s = 61.44 us; 160 x 90.24 us.
    L40S over PCIe (32 GB/s, 1.0 us a step): 160 x (89.6 + 20.6) us = 17.632 ms."""
    m, g = catalog.model("llama-3.1-70b"), catalog.gpu("h100-sxm")
    tokens = np.array([100.0])
    assert capacity.allreduce_seconds(m, g, 8, tokens)[0] == pytest.approx(3.419449e-3, rel=1e-6)
    assert capacity.allreduce_seconds(m, g, 8, tokens, 0.6)[0] == pytest.approx(4.099081e-3, rel=1e-6)
    assert capacity.allreduce_seconds(m, g, 16, tokens)[0] == pytest.approx(160 * 90.24e-6, rel=1e-9)
    assert capacity.allreduce_seconds(m, catalog.gpu("l40s"), 8, tokens)[0] == pytest.approx(17.632e-3)
    assert capacity.allreduce_seconds(m, g, 8, tokens, per_layer=1)[0] == pytest.approx(3.419449e-3 / 2)
    assert capacity.allreduce_seconds(m, g, 1, tokens)[0] == 0.0
    assert capacity.ALLREDUCE_BASE_US == 6.6 and capacity.HOP_US["nvlink"] == 0.6


def test_batch_one_decode_reads_the_weights_and_kv() -> None:
    """Llama 3.1 8B in BF16 on one H100, batch 1, mean context 1000 + 150: the step reads 16.06 GB
    of weights and 1,150 x 131,072 B of KV at 3.35 TB/s x 0.75, and computes 2 x 8.03e9 FLOPs at
    989 TFLOPS x 0.803 (the measured ceiling) and 2 x 32 x 32 x 256 x 1,150 attention FLOPs. With
    perfect overlap the step is the reads (memory-bound); with overlap_loss 1 the math adds on."""
    m, g = catalog.model("llama-3.1-8b"), catalog.gpu("h100-sxm")
    one, none = np.array([1.0]), np.array([0.0])
    t = capacity.step_seconds(m, g, "bf16", "bf16", 1, one, none, (1000, 300), ROOFLINE)
    bandwidth, flops = 3.35e12 * 0.75, 989e12 * 0.803
    t_weights, t_kv = 8.03e9 * 2 / bandwidth, 1150 * 131_072 / bandwidth
    t_gemm, t_attention = 2 * 8.03e9 / flops, 2 * 32 * 32 * 256 * 1150 / flops
    assert t[0] == pytest.approx(t_weights + t_kv, rel=1e-9)
    serial = dataclasses.replace(ROOFLINE, overlap_loss=1.0)
    t = capacity.step_seconds(m, g, "bf16", "bf16", 1, one, none, (1000, 300), serial)
    assert t[0] == pytest.approx(t_weights + t_kv + t_gemm + t_attention, rel=1e-9)
    assert capacity.regime(m, g, "bf16", "bf16", 1, 1, (1000, 300)) == "decode memory-bound"


def test_larger_groups_pay_for_their_all_reduces() -> None:
    """Llama 70B FP8 on 8 x H100 at batch 1, 1000 in / 300 out: each GPU reads 70.6 GB / 8 of
    weights and 1,150 x 163,840 B / 8 of KV at 3.35 TB/s x 0.75, then waits for 160 all-reduces of
    one token (16 KB: 0.064 us of bytes, 15 us of latency each), 2.41 ms a step."""
    m, g = catalog.model("llama-3.1-70b"), catalog.gpu("h100-sxm")
    t = capacity.step_seconds(m, g, "fp8", "fp8", 8, np.array([1.0]), np.array([0.0]), (1000, 300),
                              ROOFLINE)
    reads = (70.6e9 + 1150 * 163_840) / 8 / (3.35e12 * 0.75)
    allreduce = 160 * (2 * 7 / 8 * 8192 * 2 / 450e9 + 15.0e-6)
    assert t[0] == pytest.approx(reads + allreduce, rel=1e-9)
    assert allreduce == pytest.approx(2.41e-3, rel=2e-3)


def test_tighter_latency_shrinks_the_batch() -> None:
    kw = dict(model="llama-3.1-8b", gpu="h100-sxm", precision="bf16", gpus=1, input_tokens=1000,
              output_tokens=300)
    loose, tight = capacity.plan(max_inter_token_ms=100, **kw), capacity.plan(max_inter_token_ms=20, **kw)
    assert tight.max_batch <= loose.max_batch
    assert tight.output_tokens_per_s <= loose.output_tokens_per_s
    assert tight.inter_token_ms <= 20 + 1e-9
    assert tight.bound.startswith("latency target") and tight.batch_bound == "latency target"
    with pytest.raises(ScenarioError, match="^max_inter_token_ms: 1 ms cannot be met"):
        capacity.plan(max_inter_token_ms=1, **kw)


def test_cost_optimal_size_is_the_cheapest_candidate() -> None:
    """The chosen size and layout have the fewest GPU-seconds per request (n x output x ITL / B)
    among candidates that fit; a mixture of experts tries both layouts; gpus pins the size."""
    kw = dict(model="qwen3-235b-a22b", gpu="h200", precision="fp8", input_tokens=2000, output_tokens=500)
    p = capacity.plan(**kw)
    feasible = [c for c in p.candidates if c.gpu_seconds_per_request is not None]
    best = min(feasible, key=lambda c: c.gpu_seconds_per_request)
    assert (p.gpus, p.layout, p.pipeline_stages) == (best.gpus, best.layout, best.pipeline_stages)
    assert p.why.startswith(f"{p.gpus} x h200")
    assert {c.layout for c in p.candidates if c.gpus > 1} == {"tp", "dp-ep"}
    assert min(c.gpus for c in p.candidates if c.fits) == 2  # 235 GB of FP8 weights need 2 x 141 GiB
    for c in feasible:
        assert c.gpu_seconds_per_request == pytest.approx(
            c.gpus * 500 * c.inter_token_ms / 1000 / c.batch, rel=1e-9)
    pinned = capacity.plan(gpus=2, layout="tp", **kw)
    assert (pinned.gpus, pinned.layout) == (2, "tp") and "pinned" in pinned.why
    seconds = {(c.gpus, c.layout, c.pipeline_stages): c.gpu_seconds_per_request for c in p.candidates}
    assert pinned.replica_seconds_per_request(2000, 500) * 2 == pytest.approx(
        seconds[2, "tp", pinned.pipeline_stages], rel=1e-9)
    dense = capacity.plan(model="llama-3.1-70b", gpu="h100-sxm", precision="fp8", input_tokens=1000,
                          output_tokens=300)
    assert {c.layout for c in dense.candidates} == {"tp"}
    with pytest.raises(ScenarioError, match="^layout: 'dp-ep' needs a mixture of experts"):
        capacity.plan(model="llama-3.1-70b", gpu="h100-sxm", precision="fp8", input_tokens=10,
                      output_tokens=10, layout="dp-ep")


def test_moe_reads_fewer_weights_at_small_batch() -> None:
    """At one token a MoE reads its active parameters; at 4,096 tokens nearly all of them."""
    m = catalog.model("qwen3-235b-a22b")
    reads = capacity.weights_read_params(m, np.array([1.0, 4096.0]))
    assert reads[0] == pytest.approx(22e9, rel=1e-9)
    assert reads[1] == pytest.approx(235e9, rel=1e-3)


def test_expert_parallel_layout_by_hand() -> None:
    """Qwen3-235B-A22B: 128 experts, 8 per token. One expert is (235 - 22) / 120 = 1.775e9
    parameters over the layers; shared ones 22 - 8 x 1.775 = 7.8e9. With attention data-parallel
    over 8 GPUs every GPU keeps the shared part: 235 + 7 x 7.8 = 289.6 GB of FP8 weights in all.
    Tensor parallelism over 8 GPUs copies each of the 4 KV heads twice (MLA's latent 8 times);
    data parallelism keeps one copy. The engine schedules per attention rank: 8 x 2,048 sequences.
    One token touches 8 experts, one row each: the smallest tile of 16 rows each (a full tile of
    40 allowed), 8 + 8 x 16 = 136 GEMM rows per layer."""
    m = catalog.model("qwen3-235b-a22b")
    assert capacity.expert_split(m) == pytest.approx((7.8e9, 1.775e9))
    assert capacity.weights_bytes(m, "fp8", 8, "dp-ep") == pytest.approx(289.6e9)
    assert capacity.weights_bytes(m, "fp8", 8, "tp") == pytest.approx(235e9)
    assert capacity.kv_copies(m, 8) == 2.0 and capacity.kv_copies(m, 8, "dp-ep") == 1.0
    assert capacity.kv_copies(catalog.model("deepseek-v3"), 8) == 8.0
    assert capacity.kv_copies(catalog.model("llama-3.1-70b"), 8) == 1.0
    assert capacity.expert_gemm_rows(m, np.array([1.0]), 40.0)[0] == pytest.approx(136.0)
    e = engines.engine("tensorrt-llm")
    r = capacity.replica(m, catalog.gpu("h200"), "fp8", "fp8", e, 8, 1000, 1000, capacity.EFFICIENCY, "dp-ep")
    assert r.cap_batch == 8 * 2048 and r.token_batch == 8 * (8192 // 2)
    assert capacity.layouts(m, 1) == ("tp",) and capacity.layouts(catalog.model("llama-3.1-8b"), 8) == ("tp",)


def test_mla_decodes_over_the_latent() -> None:
    """DeepSeek-V3 decode: 2 x 61 layers x 128 heads x (576 + 512) per attended token."""
    m = catalog.model("deepseek-v3")
    assert capacity.attention_flops_per_token(m, 1.0, decode=True) == pytest.approx(2 * 61 * 128 * 1088)
    assert capacity.attention_flops_per_token(m, 1.0) == pytest.approx(2 * 61 * 128 * (192 + 128))


def test_throughput_band_and_replica_time() -> None:
    """Band = exp(-/+1.2816 sd) of the regime, the P10 and P90 of the per-path throughput factor;
    one request holds the replica output x ITL / B."""
    p = capacity.plan(model="llama-3.1-70b", gpu="h100-sxm", precision="fp8", input_tokens=1000,
                      output_tokens=300, max_inter_token_ms=50)
    sd = capacity.REGIME_LOG_SD[p.regime]
    assert p.throughput_log_sd == sd
    assert p.throughput_band == pytest.approx((np.exp(-1.2815516 * sd), np.exp(1.2815516 * sd)))
    assert p.replica_seconds_per_request(1000, 300) == pytest.approx(
        300 * p.inter_token_ms / 1000 / p.max_batch, rel=1e-9)
    assert p.regime in capacity.REGIMES


def test_explain_and_why_for_the_page_and_deck() -> None:
    """explain() lists every candidate, cheapest first, refused ones last; why() is one sentence."""
    p = capacity.plan(model="llama-4-maverick", gpu="h200", precision="fp8", input_tokens=600,
                      output_tokens=150, max_inter_token_ms=40)
    frame = capacity.explain(p)
    assert list(frame.columns) == ["gpus", "layout", "pipeline_stages", "layout_name", "fits", "batch",
                                   "batch_bound", "inter_token_ms",
                                   "time_to_first_token_ms", "output_tokens_per_s_per_gpu",
                                   "gpu_seconds_per_request", "cost_vs_chosen", "chosen", "reason"]
    assert len(frame) == len(p.candidates) and frame["chosen"].sum() == 1
    chosen = frame[frame["chosen"]].iloc[0]
    assert (chosen["gpus"], chosen["layout"], chosen["cost_vs_chosen"]) == (p.gpus, p.layout, 1.0)
    costs = frame["gpu_seconds_per_request"].dropna()
    assert costs.is_monotonic_increasing and costs.index[0] == 0
    assert not frame.loc[frame["gpu_seconds_per_request"].isna(), "fits"].all()  # 1 and 2 GPUs do not fit
    assert frame["gpu_seconds_per_request"].isna().iloc[len(costs):].all()
    sentence = capacity.why(p)
    assert sentence.startswith(p.why) and sentence.endswith(".") and sentence.count(". ") == 0
    assert f"batch {p.max_batch} bound by the latency target" in sentence and "P10-P90" in sentence
    assert p.batch_bound in capacity.BATCH_BOUNDS


def test_fitted_factors_sit_within_their_physical_bounds() -> None:
    for name, (low, high, why) in capacity.FIT_BOUNDS.items():
        assert low <= getattr(capacity.EFFICIENCY, name) <= high, name
        assert why


def test_unknown_format_names_the_field() -> None:
    with pytest.raises(ScenarioError, match=r"^o\.precision: must be one of 'bf16', 'fp8', 'fp4', 'int4'"):
        capacity.plan(model="llama-3.1-8b", gpu="h100-sxm", precision="fp16", input_tokens=1,
                      output_tokens=1, field="o")
    with pytest.raises(ScenarioError, match=r"^o\.layout: must be one of 'tp', 'dp-ep'"):
        capacity.plan(model="llama-3.1-8b", gpu="h100-sxm", precision="fp8", input_tokens=1,
                      output_tokens=1, field="o", layout="pp")


def test_prompts_are_prefilled_in_whole_chunks() -> None:
    """The mean step is t(B, 0) + P / C (t(B, C) - t(B, 0)), P = B x input / output, C the chunk:
    for a dense model whose step is linear in its tokens (memory and compute time summed, overlap
    loss 1) the same as t(B, P); for gpt-oss-120b at 4
    sequences of 8,192 in / 1,024 out (P = 32, C = 8,192 - 4 with vLLM's 8,192-token budget on
    one H100) far below t(B, P), since 32 tokens a step touch most of the 128 experts."""
    shape = (8192.0, 1024.0)
    b = np.array([4.0])
    e = engines.engine("vllm")
    linear = dataclasses.replace(capacity.EFFICIENCY, overlap_loss=1.0)
    for key, below in (("llama-3.1-8b", False), ("gpt-oss-120b", True)):
        m, g = catalog.model(key), catalog.gpu("h100-sxm")
        precision = "bf16" if key == "llama-3.1-8b" else "fp4"
        eff = capacity.EFFICIENCY if below else linear
        chunk = capacity.chunk_tokens(e, g, shape[0], b)
        assert chunk[0] == 8192 - 4
        times = capacity.step_times(m, g, precision, "bf16", 1, b, shape, eff, "tp", chunk)
        mean, decode = times.mean, times.decode
        spread = capacity.step_seconds(m, g, precision, "bf16", 1, b, b * 8, shape, eff)
        whole = capacity.step_seconds(m, g, precision, "bf16", 1, b, chunk, shape, eff)
        assert mean[0] == pytest.approx(decode[0] + 32 / chunk[0] * (whole[0] - decode[0]))
        if below:
            assert mean[0] < 0.8 * spread[0]
        else:
            assert mean[0] == pytest.approx(spread[0], rel=1e-9)


def test_every_regime_has_a_readers_name_and_why_uses_it() -> None:
    """'moe' is the code's short name: the page's fleet table and the plan's sentence say
    'mixture of experts'."""
    import tco.capacity as capacity

    assert set(capacity.REGIME_NAMES) == set(capacity.REGIMES)
    plan = capacity.plan(model="qwen3-235b-a22b", gpu="h200", precision="fp8", gpus=None,
                         input_tokens=1000, output_tokens=300, max_inter_token_ms=50)
    assert plan.regime == "moe"
    assert "published mixture of experts points" in capacity.why(plan)
