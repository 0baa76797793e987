"""Refit the capacity model's two efficiency factors against the published benchmarks.

Prints the least-squares fit of log(model / measured) over tco/data/benchmarks.csv and the model
beside each result. Copy the printed factors into tco/capacity.py when the catalog changes.

    python benchmarks/calibrate_capacity.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from tco import capacity, catalog  # noqa: E402


def predictions(memory_efficiency: float, compute_efficiency: float) -> dict[str, float]:
    out = {}
    for key, b in catalog.benchmarks().items():
        p = capacity.plan(model=b.model, gpu=b.gpu, precision=b.precision, gpus=b.replica_gpus,
                          input_tokens=b.input_tokens, output_tokens=b.output_tokens,
                          max_inter_token_ms=b.max_inter_token_ms,
                          memory_efficiency=memory_efficiency, compute_efficiency=compute_efficiency)
        out[key] = p.output_tokens_per_s_per_gpu
    return out


def main() -> None:
    rows = catalog.benchmarks()
    best = None
    for mem in np.arange(0.30, 0.96, 0.05):
        for comp in np.arange(0.20, 0.91, 0.05):
            pred = predictions(mem, comp)
            err = np.array([np.log(pred[k] / rows[k].measured_output_tokens_per_s_per_gpu) for k in rows])
            score = float(np.mean(err**2))
            if best is None or score < best[0]:
                best = (score, round(float(mem), 2), round(float(comp), 2))
    score, mem, comp = best
    print(f"fit: memory_efficiency={mem:.2f} compute_efficiency={comp:.2f} "
          f"rms log error={np.sqrt(score):.3f}")
    pred = predictions(mem, comp)
    for k, b in rows.items():
        print(f"{k:42s} measured {b.measured_output_tokens_per_s_per_gpu:8.0f}  model {pred[k]:8.0f}"
              f"  ratio {pred[k] / b.measured_output_tokens_per_s_per_gpu:5.2f}")


if __name__ == "__main__":
    main()
