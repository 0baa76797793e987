"""The capacity model beside every published throughput result, with a fit / hold-out split.

Each row of ``tco/data/benchmarks.csv`` is a published configuration (model, GPU, replica size and
layout, weight and KV formats, engine and the harness that drove it, request shape) and its
measured output tokens per second per GPU. ``table()`` predicts each with ``capacity.plan`` at
that configuration, with the batch limits the harness set (``harness_engine``).

Split rule, fixed before any result was looked at: each point gets its regime from datasheet
peaks and measured ceilings only (``capacity.regime`` at the batch memory and the engine's
defaults allow; no fitted factor enters); within each regime the points are sorted by key and
alternate hold-out, fit, hold-out, ... (the fit half is never larger than the hold-out half).
``fit()`` fits the efficiency factors (``FITTED``) within their physical bounds by least squares
of ln(model / measured) on the fit half only; ``summary()`` reports both halves per regime. The
fit half's residual spread per regime is the throughput uncertainty a plan carries
(``capacity.REGIME_LOG_SD``).
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines
from tco.errors import ScenarioError
from tco.units import MS_PER_S

WITHIN = 1.5
"""A point is 'within' when model / measured lies in [1/1.5, 1.5]."""


@dataclass(frozen=True)
class Point:
    """One published result and where it falls."""

    benchmark: catalog.Benchmark
    regime: str
    split: str


def _kv(b: catalog.Benchmark) -> str:
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
    kv_bytes = 1.0 if _kv(b) == "fp8" else 2.0
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
    return dataclasses.replace(
        engines.engine(b.engine), key=harness, name="trtllm-bench throughput",
        max_sequences=batch, max_sequences_small_gpu=batch, max_tokens_per_step=tokens,
        max_tokens_per_step_small_gpu=tokens, memory_share=TRTLLM_BENCH_KV_FRACTION,
        source="trtllm_bench_limits in tco/published.py")


def point_regime(b: catalog.Benchmark) -> str:
    """A published point's regime at the largest batch its memory and engine allow (no fit)."""
    m, g = catalog.model(b.model), catalog.gpu(b.gpu)
    size = b.replica_gpus or b.system_gpus
    r = capacity.replica(m, g, b.precision, _kv(b), engines.engine(b.engine), size, b.input_tokens,
                         b.output_tokens, capacity.CEILING, stages=pipeline_stages(b))
    return capacity.regime(m, g, b.precision, _kv(b), size, float(r.batch[-1]),
                           (b.input_tokens, b.output_tokens))


@cache
def points() -> tuple[Point, ...]:
    """Every published point with its regime and split (the rule in the module docstring)."""
    by_regime: dict[str, list[catalog.Benchmark]] = {}
    for b in catalog.benchmarks().values():
        by_regime.setdefault(point_regime(b), []).append(b)
    out = []
    for regime in capacity.REGIMES:
        for i, b in enumerate(sorted(by_regime.get(regime, []), key=lambda x: x.key)):
            out.append(Point(b, regime, "fit" if i % 2 else "holdout"))
    return tuple(out)


def plan_at(b: catalog.Benchmark,
            efficiency: capacity.Efficiency = capacity.EFFICIENCY) -> capacity.CapacityPlan:
    """The model's plan at a published configuration: its replica, layout, formats, request shape,
    latency target and the batch limits its harness set (a client's concurrency caps the batch)."""
    return capacity.plan(model=b.model, gpu=b.gpu, precision=b.precision, gpus=b.replica_gpus,
                         input_tokens=b.input_tokens, output_tokens=b.output_tokens,
                         max_inter_token_ms=b.max_inter_token_ms, kv_cache_precision=_kv(b),
                         serving_engine=harness_engine(b), efficiency=efficiency, layout=layout(b),
                         pipeline_stages=pipeline_stages(b))


def predict(b: catalog.Benchmark, efficiency: capacity.Efficiency = capacity.EFFICIENCY) -> float:
    """Model output tokens/s per GPU at a published configuration; NaN when the model refuses it.

    A run with a fixed client concurrency is a closed loop: each of its c requests holds its slot
    for the time to first token and then O - 1 steps, so by Little's law it emits
    c x O / (TTFT + (O - 1) t_step) tokens a second (``closed_loop_tokens_per_s``), where an open
    stream of requests keeps B sequences decoding and emits B / t_step.
    """
    try:
        p = plan_at(b, efficiency)
    except ScenarioError:
        return float("nan")
    return planned_tokens_per_s_per_gpu(b, p)


