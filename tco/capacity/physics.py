"""The step-time physics of one serving replica: bytes read, FLOPs and GPU-to-GPU traffic.

A replica is n GPUs holding one copy of the weights in one of two layouts (``LAYOUTS``):

- ``tp``: every layer tensor-parallel over the n GPUs. Weights and KV heads are split n ways
  (a GQA model with fewer KV heads than GPUs, and an MLA latent, are copied instead: each GPU
  keeps whole heads); two all-reduces of the step's activations per layer.
- ``dp-ep`` (mixtures of experts only): attention data-parallel, routed experts expert-parallel.
  Every GPU holds the non-expert weights (attention, embeddings, shared experts) and the KV cache
  of its own sequences, and E / n of the routed experts; a MoE layer gathers the step's tokens to
  the GPUs holding their experts and reduce-scatters the results back, the traffic of one
  all-reduce (TensorRT-LLM ``enable_attention_dp`` with ``--ep n``, SGLang
  ``--enable-dp-attention``, vLLM ``--enable-expert-parallel`` with data parallelism).

Prompts are prefilled in whole chunks (``step_times``): the mean step averages decode-only
steps and steps that carry a chunk; a request's time to first token is the steps that prefill its
prompt (``first_token_seconds``). One step with D decoding sequences and P prefill tokens
(T = D + P) takes, per GPU,

    t_step = [max(t_weights, t_gemm) + o min(t_weights, t_gemm)]
             + [max(t_kv, t_attention) + o min(t_kv, t_attention)] + t_comm + L f_layer + f_step

with o the fitted share of the shorter side that does not overlap the longer (the kernels of a
step run one after another, each bound by memory or by math: o = 0 is the roofline, 1 a sum),
and a floor that no batch hides: f_layer per layer (L layers; the launch, setup and teardown of a
layer's kernels, which CUDA graphs shrink but do not remove; more for a mixture-of-experts layer,
whose routing and permutation are kernels of their own) and f_step per step (scheduling and
sampling the engine does not overlap), set from their sources (``capacity.FIT_BOUNDS``). At
batch 1 the floor is a large share of a step (a seventh of Llama 3.1 8B's in BF16 on an H100);
at the batches the published tables run, a few percent.

- t_weights: weight bytes the step's tokens touch over the GPU's bandwidth x memory efficiency. A
  mixture of experts with E experts and k per token touches E (1 - (1 - k/E)^T) of them per
  layer; ``tp`` reads 1/n of everything touched, ``dp-ep`` all shared weights and 1/n of the
  touched experts;
- t_gemm: 2 x active parameters x T FLOPs / n over dense peak x measured matmul ceiling share
  (``tco/data/gpus.csv``) x the compute efficiency; routed experts compute k T rows at a fitted
  share of that rate (grouped GEMMs, with routing and permutation around them) plus a padding
  per touched expert (the unfilled part of its last GEMM tile) at the full rate: a tile is
  computed whole, so a step that touches many experts with a few rows each pays tiles, not
  slow rows. The tile follows the rows an expert gets (k T / touched), from the kernels'
  smallest tile (``SMALLEST_EXPERT_TILE_ROWS``) up to the fitted full one;
- t_kv: the decoding sequences' KV cache (with its copies) / n over the same bandwidth;
- t_attention: score and value FLOPs / n (a 576-wide latent per head for MLA models in decode);
- t_comm: per all-reduce, NCCL's ring: 2 (n - 1) / n of the T x hidden BF16 message over the link
  bandwidth x link efficiency, plus a base latency and a latency per ring step (cited constants;
  ``tco/capacity/parallel.py``).

Pipeline parallelism (``stages`` S > 1) splits the layers into S consecutive stages of n GPUs each
(n the tensor-parallel size within a stage): a stage holds L / S layers' weights and KV cache. A
micro-batch of b sequences passes the stages one after the other, and each stage boundary sends its
T x hidden BF16 activations to the next stage (``parallel.p2p_seconds``), so one token of a micro-batch takes

    t_cycle(b) = S x t_stage(b) + (S - 1) t_p2p(b) = t_step(b; n GPUs, all L layers) + (S - 1) t_p2p(b)

(every term of t_step but f_step is a sum over layers, and a stage's weights and KV cache are 1 / S
of the replica's; where S does not divide L the pipeline moves at its slowest stage's pace, ceil(L /
S) layers, ``parallel.stage_imbalance``). That is the inter-token latency a user sees. In steady state S
micro-batches are in flight, one in each stage, so the replica emits S b tokens per t_cycle: per
GPU, what one stage emits at its micro-batch. With B sequences in all the replica runs min(B, S)
micro-batches of at most b = ceil(B / S) (``parallel.micro_batch``) and emits B / t_cycle(b): fewer
micro-batches than stages leave stages idle (the bubble; at B = 1 one stage of S works at a time),
and micro-batches of unequal size run at the largest one's pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tco.capacity.parallel import (
    allreduce_seconds,
    p2p_seconds,
    stage_imbalance,
)
from tco.catalog import Gpu, OpenModel
from tco.units import BYTES_PER_TB, FLOPS_PER_TFLOPS, PARAMS_PER_BILLION, US_PER_S

PRECISIONS = ("bf16", "fp8", "fp4", "int4")
"""Weight storage formats. fp4 is NVFP4/MXFP4, int4 is AWQ/GPTQ; a GPU without units for the
format stores the weights in it and computes at the finest precision it has (weight-only)."""

KV_CACHE_PRECISIONS = ("bf16", "fp8", "fp4")

BYTES_PER_VALUE = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5 + 1.0 / 16, "int4": 0.5 + 2.0 / 128}
"""fp4 carries one FP8 scale per 16 values (NVFP4); int4 one BF16 scale per 128-value group."""

DEFAULT_KV_CACHE_PRECISION = {"bf16": "bf16", "fp8": "fp8", "fp4": "fp8", "int4": "bf16"}
"""KV cache follows the checkpoint: ModelOpt FP8 and NVFP4 checkpoints declare
``kv_cache_quant_algo: FP8``; AWQ/GPTQ checkpoints leave it at the activation dtype (BF16)."""

LAYOUTS = ("tp", "dp-ep")

SMALLEST_EXPERT_TILE_ROWS = 16.0
"""Fewest rows a grouped expert GEMM tiles an expert's tokens into (vLLM fused_moe
get_default_config, 2025: BLOCK_SIZE_M 16 while the step has no more tokens than experts; its
Marlin path picks the smallest of 8-64 rows that holds an expert's mean rows)."""

