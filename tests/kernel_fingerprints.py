"""Per-path kernel outputs of every shipped story, and their stored fingerprints.

    python tests/kernel_fingerprints.py

``tests/regen_golden.py`` writes them with the goldens (both move when the draws change, never
when only the kernel's layout does): a sha256 per output array, so a kernel that drifts by one
ulp on one path of one story fails ``tests/test_kernel_fingerprints.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from tco import kernel
from tco.draws import Shocks, draw_shocks, inputs_from_uniforms, path_uniforms
from tco.load import Loaded, load_scenario, scenario_files
from tco.views import events, extras, line_names, option_rows, strategies, workload

ROOT = Path(__file__).resolve().parent.parent
FINGERPRINTS = ROOT / "tests" / "golden" / "kernel-fingerprints.json"
PATHS, SEED = 300, 7

MODES = {
    # every output written: the monthly cost, the first strategy's routing, the reference pass
    "full": {"want_cost": True, "reference": True, "keep": True, "usage": True},
    # what tco.engine asks of many candidates: NPVs only, with and without the reference pass
    "npv": {"want_cost": False, "reference": True, "keep": False, "usage": False},
    "npv-no-reference": {"want_cost": False, "reference": False, "keep": False, "usage": False},
}

PER_PATH = ("npv_usd", "npv_no_events_usd", "switching_npv_usd", "portable_npv_usd", "no_fallback",
            "tokens", "fine_tune_runs", "upgrades", "first_upgrade", "weights_age")
"""Per-path outputs written in every mode."""
KEPT = ("cost_usd", "cumulative_usd", "events", "usage_share", "usage_price_multiplier")
"""Per-path series written only where ``keep`` is on."""
SUMMED = ("line_sum_usd", "amortised_sum_usd", "gpus_sum", "utilization_sum")
"""Sums over the paths, written only where ``keep`` is on."""


def drawn(sc: Loaded, paths: int, seed: int = SEED) -> tuple[dict[str, np.ndarray], Shocks]:
    """The inputs and shocks of a run's first ``paths`` paths (pseudo-random sampling)."""
    x = inputs_from_uniforms(sc.inputs, path_uniforms(sc, seed, paths, "random"))
    return x, draw_shocks(sc, x, seed, 0, paths)


def first_paths(x: dict[str, np.ndarray], shocks: Shocks, n: int
                ) -> tuple[dict[str, np.ndarray], Shocks]:
    """The first ``n`` paths of drawn inputs and shocks, as if only they had been drawn.

    Impacts and efforts hold one value per fired cell in row-major order, so the first n paths'
    are the first (fired cells among those paths) of them."""
    paths = shocks.paths
    cut = {k: v[:n] if v.shape[0] == paths else v for k, v in x.items()}
    fired = {key: f[:n] for key, f in shocks.fired.items()}
    cells = {key: int(np.count_nonzero(f)) for key, f in fired.items()}
    return cut, Shocks(
        paths=n, noise={k: v[:n] for k, v in shocks.noise.items()}, fired=fired,
        impact={k: v[:cells[k]] for k, v in shocks.impact.items()},
        weeks={k: v[:cells[k]] for k, v in shocks.weeks.items()},
        delays={k: v[:n] for k, v in shocks.delays.items()})


def outputs(sc: Loaded, x: dict[str, np.ndarray], shocks: Shocks, mode: str) -> dict[str, np.ndarray]:
    """The kernel's outputs on these paths under one of ``MODES``, by name (those the mode writes)."""
    flags = MODES[mode]
    paths = shocks.paths
    w, per_path = workload(sc, x, paths)
    result = kernel.run_prepared(
        option_rows(sc, x, per_path, paths), strategies(sc, x, paths), w,
        events(sc, x, shocks, paths), extras(sc, x, paths), line_names(sc), sc.horizon_months,
        flags["want_cost"], reference=flags["reference"], keep=flags["keep"], usage=flags["usage"])
    names = PER_PATH + (KEPT + SUMMED if flags["keep"] else ())
    got = {name: getattr(result, name) for name in names}
    return {name: value for name, value in got.items() if value is not None}


def fingerprint(a: np.ndarray) -> str:
    """sha256 of an array's dtype, shape and bytes."""
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def fingerprints() -> dict[str, dict[str, dict[str, str]]]:
    """story -> mode -> output -> fingerprint, at ``SEED`` and ``PATHS`` paths."""
    table: dict[str, dict[str, dict[str, str]]] = {}
    for path in scenario_files(ROOT / "scenarios"):
        sc = load_scenario(path)
        x, shocks = drawn(sc, PATHS)
        table[path.stem] = {mode: {name: fingerprint(a) for name, a in outputs(sc, x, shocks, mode).items()}
                            for mode in MODES}
    return table


def main() -> None:
    FINGERPRINTS.write_text(json.dumps(fingerprints(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FINGERPRINTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
