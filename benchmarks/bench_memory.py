"""Peak memory: the big case with and without the fan chart, what is resident before any path, and
the memory per million cells that sets the limits in tco.budget.

    python benchmarks/bench_memory.py [--no-cells]

Every figure comes from a fresh process; peak is the process's maximum resident set (``ru_maxrss``,
both threads), which only grows, so each later phase of a process includes the earlier ones.

- Before any path: resident memory after each import and after the compiled kernel is loaded.
- The big case (100,000 paths x 60 months x 5 strategies x 7 risks, ``bench_simulate.BIG``), as
  the page runs it (after a warm-up run of 16,384 paths; target 400 MB with the fan chart), beside
  its same-run floor: the resident memory before any path plus the result's own arrays, which
  any run that returns them must hold. Then the fan chart's percentiles (arrays), then its table
  (which imports pandas), and the command line's ``run`` (tables printed, no --csv-dir: the
  cumulative cost is not kept).
- Per million cells: the peak of a run minus the process's resident memory after a small warm-up
  run, divided by its cells (``--no-cells`` skips it). The page refuses runs above
  PAGE_MAX_CELLS and the command line above CLI_MAX_CELLS (``--max-cells`` raises it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.bench_simulate import BIG  # noqa: E402

IMPORTS = r"""
import json, sys, time
def rss_mb():
    with open("/proc/self/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) / 1024
steps = [("interpreter", rss_mb())]
import numpy; steps.append(("numpy", rss_mb()))
import numba; steps.append(("numba (llvmlite)", rss_mb()))
import scipy.special; steps.append(("scipy.special", rss_mb()))
import pydantic, yaml; steps.append(("pydantic, yaml", rss_mb()))
import tco; steps.append(("tco (the rest of the package)", rss_mb()))
sc = tco.loads(sys.argv[1]); steps.append(("the scenario loaded", rss_mb()))
from tco.model import evaluate_kernel
evaluate_kernel(sc); steps.append(("the compiled kernel loaded (before any path)", rss_mb()))
heavy = {m: m in sys.modules for m in ("pandas", "scipy.stats", "scipy.optimize", "genai_prices")}
import pandas; steps.append(("+ pandas (tables; not imported by a run)", rss_mb()))
import scipy.stats; steps.append(("+ scipy.stats (lhs/sobol only)", rss_mb()))
print(json.dumps({"steps": steps, "heavy": heavy}))
"""

PAGE = r"""
import json, resource, sys
import numpy as np
def rss_mb():
    with open("/proc/self/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) / 1024
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
import tco
from tco.model import evaluate_kernel
sc = tco.loads(sys.argv[1])
paths = int(sys.argv[2])
evaluate_kernel(sc)                                   # the compiled kernel loaded
base_mb = rss_mb()
tco.simulate(sc, paths=16_384, seed=1)                # warm-up: imports, threads, as on the page
result = tco.simulate(sc, paths=paths, seed=2)
run_mb = peak_mb()
arrays = [v for v in vars(result).values() if isinstance(v, np.ndarray)]
arrays += [a for v in vars(result).values() if isinstance(v, dict) for a in v.values()
           if isinstance(a, np.ndarray)]
result_mb = sum(a.nbytes for a in arrays) / 2**20
cumulative_mb = result.cumulative_usd.nbytes / 2**20
pandas_during_run = "pandas" in sys.modules
result.cumulative_percentiles()                       # the fan chart's numbers
fan_mb = peak_mb()
result.monthly_percentiles()                          # its table: imports pandas
table_mb = peak_mb()
print(json.dumps({"base_mb": base_mb, "run_mb": run_mb, "result_mb": result_mb,
                  "cumulative_mb": cumulative_mb, "fan_mb": fan_mb, "table_mb": table_mb,
                  "pandas_during_run": pandas_during_run}))
"""

CLI = r"""
import json, resource, subprocess, sys
out = subprocess.run([sys.executable, "-m", "tco", "run", sys.argv[1], "--paths", sys.argv[2]],
                     capture_output=True, text=True, check=True)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

CELLS = r"""
import json, resource, sys
import tco
from tco import budget
sc = tco.load_scenario(sys.argv[1])
paths = int(sys.argv[2])
tco.simulate(sc, paths=2048, seed=1)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tco.simulate(sc, paths=paths, seed=2)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
cells = budget.cells(len(sc.strategies), sc.horizon_months, paths)
print(json.dumps({"cells": cells, "baseline_mb": before, "peak_mb": after}))
"""


def child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def before_any_path() -> None:
    m = child(IMPORTS, BIG)
    print("Resident before any path (one process, RSS after each step):")
    previous = 0.0
    for label, mb in m["steps"]:
        print(f"  {label:48s} {mb:6.1f} MB  (+{mb - previous:5.1f})")
        previous = mb
    loaded = [name for name, present in m["heavy"].items() if present]
    print("  imported by then: " + (", ".join(loaded) if loaded else
                                     "none of pandas, scipy.stats, scipy.optimize, genai_prices"))


def big_case(paths: int) -> None:
    m = child(PAGE, BIG, str(paths))
    floor = m["base_mb"] + m["result_mb"]
    print(f"\n{paths:,} paths x 60 months x 5 strategies x 7 risks, as the page runs it (after a "
          f"16,384-path warm-up):")
    print(f"  floor (same run): RSS before any path {m['base_mb']:.0f} MB + the result's arrays "
          f"{m['result_mb']:.0f} MB (of which the float32 cumulative cost {m['cumulative_mb']:.0f} MB)"
          f" = {floor:.0f} MB")
    for label, key in (("the run", "run_mb"), ("with the fan chart's percentiles", "fan_mb"),
                       ("with the fan chart's table (imports pandas)", "table_mb")):
        print(f"  peak, {label:44s} {m[key]:5.0f} MB = floor + {m[key] - floor:4.0f} MB "
              f"(target 400 MB)")
    print(f"  pandas imported during the run: {'yes' if m['pandas_during_run'] else 'no'}")
    with tempfile.TemporaryDirectory() as folder:
        scenario = Path(folder) / "big.yaml"
        scenario.write_text(BIG)
        cli = child(CLI, str(scenario), str(paths))
    lean_floor = m["base_mb"] + m["result_mb"] - m["cumulative_mb"]
    print(f"  peak, python -m tco run (tables, cumulative cost not kept) {cli['peak_mb']:5.0f} MB "
          f"= its floor {lean_floor:.0f} MB + {cli['peak_mb'] - lean_floor:4.0f} MB (its imports "
          f"and tables included)")


def per_million_cells() -> None:
    from tco import budget

    story = str(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    print(f"\nlimits: page {budget.PAGE_MAX_CELLS:,} cells, command line {budget.CLI_MAX_CELLS:,} cells")
    for paths in (50_000, 200_000, 500_000):
        m = child(CELLS, story, str(paths))
        per_million = (m["peak_mb"] - m["baseline_mb"]) / (m["cells"] / 1e6)
        strategies = m["cells"] // (paths * 36)
        print(f"{paths:>9,} paths x {strategies} strategies x 36 months = {m['cells'] / 1e6:6.1f}M cells: "
              f"peak {m['peak_mb']:5.0f} MB (baseline {m['baseline_mb']:4.0f} MB), "
              f"{per_million:4.1f} MB per million cells")


def main() -> None:
    load = os.getloadavg()
    print(f"load average {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} cores "
          "(a busy machine moves timings, hardly peaks)\n")
    before_any_path()
    big_case(100_000)
    if "--no-cells" not in sys.argv:
        per_million_cells()


if __name__ == "__main__":
    main()
