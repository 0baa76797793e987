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
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy.optimize import minimize

import tco.capacity as capacity
import tco.catalog as catalog
import tco.engines as engines
from tco.errors import ScenarioError

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
def _columns() -> dict[str, dict[str, str]]:
    """benchmarks.csv rows by key, for the columns the catalog's Benchmark record does not carry."""
    with open(catalog.DATA_DIR / "benchmarks.csv", newline="", encoding="utf-8") as handle:
        return {row["key"]: row for row in csv.DictReader(handle)}


def layout(b: catalog.Benchmark) -> str:
    """The replica layout the publisher ran: 'tp', or 'dp-ep' (attention data parallel, experts
    expert-parallel) where the row says so."""
    return _columns()[b.key]["layout"] or "tp"


TRTLLM_BENCH_KV_FRACTION = 0.95
"""TensorRT-LLM perf overview (docs/source/performance/perf-overview.md, v0.17 to v1.0): "in
majority of cases" the runs set --kv_cache_free_gpu_mem_fraction 0.95 instead of the 0.90 default."""


def _round_up(value: float, step: int) -> int:
    return step * int(np.ceil(value / step))


def trtllm_bench_limits(b: catalog.Benchmark, chunked_prefill: bool = True) -> tuple[int, int]:
    """(max_batch_size, max_num_tokens) trtllm-bench sets when the command gives neither.

    NVIDIA/TensorRT-LLM tensorrt_llm/bench/build/tuning.py (calc_engine_setting, finetune_setting):
    requests = (GPUs x GiB per GPU - parameters x bytes per weight) x 0.95 / (KV bytes per token x
    (input + output)), with at least one KV head per GPU and no sliding window; batch = min(requests,
    4096) rounded up (to 32 below 256, 128 below 1,024, else 256); tokens = min(batch x (1 + input /
    output), 32,768) rounded up (to 256 and at least 2,048 below 4,096, 512 below 8,192, else
    1,024). Without chunked prefill (the PyTorch backend's default in v1.0) tokens are at least
    input + batch (tensorrt_llm/bench/benchmark/utils/general.py get_settings).
    """
    m, g = catalog.model(b.model), catalog.gpu(b.gpu)
    size = b.replica_gpus or b.system_gpus
    weight_bytes = {"fp4": 0.5, "fp8": 1.0}.get(b.precision, 2.0)
    kv_bytes = 1.0 if _kv(b) == "fp8" else 2.0
    per_token_gib = 2 * m.layers * max(size, m.kv_heads) * m.head_dim * kv_bytes / engines.BYTES_PER_GIB
    free_gib = size * g.memory_gb - m.total_params_b * 1e9 * weight_bytes / engines.BYTES_PER_GIB
    requests = free_gib * TRTLLM_BENCH_KV_FRACTION / (per_token_gib * (b.input_tokens + b.output_tokens))
    raw_batch = min(requests, 4096)
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


HARNESSES = ("", "trtllm-bench-pytorch", "trtllm-bench-engine", "vllm-0.6.0")
"""The ``harness`` column: none (the engine's defaults), trtllm-bench on the PyTorch backend
(v1.0, no chunked prefill) or on a built TensorRT engine (v0.17, chunked context), vLLM v0.6.0."""


def harness_engine(b: catalog.Benchmark) -> engines.Engine | str:
    """The engine settings a published point ran with: the harness the row names (trtllm-bench's
    heuristic, or vLLM v0.6.0's sequence cap), else the engine's documented defaults."""
    harness = _columns()[b.key]["harness"]
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
                         b.output_tokens, capacity.CEILING)
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


def predict(b: catalog.Benchmark, efficiency: capacity.Efficiency = capacity.EFFICIENCY) -> float:
    """Model output tokens/s per GPU at a published configuration; NaN when the model refuses it."""
    try:
        p = capacity.plan(model=b.model, gpu=b.gpu, precision=b.precision, gpus=b.replica_gpus,
                          input_tokens=b.input_tokens, output_tokens=b.output_tokens,
                          max_inter_token_ms=b.max_inter_token_ms, kv_cache_precision=_kv(b),
                          serving_engine=harness_engine(b), efficiency=efficiency,
                          layout=layout(b))
    except ScenarioError:
        return float("nan")
    return p.output_tokens_per_s_per_gpu


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


def fit(start: capacity.Efficiency = capacity.EFFICIENCY) -> capacity.Efficiency:
    """Least squares of ln(model / measured) over the fit half only (refusals count as a miss of
    a factor of 10, so the fit cannot buy accuracy by refusing points), each factor kept within
    its physical bounds (``capacity.FIT_BOUNDS``, with their sources)."""
    fit_points = [pt.benchmark for pt in points() if pt.split == "fit"]
    bounds = [capacity.FIT_BOUNDS[name][:2] for name in FITTED]

    def efficiency(x: np.ndarray) -> capacity.Efficiency:
        return dataclasses.replace(start, **{name: float(v) for name, v in zip(FITTED, x, strict=True)})

    def loss(x: np.ndarray) -> float:
        eff = efficiency(x)
        errors = []
        for b in fit_points:
            ratio = predict(b, eff) / b.measured_output_tokens_per_s_per_gpu
            errors.append(np.log(ratio) if np.isfinite(ratio) else np.log(10.0))
        return float(np.mean(np.square(errors)))

    x0 = np.array([min(max(getattr(start, name), low), high) for name, (low, high) in zip(FITTED, bounds,
                                                                                          strict=True)])
    result = minimize(loss, x0, method="Nelder-Mead", bounds=bounds,
                      options={"xatol": 1e-4, "fatol": 1e-7, "maxfev": 4000, "adaptive": True})
    return dataclasses.replace(start, **{name: round(float(v), DIGITS.get(name, 3))
                                         for name, v in zip(FITTED, result.x, strict=True)})
