"""Sizing one replica for the lowest cost: candidates, batch limits, the choice and its reasons.

For each tensor-parallel size (and, for a mixture of experts, each layout of ``physics.LAYOUTS``)
the replica's batch is the largest that the KV cache, the engine's sequence cap and token budget
(``tco/engines.py``), ``max_inter_token_ms`` and ``max_time_to_first_token_ms`` allow: with
continuous batching and chunked prefill a steady-state step carries B decoding sequences and, on
average, B x input / output prefill tokens, taken in whole chunks (``chunk_tokens``,
``physics.step_times``), so the replica emits B / t_step output tokens per second and t_step is
the mean inter-token latency; a new request's time to first token is the chunk steps that prefill
its prompt plus the step in flight when it arrives (``physics.first_token_seconds``).
A candidate is refused only when the weights plus the KV cache of one full request do not fit.
Among candidates that fit and meet the latency targets the plan takes the one with the fewest
GPU-seconds per request, n x output x t_step / B; ``gpus`` pins the size and ``layout`` the
layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

import tco.engines as engines
from tco.capacity.parallel import micro_batch
from tco.capacity.physics import (
    BYTES_PER_VALUE,
    Efficiency,
    first_token_seconds,
    kv_bytes_per_sequence,
    kv_copies,
    regime,
    step_times,
    weights_bytes,
)
from tco.catalog import Gpu, OpenModel
from tco.units import BYTES_PER_GB, MS_PER_S

TENSOR_PARALLEL_SIZES = (1, 2, 4, 8, 16, 32, 64)

LAYOUT_NAMES = {"tp": "tensor-parallel",
                "dp-ep": "attention data-parallel, experts expert-parallel"}

BATCH_BOUNDS = ("KV-cache memory", "latency target", "time-to-first-token target", "engine sequence cap",
                "engine token budget")
"""What stops the batch from growing (throughput B / t_step grows with B up to it)."""

Z_P90 = 1.2815515655446004  # standard normal 0.9 quantile: the band is exp(-z sd) to exp(z sd)


class Candidate(NamedTuple):
    """One replica size and layout the plan considered."""

    gpus: int
    fits: bool
    gpu_seconds_per_request: float | None
    """None: refused (does not fit) or misses the latency target at batch 1."""
    reason: str
    layout: str = "tp"
    batch: int = 0
    inter_token_ms: float = float("nan")
    output_tokens_per_s_per_gpu: float = float("nan")
    batch_bound: str = ""
    time_to_first_token_ms: float = float("nan")
    pipeline_stages: int = 1


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
    """What bounds the batch, then the step's regime: 'latency target; decode memory-bound'."""
    weights_gb: float
    kv_cache_gb_per_sequence: float
    replica_seconds_per_input_token: float
    replica_seconds_per_output_token: float
    kv_cache_precision: str = "bf16"
    serving_engine: str = "tensorrt-llm"
    regime: str = "decode memory-bound"
    why: str = ""
    candidates: tuple[Candidate, ...] = ()
    throughput_log_sd: float = 0.0
    layout: str = "tp"
    batch_bound: str = "KV-cache memory"
    """One of ``BATCH_BOUNDS``."""
    calibration_file: str = ""
    """The user's calibration file behind the factors, or '' for the shipped fit
    (``tco.calibration.files.calibrated_plan``)."""
    calibration_sha256: str = ""
    calibration_as_of: str = ""
    time_to_first_token_ms: float = float("nan")
    """Time to first token at the chosen batch (``physics.first_token_seconds``)."""
    pipeline_stages: int = 1
    """Pipeline stages of the replica: ``gpus`` / pipeline_stages GPUs in each, laid out as
    ``layout``."""

    @property
    def layout_name(self) -> str:
        """The layout as a reader sees it, pipeline included ('tensor-parallel 2 x pipeline 2')."""
        return layout_name(self.layout, self.gpus, self.pipeline_stages)

    @property
    def calibration(self) -> str:
        """'file (sha256 ...)' of the calibration behind the plan, or ''."""
        return f"{self.calibration_file} (sha256 {self.calibration_sha256})" if self.calibration_file else ""

    @property
    def output_tokens_per_s_per_gpu(self) -> float:
        return self.output_tokens_per_s / self.gpus

    @property
    def throughput_band(self) -> tuple[float, float]:
        """(P10, P90) multiplicative factors on throughput: lognormal with the regime's spread,
        the same per-path throughput factor the simulation draws."""
        return float(np.exp(-Z_P90 * self.throughput_log_sd)), float(np.exp(Z_P90 * self.throughput_log_sd))

    def replica_seconds_per_request(self, input_tokens: np.ndarray | float,
                                    output_tokens: np.ndarray | float) -> np.ndarray | float:
        """Busy time of one replica per request: prefill plus this request's share of decode steps."""
        return (input_tokens * self.replica_seconds_per_input_token
                + output_tokens * self.replica_seconds_per_output_token)