MLA_ROPE_DIM = 64
"""DeepSeek-V3's latent is 512 compressed values plus 64 rotary ones; values use the 512."""


@dataclass(frozen=True)
class Efficiency:
    """Achieved shares of the hardware ceilings, fitted by ``tco.published.fit`` within
    ``tco.capacity.FIT_BOUNDS``."""

    memory: float
    """Achieved / datasheet memory bandwidth in the step's reads (weights and KV cache)."""
    compute: float
    """Achieved / measured matmul ceiling in GEMMs and attention."""
    link: float = 1.0
    """Achieved / datasheet GPU-to-GPU bandwidth for the bytes of an all-reduce."""
    expert_compute: float = 1.0
    """Achieved / the dense GEMMs' rate in routed-expert GEMMs (grouped, with routing around them)."""
    expert_pad_tokens: float = 0.0
    """Rows a grouped GEMM computes per touched expert beyond its tokens (its last tile's unfilled
    part), in tokens."""
    overlap_loss: float = 0.0
    """Share of the shorter of memory time and compute time that does not overlap the longer:
    0 is the roofline's max(), 1 runs them one after the other."""
    reserve_gb: float = 0.0
    """GPU memory per GPU the engine keeps outside weights and KV cache (CUDA context,
    activations for its token budget, workspaces)."""
    layer_floor_us: float = 0.0
    """Shortest time one layer of a step takes, in microseconds: its kernels' launch and
    synchronisation latency, which CUDA graphs shrink but do not remove."""
    expert_layer_floor_us: float = 0.0
    """What a mixture-of-experts layer adds to ``layer_floor_us``, in microseconds: the kernels that
    route, permute and un-permute its tokens."""
    step_floor_us: float = 0.0
    """Fixed time per step beyond its layers, in microseconds (sampling, scheduling)."""
    allreduce_latency: bool = True
    """False only in ``CEILING``: the regime rule predates the latency constants."""


