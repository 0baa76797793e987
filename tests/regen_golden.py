"""Regenerate the golden ``--json`` outputs of every shipped scenario.

    python tests/regen_golden.py

Also writes the kernel's per-path fingerprints (``tests/kernel_fingerprints.py``).
Explain any change to these files in the commit message: they pin the numbers users see.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tco.load import scenario_files
from tests import kernel_fingerprints

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
PATHS, SEED = 2000, 7


def golden_json(scenario: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "tco", "run", str(scenario), "--paths", str(PATHS),
                          "--seed", str(SEED), "--json"], check=True, capture_output=True, text=True,
                         cwd=ROOT)
    return json.loads(out.stdout)


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for scenario in scenario_files(ROOT / "scenarios"):
        target = GOLDEN / f"{scenario.stem}.json"
        target.write_text(json.dumps(golden_json(scenario), indent=2) + "\n")
        print(f"wrote {target.relative_to(ROOT)}")
    kernel_fingerprints.main()  # the per-path bits the goldens' means are made of


if __name__ == "__main__":
    main()
