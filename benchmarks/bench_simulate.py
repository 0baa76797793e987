"""Speed of the Monte Carlo engine: wall time, paths per second and peak memory.

    python benchmarks/bench_simulate.py

Each configuration runs in a fresh process so peak RSS is its own. Targets on a 2-core machine:
100,000 paths x 60 months x 5 strategies x 7 risks with uncertain inputs at most 8x the floor and
400 MB peak with the fan chart's percentiles; the page's default run (10,000 paths) in at most
0.05 s; a cold start after the README's setup command (kernel compiled) at most 5 s. The floor
is one cumulative sum over an array of the result's shape, timed in the same process: the ratio
says how far the engine is from touching its output once. The split times the draws alone (the
exact random streams every result depends on) against the whole run, on one thread, and the
random numbers alone within them; the memory line splits what is resident before any path is
drawn from the result's largest array.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BIG = """
name: benchmark
horizon_months: 60
discount_rate_per_year: 0.08
workload: {requests_per_month: {triangular: [15_000_000, 20_000_000, 30_000_000]},
           input_tokens_per_request: 1500, output_tokens_per_request: 350,
           cached_input_share: 0.3, growth_per_month: {triangular: [0.0, 0.03, 0.08]}, peak_to_average: 2.5}
options:
  api-a: {kind: api, input_usd_per_mtok: 3, cached_input_usd_per_mtok: 0.3, output_usd_per_mtok: 15,
          price_trend_per_year: -0.15, price_volatility_per_year: 0.1}
  api-b: {kind: api, input_usd_per_mtok: 2, output_usd_per_mtok: 10, price_volatility_per_year: 0.1,
          price_trend_per_year: {triangular: [-0.3, -0.15, 0.05]}}
  hosted: {kind: self_hosted, model: llama-3.3-70b, gpu: h100-sxm, precision: fp8,
           usd_per_gpu_hour: {triangular: [2, 2.5, 3.5]}, target_utilization: 0.6, min_replicas: 2,
           max_inter_token_ms: 50, ops_fte: {triangular: [1, 1.5, 2.5]}, usd_per_fte_year: 220000,
           setup_usd: 150000,
           escalation_share: 0.05, price_volatility_per_year: 0.15}
strategies:
  a-only: {mix: {api-a: 1.0}, fallback: api-b, portability: 0.2}
  b-only: {mix: {api-b: 1.0}, fallback: api-a, portability: 0.2}
  multi: {mix: {api-a: 0.5, api-b: 0.5}, fallback: api-b, portability: 0.8}
  self-host: {mix: {hosted: 1.0}, fallback: api-a, portability: 0.5}
  hybrid: {mix: {hosted: 0.7, api-a: 0.3}, fallback: api-a, portability: 0.8}
switching: {engineer_weeks: {triangular: [4, 8, 20]}, usd_per_engineer_week: 6000, dual_running_months: 1}
risks:
  - {kind: price_change, on: [api-a, api-b], annual_probability: 0.1,
     multiplier: {lognormal: {median: 1.3, p90: 1.8}}}
  - {kind: deprecation, on: [api-a, api-b], annual_probability: 0.55,
     successor_price_multiplier: {triangular: [0.8, 1.0, 1.4]}}
  - {kind: exit, on: [api-a, api-b], annual_probability: 0.03}
  - {kind: licence_change, on: [hosted], annual_probability: 0.35, escalation_per_month: 0.02,
     escalation_cap: 0.5}
  - {kind: price_change, on: [hosted], annual_probability: 0.1, multiplier: {triangular: [1.1, 1.3, 2.0]}}
  - {kind: exit, on: [hosted], annual_probability: 0.02}
  - {kind: price_change, on: [api-b], annual_probability: 0.15, multiplier: {triangular: [0.5, 0.8, 1.0]}}