CEILING = Efficiency(memory=1.0, compute=1.0, allreduce_latency=False)
"""Datasheet bandwidths, measured matmul ceilings, no latency, full overlap: the regime rule's
model, which no fitted factor enters."""

def kv_bytes_per_sequence(m: OpenModel, context_tokens: np.ndarray | float,
                          kv_cache_precision: str = "bf16") -> np.ndarray | float:
    """KV-cache bytes of one sequence holding ``context_tokens`` tokens (one copy).

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


def kv_copies(m: OpenModel, size: int, layout: str = "tp") -> float:
    """Copies of each sequence's KV cache a replica holds.

    Tensor parallelism gives every GPU whole KV heads: with fewer KV heads than GPUs each head is
    stored n / kv_heads times, and an MLA latent (shared by all heads) on every GPU. Attention data
    parallelism keeps a sequence on one GPU: one copy.
    """
    if layout == "dp-ep" or size == 1:
        return 1.0
    if m.kv_latent_dim:
        return float(size)
    return max(1.0, size / m.kv_heads)


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


def expert_split(m: OpenModel) -> tuple[float, float]:
    """(shared parameters, parameters of one routed expert summed over layers).

    From the catalog's totals: E experts of which k are active, total = shared + E x expert and
    active = shared + k x expert. A dense model is all shared.
    """
    total = m.total_params_b * PARAMS_PER_BILLION
    if not m.is_moe:
        return total, 0.0
    active = m.active_params_b * PARAMS_PER_BILLION
    expert = (total - active) / (float(m.experts) - float(m.experts_per_token))
    return active - m.experts_per_token * expert, expert


def weights_read_params(m: OpenModel, tokens: np.ndarray) -> np.ndarray:
    """Parameters read from memory in one step of ``tokens`` tokens, over the whole replica.

    For a mixture of experts with E experts and k per token, T tokens touch E x (1 - (1 - k/E)^T)
    distinct experts in expectation; shared layers are always read.
    """
    tokens = np.asarray(tokens, dtype=float)
    shared, expert = expert_split(m)
    if not m.is_moe:
        return np.full_like(tokens, shared)
    experts, per_token = float(m.experts), float(m.experts_per_token)
    touched = experts * (1.0 - np.power(1.0 - per_token / experts, tokens))
    return shared + expert * touched


def expert_gemm_rows(m: OpenModel, tokens: np.ndarray, pad_tokens: float = 0.0) -> np.ndarray:
    """Rows the routed-expert GEMMs of one layer compute for a step of ``tokens`` tokens: k per
    token, plus one tile's padding for each of the X = E (1 - (1 - k/E)^T) experts the step
    touches, the tile being the rows an expert gets, k T / X, kept between the kernels' smallest
    tile and ``pad_tokens`` (the full tile)."""
    tokens = np.asarray(tokens, dtype=float)
    if not m.is_moe:
        return np.zeros_like(tokens)
    experts, per_token = float(m.experts), float(m.experts_per_token)
    touched = experts * (1.0 - np.power(1.0 - per_token / experts, tokens))
    rows = per_token * tokens
    # the kernel's tile of rows follows the rows each expert gets, from its smallest tile up to
    # the full one: a step of a few rows per expert pads a small tile, not a 128-row one
    tile = np.clip(rows / np.maximum(touched, 1e-12), min(SMALLEST_EXPERT_TILE_ROWS, pad_tokens), pad_tokens)
    return rows + tile * touched


def weights_bytes(m: OpenModel, precision: str, size: int, layout: str = "tp") -> float:
    """Weight bytes a replica of ``size`` GPUs stores (``dp-ep`` stores the shared part n times)."""
    shared, _ = expert_split(m)
    total = m.total_params_b * PARAMS_PER_BILLION
    copies_of_shared = size - 1 if layout == "dp-ep" else 0
    return (total + copies_of_shared * shared) * BYTES_PER_VALUE[precision]


def compute_precision(g: Gpu, precision: str) -> str:
    """The precision the GEMMs run at: the weights' own, or the finest the GPU has (weight-only)."""
    if g.dense_tflops(precision):
        return precision
    return "fp8" if g.dense_tflops("fp8") else "bf16"


