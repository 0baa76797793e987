"""Memory of a run per million cells (paths x strategies x months), to set the limits in tco.budget.

    python benchmarks/bench_memory.py

Each size runs in a fresh process; the figure is the peak RSS of the run minus the process's RSS
after a small warm-up run, divided by the run's cells. The page refuses runs above
PAGE_MAX_CELLS and the command line above CLI_MAX_CELLS (``--max-cells`` raises it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
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


def main() -> None:
    from tco import budget

    story = str(ROOT / "scenarios" / "open-model-goes-closed.yaml")
    print(f"limits: page {budget.PAGE_MAX_CELLS:,} cells, command line {budget.CLI_MAX_CELLS:,} cells")
    for paths in (50_000, 200_000, 500_000):
        out = subprocess.run([sys.executable, "-c", CHILD, story, str(paths)], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        m = json.loads(out.stdout.strip().splitlines()[-1])
        per_million = (m["peak_mb"] - m["baseline_mb"]) / (m["cells"] / 1e6)
        print(f"{paths:>9,} paths x 3 strategies x 36 months = {m['cells'] / 1e6:6.1f}M cells: "
              f"peak {m['peak_mb']:5.0f} MB (baseline {m['baseline_mb']:4.0f} MB), "
              f"{per_million:4.1f} MB per million cells")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
