"""Refit the capacity model and report how it does on points it did not fit.

Default: fits the nine factors on the fit half of the published results (the alternate-row split
of tco/published.py), prints the factors with their bounds and the sources of the bounds (a factor
that ends on a bound is flagged), the per-regime residual spread of the fit half (copy both into
tco/capacity/__init__.py as EFFICIENCY and REGIME_LOG_SD when the catalog changes), the table per
regime and split, and the worst hold-out points. About a minute.

``--loso``: leave one source out. For each source of tco/data/benchmarks.csv (a TensorRT-LLM
release's table, an MLPerf round, a vLLM publication) the factors are fitted on every other
source and judged on it; the external sources (tco/data/benchmarks_external.csv: InferenceX runs
and TensorRT-LLM v1.0's RTX PRO 6000 pipeline tables, never fitted) are judged by a fit on the
whole table, or without their own publication where the table also draws on it. Writes the
factors per held-out source to tco/data/capacity_loso.csv (which ``python -m tco catalog
benchmarks`` reads) and prints the report per regime (prefill, decode memory-bound, decode
compute-bound, MoE coarse, MoE fine, multi-GPU, pipeline-parallel, latency-bound), per source,
and the worst points, before (shipped factors) and after (held-out factors), then the model's
time to first token against the runs' mean TTFT (median ratio, from the notes of
tco/data/benchmarks_external.csv). About ten minutes on two cores;
``--report`` prints it from the stored file.

    python benchmarks/calibrate_capacity.py [--loso | --report]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import tco.capacity as capacity  # noqa: E402
import tco.published as published  # noqa: E402
import tco.published_latency as published_latency  # noqa: E402

GOAL = "goal on held-out sources: no refusal, median |log10| <= 0.08, >= 85% within x/1.5, all within x/2.5"


def split_report() -> None:
    shipped = published.table()
    print(f"shipped factors: {capacity.EFFICIENCY}")
    print(published.summary(shipped).round(3).to_string(index=False))
    refit = published.fit()
    frame = published.table(refit)
    print("\nrefit on the fit half (bounds and their sources):")
    for name in published.FITTED:
        low, high, why = capacity.FIT_BOUNDS[name]
        value = getattr(refit, name)
        edge = "  <- on a bound" if value in (low, high) else ""
        print(f"  {name:20s} {value:8.3f} in [{low:g}, {high:g}]{edge}\n      {why}")
    print("  communication latency (fixed): base "
          f"{capacity.ALLREDUCE_BASE_US} us + per ring step {capacity.HOP_US} us (NCCL Ring/LL)")
    print("regime log sd (fit half):", {k: round(v, 3) for k, v in published.regime_log_sd(frame).items()})
    print(published.summary(frame).round(3).to_string(index=False))
    frame["miss"] = frame["ratio"].map(lambda r: max(r, 1 / r))
    print("\nworst hold-out points:")
    worst = frame[frame["split"] == "holdout"].sort_values("miss", ascending=False).head(12)
    print(worst[["key", "measured", "predicted", "ratio", "regime"]].round(2).to_string(index=False))


def loso_report() -> None:
    frame = published.loso_table()
    print("factors per held-out source (tco/data/capacity_loso.csv):")
    for group, eff in published.stored_loso().items():
        print(f"  without {group:28s} " + ", ".join(f"{n} {getattr(eff, n):g}" for n in published.FITTED))
    print(f"\nleave-one-source-out, after (held-out factors); {GOAL}:")
    print(published.loso_summary(frame).round(3).to_string(index=False))
    print("\nbefore (shipped factors; not a hold-out for the table's own sources):")
    print(published.loso_summary(frame, ratio="shipped_ratio").round(3).to_string(index=False))
    print("\nper source (held-out factors):")
    print(published.loso_by_source(frame).round(3).to_string(index=False))
    frame["miss"] = frame["ratio"].map(lambda r: max(r, 1 / r))
    print("\nworst points (held-out factors):")
    worst = frame.sort_values("miss", ascending=False).head(15)
    print(worst[["key", "source_group", "measured", "predicted", "ratio", "categories"]].round(2)
          .to_string(index=False))
    first_token_report()


def first_token_report() -> None:
    """The model's time to first token against the runs' mean TTFT (external notes)."""
    ttft = published_latency.first_token_table()
    if ttft.empty:
        return
    print(f"\ntime to first token, model / measured mean TTFT ({len(ttft)} external runs, shipped factors; "
          "the model has no queue for the prefill budget):")
    by = ttft.assign(input_tokens=ttft["shape"].str.split("/").str[0].astype(int))
    rows = [("all", by)] + [(f"input {n} tokens", part) for n, part in by.groupby("input_tokens")]
    for name, part in rows:
        r = part["ratio"]
        print(f"  {name:20s} n {len(part):3d}  median ratio {r.median():.3f}  P10 {r.quantile(0.1):.3f}  "
              f"P90 {r.quantile(0.9):.3f}  median |log10| {abs(np.log10(r)).median():.3f}")


def main() -> None:
    pd.set_option("display.width", 220)
    if "--loso" in sys.argv:
        published.write_loso(published.loso_factors())
        published.stored_loso.cache_clear()
        loso_report()
    elif "--report" in sys.argv:
        loso_report()
    else:
        split_report()


if __name__ == "__main__":
    main()
