"""Pipeline-parallel replicas, each rule against a number computed by hand in the docstring.

The published pipeline points (TensorRT-LLM v1.0's RTX PRO 6000 tables) and their hold-out figures
are in tests/test_published.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines
import tco.published as published
from tco.errors import ScenarioError

SHAPE = (1000.0, 1000.0)


def _llama70b_h100() -> tuple[catalog.OpenModel, catalog.Gpu]:
    return catalog.model("llama-3.3-70b"), catalog.gpu("h100-sxm")


def test_tp1_pp2_decode_cycle_by_hand() -> None:
    """Llama 3.3 70B in FP8 on H100s as 1 GPU x 2 stages, 64 sequences decoding per micro-batch,
    1,000 in / 1,000 out (mean context 1,500), datasheet ceilings (``capacity.CEILING``: full
    bandwidths, measured matmul ceilings, perfect overlap, no latency constants):

    - weights: 70.6e9 B / 3.35e12 B/s = 21.0746 ms (the two stages read 35.3 GB each, one after
      the other);
    - GEMMs: 2 x 70.6e9 x 64 FLOP / (1,979e12 x 0.709) = 6.4406 ms;
    - KV cache: 64 x 2 x 80 x 8 x 128 x 1 B x 1,500 = 15.729 GB / 3.35e12 = 4.6954 ms;
    - attention: 64 x 2 x 80 x 64 x 256 x 1,500 / (989e12 x 0.803) = 0.3169 ms;
    - one stage boundary: 64 x 8,192 x 2 B / 450e9 B/s = 2.33 us.

    Cycle = max(21.0746, 6.4406) + max(4.6954, 0.3169) + 0.00233 = 25.7721 ms: the inter-token
    latency a user sees, twice one stage's 12.886 ms. A one-GPU replica's step is the same less the
    boundary: the pipeline holds the same work, split in two."""
    m, g = _llama70b_h100()
    b = 64.0
    weights = 70.6e9 / 3.35e12
    gemm = 2 * 70.6e9 * b / (1979e12 * 0.709)
    kv = b * 2 * 80 * 8 * 128 * 1 * 1500 / 3.35e12
    attention = b * 2 * 80 * 64 * 256 * 1500 / (989e12 * 0.803)
    p2p = b * 8192 * 2 / 450e9
    by_hand = max(weights, gemm) + max(kv, attention) + p2p
    assert by_hand == pytest.approx(25.7721e-3, rel=1e-5)
    decode, none = np.array([b]), np.array([0.0])
    cycle = capacity.step_seconds(m, g, "fp8", "fp8", 1, decode, none, SHAPE, capacity.CEILING, "tp",
                                  stages=2)
    assert cycle[0] == pytest.approx(by_hand, rel=1e-12)
    single = capacity.step_seconds(m, g, "fp8", "fp8", 1, decode, none, SHAPE, capacity.CEILING, "tp")
    assert cycle[0] - single[0] == pytest.approx(p2p, rel=1e-9)


def test_boundary_latency_and_uneven_stages_by_hand() -> None:
    """With NCCL's latency constants a boundary adds 6.6 us base + 0.6 us one NVLink hop: at 64
    tokens, 2.33 + 7.2 = 9.53 us. Llama 3.1 405B's 126 layers in 4 stages: the slowest holds
    ceil(126 / 4) = 32 layers, so the pipeline moves at 4 x 32 / 126 = 1.01587 of an even split."""
    m, g = _llama70b_h100()
    t = capacity.p2p_seconds(m, g, 2, np.array([64.0]))
    assert t[0] == pytest.approx(64 * 8192 * 2 / 450e9 + 7.2e-6, rel=1e-12)
    assert capacity.stage_imbalance(catalog.model("llama-3.1-405b"), 4) == pytest.approx(128 / 126)
    assert capacity.stage_imbalance(m, 4) == 1.0


def test_micro_batches_and_the_bubble() -> None:
    """B sequences in a pipeline of S stages run min(B, S) micro-batches of at most ceil(B / S):
    B = 1, 2, 3, 4, 5 in 2 stages: 1, 1, 2, 2, 3. The replica's step at B is the cycle at that
    micro-batch, so B = 1 and B = 2 take the same time (at B = 1 one stage idles: the bubble) and
    B = 2 emits twice the tokens."""
    assert capacity.micro_batch(np.arange(1.0, 6.0), 2).tolist() == [1, 1, 2, 2, 3]
    m, g = _llama70b_h100()
    e = engines.engine("tensorrt-llm")
    r = capacity.replica(m, g, "fp8", "fp8", e, 2, *SHAPE, capacity.EFFICIENCY, "tp", stages=2)
    assert r.stages == 2 and r.t_step[0] == r.t_step[1]
    assert r.batch[1] / r.t_step[1] == pytest.approx(2 * r.batch[0] / r.t_step[0])
    # the cycle at micro-batch b is the step_times mean of one GPU's worth of stages
    chunk = capacity.chunk_tokens(e, g, SHAPE[0], np.array([3.0]))
    times = capacity.step_times(m, g, "fp8", "fp8", 1, np.array([3.0]), SHAPE, capacity.EFFICIENCY, "tp",
                                chunk, stages=2)
    assert r.t_step[4] == pytest.approx(times.mean[0], rel=1e-12)


def test_pipeline_pools_the_memory_of_its_stages() -> None:
    """1 x 2 stages of H100s for Llama 3.3 70B in FP8: each GPU holds half the weights (35.3 GB)
    and its layers' half of every sequence's KV cache, so the replica holds as many sequences as
    its two GPUs' free memory over one sequence's cache: int(2 x free / (163,840 B x 1,500)). One
    GPU alone would keep 80 GiB less all 70.6 GB for the cache."""
    m, g = _llama70b_h100()
    e = engines.engine("tensorrt-llm")
    free = e.kv_bytes_available(g.memory_gb * 2**30, 70.6e9 / 2, capacity.EFFICIENCY.reserve_gb * 1e9)
    r = capacity.replica(m, g, "fp8", "fp8", e, 2, *SHAPE, capacity.EFFICIENCY, "tp", stages=2)
    held = 163_840 * (1500 if e.kv_reservation != "full_request" else 2000)
    assert r.kv_batch == int(2 * free // held)
    # the engine's sequence cap and token budget hold per micro-batch
    assert r.cap_batch == 2 * e.sequence_cap(g)


def test_plan_takes_a_pipeline_where_it_wins() -> None:
    """Llama 3.1 405B in FP4 (228 GB) does not fit one 96 GB RTX PRO 6000; the cards have no NVLink
    (64 GB/s PCIe), where a tensor-parallel all-reduce per layer is dear and a pipeline sends one
    activation per stage: the plan takes a pipeline, cheaper than every single-stage candidate, and
    its latency is the cycle, so a target bounds the cycle."""
    kw = dict(model="llama-3.1-405b", gpu="rtx-pro-6000", precision="fp4", input_tokens=1000,
              output_tokens=300)
    p = capacity.plan(**kw)
    assert p.pipeline_stages > 1
    table = capacity.explain(p)
    single = table[(table["pipeline_stages"] == 1) & table["gpu_seconds_per_request"].notna()]
    assert p.gpus * 300 / p.output_tokens_per_s < single["gpu_seconds_per_request"].min()
    assert "pipeline" in p.layout_name and "pipeline" in capacity.why(p)
    tight = capacity.plan(**kw, max_inter_token_ms=p.inter_token_ms / 2)
    assert tight.inter_token_ms <= p.inter_token_ms / 2


def test_a_model_that_fits_one_gpu_is_replicated_not_pipelined() -> None:
    """Qwen3 32B in FP8 (32.8 GB) fits one 80 GB H100: no pipeline candidate is tried unless the
    option pins its stages."""
    kw = dict(model="qwen3-32b", gpu="h100-sxm", precision="fp8", input_tokens=2000, output_tokens=300)
    p = capacity.plan(**kw)
    assert p.pipeline_stages == 1 and set(capacity.explain(p)["pipeline_stages"]) == {1}
    pinned = capacity.plan(**kw, gpus=2, pipeline_stages=2)
    assert (pinned.gpus, pinned.pipeline_stages, pinned.layout_name) == (2, 2, "pipeline 2")


def test_pipelines_only_where_a_stage_cannot_hold_the_model() -> None:
    """Qwen3-235B in FP8 (235 GB) needs 2 x 141 GB H200s as one stage: a pipeline is tried only
    with stages of 1 GPU (2 GPUs in 2 stages, 4 in 4), never with stages of 2 or more, which would
    hold it alone and are served as copies instead."""
    p = capacity.plan(model="qwen3-235b-a22b", gpu="h200", precision="fp8", input_tokens=2000,
                      output_tokens=500)
    fits = min(c.gpus for c in p.candidates if c.fits and c.pipeline_stages == 1)
    assert fits == 2
    piped = {(c.gpus, c.pipeline_stages) for c in p.candidates if c.pipeline_stages > 1}
    assert piped == {(2, 2), (4, 4)}


def test_bad_pipeline_stages_name_the_field() -> None:
    kw = dict(model="llama-3.3-70b", gpu="h100-sxm", precision="fp8", input_tokens=1000, output_tokens=100,
              field="options.x")
    with pytest.raises(ScenarioError, match=r"options.x.pipeline_stages: must divide the replica's 4 GPUs"):
        capacity.plan(**kw, gpus=4, pipeline_stages=3)
    with pytest.raises(ScenarioError, match=r"options.x.pipeline_stages: must be between 1 and .*80 layers"):
        capacity.plan(**kw, pipeline_stages=0)


def test_trtllm_bench_limits_per_micro_batch_by_hand() -> None:
    """trtllm-bench for Llama 3.3 70B in FP4 on 8 RTX PRO 6000s as TP1 x PP8, 128 in / 2048 out:
    8 x 96 GiB - 70.6e9 x 0.5 B / 2^30 = 735.13 GiB free, x 0.95 = 698.37 GiB; a token's KV cache
    is 2 x 80 x max(TP 1, 8 heads) x 128 x 1 B = 163,840 B, so 2,176 tokens hold 0.33203 GiB and
    2,103.3 requests fit; per micro-batch 2,103.3 / 8 = 262.9, rounded up to 128s = 384; tokens
    262.9 x (1 + 128 / 2048) = 279.3, at least 2,048 (and at least 128 + 384 without chunked
    prefill)."""
    b = catalog.external_benchmarks()["trtllm10-rtx-pro-6000-llama-3.3-70b-tp1pp8-128-2048"]
    assert published.pipeline_stages(b) == 8
    assert published.trtllm_bench_limits(b, chunked_prefill=False) == (384, 2048)
    plan = published.plan_at(b)
    assert (plan.gpus, plan.pipeline_stages, plan.layout) == (8, 8, "tp")
