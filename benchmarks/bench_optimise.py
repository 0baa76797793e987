"""The optimiser (``tco.optimise``): a frontier of 15 CVaR95 budgets on 10,000 paths x 60 months x
6 options.

    python benchmarks/bench_optimise.py

Target on a 2-core machine: the 15-budget frontier in at most 10 s. Printed: the linear
programmes alone on the (paths, options) cost matrix, the whole decision (costing every option
alone and in pairs on one draw, the chosen mix's mixed-integer programme, the frontier, the exact
re-costing of 16 mixes on the same paths and of the chosen one on fresh paths), and a same-run
floor: one cumulative sum over a (paths, options, months) float64 array, the monthly costs the
cost matrix sums.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tco  # noqa: E402
from benchmarks.bench_simulate import BIG  # noqa: E402
from tco.load import with_changes  # noqa: E402
from tco.optimise import lp  # noqa: E402
from tco.optimise.decide import _costs, optimise  # noqa: E402
from tco.optimise.paths import CommonPaths  # noqa: E402
from tco.optimise.problem import problem  # noqa: E402

PATHS, SEED, BUDGETS = 10_000, 7, 15
EXTRA = {  # three more options, so the decision has six
    "options.api-c": {"kind": "api", "input_usd_per_mtok": 1.25, "output_usd_per_mtok": 10,
                      "price_volatility_per_year": 0.12, "price_trend_per_year": -0.1},
    "options.api-d": {"kind": "api", "input_usd_per_mtok": 0.8, "output_usd_per_mtok": 4,
                      "price_volatility_per_year": 0.2, "price_trend_per_year": 0.0},
    "options.hosted-b": {"kind": "self_hosted", "model": "qwen3-235b-a22b", "gpu": "h200",
                         "precision": "fp8", "usd_per_gpu_hour": 3.5, "target_utilization": 0.6,
                         "min_replicas": 1, "max_inter_token_ms": 50, "ops_fte": 1.5,
                         "usd_per_fte_year": 220000, "setup_usd": 150000,
                         "escalation_share": 0.05, "price_volatility_per_year": 0.15},
}


def main() -> None:
    sc = with_changes(tco.loads(BIG), EXTRA)
    optimise(sc, 500, SEED)  # compiles or loads the kernel, warms HiGHS
    prob = problem(sc)
    costs = _costs(prob, CommonPaths(sc, PATHS, SEED), prob.chains[0])
    options = costs.alone_usd.shape[1]
    start = time.perf_counter()
    points = lp.frontier(costs.alone_usd, prob.lower, prob.upper, BUDGETS)
    frontier_s = time.perf_counter() - start
    start = time.perf_counter()
    decision = optimise(sc, PATHS, SEED)
    decision_s = time.perf_counter() - start
    part = np.random.default_rng(0).random((PATHS, options, sc.horizon_months))
    out = np.empty_like(part)
    np.cumsum(part, axis=2, out=out)  # the output's pages touched once, outside the timing
    start = time.perf_counter()
    np.cumsum(part, axis=2, out=out)
    floor_s = time.perf_counter() - start
    print(f"{BUDGETS} CVaR95 budgets x {PATHS:,} paths x {sc.horizon_months} months x {options} "
          f"options: frontier LPs {frontier_s:.2f} s ({len({tuple(np.round(p.weights, 3)) for p in points})} "
          f"distinct mixes); the whole decision {decision_s:.2f} s; floor {floor_s * 1e3:.1f} ms; "
          f"frontier/floor {frontier_s / floor_s:.0f}x; target 10 s")
    print(f"chosen: {decision.chosen.card}")


if __name__ == "__main__":
    main()
