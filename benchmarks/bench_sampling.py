"""How much Latin hypercube and scrambled Sobol sampling narrow the standard error.

    python benchmarks/bench_sampling.py

For each sampler, 40 independent replications (different seeds) of a 4,096-path run of a shipped
scenario; the spread of the 40 estimates of the mean and of P95 is the empirical standard error.
Events and price noise stay pseudo-random in every sampler (only path-level inputs use LHS/Sobol),
so the narrowing is bounded by how much of the variance the path-level inputs explain.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

import tco  # noqa: E402

REPLICATIONS, PATHS = 40, 4096


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "open-model-goes-closed"
    sc = tco.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    print(f"{name}: {REPLICATIONS} replications x {PATHS:,} paths; empirical standard errors per strategy")
    base = {}
    for method in ("random", "lhs", "sobol"):
        start = time.perf_counter()
        means, p95s = [], []
        for r in range(REPLICATIONS):
            npv = tco.simulate(sc, paths=PATHS, seed=1000 + r, sampling=method, workers=1).npv_usd
            means.append(npv.mean(axis=0))
            p95s.append(np.percentile(npv, 95, axis=0))
        se_mean, se_p95 = np.std(means, axis=0, ddof=1), np.std(p95s, axis=0, ddof=1)
        base.setdefault("mean", se_mean)
        base.setdefault("p95", se_p95)
        for s_i, strategy in enumerate(sc.strategies):
            print(f"  {method:6s} {strategy:12s} SE(mean) ${se_mean[s_i]:>10,.0f} "
                  f"({se_mean[s_i] / base['mean'][s_i]:4.2f}x random)   SE(P95) ${se_p95[s_i]:>10,.0f} "
                  f"({se_p95[s_i] / base['p95'][s_i]:4.2f}x random)")
        print(f"  {method}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
