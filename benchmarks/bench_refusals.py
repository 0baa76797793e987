"""CPU time of refusing hostile scenario files, in this process after imports (the cost a page
upload or a CLI call pays beyond starting Python).

    python benchmarks/bench_refusals.py

Each file is the worst of its kind within the 1 MB upload limit: the most keys one mapping may
hold plus one, the most values a file may hold plus one, a 49,000-key flow mapping (14 s of CPU
before the bound), a 999 kB string, 10,000 unknown keys (just inside the key bound, refused by
validation), deep nesting and a lone surrogate at the end of a large file. Prints the median of
five refusals of each, and the error line. The issue's bound: 1 s of CPU for any refusal.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from tco.errors import ScenarioError  # noqa: E402
from tco.load import loads  # noqa: E402

BASE = (ROOT / "scenarios" / "open-model-goes-closed.yaml").read_text(encoding="utf-8")

CASES = {
    "10,001 keys, flow": BASE + "zz: {" + ", ".join(f"k{i}: 1" for i in range(10_001)) + "}\n",
    "10,001 keys, block": BASE + "zz:\n" + "".join(f"  k{i}: 1\n" for i in range(10_001)),
    "49,000 keys, flow": BASE + "zz: {" + ", ".join(f"k{i}: 1" for i in range(49_000)) + "}\n",
    "25,001 values in a list": BASE + "zz: [" + ", ".join(["1"] * 25_001) + "]\n",
    "10,000 unknown keys in workload": BASE.replace(
        "workload:\n", "workload:\n" + "".join(f"  k{i}: 1\n" for i in range(9_990)), 1),
    "a 999 kB name": "name: '" + "a" * 999_000 + "'\n",
    "5,000 nested lists": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "a lone surrogate after 900 kB": BASE + "# " + "x" * 900_000 + '\nzz: "\\ud800"\n',
}


def main() -> None:
    print(f"{'file':<34} {'kB':>6} {'CPU s':>7}  error")
    for name, text in CASES.items():
        data = text.encode("utf-8")
        times, message = [], ""
        for _ in range(5):
            start = time.process_time()
            try:
                loads(data)
            except ScenarioError as exc:
                message = str(exc)
            times.append(time.process_time() - start)
        print(f"{name:<34} {len(data) / 1000:>6.0f} {statistics.median(times):>7.3f}  {message[:70]}")


if __name__ == "__main__":
    main()