"""

CHILD = r"""
import json, resource, sys, time
import numpy as np
import tco
sc = tco.loads(sys.argv[1]) if sys.argv[1].startswith("\n") else tco.load_scenario(sys.argv[1])
paths, workers = int(sys.argv[2]), (None if sys.argv[3] == "auto" else int(sys.argv[3]))
cold = time.perf_counter()
from tco.model import evaluate_kernel
evaluate_kernel(sc)                        # loads the compiled kernel (no tables: pandas stays out)
base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # before any path is drawn
tco.simulate(sc, paths=16_384, seed=1, workers=workers)        # warm up (imports, threads)
cold_s = time.perf_counter() - cold
times = []
for seed in (2, 3, 4, 5, 6):
    start = time.perf_counter()
    result = tco.simulate(sc, paths=paths, seed=seed, workers=workers)
    times.append(time.perf_counter() - start)
    del result  # one result alive at a time, as in the app and the CLI
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the floor's arrays
result = tco.simulate(sc, paths=paths, seed=7, workers=workers)
start = time.perf_counter()
result.monthly_percentiles()  # the page's fan chart (and pandas, which the page has loaded anyway)
fan_s = time.perf_counter() - start
fan_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
del result
shape = (paths, len(sc.strategies), sc.horizon_months)
sys.path.insert(0, "benchmarks")
from floor import cumsum_floor_s
floor_s = cumsum_floor_s(shape)
from tco.draws import draw_shocks, inputs_from_uniforms, path_uniforms
chunk = 2048
u = path_uniforms(sc, 2, paths, sc.sampling)
start = time.perf_counter()
for first in range(0, paths, chunk):
    x = inputs_from_uniforms(sc.inputs, u[first:first + chunk])
    draw_shocks(sc, x, 2, first // 1024, min(chunk, paths - first))
draws_s = time.perf_counter() - start
# The random numbers alone: one "arrivals" uniform per event plus one per (fact, path), up to
# max_events (counted from a second, untimed draw), and every (noisy option, path, month) normal
# the exact streams consist of, generated into reused buffers, nothing else.
from tco.draws import (RNG_BLOCK_PATHS, cell_uniforms, fact_of_pair, generator, noisy_options,
                       risk_option_pairs)
pairs = risk_option_pairs(sc)
arrivals = 0
for first in range(0, paths, chunk):
    x = inputs_from_uniforms(sc.inputs, u[first:first + chunk])
    fired = draw_shocks(sc, x, 2, first // 1024, min(chunk, paths - first), with_noise=False).fired
    for k, fact in enumerate(fact_of_pair(sc)):
        if fact == k:
            cap = sc.risks[pairs[k][0]].max_events or sc.horizon_months
            arrivals += int(np.minimum(fired[pairs[k]].sum(axis=1) + 1, cap).sum())
buf = np.empty((RNG_BLOCK_PATHS, sc.horizon_months))
start = time.perf_counter()
for b in range(-(-arrivals // buf.size)):
    cell_uniforms(2, "arrivals", np.arange(b * buf.size, min((b + 1) * buf.size, arrivals)))
for b in range(-(-paths // RNG_BLOCK_PATHS)):
    rng = generator(2, "noise", b)
    for _ in noisy_options(sc):
        rng.standard_normal(out=buf)
rng_s = time.perf_counter() - start
print(json.dumps({"best_s": min(times), "median_s": sorted(times)[2], "floor_s": floor_s,
                  "peak_mb": peak_mb, "cold_s": cold_s, "draws_s": draws_s, "rng_s": rng_s,
                  "arrivals_per_path": arrivals / paths,
                  "base_mb": base_mb, "cumulative_mb": float(np.prod(shape)) * 4 / 2**20,
                  "fan_s": fan_s, "fan_mb": fan_mb}))
"""


def measure(label: str, scenario: str, paths: int, workers: str) -> None:
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(paths), workers], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{label:64s} best {m['best_s']:6.3f} s  median {m['median_s']:6.3f} s  "
          f"{paths / m['best_s']:>9,.0f} paths/s  peak {m['peak_mb']:4.0f} MB  "
          f"floor {m['floor_s'] * 1000:5.1f} ms  median/floor {m['median_s'] / m['floor_s']:5.1f}x  "
          f"draws alone (1 thread) {m['draws_s']:5.3f} s")
    print(f"{'':64s} of which: random numbers alone (1 thread) {m['rng_s']:5.3f} s = "
          f"{m['rng_s'] / m['floor_s']:4.1f}x the floor ({m['arrivals_per_path']:.1f} event uniforms "
          f"a path); RSS before any path {m['base_mb']:4.0f} MB "
          f"(interpreter, libraries, compiled kernel) + the result's float32 cumulative cost "
          f"{m['cumulative_mb']:4.0f} MB")
    print(f"{'':64s} with the fan chart's percentiles: peak {m['fan_mb']:4.0f} MB (target 400 MB), "
          f"percentiles {m['fan_s']:5.3f} s = {m['fan_s'] / m['floor_s']:4.1f}x the floor")


def cold_start(scenario: str) -> None:
    """A fresh process: import, load, compile or load the kernel from numba's cache, first run."""
    code = ("import time; t = time.perf_counter(); import tco; "
            f"sc = tco.load_scenario({scenario!r}); tco.simulate(sc, paths=10_000); "
            "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    print(f"cold start (fresh process, numba cache warm): import + load + 10,000 paths "
          f"{float(out.stdout.strip().splitlines()[-1]):.2f} s")


def main() -> None:
    story = str(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    print("5 runs after a warm-up, each in a fresh process; peak = max RSS of that process "
          "(both threads)")
    measure("100,000 paths x 60 months x 5 strategies x 7 risks (10 pairs)", BIG, 100_000, "auto")
    measure("same, one Python thread (the kernel's prange uses both cores)", BIG, 100_000, "1")
    measure("20,000 paths x 36 months (open-model-goes-closed, 4 strategies)", story, 20_000, "auto")
    measure("10,000 paths x 36 months (the page's default)", story, 10_000, "auto")
    cold_start(story)


if __name__ == "__main__":
    main()
