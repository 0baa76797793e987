"""Capacity physics: a roofline model of one serving replica.

A replica is a tensor-parallel group of GPUs holding one copy of the weights. Its memory holds the
weights and a KV cache; the KV cache bounds the batch. Prefill is compute-bound. A decode step reads
the weights actually touched (for a mixture of experts, the experts the batch routes to) and the
batch's KV cache, and does 2 x active parameters FLOPs per token: memory-bound at small batch,
compute-bound at large batch. Chunked prefill interleaves new requests' prefill with decode steps,
so the inter-token latency at batch B is

    ITL(B) = t_step(B) + B x t_prefill / output_tokens,

and the replica emits B / ITL(B) output tokens per second. The batch is the largest that fits the KV
cache, the engine's sequence cap and ``max_inter_token_ms``.

Two efficiency factors (achieved / peak memory bandwidth and FLOP/s) are calibrated against the
published results in ``tco/data/benchmarks.csv``; ``tests/test_capacity.py`` shows the model beside
each of them and ``benchmarks/calibrate_capacity.py`` refits them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tco.catalog as catalog
from tco.catalog import Gpu, OpenModel
from tco.errors import ScenarioError
from tco.units import BYTES_PER_GB, BYTES_PER_TB, FLOPS_PER_TFLOPS, MS_PER_S, PARAMS_PER_BILLION

BYTES_PER_PARAM = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5}
KV_BYTES_PER_VALUE = 2.0
"""KV cache kept in BF16, the vLLM and TensorRT-LLM default."""

MEMORY_USABLE_SHARE = 0.90
"""Share of GPU memory a serving engine takes (vLLM ``gpu_memory_utilization`` default 0.9)."""

MAX_BATCH_SEQUENCES = 256
"""Engine cap on concurrent sequences per replica (vLLM ``max_num_seqs`` default 256)."""

MIN_WORKING_BATCH = 64
"""A replica must hold the weights plus the KV cache of at least this many full requests."""

TENSOR_PARALLEL_SIZES = (1, 2, 4, 8, 16, 32, 64)

MEMORY_EFFICIENCY = 0.65
"""Achieved / peak memory bandwidth in decode. Fitted by benchmarks/calibrate_capacity.py."""

COMPUTE_EFFICIENCY = 0.35
"""Achieved / peak dense FLOP/s (model FLOPs utilisation). Fitted by benchmarks/calibrate_capacity.py."""


@dataclass(frozen=True)
class CapacityPlan:
    """One replica's size and sustained throughput for requests of one shape."""

    model: str
    gpu: str
    precision: str
    gpus: int
    max_batch: int
    output_tokens_per_s: float
    input_tokens_per_s: float
    inter_token_ms: float
    bound: str
    weights_gb: float
    kv_cache_gb_per_sequence: float
    replica_seconds_per_input_token: float
    replica_seconds_per_output_token: float

    @property
    def output_tokens_per_s_per_gpu(self) -> float:
        return self.output_tokens_per_s / self.gpus

    def replica_seconds_per_request(self, input_tokens: np.ndarray | float,
                                    output_tokens: np.ndarray | float) -> np.ndarray | float:
        """Busy time of one replica per request: prefill plus this request's share of decode steps."""
        return (input_tokens * self.replica_seconds_per_input_token
                + output_tokens * self.replica_seconds_per_output_token)


def kv_bytes_per_sequence(m: OpenModel, context_tokens: np.ndarray | float) -> np.ndarray | float:
    """KV-cache bytes of one sequence holding ``context_tokens`` tokens.

    Multi-head latent attention (DeepSeek-V3) caches one latent of ``kv_latent_dim`` values per
    layer; grouped-query attention caches keys and values of ``kv_heads`` heads. Sliding-window
    layers hold at most the window.
    """
    if m.kv_latent_dim:
        values_per_layer = float(m.kv_latent_dim)
    else:
        values_per_layer = 2.0 * m.kv_heads * m.head_dim
    share = m.sliding_layers_share or 0.0
    window = m.sliding_window_tokens or 0
    tokens = np.asarray(context_tokens, dtype=float)
    held = (1.0 - share) * tokens + share * np.minimum(tokens, window)
    return m.layers * values_per_layer * KV_BYTES_PER_VALUE * held


