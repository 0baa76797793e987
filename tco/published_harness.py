"""How each published throughput point was run: its row's layout and pipeline stages, and the batch
limits its harness set (trtllm-bench's heuristic and its dataset's request count, vLLM v0.6.0's
sequence cap, a client's fixed concurrency), so that ``tco.published`` predicts it at the
configuration the publisher measured, not at the engine's defaults."""

from __future__ import annotations

import csv
import dataclasses
from functools import cache

import numpy as np

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines


def kv_cache_precision(b: catalog.Benchmark) -> str:
    """The KV-cache format a published point ran with: its row's, else its checkpoint's default."""
    return b.kv_cache_precision or capacity.DEFAULT_KV_CACHE_PRECISION[b.precision]


@cache
def row_columns() -> dict[str, dict[str, str]]:
    """benchmarks.csv and benchmarks_external.csv rows by key, for the columns the catalog's
    Benchmark record does not carry."""
    rows = {}
    for name in ("benchmarks.csv", "benchmarks_external.csv"):
        with open(catalog.DATA_DIR / name, newline="", encoding="utf-8") as handle:
            rows.update({row["key"]: row for row in csv.DictReader(handle)})
    return rows


def layout(b: catalog.Benchmark) -> str:
    """The replica layout the publisher ran within a pipeline stage: 'tp', or 'dp-ep' (attention
    data parallel, experts expert-parallel) where the row says so."""
    return row_columns()[b.key]["layout"] or "tp"


def pipeline_stages(b: catalog.Benchmark) -> int:
    """The pipeline stages the publisher ran (the ``pipeline_stages`` column; 1 where the file has
    none: every row of benchmarks.csv is a single stage)."""
    return int(row_columns()[b.key].get("pipeline_stages") or 1)


TRTLLM_BENCH_KV_FRACTION = 0.95
"""TensorRT-LLM perf overview (docs/source/performance/perf-overview.md, v0.17 to v1.0): "in
majority of cases" the runs set --kv_cache_free_gpu_mem_fraction 0.95 instead of the 0.90 default."""


def _round_up(value: float, step: int) -> int:
    return step * int(np.ceil(value / step))


def trtllm_bench_limits(b: catalog.Benchmark, chunked_prefill: bool = True) -> tuple[int, int]:
    """(max_batch_size, max_num_tokens) trtllm-bench sets when the command gives neither.

    NVIDIA/TensorRT-LLM tensorrt_llm/bench/build/tuning.py (calc_engine_setting, finetune_setting):
    requests = (GPUs x GiB per GPU - parameters x bytes per weight) x 0.95 / (KV bytes per token x
    (input + output)), with at least one KV head per GPU of a tensor-parallel group ("each GPU in TP
    group has at least 1 kv head") and no sliding window; batch = min(requests, 4096) / pipeline
    stages (the limits hold per micro-batch), rounded up (to 32 below 256, 128 below 1,024, else
    256); tokens = min(batch x (1 + input / output), 32,768) rounded up (to 256 and at least 2,048
    below 4,096, 512 below 8,192, else 1,024). Without chunked prefill (the PyTorch backend's
    default in v1.0) tokens are at least input + batch (tensorrt_llm/bench/benchmark/utils/general.py
    get_settings).
    """
    m, g = catalog.model(b.model), catalog.gpu(b.gpu)
    size = b.replica_gpus or b.system_gpus
    weight_bytes = {"fp4": 0.5, "fp8": 1.0}.get(b.precision, 2.0)
    kv_bytes = 1.0 if kv_cache_precision(b) == "fp8" else 2.0
    pp = pipeline_stages(b)
    tensor_parallel = size // pp  # "each GPU in TP group has at least 1 kv head"
    per_token_gib = (2 * m.layers * max(tensor_parallel, m.kv_heads) * m.head_dim * kv_bytes
                     / engines.BYTES_PER_GIB)
    free_gib = size * g.memory_gb - m.total_params_b * 1e9 * weight_bytes / engines.BYTES_PER_GIB
    requests = free_gib * TRTLLM_BENCH_KV_FRACTION / (per_token_gib * (b.input_tokens + b.output_tokens))
    # "raw_bs = min(kv_cache_max_requests, 4096) / pp_size": the limits are per micro-batch
    raw_batch = min(requests, 4096) / pp
    if raw_batch < 256:
        batch = max(64, _round_up(raw_batch, 32))
    else:
        batch = _round_up(raw_batch, 128 if raw_batch < 1024 else 256)
    raw_tokens = min(raw_batch * (1 + b.input_tokens / b.output_tokens), 32768)
    if raw_tokens < 4096:
        tokens = max(2048, _round_up(raw_tokens, 256))
    else:
        tokens = _round_up(raw_tokens, 512 if raw_tokens < 8192 else 1024)
    return batch, tokens if chunked_prefill else max(tokens, b.input_tokens + batch)