def planned_tokens_per_s_per_gpu(b: catalog.Benchmark, p: capacity.CapacityPlan) -> float:
    """Output tokens/s per GPU of the plan ``p`` made at ``b``'s configuration (``predict``)."""
    if row_columns()[b.key]["harness"] == "client-concurrency":
        return closed_loop_tokens_per_s(p, b.output_tokens) / p.gpus
    return p.output_tokens_per_s_per_gpu


def closed_loop_tokens_per_s(p: capacity.CapacityPlan, output_tokens: float) -> float:
    """Output tokens/s of a replica serving ``p.max_batch`` clients that each send the next request
    when the last one ends: B x O / (TTFT + (O - 1) x t_step) (Little's law over one request)."""
    seconds_per_request = (p.time_to_first_token_ms + (output_tokens - 1.0) * p.inter_token_ms) / MS_PER_S
    return p.max_batch * output_tokens / seconds_per_request


def table(efficiency: capacity.Efficiency = capacity.EFFICIENCY) -> pd.DataFrame:
    """Every published point: measured and predicted output tokens/s per GPU and their ratio.

    Columns: key, model, gpu, precision, shape ('input/output'), engine, measured, predicted,
    ratio (predicted / measured; NaN = refused), regime, split ('fit' or 'holdout'), source, as_of.
    """
    rows = []
    for pt in points():
        b = pt.benchmark
        predicted = predict(b, efficiency)
        measured = b.measured_output_tokens_per_s_per_gpu
        rows.append({"key": b.key, "model": b.model, "gpu": b.gpu, "precision": b.precision,
                     "shape": f"{b.input_tokens}/{b.output_tokens}", "engine": b.engine,
                     "measured": measured, "predicted": predicted, "ratio": predicted / measured,
                     "regime": pt.regime, "split": pt.split, "source": b.source, "as_of": b.as_of})
    return pd.DataFrame(rows)


def _stats(ratios: pd.Series) -> dict[str, float]:
    ok = ratios.dropna()
    log10 = np.abs(np.log10(ok.to_numpy()))
    return {"n": int(len(ratios)),
            "median_abs_log10": float(np.median(log10)) if len(ok) else float("nan"),
            "within_1_5": float(np.mean(log10 <= np.log10(WITHIN))) if len(ok) else float("nan"),
            "max_ratio_error": float(np.max(10.0**log10)) if len(ok) else float("nan"),
            "geomean_ratio": float(np.exp(np.mean(np.log(ok)))) if len(ok) else float("nan"),
            "refusals": int(ratios.isna().sum())}