def attention_flops_per_token(m: OpenModel, context_tokens: np.ndarray | float) -> np.ndarray | float:
    """FLOPs of the score and value products for one token attending to ``context_tokens`` tokens."""
    share = m.sliding_layers_share or 0.0
    window = m.sliding_window_tokens or 0
    tokens = np.asarray(context_tokens, dtype=float)
    attended = (1.0 - share) * tokens + share * np.minimum(tokens, window)
    return 4.0 * m.layers * m.attention_heads * m.head_dim * attended


def weights_read_params(m: OpenModel, batch: np.ndarray) -> np.ndarray:
    """Parameters read from memory in one decode step of ``batch`` tokens.

    For a mixture of experts with E experts and k per token, a batch of B tokens touches
    E x (1 - (1 - k/E)^B) distinct experts in expectation; shared layers are always read.
    """
    batch = np.asarray(batch, dtype=float)
    total = m.total_params_b * PARAMS_PER_BILLION
    if not m.is_moe:
        return np.full_like(batch, total)
    active = m.active_params_b * PARAMS_PER_BILLION
    experts, per_token = float(m.experts), float(m.experts_per_token)
    expert_params = (total - active) / (experts - per_token)
    shared_params = active - per_token * expert_params
    touched = experts * (1.0 - np.power(1.0 - per_token / experts, batch))
    return shared_params + expert_params * touched


