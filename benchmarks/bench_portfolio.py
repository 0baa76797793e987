"""Speed of a portfolio run: 50 workloads x 10,000 paths x 60 months.

    python benchmarks/bench_portfolio.py [--workloads 50] [--paths 10000]

Target on a 2-core machine: at most 5 s median. The workloads are the shipped enterprise
portfolio's four, repeated with their traffic scaled, so pooling and the commitment are priced
on every path. Two floors, timed in the same process: one cumulative sum over an array of the
per-workload cost's shape (paths x workloads x months), how far the run is from touching each
workload's monthly cost once; and the cost kernel alone, each workload's strategy evaluated once
on the same draws as the portfolio calls it, which the portfolio cannot beat without a faster
kernel.
"""

from __future__ import annotations

import argparse
import copy
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # run from anywhere: the package, and floor.py

from floor import cumsum_floor_s  # noqa: E402 - the benchmarks folder is not a package

import tco.kernel as kernel  # noqa: E402
import tco.views as views  # noqa: E402
from tco.draws import RNG_BLOCK_PATHS, draw_shocks, inputs_from_uniforms  # noqa: E402
from tco.portfolio import simulate_portfolio  # noqa: E402
from tco.portfolio.engine import CHUNK_PATHS, portfolio_uniforms  # noqa: E402
from tco.portfolio.spec import validate_portfolio  # noqa: E402
from tco.yamlio import parse_document  # noqa: E402

WORKLOADS, PATHS, MONTHS = 50, 10_000, 60


def portfolio(workloads: int = WORKLOADS, months: int = MONTHS):
    raw, _ = parse_document((ROOT / "scenarios" / "portfolio-enterprise.yaml").read_bytes())
    raw["horizon_months"] = months
    base = list(raw["workloads"].items())
    raw["workloads"] = {}
    for k in range(workloads):
        name, entry = base[k % len(base)]
        entry = copy.deepcopy(entry)
        entry["workload"]["requests_per_month"] = int(entry["workload"]["requests_per_month"]
                                                      * (0.5 + (k % 7) / 6))
        raw["workloads"][f"{name}-{k}"] = entry
    return validate_portfolio(raw)


def kernel_floor_s(pf, paths: int, seed: int) -> float:
    """Seconds the cost kernel alone takes to evaluate every workload on the run's draws, called
    as the portfolio calls it (no lock-in reference pass, the usage output on)."""
    u = portfolio_uniforms(pf, seed, paths, pf.sampling)
    kernel_s = 0.0
    names = list(pf.workloads)
    for start in range(0, paths, CHUNK_PATHS):
        rows = slice(start, min(start + CHUNK_PATHS, paths))
        n = rows.stop - rows.start
        first = pf.first
        x0 = inputs_from_uniforms(first.inputs, u[names[0]][rows])
        shocks = draw_shocks(first, x0, seed, start // RNG_BLOCK_PATHS, n)
        ev = views.events(first, x0, shocks, n)
        for w, sc in pf.workloads.items():
            x = inputs_from_uniforms(sc.inputs, u[w][rows])
            wl, per_path = views.workload(sc, x, n)
            o, plan = views.option_rows(sc, x, per_path, n), views.strategies(sc, x, n)
            extras, lines = views.extras(sc, x, n), views.line_names(sc)
            begin = time.perf_counter()
            kernel.run_prepared(o, plan, wl, ev, extras, lines, sc.horizon_months, True,
                                reference=False, usage=True)
            kernel_s += time.perf_counter() - begin
    return kernel_s


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--workloads", type=int, default=WORKLOADS)
    args.add_argument("--paths", type=int, default=PATHS)
    a = args.parse_args()
    workloads, paths = a.workloads, a.paths
    pf = portfolio(workloads)
    cold = time.perf_counter()
    simulate_portfolio(pf, paths=2048, seed=1)  # warm up: imports, numba caches, threads
    cold_s = time.perf_counter() - cold
    times = []
    for seed in (2, 3, 4):
        start = time.perf_counter()
        result = simulate_portfolio(pf, paths=paths, seed=seed)
        times.append(time.perf_counter() - start)
        del result
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kernel_s = kernel_floor_s(pf, paths, 3)
    floor_s = cumsum_floor_s((paths, workloads, MONTHS))
    median = sorted(times)[1]
    print(f"portfolio {workloads} workloads x {paths:,} paths x {MONTHS} months: median {median:.2f} s "
          f"(best {min(times):.2f} s; target 5 s), warm-up {cold_s:.1f} s, floor {floor_s * 1000:.0f} ms, "
          f"median/floor {median / floor_s:.0f}x, kernel alone {kernel_s:.2f} s "
          f"(median/kernel {median / kernel_s:.1f}x), peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