def step_seconds(m: OpenModel, g: Gpu, precision: str, kv_precision: str, size: int,
                 decode: np.ndarray, prefill: np.ndarray, shape: tuple[float, float],
                 eff: Efficiency, layout: str = "tp", stages: int = 1) -> np.ndarray:
    """Seconds of one step of a replica with ``decode`` decoding sequences and ``prefill`` prefill
    tokens in all (the module docstring's formula); with ``stages`` > 1, of one micro-batch's
    cycle through the pipeline, ``size`` being the GPUs of one stage."""
    input_tokens, output_tokens = shape
    bandwidth = g.memory_bandwidth_tb_per_s * BYTES_PER_TB * eff.memory  # per GPU
    c = compute_precision(g, precision)
    peak = FLOPS_PER_TFLOPS * eff.compute
    gemm_flops = peak * g.dense_tflops(c) * g.matmul_ceiling_share(c)
    # FlashAttention-style kernels compute scores and values in BF16 whatever the KV storage
    attention_flops = peak * g.bf16_dense_tflops * g.matmul_ceiling_share("bf16")
    tokens = decode + prefill
    read = weights_read_params(m, tokens)
    shared, expert = expert_split(m)
    if layout == "dp-ep":
        per_gpu_params = shared + (read - shared) / size
    else:
        per_gpu_params = read / size
    t_weights = per_gpu_params * BYTES_PER_VALUE[precision] / bandwidth
    dense_params = m.active_params_b * PARAMS_PER_BILLION - (m.experts_per_token or 0) * expert
    expert_rows = expert_gemm_rows(m, tokens, eff.expert_pad_tokens)
    routed_rows = expert_gemm_rows(m, tokens)
    # routed rows pay the grouped GEMM's routing and permutation (expert_compute); the padding of
    # each touched expert's last tile is computed at the dense rate, wasted but not slowed
    expert_cost_rows = routed_rows / eff.expert_compute + (expert_rows - routed_rows)
    t_gemm = 2.0 * (tokens * dense_params + expert * expert_cost_rows) / size / gemm_flops
    context = input_tokens + 0.5 * output_tokens
    kv_read = decode * kv_bytes_per_sequence(m, context, kv_precision) * kv_copies(m, size, layout)
    t_kv = kv_read / size / bandwidth
    t_attention = (decode * attention_flops_per_token(m, context, decode=True)
                   + prefill * attention_flops_per_token(m, 0.5 * input_tokens)) / size / attention_flops
    t_comm = allreduce_seconds(m, g, size, tokens, eff.link, per_layer=1 if layout == "dp-ep" else 2,
                               latency=eff.allreduce_latency)
    work = _overlap(t_weights, t_gemm, eff) + _overlap(t_kv, t_attention, eff) + t_comm
    seconds = _floor(work, m, eff)
    if stages > 1:
        # the S stages' shares of the layers add up to the step above; the pipeline moves at the
        # pace of its slowest stage, which holds ceil(L / S) layers
        seconds = (seconds * stage_imbalance(m, stages)
                   + (stages - 1) * p2p_seconds(m, g, size * stages, tokens, eff.link, eff.allreduce_latency))
    return seconds


class StepTimes(NamedTuple):
    """Step times (s) of a replica on a batch grid, each of the grid's shape."""

    mean: np.ndarray
    """The mean step: decode-only steps and steps carrying a chunk, averaged."""
    decode: np.ndarray
    """A decode-only step t(B, 0)."""
    chunk_step: np.ndarray
    """A step carrying a prefill chunk t(B, C)."""
    chunk: np.ndarray
    """Prefill tokens C in a step that prefills (all ranks together)."""


