"""The capacity model beside every published throughput result, with a fit / hold-out split.

Each row of ``tco/data/benchmarks.csv`` is a published configuration (model, GPU, weight and KV
formats, tensor-parallel size, engine, request shape) and its measured output tokens per second
per GPU. ``table()`` predicts each with ``capacity.plan`` at that configuration.

Split rule, fixed before any result was looked at: each point gets its regime from datasheet
peaks and measured ceilings only (``capacity.regime`` at the batch memory and the engine allow;
no fitted factor enters); within each regime the points are sorted by key and alternate
hold-out, fit, hold-out, ... (the fit half is never larger than the hold-out half). ``fit()``
fits the two efficiency factors by least squares of ln(model / measured) on the fit half only;
``summary()`` reports both halves per regime. The fit half's residual spread per regime is the
throughput uncertainty a plan carries (``capacity.REGIME_LOG_SD``).
"""

from __future__ import annotations

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


def point_regime(b: catalog.Benchmark) -> str:
    """A published point's regime at the largest batch its memory and engine allow (no fit)."""
    m, g = catalog.model(b.model), catalog.gpu(b.gpu)
    size = b.replica_gpus or b.system_gpus
    ceiling = capacity.Efficiency(memory=1.0, compute=1.0)
    r = capacity.replica(m, g, b.precision, _kv(b), engines.engine(b.engine), size, b.input_tokens,
                         b.output_tokens, ceiling)
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
                          serving_engine=b.engine, efficiency=efficiency)
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


def fit(start: capacity.Efficiency = capacity.EFFICIENCY) -> capacity.Efficiency:
    """Least squares of ln(model / measured) over the fit half only (refusals count as a miss of
    a factor of 10, so the fit cannot buy accuracy by refusing points)."""
    fit_points = [pt.benchmark for pt in points() if pt.split == "fit"]

    def loss(x: np.ndarray) -> float:
        eff = capacity.Efficiency(memory=float(np.exp(x[0])), compute=float(np.exp(x[1])),
                                  allreduce_us=float(np.exp(x[2])))
        errors = []
        for b in fit_points:
            ratio = predict(b, eff) / b.measured_output_tokens_per_s_per_gpu
            errors.append(np.log(ratio) if np.isfinite(ratio) else np.log(10.0))
        return float(np.mean(np.square(errors)))

    x0 = np.log([start.memory, start.compute, max(start.allreduce_us, 1.0)])
    result = minimize(loss, x0, method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-6})
    return capacity.Efficiency(memory=round(float(np.exp(result.x[0])), 3),
                               compute=round(float(np.exp(result.x[1])), 3),
                               allreduce_us=round(float(np.exp(result.x[2])), 2))
