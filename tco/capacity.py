"""Capacity physics: a roofline model of one serving replica, sized for the lowest cost.

A replica is a tensor-parallel group of n GPUs holding one copy of the weights; the rest of its
memory (as the serving engine allots it, ``tco/engines.py``) holds the KV cache. With continuous
batching and chunked prefill, a steady-state step carries B decoding sequences and, on average,
P = B x input / output prefill tokens, so every request gets its prefill and its output tokens
over output / 1 steps. One step takes

    t_step(B) = max(t_weights, t_gemm) + max(t_kv, t_attention) + t_allreduce

- t_weights: the weights the step's tokens touch (a mixture of experts reads E(1 - (1 - k/E)^T)
  experts for T tokens) over n x bandwidth x memory efficiency;
- t_gemm: 2 x active parameters x (B + P) FLOPs over n x dense peak x the measured matmul
  ceiling share of the GPU x the compute share (the prefill efficiency);
- t_kv: the decoding sequences' KV cache read over the same bandwidth (the decode efficiency);
- t_attention: score and value FLOPs (a 576-wide latent per head for MLA models in decode);
- t_allreduce: two all-reduces per layer of (B + P) x hidden BF16 activations, ring algorithm,
  over the GPU-to-GPU link (``interconnect_gb_per_s``; between 8-GPU nodes, the network).

The replica emits B / t_step output tokens per second; t_step is the inter-token latency. The
batch is the largest the KV cache, the engine's sequence cap and token budget, and
``max_inter_token_ms`` allow. A configuration is refused only when the weights plus the KV cache
of one full request do not fit. Among tensor-parallel sizes that fit and meet the latency target,
the plan takes the one with the fewest GPU-seconds per request at the request shape.

Two factors (memory efficiency, compute share of the measured ceiling) are fitted on half of the
published results in ``tco/data/benchmarks.csv`` (``tco/published.py``, rule in its docstring);
the other half is held out. The residual spread per regime becomes the throughput uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tco.catalog as catalog
import tco.engines as engines
from tco.catalog import Gpu, OpenModel
from tco.errors import ScenarioError
from tco.units import BYTES_PER_TB, FLOPS_PER_TFLOPS, MS_PER_S, PARAMS_PER_BILLION

PRECISIONS = ("bf16", "fp8", "fp4", "int4")
"""Weight storage formats. fp4 is NVFP4/MXFP4, int4 is AWQ/GPTQ; a GPU without units for the
format stores the weights in it and computes at the finest precision it has (weight-only)."""

KV_CACHE_PRECISIONS = ("bf16", "fp8", "fp4")

BYTES_PER_VALUE = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5 + 1.0 / 16, "int4": 0.5 + 2.0 / 128}
"""fp4 carries one FP8 scale per 16 values (NVFP4); int4 one BF16 scale per 128-value group."""

DEFAULT_KV_CACHE_PRECISION = {"bf16": "bf16", "fp8": "fp8", "fp4": "fp8", "int4": "bf16"}
"""KV cache follows the checkpoint: ModelOpt FP8 and NVFP4 checkpoints declare
``kv_cache_quant_algo: FP8``; AWQ/GPTQ checkpoints leave it at the activation dtype (BF16)."""

SERVING_ENGINES = tuple(engines.engines())
DEFAULT_SERVING_ENGINE = "tensorrt-llm"
"""The engine with most published results in the catalog (TensorRT-LLM's perf overview)."""

REGIMES = ("prefill-bound", "decode memory-bound", "decode compute-bound", "moe")

TENSOR_PARALLEL_SIZES = (1, 2, 4, 8, 16, 32, 64)
GPUS_PER_NODE = 8
INTER_NODE_GB_PER_S = 50.0
"""Per-GPU network between nodes: one 400 Gb/s ConnectX-7 port per GPU (DGX H100 datasheet)."""

ACTIVATION_BYTES = 2.0  # all-reduced activations are BF16

MLA_ROPE_DIM = 64
"""DeepSeek-V3's latent is 512 compressed values plus 64 rotary ones; values use the 512."""

P5_Z = 1.6448536269514722  # standard normal 0.95 quantile: the band is exp(-z sd) to exp(z sd)


@dataclass(frozen=True)
class Efficiency:
    """Achieved shares of the hardware ceilings, fitted by ``tco.published.fit``."""

    memory: float
    """Achieved / datasheet memory bandwidth in decode's streaming reads."""
    compute: float
    """Achieved / measured matmul ceiling in prefill and compute-bound GEMMs."""
    allreduce_us: float = 0.0
    """Latency per ring hop of an all-reduce (2 (n - 1) hops), on top of its bytes. The fitted
    value (13 us) is above NVLink's hardware latency: it also absorbs the per-layer
    synchronisation, expert-parallel imbalance and PCIe costs the model does not spell out."""


EFFICIENCY = Efficiency(memory=0.505, compute=0.73, allreduce_us=13.28)
"""Fitted on the fit half of the published points (benchmarks/calibrate_capacity.py prints it).
memory 0.505 is below the 0.70-0.76 streaming reads reach: the fit lets it absorb per-step costs
the roofline leaves out (kernel launches, sampling, scheduling), which scale like memory time."""

REGIME_LOG_SD = {"prefill-bound": 0.163, "decode memory-bound": 0.201, "decode compute-bound": 0.174,
                 "moe": 0.322}
"""Standard deviation of ln(measured / model) on the fit half, per regime (calibrate prints it)."""


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
    kv_cache_precision: str = "bf16"
    serving_engine: str = DEFAULT_SERVING_ENGINE
    regime: str = "decode memory-bound"
    why: str = ""
    candidates: tuple = ()
    """Per tensor-parallel size: (size, fits, GPU-seconds per request or None, reason)."""
    throughput_log_sd: float = 0.0

    @property
    def output_tokens_per_s_per_gpu(self) -> float:
        return self.output_tokens_per_s / self.gpus

    @property
    def throughput_band(self) -> tuple[float, float]:
        """(P5, P95) multiplicative factors on throughput: lognormal with the regime's spread."""
        return float(np.exp(-P5_Z * self.throughput_log_sd)), float(np.exp(P5_Z * self.throughput_log_sd))

    def replica_seconds_per_request(self, input_tokens: np.ndarray | float,
                                    output_tokens: np.ndarray | float) -> np.ndarray | float:
        """Busy time of one replica per request: prefill plus this request's share of decode steps."""
        return (input_tokens * self.replica_seconds_per_input_token
                + output_tokens * self.replica_seconds_per_output_token)


def kv_bytes_per_sequence(m: OpenModel, context_tokens: np.ndarray | float,
                          kv_cache_precision: str = "bf16") -> np.ndarray | float:
    """KV-cache bytes of one sequence holding ``context_tokens`` tokens.

    Multi-head latent attention (DeepSeek-V3) caches one latent of ``kv_latent_dim`` values per
    layer; grouped-query attention caches keys and values of ``kv_heads`` heads. Sliding-window
    layers hold at most the window.
    """
    if m.kv_latent_dim:
        values_per_layer = float(m.kv_latent_dim)
    else:
        values_per_layer = 2.0 * m.kv_heads * m.head_dim
    return m.layers * values_per_layer * BYTES_PER_VALUE[kv_cache_precision] * _held(m, context_tokens)


def _held(m: OpenModel, context_tokens: np.ndarray | float) -> np.ndarray:
    share = m.sliding_layers_share or 0.0
    window = m.sliding_window_tokens or 0
    tokens = np.asarray(context_tokens, dtype=float)
    return (1.0 - share) * tokens + share * np.minimum(tokens, window)


def attention_flops_per_token(m: OpenModel, context_tokens: np.ndarray | float,
                              decode: bool = False) -> np.ndarray | float:
    """FLOPs of the score and value products for one token attending to ``context_tokens`` tokens.

    Grouped-query attention: 2 x 2 x heads x head_dim per layer and attended token. MLA decodes in
    the absorbed form (scores over the 576-wide latent, values over its 512 compressed part) and
    prefills in the expanded form (head_dim for scores, head_dim - 64 for values).
    """
    if m.kv_latent_dim and decode:
        width = m.kv_latent_dim + (m.kv_latent_dim - MLA_ROPE_DIM)
    elif m.kv_latent_dim:
        width = m.head_dim + (m.head_dim - MLA_ROPE_DIM)
    else:
        width = 2 * m.head_dim
    return 2.0 * m.layers * m.attention_heads * width * _held(m, context_tokens)


def weights_read_params(m: OpenModel, tokens: np.ndarray) -> np.ndarray:
    """Parameters read from memory in one step of ``tokens`` tokens.

    For a mixture of experts with E experts and k per token, T tokens touch E x (1 - (1 - k/E)^T)
    distinct experts in expectation; shared layers are always read.
    """
    tokens = np.asarray(tokens, dtype=float)
    total = m.total_params_b * PARAMS_PER_BILLION
    if not m.is_moe:
        return np.full_like(tokens, total)
    active = m.active_params_b * PARAMS_PER_BILLION
    experts, per_token = float(m.experts), float(m.experts_per_token)
    expert_params = (total - active) / (experts - per_token)
    shared_params = active - per_token * expert_params
    touched = experts * (1.0 - np.power(1.0 - per_token / experts, tokens))
    return shared_params + expert_params * touched


def compute_precision(g: Gpu, precision: str) -> str:
    """The precision the GEMMs run at: the weights' own, or the finest the GPU has (weight-only)."""
    if g.dense_tflops(precision):
        return precision
    return "fp8" if g.dense_tflops("fp8") else "bf16"


@dataclass(frozen=True)
class _Replica:
    """The step-time model of one replica size, on a batch grid."""

    batch: np.ndarray
    t_step: np.ndarray
    t_decode: np.ndarray
    kv_batch: int
    cap_batch: int
    token_batch: int
    fits: bool


def replica(m: OpenModel, g: Gpu, precision: str, kv_precision: str, e: engines.Engine, size: int,
            input_tokens: float, output_tokens: float, eff: Efficiency) -> _Replica:
    """Step times (s) on the batch grid 1 .. the tightest of KV memory, sequence cap, token budget."""
    memory_bytes = size * g.memory_gb * engines.BYTES_PER_GIB
    weights_bytes = m.total_params_b * PARAMS_PER_BILLION * BYTES_PER_VALUE[precision]
    kv_free = e.kv_bytes_available(memory_bytes, weights_bytes)
    full = float(kv_bytes_per_sequence(m, input_tokens + output_tokens, kv_precision))
    held = full if e.kv_reservation == "full_request" else float(
        kv_bytes_per_sequence(m, input_tokens + 0.5 * output_tokens, kv_precision))
    fits = kv_free >= full
    kv_batch = int(kv_free // held) if held > 0 else e.sequence_cap(g)
    cap_batch = e.sequence_cap(g)
    prefill_per_decode = input_tokens / output_tokens
    per_seq_tokens = (1.0 + prefill_per_decode) if e.token_budget_counts_decode else prefill_per_decode
    token_batch = max(1, int(e.token_budget(g) // per_seq_tokens))
    top = max(1, min(kv_batch, cap_batch, token_batch))
    batch = np.arange(1, top + 1, dtype=float)
    shape = (input_tokens, output_tokens)
    t_step = step_seconds(m, g, precision, kv_precision, size, batch, batch * prefill_per_decode, shape, eff)
    t_decode = step_seconds(m, g, precision, kv_precision, size, batch, 0.0 * batch, shape, eff)
    return _Replica(batch, t_step, t_decode, kv_batch, cap_batch, token_batch, fits)


def step_seconds(m: OpenModel, g: Gpu, precision: str, kv_precision: str, size: int,
                 decode: np.ndarray, prefill: np.ndarray, shape: tuple[float, float],
                 eff: Efficiency) -> np.ndarray:
    """Seconds of one step with ``decode`` decoding sequences and ``prefill`` prefill tokens."""
    input_tokens, output_tokens = shape
    bandwidth = size * g.memory_bandwidth_tb_per_s * BYTES_PER_TB * eff.memory
    c = compute_precision(g, precision)
    peak = size * FLOPS_PER_TFLOPS * eff.compute
    gemm_flops = peak * g.dense_tflops(c) * g.matmul_ceiling_share(c)
    # FlashAttention-style kernels compute scores and values in BF16 whatever the KV storage
    attention_flops = peak * g.bf16_dense_tflops * g.matmul_ceiling_share("bf16")
    tokens = decode + prefill
    active = m.active_params_b * PARAMS_PER_BILLION
    t_weights = weights_read_params(m, tokens) * BYTES_PER_VALUE[precision] / bandwidth
    t_gemm = 2.0 * active * tokens / gemm_flops
    context = input_tokens + 0.5 * output_tokens
    t_kv = decode * kv_bytes_per_sequence(m, context, kv_precision) / bandwidth
    t_attention = (decode * attention_flops_per_token(m, context, decode=True)
                   + prefill * attention_flops_per_token(m, 0.5 * input_tokens)) / attention_flops
    return (np.maximum(t_weights, t_gemm) + np.maximum(t_kv, t_attention)
            + allreduce_seconds(m, g, size, tokens, eff.allreduce_us))


def allreduce_seconds(m: OpenModel, g: Gpu, size: int, tokens: np.ndarray,
                      latency_us: float = 0.0) -> np.ndarray:
    """Two ring all-reduces per layer of ``tokens`` x hidden BF16 values across ``size`` GPUs.

    A ring all-reduce sends 2 (n - 1) / n of the message out of every GPU in 2 (n - 1) hops; within
    a node over the GPU-to-GPU link, across nodes over the network (the slower link bounds a ring).
    """
    tokens = np.asarray(tokens, dtype=float)
    if size == 1:
        return np.zeros_like(tokens)
    link_gb_per_s = g.interconnect_gb_per_s if size <= GPUS_PER_NODE else min(
        g.interconnect_gb_per_s, INTER_NODE_GB_PER_S)
    message_bytes = tokens * m.hidden_size * ACTIVATION_BYTES
    per_layer = 2.0 * (2.0 * (size - 1) / size * message_bytes / (link_gb_per_s * 1e9)
                       + 2.0 * (size - 1) * latency_us * 1e-6)
    return m.layers * per_layer


def regime(m: OpenModel, g: Gpu, precision: str, kv_precision: str, size: int, batch: float,
           shape: tuple[float, float]) -> str:
    """The regime of a step at ``batch``, from datasheet peaks and measured ceilings only.

    No fitted factor enters, so a published point's regime (and with it the fit/hold-out split)
    cannot move when the model is refitted. Mixtures of experts form their own regime; a dense
    step is prefill-bound when its prefill tokens take more than half of it, else decode is
    compute- or memory-bound by which roofline side is longer.
    """
    if m.is_moe:
        return "moe"
    ceiling = Efficiency(memory=1.0, compute=1.0)
    b = np.array([float(batch)])
    prefill = b * shape[0] / shape[1]
    full = step_seconds(m, g, precision, kv_precision, size, b, prefill, shape, ceiling)[0]
    decode = step_seconds(m, g, precision, kv_precision, size, b, 0.0 * b, shape, ceiling)[0]
    if full - decode > 0.5 * full:
        return "prefill-bound"
    c = compute_precision(g, precision)
    flops = size * g.dense_tflops(c) * FLOPS_PER_TFLOPS * g.matmul_ceiling_share(c)
    active = m.active_params_b * PARAMS_PER_BILLION
    t_compute = batch * 2.0 * active / flops
    context = shape[0] + 0.5 * shape[1]
    read = (m.total_params_b * PARAMS_PER_BILLION * BYTES_PER_VALUE[precision]
            + batch * float(kv_bytes_per_sequence(m, context, kv_precision)))
    t_memory = read / (size * g.memory_bandwidth_tb_per_s * BYTES_PER_TB)
    return "decode compute-bound" if t_compute >= t_memory else "decode memory-bound"


@dataclass(frozen=True)
class _Option:
    size: int
    batch: int
    t_step: float
    t_decode: float
    bound: str
    gpu_seconds_per_request: float


def _best_batch(r: _Replica, size: int, limit_s: float | None, output_tokens: float) -> _Option | None:
    """The largest allowed batch (throughput B / t_step grows with B), or None if latency fails."""
    feasible = np.ones_like(r.batch, dtype=bool) if limit_s is None else r.t_step <= limit_s
    if not feasible.any():
        return None
    i = int(np.flatnonzero(feasible)[-1])
    b = int(r.batch[i])
    if b < r.batch[-1]:
        bound = "latency target"
    elif b == r.kv_batch:
        bound = "KV-cache memory"
    elif b == r.cap_batch:
        bound = f"engine sequence cap ({r.cap_batch})"
    elif b == r.token_batch:
        bound = "engine token budget per step"
    else:
        bound = "KV-cache memory"
    seconds = size * output_tokens * float(r.t_step[i]) / b
    return _Option(size, b, float(r.t_step[i]), float(r.t_decode[i]), bound, seconds)


def plan(*, model: str, gpu: str, precision: str, gpus: int | None = None, input_tokens: float,
         output_tokens: float, max_inter_token_ms: float | None = None,
         kv_cache_precision: str | None = None, serving_engine: str | None = None, field: str = "",
         efficiency: Efficiency = EFFICIENCY) -> CapacityPlan:
    """Size one replica and return its sustained throughput for requests of one shape.

    Parameters
    ----------
    precision
        Weight format, one of ``PRECISIONS``.
    gpus
        Tensor-parallel group size; None takes, among sizes that fit and meet
        ``max_inter_token_ms``, the one with the fewest GPU-seconds per request.
    kv_cache_precision
        None follows the weights (``DEFAULT_KV_CACHE_PRECISION``).
    serving_engine
        One of ``SERVING_ENGINES``; None is ``DEFAULT_SERVING_ENGINE``.
    field
        Scenario path used in error messages.

    Raises
    ------
    ScenarioError
        Unknown model, GPU or engine; an unknown format; weights plus one full request's KV cache
        that fit no group; a latency target no group meets.
    """
    prefix = f"{field}." if field else ""
    m = catalog.model(model, f"{prefix}model")
    g = catalog.gpu(gpu, f"{prefix}gpu")
    if precision not in PRECISIONS:
        raise ScenarioError(f"{prefix}precision", "must be one of " + ", ".join(f"'{p}'" for p in PRECISIONS))
    kv = kv_cache_precision or DEFAULT_KV_CACHE_PRECISION[precision]
    if kv not in KV_CACHE_PRECISIONS:
        raise ScenarioError(f"{prefix}kv_cache_precision",
                            "must be one of " + ", ".join(f"'{p}'" for p in KV_CACHE_PRECISIONS))
    if kv == "fp4" and not g.dense_tflops("fp4"):
        raise ScenarioError(f"{prefix}kv_cache_precision", f"{g.key} has no fp4 tensor cores to read "
                            "an fp4 KV cache; use 'fp8' or 'bf16'")
    e = engines.engine(serving_engine or DEFAULT_SERVING_ENGINE, f"{prefix}serving_engine")
    if input_tokens <= 0 or output_tokens <= 0:
        raise ScenarioError(f"{prefix}tokens", "input and output tokens per request must be positive")
    if input_tokens + output_tokens > m.context_tokens:
        raise ScenarioError(f"{prefix}model", f"requests of {input_tokens + output_tokens:,.0f} tokens "
                            f"exceed {m.key}'s context of {m.context_tokens:,} tokens")
    if gpus is not None and gpus < 1:
        raise ScenarioError(f"{prefix}gpus", "must be at least 1")
    limit_s = None if max_inter_token_ms is None else max_inter_token_ms / MS_PER_S
    sizes = (gpus,) if gpus is not None else TENSOR_PARALLEL_SIZES
    candidates, options, latency_ms = [], [], None
    for size in sizes:
        r = replica(m, g, precision, kv, e, size, input_tokens, output_tokens, efficiency)
        if not r.fits:
            candidates.append((size, False, None, "weights plus one full request's KV cache do not fit"))
            continue
        option = _best_batch(r, size, limit_s, output_tokens)
        if option is None:
            latency_ms = float(r.t_step[0]) * MS_PER_S if latency_ms is None else min(
                latency_ms, float(r.t_step[0]) * MS_PER_S)
            candidates.append((size, True, None, f"{r.t_step[0] * MS_PER_S:.0f} ms per token at batch 1 "
                               f"misses {max_inter_token_ms:g} ms"))
            continue
        options.append(option)
        candidates.append((size, True, option.gpu_seconds_per_request,
                           f"batch {option.batch} bound by {option.bound}"))
    if not options:
        if latency_ms is not None:
            raise ScenarioError(f"{prefix}max_inter_token_ms", f"{max_inter_token_ms:g} ms cannot be met "
                                f"by {m.key} on {g.key} ({latency_ms:.0f} ms at batch 1)")
        what = f"{gpus} x {g.key}" if gpus is not None else f"up to {TENSOR_PARALLEL_SIZES[-1]} x {g.key}"
        raise ScenarioError(f"{prefix}gpu", f"{m.key} in {precision} does not fit {what}: the weights "
                            "plus the KV cache of one full request exceed the memory")
    best = min(options, key=lambda o: (o.gpu_seconds_per_request, o.size))
    return _finish(m, g, precision, kv, e, best, options, gpus is not None, input_tokens, output_tokens,
                   tuple(candidates))


def _why(g: Gpu, best: _Option, options: list[_Option], pinned: bool) -> str:
    if pinned:
        return f"{best.size} x {g.key}: pinned by the option's gpus"
    fewest = options[0]
    if best.size == fewest.size:
        return (f"{best.size} x {g.key}: the fewest that fit and meet the latency target; no larger "
                "group needs fewer GPU-seconds per request")
    ratio = fewest.gpu_seconds_per_request / best.gpu_seconds_per_request
    shown = f"{ratio:.2f}" if ratio < 1.1 else f"{ratio:.1f}"
    return (f"{best.size} x {g.key}: {shown}x fewer GPU-seconds per request than {fewest.size} x "
            f"{g.key} (the fewest that fit)")


def _finish(m: OpenModel, g: Gpu, precision: str, kv: str, e: engines.Engine, best: _Option,
            options: list[_Option], pinned: bool, input_tokens: float, output_tokens: float,
            candidates: tuple) -> CapacityPlan:
    shape = (input_tokens, output_tokens)
    b = best.batch
    prefill_tokens = b * input_tokens / output_tokens
    step_regime = regime(m, g, precision, kv, best.size, b, shape)
    side = "prefill" if step_regime == "prefill-bound" else step_regime
    return CapacityPlan(
        model=m.key, gpu=g.key, precision=precision, gpus=best.size, max_batch=b,
        output_tokens_per_s=b / best.t_step, input_tokens_per_s=prefill_tokens / best.t_step,
        inter_token_ms=best.t_step * MS_PER_S, bound=f"{best.bound}; {side}",
        weights_gb=m.total_params_b * BYTES_PER_VALUE[precision],
        kv_cache_gb_per_sequence=float(kv_bytes_per_sequence(m, input_tokens + output_tokens, kv)) / 1e9,
        # a step's prefill share is charged to input tokens, its decode share to output tokens, so
        # input x s_in + output x s_out = output x t_step / B, one request's share of the replica
        replica_seconds_per_input_token=(best.t_step - best.t_decode) / prefill_tokens,
        replica_seconds_per_output_token=best.t_decode / b,
        kv_cache_precision=kv, serving_engine=e.key, regime=step_regime,
        why=_why(g, best, options, pinned), candidates=candidates,
        throughput_log_sd=REGIME_LOG_SD[step_regime])