VLLM_060_MAX_NUM_SEQS = 256
"""vLLM v0.6.0 EngineArgs default max_num_seqs (vllm/engine/arg_utils.py), the value the
LambdaLabsML/vllm-benchmark runs report (the rows' notes)."""


TRTLLM_PERF_OVERVIEW_REQUESTS = {
    (128, 128): 30000, (128, 2048): 3000, (128, 4096): 1500, (1000, 2000): 1500, (2048, 128): 3000,
    (2048, 2048): 1500, (5000, 500): 1500, (1000, 1000): 3000, (500, 2000): 3000, (20000, 2000): 1000}
"""Requests in each trtllm-bench dataset, by (input, output) tokens: the ``$num_requests`` table of
the TensorRT-LLM perf overview ("For each input and output sequence length combination, the table
below details the $num_requests that were used"; NVIDIA/TensorRT-LLM
docs/source/performance/perf-overview.md, the same values from v0.17's engine workflow to v1.0 at
commit 00f3768, which adds 1000/2000). The dataset is queued at once ("an offline maximum
throughput scenario such that all requests are queued in rapid succession"), so no more than
that many sequences are ever in flight, whatever the batch limits allow."""


def requests_per_rank(b: catalog.Benchmark) -> int | None:
    """The most sequences one attention rank's micro-batch ever holds in a trtllm-bench run of
    the perf overview: its request count over the ranks and micro-batches that share it (None
    for a shape the table does not list)."""
    requests = TRTLLM_PERF_OVERVIEW_REQUESTS.get((int(b.input_tokens), int(b.output_tokens)))
    if requests is None:
        return None
    stages = pipeline_stages(b)
    ranks = (b.replica_gpus or b.system_gpus) // stages if layout(b) == "dp-ep" else 1
    return max(1, requests // (ranks * stages))


HARNESSES = ("", "trtllm-bench-pytorch", "trtllm-bench-engine", "vllm-0.6.0", "client-concurrency")
"""The ``harness`` column: none (the engine's defaults), trtllm-bench on the PyTorch backend
(v1.0, no chunked prefill) or on a built TensorRT engine (v0.17, chunked context), vLLM v0.6.0,
or a client holding a fixed number of requests in flight (the ``concurrency`` column; InferenceX
runs): the batch can hold no more sequences than that."""


def harness_engine(b: catalog.Benchmark) -> engines.Engine | str:
    """The engine settings a published point ran with: the harness the row names (trtllm-bench's
    heuristic, or vLLM v0.6.0's sequence cap), else the engine's documented defaults."""
    harness = row_columns()[b.key]["harness"]
    if harness == "client-concurrency":
        cap = int(row_columns()[b.key]["concurrency"])
        return dataclasses.replace(engines.engine(b.engine), key=harness, max_sequences=cap,
                                   max_sequences_small_gpu=cap)
    if harness == "vllm-0.6.0":
        return dataclasses.replace(engines.engine(b.engine), key=harness, max_sequences=VLLM_060_MAX_NUM_SEQS,
                                   max_sequences_small_gpu=VLLM_060_MAX_NUM_SEQS)
    if not harness.startswith("trtllm-bench"):
        return b.engine
    batch, tokens = trtllm_bench_limits(b, chunked_prefill=harness == "trtllm-bench-engine")
    # the dataset's requests cap the sequences in flight below what the heuristic allows
    batch = min(batch, requests_per_rank(b) or batch)
    return dataclasses.replace(
        engines.engine(b.engine), key=harness, name="trtllm-bench throughput",
        max_sequences=batch, max_sequences_small_gpu=batch, max_tokens_per_step=tokens,
        max_tokens_per_step_small_gpu=tokens, memory_share=TRTLLM_BENCH_KV_FRACTION,
        source="trtllm_bench_limits in tco/published.py")