def step_times(m: OpenModel, g: Gpu, precision: str, kv_precision: str, size: int,
               decode: np.ndarray, shape: tuple[float, float], eff: Efficiency, layout: str,
               chunk_tokens: np.ndarray | float, stages: int = 1) -> StepTimes:
    """Step times with ``decode`` sequences decoding and prompts prefilled in whole chunks of
    ``chunk_tokens`` (or of the mean prefill a step must carry, decode x input / output, where
    that is larger).

    In steady state a step must prefill decode x input / output tokens on average. An engine does
    not spread them thinly: a step that prefills takes a chunk of up to its token budget, and the
    others only decode. With P the mean prefill tokens a step and C the chunk (at least P), the
    mean step is t(B, 0) + P / C x (t(B, C) - t(B, 0)): the same as t(B, P) where the step is
    linear in its tokens (dense models), less where touching experts saturates (a chunk reads
    and pads each expert once, where thin slices would pay it every step).

    With ``stages`` > 1, ``decode`` and ``chunk_tokens`` are one micro-batch's and the times its
    cycle through the pipeline (``step_seconds``).
    """
    decode = np.asarray(decode, dtype=float)
    mean_prefill = decode * shape[0] / shape[1]
    chunk = np.maximum(chunk_tokens, mean_prefill)
    t_decode = step_seconds(m, g, precision, kv_precision, size, decode, 0.0 * decode, shape, eff, layout,
                            stages)
    t_chunk = step_seconds(m, g, precision, kv_precision, size, decode, chunk, shape, eff, layout, stages)
    return StepTimes(t_decode + mean_prefill / chunk * (t_chunk - t_decode), t_decode, t_chunk,
                     chunk + 0.0 * decode)


def first_token_seconds(times: StepTimes, input_tokens: float, ranks: int = 1) -> np.ndarray:
    """Time to first token (s) of a request arriving at a replica with ``times`` (its grid's shape).

    Notes
    -----
    With chunked prefill the scheduler first gives every running decode its token, then spends
    what is left of the step's token budget on waiting prompts, splitting a prompt that does not
    fit into chunks (vLLM, "Optimization and Tuning: Chunked Prefill",
    docs.vllm.ai/en/v0.8.3/performance/optimization.html; SGLang ``--chunked-prefill-size``). A
    prompt of I tokens on a rank whose prefilling steps carry c = min(I, C / ranks) of its tokens
    takes ceil(I / c) steps of t(B, C), the last of which samples the first token, after the step
    in flight when it arrives (one decode step t(B, 0)):

        TTFT = ceil(I / c) x t(B, C) + t(B, 0)

    No queue for the prefill budget is modelled: the prompt is prefilled from the next step on.
    """
    per_step = np.minimum(times.chunk / ranks, input_tokens)
    # rounded so that a chunk of exactly the prompt is one step, not two by a rounding error
    steps = np.ceil(np.round(input_tokens / per_step, 9))
    return steps * times.chunk_step + times.decode


def _floor(work: np.ndarray, m: OpenModel, eff: Efficiency) -> np.ndarray:
    per_layer_us = eff.layer_floor_us + (eff.expert_layer_floor_us if m.is_moe else 0.0)
    return work + (m.layers * per_layer_us + eff.step_floor_us) / US_PER_S


def _overlap(t_memory: np.ndarray, t_compute: np.ndarray, eff: Efficiency) -> np.ndarray:
    return np.maximum(t_memory, t_compute) + eff.overlap_loss * np.minimum(t_memory, t_compute)


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
    b = np.array([float(batch)])
    prefill = b * shape[0] / shape[1]
    full = step_seconds(m, g, precision, kv_precision, size, b, prefill, shape, CEILING)[0]
    decode = step_seconds(m, g, precision, kv_precision, size, b, 0.0 * b, shape, CEILING)[0]
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
