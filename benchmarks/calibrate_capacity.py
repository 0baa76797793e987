"""Refit the capacity model on the fit half of the published results and report the hold-out.

Prints the fitted factors with their bounds and the sources of the bounds (a factor that ends on
a bound is flagged), the per-regime residual spread of the fit half (copy both into
tco/capacity/__init__.py as EFFICIENCY and REGIME_LOG_SD when the catalog changes), the table per
regime and split (fit / hold-out) for the shipped factors and the refit ones, and the worst
hold-out points. The split rule is in tco/published.py; hold-out points never enter the fit.
The fit takes about a minute.

    python benchmarks/calibrate_capacity.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import tco.capacity as capacity  # noqa: E402
import tco.published as published  # noqa: E402


def main() -> None:
    pd.set_option("display.width", 200)
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


if __name__ == "__main__":
    main()