def summary(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per regime and split (and 'all'): n, median |log10 ratio|, share within x/÷1.5, the largest
    ratio error (max of ratio and 1/ratio), geometric-mean ratio and refusals."""
    frame = table() if frame is None else frame
    rows = []
    for split in ("fit", "holdout"):
        part = frame[frame["split"] == split]
        for regime in (*capacity.REGIMES, "all"):
            ratios = part["ratio"] if regime == "all" else part.loc[part["regime"] == regime, "ratio"]
            if len(ratios):
                rows.append({"regime": regime, "split": split, **_stats(ratios)})
    return pd.DataFrame(rows)


def regime_log_sd(frame: pd.DataFrame) -> dict[str, float]:
    """Root-mean-square ln(ratio) of the fit half per regime: the spread about the model (bias
    included), which a plan's throughput band and the per-path draws use."""
    fit = frame[(frame["split"] == "fit") & frame["ratio"].notna()]
    return {regime: float(np.sqrt(np.mean(np.log(fit.loc[fit["regime"] == regime, "ratio"]) ** 2)))
            for regime in capacity.REGIMES if (fit["regime"] == regime).any()}


FITTED = ("memory", "compute", "link", "expert_compute", "expert_pad_tokens", "overlap_loss",
          "reserve_gb")
"""The ``capacity.Efficiency`` fields ``fit()`` fits, each within ``capacity.FIT_BOUNDS``."""

DIGITS = {"expert_pad_tokens": 1, "reserve_gb": 2}


def fit(start: capacity.Efficiency = capacity.EFFICIENCY,
        on: list[catalog.Benchmark] | None = None, quick: bool = False) -> capacity.Efficiency:
    """Least squares of ln(model / measured) over the fit half only, or the points ``on``
    (refusals count as a miss of a factor of 10, so the fit cannot buy accuracy by refusing
    points), each factor kept within its physical bounds (``capacity.FIT_BOUNDS``, with their
    sources)."""
    fit_points = [pt.benchmark for pt in points() if pt.split == "fit"] if on is None else on
    low, high = (np.array([capacity.FIT_BOUNDS[name][i] for name in FITTED]) for i in (0, 1))

    # the optimiser works on each factor's place within its bounds (0 at the low one, 1 at the
    # high one), so a step means as much for a share as for a floor in microseconds
    def efficiency(u: np.ndarray) -> capacity.Efficiency:
        x = low + u * (high - low)
        return dataclasses.replace(start, **{name: float(v) for name, v in zip(FITTED, x, strict=True)})

    def loss(u: np.ndarray) -> float:
        eff = efficiency(u)
        errors = []
        for b in fit_points:
            ratio = predict(b, eff) / b.measured_output_tokens_per_s_per_gpu
            errors.append(np.log(ratio) if np.isfinite(ratio) else np.log(10.0))
        return float(np.mean(np.square(errors)))

    x0 = np.clip([getattr(start, name) for name in FITTED], low, high)
    u0 = (x0 - low) / (high - low)
    unit = [(0.0, 1.0)] * len(FITTED)
    from scipy.optimize import minimize  # noqa: PLC0415 - only a refit needs it; the page's charts of these points do not

    if quick:  # a refit near the shipped factors: bounded quasi-Newton, about 300 evaluations
        result = minimize(loss, u0, method="L-BFGS-B", bounds=unit,
                          options={"maxiter": 40, "eps": 1e-3, "ftol": 1e-9})
    else:
        result = minimize(loss, u0, method="Nelder-Mead", bounds=unit,
                          options={"xatol": 1e-4, "fatol": 1e-7, "maxfev": 4000, "adaptive": True})
    x = low + result.x * (high - low)
    return dataclasses.replace(start, **{name: round(float(v), DIGITS.get(name, 3))
                                         for name, v in zip(FITTED, x, strict=True)})


# Leave-one-source-out: each source of benchmarks.csv judged by factors fitted without it, and the
# external sources (benchmarks_external.csv, never fitted) by factors fitted on the whole table, or,
# where an external row comes from a publication the table also draws on, without that publication.

SOURCE_GROUP = re.compile(r"(TensorRT-LLM v[\d.]+|MLPerf Inference v[\d.]+|vLLM v[\d.]+|"
                          r"InferenceMAX nightly run \d+|SGLang[^,:(]*)")
ALL_TABLE = "all of benchmarks.csv"
"""The factors the external sources are judged with (``loso_factors``'s extra fold)."""
CATEGORIES = ("prefill-bound", "decode memory-bound", "decode compute-bound", "moe coarse", "moe fine",
              "multi-gpu", "pipeline-parallel", "latency-bound")
"""Hold-out report rows. A mixture of experts is coarse with at most ``COARSE_MAX_EXPERTS``
experts (Mixtral's 8, Llama 4 Scout's 16: few, large expert GEMMs), else fine; a point is also
multi-GPU when its replica has several GPUs, pipeline-parallel when it runs two stages or more,
and latency-bound when a latency target or a fixed client concurrency holds its batch below what
memory allows."""
COARSE_MAX_EXPERTS = 16
LOSO_FILE = "capacity_loso.csv"


def source_group(b: catalog.Benchmark) -> str:
    """The publication a point comes from: one TensorRT-LLM release's table, one MLPerf round,
    one vLLM or SGLang publication, one InferenceX run."""
    found = SOURCE_GROUP.match(b.source)
    return found.group(1).strip() if found else re.split(r"[,:(]", b.source)[0].strip()


def categories(b: catalog.Benchmark, regime: str) -> tuple[str, ...]:
    """The report rows a point counts in (``CATEGORIES``)."""
    m = catalog.model(b.model)
    if regime == "moe":
        regime = "moe coarse" if m.experts <= COARSE_MAX_EXPERTS else "moe fine"
    out = [regime]
    if (b.replica_gpus or b.system_gpus) > 1:
        out.append("multi-gpu")
    if pipeline_stages(b) > 1:
        out.append("pipeline-parallel")
    if b.max_inter_token_ms is not None or row_columns()[b.key]["harness"] == "client-concurrency":
        out.append("latency-bound")
    return tuple(out)


def _external_regime(b: catalog.Benchmark) -> str:
    """An external point's regime at the batch its harness allowed (its client's concurrency)."""
    m, g = catalog.model(b.model), catalog.gpu(b.gpu)
    size = b.replica_gpus or b.system_gpus
    engine = harness_engine(b)
    e = engine if isinstance(engine, engines.Engine) else engines.engine(engine)
    shape = (b.input_tokens, b.output_tokens)
    r = capacity.replica(m, g, b.precision, _kv(b), e, size, *shape, capacity.CEILING,
                         stages=pipeline_stages(b))
    return capacity.regime(m, g, b.precision, _kv(b), size, float(r.batch[-1]), shape)


def loso_factors() -> dict[str, capacity.Efficiency]:
    """Factors fitted without each source of benchmarks.csv, and on all of it (``ALL_TABLE``)."""
    table = list(catalog.benchmarks().values())
    groups = sorted({source_group(b) for b in table})
    out = {g: fit(on=[b for b in table if source_group(b) != g], quick=True) for g in groups}
    out[ALL_TABLE] = fit(on=table, quick=True)
    return out


def write_loso(factors: dict[str, capacity.Efficiency]) -> None:
    """Store ``loso_factors`` in tco/data/capacity_loso.csv (benchmarks/calibrate_capacity.py)."""
    table = list(catalog.benchmarks().values())
    with open(catalog.DATA_DIR / LOSO_FILE, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["held_out", "fitted_points", *FITTED, "source"])
        for group, eff in factors.items():
            n = len(table) if group == ALL_TABLE else sum(source_group(b) != group for b in table)
            writer.writerow([group, n, *(getattr(eff, name) for name in FITTED),
                             "fitted by benchmarks/calibrate_capacity.py --loso within capacity.FIT_BOUNDS"])


@cache
def stored_loso() -> dict[str, capacity.Efficiency]:
    """The leave-one-source-out factors as last written by ``write_loso``."""
    with open(catalog.DATA_DIR / LOSO_FILE, newline="", encoding="utf-8") as handle:
        return {row["held_out"]: dataclasses.replace(capacity.EFFICIENCY,
                                                     **{n: float(row[n]) for n in FITTED})
                for row in csv.DictReader(handle)}


def loso_table(factors: dict[str, capacity.Efficiency] | None = None) -> pd.DataFrame:
    """Every point of both files judged without its own source.

    Columns: key, source_group, external, model, gpu, shape, measured, shipped (the shipped
    factors' prediction), predicted (the held-out factors'), ratio (predicted / measured),
    shipped_ratio, categories (';'-joined ``CATEGORIES``).
    """
    factors = stored_loso() if factors is None else factors
    regimes = {pt.benchmark.key: pt.regime for pt in points()}
    rows = []
    for external, table in ((False, catalog.benchmarks()), (True, catalog.external_benchmarks())):
        for b in table.values():
            group = source_group(b)
            # an external point from a publication the table also draws on (the same TensorRT-LLM
            # release's other GPUs) is judged by the fit that left that publication out
            eff = factors[group] if group in factors else factors[ALL_TABLE]
            regime = _external_regime(b) if external else regimes[b.key]
            measured = b.measured_output_tokens_per_s_per_gpu
            shipped, held = predict(b), predict(b, eff)
            rows.append({"key": b.key, "source_group": group, "external": external, "model": b.model,
                         "gpu": b.gpu, "shape": f"{b.input_tokens}/{b.output_tokens}", "measured": measured,
                         "shipped": shipped, "predicted": held, "ratio": held / measured,
                         "shipped_ratio": shipped / measured, "categories": ";".join(categories(b, regime))})
    return pd.DataFrame(rows)


def loso_summary(frame: pd.DataFrame | None = None, ratio: str = "ratio") -> pd.DataFrame:
    """Per category (and 'all'), for the table's sources, the external ones and both: n, median
    |log10 ratio|, share within x/÷1.5, worst ratio error, geometric-mean ratio, refusals."""
    frame = loso_table() if frame is None else frame
    rows = []
    parts = (("table sources", frame[~frame["external"]]), ("external sources", frame[frame["external"]]),
             ("all sources", frame))
    for which, part in parts:
        for category in (*CATEGORIES, "all"):
            mask = part["categories"].str.split(";").map(lambda cs, c=category: c == "all" or c in cs)
            if mask.any():
                rows.append({"sources": which, "category": category, **_stats(part.loc[mask, ratio])})
    return pd.DataFrame(rows)


def loso_by_source(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per source group: points, median |log10 ratio|, share within x/÷1.5, worst, geometric mean."""
    frame = loso_table() if frame is None else frame
    return pd.DataFrame([{"source_group": g, "external": bool(external), **_stats(part["ratio"])}
                         for (g, external), part in frame.groupby(["source_group", "external"], sort=True)])