def _replica_curves(m: OpenModel, g: Gpu, precision: str, gpus: int, input_tokens: float,
                    output_tokens: float, memory_efficiency: float, compute_efficiency: float
                    ) -> tuple[np.ndarray, np.ndarray, float, int, float, float]:
    """Return batch grid, ITL (s) on it, prefill time (s), KV-bounded batch, t_mem(B), t_cmp(B)."""
    bytes_per_param = BYTES_PER_PARAM[precision]
    tflops = g.dense_tflops(precision)
    assert tflops is not None  # checked by plan()
    flops = gpus * tflops * FLOPS_PER_TFLOPS * compute_efficiency
    bandwidth = gpus * g.memory_bandwidth_tb_per_s * BYTES_PER_TB * memory_efficiency
    weights_bytes = m.total_params_b * PARAMS_PER_BILLION * bytes_per_param
    free_bytes = gpus * g.memory_gb * BYTES_PER_GB * MEMORY_USABLE_SHARE - weights_bytes
    kv_full = float(kv_bytes_per_sequence(m, input_tokens + output_tokens))
    kv_batch = int(max(0.0, free_bytes) // kv_full) if kv_full > 0 else MAX_BATCH_SEQUENCES
    mean_context = input_tokens + 0.5 * output_tokens
    active = m.active_params_b * PARAMS_PER_BILLION
    batch = np.arange(1, MAX_BATCH_SEQUENCES + 1, dtype=float)
    t_mem = (weights_read_params(m, batch) * bytes_per_param
             + batch * kv_bytes_per_sequence(m, mean_context)) / bandwidth
    t_cmp = batch * (2.0 * active + attention_flops_per_token(m, mean_context)) / flops
    t_prefill = input_tokens * (2.0 * active + attention_flops_per_token(m, 0.5 * input_tokens)) / flops
    itl = np.maximum(t_mem, t_cmp) + batch * t_prefill / output_tokens
    return batch, itl, t_prefill, kv_batch, t_mem, t_cmp


def fits(m: OpenModel, g: Gpu, precision: str, gpus: int, input_tokens: float,
         output_tokens: float) -> bool:
    """True when ``gpus`` GPUs hold the weights plus MIN_WORKING_BATCH full requests of KV cache."""
    weights_bytes = m.total_params_b * PARAMS_PER_BILLION * BYTES_PER_PARAM[precision]
    free_bytes = gpus * g.memory_gb * BYTES_PER_GB * MEMORY_USABLE_SHARE - weights_bytes
    return free_bytes >= MIN_WORKING_BATCH * float(kv_bytes_per_sequence(m, input_tokens + output_tokens))


def plan(*, model: str, gpu: str, precision: str, gpus: int | None = None, input_tokens: float,
         output_tokens: float, max_inter_token_ms: float | None = None,
         memory_efficiency: float = MEMORY_EFFICIENCY,
         compute_efficiency: float = COMPUTE_EFFICIENCY, field: str = "") -> CapacityPlan:
    """Size one replica and return its sustained throughput for requests of one shape.

    Parameters
    ----------
    gpus
        Tensor-parallel group size; None picks the smallest power of two whose memory holds the
        weights plus a working KV cache and that meets ``max_inter_token_ms`` at batch 1.
    input_tokens, output_tokens
        Tokens per request.
    max_inter_token_ms
        Latency target per output token; bounds the batch. None means throughput-only.
    field
        Scenario path used in error messages.

    Raises
    ------
    ScenarioError
        Unknown model or GPU, a precision the GPU lacks, weights that fit no group, or a latency
        target no group meets.
    """
    prefix = f"{field}." if field else ""
    m = catalog.model(model, f"{prefix}model")
    g = catalog.gpu(gpu, f"{prefix}gpu")
    if precision not in BYTES_PER_PARAM:
        raise ScenarioError(f"{prefix}precision", "must be one of 'bf16', 'fp8', 'fp4'")
    if g.dense_tflops(precision) is None:
        raise ScenarioError(f"{prefix}precision", f"{g.key} has no {precision} tensor cores; "
                            "use " + ", ".join(p for p in BYTES_PER_PARAM if g.dense_tflops(p)))
    if input_tokens <= 0 or output_tokens <= 0:
        raise ScenarioError(f"{prefix}tokens", "input and output tokens per request must be positive")
    if input_tokens + output_tokens > m.context_tokens:
        raise ScenarioError(f"{prefix}model", f"requests of {input_tokens + output_tokens:,.0f} tokens "
                            f"exceed {m.key}'s context of {m.context_tokens:,} tokens")
    limit_s = None if max_inter_token_ms is None else max_inter_token_ms / MS_PER_S
    sizes = (gpus,) if gpus is not None else TENSOR_PARALLEL_SIZES
    best_latency_ms = None
    for size in sizes:
        if not fits(m, g, precision, size, input_tokens, output_tokens):
            continue
        batch, itl, t_prefill, kv_batch, t_mem, t_cmp = _replica_curves(
            m, g, precision, size, input_tokens, output_tokens, memory_efficiency, compute_efficiency)
        feasible = batch <= kv_batch
        if limit_s is not None:
            feasible &= itl <= limit_s
        if not feasible.any():
            best_latency_ms = itl[0] * MS_PER_S if best_latency_ms is None else best_latency_ms
            continue
        i = int(np.flatnonzero(feasible)[-1])
        b = int(batch[i])
        if b == MAX_BATCH_SEQUENCES:
            bound = "engine batch cap"
        elif b == kv_batch:
            bound = "KV-cache memory"
        else:
            bound = "latency target"
        regime = "compute" if t_cmp[i] >= t_mem[i] else "memory bandwidth"
        output_rate = b / itl[i]
        return CapacityPlan(
            model=m.key, gpu=g.key, precision=precision, gpus=size, max_batch=b,
            output_tokens_per_s=float(output_rate),
            input_tokens_per_s=float(output_rate * input_tokens / output_tokens),
            inter_token_ms=float(itl[i] * MS_PER_S),
            bound=f"{bound}; decode {regime}-bound",
            weights_gb=m.total_params_b * PARAMS_PER_BILLION * BYTES_PER_PARAM[precision] / BYTES_PER_GB,
            kv_cache_gb_per_sequence=float(kv_bytes_per_sequence(m, input_tokens + output_tokens))
            / BYTES_PER_GB,
            replica_seconds_per_input_token=float(t_prefill / input_tokens),
            replica_seconds_per_output_token=float(max(t_mem[i], t_cmp[i]) / b),
        )
    if best_latency_ms is not None:
        raise ScenarioError(f"{prefix}max_inter_token_ms", f"{max_inter_token_ms:g} ms cannot be met "
                            f"by {m.key} on {g.key} ({best_latency_ms:.0f} ms at batch 1)")
    what = f"{gpus} x {g.key}" if gpus is not None else f"up to {TENSOR_PARALLEL_SIZES[-1]} x {g.key}"
    raise ScenarioError(f"{prefix}gpu", f"{m.key} in {precision} does not fit {what} with a working "
                        "KV cache")