@dataclass(frozen=True)
class Replica:
    """The step-time model of one replica size and layout, on a batch grid."""

    size: int
    layout: str
    batch: np.ndarray
    t_step: np.ndarray
    t_decode: np.ndarray
    t_first_token: np.ndarray
    kv_batch: int
    cap_batch: int
    token_batch: int
    fits: bool
    stages: int = 1


def layouts(m: OpenModel, size: int) -> tuple[str, ...]:
    """The layouts a replica of ``size`` GPUs can take: expert parallelism needs experts and GPUs."""
    return ("tp", "dp-ep") if m.is_moe and size > 1 else ("tp",)


def chunk_tokens(e: engines.Engine, g: Gpu, input_tokens: float, batch: np.ndarray | float,
                 ranks: int = 1) -> np.ndarray:
    """Prefill tokens in a step that prefills: one prompt, or what the engine's token budget per
    rank leaves beside the decoding sequences, whichever is smaller (at least 1 per rank)."""
    budget = float(e.token_budget(g))
    decode_per_rank = np.asarray(batch, dtype=float) / ranks if e.token_budget_counts_decode else 0.0
    return ranks * np.maximum(1.0, np.minimum(input_tokens, budget - decode_per_rank))


def replica(m: OpenModel, g: Gpu, precision: str, kv_precision: str, e: engines.Engine, size: int,
            input_tokens: float, output_tokens: float, eff: Efficiency, layout: str = "tp",
            stages: int = 1) -> Replica:
    """Step times (s) on the batch grid 1 .. the tightest of KV memory, sequence cap, token budget.

    ``size`` counts every GPU of the replica: ``stages`` pipeline stages of size / stages GPUs
    each, laid out as ``layout`` within a stage. Under ``dp-ep`` each GPU of a stage is its own
    attention rank: a sequence's KV cache must fit one GPU, and the engine's sequence cap and token
    budget apply per rank (each rank schedules its own batch). In a pipeline each micro-batch is
    scheduled on its own (TensorRT-LLM and vLLM keep one scheduler state per micro-batch in flight),
    so the cap and the budget apply per micro-batch; every stage holds its layers' share of every
    sequence's KV cache, so the replica's memory is pooled as for one stage.
    """
    per_stage = size // stages
    kv_free_gpu = e.kv_bytes_available(g.memory_gb * engines.BYTES_PER_GIB,
                                       weights_bytes(m, precision, per_stage, layout) / size,
                                       eff.reserve_gb * BYTES_PER_GB)
    copies = kv_copies(m, per_stage, layout)
    full = float(kv_bytes_per_sequence(m, input_tokens + output_tokens, kv_precision))
    held = full if e.kv_reservation == "full_request" else float(
        kv_bytes_per_sequence(m, input_tokens + 0.5 * output_tokens, kv_precision))
    ranks = per_stage if layout == "dp-ep" else 1
    # a rank's share of memory holds whole sequences (their copies spread over the rank's GPUs)
    kv_free_rank = kv_free_gpu * size / ranks
    fits = kv_free_rank >= full * copies
    cap_batch = ranks * stages * e.sequence_cap(g)
    kv_batch = ranks * int(kv_free_rank // (held * copies)) if held > 0 else cap_batch
    prefill_per_decode = input_tokens / output_tokens
    per_seq_tokens = (1.0 + prefill_per_decode) if e.token_budget_counts_decode else prefill_per_decode
    token_batch = ranks * stages * max(1, int(e.token_budget(g) // per_seq_tokens))
    top = max(1, min(kv_batch, cap_batch, token_batch))
    batch = np.arange(1, top + 1, dtype=float)
    shape = (input_tokens, output_tokens)
    # the replica's B sequences run as micro-batches of b each; a pipeline's step is b's cycle,
    # computed once per micro-batch size (S batches share one)
    b = batch if stages == 1 else micro_batch(batch, stages)
    sizes = b if stages == 1 else np.arange(1.0, b[-1] + 1.0)
    times = step_times(m, g, precision, kv_precision, per_stage, sizes, shape, eff, layout,
                       chunk_tokens(e, g, input_tokens, sizes, ranks), stages)
    first = first_token_seconds(times, input_tokens, ranks)
    at = slice(None) if stages == 1 else (b - 1.0).astype(int)
    return Replica(size, layout, batch, times.mean[at], times.decode[at], first[at], kv_batch, cap_batch,
                   token_batch, fits, stages)


def fits_gpus(m: OpenModel, g: Gpu, precision: str, kv_precision: str, e: engines.Engine, gpus: int,
              input_tokens: float, output_tokens: float, eff: Efficiency) -> bool:
    """Whether the weights and one full request's KV cache fit ``gpus`` GPUs as one tensor-parallel
    stage (``replica``'s rule)."""
    kv_free = e.kv_bytes_available(g.memory_gb * engines.BYTES_PER_GIB,
                                   weights_bytes(m, precision, gpus) / gpus, eff.reserve_gb * BYTES_PER_GB)
    full = float(kv_bytes_per_sequence(m, input_tokens + output_tokens, kv_precision))
    return kv_free * gpus >= full * kv_copies(m, gpus)


@dataclass(frozen=True)
class Option:
    """A candidate that fits and meets the latency target, at its best batch."""

    size: int
    layout: str
    batch: int
    t_step: float
    t_decode: float
    t_first_token: float
    batch_bound: str
    bound_detail: str
    gpu_seconds_per_request: float
    stages: int = 1


def best_batch(r: Replica, limit_s: float | None, output_tokens: float,
               first_token_limit_s: float | None = None) -> Option | None:
    """The largest batch meeting both latency targets (throughput B / t_step grows with B), or
    None if batch 1 misses one."""
    meets_step = np.ones_like(r.batch, dtype=bool) if limit_s is None else r.t_step <= limit_s
    meets_first = (np.ones_like(r.batch, dtype=bool) if first_token_limit_s is None
                   else r.t_first_token <= first_token_limit_s)
    feasible = meets_step & meets_first
    if not feasible.any():
        return None
    i = int(np.flatnonzero(feasible)[-1])
    b = int(r.batch[i])
    if b < r.batch[-1]:
        # the next batch up misses a target: name the per-token one where it misses both
        bound = "latency target" if not meets_step[i + 1] else "time-to-first-token target"
        detail = bound
    elif b == r.kv_batch:
        bound, detail = "KV-cache memory", "KV-cache memory"
    elif b == r.cap_batch:
        bound, detail = "engine sequence cap", f"engine sequence cap ({r.cap_batch})"
    elif b == r.token_batch:
        bound, detail = "engine token budget", "engine token budget per step"
    else:
        bound, detail = "KV-cache memory", "KV-cache memory"
    seconds = r.size * output_tokens * float(r.t_step[i]) / b
    return Option(r.size, r.layout, b, float(r.t_step[i]), float(r.t_decode[i]), float(r.t_first_token[i]),
                  bound, detail, seconds, r.stages)


def misses_at_batch_one(r: Replica, limit_ms: float | None, first_token_limit_ms: float | None) -> str:
    """'max_inter_token_ms' or 'max_time_to_first_token_ms': the target batch 1 misses (the
    per-token one where both)."""
    if limit_ms is not None and r.t_step[0] * MS_PER_S > limit_ms:
        return "max_inter_token_ms"
    return "max_time_to_first_token_ms" if first_token_limit_ms is not None else "max_inter_token_ms"


def candidate(r: Replica, option: Option | None, limit_ms: float | None,
              first_token_limit_ms: float | None = None) -> Candidate:
    """The record of one considered replica for ``CapacityPlan.candidates``."""
    if not r.fits:
        return Candidate(r.size, False, None, "weights plus one full request's KV cache do not fit",
                         r.layout, pipeline_stages=r.stages)
    first_ms = float(r.t_first_token[0]) * MS_PER_S
    if option is None:
        if misses_at_batch_one(r, limit_ms, first_token_limit_ms) == "max_inter_token_ms":
            reason = f"{r.t_step[0] * MS_PER_S:.0f} ms per token at batch 1 misses {limit_ms:g} ms"
        else:
            reason = f"{first_ms:.0f} ms to the first token at batch 1 misses {first_token_limit_ms:g} ms"
        return Candidate(r.size, True, None, reason, r.layout, 0, float(r.t_step[0]) * MS_PER_S,
                         time_to_first_token_ms=first_ms, pipeline_stages=r.stages)
    return Candidate(r.size, True, option.gpu_seconds_per_request,
                     f"batch {option.batch} bound by {option.bound_detail}", r.layout, option.batch,
                     option.t_step * MS_PER_S, option.batch / option.t_step / option.size,
                     option.batch_bound, option.t_first_token * MS_PER_S, r.stages)


def layout_name(layout: str, gpus: int, stages: int = 1) -> str:
    """A replica's layout in words: ``LAYOUT_NAMES``, and the pipeline where there is one
    ('tensor-parallel 2 x pipeline 2')."""
    if stages == 1:
        return LAYOUT_NAMES[layout]
    per_stage = gpus // stages
    within = "" if per_stage == 1 else f"{LAYOUT_NAMES[layout]} {per_stage} x "
    return f"{within}pipeline {stages}"


def _named(g: Gpu, size: int, layout: str, stages: int = 1) -> str:
    return f"{size} x {g.key}" + ("" if size == 1 else f" ({layout_name(layout, size, stages)})")


def why_sentence(g: Gpu, best: Option, options: list[Option], pinned: bool, latency_target: bool) -> str:
    """One sentence: why this size and layout, and what bounds its batch."""
    batch = f"batch {best.batch} bound by the {best.batch_bound}"
    chosen = _named(g, best.size, best.layout, best.stages)
    if pinned:
        layout = "" if len(options) == 1 else ", the cheaper layout"
        return f"{chosen}: pinned by the option's gpus{layout}; {batch}"
    fewest = min(options, key=lambda o: (o.size, o.gpu_seconds_per_request))
    rule = "fit and meet the latency target" if latency_target else "fit"
    if best is fewest:
        others = "" if len(options) == 1 else "; no larger group needs fewer GPU-seconds per request"
        return f"{chosen}: the fewest GPUs that {rule}{others}; {batch}"
    ratio = fewest.gpu_seconds_per_request / best.gpu_seconds_per_request
    shown = f"{ratio:.2f}" if ratio < 1.1 else f"{ratio:.1f}"
    return (f"{chosen}: {shown}x fewer GPU-seconds per request than "
            f"{_named(g, fewest.size, fewest.layout, fewest.stages)}, the fewest GPUs that {rule}; {batch}")


def finish(m: OpenModel, g: Gpu, precision: str, kv: str, engine_key: str, best: Option,
           why: str, input_tokens: float, output_tokens: float, candidates: tuple[Candidate, ...],
           regime_log_sd: dict[str, float]) -> CapacityPlan:
    """The plan of the chosen option."""
    shape = (input_tokens, output_tokens)
    b = best.batch
    prefill_tokens = b * input_tokens / output_tokens
    step_regime = regime(m, g, precision, kv, best.size, b, shape)
    side = "prefill" if step_regime == "prefill-bound" else step_regime
    return CapacityPlan(
        model=m.key, gpu=g.key, precision=precision, gpus=best.size, max_batch=b,
        output_tokens_per_s=b / best.t_step, input_tokens_per_s=prefill_tokens / best.t_step,
        inter_token_ms=best.t_step * MS_PER_S, bound=f"{best.bound_detail}; {side}",
        weights_gb=m.total_params_b * BYTES_PER_VALUE[precision],
        kv_cache_gb_per_sequence=float(kv_bytes_per_sequence(m, input_tokens + output_tokens, kv)) / 1e9,
        # a step's prefill share is charged to input tokens, its decode share to output tokens, so
        # input x s_in + output x s_out = output x t_step / B, one request's share of the replica
        replica_seconds_per_input_token=(best.t_step - best.t_decode) / prefill_tokens,
        replica_seconds_per_output_token=best.t_decode / b,
        kv_cache_precision=kv, serving_engine=engine_key, regime=step_regime, why=why,
        candidates=candidates, throughput_log_sd=regime_log_sd[step_regime], layout=best.layout,
        batch_bound=best.batch_bound, time_to_first_token_ms=best.t_first_token * MS_PER_S,
        pipeline_stages=best.stages)
