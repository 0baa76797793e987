"""The simple case against Squiggle: one API option, 24 months, one price-change risk, 100,000 paths.

    (cd benchmarks/squiggle && npm install)   # @quri/squiggle-lang 0.10.0, pinned in package.json
    python benchmarks/bench_squiggle.py

Squiggle is a general-purpose language for estimates; the same model written in it
(``benchmarks/squiggle/simple.mjs``) is the yardstick of a tool that claims to be fast at its own
job. Target: at least 10x faster, with means within 4 standard errors of each other and of the
closed form E[NPV] = C sum_{t=0}^{23} (1 + q (E[m] - 1))^(t+1) (1 + r)^(-(t+1)/12), where C is the
monthly bill at index 1, q the monthly firing probability and E[m] = median x exp(sigma^2 / 2) the
lognormal multiplier's mean. Both sides run 5 times after a warm-up in their own process; medians
are printed, with this tool's same-run floor (one cumulative sum over the result's shape).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQUIGGLE = ROOT / "benchmarks" / "squiggle"
PATHS = 100_000

SIMPLE = """
name: simple
horizon_months: 24
discount_rate_per_year: 0.08
workload: {requests_per_month: 1_000_000, input_tokens_per_request: 1000, output_tokens_per_request: 200}
options:
  api: {kind: api, input_usd_per_mtok: 3, output_usd_per_mtok: 15}
strategies:
  api-only: {mix: {api: 1.0}}
risks:
  - {kind: price_change, on: [api], annual_probability: 0.3, multiplier: {lognormal: {median: 1.3, p90: 1.8}}}
"""

CHILD = r"""
import json, sys, time
import numpy as np
import tco
sc = tco.loads(sys.argv[1])
paths = int(sys.argv[2])
tco.simulate(sc, paths=paths, seed=1)  # warm-up: the compiled kernel, threads
times = []
for seed in (2, 3, 4, 5, 6):
    start = time.perf_counter()
    result = tco.simulate(sc, paths=paths, seed=seed)
    times.append(time.perf_counter() - start)
npv = result.npv_usd[:, 0]
sys.path.insert(0, "benchmarks")
from floor import cumsum_floor_s
floor_s = cumsum_floor_s((paths, 1, sc.horizon_months))
print(json.dumps({"seconds": times, "mean": float(npv.mean()),
                  "se": float(npv.std(ddof=1) / np.sqrt(paths)), "floor_s": floor_s}))
"""


def closed_form_usd() -> float:
    """E[NPV] of the simple case, worked in the module docstring."""
    q = 1.0 - (1.0 - 0.3) ** (1.0 / 12.0)
    sigma = math.log(1.8 / 1.3) / 1.2815515655446004
    mean_multiplier = 1.3 * math.exp(sigma**2 / 2.0)
    monthly_usd = 1_000_000 * (1000 * 3 + 200 * 15) / 1e6
    growth = 1.0 + q * (mean_multiplier - 1.0)
    return sum(monthly_usd * growth ** (t + 1) * 1.08 ** (-(t + 1) / 12.0) for t in range(24))


def main() -> None:
    ours = json.loads(subprocess.run([sys.executable, "-c", CHILD, SIMPLE, str(PATHS)], cwd=ROOT,
                                     capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    exact = closed_form_usd()
    ours_s = sorted(ours["seconds"])[2]
    print(f"tco: {PATHS:,} paths x 24 months, 1 option, 1 risk: median {ours_s * 1000:.0f} ms "
          f"(floor {ours['floor_s'] * 1000:.1f} ms, {ours_s / ours['floor_s']:.0f}x), "
          f"mean NPV ${ours['mean']:,.0f} +/- {ours['se']:,.0f} (closed form ${exact:,.0f}, "
          f"{(ours['mean'] - exact) / ours['se']:+.1f} SE)")
    if shutil.which("node") is None or not (SQUIGGLE / "node_modules").exists():
        print("squiggle: not run (needs node and `npm install` in benchmarks/squiggle)")
        return
    # One warm-up run and five timed ones, in one node process (its module load is not timed).
    out = subprocess.run(["node", "simple.mjs", "6", str(PATHS)], cwd=SQUIGGLE, capture_output=True,
                         text=True, check=True)
    theirs = json.loads(out.stdout.splitlines()[-1])
    theirs_s = sorted(theirs["seconds"][1:])[2]
    gap = (ours["mean"] - theirs["mean"]) / math.hypot(ours["se"], theirs["se"])
    print(f"squiggle 0.10.0: {PATHS:,} samples: median {theirs_s * 1000:.0f} ms, mean NPV "
          f"${theirs['mean']:,.0f} +/- {theirs['se']:,.0f} ({(theirs['mean'] - exact) / theirs['se']:+.1f} "
          f"SE from the closed form)")
    print(f"tco is {theirs_s / ours_s:.1f}x faster (target 10x); the means differ by {gap:+.1f} "
          "combined SE (target within 4)")


if __name__ == "__main__":
    main()
