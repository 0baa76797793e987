"""Capacity physics: a roofline model of one serving replica, sized for the lowest cost.

``plan(...)`` sizes a replica (tensor-parallel size and, for a mixture of experts, its layout)
and returns its batch, throughput, what bounds the batch, the candidates it considered and why it
chose one; ``explain(plan)`` tabulates the candidates and ``why(plan)`` says the choice in one
sentence, for the page and the deck. The step-time model is in ``tco/capacity/physics.py``, the
sizing rule in ``tco/capacity/planner.py``.

Communication is not fitted: NCCL's own latency constants (``physics.ALLREDUCE_BASE_US``,
``physics.HOP_US``) price an all-reduce's latency. Nine factors (``Efficiency``) are fitted on
at most half of the published results in ``tco/data/benchmarks.csv`` (``tco/published.py``,
split rule in its docstring), each within physically plausible bounds (``FIT_BOUNDS``, with their
sources); the other half is held out. The fit half's residual spread per regime becomes the
throughput uncertainty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tco.catalog as catalog
import tco.engines as engines
from tco.capacity.parallel import (
    ACTIVATION_BYTES,
    ALLREDUCE_BASE_US,
    GPUS_PER_NODE,
    HOP_US,
    INTER_NODE_GB_PER_S,
    allreduce_seconds,
    micro_batch,
    p2p_seconds,
    stage_imbalance,
)
from tco.capacity.physics import (
    BYTES_PER_VALUE,
    CEILING,
    DEFAULT_KV_CACHE_PRECISION,
    KV_CACHE_PRECISIONS,
    LAYOUTS,
    MLA_ROPE_DIM,
    PRECISIONS,
    Efficiency,
    StepTimes,
    attention_flops_per_token,
    compute_precision,
    expert_gemm_rows,
    expert_split,
    first_token_seconds,
    kv_bytes_per_sequence,
    kv_copies,
    regime,
    step_seconds,
    step_times,
    weights_bytes,
    weights_read_params,
)
from tco.capacity.planner import (
    BATCH_BOUNDS,
    LAYOUT_NAMES,
    TENSOR_PARALLEL_SIZES,
    Candidate,
    CapacityPlan,
    Replica,
    best_batch,
    candidate,
    chunk_tokens,
    finish,
    fits_gpus,
    layout_name,
    layouts,
    misses_at_batch_one,
    replica,
    why_sentence,
)
from tco.errors import ScenarioError
from tco.units import MS_PER_S

if TYPE_CHECKING:  # pandas is imported where a table is built: 65 MB a run does not need
    import pandas as pd

__all__ = [
    "ACTIVATION_BYTES", "ALLREDUCE_BASE_US", "BATCH_BOUNDS", "BYTES_PER_VALUE", "CEILING",
    "DEFAULT_KV_CACHE_PRECISION", "DEFAULT_SERVING_ENGINE", "EFFICIENCY", "EXPLAIN_COLUMNS", "FIT_BOUNDS",
    "GPUS_PER_NODE", "HOP_US", "INTER_NODE_GB_PER_S", "KV_CACHE_PRECISIONS", "LAYOUTS", "LAYOUT_NAMES",
    "MLA_ROPE_DIM", "PIPELINE_STAGES", "PRECISIONS", "REGIMES", "REGIME_LOG_SD", "REGIME_NAMES",
    "SERVING_ENGINES", "TENSOR_PARALLEL_SIZES",
    "Candidate", "CapacityPlan", "Efficiency", "Replica", "StepTimes", "allreduce_seconds",
    "attention_flops_per_token", "chunk_tokens", "compute_precision", "expert_gemm_rows", "expert_split",
    "explain", "first_token_seconds",
    "kv_bytes_per_sequence", "kv_copies", "layout_name", "layouts", "micro_batch", "p2p_seconds", "plan",
    "regime", "replica", "stage_imbalance", "step_seconds", "step_times", "weights_bytes",
    "weights_read_params", "why",
]

PIPELINE_STAGES = (1, 2, 4)
"""Pipeline stages the plan tries for each replica size (stages dividing it; TensorRT-LLM's perf
overview runs 2 and 4 stages, and 8 on PCIe-only GPUs: NVIDIA/TensorRT-LLM
docs/source/performance/perf-overview.md, v1.0); a pinned ``pipeline_stages`` may take any divisor
of the GPUs. A pipeline is tried only where one stage's GPUs could not hold the model alone: a
model that fits k GPUs is served by copies of a k-GPU replica, with no bubble, no stage-to-stage
traffic and a fleet in steps of k GPUs. Pipelining such stages gains the model 1-5% more tokens
per GPU (the freed weight memory holds a larger batch; Qwen3 32B in FP8 on H100s), which is
inside its held-out error on pipelines of 4 stages (geometric mean x1.13 over-predicted on the RTX
PRO 6000 points, ``benchmarks/calibrate_capacity.py``), and a replica of 4 GPUs with
``min_replicas: 2`` would rent 8 GPUs where 2 serve."""


SERVING_ENGINES = tuple(engines.engines())
DEFAULT_SERVING_ENGINE = "tensorrt-llm"
"""The engine with most published results in the catalog (TensorRT-LLM's perf overview)."""

REGIMES = ("prefill-bound", "decode memory-bound", "decode compute-bound", "moe")
REGIME_NAMES = {"prefill-bound": "prefill-bound", "decode memory-bound": "decode memory-bound",
                "decode compute-bound": "decode compute-bound", "moe": "mixture of experts"}
"""Each regime as a reader sees it ('moe' is the code's short name for mixtures of experts)."""

FIT_BOUNDS = {
    "memory": (0.42, 0.84, "bandwidth shares measured per kernel in a 70B TP8 BF16 serving run on H100: "
               "KV-cache reads 42%, coalesced matrix loads 84% (mikamirai.com/blog/gpu-memory-bandwidth, "
               "2026-03-28)"),
    "compute": (0.5, 1.0, "a share of the measured matmul ceiling (tco/data/gpus.csv), which already "
                "sits below the datasheet peak: at most all of it"),
    "link": (0.6, 0.9, "NCCL's tuning model (NVIDIA/nccl src/graph/tuning.cc, v2.30.7) counts on 0.85 "
             "of NVLink bandwidth for NVLS on Hopper, 0.74 on Blackwell and 0.92 for LL128 rings; "
             "0.6-0.9 spans them below the protocol limit"),
    "expert_compute": (0.1, 1.0, "routed-expert GEMMs pay for small per-expert shapes, expert "
                       "scheduling, token permutation and output accumulation (TensorRT-LLM tech blog "
                       "24, MoE as dense GEMM): at most the dense rate"),
    "expert_pad_tokens": (0.0, 128.0, "grouped GEMMs compute whole tiles of rows per expert, at "
                          "the dense rate; an expert's last tile is between empty and full, and tiles "
                          "reach 128 rows (the unfilled rows are the small-shape cost of the same blog)"),
    "layer_floor_us": (0.0, 45.0, "0 is one fused kernel a step; vLLM and SGLang run about a "
                       "hundred kernels a step for Llama-3.2-1B (16 layers) and reach at most 50% of "
                       "H100 bandwidth at batch 1 where a megakernel reaches 78%, each kernel costing "
                       "about 1.3 us of launch under CUDA graphs plus its setup and teardown (Hazy "
                       "Research, 'Look Ma, No Bubbles!', hazyresearch.stanford.edu/blog/"
                       "2025-05-27-no-bubbles, 2025-05-27): 33 us a layer of about 6 kernels, 5.5 us a "
                       "kernel (derived; the value set); 8 kernels at most: 45 us"),
    "expert_layer_floor_us": (0.0, 60.0, "a mixture-of-experts layer adds about 7-10 kernels to a "
                              "dense one (router, top-k, alignment and permutation, the second "
                              "grouped GEMM and activation, un-permutation and reduction) at the "
                              "5.5 us a kernel of the layer floor's source (Hazy Research, 2025-05-27; "
                              "derived): at most 60 us; 8 kernels, 44 us, is the value set (judgement)"),
    "step_floor_us": (0.0, 1000.0, "0 where the engine schedules the next step while the GPU runs "
                      "this one (SGLang v0.4 zero-overhead scheduler, lmsys.org/blog/2024-12-04-sglang-"
                      "v0-4, 2024-12-04; TensorRT-LLM's overlap scheduler, on by default), the value "
                      "set; that overlap gained 1.1x throughput, a tenth of a step: up to 1 ms of a "
                      "10 ms step where it is off (derived)"),
    "overlap_loss": (0.0, 1.0, "0 is the roofline's max(): a kernel's loads pipelined fully under its "
                     "math; 1 runs a step's memory-bound and compute-bound work one after the other, as "
                     "NanoFlow finds serving engines do (Zhu et al., OSDI 2025, arXiv 2408.12757, "
                     "2024-08-22: overlapping them within a device gains up to 1.91x)"),
    "reserve_gb": (0.0, 6.0, "activations scale with the token budget (TensorRT-LLM "
                   "docs/source/reference/memory.md); Llama 70B at 8,192 tokens needs about 1.5 GB of "
                   "MLP activations, FP32 logits for 2,048 sequences 1 GB, CUDA context and "
                   "workspaces about 1 GB (derived)"),
}
"""(low, high, why) of each factor in ``Efficiency``: fitted within the range (``tco.published.FITTED``)
or, for the three floors, set from the range's source."""

EFFICIENCY = Efficiency(memory=0.729, compute=0.851, link=0.6, expert_compute=0.178, expert_pad_tokens=45.1,
                        overlap_loss=0.867, reserve_gb=3.62, layer_floor_us=33.0, expert_layer_floor_us=44.0,
                        step_floor_us=0.0)
"""Fitted on the fit half of the published points within ``FIT_BOUNDS`` by bounded quasi-Newton
(``published.fit(quick=True)``), when the step floor and the expert tile that follows the rows
per expert came in. link sits at its floor (the data would make tensor parallelism dearer
still); overlap_loss 0.867: a step's memory-bound and compute-bound kernels nearly add up.
The three floors are set from their sources, not fitted: every point of benchmarks.csv runs
steps of 21 ms or more, where a per-layer constant is a few percent of a step and trades against
HBM efficiency; fitted there, all three go to their ceilings (45 us, 60 us and 1 ms) and the
small-batch runs of the external sources fall to median |log10| 0.135."""

REGIME_LOG_SD = {"prefill-bound": 0.105, "decode memory-bound": 0.132, "decode compute-bound": 0.135,
                 "moe": 0.22}
"""RMS of ln(measured / model) on the fit half, per regime (calibrate prints it)."""


def plan(*, model: str, gpu: str, precision: str, gpus: int | None = None, input_tokens: float,
         output_tokens: float, max_inter_token_ms: float | None = None,
         kv_cache_precision: str | None = None, serving_engine: str | engines.Engine | None = None,
         field: str = "", efficiency: Efficiency = EFFICIENCY, layout: str | None = None,
         max_time_to_first_token_ms: float | None = None,
         pipeline_stages: int | None = None) -> CapacityPlan:
    """Size one replica and return its sustained throughput for requests of one shape.

    Parameters
    ----------
    precision
        Weight format, one of ``PRECISIONS``.
    gpus
        Replica size; None takes, among sizes that fit and meet ``max_inter_token_ms``, the one
        with the fewest GPU-seconds per request.
    kv_cache_precision
        None follows the weights (``DEFAULT_KV_CACHE_PRECISION``).
    serving_engine
        One of ``SERVING_ENGINES`` (None is ``DEFAULT_SERVING_ENGINE``), or an ``engines.Engine``
        with other limits (a benchmark harness's, ``tco.published.harness_engine``).
    layout
        One of ``LAYOUTS`` ('dp-ep' only for mixtures of experts on 2 or more GPUs in a stage); None
        takes the cheapest.
    pipeline_stages
        Pipeline stages of the replica (a divisor of its GPUs, at most the model's layers); None
        tries each of ``PIPELINE_STAGES`` that divides the size and takes the cheapest.
    max_inter_token_ms, max_time_to_first_token_ms
        Latency targets: the batch is the largest whose mean step and whose time to first token
        (``first_token_seconds``) meet them; None sets no target.
    field
        Scenario path used in error messages.

    Raises
    ------
    ScenarioError
        Unknown model, GPU, engine, format or layout; weights plus one full request's KV cache
        that fit no candidate; a latency target no candidate meets (naming the target batch 1
        misses).
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
    e = serving_engine if isinstance(serving_engine, engines.Engine) else engines.engine(
        serving_engine or DEFAULT_SERVING_ENGINE, f"{prefix}serving_engine")
    if input_tokens <= 0 or output_tokens <= 0:
        raise ScenarioError(f"{prefix}tokens", "input and output tokens per request must be positive")
    if input_tokens + output_tokens > m.context_tokens:
        raise ScenarioError(f"{prefix}model", f"requests of {input_tokens + output_tokens:,.0f} tokens "
                            f"exceed {m.key}'s context of {m.context_tokens:,} tokens")
    if gpus is not None and gpus < 1:
        raise ScenarioError(f"{prefix}gpus", "must be at least 1")
    if layout is not None and layout not in LAYOUTS:
        raise ScenarioError(f"{prefix}layout", "must be one of " + ", ".join(f"'{x}'" for x in LAYOUTS))
    if layout == "dp-ep" and not m.is_moe:
        raise ScenarioError(f"{prefix}layout", f"'dp-ep' needs a mixture of experts; {m.key} is dense")
    if pipeline_stages is not None and not 1 <= pipeline_stages <= m.layers:
        raise ScenarioError(f"{prefix}pipeline_stages", f"must be between 1 and {m.key}'s {m.layers} layers")
    if pipeline_stages is not None and gpus is not None and gpus % pipeline_stages:
        raise ScenarioError(f"{prefix}pipeline_stages", f"must divide the replica's {gpus} GPUs")
    limit_s = None if max_inter_token_ms is None else max_inter_token_ms / MS_PER_S
    first_limit_s = None if max_time_to_first_token_ms is None else max_time_to_first_token_ms / MS_PER_S
    sizes = (gpus,) if gpus is not None else TENSOR_PARALLEL_SIZES
    candidates, options, missed = [], [], []
    depths = (pipeline_stages,) if pipeline_stages is not None else PIPELINE_STAGES

    def tried(size: int, stages: int) -> bool:
        # a stage that could hold the model alone is served as copies of it, not pipelined: see
        # PIPELINE_STAGES
        return size % stages == 0 and stages <= m.layers and (
            stages == 1 or pipeline_stages is not None
            or not fits_gpus(m, g, precision, kv, e, size // stages, input_tokens, output_tokens, efficiency))

    shapes = [(size, stages, kind) for size in sizes for stages in depths if tried(size, stages)
              for kind in layouts(m, size // stages)
              if layout is None or kind == layout or size // stages == 1]
    for size, stages, kind in shapes:
        r = replica(m, g, precision, kv, e, size, input_tokens, output_tokens, efficiency, kind, stages)
        option = best_batch(r, limit_s, output_tokens, first_limit_s) if r.fits else None
        candidates.append(candidate(r, option, max_inter_token_ms, max_time_to_first_token_ms))
        if option is not None:
            options.append(option)
        elif r.fits:
            missed.append(r)
    if not options:
        if missed:
            # a size that meets the per-token target but misses the first-token one is the nearer miss
            late = [r for r in missed if misses_at_batch_one(
                r, max_inter_token_ms, max_time_to_first_token_ms) == "max_time_to_first_token_ms"]
            if late:
                first_s = min(r.t_first_token[0] for r in late)
                raise ScenarioError(f"{prefix}max_time_to_first_token_ms",
                                    f"{max_time_to_first_token_ms:g} ms cannot be met by {m.key} on {g.key} "
                                    f"({first_s * MS_PER_S:.0f} ms to the first token at batch 1)")
            fastest = min(r.t_step[0] for r in missed)
            raise ScenarioError(f"{prefix}max_inter_token_ms", f"{max_inter_token_ms:g} ms cannot be met "
                                f"by {m.key} on {g.key} ({fastest * MS_PER_S:.0f} ms at batch 1)")
        what = f"{gpus} x {g.key}" if gpus is not None else f"up to {TENSOR_PARALLEL_SIZES[-1]} x {g.key}"
        raise ScenarioError(f"{prefix}gpu", f"{m.key} in {precision} does not fit {what}: the weights "
                            "plus the KV cache of one full request exceed the memory")
    best = min(options, key=lambda o: (o.gpu_seconds_per_request, o.size, o.stages, o.layout))
    targets = limit_s is not None or first_limit_s is not None
    reason = why_sentence(g, best, options, gpus is not None, targets)
    return finish(m, g, precision, kv, e.key, best, reason, input_tokens, output_tokens,
                  tuple(candidates), REGIME_LOG_SD)


EXPLAIN_COLUMNS = ("gpus", "layout", "pipeline_stages", "layout_name", "fits", "batch", "batch_bound",
                   "inter_token_ms",
                   "time_to_first_token_ms", "output_tokens_per_s_per_gpu", "gpu_seconds_per_request",
                   "cost_vs_chosen", "chosen", "reason")


def explain(p: CapacityPlan) -> pd.DataFrame:
    """The candidates a plan considered, one row each, cheapest first (refused ones last).

    Columns: gpus, layout, pipeline_stages, layout_name (both in words), fits, batch,
    batch_bound, inter_token_ms, time_to_first_token_ms, output_tokens_per_s_per_gpu,
    gpu_seconds_per_request, cost_vs_chosen (GPU-seconds per request / the chosen one's), chosen,
    reason.
    """
    import pandas as pd  # noqa: PLC0415 - tables only; a run does not load pandas
    rows = []
    chosen = next((c for c in p.candidates
                   if (c.gpus, c.layout, c.pipeline_stages) == (p.gpus, p.layout, p.pipeline_stages)
                   and c.gpu_seconds_per_request is not None), None)
    for c in p.candidates:
        cost = c.gpu_seconds_per_request
        relative = None if cost is None or chosen is None else cost / chosen.gpu_seconds_per_request
        rows.append({"gpus": c.gpus, "layout": c.layout, "pipeline_stages": c.pipeline_stages,
                     "layout_name": layout_name(c.layout, c.gpus, c.pipeline_stages), "fits": c.fits,
                     "batch": c.batch or None,
                     "batch_bound": c.batch_bound or None, "inter_token_ms": c.inter_token_ms,
                     "time_to_first_token_ms": c.time_to_first_token_ms,
                     "output_tokens_per_s_per_gpu": c.output_tokens_per_s_per_gpu,
                     "gpu_seconds_per_request": cost, "cost_vs_chosen": relative,
                     "chosen": c is chosen, "reason": c.reason})
    frame = pd.DataFrame(rows, columns=EXPLAIN_COLUMNS)
    order = frame["gpu_seconds_per_request"].fillna(float("inf"))
    return frame.loc[order.sort_values(kind="stable").index].reset_index(drop=True)


def why(p: CapacityPlan) -> str:
    """One sentence: the chosen replica, why, what bounds its batch, and its throughput band."""
    low, high = p.throughput_band
    return (f"{p.why}; {p.output_tokens_per_s_per_gpu:,.0f} output tokens/s per GPU "
            f"(P10-P90 {low:.2f}-{high:.2f}x, from published {REGIME_NAMES[p.regime]} points).")
